"""Unit ↔ village coverage for a year (部门联点): poor villages no unit is linked to, units linked to no
village, and links whose commitments were not met — all limited to the user's areas in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q

from jingzhun.areas.models import Area
from jingzhun.organisation import scope
from jingzhun.organisation.models import Unit, UnitVillageLink


@dataclass
class Coverage:
    year: int
    villages_without_unit: list[Area]
    units_without_village: list[Unit]
    unmet: list[UnitVillageLink]


def villages_without_unit(user: object, year: int) -> list[Area]:
    linked = UnitVillageLink.objects.filter(village_id=OuterRef("code"), year=year,
                                            unit__merged_into__isnull=True)
    return list(Area.objects.filter(scope.q(user, "code"), level="village", poor_village=True)
                .exclude(Exists(linked)).order_by("code"))


def units_without_village(user: object, year: int) -> list[Unit]:
    linked = UnitVillageLink.objects.filter(unit_id=OuterRef("pk"), year=year)
    return list(Unit.objects.filter(scope.q(user, "area_id"), merged_into__isnull=True)
                .exclude(Exists(linked)).select_related("area").order_by("area_id", "name"))


def unmet(user: object, year: int) -> list[UnitVillageLink]:
    """Links of the year where any delivered figure is below its pledge."""
    short = (Q(funds_delivered_fen__lt=F("funds_pledged_fen")) | Q(projects_delivered__lt=F("projects_pledged"))
             | Q(people_delivered__lt=F("people_pledged")))
    return list(UnitVillageLink.objects.filter(scope.q(user, "village_id"), short, year=year)
                .select_related("unit", "village").order_by("village_id", "unit__name"))


def coverage(user: object, year: int) -> Coverage:
    return Coverage(year, villages_without_unit(user, year), units_without_village(user, year), unmet(user, year))
