"""The scoring function of the assessment (issue 16, "Scores") and its schemes.

Every expected figure below is worked by hand from the rules in the issue (the arithmetic is in the comments);
the property test compares score() with a second, deliberately plain implementation written here from the
issue's text, position by position and unit by unit, with none of the module's vectorised steps.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jingzhun.assessment import UnitScore, score
from jingzhun.assessment.schemes import SchemeError, load_scheme, parse_scheme, shipped


def ind(code, weight, rule, target=None, direction="higher"):
    return {"code": code, "weight": weight, "rule": rule, "target": target, "direction": direction}


def points_of(result, code):
    return {unit: s.points[code] for unit, s in result.items()}


# --------------------------------------------------------------------------- target rule


def test_target_higher_is_proportional_up_to_the_target_and_full_exactly_at_it():
    # weight 40, target 10: 5 → 40 × 5/10 = 20; 10 (exactly at target) → 40; 12 → capped at 40; 0 and −3 → 0.
    result = score({"a": {"x": 5}, "b": {"x": 10}, "c": {"x": 12}, "d": {"x": 0}, "e": {"x": -3}},
                   [ind("x", 40, "target", 10)])
    assert points_of(result, "x") == {"a": 20.0, "b": 40.0, "c": 40.0, "d": 0.0, "e": 0.0}


def test_target_lower_is_full_at_or_below_the_target_and_falls_as_target_over_value():
    # weight 30, target 5: 5 (exactly) → 30; 4 → 30; 10 → 30 × 5/10 = 15; 20 → 7.5; 0 → 30; −1 → 30.
    result = score({"a": {"x": 5}, "b": {"x": 4}, "c": {"x": 10}, "d": {"x": 20}, "e": {"x": 0}, "f": {"x": -1}},
                   [ind("x", 30, "target", 5, "lower")])
    assert points_of(result, "x") == {"a": 30.0, "b": 30.0, "c": 15.0, "d": 7.5, "e": 30.0, "f": 30.0}


def test_threshold_is_all_or_nothing_and_met_exactly_at_the_target():
    result = score({"a": {"up": 0.9, "down": 0.02}, "b": {"up": 0.8999, "down": 0.0201}, "c": {"up": 1, "down": 0}},
                   [ind("up", 10, "threshold", 0.9), ind("down", 5, "threshold", 0.02, "lower")])
    assert points_of(result, "up") == {"a": 10.0, "b": 0.0, "c": 10.0}
    assert points_of(result, "down") == {"a": 5.0, "b": 0.0, "c": 5.0}


def test_threshold_may_have_a_negative_target():
    # Income growth of at least −5% (a bad harvest year): −0.05 meets it, −0.06 does not.
    result = score({"a": {"g": -0.05}, "b": {"g": -0.06}}, [ind("g", 10, "threshold", -0.05)])
    assert points_of(result, "g") == {"a": 10.0, "b": 0.0}


# --------------------------------------------------------------------------- rank rule


def test_rank_is_linear_from_best_to_worst_and_ties_share_the_mean_of_their_positions():
    # n = 4, weight 30, higher better: 9 → position 0 → 30; the two 7s span positions 1 and 2, worth
    # 30 × 2/3 = 20 and 30 × 1/3 = 10, so each gets 15; 1 → position 3 → 0.
    result = score({"a": {"x": 7}, "b": {"x": 9}, "c": {"x": 1}, "d": {"x": 7}}, [ind("x", 30, "rank")])
    assert points_of(result, "x") == {"a": 15.0, "b": 30.0, "c": 0.0, "d": 15.0}


def test_rank_lower_puts_the_smallest_value_first():
    # n = 3, weight 12, lower better: 1 → 12, 2 → 6, 3 → 0.
    result = score({"a": {"x": 3}, "b": {"x": 1}, "c": {"x": 2}}, [ind("x", 12, "rank", direction="lower")])
    assert points_of(result, "x") == {"a": 0.0, "b": 12.0, "c": 6.0}


def test_rank_of_one_unit_alone_is_the_full_weight():
    assert points_of(score({"a": {"x": 0}}, [ind("x", 25, "rank")]), "x") == {"a": 25.0}
    # Alone among those with a value: the others are missing and take no position.
    result = score({"a": {"x": 3}, "b": {"x": None}, "c": {}}, [ind("x", 25, "rank")])
    assert points_of(result, "x") == {"a": 25.0, "b": 0.0, "c": 0.0}


def test_rank_all_tied_share_half_the_weight():
    # Three equal values span positions 0, 1, 2 worth 10, 5, 0: each gets 5.
    result = score({"a": {"x": 4}, "b": {"x": 4}, "c": {"x": 4}}, [ind("x", 10, "rank")])
    assert points_of(result, "x") == {"a": 5.0, "b": 5.0, "c": 5.0}


def test_rank_counts_only_units_with_a_value():
    # b is missing: n = 2 among a and c (10 best → 8, 2 → 0), not n = 3.
    result = score({"a": {"x": 10}, "b": {"x": None}, "c": {"x": 2}}, [ind("x", 8, "rank")])
    assert points_of(result, "x") == {"a": 8.0, "b": 0.0, "c": 0.0}
    assert result["b"].missing == ("x",) and result["c"].missing == ()


# --------------------------------------------------------------------------- missing values


@pytest.mark.parametrize("row", [{}, {"x": None}, {"x": float("nan")}], ids=["absent", "None", "NaN"])
@pytest.mark.parametrize("rule,target,direction", [
    ("target", 5, "lower"),  # read as 0, a missing value would be "at or below the target": full points
    ("threshold", 5, "lower"),
    ("target", 5, "higher"),
    ("rank", None, "higher"),
])
def test_a_missing_value_scores_zero_and_is_listed_never_full(row, rule, target, direction):
    result = score({"gone": row, "there": {"x": 1}}, [ind("x", 20, rule, target, direction), ind("y", 5, "rank")])
    assert result["gone"].points["x"] == 0.0
    assert result["gone"].missing == ("x", "y")
    assert result["there"].missing == ("y",)
    assert result["gone"].total == 0.0


def test_codes_no_indicator_names_are_ignored():
    result = score({"a": {"x": 10, "other": "anything at all"}}, [ind("x", 10, "target", 10)])
    assert result["a"].points == {"x": 10.0} and result["a"].total == 10.0


# --------------------------------------------------------------------------- deductions, total


def test_deductions_are_per_occurrence_up_to_the_cap_per_kind():
    # kinds: visit 3 per occurrence, cap 5; funds 4 per occurrence, no cap.
    # a: 1 visit → 3; b: 2 visits → min(6, 5) = 5; c: 2 visits + 3 funds → 5 + 12 = 17; d: 0 visits → 0.
    values = {u: {"x": 100} for u in "abcde"}
    result = score(values, [ind("x", 100, "target", 100)],
                   deductions=[{"kind": "visit", "points": 3, "cap": 5}, {"kind": "funds", "points": 4, "cap": None}],
                   counts={"a": {"visit": 1}, "b": {"visit": 2}, "c": {"visit": 2, "funds": 3}, "d": {"visit": 0}})
    assert {u: s.deducted for u, s in result.items()} == {"a": 3.0, "b": 5.0, "c": 17.0, "d": 0.0, "e": 0.0}
    assert {u: s.total for u, s in result.items()} == {"a": 97.0, "b": 95.0, "c": 83.0, "d": 100.0, "e": 100.0}


def test_deductions_past_the_total_leave_zero_not_a_negative_total():
    # 10 points earned, 3 findings × 8 = 24 (cap 30) lost: total max(10 − 24, 0) = 0; deducted stays 24.
    result = score({"a": {"x": 5}, "b": {"x": 5}}, [ind("x", 20, "target", 10)],
                   deductions=[{"kind": "fake", "points": 8, "cap": 30}], counts={"a": {"fake": 3}})
    assert result["a"].total == 0.0 and result["a"].deducted == 24.0
    assert result["b"].total == 10.0 and result["a"].rank == 2


def test_total_is_the_sum_of_points_less_deductions():
    # target 40 × 5/10 = 20, rank (alone) 30, threshold 30 → 80; one finding of 2.5 → 77.5.
    result = score({"a": {"x": 5, "y": 1, "z": 5}}, [ind("x", 40, "target", 10), ind("y", 30, "rank"),
                                                     ind("z", 30, "threshold", 5, "lower")],
                   deductions=[{"kind": "k", "points": 2.5, "cap": 10}], counts={"a": {"k": 1}})
    assert result["a"] == UnitScore(total=77.5, points={"x": 20.0, "y": 30.0, "z": 30.0}, missing=(),
                                    deducted=2.5, rank=1, grade=None)


# --------------------------------------------------------------------------- ranks and grades


def test_ranks_by_total_share_the_best_rank_and_skip():
    result = score({"a": {"x": 90}, "b": {"x": 80}, "c": {"x": 80}, "d": {"x": 70}}, [ind("x", 100, "target", 100)])
    assert {u: s.rank for u, s in result.items()} == {"a": 1, "b": 2, "c": 2, "d": 4}


def test_totals_equal_on_paper_tie_despite_floating_point():
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; it ties with 0.3 and reaches a minimum of 0.3.
    inds = [ind("a", 0.1, "threshold", 1), ind("b", 0.2, "threshold", 1), ind("c", 0.3, "threshold", 1)]
    result = score({"ab": {"a": 1, "b": 1, "c": 0}, "c": {"a": 0, "b": 0, "c": 1}, "a": {"a": 1, "b": 0, "c": 0}},
                   inds, grades=[("top", 0.3), ("rest", 0)])
    assert (result["ab"].rank, result["c"].rank, result["a"].rank) == (1, 1, 3)
    assert result["ab"].grade == result["c"].grade == "top"


def test_grades_go_to_the_first_minimum_reached_exactly_at_it_or_none():
    values = {"a": {"x": 90}, "b": {"x": 89.99}, "c": {"x": 75}, "d": {"x": 59}}
    result = score(values, [ind("x", 100, "target", 100)], grades=[("好", 90), ("较好", 75), ("一般", 60)])
    assert {u: s.grade for u, s in result.items()} == {"a": "好", "b": "较好", "c": "较好", "d": None}


def test_grades_may_be_mappings_or_objects():
    @dataclass
    class G:
        name: str
        minimum: float

    values = {"a": {"x": 90}, "b": {"x": 50}}
    for grades in ([{"name": "A", "minimum": 80}, {"name": "B", "minimum": 0}], [G("A", 80), G("B", 0)]):
        assert [s.grade for s in score(values, [ind("x", 100, "target", 100)], grades=grades).values()] == ["A", "B"]


GRADES = [("好", 90), ("较好", 75), ("一般", 60), ("较差", 0)]


def ten_units(*totals):
    return {f"u{i}": {"x": t} for i, t in enumerate(totals)}


def test_excellent_share_caps_the_top_grade_by_rank():
    # n = 10, share 0.2 → ⌊2⌋ = 2 units may be 好: the best two of the four that reach 90.
    values = ten_units(99, 97, 95, 92, 80, 70, 65, 60, 50, 10)
    result = score(values, [ind("x", 100, "target", 100)], grades=GRADES, excellent_share=0.2)
    assert [s.grade for s in result.values()] == ["好", "好", "较好", "较好", "较好", "一般", "一般", "一般",
                                                  "较差", "较差"]


def test_a_tie_straddling_the_cap_gets_none_of_the_top_grade():
    # n = 10, share 0.2 → 2. u0 is rank 1; u1 and u2 tie at rank 2 and span positions 2–3: past the cap, so
    # neither gets 好 (not one of them at random); they get 较好, the next grade they reach.
    values = ten_units(99, 95, 95, 92, 80, 70, 65, 60, 50, 10)
    result = score(values, [ind("x", 100, "target", 100)], grades=GRADES, excellent_share=0.2)
    assert [s.rank for s in result.values()][:4] == [1, 2, 2, 4]
    assert [s.grade for s in result.values()][:4] == ["好", "较好", "较好", "较好"]


def test_a_tie_ending_exactly_at_the_cap_keeps_the_top_grade():
    # share 0.3 → 3: the tie at positions 2–3 fits, the next unit (position 4) is past the cap.
    values = ten_units(99, 95, 95, 92, 80, 70, 65, 60, 50, 10)
    result = score(values, [ind("x", 100, "target", 100)], grades=GRADES, excellent_share=0.3)
    assert [s.grade for s in result.values()][:4] == ["好", "好", "好", "较好"]


def test_a_tie_at_the_top_straddling_the_cap_leaves_the_top_grade_empty():
    # share 0.1 of 10 → 1; the two best tie at rank 1 → nobody is 好.
    values = ten_units(95, 95, 92, 80, 70, 65, 60, 50, 40, 10)
    result = score(values, [ind("x", 100, "target", 100)], grades=GRADES, excellent_share=0.1)
    assert [s.grade for s in result.values()][:3] == ["较好", "较好", "较好"]


def test_a_unit_held_from_a_single_grade_gets_none():
    values = ten_units(95, 94, 93, 92, 91, 90, 20, 20, 20, 20)
    result = score(values, [ind("x", 100, "target", 100)], grades=[("优秀", 90)], excellent_share=0.2)
    assert [s.grade for s in result.values()] == ["优秀", "优秀"] + [None] * 8


def test_the_share_is_read_as_the_decimal_written():
    # 0.29 × 100 is 28.999999999999996 in floating point; the cap is 29.
    values = {f"u{i:03}": {"x": 100 - i * 0.1} for i in range(100)}
    result = score(values, [ind("x", 100, "target", 100)], grades=[("A", 0)], excellent_share=0.29)
    assert sum(s.grade == "A" for s in result.values()) == 29
    exact = score(values, [ind("x", 100, "target", 100)], grades=[("A", 0), ("B", -1)],
                  excellent_share=Fraction(29, 100))
    assert sum(s.grade == "A" for s in exact.values()) == 29


def test_a_share_of_zero_gives_nobody_the_top_grade_and_one_gives_all_who_reach_it():
    values = ten_units(99, 97, 95, 92, 80, 70, 65, 60, 50, 10)
    none = score(values, [ind("x", 100, "target", 100)], grades=GRADES, excellent_share=0)
    assert "好" not in {s.grade for s in none.values()}
    every = score(values, [ind("x", 100, "target", 100)], grades=GRADES, excellent_share=1)
    assert sum(s.grade == "好" for s in every.values()) == 4


# --------------------------------------------------------------------------- shapes of input and output


def test_indicators_may_be_objects_and_values_any_mapping():
    @dataclass
    class Ind:
        code: str
        weight: float
        rule: str
        target: float | None
        direction: str

    values = {"a": MappingProxyType({"x": 5, "y": 2}), "b": MappingProxyType({"x": 10, "y": 1})}
    result = score(values, [Ind("x", 10, "target", 10, "higher"), Ind("y", 10, "rank", None, "lower")])
    assert {u: s.total for u, s in result.items()} == {"a": 5.0, "b": 20.0}


def test_a_defaultdict_of_values_is_read_not_written():
    row = defaultdict(lambda: None, {"x": 4.0})
    score({"a": row, "b": {"x": 1.0, "y": 2.0}}, [ind("x", 10, "rank"), ind("y", 10, "rank")])
    assert dict(row) == {"x": 4.0}


def test_the_result_keeps_the_units_order_and_plain_types():
    result = score({3: {"x": 1}, 1: {"x": 3}, 2: {"x": 2}}, [ind("x", 10, "rank")])
    assert list(result) == [3, 1, 2]
    s = result[1]
    assert type(s.total) is float and type(s.rank) is int and type(s.points["x"]) is float
    assert score({}, [ind("x", 10, "rank")]) == {}


def test_numbers_of_other_types_are_read_as_numbers():
    from decimal import Decimal

    import numpy as np
    result = score({"a": {"x": Decimal("5")}, "b": {"x": np.float32(2.5)}, "c": {"x": Fraction(15, 2)}},
                   [ind("x", np.int64(10), "target", Decimal("10"))])
    assert points_of(result, "x") == {"a": 5.0, "b": 2.5, "c": 7.5}


def test_the_garbage_collector_is_left_as_it_was():
    import gc
    assert gc.isenabled()
    score({"a": {"x": 1}}, [ind("x", 10, "rank")])
    assert gc.isenabled()
    gc.disable()
    try:
        score({"a": {"x": 1}}, [ind("x", 10, "rank")])
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ValueError):
        score({"a": {"x": "1"}}, [ind("x", 10, "rank")])
    assert gc.isenabled()


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad,named", [
    (ind("visits", "10", "target", 1), "visits"),
    (ind("visits", True, "target", 1), "visits"),
    (ind("visits", None, "target", 1), "visits"),
    (ind("visits", float("nan"), "target", 1), "visits"),
    (ind("visits", -1, "target", 1), "visits"),
    ({"code": "visits", "rule": "target", "target": 1, "direction": "higher"}, "weight"),
    (ind("visits", 10, "linear", 1), "linear"),
    (ind("visits", 10, "target", 1, "up"), "up"),
    ({"code": "visits", "weight": 10, "rule": "rank"}, "direction"),
    (ind("visits", 10, "target", None), "the target rule needs a target"),
    (ind("visits", 10, "threshold", None), "the threshold rule needs a target"),
    (ind("visits", 10, "target", 0), "greater than 0"),
    (ind("visits", 10, "target", -2), "greater than 0"),
    (ind("visits", 10, "threshold", "high"), "finite number"),
])
def test_a_bad_indicator_is_named(bad, named):
    with pytest.raises(ValueError, match=named) as caught:
        score({"a": {"visits": 1}}, [ind("fine", 10, "rank"), bad])
    assert "visits" in str(caught.value) or "indicator 2" in str(caught.value)


def test_an_indicator_listed_twice_is_named():
    with pytest.raises(ValueError, match="indicator x is listed twice"):
        score({"a": {"x": 1}}, [ind("x", 10, "rank"), ind("x", 5, "rank")])


def test_a_count_for_a_kind_with_no_deduction_is_named():
    with pytest.raises(ValueError, match="unit a: there is no deduction of kind bribery"):
        score({"a": {"x": 1}}, [ind("x", 10, "rank")], deductions=[{"kind": "fake", "points": 1, "cap": 5}],
              counts={"a": {"fake": 1, "bribery": 1}})
    with pytest.raises(ValueError, match="bribery"):
        score({"a": {"x": 1}}, [ind("x", 10, "rank")], counts={"a": {"bribery": 1}})


@pytest.mark.parametrize("count", [-1, 1.5, "2", True, None])
def test_a_count_that_is_not_a_whole_number_is_named(count):
    with pytest.raises(ValueError, match="unit a, deduction fake: the count must be a whole number"):
        score({"a": {"x": 1}}, [ind("x", 10, "rank")], deductions=[{"kind": "fake", "points": 1, "cap": 5}],
              counts={"a": {"fake": count}})


def test_a_count_for_a_unit_not_scored_is_named():
    with pytest.raises(ValueError, match="ghost"):
        score({"a": {"x": 1}}, [ind("x", 10, "rank")], deductions=[{"kind": "fake", "points": 1, "cap": 5}],
              counts={"ghost": {"fake": 1}})


@pytest.mark.parametrize("deduction,named", [
    ({"kind": "fake", "points": "1", "cap": 5}, "deduction fake: points"),
    ({"kind": "fake", "points": -1, "cap": 5}, "deduction fake: points"),
    ({"kind": "fake", "points": 1, "cap": "5"}, "deduction fake: the cap"),
    ({"points": 1, "cap": 5}, "deduction 1 has no kind"),
])
def test_a_bad_deduction_is_named(deduction, named):
    with pytest.raises(ValueError, match=named):
        score({"a": {"x": 1}}, [ind("x", 10, "rank")], deductions=[deduction])


def test_a_deduction_kind_listed_twice_is_named():
    with pytest.raises(ValueError, match="deduction kind fake is listed twice"):
        score({"a": {"x": 1}}, [ind("x", 10, "rank")],
              deductions=[{"kind": "fake", "points": 1, "cap": 5}, {"kind": "fake", "points": 2, "cap": 5}])


@pytest.mark.parametrize("value", ["12", True, [1], float("inf"), -float("inf")])
def test_a_value_that_is_not_a_finite_number_is_named_with_its_unit(value):
    values = {"a": {"x": 1, "y": 2}, "b": {"x": value, "y": 2}}
    with pytest.raises(ValueError, match="unit b, indicator x"):
        score(values, [ind("x", 10, "rank"), ind("y", 10, "rank")])


def test_units_whose_values_are_not_a_mapping_are_named():
    with pytest.raises(ValueError, match="unit b: its values must be a mapping"):
        score({"a": {"x": 1}, "b": [1]}, [ind("x", 10, "rank")])


@pytest.mark.parametrize("grades,named", [
    ([("好", 90), ("较好", 95)], "grade 较好: its minimum 95 must be below 90"),
    ([("好", 90), ("较好", 90)], "grade 较好"),
    ([("好", "90")], "grade 好: the minimum"),
    ([("", 90)], "grade 1 has no name"),
])
def test_bad_grades_are_named(grades, named):
    with pytest.raises(ValueError, match=named):
        score({"a": {"x": 1}}, [ind("x", 10, "rank")], grades=grades)


@pytest.mark.parametrize("share", [1.5, -0.1, "0.2", float("nan")])
def test_a_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(ValueError, match="excellent_share"):
        score({"a": {"x": 1}}, [ind("x", 10, "rank")], grades=GRADES, excellent_share=share)


# --------------------------------------------------------------------------- a second, plain implementation


def plain_score(values, indicators, deductions, counts, grades, share):
    """The issue's rules, read literally: unit by unit, position by position, no arrays."""
    units = list(values)
    points = {u: {} for u in units}
    missing = {u: [] for u in units}
    for i in indicators:
        code, w, rule, t, higher = i["code"], i["weight"], i["rule"], i["target"], i["direction"] == "higher"
        present = {}
        for u in units:
            v = values[u].get(code)
            if v is None or v != v:
                missing[u].append(code)
                points[u][code] = 0.0
            else:
                present[u] = v
        if rule == "rank":
            order = sorted(present, key=lambda u: present[u], reverse=higher)
            n = len(order)
            for u in present:
                if n == 1:
                    points[u][code] = w
                    continue
                span = [p for p, other in enumerate(order) if present[other] == present[u]]
                points[u][code] = sum(w * (n - 1 - p) / (n - 1) for p in span) / len(span)
        for u, v in present.items():
            if rule == "threshold":
                points[u][code] = w if (v >= t if higher else v <= t) else 0.0
            elif rule == "target" and higher:
                points[u][code] = 0.0 if v <= 0 else w * min(v / t, 1)
            elif rule == "target":
                points[u][code] = w if v <= t else w * t / v
    kinds = {d["kind"]: d for d in deductions}
    out = {}
    for u in units:
        deducted = 0.0
        for kind, count in counts.get(u, {}).items():
            d = kinds[kind]
            deducted += d["points"] * count if d["cap"] is None else min(d["points"] * count, d["cap"])
        total = max(sum(points[u].values()) - deducted, 0)
        out[u] = {"points": points[u], "missing": tuple(missing[u]), "deducted": deducted, "total": total}
    key = {u: round(out[u]["total"], 9) for u in units}
    cap = None if share is None else math.floor(Fraction(str(share)) * len(units))
    for u in units:
        rank = 1 + sum(key[o] > key[u] for o in units)
        last_position = rank - 1 + sum(key[o] == key[u] for o in units)  # 1-based position of the tie's last
        reached = [name for name, minimum in grades if key[u] >= minimum]
        if reached and reached[0] == grades[0][0] and cap is not None and last_position > cap:
            reached = reached[1:]
        out[u]["rank"] = rank
        out[u]["grade"] = reached[0] if reached else None
    return out


