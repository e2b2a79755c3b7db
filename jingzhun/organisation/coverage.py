"""Unit ↔ village coverage for a year (部门联点): poor villages no unit is linked to, units linked to no
village, and links whose commitments were not met — all limited to the user's areas in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet

from jingzhun.areas.models import Area
from jingzhun.organisation import scope
from jingzhun.organisation.models import Unit, UnitVillageLink

SHOWN = 100  # rows of each list a page shows (rendering, not the query, is the cost); the totals count them all


@dataclass
class Coverage:
    year: int
    villages_without_unit: list[Area]  # the first `limit` of each list, in order
    units_without_village: list[Unit]
    unmet: list[UnitVillageLink]
    totals: dict[str, int]


def villages_without_unit_qs(user: object, year: int) -> QuerySet[Area]:
    linked = UnitVillageLink.objects.filter(village_id=OuterRef("code"), year=year,
                                            unit__merged_into__isnull=True)
    return (Area.objects.filter(scope.q(user, "code"), level="village", poor_village=True)
            .exclude(Exists(linked)).order_by("code"))


def units_without_village_qs(user: object, year: int) -> QuerySet[Unit]:
    linked = UnitVillageLink.objects.filter(unit_id=OuterRef("pk"), year=year)
    return (Unit.objects.filter(scope.q(user, "area_id"), merged_into__isnull=True)
            .exclude(Exists(linked)).select_related("area").only("name", "kind", "area__name").order_by("area_id", "name"))


def unmet_qs(user: object, year: int) -> QuerySet[UnitVillageLink]:
    """Links of the year where any delivered figure is below its pledge."""
    short = (Q(funds_delivered_fen__lt=F("funds_pledged_fen")) | Q(projects_delivered__lt=F("projects_pledged"))
             | Q(people_delivered__lt=F("people_pledged")))
    return (UnitVillageLink.objects.filter(scope.q(user, "village_id"), short, year=year)
            .select_related("unit", "village").only(
                "unit__name", "village__name", "funds_pledged_fen", "funds_delivered_fen", "projects_pledged",
                "projects_delivered", "people_pledged", "people_delivered").order_by("village_id", "unit__name"))


def coverage(user: object, year: int, limit: int | None = None) -> Coverage:
    """The three lists (their first `limit` rows; all when None) and their totals."""
    villages = villages_without_unit_qs(user, year)
    units = units_without_village_qs(user, year)
    short = unmet_qs(user, year)
    shown = (list(villages if limit is None else villages[:limit]), list(units if limit is None else units[:limit]),
             list(short if limit is None else short[:limit]))

    def total(rows: list[Any], qs: QuerySet[Any]) -> int:
        return len(rows) if limit is None or len(rows) < limit else qs.count()

    totals = {"villages_without_unit": total(shown[0], villages), "units_without_village": total(shown[1], units),
              "unmet": total(shown[2], short)}
    return Coverage(year, shown[0], shown[1], shown[2], totals)
