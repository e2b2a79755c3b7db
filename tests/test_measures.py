"""Tests for jingzhun.measures.

Every expected number below is worked out by hand in the comments next to it (from the
published definitions), not copied from the code's output.  Property tests compare with
independent second implementations: replicated rows instead of population weights, and
exact Fraction arithmetic instead of the integer-scaled identification.
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingzhun.measures import (
    AlkireFosterResult,
    alkire_foster,
    coady_grosh_hoddinott,
    deprivations,
    fgt,
    targeting_errors,
)

approx = pytest.approx


def ham(r: AlkireFosterResult) -> tuple[float, float, float]:
    """(H, A, M0) of a result -- a lower-case name keeps ruff's SIM300 from misfiring on H/A/M0."""
    return (r.H, r.A, r.M0)


# --------------------------------------------------------------------------- deprivations

# Four households, three indicators:
#   years of schooling (cutoff 6), income per capita in yuan (cutoff 2300), safe housing (cutoff 1).
VALUES = [
    [5, 2300, 1],  # HH1: schooling 5 < 6 -> deprived; income exactly 2300 -> NOT deprived; housing ok
    [9, 1800, 0],  # HH2: schooling ok; income 1800 < 2300; housing 0 < 1
    [6, 2000, 1],  # HH3: schooling exactly 6 -> NOT deprived; income 2000 < 2300; housing ok
    [3, 1500, 0],  # HH4: deprived in all three
]
CUTOFFS = [6, 2300, 1]
G = [
    [1, 0, 0],
    [0, 1, 1],
    [0, 1, 0],
    [1, 1, 1],
]


def test_deprivations_hand_example_and_value_at_cutoff_not_deprived() -> None:
    g = deprivations(VALUES, CUTOFFS)
    assert g.tolist() == G
    assert g.dtype.kind == "i"


def test_deprivations_value_exactly_at_cutoff() -> None:
    assert deprivations([[0.3]], [0.3]).tolist() == [[0]]
    assert deprivations([[np.nextafter(0.3, 0)]], [0.3]).tolist() == [[1]]


