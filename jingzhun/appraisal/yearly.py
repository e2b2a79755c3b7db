"""The yearly re-identification difference (动态调整) and the area quotas (规模控制).

A household's status in a year is its latest status event recorded for that year or before; a
household without such an event falls back to its identification and exit years. Comparing last
year's status with this year's puts each household in at most one group:

- newly identified (新识别): poor now, and not in the register's poverty states last year;
- exited (脱贫): exited now, poor or returned last year;
- returned (返贫): returned now, something else last year;
- removed (清退): removed now, something else last year.

`classify` is the definition; `changes` is the same in SQL (a CASE over two correlated subqueries);
`difference` lists it and counts it by area from the same rows, so the whole province is one query, not a
loop. The web page asks for a capped list (`limit`: the first households of each group; the counts stay
whole). `rows` streams the full list for the XLSX download. Later the identification engine's runs can
stand in for the status events; the groups stay the same.

Scope: the households the user may see (`access.households`: their areas, or a helper's own pairs), through
the roles carrying `ability` when given (the web page passes "dashboard").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, CharField, Count, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from jingzhun import access
from jingzhun import choices as c
from jingzhun.appraisal.models import Application
from jingzhun.areas.models import LEVEL_DIGITS, Area, code_range
from jingzhun.registry.models import Household, StatusEvent

CHANGES = (
    ("new", "新识别", "newly identified"),
    ("exited", "脱贫", "exited"),
    ("returned", "返贫", "returned"),
    ("removed", "清退", "removed"),
)
IDENTIFIED = c.POOR_NOW  # counted against the quota
_NOT_YET = (None, "", c.APPLICANT)


def classify(before: str | None, now: str | None) -> str | None:
    """The group of a household whose status was `before` last year and is `now` this year."""
    # The groups are named as CHANGES names them (three share their status's code).
    if now == c.POOR and before in _NOT_YET:
        return "new"
    if now == c.EXITED and before in IDENTIFIED:
        return "exited"
    if now == c.RETURNED and before != c.RETURNED:
        return "returned"
    if now == c.REMOVED and before != c.REMOVED:
        return "removed"
    return None


def status_at(year: int) -> Coalesce:
    """SQL for a household's status at the end of `year`."""
    latest = StatusEvent.objects.filter(household=OuterRef("pk"), year__lte=year).order_by(
        "-year", "-recorded_at", "-id").values("status")[:1]
    from_fields = Case(
        When(exit_year__lte=year, then=Value(c.EXITED)),
        When(identified_year__lte=year, then=Value(c.POOR)),
        default=Value(None), output_field=CharField())
    return Coalesce(Subquery(latest, output_field=CharField()), from_fields, output_field=CharField())


def _change() -> Case:
    # The SQL twin of `classify`; tests hold the two to the same answers.
    not_yet = Q(was__isnull=True) | Q(was__in=["", c.APPLICANT])
    return Case(
        When(Q(is_now=c.POOR) & not_yet, then=Value("new")),
        When(is_now=c.EXITED, was__in=IDENTIFIED, then=Value("exited")),
        When(Q(is_now=c.RETURNED) & (Q(was__isnull=True) | ~Q(was=c.RETURNED)), then=Value("returned")),
        When(Q(is_now=c.REMOVED) & (Q(was__isnull=True) | ~Q(was=c.REMOVED)), then=Value("removed")),
        default=Value(None), output_field=CharField())

def _households(user: object, area: str | None, ability: str | None = None) -> QuerySet[Any]:
    qs = access.households(Household.objects.all(), user, ability=ability)
    if area:
        qs = access.within_area(qs, "village_id", area)
    return qs


Row = tuple[str, str, str | None, str | None]  # (household number, village code, before, now)


@dataclass
class Difference:
    year: int
    level: str
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # area code → change → households
    households: dict[str, list[Row]] = field(default_factory=dict)  # change → rows, by village then number
    limit: int | None = None  # when set, each group lists at most this many; `total` says how many there are

    def total(self, change: str) -> int:
        return sum(c.get(change, 0) for c in self.counts.values())


def changes(year: int, user: object, *, area: str | None = None, ability: str | None = None) -> QuerySet[Any]:
    """The user's households that changed group in `year`, annotated `was`, `is_now` and `change_kind`."""
    return (_households(user, area, ability).annotate(was=status_at(year - 1), is_now=status_at(year))
            .annotate(change_kind=_change()).filter(change_kind__isnull=False))


