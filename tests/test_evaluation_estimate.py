"""estimate_proportion against a hand-worked example and a second, plain-loop implementation of the textbook
formula (Wolter, Introduction to Variance Estimation, §1.7; what R's survey::svymean computes with nest=TRUE)."""

from __future__ import annotations

import math
import random
from collections import defaultdict

import pytest

from jingzhun.evaluation import estimate_proportion
from jingzhun.evaluation.student_t import t_quantile

# Stratum A: clusters a1 {(w2,y1),(w2,y0)}, a2 {(w4,y1)}; stratum B: b1 {(w1,y0),(w1,y0)}, b2 {(w2,y1)}, b3 {(w2,y0)}.
# Σw = 14, Σwy = 8, p = 4/7. Cluster totals of w(y − p)/Σw, in 49ths: a1 −1, a2 6; b1 −4, b2 3, b3 −4.
# A: mean 2.5, squares 2·3.5² = 24.5, ×2/1 = 49; B: mean −5/3, squares (7/3)²+(14/3)²+(7/3)² = 98/3, ×3/2 = 49.
# var = 98/2401 = 2/49, se = √2/7, df = 5 − 2 = 3.
HAND = dict(y=[1, 0, 1, 0, 0, 1, 0], weights=[2, 2, 4, 1, 1, 2, 2], strata=["A", "A", "A", "B", "B", "B", "B"],
            clusters=["a1", "a1", "a2", "b1", "b1", "b2", "b3"])


def test_the_hand_worked_example():
    r = estimate_proportion(HAND["y"], weights=HAND["weights"], strata=HAND["strata"], clusters=HAND["clusters"])
    assert r.estimate == pytest.approx(4 / 7, abs=1e-12)
    assert r.se == pytest.approx(math.sqrt(2) / 7, abs=1e-12)
    assert r.df == 3 and r.clusters == 5 and r.strata == 2
    # t(0.975, 3) = 3.182446305 (tables): 4/7 ± 0.6430 leaves [0, 1] on both sides, clipped.
    assert (r.low, r.high) == (0.0, 1.0)


def test_the_same_label_in_two_strata_is_two_clusters():
    # Relabel so both strata use "x" and "y": nothing may change.
    clusters = ["x", "x", "y", "x", "x", "y", "z"]
    r = estimate_proportion(HAND["y"], weights=HAND["weights"], strata=HAND["strata"], clusters=clusters)
    assert r.se == pytest.approx(math.sqrt(2) / 7, abs=1e-12) and r.clusters == 5 and r.df == 3


def test_student_t_quantiles_match_the_tables():
    for df, expected in [(1, 12.706204736), (2, 4.302652730), (3, 3.182446305), (10, 2.228138852),
                         (49, 2.009575237), (1000, 1.962339081)]:
        assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-8)


def plain(y, w, strata, clusters):
    """The textbook formula, written with loops and dicts."""
    total = sum(w)
    p = sum(wi * yi for wi, yi in zip(w, y)) / total
    z = defaultdict(float)
    for yi, wi, h, c in zip(y, w, strata, clusters):
        z[(h, c)] += wi * (yi - p) / total
    by_stratum = defaultdict(list)
    for (h, _c), value in z.items():
        by_stratum[h].append(value)
    var = 0.0
    for values in by_stratum.values():
        n = len(values)
        mean = sum(values) / n
        var += n / (n - 1) * sum((v - mean) ** 2 for v in values)
    df = len(z) - len(by_stratum)
    half = t_quantile(0.975, df) * math.sqrt(var)
    return p, math.sqrt(var), max(0.0, p - half), min(1.0, p + half), df


@pytest.mark.parametrize("seed", range(20))
def test_it_agrees_with_a_plain_loop_implementation(seed):
    rng = random.Random(seed)
    y, w, strata, clusters = [], [], [], []
    for h in range(rng.randint(1, 5)):
        for c in range(rng.randint(2, 8)):
            for _ in range(rng.randint(1, 12)):
                y.append(rng.random() < 0.3 if rng.random() < 0.8 else rng.random())
                w.append(rng.uniform(1, 50))
                strata.append(h)
                clusters.append(c)  # the same numbers in every stratum: nesting is the estimator's job
    r = estimate_proportion(y, weights=w, strata=strata, clusters=clusters)
    p, se, low, high, df = plain(y, w, strata, clusters)
    assert (r.estimate, r.se, r.low, r.high) == pytest.approx((p, se, low, high), abs=1e-12)
    assert r.df == df


@pytest.mark.parametrize(("change", "words"), [
    (dict(strata=["A", "A", "A", "B", "B", "B", "C"]), "only one cluster"),
    (dict(weights=[2, 2, 4, 1, 1, 2]), "unequal lengths"),
    (dict(clusters=["a1"]), "unequal lengths"),
    (dict(weights=[2, 2, 4, 1, 0, 2, 2]), "weights must be finite and > 0"),
    (dict(weights=[2, 2, 4, 1, -1, 2, 2]), "weights must be finite and > 0"),
    (dict(weights=[2, 2, 4, 1, float("nan"), 2, 2]), "weights must be finite and > 0"),
    (dict(y=[1, 0, 1, 0, 0, 1, 2]), "must lie in [0, 1]"),
    (dict(y=[1, 0, 1, 0, 0, 1, -0.1]), "must lie in [0, 1]"),
    (dict(y=[1, 0, 1, 0, 0, 1, float("nan")]), "must lie in [0, 1]"),
    (dict(y=[], weights=[], strata=[], clusters=[]), "non-empty"),
])
def test_bad_input_raises_value_error_naming_the_problem(change, words):
    args = {**HAND, **change}
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        estimate_proportion(args["y"], weights=args["weights"], strata=args["strata"], clusters=args["clusters"])


def test_an_interval_inside_zero_and_one_is_not_clipped():
    y = [1, 0, 0, 0] * 50
    strata = [0] * 100 + [1] * 100
    clusters = [i // 10 for i in range(200)]
    r = estimate_proportion(y, weights=[1.0] * 200, strata=strata, clusters=clusters)
    assert r.estimate == pytest.approx(0.25)
    assert 0 < r.low < 0.25 < r.high < 1
    assert r.high - r.estimate == pytest.approx(t_quantile(0.975, 18) * r.se)