@pytest.mark.parametrize(
    ("values", "cutoffs", "fragment"),
    [
        ([1, 2, 3], [1, 2, 3], "values must be 2-dimensional"),
        ([[1, 2, 3]], [1, 2], "cutoffs has length 2 but values has 3"),
        ([[1, 2]], [[1, 2]], "cutoffs must be 1-dimensional"),
        ([[1, float("nan")]], [1, 2], "values must be finite"),
        ([[1, 2]], [1, float("nan")], "cutoffs must be finite"),
        ([["a", 2]], [1, 2], "values must contain only numbers"),
    ],
)
def test_deprivations_rejects_bad_shapes(values: object, cutoffs: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        deprivations(values, cutoffs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- Alkire-Foster

W = [Fraction(1, 2), Fraction(1, 4), Fraction(1, 4)]


def test_alkire_foster_hand_example_unweighted() -> None:
    # Scores c_i = sum_j w_j g_ij with w = (1/2, 1/4, 1/4):
    #   HH1: 1/2            HH2: 1/4 + 1/4 = 1/2   HH3: 1/4   HH4: 1/2 + 1/4 + 1/4 = 1
    # k = 1/2: poor = HH1 (score exactly k), HH2 (exactly k), HH4; HH3 not poor.
    # H = 3/4.  A = (1/2 + 1/2 + 1) / 3 = 2/3.  M0 = 3/4 * 2/3 = 1/2
    #   (check: censored scores 1/2, 1/2, 0, 1 have mean 2/4 = 1/2).
    # Uncensored: ind1 {HH1, HH4} = 2/4; ind2 {HH2, HH3, HH4} = 3/4; ind3 {HH2, HH4} = 2/4.
    # Censored (drop HH3): ind1 2/4; ind2 {HH2, HH4} = 2/4; ind3 2/4.
    # Check M0 = 1/2*1/2 + 1/4*1/2 + 1/4*1/2 = 1/4 + 1/8 + 1/8 = 1/2.
    # Contributions: (1/4)/(1/2) = 1/2, (1/8)/(1/2) = 1/4, 1/4.
    r = alkire_foster(deprivations(VALUES, CUTOFFS), W, Fraction(1, 2))
    assert r.poor.tolist() == [True, True, False, True]
    assert r.scores.tolist() == [0.5, 0.5, 0.25, 1.0]
    assert ham(r) == approx((3 / 4, 2 / 3, 1 / 2))
    assert r.uncensored.tolist() == approx([1 / 2, 3 / 4, 1 / 2])
    assert r.censored.tolist() == approx([1 / 2, 1 / 2, 1 / 2])
    assert r.contributions.tolist() == approx([1 / 2, 1 / 4, 1 / 4])


def test_alkire_foster_hand_example_person_weighted() -> None:
    # Same households with 2, 3, 4, 1 members (N = 10).  Poor persons: 2 + 3 + 1 = 6.
    # H = 6/10.  A = (2*1/2 + 3*1/2 + 1*1) / 6 = 3.5/6 = 7/12.  M0 = 6/10 * 7/12 = 7/20.
    # Uncensored: ind1 HH1+HH4 = 3/10; ind2 HH2+HH3+HH4 = 8/10; ind3 HH2+HH4 = 4/10.
    # Censored:   ind1 3/10; ind2 HH2+HH4 = 4/10; ind3 4/10.
    # Check M0 = 1/2*3/10 + 1/4*4/10 + 1/4*4/10 = 3/20 + 2/20 + 2/20 = 7/20.
    # Contributions: (3/20)/(7/20) = 3/7, (2/20)/(7/20) = 2/7, 2/7.
    r = alkire_foster(G, W, Fraction(1, 2), population=[2, 3, 4, 1])
    assert ham(r) == approx((6 / 10, 7 / 12, 7 / 20))
    assert r.uncensored.tolist() == approx([3 / 10, 8 / 10, 4 / 10])
    assert r.censored.tolist() == approx([3 / 10, 4 / 10, 4 / 10])
    assert r.contributions.tolist() == approx([3 / 7, 2 / 7, 2 / 7])
    # Second implementation: replicate each household by its size.
    rep = alkire_foster(np.repeat(np.array(G), [2, 3, 4, 1], axis=0), W, Fraction(1, 2))
    assert ham(rep) == approx(ham(r))


def test_alkire_foster_k_equal_one_is_union_of_all_deprivations() -> None:
    # k = 1: only HH4 (deprived in everything) is poor.  H = 1/4, A = 1, M0 = 1/4.
    # Censored: each indicator only HH4 -> 1/4 each; contributions = w_j * (1/4) / (1/4) = w_j.
    r = alkire_foster(G, W, 1)
    assert r.poor.tolist() == [False, False, False, True]
    assert ham(r) == approx((1 / 4, 1.0, 1 / 4))
    assert r.contributions.tolist() == approx([1 / 2, 1 / 4, 1 / 4])


def test_alkire_foster_nobody_poor() -> None:
    # Nobody deprived: H = 0, A defined as 0, M0 = 0, contributions all zeros by convention.
    r = alkire_foster([[0, 0, 0], [0, 0, 0]], W, "1/3")
    assert (r.H, r.A, r.M0) == (0.0, 0.0, 0.0)
    assert r.contributions.tolist() == [0.0, 0.0, 0.0]
    assert r.uncensored.tolist() == [0.0, 0.0, 0.0]


# Global-MPI style weights: two indicators x 1/6 in each of health and education, six
# living-standard indicators x 1/18.  4 * 1/6 + 6 * 1/18 = 2/3 + 1/3 = 1.
MPI_FLOAT_WEIGHTS = [1 / 6] * 4 + [1 / 18] * 6


@pytest.mark.parametrize(
    "weights",
    [
        MPI_FLOAT_WEIGHTS,
        [Fraction(1, 6)] * 4 + [Fraction(1, 18)] * 6,
        ["1/6"] * 4 + ["1/18"] * 6,
        np.array(MPI_FLOAT_WEIGHTS),
    ],
)
@pytest.mark.parametrize("k", [1 / 3, Fraction(1, 3), "1/3"])
def test_alkire_foster_exact_one_sixth_plus_three_eighteenths(weights: object, k: object) -> None:
    # Unit 0: one 1/6 indicator + three 1/18 indicators = 3/18 + 3/18 = 6/18 = 1/3 -> poor at k = 1/3.
    # Unit 1: six 1/18 indicators = 6/18 = 1/3 -> poor.
    # Unit 2: two 1/6 indicators = 1/3 -> poor.
    # Unit 3: one 1/6 + two 1/18 = 5/18 < 6/18 -> not poor.
    g = [
        [1, 0, 0, 0, 1, 1, 1, 0, 0, 0],
        [0, 0, 0, 0, 1, 1, 1, 1, 1, 1],
        [1, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        [1, 0, 0, 0, 1, 1, 0, 0, 0, 0],
    ]
    r = alkire_foster(g, weights, k)  # type: ignore[arg-type]
    assert r.poor.tolist() == [True, True, True, False]
    assert ham(r)[0] == approx(3 / 4)


def test_alkire_foster_exact_where_naive_float_sum_fails() -> None:
    # Weights 7/10, 1/10, 1/10, 1/10 sum to 1; a unit deprived in the first three has score
    # 9/10 and is poor at k = 9/10.  In binary floating point 0.7 + 0.1 + 0.1 < 0.9 and the
    # four weights add to 0.9999999999999999, so naive floats get both checks wrong.
    assert 0.7 + 0.1 + 0.1 < 0.9
    assert 0.7 + 0.1 + 0.1 + 0.1 != 1.0
    r = alkire_foster([[1, 1, 1, 0], [1, 1, 0, 1]], [0.7, 0.1, 0.1, 0.1], 0.9)
    assert r.poor.tolist() == [True, True]
    assert r.scores.tolist() == approx([0.9, 0.9])


def test_alkire_foster_score_just_below_k_is_not_poor() -> None:
    # Score 1/2 with k = 1/2 + 1/1000000 -> not poor; with k = 1/2 -> poor.
    assert alkire_foster([[1, 0]], ["1/2", "1/2"], Fraction(500001, 1000000)).poor.tolist() == [False]
    assert alkire_foster([[1, 0]], ["1/2", "1/2"], 0.5).poor.tolist() == [True]


def test_alkire_foster_huge_common_denominator_stays_exact() -> None:
    # Denominators are distinct primes near 10**6, so the common denominator exceeds 2**62
    # and the module falls back to Python integers.  Unit 0 is deprived in the first four
    # indicators: 1/999983 + 1/999979 + 1/999961 + 1/999959 = k exactly -> poor; unit 1 lacks
    # the last of them -> not poor.
    ps = [999983, 999979, 999961, 999959]
    small = [Fraction(1, p) for p in ps]
    weights = [*small, 1 - sum(small)]
    k = sum(small)
    r = alkire_foster([[1, 1, 1, 1, 0], [1, 1, 1, 0, 0]], weights, k)
    assert r.poor.tolist() == [True, False]


def test_alkire_foster_result_is_immutable() -> None:
    r = alkire_foster(G, W, "1/2")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.H = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        r.poor[0] = False


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"weights": [0.5, 0.25, 0.2]}, "weights must sum to 1"),
        ({"weights": ["1/3", "1/3", "1/4"]}, r"weights=\['1/3', '1/3', '1/4'\]"),
        ({"weights": [1.25, -0.25, 0]}, "weights must be non-negative"),
        ({"weights": [0.5, 0.5]}, "weights has 2 entries but deprived has 3"),
        ({"weights": [0.5, 0.5, float("nan")]}, r"weights\[2\] must be a finite number"),
        ({"weights": ["half", 0.5, 0]}, r"weights\[0\]"),
        ({"k": 0}, "k must satisfy 0 < k <= 1"),
        ({"k": -0.1}, "k must satisfy 0 < k <= 1"),
        ({"k": 1.01}, "k must satisfy 0 < k <= 1"),
        ({"k": "3/2"}, "k must satisfy 0 < k <= 1"),
        ({"population": [1, 1, -1, 1]}, "population must be non-negative"),
        ({"population": [1, 1, 1]}, "population must have length 4"),
        ({"population": [1, 1, float("nan"), 1]}, "population must be finite"),
        ({"population": [0, 0, 0, 0]}, "population must have a positive total"),
        ({"deprived": [[1, 0, 2]]}, "deprived must contain only 0/1"),
        ({"deprived": [1, 0, 1]}, "deprived must be 2-dimensional"),
        ({"deprived": np.zeros((0, 3))}, "at least one unit"),
    ],
)
def test_alkire_foster_rejections(kwargs: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = {"deprived": G, "weights": W, "k": Fraction(1, 2), "population": None}
    args.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        alkire_foster(**args)  # type: ignore[arg-type]


def test_alkire_foster_rejects_boolean_k() -> None:
    with pytest.raises(TypeError, match="k must be a number"):
        alkire_foster(G, W, True)  # type: ignore[arg-type]


@st.composite
def af_problems(draw: st.DrawFn) -> tuple[np.ndarray, list[Fraction], Fraction, list[int]]:
    n = draw(st.integers(1, 8))
    d = draw(st.integers(1, 5))
    g = np.array(draw(st.lists(st.lists(st.booleans(), min_size=d, max_size=d), min_size=n, max_size=n)))
    nums = draw(st.lists(st.integers(0, 6), min_size=d, max_size=d).filter(lambda xs: sum(xs) > 0))
    weights = [Fraction(a, sum(nums)) for a in nums]
    den = draw(st.integers(1, 24))
    k = Fraction(draw(st.integers(1, den)), den)
    pop = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n).filter(lambda xs: sum(xs) > 0))
    return g, weights, k, pop