def rows(year: int, user: object, *, area: str | None = None, ability: str | None = None
         ) -> Iterator[tuple[str, str, str, str, str | None, str | None]]:
    """Every changed household as (number, village code, village name, change, before, now), by village
    then number, streamed (the XLSX download takes all of them, however many)."""
    return changes(year, user, area=area, ability=ability).order_by("village_id", "number").values_list(
        "number", "village_id", "village__name", "change_kind", "was", "is_now").iterator(chunk_size=2000)


def difference(year: int, user: object, *, area: str | None = None, level: str = "county",
               ability: str | None = None, limit: int | None = None) -> Difference:
    """This year's identification against last year's, counted by area at `level` and listed (at most
    `limit` households of each group when given; the counts are always of all of them)."""
    digits = LEVEL_DIGITS[level]
    result = Difference(year, level, limit=limit)
    # One statement: the changed households; the counts by area are taken from the same rows (measured
    # faster than a second, grouped statement: the correlated subqueries are the cost, not the rows).
    for number, village, change, before, now in changes(year, user, area=area, ability=ability).order_by(
            "village_id", "number").values_list("number", "village_id", "change_kind", "was", "is_now"):
        listed = result.households.setdefault(change, [])
        if limit is None or len(listed) < limit:
            listed.append((number, village, before, now))
        counts = result.counts.setdefault(village[:digits].ljust(12, "0"), {})
        counts[change] = counts.get(change, 0) + 1
    return result


# --------------------------------------------------------------------------- quotas


@dataclass(frozen=True)
class QuotaLine:
    area: str
    name: str
    quota: int
    identified: int  # identified in the year (poor or returned)
    pending: int  # open applications of the year for households not yet identified
    proposed: int
    over: int

    @property
    def message(self) -> str:
        if self.over > 0:
            return (f"{self.name} 配额 {self.quota:,} 户，拟识别 {self.proposed:,} 户，超出 {self.over:,} 户 / "
                    f"{self.name}: quota {self.quota:,} households, proposed {self.proposed:,}, over by {self.over:,}")
        return (f"{self.name} 配额 {self.quota:,} 户，拟识别 {self.proposed:,} 户，未超出 / "
                f"{self.name}: quota {self.quota:,}, proposed {self.proposed:,}, within the quota")


def quota_report(quotas: dict[str, int], year: int, user: object, ability: str | None = None) -> list[QuotaLine]:
    """Each quota area of a policy (`Policy.quotas`) within the user's areas: households proposed for the
    year against it. An area around the user's (their province, say) is left out: its count would be only
    the user's part of it, which reads as "within the quota" when it may not be.

    Proposed = identified in the year (status poor or returned) + open identification applications of the
    year (not rejected, not yet announced; exits and monitoring do not count) of households that are not
    already identified.
    """
    known = set(Area.objects.filter(code__in=list(quotas)).values_list("code", flat=True))
    for code in sorted(quotas):
        if code not in known:
            raise ValueError(f"配额区划 {code} 不存在 / quota area {code} is not in the area table")
    mine = {code: (name, level) for code, name, level in access.scope(
        Area.objects.filter(code__in=list(quotas)), user, "code", ability).values_list("code", "name", "level")}
    lines = []
    for code, quota in sorted(quotas.items()):
        if code not in mine:
            continue
        name, level = mine[code]
        low, high = code_range(code, level)
        households = _households(user, None, ability).filter(village_id__gte=low, village_id__lte=high).annotate(
            is_now=status_at(year))
        identified = households.filter(is_now__in=IDENTIFIED)
        pending = (access.households(Application.objects.all(), user, "household__", ability)
                   .filter(village_id__gte=low, village_id__lte=high, year=year, kind="identify")
                   .exclude(state__in=("rejected", "announced"))
                   .exclude(household_id__in=identified.values("pk"))
                   .aggregate(n=Count("household_id", distinct=True))["n"])
        n = identified.count()
        proposed = n + pending
        lines.append(QuotaLine(code, name, quota, n, pending, proposed, max(0, proposed - quota)))
    return lines


def exceeded(lines: list[QuotaLine]) -> list[QuotaLine]:
    return [line for line in lines if line.over > 0]


__all__ = ["CHANGES", "Difference", "QuotaLine", "changes", "classify", "difference", "exceeded", "quota_report",
           "rows", "status_at"]
