"""The figures of the statistical report tables (报表), counted in SQL for one area and year, by child area.

Every count is a grouped statement over rows already limited to the user's areas (`access`, the roles carrying
`ABILITY`) and to the chosen area's subtree. A row's child area is the prefix of its village code at the child
level (a subtree is a range of codes, so the prefix names the child); `group` is that prefix's length. The total
row is the same statement grouped by the chosen area's own prefix, never a sum of the rows: a cadre who helps
households in two townships is one cadre in the total.

The definitions (stated on each sheet too):
- A household's status at the end of a year is `appraisal.yearly.status_at` (its latest status event of that year
  or before, else its identification and exit years); at the start of a year, the status at the end of the last.
- Newly identified, exited and returned in the year are `appraisal.yearly`'s groups (one definition with the
  yearly-adjustment page).
- People are the household's members as registered now (the register keeps no member history).
- Coverage is at 31 December of the year: a helper pair, a work team or a team membership that had started by then
  and had not ended before it.
- Monitoring: households with a case of the year that was taken in (纳入监测), by the case's kind; risk eliminated
  when that case's state is eliminated.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Substr

from jingzhun import access
from jingzhun import choices as c
from jingzhun.appraisal import yearly
from jingzhun.areas.models import LEVEL_DIGITS, Area
from jingzhun.monitoring.models import Case
from jingzhun.registry.models import Household, Member
from jingzhun.teams.models import HelperPair, TeamMembership, WorkTeam

ABILITY = "dashboard"
Figures = dict[str, dict[str, int]]  # group prefix → column key → value


def people() -> Coalesce:
    """SQL for a household's number of members."""
    n = Member.objects.filter(household=OuterRef("pk")).order_by().values("household").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(n, output_field=IntegerField()), Value(0))


def households(user: object, area: Area) -> QuerySet[Household]:
    """The user's households (roles carrying ABILITY) in the area's subtree."""
    low, high = area.code_range
    return access.households(Household.objects.filter(village_id__gte=low, village_id__lte=high), user,
                             ability=ABILITY)


def in_area(qs: QuerySet[Any], user: object, area: Area, field: str) -> QuerySet[Any]:
    """Rows whose 12-digit area code `field` lies in the user's areas and in the area's subtree."""
    low, high = area.code_range
    return access.scope(qs.filter(**{f"{field}__gte": low, f"{field}__lte": high}), user, field, ABILITY)


def grouped(qs: QuerySet[Any], field: str, group: int, **aggregates: Any) -> Figures:
    """`aggregates` of `qs` by the first `group` digits of `field`, as {prefix: {key: value}} (None → 0)."""
    rows = qs.annotate(g=Substr(field, 1, group)).order_by().values("g").annotate(**aggregates)
    return {r["g"]: {k: int(r[k] or 0) for k in aggregates} for r in rows}


def pairs(prefix: str, condition: Q) -> dict[str, Any]:
    """Households (`{prefix}_h`) and their people (`{prefix}_p`) among the rows meeting `condition`."""
    return {f"{prefix}_h": Count("pk", filter=condition), f"{prefix}_p": Sum("size", filter=condition)}


def merge(*parts: Figures) -> Figures:
    out: Figures = {}
    for part in parts:
        for g, values in part.items():
            out.setdefault(g, {}).update(values)
    return out


def scale(user: object, area: Area, year: int, group: int) -> Figures:
    """Table 1: poor at the start and end of the year; newly identified, returned, exited; monitored at the end.

    Each household's two statuses are read once, in a derived table, and every figure is a sum over it: Django
    would repeat the status subqueries in every filtered aggregate (eighteen times a household)."""
    facts = households(user, area).annotate(g=Substr("village_id", 1, group), was=yearly.status_at(year - 1),
                                            is_now=yearly.status_at(year), size=people()).values(
        "g", "was", "is_now", "size")
    sums: list[tuple[str, str, list[Any]]] = []
    for prefix, (condition, params) in {**STATUS_SQL, **CHANGE_SQL}.items():
        sums += [(f"{prefix}_h", f"SUM(CASE WHEN {condition} THEN 1 ELSE 0 END)", params),
                 (f"{prefix}_p", f"SUM(CASE WHEN {condition} THEN size ELSE 0 END)", params)]
    return summed(facts, sums)


def isin(column: str, values: Iterable[str]) -> tuple[str, list[Any]]:
    listed = list(values)
    return f"{column} IN ({', '.join(['%s'] * len(listed))})", listed


# Table 1's groups as conditions on a household's status at the start (`was`) and end (`is_now`) of the year.
STATUS_SQL = {"start": isin("was", c.POOR_NOW), "end": isin("is_now", c.POOR_NOW),
              "monitored": ("is_now = %s", [c.MONITORED]), "exited_total": ("is_now = %s", [c.EXITED])}
# The yearly adjustment's groups (`appraisal.yearly.classify`, whose tests this twin shares: tests/test_reports.py).
CHANGE_SQL = {
    "new": ("is_now = %s AND (was IS NULL OR was IN ('', %s))", [c.POOR, c.APPLICANT]),
    "exited": (f"is_now = %s AND {isin('was', yearly.IDENTIFIED)[0]}", [c.EXITED, *yearly.IDENTIFIED]),
    "returned": ("is_now = %s AND (was IS NULL OR was <> %s)", [c.RETURNED, c.RETURNED]),
    "removed": ("is_now = %s AND (was IS NULL OR was <> %s)", [c.REMOVED, c.REMOVED]),
}


