"""Exact household ↔ helper pairing as a min-cost maximum flow.

Pure core: no Django, no database.  The network is

    source ──(cap 1, cost 0)──▶ household ──(cap 1, arc cost)──▶ helper ──(cap capacity, cost 0)──▶ sink

OR-Tools' ``solve_max_flow_with_min_cost`` first finds the maximum flow value and then the cheapest flow of
that value, which is exactly our lexicographic objective: most households paired, then least total cost.

The source and sink are not added by hand: every household gets supply 1 and every helper supply
``-capacity``; OR-Tools then builds that very network itself (a super source feeding each supply node with
its supply as capacity, a super sink drained by each demand node likewise) and solves it.

See docs/pairing.md for the model, the decomposition and benchmark numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from ortools.graph.python.min_cost_flow import SimpleMinCostFlow

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

IntArray = npt.NDArray[np.int64]
# Validated array input keeps the caller's signed integer dtype: an int32 instance of 10 M arcs would
# otherwise be copied to int64 three times over (~240 MB) before any work is done.
Ints = npt.NDArray[np.signedinteger[Any]]
I32Array = npt.NDArray[np.int32]

REASON_NO_CANDIDATE = "no candidate helper"
REASON_ZERO_CAPACITY = "all candidate helpers have capacity 0"
REASON_FULL = "all candidate helpers are at capacity"

# Components are packed into solves of about this many arcs.  One OR-Tools call costs ~0.1 ms plus Python
# overhead: 500 k two-household components take 13 s solved one by one but 1.5 s when packed.  Yet
# OR-Tools' cost scaling gets slower per arc as a solve grows (more scaling phases over a graph that no
# longer fits in cache): on the 1 M-household benchmark, batches of a few thousand arcs take ~8 s of CPU,
# batches of 2**20 arcs ~30 s and one solve of everything ~50 s.  So pack only small components; see
# docs/pairing.md.
DEFAULT_BATCH_ARCS = 1 << 12

_INT64_MAX = int(np.iinfo(np.int64).max)
_INT32_MAX = int(np.iinfo(np.int32).max)


class PairingInputError(ValueError):
    """The capacities or arcs are malformed; the message names the offending item."""


class PairingSolverError(RuntimeError):
    """OR-Tools did not report an optimal solution (should not happen for valid input)."""


@dataclass(frozen=True, slots=True)
class PairingResult:
    """Optimal pairing: as many households paired as possible, then minimum total cost."""

    pairs: dict[Hashable, Hashable] = field(default_factory=dict)
    """household id → helper id"""
    cost: int = 0
    """sum of the chosen arcs' costs"""
    unassigned: dict[Hashable, str] = field(default_factory=dict)
    """household id → English reason it has no helper"""


class ArraySolution(NamedTuple):
    """Result of :func:`solve_arrays` / :func:`greedy_arrays` over dense indices."""

    helper: IntArray
    """per household index: the assigned helper index, or -1"""
    arc: IntArray
    """per household index: the position of the chosen arc in the input arrays, or -1"""
    cost: int
    """total cost of the chosen arcs"""

    @property
    def assigned(self) -> int:
        return int(np.count_nonzero(self.helper >= 0))


# --------------------------------------------------------------------------------------------------------
# Id-based adapter


