"""Secondments (挂职): the share going to poor counties by year, and terms ending soon. In the user's areas
(by destination) in SQL."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, QuerySet
from django.db.models.functions import ExtractYear, Substr

from jingzhun.areas.models import Area
from jingzhun.organisation import scope
from jingzhun.organisation.models import Secondment


@dataclass(frozen=True)
class YearShare:
    year: int
    total: int
    to_poor: int

    @property
    def share(self) -> float | None:
        return None if self.total == 0 else self.to_poor / self.total


def share_by_year(user: object) -> list[YearShare]:
    """Secondments begun each year, and how many of them went to poor counties: counted in SQL by year and
    destination county (a few hundred groups), summed here over the poor counties."""
    poor = set(Area.objects.filter(level="county").exclude(poor_county="").values_list("code", flat=True))
    rows = (Secondment.objects.filter(scope.q(user, "to_area_id")).annotate(
        year=ExtractYear("start_date"), county=Substr("to_area_id", 1, 6)).values("year", "county")
        .annotate(n=Count("pk")).values_list("year", "county", "n"))
    total: dict[int, int] = defaultdict(int)
    to_poor: dict[int, int] = defaultdict(int)
    for year, county, n in rows:
        total[year] += n
        if county + "000000" in poor:
            to_poor[year] += n
    return [YearShare(year, total[year], to_poor[year]) for year in sorted(total)]


def ending_within(user: object, today: dt.date, days: int) -> QuerySet[Secondment]:
    return (Secondment.objects.filter(scope.q(user, "to_area_id"), end_date__gte=today,
                                      end_date__lte=today + dt.timedelta(days=days))
            .select_related("cadre", "from_unit", "to_area")
            .only("cadre__name", "from_unit__name", "to_area__name", "post", "end_date").order_by("end_date", "pk"))
