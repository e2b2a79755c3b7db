"""The one scoring function of the assessment (考核): indicator values in, points, totals, ranks and grades out.

Pure Python and NumPy: no database, no Django, no I/O. Every page, export, shortlist and CLI run that shows a
score gets it from :func:`score`, so the rules below are the only place a score is defined.

Rules (docs/assessment-scores.md has them for users, with a worked example)
--------------------------------------------------------------------------
Points per indicator, ``w`` its weight, ``t`` its target, ``v`` a unit's value:

- ``target``, higher is better: ``w × min(v / t, 1)``, and 0 when ``v ≤ 0``.
  ``target``, lower is better: ``w`` when ``v ≤ t``, else ``w × t / v``. The target must be positive.
- ``threshold``: ``w`` when the target is met (``v ≥ t`` for higher, ``v ≤ t`` for lower), else 0.
- ``rank``: among the ``n`` units that have a value, sorted best first, position ``p`` (0 = best) is worth
  ``w × (n − 1 − p) / (n − 1)``: the best gets ``w``, the worst 0. Units with equal values share the mean of
  the points of the positions they span. One unit alone gets ``w``.
- A missing value (no key, ``None`` or NaN) scores 0 and the code is listed in ``missing``: never full points,
  and never a rank position (the rank rule counts only the units that have a value).

Deductions: each kind has ``points`` per occurrence and a ``cap`` (``None`` = no cap); a unit with ``count``
occurrences loses ``min(points × count, cap)`` for that kind. ``deducted`` is the sum over kinds.

``total`` = the sum of the points (in indicator order) − ``deducted``, and never below 0.

``rank`` by total, 1 = best; tied units share the best rank of their tie and the next rank skips (1, 2, 2, 4).
``grades`` are ``(name, minimum)`` pairs from the top down; a unit gets the first grade whose minimum its total
reaches, or ``None``. ``excellent_share`` caps how many units may get the first grade at ``⌊share × n⌋`` (``n``
= all scored units, the share read as the decimal written, so 0.29 × 100 is 29), taken by rank: a tie that
straddles the cap gets none of it, and its units get the next grade they reach.

Totals are compared (ties, grade minimums) after rounding to ``TIE_DECIMALS`` decimal places, so two totals
that are equal on paper (60 + 25 and 70 + 15) tie even when floating point leaves them 1e-14 apart. The
``total`` returned is not rounded.

Bad input raises ``ValueError`` whose message names the indicator, deduction kind, grade or unit and the rule,
in Chinese and English: a weight that is not a non-negative number, an unknown rule or direction, a target
missing for a target or threshold rule or not positive for a target rule, a duplicate code, a value that is
not a finite number, a count for a kind with no deduction (or for a unit that is not scored), a count that is
not a non-negative integer, grades out of order, a share outside [0, 1].
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import math
import numbers
import operator
from collections.abc import Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np

RULES = ("target", "rank", "threshold")
DIRECTIONS = ("higher", "lower")
#: Totals are rounded to this many decimal places before they are compared (ranks, grade minimums).
TIE_DECIMALS = 9

_ABSENT = object()


@dataclass(frozen=True, slots=True)
class UnitScore:
    """One unit's score. ``points`` has every indicator of the scheme (0 for a missing value); ``missing``
    the codes without a value, in the scheme's order; ``rank`` 1 = best; ``grade`` a grade name or None."""

    total: float
    points: dict[str, float]
    missing: tuple[str, ...]
    deducted: float
    rank: int
    grade: str | None


class Indicator(NamedTuple):
    """An indicator as :func:`score` uses it, checked."""

    code: str
    weight: float
    direction: str
    rule: str
    target: float | None


class Deduction(NamedTuple):
    kind: str
    points: float
    cap: float | None


# --------------------------------------------------------------------------- reading the arguments


def _field(item: Any, name: str) -> Any:
    """``item[name]`` of a mapping or ``item.name`` of an object; ``_ABSENT`` when it has neither."""
    if isinstance(item, Mapping):
        return item.get(name, _ABSENT)
    return getattr(item, name, _ABSENT)