def solve(
    capacities: Mapping[Hashable, int],
    arcs: Iterable[tuple[Hashable, Hashable, int]],
    *,
    households: Iterable[Hashable] = (),
) -> PairingResult:
    """Pair households with helpers: maximise the number paired, then minimise the total cost.

    ``capacities`` maps helper id → maximum households; ``arcs`` yields ``(household_id, helper_id, cost)``
    for every allowed pair.  ``households`` optionally lists households that may have no arc at all, so
    they are reported as unassigned ("no candidate helper") instead of being invisible.

    Raises :class:`PairingInputError` for malformed input.
    """
    helper_ids = list(capacities)
    helper_index = {helper_id: i for i, helper_id in enumerate(helper_ids)}
    capacity = np.fromiter(
        (_non_negative_int(c, f"capacity of helper {hid!r}") for hid, c in capacities.items()),
        dtype=np.int64,
        count=len(helper_ids),
    )

    household_index: dict[Hashable, int] = {}
    seen: set[tuple[int, int]] = set()
    tails: list[int] = []
    heads: list[int] = []
    costs: list[int] = []
    for item in arcs:
        try:
            household_id, helper_id, cost = item
        except (TypeError, ValueError):
            raise PairingInputError(f"arc {item!r} is not a (household, helper, cost) triple") from None
        k = helper_index.get(helper_id)
        if k is None:
            raise PairingInputError(
                f"arc ({household_id!r}, {helper_id!r}) points to unknown helper {helper_id!r} "
                f"(not in capacities)"
            )
        c = _non_negative_int(cost, f"cost of arc ({household_id!r}, {helper_id!r})")
        h = household_index.setdefault(household_id, len(household_index))
        if (h, k) in seen:
            raise PairingInputError(f"duplicate arc for household {household_id!r} and helper {helper_id!r}")
        seen.add((h, k))
        tails.append(h)
        heads.append(k)
        costs.append(c)
    for household_id in households:
        household_index.setdefault(household_id, len(household_index))

    household = np.array(tails, dtype=np.int64)
    helper = np.array(heads, dtype=np.int64)
    cost_array = np.array(costs, dtype=np.int64)
    # Input already validated item by item above, with better messages than the array checks could give.
    solution = _solve_core(capacity, household, helper, cost_array, len(household_index))

    household_ids = list(household_index)
    reasons = _unassigned_reasons(capacity, household, helper, solution.helper)
    pairs = {household_ids[h]: helper_ids[k] for h, k in enumerate(solution.helper.tolist()) if k >= 0}
    unassigned = {household_ids[h]: reason for h, reason in reasons.items()}
    return PairingResult(pairs=pairs, cost=solution.cost, unassigned=unassigned)


def _non_negative_int(value: object, what: str) -> int:
    # bool is an int subclass but True as a capacity or cost is surely a bug; floats (even 3.0) are
    # rejected because a silently truncated 2.7 would be worse than an error.
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise PairingInputError(f"{what} must be a non-negative integer, got {value!r}")
    number = int(value)
    if number < 0:
        raise PairingInputError(f"{what} must be a non-negative integer, got {number}")
    if number > _INT64_MAX:
        raise PairingInputError(f"{what} is too large ({number}); it must fit in 64 bits")
    return number


def _unassigned_reasons(
    capacity: IntArray, household: IntArray, helper: IntArray, assigned: IntArray
) -> dict[int, str]:
    # At a maximum flow every candidate helper of an unpaired household is full (otherwise
    # source → household → helper → sink would be an augmenting path), so the only distinction worth
    # reporting is whether the candidates had any capacity at all.
    best_capacity = np.full(assigned.size, -1, dtype=np.int64)
    np.maximum.at(best_capacity, household, capacity[helper])
    reasons: dict[int, str] = {}
    for h in np.flatnonzero(assigned < 0).tolist():
        if best_capacity[h] < 0:
            reasons[h] = REASON_NO_CANDIDATE
        elif best_capacity[h] == 0:
            reasons[h] = REASON_ZERO_CAPACITY
        else:
            reasons[h] = REASON_FULL
    return reasons


# --------------------------------------------------------------------------------------------------------
# Array API


def solve_arrays(
    capacity: npt.ArrayLike,
    household: npt.ArrayLike,
    helper: npt.ArrayLike,
    cost: npt.ArrayLike,
    *,
    num_households: int | None = None,
    decompose: bool = True,
    batch_arcs: int = DEFAULT_BATCH_ARCS,
) -> ArraySolution:
    """Exact pairing over dense indices: arc ``i`` joins ``household[i]`` (0..H-1) to ``helper[i]``
    (0..K-1) at ``cost[i]``; ``capacity[k]`` bounds helper ``k``.

    ``num_households`` defaults to ``max(household) + 1``.  With ``decompose`` (the default) independent
    connected components are solved separately, packed into solves of about ``batch_arcs`` arcs; without it
    the whole instance is one OR-Tools solve.  Both give the same optimum.
    """
    cap, hh, hp, co, n = _checked_arrays(capacity, household, helper, cost, num_households)
    return _solve_core(cap, hh, hp, co, n, decompose=decompose, batch_arcs=batch_arcs)


