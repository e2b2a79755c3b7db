"""Tests for the pure pairing solver (jingzhun.pairing).

The reference is an exhaustive search written independently of the flow model: it enumerates every way of
giving each household one of its candidate helpers or nothing, within capacities.
"""

from __future__ import annotations

import dataclasses
import random
from collections import deque
from collections.abc import Hashable, Iterable, Mapping

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingzhun.pairing import (
    REASON_FULL,
    REASON_NO_CANDIDATE,
    REASON_ZERO_CAPACITY,
    PairingInputError,
    PairingResult,
    greedy_arrays,
    solve,
    solve_arrays,
)
from jingzhun.pairing.solver import _component_roots

Arc = tuple[Hashable, Hashable, int]


# ----------------------------------------------------------------------------------------------------
# Independent reference and checks


def exhaustive(capacities: Mapping[Hashable, int], arcs: Iterable[Arc]) -> tuple[int, int]:
    """(max households assigned, min cost among assignments reaching that), by trying everything."""
    options: dict[Hashable, list[tuple[Hashable, int]]] = {}
    for household, helper, cost in arcs:
        options.setdefault(household, []).append((helper, cost))
    households = list(options)
    remaining = dict(capacities)
    best = (0, 0)  # (assigned, -cost): the empty assignment is always feasible

    def search(i: int, assigned: int, cost: int) -> None:
        nonlocal best
        if i == len(households):
            best = max(best, (assigned, -cost))
            return
        search(i + 1, assigned, cost)
        for helper, arc_cost in options[households[i]]:
            if remaining[helper] > 0:
                remaining[helper] -= 1
                search(i + 1, assigned + 1, cost + arc_cost)
                remaining[helper] += 1

    search(0, 0, 0)
    return best[0], -best[1]


def check_feasible(result: PairingResult, capacities: Mapping[Hashable, int], arcs: list[Arc]) -> None:
    arc_cost = {(h, k): c for h, k, c in arcs}
    households = {h for h, _, _ in arcs}
    assert set(result.pairs) | set(result.unassigned) == households
    assert not set(result.pairs) & set(result.unassigned)
    load: dict[Hashable, int] = {}
    for household, helper in result.pairs.items():
        assert (household, helper) in arc_cost, f"pair {household!r}-{helper!r} is not an allowed arc"
        load[helper] = load.get(helper, 0) + 1
    for helper, n in load.items():
        assert n <= capacities[helper], f"helper {helper!r} over capacity"
    assert result.cost == sum(arc_cost[pair] for pair in result.pairs.items())
    assert isinstance(result.cost, int)
    # Reasons: at a maximum flow an unpaired household's candidates are all full.
    for household, reason in result.unassigned.items():
        candidates = [k for h, k, _ in arcs if h == household]
        if all(capacities[k] == 0 for k in candidates):
            assert reason == REASON_ZERO_CAPACITY
        else:
            assert reason == REASON_FULL
            assert all(load.get(k, 0) == capacities[k] for k in candidates)


def random_instance(rng: random.Random) -> tuple[dict[Hashable, int], list[Arc]]:
    n_households = rng.randint(0, 7)
    n_helpers = rng.randint(1, 4)
    density = rng.choice([0.15, 0.3, 0.5, 0.8])
    use_strings = rng.random() < 0.3
    helpers: list[Hashable] = [f"helper-{k}" if use_strings else 100 + k for k in range(n_helpers)]
    capacities = {k: rng.randint(0, 3) for k in helpers}
    max_cost = rng.choice([0, 3, 20, 1000])  # small ranges force many ties
    arcs: list[Arc] = []
    for h in range(n_households):
        household = f"家庭{h}" if use_strings else h
        arcs.extend((household, k, rng.randint(0, max_cost)) for k in helpers if rng.random() < density)
    rng.shuffle(arcs)
    return capacities, arcs


