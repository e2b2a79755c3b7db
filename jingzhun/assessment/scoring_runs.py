"""Scoring runs: a scheme, a year and an area in; every unit of the scheme's type in the area scored by
`jingzhun.assessment.score` and stored with its rank and grade, audited.

The values are the stored snapshot's: the latest version of the year, except for the units of a township whose
figures were approved (signed off): those are read at the approved, frozen version, as every page about them
shows (`signoff.shown_version`). Each result records the version it was scored from. Deduction counts come from
the records (`jingzhun.assessment.violations`); kinds without records deduct nothing and are shown "no data".
Units are ranked among the units of the run — one area's — which the pages always name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from django.db import transaction
from django.utils import timezone

from jingzhun import access
from jingzhun.assessment import scheme_store, snapshots, violations
from jingzhun.assessment.models import ScoreResult, ScoringRun, Signoff, Value
from jingzhun.assessment.snapshots import AssessmentError, period_key
from jingzhun.audit.log import record


def _township(code: str) -> str | None:
    """The township an area code lies in (None above the township level) — as signoff.shown_version."""
    return code[:9].ljust(12, "0") if len(code) == 12 and code[6:9] != "000" else None


Row = tuple[str, str, str, Any, Any, Any]  # unit, area_code, indicator, numerator, denominator, value


def _rows(unit_type: str, year: int, area: str | None, version: int) -> list[Row]:
    qs = snapshots.values(unit_type, year, area, version)
    return list(qs.values_list("unit", "area_code", "indicator", "numerator", "denominator", "value"))


def read_values(unit_type: str, year: int, area: str | None) -> tuple[dict[str, list[Row]], dict[str, int], dict[str, Any]]:
    """The rows of each unit at the version its pages show: {unit: rows}, {unit: version}, and a summary of
    the versions used ({"latest": n, "frozen": {township: version}})."""
    latest = snapshots.latest_version(period_key(year))
    if latest is None:
        raise AssessmentError(f"{year} 年尚未计算指标 / no figures computed for {year}")
    frozen = dict(Signoff.objects.filter(period=period_key(year), state="approved").values_list("township", "version"))
    by_unit: dict[str, list[Row]] = defaultdict(list)
    version_of: dict[str, int] = {}
    for row in _rows(unit_type, year, area, latest):
        town = _township(row[1])
        if town in frozen and frozen[town] != latest:
            continue
        by_unit[row[0]].append(row)
        version_of[row[0]] = latest
    for v in sorted(set(frozen.values()) - {latest}):
        towns = {t for t, fv in frozen.items() if fv == v}
        for row in _rows(unit_type, year, area, v):
            if _township(row[1]) in towns:
                by_unit[row[0]].append(row)
                version_of[row[0]] = v
    used = {t: fv for t, fv in frozen.items() if any(_township(rows[0][1]) == t for rows in by_unit.values())}
    return dict(by_unit), version_of, {"latest": latest, "frozen": used}


def _check_area(user: object | None, area: str | None) -> str | None:
    if user is None:
        return area
    if not area:
        home = access.home_area(user, ability="assess")
        if home == "":
            raise PermissionError("没有考核权限 / no assessment role")
        area = home
    if area is not None and not access.can_see_area(user, area, ability="assess"):
        raise LookupError(f"区划 {area} 不存在或不在您的权限范围内 / no area {area} within your areas")
    return area


def run(ref: str, year: int, area: str | None = None, *, user: object | None = None, actor: str = "system"
        ) -> ScoringRun:
    """Score every unit of the scheme's type in `area` (the user's home area when not given; everywhere for the
    system) for `year`. LookupError for a scheme or area the user may not use; AssessmentError without figures."""
    stored = scheme_store.get(ref, user)
    area = _check_area(user, area)
    scheme = stored.scheme
    unit_type = scheme.unit
    by_unit, version_of, versions = read_values(unit_type, year, area)
    if not by_unit:
        raise AssessmentError(f"{year} 年该区域没有{unit_type}的指标值 / no {unit_type} values for {year} in this area")
    values: dict[Hashable, dict[str, Any]] = {u: {r[2]: r[5] for r in rows} for u, rows in by_unit.items()}
    residence = {u: next(((r[3], r[4]) for r in rows if r[2] == "residence_days_met"), (None, None))
                 for u, rows in by_unit.items()}
    found = violations.counts(unit_type, year, {u: rows[0][1] for u, rows in by_unit.items()}, residence)
    kinds = [d.kind for d in scheme.deductions]
    counts: dict[Hashable, dict[str, int]] = {u: c for u, c in violations.for_scheme(found, kinds).items()}
    scores = scheme.score(values, counts=counts, directions=scheme_store.directions())
    frozen_towns = set(versions["frozen"])
    with transaction.atomic():
        run = ScoringRun.objects.create(
            scheme_name=scheme.name_zh, scheme_name_en=scheme.name_en, scheme_source=stored.ref,
            scheme_text=stored.text, scheme_sha256=stored.sha256, unit_type=unit_type, year=year,
            area_code=area or "", versions=versions, actor=actor, created_at=timezone.now(), units=len(scores),
            grades=[[g.name_zh, g.name_en, float(g.minimum)] for g in scheme.grades])
        ScoreResult.objects.bulk_create([
            ScoreResult(run=run, unit=str(u), area_code=by_unit[str(u)][0][1], version=version_of[str(u)],
                        frozen=_township(by_unit[str(u)][0][1]) in frozen_towns, total=s.total, points=s.points,
                        missing=list(s.missing), deducted=s.deducted,
                        deductions={k: found[str(u)].get(k) for k in kinds},
                        violations={k: found[str(u)].get(k) for k in violations.FLAG_KINDS},
                        rank=s.rank, grade=s.grade or "")
            for u, s in scores.items()], batch_size=2000)
        record(actor, "assessment.score", object_type="assessment_run", object_id=str(run.pk), area=area or "",
               scheme=stored.ref, sha256=stored.sha256, unit_type=unit_type, year=year, units=len(scores),
               version=versions["latest"])
    return run


# --------------------------------------------------------------------------- reading, scoped


def visible_runs(user: object | None):  # type: ignore[no-untyped-def]
    """The runs with at least one result in the user's areas (through the roles carrying "assess"), in SQL."""
    if user is None or access.ranges(user, ability="assess") is None:
        return ScoringRun.objects.all()
    mine = access.scope(ScoreResult.objects.all(), user, "area_code", ability="assess").values("run_id")
    return ScoringRun.objects.filter(pk__in=mine)


def results(run: ScoringRun, user: object | None):  # type: ignore[no-untyped-def]
    """The run's results in the user's areas, best first."""
    qs = ScoreResult.objects.filter(run=run)
    if user is not None:
        qs = access.scope(qs, user, "area_code", ability="assess")
    return qs.order_by("rank", "unit")


def unit_values(run: ScoringRun, result: ScoreResult) -> dict[str, Value]:
    """The unit's stored values (numerator, denominator, value) at the version it was scored from."""
    qs = snapshots.values(run.unit_type, run.year, version=result.version).filter(unit=result.unit)
    return {v.indicator: v for v in qs}


def latest_runs(year: int, user: object | None, unit_type: str | None = None) -> list[ScoringRun]:
    """The newest visible run of each unit type (and scheme) for the year: what the flags and trends read."""
    qs = visible_runs(user).filter(year=year)
    if unit_type:
        qs = qs.filter(unit_type=unit_type)
    seen: set[tuple[str, str]] = set()
    out = []
    for r in qs.order_by("-created_at", "-id"):
        key = (r.unit_type, r.scheme_sha256)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out