def greedy_arrays(
    capacity: npt.ArrayLike,
    household: npt.ArrayLike,
    helper: npt.ArrayLike,
    cost: npt.ArrayLike,
    *,
    num_households: int | None = None,
) -> ArraySolution:
    """Baseline for the benchmark only: take arcs cheapest first while household and helper are free.

    Not optimal in either objective (a cheap arc can take the only helper another household had).
    """
    cap, hh, hp, co, n = _checked_arrays(capacity, household, helper, cost, num_households)
    order = np.argsort(co, kind="stable")
    order = order[cap[hp[order]] > 0]
    remaining = cap.tolist()
    chosen = [-1] * n
    # Each pick changes what later arcs may take, so this is inherently sequential.  Iterating plain
    # lists in chunks is ~10x faster than indexing numpy scalars and bounds the lists' memory.
    chunk = 1 << 20
    for start in range(0, order.size, chunk):
        part = order[start : start + chunk]
        for a, h, k in zip(part.tolist(), hh[part].tolist(), hp[part].tolist(), strict=True):
            if chosen[h] < 0 and remaining[k] > 0:
                chosen[h] = a
                remaining[k] -= 1
    arc = np.array(chosen, dtype=np.int64)
    return _solution_from_arcs(arc, hp, co)


def _checked_arrays(
    capacity: npt.ArrayLike,
    household: npt.ArrayLike,
    helper: npt.ArrayLike,
    cost: npt.ArrayLike,
    num_households: int | None,
) -> tuple[IntArray, Ints, Ints, Ints, int]:
    cap = _int_vector(capacity, "capacity").astype(np.int64, copy=False)
    hh = _int_vector(household, "household")
    hp = _int_vector(helper, "helper")
    co = _int_vector(cost, "cost")
    if not hh.size == hp.size == co.size:
        raise PairingInputError(
            f"household, helper and cost must have the same length, got {hh.size}, {hp.size}, {co.size}"
        )
    if num_households is None:
        n = int(hh.max()) + 1 if hh.size else 0
    else:
        n = _non_negative_int(num_households, "num_households")
    _first_bad(cap < 0, lambda i: f"capacity of helper {i} must be a non-negative integer, got {cap[i]}")
    _first_bad((hh < 0) | (hh >= n), lambda i: f"arc {i}: household index {hh[i]} is outside 0..{n - 1}")
    _first_bad(
        (hp < 0) | (hp >= cap.size),
        lambda i: f"arc {i} (household {hh[i]}): unknown helper index {hp[i]}, expected 0..{cap.size - 1}",
    )
    _first_bad(
        co < 0,
        lambda i: f"cost of arc {i} (household {hh[i]}, helper {hp[i]}) must be non-negative, got {co[i]}",
    )
    if hh.size:
        # One key per (household, helper) pair; sorting in place finds repeats without Python loops.  Only
        # in the (rare) failing case is the costlier argsort run to name the offending arc.
        key = hh.astype(np.int64) * cap.size + hp
        key.sort()
        if np.any(key[1:] == key[:-1]):
            key = hh.astype(np.int64) * cap.size + hp
            order = np.argsort(key, kind="stable")
            i = int(order[np.flatnonzero(key[order[1:]] == key[order[:-1]])[0] + 1])
            raise PairingInputError(f"duplicate arc {i} for household {hh[i]} and helper {hp[i]}")
    return cap, hh, hp, co, n


def _int_vector(values: npt.ArrayLike, name: str) -> Ints:
    array = np.asarray(values)
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.ndim != 1:
        raise PairingInputError(f"{name} must be a 1-D array, got shape {array.shape}")
    if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
        raise PairingInputError(f"{name} must be an integer array, got dtype {array.dtype}")
    if np.issubdtype(array.dtype, np.unsignedinteger):
        # Unsigned arithmetic would wrap (and mixes badly with signed); convert once, checking range.
        if int(array.max()) > _INT64_MAX:
            raise PairingInputError(f"{name} has values that do not fit in 64-bit signed integers")
        return array.astype(np.int64)
    return array


