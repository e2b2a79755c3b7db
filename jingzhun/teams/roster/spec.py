"""The roster file (帮扶干部名册): its columns, the one definition the importer reads with, the blank template
and its guide are written from, and the demo's generator writes its header from.

A column's `level` says what it belongs to: "cadre" (the cadre's own columns, identical on every row of one
personnel number) or "team" (the membership of a village work team: empty when the row has no 驻村村).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from jingzhun.tabular.spec import Column, Spec
from jingzhun.teams.models import CADRE_STATUS, END_KIND, RANK, SKILL, TEAM_ROLE, UNIT_KIND

EARLIEST = dt.date(2013, 1, 1)  # precise poverty alleviation (精准扶贫) began in 2013
HOME_LEVELS = ("county", "township", "village")
# Optional columns an explicit （清空） may empty (rules.CLEAR_MARKERS); any other column refuses the marker.
CLEARABLE = frozenset({"skills", "phone", "end", "end_kind", "recall_reason", "replaced_by"})
CADRE_FIELDS = ("name", "unit", "unit_kind", "rank", "skills", "home_area_id", "status", "phone")  # Cadre's
CADRE_KEYS = ("name", "unit", "unit_kind", "rank", "skills", "home_area", "status", "phone")  # the file's
MEMBERSHIP_FIELDS = ("role", "end_date", "end_kind", "recall_reason")


def _cadre(key: str, header: str, alias: str, **kw: Any) -> Column:
    return Column(key, header, alias, level="cadre", **kw)


def _team(key: str, header: str, alias: str, **kw: Any) -> Column:
    return Column(key, header, alias, level="team", required=False, **kw)


SPEC = Spec("roster", (
    _cadre("personnel_number", "人员编号", "personnel_number", max_length=32,
           note="组织部门人员编号，每名干部唯一，重复导入据此匹配；字母、数字和“-” / the organisation department's "
                "personnel number; re-imports match cadres by it"),
    _cadre("name", "姓名", "name", max_length=40),
    _cadre("unit", "派出单位", "unit", max_length=100),
    _cadre("unit_kind", "单位类别", "unit_kind", kind="enum", enum=UNIT_KIND),
    _cadre("rank", "职级", "rank", kind="enum", enum=RANK, note="决定帮扶户数上限 / sets the helper's household cap"),
    _cadre("skills", "专长", "skills", kind="multi", required=False, enum=SKILL,
           note="可多项，以“、”或“,”分隔；空则不变，填“（清空）”清除 / several, separated by 、 or ,; empty = "
                "unchanged, （清空） or (clear) clears"),
    _cadre("home_area", "帮扶所在区划", "home_area_code", kind="area",
           note="12位区划代码（县、乡或村），干部驻地，结对按此就近 / 12-digit code of the county, township "
                "or village where the cadre is stationed"),
    _cadre("status", "状态", "status", kind="enum", required=False, enum=CADRE_STATUS,
           note="新干部空为在岗，已登记干部空则不变；非在岗的干部不能有未结束的驻村任职 / empty = serving for a "
                "new cadre, unchanged for a registered one; a cadre not serving has no open team membership"),
    _cadre("phone", "联系电话", "phone", required=False, max_length=20,
           note="空则不变，填“（清空）”清除 / empty = unchanged, （清空） or (clear) clears"),
    _team("village", "驻村村", "village_code", kind="village",
          note="12位村代码；空则本行只登记干部 / 12-digit village code; empty = the row registers the cadre only"),
    _team("role", "队内职务", "team_role", kind="enum", enum=TEAM_ROLE,
          note="每个工作队同时只能有一名在任第一书记 / one serving first secretary per team"),
    _team("start", "派驻日期", "start_date", kind="date", note="YYYY-MM-DD，不早于2013年、不晚于今天"),
    _team("end", "结束日期", "end_date", kind="date",
          note="新任职空为在任，已登记任职空则不变，填“（清空）”恢复在任；不早于派驻日期 / empty: serving (a new "
               "membership) or unchanged (a registered one); （清空） reopens it; not before the start"),
    _team("end_kind", "离队类型", "end_kind", kind="enum", enum=END_KIND,
          note="有结束日期时必填（已登记的可空，表示不变）/ required with an end date (empty = unchanged for a "
               "registered membership)"),
    _team("recall_reason", "召回原因", "recall_reason", max_length=200,
          note="离队类型为召回时必填，其他情形不填；已登记的空则不变 / required for a recall, otherwise empty; "
               "empty = unchanged for a registered recall"),
    _team("replaced_by", "接替人", "replaced_by",
          note="接替者的人员编号（本文件中或已登记），须在同一工作队、离队当日或之后到岗；空则不变，填“（清空）”清除 / "
               "personnel number of the successor, on the same team, starting on or after this membership "
               "ends; empty = unchanged, （清空） or (clear) clears"),
))
ROSTER_COLUMNS: tuple[Column, ...] = SPEC.columns
HEADERS = tuple(c.header for c in ROSTER_COLUMNS)
H = {c.key: c.header for c in ROSTER_COLUMNS}
TEAM_KEYS = tuple(c.key for c in ROSTER_COLUMNS if c.level == "team")
# A problem in one of these columns takes the row out of the checks across rows (memberships, successors,
# constraints): one bad cell is reported once, not echoed by every rule that reads it.
KEY_COLUMNS = frozenset({*TEAM_KEYS, "personnel_number", "status"})