# Few distinct values, so that ties (in values and in totals) are common, next to halves from −1 to 6.
values_ = st.one_of(st.none(), st.sampled_from([0, 1, 5]), st.integers(-2, 12).map(lambda x: x / 2),
                    st.just(float("nan")))


@st.composite
def cases(draw):
    n_ind = draw(st.integers(1, 4))
    indicators = []
    for j in range(n_ind):
        rule = draw(st.sampled_from(["target", "rank", "threshold"]))
        target = {"target": draw(st.sampled_from([1, 2, 4, 5, 10])), "threshold": draw(st.sampled_from([-1, 0, 3, 5])),
                  "rank": None}[rule]
        indicators.append(ind(f"i{j}", draw(st.integers(0, 40)), rule, target,
                              draw(st.sampled_from(["higher", "lower"]))))
    units = [f"u{k}" for k in range(draw(st.integers(1, 9)))]
    values = {}
    for u in units:
        if values and draw(st.integers(0, 2)) == 0:  # a twin of an earlier unit: tied totals at any height
            values[u] = dict(values[draw(st.sampled_from(sorted(values)))])
            continue
        row = {}
        for i in indicators:
            v = draw(values_)
            if v is not None or draw(st.booleans()):  # a None value, or no key at all
                row[i["code"]] = v
        values[u] = row
    deductions = [{"kind": k, "points": draw(st.integers(1, 20)), "cap": draw(st.sampled_from([None, 5, 15, 30]))}
                  for k in draw(st.sets(st.sampled_from(["fake", "funds", "absent"]), max_size=3))]
    counts = {u: {d["kind"]: draw(st.integers(0, 4)) for d in deductions if draw(st.booleans())}
              for u in units if deductions and draw(st.booleans())}
    # Low minimums often, so that many units reach the top grade and the share's cap decides.
    minimums = sorted(draw(st.sets(st.sampled_from([0, 5, 10, 20, 30, 40, 60]) | st.integers(0, 100),
                                   min_size=int(draw(st.integers(0, 5)) > 0), max_size=4)), reverse=True)
    grades = [(f"g{m}", m) for m in minimums]
    share = draw(st.sampled_from([None, 0, 0.1, 0.25, 0.3, 0.5, 1]))
    if draw(st.booleans()):  # read-only mappings rather than dicts: the per-column way of reading values
        values = {u: MappingProxyType(row) for u, row in values.items()}
    return values, indicators, deductions, counts, grades, share


