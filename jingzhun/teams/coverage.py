"""Coverage report by area (覆盖情况): the promise "every poor village has a work team, every poor household
has a helper", counted per area at a chosen level under a root area. The goal is zero in the three gap
columns everywhere; `CoverageRow.gaps` is their sum, so a report can show at a glance which rows are not zero.

- poor villages, and those without a complete team (fewer than `min_team_members` serving members today);
- households needing a helper (poor or monitored), and those without an active helper;
- serving helpers, and those over capacity (active pairs above `capacity_by_rank`, default 5).

Villages and households count where they are; helpers where they are stationed (`Cadre.home_area`). A helper
stationed above the report's level (say at the county, in a report by township) is counted on a row of its
own for that higher area, marked "直属". All counting is GROUP BY on the code prefix, scoped in SQL by the
root's range and the user's ranges (`jingzhun.access.ranges`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from typing import Any

from django.utils import timezone

from jingzhun import choices
from jingzhun.areas.models import LEVEL_DEPTH, LEVEL_DIGITS, Area
from jingzhun.teams import rules, sql
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.pairing_db import DEFAULT_CAPACITY


@dataclass
class CoverageRow:
    code: str
    name: str
    poor_villages: int = 0
    villages_without_team: int = 0
    needy_households: int = 0
    households_without_helper: int = 0
    helpers: int = 0
    overloaded_helpers: int = 0

    @property
    def gaps(self) -> int:
        return self.villages_without_team + self.households_without_helper + self.overloaded_helpers


COUNTS = [f.name for f in fields(CoverageRow) if f.name not in ("code", "name")]
HEADERS = {
    "code": "区划代码", "name": "区划名称", "poor_villages": "贫困村数", "villages_without_team": "无完整工作队的贫困村",
    "needy_households": "需帮扶户数", "households_without_helper": "无帮扶人的户", "helpers": "在岗帮扶人",
    "overloaded_helpers": "超负荷帮扶人",
}
GAP_COLUMNS = ("villages_without_team", "households_without_helper", "overloaded_helpers")


@dataclass
class CoverageReport:
    root: str
    root_name: str
    level: str
    rows: list[CoverageRow]
    total: CoverageRow

    @property
    def all_zero(self) -> bool:
        return self.total.gaps == 0


def coverage(area_code: str, level: str, ranges: sql.Ranges = None, *, as_of: dt.date | None = None,
             config: SupervisionConfig | None = None) -> CoverageReport:
    """Rows per area at `level` under the area `area_code`, limited to `ranges` (None: unrestricted)."""
    config = config or SupervisionConfig()
    as_of = as_of or timezone.localdate()
    root_area = Area.objects.filter(code=area_code.ljust(12, "0")).first()
    if root_area is None:
        raise ValueError(f"{area_code}: 没有这个区划 / no such area")
    if level not in LEVEL_DIGITS or LEVEL_DEPTH[level] < LEVEL_DEPTH[root_area.level]:
        raise ValueError(f"{level}: 应为 {root_area.level} 或以下层级 / must be {root_area.level} or below")
    digits = LEVEL_DIGITS[level]
    root = root_area.code_range

    def key(column: str) -> str:
        return f"substr({column}, 1, {digits})"

    counts: dict[str, dict[str, int]] = {}

    def add(metric: str, rows: list[tuple[str, int]]) -> None:
        for prefix, n in rows:
            counts.setdefault(prefix, {})[metric] = int(n)

    where, params = sql.area_where("a.code", root, ranges)
    add("poor_villages", sql.fetch(
        f"SELECT {key('a.code')}, COUNT(*) FROM areas_area a WHERE a.level = 'village' AND a.poor_village "
        f"AND {where} GROUP BY {key('a.code')}", params))
    incomplete: dict[str, int] = {}
    for f in rules.team_size(as_of, root, ranges, config):
        incomplete[f.village[:digits]] = incomplete.get(f.village[:digits], 0) + 1
    add("villages_without_team", list(incomplete.items()))

    where, params = sql.area_where("h.village_id", root, ranges)
    statuses = ", ".join(["%s"] * len(choices.NEEDS_HELPER))
    rows = sql.fetch(
        f"""
        SELECT {key('h.village_id')}, COUNT(*),
               SUM(CASE WHEN NOT EXISTS (SELECT 1 FROM teams_helperpair p
                                         WHERE p.household_id = h.id AND p.end_date IS NULL) THEN 1 ELSE 0 END)
        FROM registry_household h
        WHERE h.status IN ({statuses}) AND {where}
        GROUP BY {key('h.village_id')}
        """, [*choices.NEEDS_HELPER, *params])
    add("needy_households", [(r[0], r[1]) for r in rows])
    add("households_without_helper", [(r[0], r[2]) for r in rows])

    caps = dict(config.capacity_by_rank)
    case = ("CASE c.rank " + " ".join("WHEN %s THEN %s" for _ in caps) + " ELSE %s END") if caps else "%s"
    case_params: list[Any] = [v for kv in caps.items() for v in kv] + [DEFAULT_CAPACITY]
    where, params = sql.area_where("c.home_area_id", root, ranges)
    helper_rows = sql.fetch(
        f"""
        SELECT {key('c.home_area_id')}, COUNT(*),
               SUM(CASE WHEN (SELECT COUNT(*) FROM teams_helperpair p
                              WHERE p.cadre_id = c.id AND p.end_date IS NULL) > {case} THEN 1 ELSE 0 END)
        FROM teams_cadre c
        WHERE c.status = 'serving' AND {where}
        GROUP BY {key('c.home_area_id')}
        """, [*case_params, *params])
    add("helpers", [(r[0], r[1]) for r in helper_rows])
    add("overloaded_helpers", [(r[0], r[2]) for r in helper_rows])

    areas = Area.objects.filter(level=level, code__gte=root[0], code__lte=root[1]).order_by("code")
    out: list[CoverageRow] = []
    for code, name in areas.values_list("code", "name"):
        lo, hi = code[:digits].ljust(12, "0"), code[:digits].ljust(12, "9")
        if ranges is not None and not any(r_lo <= hi and lo <= r_hi for r_lo, r_hi in ranges):
            continue  # an area the user sees nothing of
        out.append(CoverageRow(code, name, **counts.pop(code[:digits], {})))
    # Prefixes with no area of that level: helpers stationed higher up (a county cadre in a township report).
    names = dict(Area.objects.filter(code__in=[p.ljust(12, "0") for p in counts]).values_list("code", "name"))
    for prefix, values in sorted(counts.items()):
        code = prefix.ljust(12, "0")
        out.append(CoverageRow(code, f"{names.get(code, code)}（直属）", **values))
    total = CoverageRow(root_area.code, f"合计 {root_area.name}",
                        **{c: sum(getattr(r, c) for r in out) for c in COUNTS})
    return CoverageReport(root_area.code, root_area.name, level, out, total)


def coverage_for_user(user: object, area_code: str, level: str, **kwargs: object) -> CoverageReport:
    """The report as `user` may see it (their area roles), for the web app."""
    from jingzhun import access

    return coverage(area_code, level, access.ranges(user), **kwargs)  # type: ignore[arg-type]