@settings(max_examples=300, deadline=None)
@given(af_problems())
def test_af_properties(problem: tuple[np.ndarray, list[Fraction], Fraction, list[int]]) -> None:
    g, weights, k, pop = problem
    r = alkire_foster(g, [float(w) for w in weights], float(k), population=pop)
    # Identification equals an exact Fraction reference (float weights recovered exactly).
    ref_scores = [sum((w for w, x in zip(weights, row, strict=True) if x), Fraction(0)) for row in g]
    assert r.poor.tolist() == [s >= k for s in ref_scores]
    # M0 = H x A; M0 = sum_j w_j censored_j; contributions sum to 1 when M0 > 0.
    h, a, m0 = ham(r)
    assert m0 == approx(h * a)
    assert m0 == approx(sum(float(w) * c for w, c in zip(weights, r.censored, strict=True)), abs=1e-12)
    if r.M0 > 0:
        assert float(r.contributions.sum()) == approx(1.0)
    else:
        assert r.contributions.tolist() == [0.0] * g.shape[1]
    # Censored never exceeds uncensored; H, A, M0 in [0, 1].
    assert np.all(r.censored <= r.uncensored + 1e-12)
    assert 0 <= r.M0 <= r.H <= 1 and 0 <= r.A <= 1
    # Population weighting equals replicating each unit population-many times.
    rep = alkire_foster(np.repeat(g, pop, axis=0), weights, k)
    assert ham(r) == approx(ham(rep), abs=1e-12)
    assert r.uncensored.tolist() == approx(rep.uncensored.tolist(), abs=1e-12)
    assert r.censored.tolist() == approx(rep.censored.tolist(), abs=1e-12)
    assert r.contributions.tolist() == approx(rep.contributions.tolist(), abs=1e-12)


