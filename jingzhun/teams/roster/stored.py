"""What the register holds for a roster file: one query each for the areas it names, the cadres it names,
the villages' open teams and the memberships of either — whatever the file's size (5,000 values a query).
Read before any rule, so that every rule and the plan work from memory."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from django.db.models import Q

from jingzhun.areas.models import Area
from jingzhun.tabular.rules import Scope, chunks
from jingzhun.teams.models import Cadre, TeamMembership, WorkTeam
from jingzhun.teams.roster.lines import Line
from jingzhun.teams.roster.spec import CADRE_FIELDS


class StoredMembership(NamedTuple):
    id: int
    cadre_id: int
    pn: str
    name: str
    team_id: int
    village: str
    team_end: dt.date | None
    role: str
    start: dt.date
    end: dt.date | None
    end_kind: str
    reason: str
    replaced_by: int | None


@dataclass
class Stored:
    cadres: dict[str, dict[str, Any]] = field(default_factory=dict)  # personnel number → the cadre's fields
    levels: dict[str, str] = field(default_factory=dict)  # area code → level
    open_teams: dict[str, tuple[int, dt.date]] = field(default_factory=dict)  # village → (team, start)
    memberships: list[StoredMembership] = field(default_factory=list)
    wholly: set[str] = field(default_factory=set)  # personnel numbers the importer may change
    works: set[str] = field(default_factory=set)  # personnel numbers the importer may name

    def open_membership(self, pn: str, village: str, start: dt.date) -> StoredMembership | None:
        return self.by_key.get((pn, village, start))

    @cached_property
    def by_key(self) -> dict[tuple[str, str, dt.date], StoredMembership]:
        """Open teams' memberships of cadres with a personnel number, as a row names them."""
        return {(m.pn, m.village, m.start): m for m in self.memberships if m.pn and m.team_end is None}


def _filled(lines: Iterable[Line], *keys: str) -> list[str]:
    return sorted({line.cells[key] for line in lines for key in keys if line.cells[key]})


def read_stored(lines: list[Line], scope: Scope) -> Stored:
    stored = Stored()
    for part in chunks(_filled(lines, "personnel_number", "replaced_by")):
        for row in Cadre.objects.filter(personnel_number__in=part).values("id", "personnel_number", *CADRE_FIELDS):
            stored.cadres[row["personnel_number"]] = row
    for part in chunks(_filled(lines, "home_area", "village")):
        stored.levels.update(Area.objects.filter(code__in=part).values_list("code", "level"))
    for part in chunks(_filled(lines, "village")):
        stored.open_teams.update((v, (pk, s)) for pk, v, s in WorkTeam.objects.filter(
            village_id__in=part, end_date__isnull=True).values_list("id", "village_id", "start_date"))
    team_ids = [pk for pk, _ in stored.open_teams.values()]
    cadre_ids = [r["id"] for r in stored.cadres.values()]
    stored.memberships = [StoredMembership(*r) for r in TeamMembership.objects.filter(
        Q(team_id__in=team_ids) | Q(cadre_id__in=cadre_ids)).values_list(
        "id", "cadre_id", "cadre__personnel_number", "cadre__name", "team_id", "team__village_id", "team__end_date",
        "role", "start_date", "end_date", "end_kind", "recall_reason", "replaced_by_id")]
    _whose(stored, scope)
    return stored


def _whose(stored: Stored, scope: Scope) -> None:
    """Which stored cadres the importer may change (wholly in their areas: home area and every open posting)
    and which they may name (working there)."""
    open_at: dict[int, set[str]] = {}
    for m in stored.memberships:
        if m.end is None:
            open_at.setdefault(m.cadre_id, set()).add(m.village)
    for pn, r in stored.cadres.items():
        villages = open_at.get(r["id"], set())
        if scope.wholly_here(r["home_area_id"], villages):
            stored.wholly.add(pn)
        if scope.works_here(r["home_area_id"], villages):
            stored.works.add(pn)