@settings(max_examples=400, deadline=None)
@given(cases())
def test_score_agrees_with_a_plain_implementation(case):
    values, indicators, deductions, counts, grades, share = case
    got = score(values, indicators, deductions=deductions, counts=counts, grades=grades, excellent_share=share)
    want = plain_score(values, indicators, deductions, counts, grades, share)
    assert list(got) == list(want)
    for unit, s in got.items():
        w = want[unit]
        assert s.points == pytest.approx(w["points"], abs=1e-9)
        assert s.total == pytest.approx(w["total"], abs=1e-9)
        assert (s.missing, s.deducted, s.rank, s.grade) == (w["missing"], w["deducted"], w["rank"], w["grade"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([40, 60, 75, 90, 95, 100]), min_size=1, max_size=14),
       st.sampled_from([0, 0.1, 0.2, 0.25, 0.3, 0.5, 1]))
def test_ranks_and_the_capped_top_grade_agree_with_a_plain_implementation(totals, share):
    # One indicator worth exactly its value: the totals are drawn directly, from few heights, so ties at the
    # top grade's cap are common.
    values = {f"u{i}": {"x": t} for i, t in enumerate(totals)}
    indicators = [ind("x", 100, "target", 100)]
    got = score(values, indicators, grades=GRADES, excellent_share=share)
    want = plain_score(values, indicators, [], {}, GRADES, share)
    assert [(s.rank, s.grade) for s in got.values()] == [(w["rank"], w["grade"]) for w in want.values()]