# --------------------------------------------------------------------------- FGT

INCOMES = [50, 80, 100, 150]  # line z = 100; 100 is exactly at the line -> not poor


def test_fgt_hand_example() -> None:
    # Poor: 50 and 80 (gaps (100-50)/100 = 0.5, (100-80)/100 = 0.2).  N = 4.
    # P0 = 2/4 = 0.5.  P1 = (0.5 + 0.2)/4 = 0.175.  P2 = (0.25 + 0.04)/4 = 0.0725.
    assert fgt(INCOMES, 100, 0) == approx(0.5)
    assert fgt(INCOMES, 100, 1) == approx(0.175)
    assert fgt(INCOMES, 100, 2) == approx(0.0725)


def test_fgt_person_weighted_hand_example() -> None:
    # Sizes 1, 2, 3, 4 (N = 10).  P0 = (1 + 2)/10 = 0.3.
    # P1 = (1*0.5 + 2*0.2)/10 = 0.09.  P2 = (1*0.25 + 2*0.04)/10 = 0.033.
    pop = [1, 2, 3, 4]
    assert fgt(INCOMES, 100, 0, pop) == approx(0.3)
    assert fgt(INCOMES, 100, 1, pop) == approx(0.09)
    assert fgt(INCOMES, 100, 2, pop) == approx(0.033)
    for alpha in (0, 1, 2, 0.5):
        assert fgt(INCOMES, 100, alpha, pop) == approx(fgt(np.repeat(INCOMES, pop), 100, alpha))


