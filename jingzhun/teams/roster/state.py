"""The memberships as the import would leave them — the stored ones with the file's rows laid over them —
and the database's constraints checked on that state, as row problems, before the database sees a write:
one serving first secretary per team, one open membership per cadre and team, a cadre not serving has no
open membership, a successor joins the same team on or after the membership ends."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from jingzhun.teams.roster.lines import Line, Report
from jingzhun.teams.roster.stored import Stored

Key = tuple[str, str, dt.date]  # (personnel number, village, start)


@dataclass
class Posting:
    """One membership as the import would leave it: from the database, the file, or both."""

    cadre: str  # personnel number, or "#<id>" for a stored cadre without one
    village: str  # a closed team's membership: "<village>@<team>", kept apart from the village's open team
    start: dt.date
    role: str
    end: dt.date | None
    end_kind: str
    reason: str
    replaced_by: int | Key | None = None  # a stored membership's id, or the key of a posting of this state
    id: int | None = None
    team_id: int | None = None
    line: Line | None = None  # the file's row that sets it
    stored: tuple[object, ...] | None = None  # (role, end, end_kind, reason, replaced_by id) as stored

    @property
    def key(self) -> Key:
        return (self.cadre, self.village, self.start)

    @property
    def order(self) -> tuple[bool, int]:
        """Stored first, then in file order: the first of two clashing postings is the one kept."""
        return (self.line is not None, self.line.index if self.line else 0)


@dataclass
class State:
    postings: dict[Key, Posting] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # cadre → name, for the messages
    teams: dict[str, list[Posting]] = field(default_factory=dict)  # village (or closed team) → its postings

    def who(self, p: Posting) -> str:
        if p.line is not None:
            return f"第{p.line.row}行 row {p.line.row}"
        return f"已登记的 {self.names.get(p.cadre, p.cadre)}（{p.cadre}）/ stored"

    def successor_id(self, p: Posting) -> int | None:
        if p.replaced_by is None or isinstance(p.replaced_by, int):
            return p.replaced_by
        return self.postings[p.replaced_by].id


def lay_over(lines: list[Line], stored: Stored, report: Report) -> State:
    state = State()
    for m in stored.memberships:
        holder = m.pn or f"#{m.cadre_id}"
        state.names[holder] = m.name
        village = m.village if m.team_end is None else f"{m.village}@{m.team_id}"
        p = Posting(holder, village, m.start, m.role, m.end, m.end_kind, m.reason, m.replaced_by, m.id, m.team_id,
                    None, (m.role, m.end, m.end_kind, m.reason, m.replaced_by))
        state.postings[p.key] = p
    for line in lines:
        if line.bad or not line.pn or not line.village or line.start is None:
            continue
        team = stored.open_teams.get(line.village)
        if team is not None and line.start < team[1]:
            report.err(line, "start", line.cells["start"], f"早于该村工作队派驻日期 {team[1]} / before the team was "
                                                           f"posted ({team[1]})")
            continue
        key = (line.pn, line.village, line.start)
        if key not in state.postings:
            state.postings[key] = Posting(line.pn, line.village, line.start, "", None, "", "",
                                          team_id=team[0] if team else None)
        p = state.postings[key]
        p.role, p.end, p.end_kind, p.reason, p.line = (line.codes["role"], line.end, line.codes["end_kind"],
                                                       line.cells["recall_reason"], line)
        state.names.setdefault(line.pn, line.cells["name"])
    for p in state.postings.values():
        state.teams.setdefault(p.village, []).append(p)
    return state


def team_rules(state: State, report: Report) -> None:
    """At most one serving first secretary per team, one open membership per cadre and team."""
    for members in state.teams.values():
        serving = sorted((p for p in members if p.end is None and p.role == "first_secretary"), key=lambda p: p.order)
        for p in serving[1:]:
            if p.line is not None:
                report.err(p.line, "role", p.line.cells["role"], f"该工作队已有在任第一书记（{state.who(serving[0])}）/ "
                                                                 "the team already has a serving first secretary")
        open_by_cadre: dict[str, Posting] = {}
        for p in sorted(members, key=lambda p: p.order):
            if p.end is not None:
                continue
            first = open_by_cadre.setdefault(p.cadre, p)
            if first is not p and p.line is not None:
                report.err(p.line, "end", "", f"该干部在本工作队已有未结束的任职（{state.who(first)}）/ the cadre "
                                              "already has an open membership in this team")


def not_serving(lines: list[Line], first_row: dict[str, Line], state: State, report: Report) -> None:
    """A cadre who is not serving has no open membership anywhere (a stored one the file leaves open)."""
    still: dict[str, Posting] = {}
    for p in state.postings.values():
        if p.end is None and p.line is None:
            still.setdefault(p.cadre, p)
    for line in lines:
        if line.bad or not line.pn or line.codes["status"] == "serving" or first_row.get(line.pn) is not line:
            continue
        left = still.get(line.pn)
        if left is not None:
            report.err(line, "status", line.cells["status"], f"该干部仍有未结束的驻村任职（{left.village}，{left.start}）/ "
                                                             "the cadre still has an open membership")


def link_successors(lines: list[Line], state: State, report: Report) -> None:
    """A successor is the successor's membership of the same team that starts on or after this one ends;
    （清空） in 接替人 clears a stored successor, an empty cell keeps it."""
    for line in lines:
        if not line.successor or line.bad or line.start is None or line.end is None:
            continue
        ended = line.end
        candidates = sorted((p for p in state.teams.get(line.village, []) if p.cadre == line.successor
                             and p.start >= ended), key=lambda p: p.start)
        if not candidates:
            report.err(line, "replaced_by", line.successor, "接替人须是同一工作队在离队当日或之后到岗的成员 / the "
                                                            "successor must join the same team on or after this "
                                                            "membership ends")
            continue
        state.postings[(line.pn, line.village, line.start)].replaced_by = candidates[0].key
    for line in lines:
        if "replaced_by" in line.cleared and not line.bad and line.start is not None and line.village:
            emptied = state.postings.get((line.pn, line.village, line.start))
            if emptied is not None:
                emptied.replaced_by = None