def _real(value: Any) -> float | None:
    """A finite real number as float, or None for anything else (booleans, text, NaN, ±inf)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _target(code: str, rule: str, raw: Any) -> float | None:
    if raw is _ABSENT or raw is None:
        if rule in ("target", "threshold"):
            raise ValueError(f"指标 {code}：{rule} 规则须有目标值 / indicator {code}: the {rule} rule needs a target")
        return None
    target = _real(raw)
    if target is None:
        raise ValueError(f"指标 {code}：目标值须为有限数值，而非 {raw!r} / "
                         f"indicator {code}: the target must be a finite number, not {raw!r}")
    if rule == "target" and target <= 0:
        raise ValueError(f"指标 {code}：target 规则的目标值须大于 0，而非 {raw!r} / "
                         f"indicator {code}: a target rule needs a target greater than 0, not {raw!r}")
    return target


def _indicator(position: int, item: Any) -> Indicator:
    code = _field(item, "code")
    if not isinstance(code, str) or not code:
        raise ValueError(f"第 {position} 个指标没有代码 / indicator {position} has no code")
    raw_weight = _field(item, "weight")
    weight = _real(raw_weight)
    if weight is None or weight < 0:
        shown = "missing" if raw_weight is _ABSENT else repr(raw_weight)
        raise ValueError(f"指标 {code}：权重须为不小于 0 的数值，而非 {shown} / "
                         f"indicator {code}: the weight must be a number ≥ 0, not {shown}")
    direction, rule = _field(item, "direction"), _field(item, "rule")
    if direction not in DIRECTIONS:
        shown = "missing" if direction is _ABSENT else repr(direction)
        raise ValueError(f"指标 {code}：方向须为 higher 或 lower，而非 {shown} / "
                         f"indicator {code}: the direction must be higher or lower, not {shown}")
    if rule not in RULES:
        shown = "missing" if rule is _ABSENT else repr(rule)
        raise ValueError(f"指标 {code}：规则须为 target、rank 或 threshold，而非 {shown} / "
                         f"indicator {code}: the rule must be target, rank or threshold, not {shown}")
    return Indicator(code, weight, direction, rule, _target(code, rule, _field(item, "target")))


def checked_indicators(indicators: Iterable[Any]) -> tuple[Indicator, ...]:
    """The indicators as :class:`Indicator`, or ``ValueError`` naming the first bad one."""
    checked = tuple(_indicator(i, item) for i, item in enumerate(indicators, start=1))
    seen: set[str] = set()
    for ind in checked:
        if ind.code in seen:
            raise ValueError(f"指标 {ind.code} 出现两次 / indicator {ind.code} is listed twice")
        seen.add(ind.code)
    return checked


def _deduction(position: int, item: Any) -> Deduction:
    kind = _field(item, "kind")
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"第 {position} 项扣分没有类别 / deduction {position} has no kind")
    raw_points, raw_cap = _field(item, "points"), _field(item, "cap")
    points = _real(raw_points)
    if points is None or points < 0:
        raise ValueError(f"扣分 {kind}：每次扣分须为不小于 0 的数值，而非 {raw_points!r} / "
                         f"deduction {kind}: points per occurrence must be a number ≥ 0, not {raw_points!r}")
    if raw_cap is _ABSENT or raw_cap is None:
        return Deduction(kind, points, None)
    cap = _real(raw_cap)
    if cap is None or cap < 0:
        raise ValueError(f"扣分 {kind}：上限须为不小于 0 的数值，而非 {raw_cap!r} / "
                         f"deduction {kind}: the cap must be a number ≥ 0, not {raw_cap!r}")
    return Deduction(kind, points, cap)


def checked_deductions(deductions: Iterable[Any]) -> dict[str, Deduction]:
    """The deductions by kind, or ``ValueError`` naming the first bad one."""
    by_kind: dict[str, Deduction] = {}
    for i, item in enumerate(deductions, start=1):
        deduction = _deduction(i, item)
        if deduction.kind in by_kind:
            raise ValueError(f"扣分类别 {deduction.kind} 出现两次 / deduction kind {deduction.kind} is listed twice")
        by_kind[deduction.kind] = deduction
    return by_kind


def checked_grades(grades: Iterable[Any]) -> tuple[tuple[str, float], ...]:
    """``(name, minimum)`` pairs (tuples, mappings or objects with ``name`` and ``minimum``), minimums
    strictly falling from the top grade down."""
    checked: list[tuple[str, float]] = []
    for i, item in enumerate(grades, start=1):
        if isinstance(item, tuple | list) and len(item) == 2:
            name, raw = item
        else:
            name, raw = _field(item, "name"), _field(item, "minimum")
        if not isinstance(name, str) or not name:
            raise ValueError(f"第 {i} 个等次没有名称 / grade {i} has no name")
        minimum = _real(raw)
        if minimum is None:
            raise ValueError(f"等次 {name}：最低分须为有限数值，而非 {raw!r} / "
                             f"grade {name}: the minimum must be a finite number, not {raw!r}")
        if checked and minimum >= checked[-1][1]:
            above = checked[-1]
            raise ValueError(f"等次 {name} 的最低分 {raw} 须低于上一等次 {above[0]} 的 {above[1]:g}（从高到低排列）/ "
                             f"grade {name}: its minimum {raw} must be below {above[1]:g} of the grade above, "
                             f"{above[0]} (grades go from the top down)")
        checked.append((name, minimum))
    return tuple(checked)


def _cap_count(share: Any, units: int) -> int | None:
    """⌊share × n⌋ read exactly: a float share is taken as the decimal it prints as."""
    if share is None:
        return None
    if _real(share) is None or not 0 <= float(share) <= 1:
        raise ValueError(f"优秀比例须为 0 到 1 之间的数，而非 {share!r} / "
                         f"excellent_share must be a number from 0 to 1, not {share!r}")
    exact = Fraction(str(float(share))) if isinstance(share, float | np.floating) else Fraction(share)
    return math.floor(exact * units)


# --------------------------------------------------------------------------- values


def _allowed_value_type(kind: type) -> bool:
    return kind is type(None) or (issubclass(kind, numbers.Real | Decimal) and not issubclass(kind, bool))


def _column(units: list[Hashable], rows: list[Any], code: str) -> np.ndarray:
    """One indicator's values over all units as floats, NaN where missing; a value that is not a number is
    named (unit and indicator) rather than read as 0 or as missing."""
    cells = [row.get(code) for row in rows]
    if not all(_allowed_value_type(kind) for kind in set(map(type, cells))):
        for unit, cell in zip(units, cells):
            if not _allowed_value_type(type(cell)):
                raise ValueError(f"单位 {unit} 的指标 {code}：取值须为数值或空，而非 {cell!r} / "
                                 f"unit {unit}, indicator {code}: the value must be a number or None, not {cell!r}")
    return np.array(cells, dtype=np.float64)


def _dict_rows(rows: list[Any], codes: list[str]) -> np.ndarray | None:
    """The fast path when every unit's values are a plain dict: one C-level itemgetter per unit instead of
    one ``get`` per cell (a unit lacking a code takes the ``get`` way). None when it does not apply."""
    if len(codes) < 2 or set(map(type, rows)) != {dict}:  # not on a defaultdict: a lookup would add keys
        return None
    getter = operator.itemgetter(*codes)
    cells: list[tuple[Any, ...]] = []
    append = cells.append
    for row in rows:
        try:
            append(getter(row))
        except KeyError:
            append(tuple(map(row.get, codes)))
    if not all(_allowed_value_type(kind) for kind in set(map(type, itertools.chain.from_iterable(cells)))):
        return None  # the per-column path names the bad value
    return np.array(cells, dtype=np.float64).reshape(len(rows), len(codes))


def value_matrix(units: list[Hashable], rows: list[Any], codes: list[str]) -> np.ndarray:
    """Units × indicators as floats, NaN where a value is missing; ``ValueError`` naming the unit and the
    indicator of a value that is not a finite number."""
    matrix = _dict_rows(rows, codes)
    if matrix is None:
        matrix = np.empty((len(rows), len(codes)))
        for j, code in enumerate(codes):
            matrix[:, j] = _column(units, rows, code)
    infinite = np.argwhere(np.isinf(matrix))
    if infinite.size:
        i, j = (int(x) for x in infinite[0])
        raise ValueError(f"单位 {units[i]} 的指标 {codes[j]}：取值须为有限数值，而非 {matrix[i, j]} / "
                         f"unit {units[i]}, indicator {codes[j]}: the value must be finite, not {matrix[i, j]}")
    return matrix


def _rows(values: Mapping[Hashable, Any]) -> list[Any]:
    rows = list(values.values())
    if not all(issubclass(kind, Mapping) for kind in set(map(type, rows))):
        for unit, row in values.items():
            if not isinstance(row, Mapping):
                raise ValueError(f"单位 {unit}：取值须为 {{指标代码: 数值}} / "
                                 f"unit {unit}: its values must be a mapping {{indicator code: number}}")
    return rows


# --------------------------------------------------------------------------- points


def _rank_points(column: np.ndarray, weight: float, direction: str) -> np.ndarray:
    """The rank rule over the units with a value; ties get the mean points of the positions they span."""
    points = np.zeros(column.size)
    present = np.flatnonzero(~np.isnan(column))
    n = present.size
    if n == 1:
        points[present] = weight
    elif n > 1:
        key = -column[present] if direction == "higher" else column[present]  # ascending key = best first
        _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
        first = np.cumsum(counts) - counts
        mean_position = first + (counts - 1) / 2
        points[present] = weight * (n - 1 - mean_position[inverse]) / (n - 1)
    return points


def indicator_points(column: np.ndarray, ind: Indicator) -> np.ndarray:
    """Points of one indicator for every unit (NaN values score 0)."""
    present = ~np.isnan(column)
    v = np.where(present, column, 0.0)
    if ind.rule == "rank":
        return _rank_points(column, ind.weight, ind.direction)
    target = float(ind.target)  # type: ignore[arg-type]  # checked_indicators: present for these rules
    if ind.rule == "threshold":
        met = v >= target if ind.direction == "higher" else v <= target
        return np.where(present & met, ind.weight, 0.0)
    if ind.direction == "higher":
        points = np.where(v > 0, ind.weight * np.minimum(v / target, 1.0), 0.0)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # v ≤ target > 0 takes the first branch
            points = np.where(v <= target, ind.weight, ind.weight * target / v)
    return np.where(present, points, 0.0)


def _whole(count: Any) -> bool:
    """A count of occurrences: a whole number ≥ 0, not a boolean (plain ints first: the common case, fast)."""
    if type(count) is int:
        return count >= 0
    return isinstance(count, numbers.Integral) and not isinstance(count, bool) and int(count) >= 0


def _deducted(units: list[Hashable], counts: Mapping[Hashable, Any] | None,
              deductions: dict[str, Deduction]) -> np.ndarray:
    deducted = np.zeros(len(units))
    if not counts:
        return deducted
    index = {unit: i for i, unit in enumerate(units)}
    for unit, by_kind in counts.items():
        if unit not in index:
            raise ValueError(f"扣分次数中的单位 {unit} 不在评分单位中 / counts name unit {unit}, which is not scored")
        lost = 0.0
        for kind, count in by_kind.items():
            deduction = deductions.get(kind)
            if deduction is None:
                raise ValueError(f"单位 {unit}：没有扣分类别 {kind} / unit {unit}: there is no deduction of kind {kind}")
            if not _whole(count):
                raise ValueError(f"单位 {unit} 的扣分 {kind}：次数须为不小于 0 的整数，而非 {count!r} / "
                                 f"unit {unit}, deduction {kind}: the count must be a whole number ≥ 0, not {count!r}")
            amount = deduction.points * int(count)
            lost += amount if deduction.cap is None else min(amount, deduction.cap)
        deducted[index[unit]] = lost
    return deducted


# --------------------------------------------------------------------------- ranks and grades


def competition_ranks(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rank, size of its tie) for each key, higher keys better: 1, 2, 2, 4."""
    _, inverse, counts = np.unique(-keys, return_inverse=True, return_counts=True)
    first = np.cumsum(counts) - counts
    return first[inverse] + 1, counts[inverse]