# --------------------------------------------------------------------------- schemes

# The indicator codes by unit type and their directions (the session's fixed list, s20-codes.md), written out
# here so that the shipped schemes are checked against it independently of the catalogue module.
AREA_CODES = {
    "poor_households_start": "lower", "poor_households_end": "lower", "poverty_incidence": "lower",
    "poor_reduction_rate": "higher", "exited_households": "higher", "returned_households": "lower",
    "income_mean": "higher", "income_median": "higher", "income_growth": "higher", "safe_housing_share": "higher",
    "safe_water_share": "higher", "road_share": "higher", "village_infrastructure": "higher",
    "helper_coverage": "higher", "team_coverage": "higher", "visits_per_household": "higher",
    "residence_days_met": "higher", "alerts_per_100": "lower", "plans_approved_share": "higher",
    "measures_on_time": "higher", "exit_error_rate": "lower", "missed_rate": "lower", "satisfaction": "higher",
    "funds_disbursed_share": "higher",
}
KNOWN = {
    "county": set(AREA_CODES), "township": set(AREA_CODES), "village": set(AREA_CODES),
    "work_team": {"residence_days_met", "visits_per_household", "alerts_per_100", "plans_approved_share",
                  "measures_on_time", "helper_coverage"},
    "cadre": {"visits_per_household", "alerts_per_100", "plans_approved_share", "measures_on_time",
              "income_growth"},
}