def _first_bad(mask: npt.NDArray[np.bool_], message: Callable[[int], str]) -> None:
    # The message is built lazily: only the first offending index is ever formatted.
    bad = np.flatnonzero(mask)
    if bad.size:
        raise PairingInputError(message(int(bad[0])))


# --------------------------------------------------------------------------------------------------------
# Core


def _solve_core(
    capacity: IntArray,
    household: Ints,
    helper: Ints,
    cost: Ints,
    num_households: int,
    *,
    decompose: bool = True,
    batch_arcs: int = DEFAULT_BATCH_ARCS,
) -> ArraySolution:
    """Exact min-cost maximum flow over validated arrays; every entry point ends up here."""
    n_households = num_households
    n_nodes = n_households + capacity.size
    chosen = np.full(n_households, -1, dtype=np.int64)
    original_helper, original_cost = helper, cost
    if n_nodes > _INT32_MAX:
        raise PairingInputError(f"{n_nodes} households + helpers: more than OR-Tools' 2**31 nodes")

    # An arc into a helper without capacity can never carry flow.  Dropping it shrinks the network and can
    # split components (a capacity-0 helper would otherwise glue unrelated households together).  When
    # every arc is live (the usual case) the arrays are used as they are, saving a copy of each.
    keep = capacity[helper] > 0
    live = None if keep.all() else np.flatnonzero(keep)
    del keep
    if live is not None:
        household, helper, cost = household[live], helper[live], cost[live]
    if household.size == 0:
        return _solution_from_arcs(chosen, original_helper, original_cost)
    # Node numbering: households 0..H-1, then helpers H..H+K-1.  int32 (n_nodes < 2**31 was checked) halves
    # the memory of every per-arc index array below; it is also what OR-Tools takes.
    tail = household.astype(np.int32, copy=False)
    head = helper.astype(np.int32)
    head += n_households
    # Capacity beyond a helper's in-degree can never be used; clipping keeps supplies small so OR-Tools'
    # int64 supply sums cannot overflow however large a capacity the caller passes.
    in_degree = np.bincount(head, minlength=n_nodes)[n_households:]
    supply = np.concatenate([np.ones(n_households, dtype=np.int64), -np.minimum(capacity, in_degree)])

    if decompose:
        arc_batch, n_batches = _batches(n_nodes, tail, head, batch_arcs)
    else:
        arc_batch, n_batches = np.zeros(tail.size, dtype=np.int32), 1

    # Sort arcs and nodes by batch so each batch is a contiguous slice, and give every node a dense
    # local number within its batch (OR-Tools wants nodes 0..n-1).  Nodes without a live arc get batch
    # n_batches, i.e. they sort last and are never handed to the solver.
    node_batch = np.full(n_nodes, n_batches, dtype=np.int32)
    node_batch[tail] = arc_batch
    node_batch[head] = arc_batch
    node_order = np.argsort(node_batch, kind="stable")
    node_start = np.searchsorted(node_batch[node_order], np.arange(n_batches + 1))
    rank = np.empty(n_nodes, dtype=np.int32)
    rank[node_order] = np.arange(n_nodes, dtype=np.int32)
    local = rank - node_start[node_batch].astype(np.int32)
    arc_order = np.argsort(arc_batch, kind="stable")
    arc_start = np.searchsorted(arc_batch[arc_order], np.arange(n_batches + 1))
    del node_batch, arc_batch, rank

    for b in range(n_batches):
        arcs_b = arc_order[arc_start[b] : arc_start[b + 1]]
        nodes_b = node_order[node_start[b] : node_start[b + 1]]
        if arcs_b.size == 0:
            continue
        if arcs_b.size > _INT32_MAX:
            raise PairingInputError(f"a component of {arcs_b.size} arcs: more than OR-Tools' 2**31 arcs")
        flow = _min_cost_max_flow(
            local[tail[arcs_b]], local[head[arcs_b]], cost[arcs_b].astype(np.int64), supply[nodes_b]
        )
        used = arcs_b[flow > 0]
        chosen[tail[used]] = used if live is None else live[used]
    return _solution_from_arcs(chosen, original_helper, original_cost)


