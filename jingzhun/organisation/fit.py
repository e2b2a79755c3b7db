"""Teams that do not fit their village (因村派人): a village's types (`VillageTyping`) need skills; a work
team whose serving members together lack any of them is listed with what is missing. Limited to the user's
villages in SQL; one query per table, not per team."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from jingzhun.organisation import scope
from jingzhun.organisation.models import VillageTyping
from jingzhun.teams.models import SKILL, TeamMembership, WorkTeam


@dataclass(frozen=True)
class Misfit:
    team_id: int
    village: str
    village_name: str
    types: tuple[str, ...]
    needed: tuple[str, ...]
    present: tuple[str, ...]
    missing: tuple[str, ...]


def _ordered(codes: set[str]) -> tuple[str, ...]:
    return tuple(code for code in SKILL.codes if code in codes)


def labels(codes: tuple[str, ...]) -> list[str]:
    """Skill codes as the active language's labels (a page shows no codes)."""
    return [SKILL.label(code) for code in codes]


def misfits(user: object) -> list[Misfit]:
    teams = {t["pk"]: t for t in WorkTeam.objects.filter(scope.q(user, "village_id"), end_date__isnull=True)
             .values("pk", "village_id", "village__name")}
    villages = {t["village_id"] for t in teams.values()}
    needed: dict[str, set[str]] = defaultdict(set)
    types: dict[str, list[str]] = defaultdict(list)
    for village, name, skills in VillageTyping.objects.filter(
            scope.q(user, "village_id"), village_type__active=True).values_list(
            "village_id", "village_type__name", "village_type__skills").order_by("village_id", "village_type__code"):
        types[village].append(name)
        needed[village] |= {s for s in skills.split(",") if s}
    present: dict[int, set[str]] = defaultdict(set)
    for team, skills in TeamMembership.objects.filter(team_id__in=list(teams), end_date__isnull=True).values_list(
            "team_id", "cadre__skills"):
        present[team] |= {s for s in skills.split(",") if s}
    found = []
    for pk, row in sorted(teams.items(), key=lambda kv: kv[1]["village_id"]):
        village = row["village_id"]
        missing = needed[village] - present[pk] if village in villages else set()
        if missing:
            found.append(Misfit(pk, village, row["village__name"], tuple(types[village]), _ordered(needed[village]),
                                _ordered(present[pk]), _ordered(missing)))
    return found
