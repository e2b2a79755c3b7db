"""Secondments (挂职): the share going to poor counties by year, and terms ending soon. In the user's areas
(by destination) in SQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractYear

from jingzhun.areas.models import Area, code_range
from jingzhun.organisation import scope
from jingzhun.organisation.models import Secondment


def poor_county_q(field: str) -> Q:
    """`field` (an area code) lies in a poor county (national or provincial)."""
    inside = Q(pk__in=[])
    for code in Area.objects.filter(level="county").exclude(poor_county="").values_list("code", flat=True):
        low, high = code_range(code, "county")
        inside |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return inside


@dataclass(frozen=True)
class YearShare:
    year: int
    total: int
    to_poor: int

    @property
    def share(self) -> float | None:
        return None if self.total == 0 else self.to_poor / self.total


def share_by_year(user: object) -> list[YearShare]:
    """Secondments begun each year, and how many of them went to poor counties."""
    rows = (Secondment.objects.filter(scope.q(user, "to_area_id")).annotate(year=ExtractYear("start_date"))
            .values("year").annotate(total=Count("pk"), to_poor=Count("pk", filter=poor_county_q("to_area_id")))
            .order_by("year"))
    return [YearShare(r["year"], r["total"], r["to_poor"]) for r in rows]


def ending_within(user: object, today: dt.date, days: int) -> QuerySet[Secondment]:
    return (Secondment.objects.filter(scope.q(user, "to_area_id"), end_date__gte=today,
                                      end_date__lte=today + dt.timedelta(days=days))
            .select_related("cadre", "from_unit", "to_area").order_by("end_date", "pk"))
