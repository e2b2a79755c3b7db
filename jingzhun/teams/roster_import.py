"""Import of the cadre roster (帮扶干部名册) and work teams (驻村工作队) from the organisation department's file.

One row per cadre and posting: the cadre's own columns (personnel number, name, sending unit, rank, skills,
where they are stationed, status) and, when the cadre serves on a village work team, that membership's
columns (village, role, dates, how it ended, the reason of a recall, who took over). A cadre with
memberships in two teams, or two terms in one, has two rows; their cadre columns must agree.

The same contract as the other imports (`jingzhun.teams.visit_import`, the register): every bad row is
reported as (file, row, column, value, rule), nothing is written if any row is bad, and importing the same
file again changes nothing. Cadres are matched by personnel number (人员编号), memberships by (cadre,
village's open team, start date): a matched row that differs is an update, an unmatched one an insert; rows
in the database that the file does not mention are left as they are (a roster file need not list a whole
province). The database constraints of `jingzhun.teams.models` (one serving first secretary per team, one
open membership per cadre and team, a recall gives its reason, end after start) are checked on the state
the import would leave — the file laid over what is stored — and reported as row errors before the
database sees a single write.

References are read with one query each (areas, cadres, open teams, memberships); writes are `bulk_create`
/ `bulk_update` in batches inside one transaction, with one audit row naming the counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jingzhun.areas.models import Area
from jingzhun.audit import log
from jingzhun.choices import Enum
from jingzhun.identity import mask_id_like
from jingzhun.registry.importer import ErrorRow
from jingzhun.teams.models import (
    CADRE_STATUS,
    END_KIND,
    RANK,
    SKILL,
    TEAM_ROLE,
    UNIT_KIND,
    Cadre,
    CadreStatusEvent,
    TeamMembership,
    WorkTeam,
)
from jingzhun.teams.scope import OUTSIDE, ROSTER_ROLES, Scope, resolve
from jingzhun.teams.visit_import import EARLIEST, Col, Ranges, _chunks, _in_ranges, _sha256, parse_date, read_file

BATCH = 500  # rows per bulk statement
CADRE_FIELDS = ("name", "unit", "unit_kind", "rank", "skills", "home_area_id", "status", "phone")
MEMBERSHIP_FIELDS = ("role", "end_date", "end_kind", "recall_reason")
HOME_LEVELS = ("county", "township", "village")
# An empty optional cell leaves a stored value as it is; this marker in a cell clears it (the template guide
# and docs/teams.md say so). Only the optional columns below can be cleared.
CLEAR = "（清空）"
CLEAR_MARKERS = frozenset({"（清空）", "(清空)", "(clear)", "（clear）"})
CLEARABLE = ("skills", "phone", "end", "end_kind", "recall_reason", "replaced_by")


@dataclass(frozen=True)
class RosterColumn(Col):
    note: str = ""
    enum: Enum | None = None
    max_length: int | None = None
    team: bool = False  # a membership column: empty when the row has no 驻村村


# The single definition of the roster file: the importer reads with it, the blank template and its guide
# are written from it, the demo's generator writes its header from it.
ROSTER_COLUMNS: tuple[RosterColumn, ...] = (
    RosterColumn("personnel_number", "人员编号", "personnel_number", max_length=32,
                 note="组织部门人员编号，每名干部唯一，重复导入据此匹配；字母、数字和“-” / the organisation "
                      "department's personnel number; re-imports match cadres by it"),
    RosterColumn("name", "姓名", "name", max_length=40),
    RosterColumn("unit", "派出单位", "unit", max_length=100),
    RosterColumn("unit_kind", "单位类别", "unit_kind", enum=UNIT_KIND),
    RosterColumn("rank", "职级", "rank", enum=RANK, note="决定帮扶户数上限 / sets the helper's household cap"),
    RosterColumn("skills", "专长", "skills", False, enum=SKILL,
                 note="可多项，以“、”或“,”分隔；空则不变，填“（清空）”清除 / several, separated by 、 or ,; empty = "
                      "unchanged, （清空） or (clear) clears"),
    RosterColumn("home_area", "帮扶所在区划", "home_area_code",
                 note="12位区划代码（县、乡或村），干部驻地，结对按此就近 / 12-digit code of the county, township "
                      "or village where the cadre is stationed"),
    RosterColumn("status", "状态", "status", False, enum=CADRE_STATUS,
                 note="新干部空为在岗，已登记干部空则不变；非在岗的干部不能有未结束的驻村任职 / empty = serving for a "
                      "new cadre, unchanged for a registered one; a cadre not serving has no open team membership"),
    RosterColumn("phone", "联系电话", "phone", False, max_length=20,
                 note="空则不变，填“（清空）”清除 / empty = unchanged, （清空） or (clear) clears"),
    RosterColumn("village", "驻村村", "village_code", False, team=True,
                 note="12位村代码；空则本行只登记干部 / 12-digit village code; empty = the row registers the "
                      "cadre only"),
    RosterColumn("role", "队内职务", "team_role", False, enum=TEAM_ROLE, team=True,
                 note="每个工作队同时只能有一名在任第一书记 / one serving first secretary per team"),
    RosterColumn("start", "派驻日期", "start_date", False, team=True, note="YYYY-MM-DD，不早于2013年、不晚于今天"),
    RosterColumn("end", "结束日期", "end_date", False, team=True,
                 note="新任职空为在任，已登记任职空则不变，填“（清空）”恢复在任；不早于派驻日期 / empty: serving (a new "
                      "membership) or unchanged (a registered one); （清空） reopens it; not before the start"),
    RosterColumn("end_kind", "离队类型", "end_kind", False, enum=END_KIND, team=True,
                 note="有结束日期时必填（已登记的可空，表示不变）/ required with an end date (empty = unchanged for a "
                      "registered membership)"),
    RosterColumn("recall_reason", "召回原因", "recall_reason", False, max_length=200, team=True,
                 note="离队类型为召回时必填，其他情形不填；已登记的空则不变 / required for a recall, otherwise empty; "
                      "empty = unchanged for a registered recall"),
    RosterColumn("replaced_by", "接替人", "replaced_by", False, team=True,
                 note="接替者的人员编号（本文件中或已登记），须在同一工作队、离队当日或之后到岗；空则不变，填“（清空）”清除 / "
                      "personnel number of the successor, on the same team, starting on or after this membership "
                      "ends; empty = unchanged, （清空） or (clear) clears"),
)
HEADERS = tuple(c.header for c in ROSTER_COLUMNS)
H = {c.key: c.header for c in ROSTER_COLUMNS}
CADRE_KEYS = ("name", "unit", "unit_kind", "rank", "skills", "home_area", "status", "phone")


@dataclass
class RosterOutcome:
    file_name: str
    rows: int = 0
    errors: list[ErrorRow] = field(default_factory=list)
    checked_only: bool = False
    cadres_inserted: int = 0
    cadres_updated: int = 0
    cadres_unchanged: int = 0
    teams_inserted: int = 0
    memberships_inserted: int = 0
    memberships_updated: int = 0
    memberships_unchanged: int = 0
    status_events: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.cadres_inserted or self.cadres_updated or self.teams_inserted
                    or self.memberships_inserted or self.memberships_updated)

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in (
            "rows", "cadres_inserted", "cadres_updated", "cadres_unchanged", "teams_inserted",
            "memberships_inserted", "memberships_updated", "memberships_unchanged", "status_events")}

    def summary(self) -> str:
        return (f"干部 cadres: 新增 {self.cadres_inserted} new, 更新 {self.cadres_updated} updated, "
                f"不变 {self.cadres_unchanged} unchanged; 工作队 teams: 新增 {self.teams_inserted} new; "
                f"队员任职 memberships: 新增 {self.memberships_inserted} new, 更新 {self.memberships_updated} "
                f"updated, 不变 {self.memberships_unchanged} unchanged")


@dataclass
class _Membership:
    """One membership as the import would leave it: from the database, the file, or both."""

    cadre: str  # personnel number, or "#<id>" for a stored cadre without one
    village: str
    start: dt.date
    role: str
    end: dt.date | None
    end_kind: str
    reason: str
    replaced_by: int | tuple[str, str, dt.date] | None = None  # stored id, or a key of this map
    id: int | None = None
    team_id: int | None = None
    row: int | None = None  # index of the file row that sets it
    stored: tuple[Any, ...] | None = None  # (role, end, end_kind, reason, replaced_by id) as stored

    @property
    def key(self) -> tuple[str, str, dt.date]:
        return (self.cadre, self.village, self.start)


def _known(pk: int | None) -> int:
    assert pk is not None
    return pk


def _split(text: str) -> list[str]:
    for sep in ("，", "、", ";", "；", "/"):
        text = text.replace(sep, ",")
    return [x.strip() for x in text.split(",") if x.strip()]


def _pn_ok(text: str) -> bool:
    return all(ch.isascii() and (ch.isalnum() or ch == "-") for ch in text)


def import_roster(path: str | Path, *, actor: str, ranges: Ranges = None, user: object | None = None,
                  today: dt.date | None = None, check: bool = False) -> RosterOutcome:
    """Validate a roster file and, when every row is good (and `check` is false), apply it in one transaction.

    Who may write where: `user` (their officer roles' areas) or bare `ranges` (area code ranges,
    `jingzhun.access.ranges`); neither = the console operator, unrestricted. A row may create a cadre or a
    team only in those areas and may change a stored cadre only when the cadre is wholly in them (home area
    and every open team's village: `jingzhun.teams.scope`). A check run is audited; errors mask ID-shaped
    values.
    """
    scope = resolve(user, ranges, ROSTER_ROLES)
    out = _import(path, actor=actor, scope=scope, today=today or timezone.localdate(), check=check)
    out.errors = [ErrorRow(e.file, e.row, e.column, mask_id_like(e.value), mask_id_like(e.rule)) for e in out.errors]
    if check:
        # A check answers questions about the register (is this personnel number registered elsewhere?).
        detail: dict[str, Any] = {"file": out.file_name, "sha256": _sha256(path), "errors": len(out.errors),
                                  **out.counts()}
        log.record(actor, "teams.roster.check", object_type="roster", object_id=out.file_name, **detail)
    return out


def _is_clear(text: str) -> bool:
    return "".join(text.split()).lower() in CLEAR_MARKERS


def _import(path: str | Path, *, actor: str, scope: Scope, today: dt.date, check: bool) -> RosterOutcome:
    ranges = scope.ranges
    cells, read_errors = read_file(path, ROSTER_COLUMNS)
    name = Path(path).name
    rows: list[int] = [int(r) for r in cells["_row"]]
    n = len(rows)
    out = RosterOutcome(name, rows=n, errors=read_errors, checked_only=check)
    # Rows with an error in a column that identifies the cadre or the membership: the checks across rows skip
    # them, so that one bad cell is reported once and not echoed by every rule that reads it.
    bad: set[int] = set()
    membership_keys = {c.key for c in ROSTER_COLUMNS if c.team} | {"personnel_number", "status"}

    def err(i: int, key: str, value: str, rule: str) -> None:
        out.errors.append(ErrorRow(name, rows[i], H[key], value, rule))
        if key in membership_keys:
            bad.add(i)

    # Clearing is explicit: an empty optional cell leaves the stored value as it is, （清空） / (clear) empties it.
    cleared: dict[str, set[int]] = {key: set() for key in CLEARABLE}
    for c in ROSTER_COLUMNS:
        for i, t in enumerate(cells[c.key]):
            if t and _is_clear(t):
                if c.key in CLEARABLE:
                    cleared[c.key].add(i)
                    cells[c.key][i] = ""
                else:
                    err(i, c.key, t, "本列不能清空 / this column cannot be cleared")

    # What is stored: one query each (cadres, open teams, memberships), before any check -------------------
    pns = sorted({t for key in ("personnel_number", "replaced_by") for t in cells[key] if t})
    stored_cadres: dict[str, dict[str, Any]] = {}
    for part in _chunks(pns):
        for row in Cadre.objects.filter(personnel_number__in=part).values("id", "personnel_number", *CADRE_FIELDS):
            stored_cadres[row["personnel_number"]] = row
    villages = sorted({v for v in cells["village"] if v})
    open_teams: dict[str, tuple[int, dt.date]] = {}
    for part in _chunks(villages):
        open_teams.update((v, (pk, s)) for pk, v, s in WorkTeam.objects.filter(
            village_id__in=part, end_date__isnull=True).values_list("id", "village_id", "start_date"))
    team_ids = [pk for pk, _ in open_teams.values()]
    cadre_ids = [r["id"] for r in stored_cadres.values()]
    stored_rows = list(TeamMembership.objects.filter(Q(team_id__in=team_ids) | Q(cadre_id__in=cadre_ids)).values_list(
        "id", "cadre_id", "cadre__personnel_number", "cadre__name", "team_id", "team__village_id", "team__end_date",
        "role", "start_date", "end_date", "end_kind", "recall_reason", "replaced_by_id"))

    # Whose cadres these are. A row matching a stored cadre changes them: only when the cadre is wholly in the
    # importer's areas (home area and every open posting). The refusal does not say where they are.
    open_at: dict[int, set[str]] = {}
    for r in stored_rows:
        if r[9] is None:
            open_at.setdefault(r[1], set()).add(r[5])
    wholly = {pn for pn, r in stored_cadres.items() if scope.wholly_here(r["home_area_id"], open_at.get(r["id"], ()))}
    works = {pn for pn, r in stored_cadres.items() if scope.works_here(r["home_area_id"], open_at.get(r["id"], ()))}
    for i, pn in enumerate(cells["personnel_number"]):
        if pn in stored_cadres and pn not in wholly:
            err(i, "personnel_number", pn, f"{OUTSIDE}：该人员编号的干部不能由您导入或更新 / the cadre with this "
                                           "personnel number is not yours to import or update")

    # An empty cell of a stored cadre or membership keeps the stored value: filled in before the checks.
    by_key = {(pn, village, s): (e, kind, reason) for (_, _, pn, _, _, village, team_end, _, s, e, kind, reason, _)
              in stored_rows if pn and team_end is None}
    kinds = END_KIND.lookup()
    for i, pn in enumerate(cells["personnel_number"]):
        if i in bad or pn not in wholly:
            continue
        kept = stored_cadres[pn]
        for key in ("skills", "status", "phone"):
            if not cells[key][i] and i not in cleared.get(key, ()):
                cells[key][i] = str(kept[key])
        began = parse_date(cells["start"][i]) if cells["start"][i] else None
        stored_m = by_key.get((pn, cells["village"][i], began)) if began else None
        if stored_m is None:
            continue
        was_end, was_kind, was_reason = stored_m
        if i in cleared["end"]:  # reopened: an open membership has no end kind, reason or successor
            for key in ("end_kind", "recall_reason", "replaced_by"):
                if not cells[key][i]:
                    cleared[key].add(i)
            continue
        if not cells["end"][i] and was_end is not None:
            cells["end"][i] = was_end.isoformat()
        if not cells["end_kind"][i] and i not in cleared["end_kind"] and was_kind and cells["end"][i]:
            cells["end_kind"][i] = was_kind
        if (not cells["recall_reason"][i] and i not in cleared["recall_reason"] and was_reason
                and kinds.get(cells["end_kind"][i]) == "recalled"):
            cells["recall_reason"][i] = was_reason

    # Cell by cell ----------------------------------------------------------------------------------------
    for c in ROSTER_COLUMNS:
        for i, t in enumerate(cells[c.key]):
            if c.required and not t:
                err(i, c.key, t, "必填 / required")
            elif c.max_length and len(t) > c.max_length:
                err(i, c.key, t, f"不超过{c.max_length}字 / at most {c.max_length} characters")
    for key in ("personnel_number", "replaced_by"):
        for i, t in enumerate(cells[key]):
            if t and len(t) <= 32 and not _pn_ok(t):
                err(i, key, t, "人员编号只含字母、数字和“-” / letters, digits and '-' only")
    enums: dict[str, list[str]] = {}
    for c in ROSTER_COLUMNS:
        if c.enum is None or c.key == "skills":
            continue
        lookup = c.enum.lookup()
        values = enums[c.key] = [""] * n
        for i, t in enumerate(cells[c.key]):
            if t in lookup:
                values[i] = lookup[t]
            elif t:
                err(i, c.key, t, "应为 / one of: " + "、".join(zh for _, zh in c.enum.choices))
    enums["status"] = [s if cells["status"][i] else "serving" for i, s in enumerate(enums["status"])]
    skill_lookup = SKILL.lookup()
    skills = [""] * n
    for i, t in enumerate(cells["skills"]):
        given = _split(t)
        unknown = [x for x in given if x not in skill_lookup]
        if unknown:
            err(i, "skills", t, f"未知专长 / unknown skills: {'、'.join(unknown)}; 可选 / one of: "
                               + "、".join(zh for _, zh in SKILL.choices))
        codes = {skill_lookup[x] for x in given if x in skill_lookup}
        skills[i] = ",".join(c for c in SKILL.codes if c in codes)

    # Areas: one query for every code the file names.
    wanted = sorted({t for key in ("home_area", "village") for t in cells[key] if t})
    levels: dict[str, str] = {}
    for part in _chunks(wanted):
        levels.update(Area.objects.filter(code__in=part).values_list("code", "level"))
    for key, allowed, rule in (("home_area", HOME_LEVELS, "应为县、乡或村级区划 / must be a county, township or village"),
                               ("village", ("village",), "应为村级区划代码 / must be a village")):
        for i, code in enumerate(cells[key]):
            if not code:
                continue
            if len(code) != 12 or not code.isdigit():
                err(i, key, code, "应为12位数字区划代码 / a 12-digit area code")
            elif code not in levels:
                err(i, key, code, "没有这个区划代码 / no area with this code")
            elif levels[code] not in allowed:
                err(i, key, code, rule)
            elif not _in_ranges(code, ranges):
                err(i, key, code, "不在您的管辖区划内 / outside your areas")

    dates: dict[str, list[dt.date | None]] = {}
    for key in ("start", "end"):
        values_d: list[dt.date | None] = [None] * n
        for i, t in enumerate(cells[key]):
            d = parse_date(t) if t else None
            if not t:
                continue
            if d is None:
                err(i, key, t, "日期格式应为 YYYY-MM-DD / a date as YYYY-MM-DD")
            elif d < EARLIEST:
                err(i, key, t, f"早于{EARLIEST.year}年 / before {EARLIEST.year}")
            elif d > today:
                err(i, key, t, "日期晚于今天 / the date is in the future")
            else:
                values_d[i] = d
        dates[key] = values_d
    start, end = dates["start"], dates["end"]

    # Row rules ---------------------------------------------------------------------------------------------
    for i in range(n):
        village = cells["village"][i]
        if not village:
            for c in ROSTER_COLUMNS:
                if c.team and c.key != "village" and cells[c.key][i]:
                    err(i, c.key, cells[c.key][i], "未填驻村村，本列应为空 / no 驻村村 given: leave this empty")
            continue
        for key in ("role", "start"):
            if not cells[key][i]:
                err(i, key, "", "填了驻村村时必填 / required with 驻村村")
        s, e, kind, reason = start[i], end[i], enums["end_kind"][i], cells["recall_reason"][i]
        if s and e and e < s:
            err(i, "end", cells["end"][i], "结束日期早于派驻日期 / ends before it starts")
        if cells["end"][i] and not cells["end_kind"][i]:
            err(i, "end_kind", "", "填了结束日期必须填离队类型 / an end date needs how it ended")
        if cells["end_kind"][i] and not cells["end"][i]:
            err(i, "end", "", "填了离队类型必须填结束日期 / how it ended needs an end date")
        if kind == "recalled" and not reason:
            err(i, "recall_reason", "", "召回必须填写原因 / a recall needs its reason")
        if reason and ((kind and kind != "recalled") or not (cells["end_kind"][i] or cells["end"][i])):
            err(i, "recall_reason", reason, "只有召回才填召回原因 / a reason is given for a recall only")
        successor = cells["replaced_by"][i]
        if successor and not cells["end"][i]:
            err(i, "replaced_by", successor, "在任成员没有接替人 / only an ended membership has a successor")
        elif successor and successor == cells["personnel_number"][i]:
            err(i, "replaced_by", successor, "不能由本人接替 / a cadre cannot succeed themselves")
        if enums["status"][i] != "serving" and cells["village"][i] and not cells["end"][i]:
            err(i, "status", cells["status"][i],
                "非在岗干部不能有未结束的驻村任职 / a cadre not serving has no open membership")

    # Rows of one cadre agree; memberships and bare rows are not repeated.
    first_row: dict[str, int] = {}
    seen_membership: dict[tuple[str, str, str], int] = {}
    for i in range(n):
        pn = cells["personnel_number"][i]
        if not pn:
            continue
        if pn in first_row:
            j = first_row[pn]
            for key in CADRE_KEYS:
                if cells[key][i] != cells[key][j]:
                    err(i, key, cells[key][i], f"与第{rows[j]}行（同一人员编号）不一致 / differs from row "
                                               f"{rows[j]} of the same personnel number")
            if not cells["village"][i] or not cells["village"][j]:
                err(i, "personnel_number", pn, f"与第{rows[j]}行重复 / duplicates row {rows[j]}")
        else:
            first_row[pn] = i
        mkey = (pn, cells["village"][i], cells["start"][i])
        if cells["village"][i] and cells["start"][i]:
            if mkey in seen_membership:
                j = seen_membership[mkey]
                err(i, "start", cells["start"][i], f"与第{rows[j]}行重复（同一干部、村、派驻日期）/ duplicates row {rows[j]}")
            else:
                seen_membership[mkey] = i

    for i, successor in enumerate(cells["replaced_by"]):
        if successor and successor not in first_row and successor not in works and _pn_ok(successor):
            err(i, "replaced_by", successor, "本文件和您管辖区划内都没有这个人员编号的干部 / no cadre with this "
                                             "personnel number in the file or your areas")
    state: dict[tuple[str, str, dt.date], _Membership] = {}
    by_id: dict[int, _Membership] = {}
    names: dict[str, str] = {}
    for (pk, cadre_id, pn, cname, team_id, village, team_end, role, s, e, kind, reason,
         stored_successor) in stored_rows:
        holder = pn or f"#{cadre_id}"
        names[holder] = cname
        # A stored membership of a closed team is kept apart from the village's open team.
        m = _Membership(holder, village if team_end is None else f"{village}@{team_id}", s, role, e, kind, reason,
                        stored_successor, pk, team_id, None, (role, e, kind, reason, stored_successor))
        state[m.key] = m
        by_id[pk] = m

    # The file laid over the stored state ------------------------------------------------------------------
    for i in range(n):
        pn, village, s = cells["personnel_number"][i], cells["village"][i], start[i]
        if not pn or not village or s is None or i in bad:
            continue
        if village in open_teams and s < open_teams[village][1]:
            err(i, "start", cells["start"][i], f"早于该村工作队派驻日期 {open_teams[village][1]} / before the team "
                                               f"was posted ({open_teams[village][1]})")
            continue
        skey = (pn, village, s)
        found = state.get(skey)
        if found is None:
            found = state[skey] = _Membership(pn, village, s, "", None, "", "",
                                         team_id=open_teams.get(village, (None, None))[0])
        found.role, found.end, found.end_kind = enums["role"][i], end[i], enums["end_kind"][i]
        found.reason, found.row = cells["recall_reason"][i], i
        names.setdefault(pn, cells["name"][i])

    def who(m: _Membership) -> str:
        if m.row is not None:
            return f"第{rows[m.row]}行 row {rows[m.row]}"
        return f"已登记的 {names.get(m.cadre, m.cadre)}（{m.cadre}）/ stored"

    # Constraints on the resulting state: at most one serving first secretary per team, one open
    # membership per cadre and team.
    teams: dict[str, list[_Membership]] = {}
    for m in state.values():
        teams.setdefault(m.village, []).append(m)
    for members in teams.values():
        open_fs = sorted((m for m in members if m.end is None and m.role == "first_secretary"),
                         key=lambda m: (m.row is not None, m.row or 0))
        for m in open_fs[1:]:
            if m.row is not None:
                err(m.row, "role", cells["role"][m.row], f"该工作队已有在任第一书记（{who(open_fs[0])}）/ the team "
                                                         "already has a serving first secretary")
        open_by_cadre: dict[str, _Membership] = {}
        for m in sorted(members, key=lambda m: (m.row is not None, m.row or 0)):
            if m.end is not None:
                continue
            if m.cadre in open_by_cadre and m.row is not None:
                err(m.row, "end", "", f"该干部在本工作队已有未结束的任职（{who(open_by_cadre[m.cadre])}）/ the cadre "
                                      "already has an open membership in this team")
            open_by_cadre.setdefault(m.cadre, m)
    # A cadre who is not serving has no open membership anywhere.
    for i in range(n):
        pn = cells["personnel_number"][i]
        if i in bad or not pn or enums["status"][i] == "serving" or first_row.get(pn) != i:
            continue
        still = [m for m in state.values() if m.cadre == pn and m.end is None and m.row is None]
        if still:
            err(i, "status", cells["status"][i], f"该干部仍有未结束的驻村任职（{still[0].village}，{still[0].start}）/ "
                                                 "the cadre still has an open membership")

    # Successors: the successor's membership in the same team that starts on or after this one ends.
    for i in range(n):
        successor, pn, village = cells["replaced_by"][i], cells["personnel_number"][i], cells["village"][i]
        if not successor or i in bad or start[i] is None or end[i] is None:
            continue
        ended = end[i]
        assert ended is not None
        candidates = sorted((m for m in teams.get(village, []) if m.cadre == successor and m.start >= ended),
                            key=lambda m: m.start)
        if not candidates:
            err(i, "replaced_by", successor, "接替人须是同一工作队在离队当日或之后到岗的成员 / the successor must join "
                                             "the same team on or after this membership ends")
            continue
        state[(pn, village, start[i] or ended)].replaced_by = candidates[0].key
    for i in range(n):  # （清空） in 接替人 clears a stored successor; an empty cell keeps it
        began = start[i]
        if i in cleared["replaced_by"] and i not in bad and began is not None and cells["village"][i]:
            emptied = state.get((cells["personnel_number"][i], cells["village"][i], began))
            if emptied is not None:
                emptied.replaced_by = None

    if out.errors or n == 0:
        order = {c.header: k for k, c in enumerate(ROSTER_COLUMNS)}
        out.errors.sort(key=lambda e: (e.row, order.get(e.column, 99)))
        return out

    # What changes ----------------------------------------------------------------------------------------
    new_cadres: list[Cadre] = []
    changed_cadres: list[Cadre] = []
    status_changed: dict[str, str] = {}  # personnel number → new status, for cadres stored before
    moves: list[list[str]] = []  # [personnel number, old home area, new home area]
    for pn, i in first_row.items():
        record: dict[str, Any] = {"name": cells["name"][i], "unit": cells["unit"][i], "unit_kind": enums["unit_kind"][i],
                  "rank": enums["rank"][i], "skills": skills[i], "home_area_id": cells["home_area"][i],
                                  "status": enums["status"][i], "phone": cells["phone"][i]}
        stored = stored_cadres.get(pn)
        if stored is None:
            new_cadres.append(Cadre(personnel_number=pn, **record))
        elif any(stored[f] != record[f] for f in CADRE_FIELDS):
            changed_cadres.append(Cadre(id=stored["id"], personnel_number=pn, **record))
            if stored["home_area_id"] != record["home_area_id"]:  # a move, recorded as one (both ends are in scope)
                moves.append([pn, stored["home_area_id"], record["home_area_id"]])
            if stored["status"] != record["status"]:
                status_changed[pn] = record["status"]
        else:
            out.cadres_unchanged += 1
    from_file = [m for m in state.values() if m.row is not None]
    new_villages = sorted({m.village for m in from_file if m.team_id is None})
    new_members = [m for m in from_file if m.id is None]

    def successor_id(m: _Membership) -> int | None:
        if m.replaced_by is None or isinstance(m.replaced_by, int):
            return m.replaced_by
        return state[m.replaced_by].id

    changed_members = [m for m in from_file if m.id is not None and m.stored is not None
                       and m.stored[:4] != (m.role, m.end, m.end_kind, m.reason)]
    # A successor stored before is known now; one inserted by this import only after the inserts.
    relinked = [m for m in from_file if m.id is not None and m.stored is not None
                and not (isinstance(m.replaced_by, tuple) and state[m.replaced_by].id is None)
                and m.stored[4] != successor_id(m)]
    relinked += [m for m in from_file if m.replaced_by is not None and (
        m.id is None or (isinstance(m.replaced_by, tuple) and state[m.replaced_by].id is None))]
    recalled_now = [m for m in from_file if m.end_kind == "recalled"
                    and (m.stored is None or m.stored[2] != "recalled")]
    out.cadres_inserted, out.cadres_updated = len(new_cadres), len(changed_cadres)
    out.teams_inserted = len(new_villages)
    out.memberships_inserted = len(new_members)
    out.memberships_updated = len({id(m) for m in changed_members} | {id(m) for m in relinked if m.id is not None})
    out.memberships_unchanged = len(from_file) - out.memberships_inserted - out.memberships_updated
    if check or not out.changed:
        return out

    with transaction.atomic():
        Cadre.objects.bulk_create(new_cadres, batch_size=BATCH)
        Cadre.objects.bulk_update(changed_cadres, list(CADRE_FIELDS), batch_size=BATCH)
        cadre_pk = {r["personnel_number"]: r["id"] for r in stored_cadres.values()}
        cadre_pk.update((c.personnel_number, c.pk) for c in new_cadres)
        team_start: dict[str, dt.date] = {}
        for m in from_file:
            if m.team_id is None:
                team_start[m.village] = min(team_start.get(m.village, m.start), m.start)
        created_teams = WorkTeam.objects.bulk_create(
            [WorkTeam(village_id=v, start_date=team_start[v]) for v in new_villages], batch_size=BATCH)
        team_of = {t.village_id: t.pk for t in created_teams}
        for m in from_file:
            if m.team_id is None:
                m.team_id = team_of[m.village]
        # Closing first, then memberships staying open, first secretaries last: no statement ever holds two
        # serving first secretaries of a team, even for a moment (PostgreSQL checks unique indexes row by row).
        phases = ([m for m in changed_members if m.end is not None],
                  [m for m in changed_members if m.end is None and m.role != "first_secretary"],
                  [m for m in changed_members if m.end is None and m.role == "first_secretary"])
        for phase in phases:
            TeamMembership.objects.bulk_update(
                [TeamMembership(id=m.id, role=m.role, end_date=m.end, end_kind=m.end_kind, recall_reason=m.reason)
                 for m in phase], list(MEMBERSHIP_FIELDS), batch_size=BATCH)
        inserted = TeamMembership.objects.bulk_create(
            [TeamMembership(cadre_id=cadre_pk[m.cadre], team_id=_known(m.team_id), role=m.role, start_date=m.start,
                            end_date=m.end, end_kind=m.end_kind, recall_reason=m.reason) for m in new_members],
            batch_size=BATCH)
        for m, row in zip(new_members, inserted, strict=True):
            m.id = row.pk
        TeamMembership.objects.bulk_update(
            [TeamMembership(id=m.id, replaced_by_id=successor_id(m)) for m in relinked], ["replaced_by"],
            batch_size=BATCH)
        events: list[CadreStatusEvent] = []
        recalled_cadres = set()
        for m in recalled_now:
            assert m.end is not None
            events.append(CadreStatusEvent(cadre_id=cadre_pk[m.cadre], status="serving", date=m.start, reason="派驻"))
            events.append(CadreStatusEvent(cadre_id=cadre_pk[m.cadre], status="recalled", date=m.end,
                                           reason=m.reason))
            recalled_cadres.add(m.cadre)
        for cadre in new_cadres:
            if cadre.status != "serving" and cadre.personnel_number not in recalled_cadres:
                status_changed[cadre.personnel_number] = cadre.status
        for pn, status in sorted(status_changed.items()):
            if not (status == "recalled" and pn in recalled_cadres):
                events.append(CadreStatusEvent(cadre_id=cadre_pk[pn], status=status, date=today,
                                               reason=f"名册导入 / roster import {name}"))
        CadreStatusEvent.objects.bulk_create(events, batch_size=BATCH)
        out.status_events = len(events)
        detail: dict[str, Any] = {"file": name, "sha256": _sha256(path), **out.counts(), "moves": moves}
        # Every team village and home area the file names, and where moved cadres were: the officers of each
        # see the import in their audit log.
        written = {code for key in ("home_area", "village") for code in cells[key] if code}
        written.update(old for _pn, old, _new in moves if old)
        log.record(actor, "teams.roster.import", object_type="roster", object_id=name, areas=sorted(written), **detail)
    return out


def write_blank_template(path: str | Path) -> Path:
    """The roster template: the header row (as text columns) and a sheet that says what each column takes."""
    import xlsxwriter

    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True})
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet("干部名册")
    sheet.write_row(0, 0, HEADERS, head)
    for j, c in enumerate(ROSTER_COLUMNS):
        sheet.set_column(j, j, max(10, min(24, len(c.header) * 3)), text)
    sheet.freeze_panes(1, 2)
    guide = book.add_worksheet("填写说明")
    guide.write_row(0, 0, ["列名", "English", "必填 Required", "取值 Allowed values", "说明 Notes"], head)
    for i, c in enumerate(ROSTER_COLUMNS, start=1):
        allowed = "、".join(zh for _, zh in c.enum.choices) if c.enum else ""
        required = "是" if c.required else ("有驻村村时必填" if c.key in ("role", "start") else "否")
        guide.write_row(i, 0, [c.header, c.alias, required, allowed, c.note])
    guide.set_column(0, 2, 18)
    guide.set_column(3, 4, 70)
    book.close()
    return path


def guide_rows() -> list[tuple[str, str, str, str, str]]:
    """The column guide as rows (header, alias, required, allowed values, notes), for docs and tests."""
    result = []
    for c in ROSTER_COLUMNS:
        allowed = "、".join(zh for _, zh in c.enum.choices) if c.enum else ""
        required = "是" if c.required else ("有驻村村时必填" if c.key in ("role", "start") else "否")
        result.append((c.header, c.alias, required, allowed, c.note))
    return result