def _grade_names(keys: np.ndarray, ranks: np.ndarray, ties: np.ndarray,
                 grades: tuple[tuple[str, float], ...], cap: int | None) -> list[str | None]:
    if not grades:
        return [None] * keys.size
    falling = np.array([minimum for _, minimum in grades])
    # Index of the first grade reached = how many minimums lie above the key (minimums fall strictly).
    index = falling.size - np.searchsorted(falling[::-1], keys, side="right")
    if cap is not None:
        # A unit keeps the top grade only when its whole tie fits within the cap; otherwise it gets the
        # next grade, which it reaches because minimums fall.
        index = np.where((index == 0) & (ranks + ties - 1 > cap), 1, index)
    names: list[str | None] = [name for name, _ in grades]
    names.append(None)
    return [names[i] for i in index.tolist()]


# --------------------------------------------------------------------------- the function


def score(
    values: Mapping[Hashable, Mapping[str, Any]],
    indicators: Iterable[Any],
    *,
    deductions: Iterable[Any] = (),
    counts: Mapping[Hashable, Mapping[str, Any]] | None = None,
    grades: Iterable[Any] = (),
    excellent_share: Any = None,
) -> dict[Hashable, UnitScore]:
    """Score every unit of ``values`` (``{unit: {indicator_code: float | None}}``) under ``indicators``
    (mappings or objects with ``code``, ``weight``, ``direction``, ``rule``, ``target``); see the module's
    docstring for every rule. Codes in ``values`` that no indicator names are ignored. Returns
    ``{unit: UnitScore}`` in the order of ``values``."""
    checked = checked_indicators(indicators)
    by_kind = checked_deductions(deductions)
    grade_pairs = checked_grades(grades)
    units = list(values)
    cap = _cap_count(excellent_share, len(units))
    if not units:
        if counts:
            _deducted(units, counts, by_kind)  # names the first unit counted
        return {}
    with _collector_paused():
        return _score_units(units, _rows(values), checked, by_kind, counts, grade_pairs, cap)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of floats, dicts and UnitScores are made: none of
    them can form a cycle, and the collector's repeated passes over the growing heap otherwise take about
    half the time of a 200,000-unit run (measured: bench/bench_assessment_score.py)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _score_units(units: list[Hashable], rows: list[Any], checked: tuple[Indicator, ...],
                 by_kind: dict[str, Deduction], counts: Mapping[Hashable, Any] | None,
                 grade_pairs: tuple[tuple[str, float], ...], cap: int | None) -> dict[Hashable, UnitScore]:
    codes = [ind.code for ind in checked]
    matrix = value_matrix(units, rows, codes)
    missing = np.isnan(matrix)
    total = np.zeros(len(units))
    for j, ind in enumerate(checked):
        matrix[:, j] = indicator_points(matrix[:, j], ind)  # values are replaced by their points
        total += matrix[:, j]  # in indicator order, as a plain sum over the points would add them
    deducted = _deducted(units, counts, by_kind)
    total = np.maximum(total - deducted, 0.0)
    keys = np.round(total, TIE_DECIMALS)
    ranks, ties = competition_ranks(keys)
    grade_names = _grade_names(keys, ranks, ties, grade_pairs, cap)
    return _assemble(units, codes, matrix, missing, total, deducted, ranks, grade_names)


