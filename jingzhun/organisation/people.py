"""The dashboard's "people" section (配班子、聚人才、抓基层) for an area the dashboard has already let the
user see: one function computing its figures. Other apps add theirs (training coverage, talent retention,
weak branches) with `register`; until they do, the section shows this app's own: vacancies in the poor
counties' leadership, secondments to poor counties this year, terms ending within 30 days, units to review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count
from django.db.models.functions import Substr

from jingzhun.areas.models import Area
from jingzhun.organisation import leadership
from jingzhun.organisation.models import Secondment, Unit, UnitReview

SOON_DAYS = 30


@dataclass(frozen=True)
class Figure:
    key: str  # the tile's data-figure
    label: str  # "中文 / English"
    value: int | float | None
    kind: str = "count"  # or "share" (0…1, shown as a percentage)


# (user, area, today) -> figures: the user for the source's own scoping (training_coverage, talent_retention and
# weak_branches of the people apps take it), the area the dashboard shows.
FigureSource = Callable[[object, Area, dt.date], list[Figure]]
_sources: dict[str, FigureSource] = {}


def register(name: str, source: FigureSource) -> None:
    """Add (or replace) another app's figures for the section."""
    _sources[name] = source


def unregister(name: str) -> None:
    _sources.pop(name, None)


def figures(user: object, area: Area, today: dt.date) -> list[Figure]:
    """The section's figures for `area`, which the dashboard has already let `user` see."""
    low, high = area.code_range
    poor = leadership.poor_spans([(low, high)])
    vacant = leadership.vacant_seats(poor)
    here = Secondment.objects.filter(to_area_id__gte=low, to_area_id__lte=high)
    counties = {lo[:6] for lo, _ in poor}
    year = {"total": 0, "poor": 0}
    for county, n in here.filter(start_date__year=today.year).annotate(county=Substr("to_area_id", 1, 6)).values(
            "county").annotate(n=Count("pk")).values_list("county", "n"):
        year["total"] += n
        year["poor"] += n if county in counties else 0
    ending = here.filter(end_date__gte=today, end_date__lte=today + dt.timedelta(days=SOON_DAYS)).count()
    open_reviews = list(UnitReview.objects.filter(status="open").values_list("unit_ids", flat=True))
    listed = sorted({pk for ids in open_reviews for pk in ids})
    mine = set(Unit.objects.filter(pk__in=listed, area_id__gte=low, area_id__lte=high).values_list("pk", flat=True))
    reviews = sum(1 for ids in open_reviews if mine.intersection(ids))
    found = [
        Figure("vacancies", "贫困县乡领导班子空缺职数 / vacant leadership seats in poor counties", vacant),
        Figure("secondments_year", f"{today.year}年挂职人数 / secondments begun in {today.year}", year["total"]),
        Figure("secondments_poor_share", "其中到贫困县 / of them to poor counties",
               None if not year["total"] else year["poor"] / year["total"], "share"),
        Figure("secondments_ending", f"{SOON_DAYS}天内期满的挂职 / terms ending within {SOON_DAYS} days", ending),
        Figure("unit_reviews", "待核实单位 / units to review", reviews),
    ]
    for source in _sources.values():
        found.extend(source(user, area, today))
    return found