def as_arrays(
    capacities: Mapping[Hashable, int], arcs: list[Arc]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    helper_index = {k: i for i, k in enumerate(capacities)}
    household_index: dict[Hashable, int] = {}
    for h, _, _ in arcs:
        household_index.setdefault(h, len(household_index))
    return (
        np.array(list(capacities.values()), dtype=np.int64),
        np.array([household_index[h] for h, _, _ in arcs], dtype=np.int64),
        np.array([helper_index[k] for _, k, _ in arcs], dtype=np.int64),
        np.array([c for _, _, c in arcs], dtype=np.int64),
    )


def check_array_solution_feasible(capacity, household, helper, cost, solution) -> None:
    chosen = solution.arc[solution.arc >= 0]
    assert np.array_equal(household[chosen], np.flatnonzero(solution.arc >= 0))
    assert np.array_equal(helper[chosen], solution.helper[solution.arc >= 0])
    assert np.all(np.bincount(helper[chosen], minlength=capacity.size) <= capacity)
    assert solution.cost == int(cost[chosen].sum())


# ----------------------------------------------------------------------------------------------------
# Exactness against exhaustive search


def test_matches_exhaustive_search_on_500_seeded_instances() -> None:
    rng = random.Random(20240601)
    nontrivial = 0
    for instance in range(500):
        capacities, arcs = random_instance(rng)
        result = solve(capacities, arcs)
        expected = exhaustive(capacities, arcs)
        assert (len(result.pairs), result.cost) == expected, f"instance {instance}: {capacities} {arcs}"
        check_feasible(result, capacities, arcs)
        nontrivial += bool(result.unassigned) and bool(result.pairs)
    assert nontrivial > 50  # the generator really produces contested instances


@st.composite
def instances(draw: st.DrawFn) -> tuple[dict[Hashable, int], list[Arc]]:
    n_helpers = draw(st.integers(1, 4))
    capacities: dict[Hashable, int] = {f"k{k}": draw(st.integers(0, 3)) for k in range(n_helpers)}
    n_households = draw(st.integers(0, 7))
    pairs = draw(
        st.sets(st.tuples(st.integers(0, n_households - 1), st.sampled_from(sorted(capacities))), max_size=14)
        if n_households
        else st.just(set())
    )
    arcs = [(h, k, draw(st.integers(0, 12))) for h, k in sorted(pairs)]
    return capacities, arcs


@settings(max_examples=300, deadline=None, derandomize=True)
@given(instances())
def test_matches_exhaustive_search_hypothesis(instance: tuple[dict[Hashable, int], list[Arc]]) -> None:
    capacities, arcs = instance
    result = solve(capacities, arcs)
    assert (len(result.pairs), result.cost) == exhaustive(capacities, arcs)
    check_feasible(result, capacities, arcs)


def test_solve_and_solve_arrays_agree() -> None:
    rng = random.Random(7)
    for instance in range(300):
        capacities, arcs = random_instance(rng)
        result = solve(capacities, arcs)
        arrays = as_arrays(capacities, arcs)
        for kwargs in ({}, {"decompose": False}, {"batch_arcs": 1}, {"batch_arcs": 5}):
            solution = solve_arrays(*arrays, **kwargs)
            assert (solution.assigned, solution.cost) == (len(result.pairs), result.cost), (instance, kwargs)
            check_array_solution_feasible(*arrays, solution)


# (not int8: the random costs go up to 1000)
@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.uint16, np.uint32, np.uint64])
def test_array_api_accepts_any_integer_dtype_and_leaves_input_alone(dtype: type) -> None:
    rng = random.Random(5)
    for _ in range(50):
        capacities, arcs = random_instance(rng)
        expected = solve(capacities, arcs)
        arrays = tuple(a.astype(dtype) for a in as_arrays(capacities, arcs))
        copies = tuple(a.copy() for a in arrays)
        solution = solve_arrays(*arrays)
        assert (solution.assigned, solution.cost) == (len(expected.pairs), expected.cost)
        assert solution.helper.dtype == solution.arc.dtype == np.int64
        for array, copy in zip(arrays, copies, strict=True):
            assert array.dtype == copy.dtype and np.array_equal(array, copy)