def test_fgt_person_exactly_at_line_is_not_poor() -> None:
    assert fgt([100.0], 100.0, 0) == 0.0
    assert fgt([100.0], 100.0, 1) == 0.0
    assert fgt([np.nextafter(100.0, 0)], 100.0, 0) == 1.0


def test_fgt_alpha_zero_counts_poor_with_zero_income_once() -> None:
    # Income 0 has gap 1; alpha = 0 gives 1 for it and 0 for the non-poor 200 (no 0**0 term):
    # P0 = 1/2.  P1 = 1/2.  P3 = 1/2.
    assert fgt([0, 200], 100, 0) == approx(0.5)
    assert fgt([0, 200], 100, 1) == approx(0.5)
    assert fgt([0, 200], 100, 3) == approx(0.5)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (([1, 2], 0, 1), "line must be a finite number > 0"),
        (([1, 2], -5, 1), "line must be a finite number > 0"),
        (([1, 2], 10, -1), "alpha must be a finite number >= 0"),
        (([1, 2], 10, float("nan")), "alpha must be"),
        (([], 10, 1), "at least one unit"),
        (([[1, 2]], 10, 1), "incomes must be 1-dimensional"),
        (([1, float("nan")], 10, 1), "incomes must be finite"),
        (([1, 2], 10, 1, [1, -1]), "population must be non-negative"),
        (([1, 2], 10, 1, [1, 1, 1]), "population must have length 2"),
    ],
)
def test_fgt_rejections(args: tuple[object, ...], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        fgt(*args)  # type: ignore[arg-type]


incomes_st = st.lists(st.integers(0, 300), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(incomes_st, st.integers(1, 300), st.data())
def test_fgt_properties(incomes: list[int], line: int, data: st.DataObject) -> None:
    pop = data.draw(st.lists(st.integers(0, 4), min_size=len(incomes), max_size=len(incomes)))
    # alpha = 0 equals the (strict) headcount share.
    assert fgt(incomes, line, 0) == approx(sum(y < line for y in incomes) / len(incomes))
    # Monotone in alpha for gaps <= 1: P0 >= P1 >= P2.
    p0, p1, p2 = (fgt(incomes, line, a) for a in (0, 1, 2))
    assert p0 >= p1 - 1e-12 and p1 >= p2 - 1e-12
    if sum(pop) > 0:
        for alpha in (0, 1, 2, 1.5):
            weighted = fgt(incomes, line, alpha, pop)
            replicated = fgt(np.repeat(incomes, pop), line, alpha)
            assert weighted == approx(replicated, abs=1e-12)


# --------------------------------------------------------------------------- targeting errors

# 2x2 table over 10 units:
#                 selected   not selected
#   eligible          3            2          (5 eligible)
#   not eligible      1            4          (5 not eligible)
#                     4            6
ELIGIBLE = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0]
SELECTED = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]


def test_targeting_errors_hand_example() -> None:
    # exclusion = 2/5 = 0.4; inclusion of selected = 1/4 = 0.25;
    # inclusion of non-eligible = 1/5 = 0.2; coverage = 4/10 = 0.4.
    t = targeting_errors(ELIGIBLE, SELECTED)
    assert t.exclusion_error == approx(0.4)
    assert t.inclusion_error_of_selected == approx(0.25)
    assert t.inclusion_error_of_noneligible == approx(0.2)
    assert t.coverage == approx(0.4)


