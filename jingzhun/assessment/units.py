"""Assessed units as people read them: names for the keys (an area code, a work team's id, a cadre's id) and the
area each lies in, which is what every scope check of a unit asks. The area is always looked up in the
records, never taken from a request: a work team lies in its village, a cadre in their home area."""

from __future__ import annotations

from collections.abc import Iterable

from jingzhun.areas.models import Area
from jingzhun.assessment.catalogue import AREA_LEVELS


def names(unit_type: str, keys: Iterable[str]) -> dict[str, str]:
    """{key: name} in two queries at most; a key with no record keeps its key as its name."""
    keys = [str(k) for k in keys]
    if unit_type in AREA_LEVELS:
        return {**{k: k for k in keys}, **dict(Area.objects.filter(code__in=keys).values_list("code", "name"))}
    ids = [int(k) for k in keys if k.isdigit()]
    if unit_type == "work_team":
        from jingzhun.teams.models import WorkTeam

        rows = WorkTeam.objects.filter(pk__in=ids).values_list("pk", "village__name")
        return {**{k: k for k in keys}, **{str(pk): f"{name} 驻村工作队" for pk, name in rows}}
    from jingzhun.teams.models import Cadre

    return {**{k: k for k in keys}, **{str(pk): name for pk, name in Cadre.objects.filter(pk__in=ids).values_list(
        "pk", "name")}}


def area_of(unit_type: str, key: str) -> str | None:
    """The 12-digit area the unit lies in, None when there is no such unit."""
    key = str(key)
    if unit_type in AREA_LEVELS:
        return key if Area.objects.filter(code=key, level=unit_type).exists() else None
    if not key.isdigit():
        return None
    if unit_type == "work_team":
        from jingzhun.teams.models import WorkTeam

        return WorkTeam.objects.filter(pk=int(key)).values_list("village_id", flat=True).first()
    if unit_type == "cadre":
        from jingzhun.teams.models import Cadre

        return Cadre.objects.filter(pk=int(key)).values_list("home_area_id", flat=True).first()
    return None
