"""The three indicators the third-party evaluation brings — 错退率 (exit_error_rate), 漏评率 (missed_rate) and
群众认可度 (satisfaction) — for counties and the units above them, from `jingzhun.evaluation.results`.

- A county: `results.county_rates` of the latest evaluation of the year that sampled it — the evaluation the
  exit rule reads too (`jingzhun.exits.areas.evaluation_rates`), so a county's exit and its assessment never
  rest on two different samples.
- A city or province: the evaluation's stratified estimate over the counties it contains (`results.rates_over`,
  the estimate `overall_rates` makes for the whole evaluated area), from the latest evaluation of the year whose
  area holds the whole unit. An evaluation of one county does not speak for its city.
- Only when that evaluation's findings in the unit are complete (every sampled household's findings recorded);
  before any finding, while incomplete, with no evaluation of the year covering the unit, or where a rate has
  no design-based estimate, the value is None ("no data") — never 0.
- A village or township is not estimated: the sample is drawn per county, and a township's few households
  give no estimate with a known error. None there too.

The stored numerator is None (an estimate is not a count); the denominator is the number of sampled households
whose finding of that rate is recorded (what the estimate rests on).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Q

from jingzhun.areas.models import LEVEL_DEPTH, LEVEL_DIGITS, code_range
from jingzhun.evaluation import results
from jingzhun.evaluation.models import Evaluation, SampledHousehold

#: indicator code → the rate's name in `results.CountyRates`
RATES = {"exit_error_rate": "wrongly_exited", "missed_rate": "missed_poor", "satisfaction": "satisfied"}
LEVELS = ("county", "city", "province")
Cell = tuple[float | None, float | None, float | None]  # numerator, denominator, value


@dataclass(frozen=True)
class Sample:
    """One evaluation of the year: its area and its sampled households' rows (county, *results.COLUMNS),
    ordered by county so a unit's counties are one slice."""

    pk: int
    area: str
    level: str
    rows: list[tuple[Any, ...]]

    @property
    def counties(self) -> list[str]:
        return [r[0] for r in self.rows]

    def within(self, code: str, level: str) -> list[tuple[Any, ...]]:
        lo, hi = code_range(code, level)
        keys = self.counties
        return [r[1:] for r in self.rows[bisect.bisect_left(keys, lo):bisect.bisect_right(keys, hi)]]

    def covers(self, code: str, level: str) -> bool:
        """The evaluated area holds the whole unit (the unit is the area or lies inside it)."""
        if LEVEL_DEPTH[self.level] > LEVEL_DEPTH[level]:
            return False
        digits = LEVEL_DIGITS[self.level]
        return code[:digits] == self.area[:digits]

    def sampled(self, county: str) -> bool:
        keys = self.counties
        i = bisect.bisect_left(keys, county)
        return i < len(keys) and keys[i] == county


def samples(year: int) -> list[Sample]:
    """The evaluations of the year, newest first, each with its sampled households (one query each)."""
    out = []
    for ev in Evaluation.objects.filter(year=year).select_related("area").order_by("-pk"):
        rows = list(SampledHousehold.objects.filter(evaluation_id=ev.pk).order_by("county", "pk")
                    .values_list("county", *results.COLUMNS))
        out.append(Sample(ev.pk, ev.area.code, ev.area.level, rows))
    return out


def _chosen(found: list[Sample], code: str, level: str) -> Sample | None:
    for sample in found:  # newest first
        if sample.sampled(code) if level == "county" else sample.covers(code, level):
            return sample
    return None


def cells(sample: Sample | None, code: str, level: str) -> dict[str, Cell]:
    """The unit's three values from the chosen evaluation: None each unless its findings there are complete."""
    empty: dict[str, Cell] = {ind: (None, None, None) for ind in RATES}
    if sample is None:
        return empty
    rates = results.rates_over(sample.pk, code, sample.within(code, level))
    if rates.status != "complete":
        return empty
    out = dict(empty)
    for ind, name in RATES.items():
        rate = getattr(rates, name)
        if rate.proportion is not None:
            out[ind] = (None, float(rate.recorded), float(rate.proportion.estimate))
    return out


def values_for(year: int, units: dict[str, list[str]]) -> dict[str, dict[str, dict[str, Cell]]]:
    """{unit type: {unit: {indicator: cell}}} for the county, city and province units given (the others are
    not estimated and get nothing here: stored as None)."""
    wanted = {t: keys for t, keys in units.items() if t in LEVELS and keys}
    if not wanted:
        return {}
    found = samples(year)
    return {t: {code: cells(_chosen(found, code, t), code, t) for code in keys} for t, keys in wanted.items()}


def fingerprint(year: int) -> list[list[Any]]:
    """Per evaluation of the year: its id, households sampled, findings recorded (and the latest time), and how
    many of each finding are yes / no — so a new or changed finding gives a new fingerprint and a new version."""
    yes_no = {}
    for name in RATES.values():
        yes_no[f"{name}_yes"] = Count("households", filter=Q(**{f"households__{name}": True}))
        yes_no[f"{name}_no"] = Count("households", filter=Q(**{f"households__{name}": False}))
    rows = (Evaluation.objects.filter(year=year).order_by("pk")
            .annotate(n=Count("households"), recorded=Count("households__recorded_at"),
                      last=Max("households__recorded_at"), **yes_no)
            .values_list("pk", "area_id", "n", "recorded", "last", *yes_no))
    return [[None if v is None else str(v) for v in row] for row in rows]