def test_targeting_errors_person_weighted_hand_example() -> None:
    # One household per cell, sized by the cell count: same answers as above.
    t = targeting_errors([True, True, False, False], [True, False, True, False], population=[3, 2, 1, 4])
    assert (t.exclusion_error, t.inclusion_error_of_selected) == approx((0.4, 0.25))
    assert (t.inclusion_error_of_noneligible, t.coverage) == approx((0.2, 0.4))
    # Sizes 1, 1, 2, 6 (N = 10): exclusion 1/2, inclusion of selected 2/3,
    # inclusion of non-eligible 2/8 = 1/4, coverage 3/10.
    t = targeting_errors([1, 1, 0, 0], [1, 0, 1, 0], population=[1, 1, 2, 6])
    assert (t.exclusion_error, t.inclusion_error_of_selected) == approx((1 / 2, 2 / 3))
    assert (t.inclusion_error_of_noneligible, t.coverage) == approx((1 / 4, 3 / 10))


def test_targeting_errors_zero_denominators_are_nan() -> None:
    # Nobody selected: inclusion of selected is 0/0 -> nan; everyone eligible: non-eligible 0/0 -> nan.
    t = targeting_errors([1, 1], [0, 0])
    assert t.exclusion_error == 1.0 and t.coverage == 0.0
    assert math.isnan(t.inclusion_error_of_selected)
    assert math.isnan(t.inclusion_error_of_noneligible)
    # Nobody eligible -> exclusion nan.
    assert math.isnan(targeting_errors([0, 0], [1, 0]).exclusion_error)
    # No units at all -> everything nan.
    empty = targeting_errors([], [])
    assert all(math.isnan(x) for x in dataclasses.astuple(empty))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (([1, 0], [1]), "eligible has length 2 but selected has length 1"),
        (([1, 2], [1, 0]), "eligible must contain only 0/1"),
        (([1, 0], [[1, 0]]), "selected must be 1-dimensional"),
        (([1, 0], [1, 0], [1, -2]), "population must be non-negative"),
        (([1, 0], [1, 0], [1]), "population must have length 2"),
    ],
)
def test_targeting_errors_rejections(args: tuple[object, ...], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        targeting_errors(*args)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 4)), min_size=1, max_size=12))
def test_targeting_errors_weighted_equals_replicated(rows: list[tuple[bool, bool, int]]) -> None:
    e, s, pop = (list(col) for col in zip(*rows, strict=True))
    weighted = dataclasses.astuple(targeting_errors(e, s, pop))
    replicated = dataclasses.astuple(targeting_errors(np.repeat(e, pop), np.repeat(s, pop)))
    for a, b in zip(weighted, replicated, strict=True):
        assert (math.isnan(a) and math.isnan(b)) or a == approx(b)


# --------------------------------------------------------------------------- Coady-Grosh-Hoddinott


def test_cgh_simple_example() -> None:
    # 5 persons, welfare 10..50; poorest 40 % = 2 persons (welfare 10, 20) get 0 + 10 of 100.
    # Share 0.1; CGH = 0.1 / 0.4 = 0.25.
    assert coady_grosh_hoddinott([10, 20, 30, 40, 50], [0, 10, 20, 30, 40]) == approx(0.25)


def test_cgh_published_illustration() -> None:
    # CGH (2004): 60 % of benefits to the poorest 40 % gives 60/40 = 1.5.
    # 5 persons, the two poorest receive 30 + 30 = 60 of 100.
    assert coady_grosh_hoddinott([1, 2, 3, 4, 5], [30, 30, 20, 10, 10]) == approx(1.5)


def test_cgh_straddling_unit_split_proportionally() -> None:
    # Unsorted input.  Sorted by welfare: 100 (1 person, benefit 30), 200 (2, 30),
    # 300 (4, 40), 400 (3, 0).  N = 10, cut = 0.4 * 10 = 4 persons.
    # Cumulative persons before each: 0, 1, 3, 7.  The welfare-300 household straddles:
    # 4 - 3 = 1 of its 4 members lie below the cut -> counts 40 * 1/4 = 10.
    # Benefits to the poorest 40 %: 30 + 30 + 10 = 70 of 100 -> share 0.7 -> CGH 0.7 / 0.4 = 1.75.
    r = coady_grosh_hoddinott([300, 100, 400, 200], [40, 30, 0, 30], population=[4, 1, 3, 2])
    assert r == approx(1.75)
    # Second implementation: one row per person, each with an equal slice of the household benefit.
    persons_welfare = np.repeat([300, 100, 400, 200], [4, 1, 3, 2])
    persons_benefit = np.repeat([40 / 4, 30 / 1, 0 / 3, 30 / 2], [4, 1, 3, 2])
    assert coady_grosh_hoddinott(persons_welfare, persons_benefit) == approx(1.75)


