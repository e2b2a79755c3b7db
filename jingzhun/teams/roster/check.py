"""The rules of one roster row, in the order they are applied: clear markers, the area rule on a stored
cadre, a stored value filled into an empty cell, then each cell and the row as a whole. The rules across
rows (one cadre's rows agree, memberships laid over the stored teams) are in `rows.py` and `state.py`."""

from __future__ import annotations

import datetime as dt
import re

from jingzhun.tabular import parse, rules
from jingzhun.teams.models import END_KIND, SKILL
from jingzhun.teams.roster.lines import Line, Report
from jingzhun.teams.roster.spec import CLEARABLE, EARLIEST, HOME_LEVELS, ROSTER_COLUMNS, TEAM_KEYS
from jingzhun.teams.roster.stored import Stored, StoredMembership

CODED = tuple(c for c in ROSTER_COLUMNS if c.enum is not None and c.kind == "enum")
NOT_YOURS = (f"{rules.OUTSIDE}：该人员编号的干部不能由您导入或更新 / the cadre with this personnel number is not "
             "yours to import or update")


PERSONNEL_NUMBER = re.compile(r"[A-Za-z0-9-]*")


def pn_ok(text: str) -> bool:
    """A personnel number: letters, digits and '-'."""
    return PERSONNEL_NUMBER.fullmatch(text) is not None


def date_or_none(text: str) -> dt.date | None:
    try:
        return parse.parse_date(text) if text else None
    except parse.Invalid:
        return None


def clear_markers(lines: list[Line], report: Report) -> None:
    """（清空） empties a clearable column (the stored value goes); any other column refuses it."""
    for line in lines:
        for key, text in line.raw.items():
            if not text or text[0] not in "（(" or not rules.is_clear(text):  # the first test: speed only
                continue
            if key in CLEARABLE:
                line.cleared.add(key)
                line.cells[key] = ""
            else:
                report.err(line, key, text, "本列不能清空 / this column cannot be cleared")


def refuse_cadres_outside(lines: list[Line], stored: Stored, report: Report) -> None:
    """A row matching a stored cadre changes them: only when the cadre is wholly in the importer's areas.
    The refusal does not say where they are."""
    for line in lines:
        if line.pn in stored.cadres and line.pn not in stored.wholly:
            report.err(line, "personnel_number", line.pn, NOT_YOURS)


def fill_stored(lines: list[Line], stored: Stored) -> None:
    """Empty means unchanged: an empty cell of a stored cadre or membership takes the stored value, before
    any rule reads the row (the rules then judge the state the import would leave)."""
    for line in lines:
        if line.bad or line.pn not in stored.wholly:
            continue
        kept = stored.cadres[line.pn]
        for key in ("skills", "status", "phone"):
            line.cells[key] = rules.merged(str(kept[key]), line.raw[key], str) or ""
        began = date_or_none(line.cells["start"])
        was = stored.open_membership(line.pn, line.village, began) if began else None
        if was is not None:
            _fill_membership(line, was)


def _fill_membership(line: Line, was: StoredMembership) -> None:
    if "end" in line.cleared:  # reopened: an open membership has no end kind, reason or successor
        line.cleared.update(key for key in ("end_kind", "recall_reason", "replaced_by") if not line.cells[key])
        return
    line.cells["end"] = rules.merged(was.end.isoformat() if was.end else "", line.raw["end"], str) or ""
    # How it ended is kept while it still ended, the reason while it is still a recall.
    if not line.cells["end_kind"] and "end_kind" not in line.cleared and was.end_kind and line.cells["end"]:
        line.cells["end_kind"] = was.end_kind
    if (not line.cells["recall_reason"] and "recall_reason" not in line.cleared and was.reason
            and END_KIND.lookup().get(line.cells["end_kind"]) == "recalled"):
        line.cells["recall_reason"] = was.reason


def check_cells(line: Line, report: Report, stored: Stored, scope: rules.Scope, today: dt.date) -> None:
    _required_and_length(line, report)
    _personnel_numbers(line, report)
    _coded(line, report)
    _areas(line, report, stored.levels, scope)
    _dates(line, report, today)


def _required_and_length(line: Line, report: Report) -> None:
    for c in ROSTER_COLUMNS:
        text = line.cells[c.key]
        if c.required and not text:
            report.err(line, c.key, text, "必填 / required")
        elif c.max_length and len(text) > c.max_length:
            report.err(line, c.key, text, f"不超过{c.max_length}字 / at most {c.max_length} characters")


