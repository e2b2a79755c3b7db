"""Work-team rules (驻村工作队), each a query returning findings with the evidence to check them.

- team size: every poor village has, on the day checked, a team with at least `min_team_members` members
  whose membership is open that day and whose cadre is serving (a village with no team has 0);
- term: a membership that ended, other than by a recall, lasted at least `min_term_years` years — the end
  date is on or after the same month and day that many years later (a term from 2019-03-01 may end
  2021-03-01; one from 2020-02-29 may end 2022-03-01, not 2022-02-28);
- residence: a member stays in the team's village at least `min_residence_days` days in every calendar
  month the membership covers completely (partial first and last months are not judged), counted as
  attendance rows for that cadre, village and month;
- recall: a recall has its reason (a database constraint) and a replacement in the same team.

Thresholds come from `SupervisionConfig` (jingzhun/teams/config.py). Every function takes the root area
range and the user's ranges (`jingzhun.access.ranges`), applied in SQL on the village code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from jingzhun.teams import sql
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.models import END_KIND, TEAM_ROLE


@dataclass
class Finding:
    rule: str  # team_size, term, residence, recall
    village: str
    village_name: str
    subject: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)


RULES = {
    "team_size": "工作队人数不足 / team too small",
    "term": "任期不足 / term too short",
    "residence": "驻村天数不足 / too few days in the village",
    "recall": "召回未安排接替 / recall without a replacement",
}


def team_size(as_of: dt.date, root: tuple[str, str] | None = None, ranges: sql.Ranges = None,
              config: SupervisionConfig | None = None) -> list[Finding]:
    config = config or SupervisionConfig()
    where, params = sql.area_where("a.code", root, ranges)
    day = sql.adapt_date(as_of)
    rows = sql.fetch(
        f"""
        SELECT a.code, a.name, COUNT(DISTINCT am.cadre_id), {sql.id_list('am.cadre_id', distinct=True)},
               {sql.id_list('am.team_id', distinct=True)}
        FROM areas_area a
        LEFT JOIN (
            SELECT t.village_id, t.id AS team_id, m.cadre_id
            FROM teams_workteam t
            JOIN teams_teammembership m ON m.team_id = t.id
            JOIN teams_cadre c ON c.id = m.cadre_id
            WHERE t.start_date <= %s AND (t.end_date IS NULL OR t.end_date >= %s)
              AND m.start_date <= %s AND (m.end_date IS NULL OR m.end_date >= %s) AND c.status = 'serving'
        ) am ON am.village_id = a.code
        WHERE a.level = 'village' AND a.poor_village AND {where}
        GROUP BY a.code, a.name
        HAVING COUNT(DISTINCT am.cadre_id) < %s
        ORDER BY a.code
        """,
        [day, day, day, day, *params, config.min_team_members],
    )
    return [
        Finding("team_size", code, name, f"贫困村 {name}",
                f"{as_of} 在岗队员 {n} 人，少于 {config.min_team_members} 人 / {n} serving members, "
                f"fewer than {config.min_team_members}",
                {"日期": as_of.isoformat(), "在岗队员数": n, "队员干部编号": sql.ids(members),
                 "工作队编号": sql.ids(teams), "要求人数": config.min_team_members})
        for code, name, n, members, teams in rows
    ]


def term(root: tuple[str, str] | None = None, ranges: sql.Ranges = None,
         config: SupervisionConfig | None = None) -> list[Finding]:
    config = config or SupervisionConfig()
    where, params = sql.area_where("t.village_id", root, ranges)
    rows = sql.fetch(
        f"""
        SELECT m.id, m.cadre_id, c.name, m.role, m.start_date, m.end_date, m.end_kind, t.village_id, a.name
        FROM teams_teammembership m
        JOIN teams_workteam t ON t.id = m.team_id
        JOIN teams_cadre c ON c.id = m.cadre_id
        JOIN areas_area a ON a.code = t.village_id
        WHERE m.end_date IS NOT NULL AND m.end_kind <> 'recalled' AND {where}
          AND {sql.date_key('m.end_date')} < {sql.date_key('m.start_date')} + %s
        ORDER BY t.village_id, m.id
        """,
        [*params, config.min_term_years * 10000],
    )
    out = []
    for mid, cadre, name, role, start, end, kind, village, village_name in rows:
        start, end = sql.to_date(start), sql.to_date(end)
        assert start is not None and end is not None
        out.append(Finding(
            "term", village, village_name, f"{TEAM_ROLE.zh(role)} {name}（干部编号 {cadre}）",
            f"任期 {start} 至 {end}，共 {(end - start).days} 天，不足 {config.min_term_years} 年 / served "
            f"{(end - start).days} days, less than {config.min_term_years} years",
            {"成员记录编号": mid, "干部编号": cadre, "开始日期": start.isoformat(), "结束日期": end.isoformat(),
             "天数": (end - start).days, "离队类型": END_KIND.zh(kind), "要求年限": config.min_term_years}))
    return out


def recall(root: tuple[str, str] | None = None, ranges: sql.Ranges = None,
           config: SupervisionConfig | None = None) -> list[Finding]:
    where, params = sql.area_where("t.village_id", root, ranges)
    rows = sql.fetch(
        f"""
        SELECT m.id, m.cadre_id, c.name, m.end_date, m.recall_reason, m.replaced_by_id, r.team_id, t.village_id,
               a.name
        FROM teams_teammembership m
        JOIN teams_workteam t ON t.id = m.team_id
        JOIN teams_cadre c ON c.id = m.cadre_id
        JOIN areas_area a ON a.code = t.village_id
        LEFT JOIN teams_teammembership r ON r.id = m.replaced_by_id
        WHERE m.end_kind = 'recalled' AND (m.replaced_by_id IS NULL OR r.team_id <> m.team_id) AND {where}
        ORDER BY t.village_id, m.id
        """,
        params,
    )
    out = []
    for mid, cadre, name, end, reason, replaced, other_team, village, village_name in rows:
        what = "未记录接替人员 / no replacement recorded" if replaced is None else \
            f"接替人员在另一工作队（{other_team}）/ the replacement is in another team ({other_team})"
        out.append(Finding("recall", village, village_name, f"{name}（干部编号 {cadre}）",
                           f"{sql.to_date(end)} 召回：{what}",
                           {"成员记录编号": mid, "干部编号": cadre, "召回日期": str(sql.to_date(end)),
                            "召回原因": reason, "接替成员记录编号": replaced}))
    return out


def months_between(first: dt.date, last: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(first day, last day) of each calendar month from `first`'s month to `last`'s month."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((dt.date(y, m, 1), dt.date(ny, nm, 1) - dt.timedelta(days=1)))
        y, m = ny, nm
    return out


def residence(first_month: dt.date, last_month: dt.date, root: tuple[str, str] | None = None,
              ranges: sql.Ranges = None, config: SupervisionConfig | None = None) -> list[Finding]:
    """Members with fewer than `min_residence_days` attendance days in their village, month by month."""
    config = config or SupervisionConfig()
    months = months_between(first_month, last_month)
    if not months:
        return []
    where, params = sql.area_where("t.village_id", root, ranges)
    values = ", ".join(["(%s, %s)"] * len(months))
    month_params = [sql.adapt_date(d) for pair in months for d in pair]
    if sql.pg():
        values = ", ".join(["(CAST(%s AS DATE), CAST(%s AS DATE))"] * len(months))
    # One join of the month's attendance to the memberships, grouped (a hash join on PostgreSQL, an index
    # probe per membership on SQLite), rather than two correlated counts per membership and month.
    rows = sql.fetch(
        f"""
        WITH months(m_first, m_last) AS (VALUES {values})
        SELECT mo.m_first, m.id, m.cadre_id, c.name, m.role, t.village_id, a.name,
               SUM(CASE WHEN att.village_id = t.village_id THEN 1 ELSE 0 END),
               SUM(CASE WHEN att.village_id <> t.village_id THEN 1 ELSE 0 END)
        FROM months mo
        JOIN teams_teammembership m ON m.start_date <= mo.m_first AND (m.end_date IS NULL OR m.end_date >= mo.m_last)
        JOIN teams_workteam t ON t.id = m.team_id
        JOIN teams_cadre c ON c.id = m.cadre_id
        JOIN areas_area a ON a.code = t.village_id
        LEFT JOIN teams_attendance att ON att.cadre_id = m.cadre_id AND att.date BETWEEN mo.m_first AND mo.m_last
        WHERE {where}
        GROUP BY mo.m_first, m.id, m.cadre_id, c.name, m.role, t.village_id, a.name
        HAVING SUM(CASE WHEN att.village_id = t.village_id THEN 1 ELSE 0 END) < %s
        ORDER BY t.village_id, mo.m_first, m.cadre_id
        """,
        [*month_params, *params, config.min_residence_days],
    )
    out = []
    for first, mid, cadre, name, role, village, village_name, days, elsewhere in rows:
        month = sql.to_date(first)
        assert month is not None
        out.append(Finding(
            "residence", village, village_name, f"{TEAM_ROLE.zh(role)} {name}（干部编号 {cadre}）",
            f"{month:%Y年%m月} 驻村 {days} 天，少于 {config.min_residence_days} 天 / {days} days in the village "
            f"in {month:%Y-%m}, fewer than {config.min_residence_days}",
            {"月份": f"{month:%Y-%m}", "驻村天数": days, "在其他村考勤天数": elsewhere, "干部编号": cadre,
             "成员记录编号": mid, "要求天数": config.min_residence_days}))
    return out


def all_findings(as_of: dt.date, first_month: dt.date, last_month: dt.date, root: tuple[str, str] | None = None,
                 ranges: sql.Ranges = None, config: SupervisionConfig | None = None) -> list[Finding]:
    return (team_size(as_of, root, ranges, config) + term(root, ranges, config) + recall(root, ranges, config)
            + residence(first_month, last_month, root, ranges, config))