def county_text():
    return next(p for p in shipped() if p.name == "county-leadership-2016.toml").read_text(encoding="utf-8")


def test_every_shipped_scheme_loads_with_the_codes_of_its_unit_type():
    names = {p.name for p in shipped()}
    assert {"county-leadership-2016.toml", "work-team.toml", "helper.toml"} <= names
    units = {}
    for path in shipped():
        scheme = load_scheme(path, known_codes=KNOWN, directions=AREA_CODES)
        units[path.name] = scheme.unit
        assert sum(i.weight for i in scheme.indicators) == scheme.total == 100
        assert len(scheme.scoring_indicators(AREA_CODES)) == len(scheme.indicators)
    assert units["county-leadership-2016.toml"] == "county"
    assert units["work-team.toml"] == "work_team" and units["helper.toml"] == "cadre"


def test_the_county_scheme_has_the_four_groups_and_grades_of_2016():
    scheme = parse_scheme(county_text(), "county", known_codes=KNOWN, directions=AREA_CODES)
    assert [g.name_zh for g in scheme.groups.values()] == ["减贫成效", "精准识别", "精准帮扶", "扶贫资金"]
    assert {i.group for i in scheme.indicators} == set(scheme.groups)
    assert [g.name_zh for g in scheme.grades] == ["好", "较好", "一般", "较差"]