def _min_cost_max_flow(
    tails: npt.NDArray[np.int32], heads: npt.NDArray[np.int32], costs: IntArray, supplies: IntArray
) -> IntArray:
    """One OR-Tools solve; returns the flow (0 or 1) on each arc."""
    flow_solver = SimpleMinCostFlow()
    flow_solver.add_arcs_with_capacity_and_unit_cost(tails, heads, np.ones(tails.size, dtype=np.int64), costs)
    flow_solver.set_nodes_supplies(np.arange(supplies.size, dtype=np.int32), supplies)
    status = flow_solver.solve_max_flow_with_min_cost()
    if status == SimpleMinCostFlow.BAD_COST_RANGE:
        # Cost scaling multiplies costs by about the node count, which must still fit in 64 bits.
        raise PairingInputError(
            f"arc costs are too large for an exact solve (largest {int(costs.max())} on a component of "
            f"{supplies.size} nodes); rescale the costs"
        )
    if status != SimpleMinCostFlow.OPTIMAL:
        raise PairingSolverError(f"OR-Tools min-cost flow ended with status {status.name}, not OPTIMAL")
    return np.asarray(flow_solver.flows(np.arange(tails.size, dtype=np.int32)), dtype=np.int64)


def _batches(n_nodes: int, tail: I32Array, head: I32Array, batch_arcs: int) -> tuple[I32Array, int]:
    """Assign every arc to a batch of whole connected components, about ``batch_arcs`` arcs per batch."""
    root = _component_roots(n_nodes, tail, head)
    # Dense component numbers in root order; the root of a component is its smallest node.
    is_root = root == np.arange(n_nodes)
    component_of_arc = (np.cumsum(is_root) - 1)[root[tail]]
    arcs_per_component = np.bincount(component_of_arc)
    # A component goes to the batch where its first arc falls; a batch can thus exceed batch_arcs by less
    # than one component, and a component bigger than batch_arcs simply gets a batch of its own.
    first_arc = np.cumsum(arcs_per_component) - arcs_per_component
    batch_of_component = first_arc // max(batch_arcs, 1)
    _, batch_of_component = np.unique(batch_of_component, return_inverse=True)  # drop empty batch numbers
    arc_batch = batch_of_component.astype(np.int32)[component_of_arc]
    return arc_batch, int(arc_batch.max()) + 1


def _component_roots(n_nodes: int, u: I32Array, v: I32Array) -> I32Array:
    """Connected components by vectorised union-find: returns each node's root (smallest node in it).

    Each round hooks every root to the smallest root it shares an edge with, then compresses paths until
    every node points straight at its root.  Edges inside one component are dropped as soon as they are
    seen, so later rounds touch only the few edges still joining different trees.  Roots only ever point
    to smaller nodes, so no cycles can form, and every round hooks at least one root, so it terminates.
    """
    parent = np.arange(n_nodes, dtype=np.int32)
    while u.size:
        root_u = parent[u]
        root_v = parent[v]
        crossing = root_u != root_v
        if not crossing.any():
            break
        if not crossing.all():  # in the first round of a bipartite graph nothing is internal: skip the copy
            u, v, root_u, root_v = u[crossing], v[crossing], root_u[crossing], root_v[crossing]
        del crossing
        np.minimum.at(parent, np.maximum(root_u, root_v), np.minimum(root_u, root_v))
        while True:
            grandparent = parent[parent]
            if np.array_equal(grandparent, parent):
                break
            parent = grandparent
    return parent


def _solution_from_arcs(arc: IntArray, helper: Ints, cost: Ints) -> ArraySolution:
    chosen = arc >= 0
    assigned_helper = np.full(arc.size, -1, dtype=np.int64)
    assigned_helper[chosen] = helper[arc[chosen]]
    return ArraySolution(helper=assigned_helper, arc=arc, cost=int(cost[arc[chosen]].sum(dtype=np.int64)))