def summed(facts: QuerySet[Any], sums: list[tuple[str, str, list[Any]]]) -> Figures:
    """`sums` (key, SQL over the facts' columns, its parameters) of the rows of `facts`, grouped by its column `g`."""
    inner, inner_params = facts.query.sql_with_params()
    select = ", ".join(f"{expr} AS {key}" for key, expr, _ in sums)
    params = list(inner_params) + [p for _, _, ps in sums for p in ps]  # the facts come first in the statement
    with connection.cursor() as cur:
        # MATERIALIZED: neither SQLite nor PostgreSQL may fold the facts into this statement, which would put the
        # status subqueries back into every sum.
        cur.execute(f"WITH facts AS MATERIALIZED ({inner}) SELECT facts.g, {select} FROM facts GROUP BY facts.g",
                    params)
        return {row[0]: {key: int(v or 0) for (key, _, _), v in zip(sums, row[1:], strict=True)}
                for row in cur.fetchall()}


def causes(user: object, area: Area, year: int, group: int) -> Figures:
    """Table 2: households poor at the end of the year, and their people, by main cause (and in all)."""
    qs = households(user, area).annotate(is_now=yearly.status_at(year), size=people()).filter(is_now__in=c.POOR_NOW)
    return grouped(qs, "village_id", group, **pairs("all", Q()),
                   **{k: v for code in c.CAUSE.codes for k, v in pairs(code, Q(primary_cause=code)).items()})


def active(qs: QuerySet[Any], on: date, start: str = "start_date", end: str = "end_date") -> QuerySet[Any]:
    """Rows that had started by `on` and not ended before it."""
    return qs.filter(**{f"{start}__lte": on}).filter(Q(**{f"{end}__isnull": True}) | Q(**{f"{end}__gte": on}))


def coverage(user: object, area: Area, year: int, group: int) -> Figures:
    """Table 3 at 31 December: households needing a helper and those with one, the helpers; poor villages and
    those with a work team, the team members."""
    on = date(year, 12, 31)
    helped = Exists(active(HelperPair.objects.filter(household=OuterRef("pk")), on))
    need = households(user, area).annotate(is_now=yearly.status_at(year), helped=helped).filter(
        is_now__in=c.NEEDS_HELPER)
    helpers = access.households(active(HelperPair.objects.all(), on), user, "household__", ABILITY)
    helpers = in_area(helpers, user, area, "household__village_id")
    teamed = Exists(active(WorkTeam.objects.filter(village=OuterRef("pk")), on))
    villages = in_area(Area.objects.filter(level="village", poor_village=True), user, area, "code").annotate(
        teamed=teamed)
    members = in_area(active(TeamMembership.objects.all(), on), user, area, "team__village_id")
    members = active(members, on, "team__start_date", "team__end_date")
    return merge(
        grouped(need, "village_id", group, need=Count("pk"), helped=Count("pk", filter=Q(helped=True))),
        grouped(helpers, "household__village_id", group, helpers=Count("cadre", distinct=True)),
        grouped(villages, "code", group, poor_villages=Count("pk"), teamed=Count("pk", filter=Q(teamed=True))),
        grouped(members, "team__village_id", group, team_cadres=Count("cadre", distinct=True)),
    )


def exits(user: object, area: Area, year: int, group: int) -> Figures:
    """Table 4: households and people exited in the year and in all (table 1's figures); poor villages and counties,
    exited in the year and by its end (`exit_areas`)."""
    return merge(scale(user, area, year, group), exit_areas(user, area, year, group))


def exit_areas(user: object, area: Area, year: int, group: int) -> Figures:
    villages = in_area(Area.objects.filter(level="village", poor_village=True), user, area, "code")
    counties = in_area(Area.objects.filter(level="county").exclude(poor_county=""), user, area, "code")
    return areas_by_group(villages, counties, year, group)


def areas_by_group(villages: QuerySet[Any], counties: QuerySet[Any], year: int, group: int) -> Figures:
    """Poor villages and poor counties, and those exited in the year and by its end, by group."""
    out: Figures = {}
    for kind, qs in (("villages", villages), ("counties", counties)):
        out = merge(out, grouped(qs, "code", group, **{
            kind: Count("pk"), f"{kind}_exited": Count("pk", filter=Q(exit_year=year)),
            f"{kind}_exited_total": Count("pk", filter=Q(exit_year__lte=year))}))
    return out


def monitoring(user: object, area: Area, year: int, group: int) -> Figures:
    """Table 5: households taken into monitoring with a case of the year, by kind; risk eliminated or not yet."""
    taken = Case.objects.filter(household=OuterRef("pk"), year=year, monitored_since__isnull=False)
    qs = households(user, area).annotate(
        size=people(), taken=Exists(taken),
        **{f"kind_{k}": Exists(taken.filter(kind=k)) for k in KINDS},
        eliminated=Exists(taken.filter(state="eliminated")),
        open=Exists(taken.exclude(state="eliminated"))).filter(taken=True)
    return grouped(qs, "village_id", group, **pairs("all", Q()),
                   **{k: v for kind in KINDS for k, v in pairs(kind, Q(**{f"kind_{kind}": True})).items()},
                   **pairs("eliminated", Q(eliminated=True)), **pairs("open", Q(open=True)))


KINDS = ("unstable", "edge", "sudden")


def rows_of(area: Area) -> list[Area]:
    """The rows of a table of `area`: its child areas by code (a village: itself)."""
    if area.level == "village":
        return [area]
    return list(Area.objects.filter(parent=area).order_by("code").only("code", "name", "level"))


def prefixes(areas: Iterable[Area]) -> list[str]:
    return [a.code[:LEVEL_DIGITS[a.level]] for a in areas]