def test_a_scheme_scores_through_the_one_function():
    # Helper scheme: visits 30 (target 12), plans 20 (target 1), measures 20 (target 0.9), alerts 15 (target 5,
    # lower), income growth 15 (rank). h1: 12 visits → 30, plans 1 → 20, measures 0.9 → 20, alerts 2 → 15,
    # growth best → 15 = 100, minus one fabricated visit (5) = 95. h2: 6 visits → 15, plans 0.5 → 10, measures
    # 0.45 → 10, alerts 10 → 15 × 5/10 = 7.5, growth worst → 0 = 42.5. h3: no growth value → missing, 0.
    # The worked example of docs/assessment-scores.md.
    scheme = load_scheme(next(p for p in shipped() if p.name == "helper.toml"))
    values = {
        "h1": {"visits_per_household": 12, "plans_approved_share": 1, "measures_on_time": 0.9,
               "alerts_per_100": 2, "income_growth": 0.2},
        "h2": {"visits_per_household": 6, "plans_approved_share": 0.5, "measures_on_time": 0.45,
               "alerts_per_100": 10, "income_growth": 0.01},
        "h3": {"visits_per_household": 12, "plans_approved_share": 1, "measures_on_time": 0.9,
               "alerts_per_100": 0, "income_growth": None},
    }
    result = scheme.score(values, counts={"h1": {"fabricated_visits": 1}}, directions=AREA_CODES)
    assert [result[h].total for h in ("h1", "h2", "h3")] == [95.0, 42.5, 85.0]
    assert result["h3"].missing == ("income_growth",)
    assert [result[h].rank for h in ("h1", "h2", "h3")] == [1, 3, 2]
    assert result["h2"].points == {"visits_per_household": 15.0, "plans_approved_share": 10.0,
                                   "measures_on_time": 10.0, "alerts_per_100": 7.5, "income_growth": 0.0}
    # 3 helpers, share 0.15 → ⌊0.45⌋ = 0: nobody may be 优秀; h1 (95) is 称职, h3 (85) 称职, h2 不称职.
    assert [result[h].grade for h in ("h1", "h2", "h3")] == ["称职", "不称职", "称职"]
    assert scheme.grade("称职").name_en == "competent"


