"""Aggregates of a run by area, with the definitions of jingzhun.measures (person-weighted):

- incidence: share of persons in households identified poor (status 贫困);
- P0, P1, P2: `measures.fgt` of per-capita income against the run's poverty line, each household weighted
  by its size; households without an income record (or without members) are not units;
- H, A, M0: `measures.alkire_foster` from the stored MPI points (score ≥ k is the integer comparison
  points ≥ k × denominator), person-weighted.

Computed in SQL on the run's stored results (one GROUP BY over the run), so a dashboard reads the same
numbers the library would compute; tests/test_identification.py proves they agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db import connection
from django.db.models import QuerySet

from jingzhun.areas.models import LEVEL_DIGITS
from jingzhun.identification import codes
from jingzhun.identification.models import HouseholdResult, IdentificationRun


@dataclass(frozen=True)
class AreaAggregate:
    code: str  # the area's 12-digit code
    households: int
    persons: int
    poor_households: int
    monitored_households: int
    incidence: float
    P0: float
    P1: float
    P2: float
    H: float | None  # None when the policy has no MPI
    A: float | None
    M0: float | None


def _share(num: float, den: float) -> float:
    return float(num) / float(den) if den else float("nan")


def by_area(run: IdentificationRun, level: str = "county", within: tuple[str, str] | None = None) -> list[AreaAggregate]:
    """One row per area at `level` (province, city, county, township, village) holding results of `run`;
    `within` restricts to a code range (the caller's scope from jingzhun.access)."""
    digits = LEVEL_DIGITS[level]
    line = Decimal(str(run.policy["poverty_line"]))
    k_points = 0
    if run.mpi_denominator:
        k = Fraction(run.policy["mpi"]["k"])
        k_points = k.numerator * (run.mpi_denominator // k.denominator)
    result = HouseholdResult._meta.db_table
    where = "r.run_id = %s"
    if within is not None:
        where += " AND h.village_id BETWEEN %s AND %s"
    sql = f"""
        SELECT SUBSTR(h.village_id, 1, {digits}) AS prefix,
               COUNT(*), SUM(r.size),
               SUM(CASE WHEN r.status = {codes.POOR} THEN 1 ELSE 0 END),
               SUM(CASE WHEN r.status = {codes.MONITORED} THEN 1 ELSE 0 END),
               SUM(CASE WHEN r.status = {codes.POOR} THEN r.size ELSE 0 END),
               SUM(CASE WHEN r.per_capita_income IS NOT NULL THEN r.size ELSE 0 END),
               SUM(CASE WHEN r.per_capita_income < %s THEN r.size ELSE 0 END),
               SUM(CASE WHEN r.per_capita_income < %s THEN r.size * (%s - r.per_capita_income) ELSE 0 END),
               SUM(CASE WHEN r.per_capita_income < %s
                        THEN r.size * (%s - r.per_capita_income) * (%s - r.per_capita_income) ELSE 0 END),
               SUM(CASE WHEN r.mpi_points >= %s THEN r.size ELSE 0 END),
               SUM(CASE WHEN r.mpi_points >= %s THEN r.size * r.mpi_points ELSE 0 END)
        FROM {result} r JOIN registry_household h ON h.id = r.household_id
        WHERE {where}
        GROUP BY SUBSTR(h.village_id, 1, {digits}) ORDER BY 1"""
    params: list[Decimal | int | str] = [line, line, line, line, line, line, k_points, k_points, run.id]
    if within is not None:
        params += list(within)
    out = []
    z = float(line)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        for (prefix, households, persons, poor_h, mon_h, poor_p, income_p, p0, p1, p2, h_n, a_points) in cur.fetchall():
            persons = int(persons or 0)
            mpi = bool(run.mpi_denominator)
            h = _share(h_n, persons) if mpi else None
            a = (float(a_points) / run.mpi_denominator / float(h_n) if h_n else 0.0) if mpi else None
            out.append(AreaAggregate(
                code=str(prefix).ljust(12, "0"), households=int(households), persons=persons,
                poor_households=int(poor_h), monitored_households=int(mon_h), incidence=_share(poor_p, persons),
                P0=_share(p0, income_p), P1=_share(float(p1) / z, income_p), P2=_share(float(p2) / z / z, income_p),
                H=h, A=a, M0=None if h is None or a is None else h * a))
    return out


def _outermost(spans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop ranges inside another (a role at a county and one at its township count once)."""
    out: list[tuple[str, str]] = []
    # Lowest start first; for equal starts the widest (highest end) first, so it swallows the others.
    for low, high in sorted(set(spans), key=lambda s: (s[0], [-ord(c) for c in s[1]])):
        if out and out[-1][0] <= low and high <= out[-1][1]:
            continue
        out.append((low, high))
    return out


def by_area_for(user: object, run: IdentificationRun, level: str = "county") -> list[AreaAggregate]:
    """`by_area` limited to what `user` may see on the dashboard (jingzhun.access): one pass per area the
    user holds a dashboard role at. An area at `level` wider than the user's own counts only its visible
    part."""
    from jingzhun import access

    roles = frozenset(role for role, abilities in access.ABILITIES.items() if "dashboard" in abilities)
    spans = access.ranges(user, roles=roles)
    if spans is None:
        return by_area(run, level)
    rows: list[AreaAggregate] = []
    for span in _outermost(spans):
        rows += by_area(run, level, within=span)
    return sorted(rows, key=lambda a: a.code)


def results_for(user: object, run: IdentificationRun) -> QuerySet[HouseholdResult]:
    """A run's per-household results limited to the households `user` may see (jingzhun.access)."""
    from jingzhun import access

    return access.households(HouseholdResult.objects.filter(run=run), user, prefix="household__")