def _personnel_numbers(line: Line, report: Report) -> None:
    for key in ("personnel_number", "replaced_by"):
        text = line.cells[key]
        if text and len(text) <= 32 and not pn_ok(text):
            report.err(line, key, text, "人员编号只含字母、数字和“-” / letters, digits and '-' only")


def _coded(line: Line, report: Report) -> None:
    for c in CODED:
        text = line.cells[c.key]
        line.codes[c.key] = ""
        if text:
            assert c.enum is not None
            try:
                line.codes[c.key] = parse.parse_choice(text, c.enum)
            except parse.Invalid as exc:
                report.err(line, c.key, text, str(exc))
    if not line.cells["status"]:
        line.codes["status"] = "serving"  # a new cadre (a stored one's status was filled in)
    try:
        line.skills = ",".join(parse.parse_multi(line.cells["skills"], SKILL))
    except parse.Invalid as exc:
        report.err(line, "skills", line.cells["skills"], str(exc))


def _areas(line: Line, report: Report, levels: dict[str, str], scope: rules.Scope) -> None:
    for key, allowed, rule in (("home_area", HOME_LEVELS, "应为县、乡或村级区划 / must be a county, township or village"),
                               ("village", ("village",), "应为村级区划代码 / must be a village")):
        code = line.cells[key]
        if not code:
            continue
        if len(code) != 12 or not code.isdigit():
            report.err(line, key, code, "应为12位数字区划代码 / a 12-digit area code")
        elif not scope.covers(code):  # one answer whether the code exists there or not: no oracle
            report.err(line, key, code, rules.OUTSIDE)
        elif code not in levels:
            report.err(line, key, code, "没有这个区划代码 / no area with this code")
        elif levels[code] not in allowed:
            report.err(line, key, code, rule)


def _dates(line: Line, report: Report, today: dt.date) -> None:
    for key in ("start", "end"):
        text = line.cells[key]
        if not text:
            continue
        try:
            day = parse.parse_date(text)
        except parse.Invalid as exc:
            report.err(line, key, text, str(exc))
            continue
        if day < EARLIEST:
            report.err(line, key, text, f"早于{EARLIEST.year}年 / before {EARLIEST.year}")
        elif day > today:
            report.err(line, key, text, "日期晚于今天 / the date is in the future")
        else:
            setattr(line, key, day)


def check_row(line: Line, report: Report) -> None:
    """The row as a whole: a membership's columns with or without 驻村村, how it ended, its successor."""
    if not line.village:
        for key in TEAM_KEYS:
            if key != "village" and line.cells[key]:
                report.err(line, key, line.cells[key], "未填驻村村，本列应为空 / no 驻村村 given: leave this empty")
        return
    for key in ("role", "start"):
        if not line.cells[key]:
            report.err(line, key, "", "填了驻村村时必填 / required with 驻村村")
    _ending(line, report)
    successor = line.successor
    if successor and not line.cells["end"]:
        report.err(line, "replaced_by", successor, "在任成员没有接替人 / only an ended membership has a successor")
    elif successor and successor == line.pn:
        report.err(line, "replaced_by", successor, "不能由本人接替 / a cadre cannot succeed themselves")
    if line.codes["status"] != "serving" and not line.cells["end"]:
        report.err(line, "status", line.cells["status"],
                   "非在岗干部不能有未结束的驻村任职 / a cadre not serving has no open membership")


def _ending(line: Line, report: Report) -> None:
    end, kind, reason = line.cells["end"], line.codes["end_kind"], line.cells["recall_reason"]
    if line.start and line.end and line.end < line.start:
        report.err(line, "end", end, "结束日期早于派驻日期 / ends before it starts")
    if end and not line.cells["end_kind"]:
        report.err(line, "end_kind", "", "填了结束日期必须填离队类型 / an end date needs how it ended")
    if line.cells["end_kind"] and not end:
        report.err(line, "end", "", "填了离队类型必须填结束日期 / how it ended needs an end date")
    if kind == "recalled" and not reason:
        report.err(line, "recall_reason", "", "召回必须填写原因 / a recall needs its reason")
    if reason and ((kind and kind != "recalled") or not (line.cells["end_kind"] or end)):
        report.err(line, "recall_reason", reason, "只有召回才填召回原因 / a reason is given for a recall only")
