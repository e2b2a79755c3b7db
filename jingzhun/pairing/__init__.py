"""Household ↔ helper (帮扶责任人) pairing: exact min-cost maximum flow, pure Python core."""

from jingzhun.pairing.solver import (
    REASON_FULL,
    REASON_NO_CANDIDATE,
    REASON_ZERO_CAPACITY,
    ArraySolution,
    PairingInputError,
    PairingResult,
    PairingSolverError,
    greedy_arrays,
    solve,
    solve_arrays,
)

__all__ = [
    "REASON_FULL",
    "REASON_NO_CANDIDATE",
    "REASON_ZERO_CAPACITY",
    "ArraySolution",
    "PairingInputError",
    "PairingResult",
    "PairingSolverError",
    "greedy_arrays",
    "solve",
    "solve_arrays",
]