def test_a_scheme_needs_a_direction_from_the_file_or_the_catalogue():
    scheme = parse_scheme(county_text(), "county")
    with pytest.raises(ValueError, match="indicator poor_reduction_rate: neither the scheme nor the catalogue"):
        scheme.scoring_indicators({})
    text = county_text().replace('code = "satisfaction"', 'code = "satisfaction"\ndirection = "higher"')
    directions = {k: v for k, v in AREA_CODES.items() if k != "satisfaction"}
    assert parse_scheme(text, "x", directions=directions).indicators[6].direction == "higher"
    with pytest.raises(SchemeError, match=r"x: indicators\[7\].direction: .*write direction"):
        parse_scheme(county_text(), "x", directions=directions)


def broken(old, new, count=1):
    text = county_text()
    assert old in text
    return text.replace(old, new, count)


@pytest.mark.parametrize("text,key,message", [
    (broken("weight = 15\nrule = \"target\"\ntarget = 0.25", "weight = 12.5\nrule = \"target\"\ntarget = 0.25"),
     "indicators", "the weights sum to 97.5; they must sum to total = 100"),
    (broken("total = 100", "total = 120"), "indicators", "the weights sum to 100; they must sum to total = 120"),
    (broken("target = 0.25", "target = 0"), r"indicators\[1\].target", "a target rule needs a target greater than 0"),
    (broken("target = 0.02", ""), r"indicators\[5\].target", "the threshold rule needs a target"),
    (broken("rule = \"rank\"", "rule = \"rank\"\ntarget = 3"), r"indicators\[2\].target", "takes no target"),
    (broken("rule = \"rank\"", "rule = \"ranking\""), r"indicators\[2\].rule", "must be one of"),
    (broken("weight = 10", "weight = \"ten\""), r"indicators\[2\].weight", "must be a number"),
    (broken("weight = 10", "weight = 0"), r"indicators\[2\].weight", "greater than 0"),
    (broken("minimum = 75", "minimum = 95"), r"grades\[2\].minimum", "grades go from the top down"),
    (broken("group = \"funds\"", "group = \"money\""), r"indicators\[11\].group", "group money is not declared"),
    (broken("kind = \"funds_misuse\"", "kind = \"fabricated_figures\""), r"deductions\[2\].kind", "listed twice"),
    (broken("code = \"missed_rate\"", "code = \"exit_error_rate\""), r"indicators\[6\].code", "listed twice"),
    (broken("points = 5", "points = -5"), r"deductions\[2\].points", "greater than 0"),
    (broken("excellent_share = 0.2", "excellent_share = 1.2"), "excellent_share", "at most 1"),
    (broken("unit = \"county\"", "unit = \"province\""), "unit", "must be one of"),
    (broken("year = 2016", "year = \"2016\""), "year", "whole number"),
    (broken("year = 2016", "year = 2016\nyaer = 2017"), "yaer", "unknown key"),
    (broken("name_en = \"good\"\n", ""), r"grades\[1\].name_en", "missing required key"),
    (broken("code = \"satisfaction\"", "code = \"Satisfaction\""), r"indicators\[7\].code", "lower-case"),
])
def test_a_broken_scheme_names_the_file_the_key_and_the_rule(text, key, message):
    with pytest.raises(SchemeError) as caught:
        parse_scheme(text, "mine.toml")
    error = str(caught.value)
    assert "the scheme has" in error and "考核方案" in error
    assert any(p.startswith("mine.toml: ") for p in error.splitlines()[1:])
    assert any(__import__("re").search(f"^mine.toml: {key}: .*{message}", line) for line in error.splitlines()), error