def test_cgh_ties_form_one_group() -> None:
    # Welfare 1, 2, 2, 3 (one person each), N = 4, cut = 1.6 persons.
    # Group welfare 1: 1 person, before 0 -> fully counted (benefit 0).
    # Group welfare 2: 2 persons, before 1 -> (1.6 - 1)/2 = 0.3 of the group; its benefit 0 + 10 -> 3.
    # Total benefits 20: share 3/20 = 0.15 -> CGH 0.15/0.4 = 0.375, whatever the order of the tie.
    assert coady_grosh_hoddinott([1, 2, 2, 3], [0, 10, 0, 10]) == approx(0.375)
    assert coady_grosh_hoddinott([1, 2, 2, 3], [0, 0, 10, 10]) == approx(0.375)
    assert coady_grosh_hoddinott([3, 2, 1, 2], [10, 0, 0, 10]) == approx(0.375)


def test_cgh_unit_ending_exactly_at_cut() -> None:
    # Populations 2, 2, 6 (N = 10, cut = 4): the first two households end exactly at the cut and
    # count fully; the third starts at the cut and counts not at all.  Benefits 1, 1, 8 -> 2/10 -> 0.5.
    assert coady_grosh_hoddinott([1, 2, 3], [1, 1, 8], population=[2, 2, 6]) == approx(0.5)


def test_cgh_uniform_per_person_transfer_is_neutral() -> None:
    # Each person gets 5: benefits proportional to size -> share 0.4 -> CGH = 1.
    pop = [3, 1, 4, 1, 5, 9, 2, 6]
    assert coady_grosh_hoddinott([8, 3, 5, 1, 9, 2, 6, 4], [5 * p for p in pop], pop) == approx(1.0)


def test_cgh_zero_benefits_is_nan() -> None:
    assert math.isnan(coady_grosh_hoddinott([1, 2, 3], [0, 0, 0]))


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (([1, 2], [1]), "benefits must have length 2"),
        (([1, 2], [1, -1]), "benefits must be non-negative"),
        (([1, float("nan")], [1, 1]), "welfare must be finite"),
        (([], []), "at least one unit"),
        (([1, 2], [1, 1], [1, -1]), "population must be non-negative"),
        (([1, 2], [1, 1], [0, 0]), "population must have a positive total"),
        (([1, 2], [1, 1], [1, 2, 3]), "population must have length 2"),
    ],
)
def test_cgh_rejections(args: tuple[object, ...], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        coady_grosh_hoddinott(*args)  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 6), st.data())
def test_cgh_matches_sorted_prefix_reference(m: int, data: st.DataObject) -> None:
    # n = 5m persons with distinct welfare: the poorest 40 % are exactly the 2m lowest.
    n = 5 * m
    welfare = data.draw(st.permutations(list(range(n))))
    benefits = data.draw(st.lists(st.integers(0, 50), min_size=n, max_size=n).filter(lambda b: sum(b) > 0))
    order = sorted(range(n), key=lambda i: welfare[i])
    expected = sum(benefits[i] for i in order[: 2 * m]) / sum(benefits) / 0.4
    assert coady_grosh_hoddinott(welfare, benefits) == approx(expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 30), st.integers(1, 4)), min_size=1, max_size=10))
def test_cgh_weighted_equals_replicated(rows: list[tuple[int, int, int]]) -> None:
    welfare, benefits, pop = (list(col) for col in zip(*rows, strict=True))
    if sum(benefits) == 0:
        assert math.isnan(coady_grosh_hoddinott(welfare, benefits, pop))
        return
    weighted = coady_grosh_hoddinott(welfare, benefits, pop)
    replicated = coady_grosh_hoddinott(
        np.repeat(welfare, pop), np.repeat([b / p for b, p in zip(benefits, pop, strict=True)], pop)
    )
    assert weighted == approx(replicated, abs=1e-9)
    assert 0 <= weighted <= 2.5 + 1e-12