def test_medium_instances_decomposed_equals_single_solve_and_beats_greedy() -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        n_households, n_helpers = 3000, 700
        capacity = rng.choice([0, 1, 3, 5], size=n_helpers, p=[0.05, 0.15, 0.3, 0.5])
        household = np.repeat(np.arange(n_households), 4)
        # Local candidates (households and helpers in ~50 "villages") plus a few long links that merge
        # villages into bigger components.
        village = household % 50
        helper = (village * (n_helpers // 50) + rng.integers(0, n_helpers // 50, household.size)) % n_helpers
        far = rng.random(household.size) < 0.01
        helper[far] = rng.integers(0, n_helpers, far.sum())
        key = np.unique(household * n_helpers + helper)
        household, helper = key // n_helpers, key % n_helpers
        cost = rng.integers(0, 1000, household.size)
        arrays = (capacity, household, helper, cost)
        whole = solve_arrays(*arrays, decompose=False)
        for batch_arcs in (1, 100, 1 << 17):
            parts = solve_arrays(*arrays, batch_arcs=batch_arcs)
            assert (parts.assigned, parts.cost) == (whole.assigned, whole.cost)
            check_array_solution_feasible(*arrays, parts)
        greedy = greedy_arrays(*arrays)
        check_array_solution_feasible(*arrays, greedy)
        assert greedy.assigned <= whole.assigned
        if greedy.assigned == whole.assigned:
            assert greedy.cost >= whole.cost


def test_greedy_is_feasible_and_never_better_on_small_instances() -> None:
    rng = random.Random(11)
    for _ in range(300):
        capacities, arcs = random_instance(rng)
        arrays = as_arrays(capacities, arcs)
        exact = solve_arrays(*arrays)
        greedy = greedy_arrays(*arrays)
        check_array_solution_feasible(*arrays, greedy)
        assert (greedy.assigned, -greedy.cost) <= (exact.assigned, -exact.cost)


# ----------------------------------------------------------------------------------------------------
# Hand-worked examples


def test_maximum_assignment_beats_cheapest_choice() -> None:
    # Greedy gives A the 1-cost helper X, leaving B (whose only candidate is X) without a helper.
    # The optimum pays 10 + 2 = 12 to pair both.
    capacities = {"X": 1, "Y": 1}
    arcs = [("A", "X", 1), ("A", "Y", 10), ("B", "X", 2)]
    result = solve(capacities, arcs)
    assert result == PairingResult(pairs={"A": "Y", "B": "X"}, cost=12, unassigned={})
    greedy = greedy_arrays(*as_arrays(capacities, arcs))
    assert (greedy.assigned, greedy.cost) == (1, 1)


def test_continuity_discount_keeps_current_pair_when_it_is_free_to() -> None:
    # Household 1 is currently paired with helper "old" (cost 20 after the continuity discount) and the
    # new helper is 30; household 2 can only use "new".  Both fit, so the current pair is kept.
    result = solve({"old": 1, "new": 1}, [(1, "old", 20), (1, "new", 30), (2, "new", 50)])
    assert result.pairs == {1: "old", 2: "new"}
    assert result.cost == 70


def test_ties_give_the_optimal_cost_and_are_deterministic() -> None:
    capacities = {"X": 1}
    arcs = [(1, "X", 5), (2, "X", 5), (3, "X", 5)]
    results = [solve(capacities, arcs) for _ in range(3)]
    assert results[0] == results[1] == results[2]
    assert len(results[0].pairs) == 1 and results[0].cost == 5
    assert set(results[0].unassigned.values()) == {REASON_FULL}
    # Two optimal assignments of equal cost: either is fine, the cost is what matters.
    result = solve({"X": 1, "Y": 1}, [(1, "X", 1), (1, "Y", 2), (2, "X", 2), (2, "Y", 1)])
    assert result.cost == 2 and len(result.pairs) == 2
    result = solve({"X": 1, "Y": 1}, [(1, "X", 3), (1, "Y", 3), (2, "X", 3), (2, "Y", 3)])
    assert result.cost == 6 and set(result.pairs.values()) == {"X", "Y"}


def test_capacity_zero_helper() -> None:
    capacities = {"zero": 0, "one": 1}
    arcs = [("a", "zero", 0), ("b", "zero", 0), ("b", "one", 9), ("c", "one", 1)]
    result = solve(capacities, arcs)
    assert result.pairs == {"c": "one"}
    assert result.cost == 1
    assert result.unassigned == {"a": REASON_ZERO_CAPACITY, "b": REASON_FULL}


def test_every_candidate_at_capacity_zero() -> None:
    result = solve({"x": 0, "y": 0}, [(1, "x", 3), (1, "y", 4)])
    assert result == PairingResult(pairs={}, cost=0, unassigned={1: REASON_ZERO_CAPACITY})


def test_string_ids_and_mixed_ids() -> None:
    capacities = {"张三": 2, 7: 1}
    arcs = [("户-001", "张三", 4), ("户-002", "张三", 3), ("户-003", 7, 2), ("户-003", "张三", 0)]
    result = solve(capacities, arcs)
    assert result.pairs == {"户-001": "张三", "户-002": "张三", "户-003": 7}
    assert result.cost == 9
    assert result.unassigned == {}


def test_households_without_any_arc_are_reported() -> None:
    result = solve({"x": 1}, [(1, "x", 2)], households=[1, 2])
    assert result.pairs == {1: "x"}
    assert result.unassigned == {2: REASON_NO_CANDIDATE}


def test_empty_input() -> None:
    assert solve({}, []) == PairingResult(pairs={}, cost=0, unassigned={})
    assert solve({"idle": 5}, iter(())) == PairingResult(pairs={}, cost=0, unassigned={})
    empty = np.zeros(0, dtype=np.int64)
    solution = solve_arrays(empty, empty, empty, empty)
    assert solution.helper.size == 0 and solution.cost == 0
    solution = solve_arrays(np.array([3]), empty, empty, empty, num_households=2)
    assert solution.helper.tolist() == [-1, -1] and solution.cost == 0
    assert greedy_arrays(empty, empty, empty, empty).cost == 0


def test_huge_capacity_and_numpy_integers_are_fine() -> None:
    result = solve({"x": 2**62, "y": np.int32(1)}, [(1, "x", np.int64(3)), (2, "y", np.uint8(4))])
    assert result.pairs == {1: "x", 2: "y"}
    assert result.cost == 7 and type(result.cost) is int


def test_result_is_frozen() -> None:
    result = solve({"x": 1}, [(1, "x", 2)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.cost = 0  # type: ignore[misc]


def test_array_api_returns_indices_and_arcs() -> None:
    capacity = np.array([1, 1], dtype=np.int32)
    household = np.array([0, 0, 1, 2], dtype=np.int32)
    helper = np.array([0, 1, 0, 1], dtype=np.int32)
    cost = np.array([1, 10, 2, 50], dtype=np.int32)
    solution = solve_arrays(capacity, household, helper, cost)
    # Households 0 and 1 both need helper 0 in the cheap plan; max pairing is 2 either way, so the
    # optimum is {0→0, 2→1} (51), {0→1, 1→0} (12) or {1→0, 2→1} (52): 12 wins.
    assert solution.helper.tolist() == [1, 0, -1]
    assert solution.arc.tolist() == [1, 2, -1]
    assert solution.cost == 12 and solution.assigned == 2


# ----------------------------------------------------------------------------------------------------
# Rejected input


@pytest.mark.parametrize(
    ("capacities", "arcs", "words"),
    [
        ({"x": 1}, [("h1", "ghost", 3)], ["h1", "ghost", "unknown helper"]),
        ({"x": 1}, [("h1", "x", -1)], ["h1", "'x'", "non-negative integer"]),
        ({"x": 1}, [("h1", "x", 3.0)], ["h1", "'x'", "3.0"]),
        ({"x": 1}, [("h1", "x", True)], ["h1", "'x'", "True"]),
        ({"x": 1}, [("h1", "x", "3")], ["h1", "'x'", "'3'"]),
        ({"x": 1}, [("h1", "x", None)], ["h1", "'x'", "None"]),
        ({"x": 1}, [("h1", "x", 2**64)], ["h1", "'x'", "64 bits"]),
        ({"x": -1}, [], ["capacity of helper 'x'", "-1"]),
        ({"x": 2.0}, [], ["capacity of helper 'x'", "2.0"]),
        ({"x": False}, [], ["capacity of helper 'x'", "False"]),
        ({"x": 1}, [("h1", "x", 3), ("h1", "x", 4)], ["duplicate", "h1", "'x'"]),
        ({"x": 1}, [("h1", "x")], ["('h1', 'x')", "triple"]),
    ],
)
def test_rejects_bad_input_naming_the_item(capacities: dict, arcs: list, words: list[str]) -> None:
    with pytest.raises(PairingInputError) as error:
        solve(capacities, arcs)
    assert isinstance(error.value, ValueError)
    for word in words:
        assert word in str(error.value)


def test_rejects_costs_too_large_for_the_solver() -> None:
    with pytest.raises(PairingInputError, match="too large"):
        solve({"x": 1}, [(1, "x", 2**62)])


@pytest.mark.parametrize(
    ("arrays", "words"),
    [
        (([1], [0], [0], [1.5]), ["cost", "integer array"]),
        (([1], [0], [0], [True]), ["cost", "integer array"]),
        (([1], [0], [3], [1]), ["arc 0", "unknown helper index 3"]),
        (([1], [0], [-1], [1]), ["arc 0", "unknown helper index -1"]),
        (([1], [0, 1], [0, 0], [1, -2]), ["arc 1", "household 1", "helper 0", "-2"]),
        (([-1], [0], [0], [1]), ["capacity of helper 0", "-1"]),
        (([1], [0, 0], [0, 0], [1, 2]), ["duplicate arc 1", "household 0", "helper 0"]),
        (([1], [0, 1], [0], [1]), ["same length"]),
        (([1], [[0]], [[0]], [[1]]), ["1-D"]),
        (([1], [-1], [0], [1]), ["arc 0", "household index -1"]),
    ],
)
def test_array_api_rejects_bad_input(arrays: tuple, words: list[str]) -> None:
    arrays = tuple(np.asarray(a) for a in arrays)
    for function in (solve_arrays, greedy_arrays):
        with pytest.raises(PairingInputError) as error:
            function(*arrays)
        for word in words:
            assert word in str(error.value)


def test_array_api_rejects_household_beyond_num_households() -> None:
    with pytest.raises(PairingInputError, match="household index 2 is outside 0..1"):
        solve_arrays(np.array([1]), np.array([2]), np.array([0]), np.array([1]), num_households=2)


# ----------------------------------------------------------------------------------------------------
# Decomposition


def bfs_components(n_nodes: int, edges: list[tuple[int, int]]) -> list[int]:
    neighbours: list[list[int]] = [[] for _ in range(n_nodes)]
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    label = [-1] * n_nodes
    for start in range(n_nodes):
        if label[start] < 0:
            label[start] = start  # start is the smallest node of its component
            queue = deque([start])
            while queue:
                for nxt in neighbours[queue.popleft()]:
                    if label[nxt] < 0:
                        label[nxt] = start
                        queue.append(nxt)
    return label


@pytest.mark.parametrize("shape", ["random", "path", "star", "comb"])
def test_union_find_matches_breadth_first_search(shape: str) -> None:
    rng = random.Random(shape)
    for _ in range(20):
        n = rng.randint(1, 400)
        nodes = list(range(n))
        rng.shuffle(nodes)  # scrambled labels are the hard case for min-label hooking
        if shape == "random":
            edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(rng.randint(0, n))]
        elif shape == "path":
            edges = list(zip(nodes, nodes[1:], strict=False))
        elif shape == "star":
            edges = [(nodes[0], x) for x in nodes[1:]]
        else:
            edges = list(zip(nodes, nodes[1:], strict=False))[::2] + [(nodes[0], x) for x in nodes[1::7]]
        u = np.array([a for a, _ in edges], dtype=np.int64)
        v = np.array([b for _, b in edges], dtype=np.int64)
        assert _component_roots(n, u, v).tolist() == bfs_components(n, edges)


def test_union_find_on_a_long_scrambled_path_is_quick() -> None:
    n = 200_000
    nodes = np.random.default_rng(0).permutation(n)
    roots = _component_roots(n, nodes[:-1].astype(np.int64), nodes[1:].astype(np.int64))
    assert np.all(roots == 0)


def test_a_pairs_cost_is_explained_in_the_parts_the_solver_adds_up():
    """Hand-worked: distance 100 per step of the area tree, skill penalty 200 (half for a secondary cause only)."""
    from jingzhun.teams.pairing_db import CostWeights, explain

    village, township_peer, other_county = "433130101201", "433130101202", "433126101201"
    # 因病 (illness) is met by medicine; 缺技术 (skills) by agriculture or trade.
    same = explain(village, "illness", "skills", village, "medicine")
    assert (same.tier, same.distance, same.fit, same.skill, same.total) == (0, 0, "primary", 0, 0)
    near = explain(village, "illness", "skills", township_peer, "trade")
    assert (near.tier, near.distance, near.fit, near.skill, near.total) == (1, 100, "secondary", 100, 200)
    far = explain(village, "illness", "", other_county, "finance")
    assert (far.tier, far.distance, far.fit, far.skill, far.total) == (3, 300, "none", 200, 500)
    assert explain(village, "marriage", "", village, "").fit == "no_cause"
    heavy = explain(village, "illness", "", other_county, "", CostWeights(distance=10, skill=7, switch=1))
    assert (heavy.distance, heavy.skill) == (30, 7)
    assert near.text.startswith("距离：同乡镇 100；专长对口其他致贫原因 100；合计 200 / distance: same township 100")
