"""The roster's plan: a pure diff of the kept rows against what is stored — cadres inserted, updated (a
home area moved) or unchanged, teams posted, memberships inserted, updated or unchanged, successors linked,
status events — computed from memory (the check read everything): no query, no write."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jingzhun.teams.models import Cadre
from jingzhun.teams.roster.lines import Line
from jingzhun.teams.roster.spec import CADRE_FIELDS
from jingzhun.teams.roster.state import Posting, State
from jingzhun.teams.roster.stored import Stored

COUNTS = ("cadres_inserted", "cadres_updated", "cadres_unchanged", "teams_inserted", "memberships_inserted",
          "memberships_updated", "memberships_unchanged", "status_events")


@dataclass
class Plan:
    state: State
    new_cadres: list[Cadre] = field(default_factory=list)
    changed_cadres: list[Cadre] = field(default_factory=list)
    cadres_unchanged: int = 0
    stored_pks: dict[str, int] = field(default_factory=dict)  # personnel number → id, of the stored cadres
    moves: list[list[str]] = field(default_factory=list)  # [personnel number, old home area, new home area]
    new_teams: dict[str, dt.date] = field(default_factory=dict)  # village → start (its earliest member's)
    new_members: list[Posting] = field(default_factory=list)
    changed_members: list[Posting] = field(default_factory=list)
    relinked: list[Posting] = field(default_factory=list)  # memberships whose successor is (re)set
    memberships_unchanged: int = 0
    events: list[tuple[str, str, dt.date, str]] = field(default_factory=list)  # (pn, status, date, reason)
    named: set[str] = field(default_factory=set)  # every area code the kept rows name, and moves' origins

    @property
    def memberships_updated(self) -> int:
        return len({id(p) for p in self.changed_members} | {id(p) for p in self.relinked if p.id is not None})

    @property
    def changed(self) -> bool:
        """Anything to write: a re-import of the same file changes nothing and leaves no audit row."""
        return bool(self.new_cadres or self.changed_cadres or self.new_teams or self.new_members
                    or self.memberships_updated)

    def counts(self) -> dict[str, int]:
        return {"cadres_inserted": len(self.new_cadres), "cadres_updated": len(self.changed_cadres),
                "cadres_unchanged": self.cadres_unchanged, "teams_inserted": len(self.new_teams),
                "memberships_inserted": len(self.new_members), "memberships_updated": self.memberships_updated,
                "memberships_unchanged": self.memberships_unchanged, "status_events": len(self.events)}

    def areas(self) -> Iterable[str]:
        """Every team village and home area the rows name, and where moved cadres were: the officers of each
        see the import in their audit log."""
        return self.named

    def detail(self) -> dict[str, Any]:
        """The audit row's detail, as the roster's audit rows have always had it: the counts and the moves."""
        return {**self.counts(), "moves": self.moves}


def make_plan(lines: list[Line], first_row: dict[str, Line], stored: Stored, state: State, today: dt.date,
              file_name: str) -> Plan:
    """The diff of `lines` (the rows kept) against what is stored."""
    plan = Plan(state, stored_pks={pn: r["id"] for pn, r in stored.cadres.items()})
    kept = {line.index for line in lines}
    status_changed = _cadres(plan, [line for pn, line in first_row.items() if line.index in kept], stored)
    from_file = [p for p in state.postings.values() if p.line is not None and p.line.index in kept]
    _memberships(plan, from_file)
    _events(plan, from_file, status_changed, today, file_name)
    plan.named = {line.cells[key] for line in lines for key in ("home_area", "village") if line.cells[key]}
    plan.named.update(old for _pn, old, _new in plan.moves if old)
    return plan


def _record(line: Line) -> dict[str, Any]:
    return {"name": line.cells["name"], "unit": line.cells["unit"], "unit_kind": line.codes["unit_kind"],
            "rank": line.codes["rank"], "skills": line.skills, "home_area_id": line.cells["home_area"],
            "status": line.codes["status"], "phone": line.cells["phone"]}


def _cadres(plan: Plan, firsts: list[Line], stored: Stored) -> dict[str, str]:
    """New, changed and unchanged cadres; the status of stored cadres whose status changes."""
    status_changed: dict[str, str] = {}
    for line in firsts:
        record = _record(line)
        was = stored.cadres.get(line.pn)
        if was is None:
            plan.new_cadres.append(Cadre(personnel_number=line.pn, **record))
            if record["status"] != "serving":
                status_changed[line.pn] = record["status"]
        elif any(was[f] != record[f] for f in CADRE_FIELDS):
            plan.changed_cadres.append(Cadre(id=was["id"], personnel_number=line.pn, **record))
            if was["home_area_id"] != record["home_area_id"]:  # a move, recorded as one (both ends are in scope)
                plan.moves.append([line.pn, was["home_area_id"], record["home_area_id"]])
            if was["status"] != record["status"]:
                status_changed[line.pn] = record["status"]
        else:
            plan.cadres_unchanged += 1
    return status_changed


def _memberships(plan: Plan, from_file: list[Posting]) -> None:
    state = plan.state

    def pending(p: Posting) -> bool:  # the successor is inserted by this import: linked after the inserts
        return isinstance(p.replaced_by, tuple) and state.postings[p.replaced_by].id is None

    for p in from_file:
        if p.team_id is None:
            plan.new_teams[p.village] = min(plan.new_teams.get(p.village, p.start), p.start)
    plan.new_members = [p for p in from_file if p.id is None]
    stored = [p for p in from_file if p.id is not None and p.stored is not None]
    plan.changed_members = [p for p in stored if p.stored is not None and p.stored[:4] != (p.role, p.end, p.end_kind,
                                                                                            p.reason)]
    plan.relinked = [p for p in stored if not pending(p) and p.stored is not None
                     and p.stored[4] != state.successor_id(p)]
    plan.relinked += [p for p in from_file if p.replaced_by is not None and (p.id is None or pending(p))]
    plan.memberships_unchanged = len(from_file) - len(plan.new_members) - plan.memberships_updated


def _events(plan: Plan, from_file: list[Posting], status_changed: dict[str, str], today: dt.date,
            file_name: str) -> None:
    """A recall recorded now: posted on its start, recalled on its end with the reason. Any other change of
    status (a stored cadre's, or a new cadre's not serving): on the day of the import."""
    recalled: set[str] = set()
    for p in from_file:
        if p.end_kind == "recalled" and (p.stored is None or p.stored[2] != "recalled"):
            assert p.end is not None
            plan.events += [(p.cadre, "serving", p.start, "派驻"), (p.cadre, "recalled", p.end, p.reason)]
            recalled.add(p.cadre)
    for pn, status in sorted(status_changed.items()):
        # The recall's own events say it already (and a new cadre's whole story is its recall).
        if pn in recalled and (status == "recalled" or pn not in plan.stored_pks):
            continue
        plan.events.append((pn, status, today, f"名册导入 / roster import {file_name}"))