def test_a_scheme_error_is_bilingual_and_lists_every_field_problem():
    text = broken("unit = \"county\"", "unit = \"province\"\ncolour = 1")
    text = text.replace("target = 0.25", "target = 0")
    with pytest.raises(SchemeError) as caught:
        parse_scheme(text, "mine.toml")
    assert [p.key for p in caught.value.problems] == ["unit", "indicators[1].target", "colour"]
    assert all(" / " in p.message for p in caught.value.problems)
    assert "须大于 0" in caught.value.problems[1].message


def test_codes_the_catalogue_lacks_for_the_unit_type_are_named():
    helper = next(p for p in shipped() if p.name == "helper.toml").read_text(encoding="utf-8")
    text = helper.replace("code = \"income_growth\"", "code = \"poverty_incidence\"")
    with pytest.raises(SchemeError, match=r"indicators\[5\].code: .*no indicator poverty_incidence for unit type cadre"):
        parse_scheme(text, "mine.toml", known_codes=KNOWN)
    with pytest.raises(SchemeError, match="no indicator poor_reduction_rate"):
        parse_scheme(county_text(), "mine.toml", known_codes={"income_mean"})


def test_toml_syntax_errors_and_unreadable_files_name_the_place(tmp_path: Path):
    with pytest.raises(SchemeError, match=r"mine.toml: TOML 语法错误 / TOML syntax error: .*line 2"):
        parse_scheme("year = 2016\nunit = \n", "mine.toml")
    with pytest.raises(SchemeError, match="cannot read"):
        load_scheme(tmp_path / "nope.toml")
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes("name_zh = \"县级考核\"\n".encode("gbk"))
    with pytest.raises(SchemeError, match=r"gbk.toml: 无法读取 / cannot read"):
        load_scheme(gbk)