def _missing_codes(codes: list[str], missing: np.ndarray) -> list[tuple[str, ...]]:
    """Each unit's missing codes. Units share few patterns (often none, or the same "no data" indicators for
    all): one tuple per pattern, found by the pattern's bits as an integer (sorting rows of booleans is ten
    times slower), not one tuple per unit."""
    if len(codes) > 62:  # more than an int64's bits: one tuple per unit
        return [tuple(code for code, gone in zip(codes, row) if gone) for row in missing.tolist()]
    bits = missing.astype(np.int64) @ (np.int64(1) << np.arange(len(codes), dtype=np.int64))
    patterns, which = np.unique(bits, return_inverse=True)
    shared = [tuple(code for j, code in enumerate(codes) if pattern >> j & 1) for pattern in patterns.tolist()]
    return [shared[k] for k in which.tolist()]


def _assemble(units: list[Hashable], codes: list[str], matrix: np.ndarray, missing: np.ndarray,
              total: np.ndarray, deducted: np.ndarray, ranks: np.ndarray,
              grade_names: list[str | None]) -> dict[Hashable, UnitScore]:
    missing_codes = _missing_codes(codes, missing)
    return {
        unit: UnitScore(t, dict(zip(codes, row)), gone, d, r, g)
        for unit, row, gone, t, d, r, g in zip(units, matrix.tolist(), missing_codes, total.tolist(),
                                                deducted.tolist(), ranks.tolist(), grade_names)
    }
