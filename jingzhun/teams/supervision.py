"""Supervision alerts (督查预警), each with the evidence an officer needs to check it.

Every alert is one SQL statement that aggregates in the database (GROUP BY over the visits, an index probe
per household for the last visit), scoped by area code ranges — never a Python loop over all rows:

- unvisited: a household needing a helper (poor or monitored) with no visit in the `visit_days` days up to
  the moment checked (a visit exactly `visit_days` days before still counts); a household paired within the
  window is not yet due;
- residence: the work-team residence rule (`jingzhun.teams.rules.residence`);
- over_capacity: a helper with more active pairs than their rank allows (the capacity rule of
  `jingzhun.teams.pairing_db`: `capacity_by_rank`, default 5);
- same_minute: one helper recorded at two or more different households within the same clock minute;
- same_coordinates: identical coordinates recorded at `same_coordinates_households` households or more;
- copied_notes: the same normalised notes (`jingzhun.teams.visits.notes_key`) at `copied_notes_households`
  households or more;
- bulk_late_entry: `late_entry_visits` or more visits entered by one person within one clock hour, each
  entered more than `late_entry_days` days after it happened;
- late_entry: visits entered one by one (the phone app, the API) more than `entry_lag_hours` after they
  happened, per person entering and village;
- poor_location: visits recorded in the phone app without a location, without the accuracy the phone
  reported, or with an accuracy worse than `location_accuracy_m` metres, per person entering and village.

Visits are scoped by the village recorded on the visit; helpers by their home area. See docs/teams.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from jingzhun import choices
from jingzhun.teams import rules, sql
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.models import VISIT_CHANNEL
from jingzhun.teams.pairing_db import DEFAULT_CAPACITY

KINDS = {
    "unvisited": "超期未走访 / not visited",
    "residence": "驻村天数不足 / too few days in the village",
    "over_capacity": "帮扶人超负荷 / helper over capacity",
    "same_minute": "同一分钟多户走访 / several households in one minute",
    "same_coordinates": "多户坐标相同 / identical coordinates",
    "copied_notes": "走访记录雷同 / copied notes",
    "bulk_late_entry": "事后集中补录 / entered in bulk after the fact",
    "late_entry": "走访录入滞后 / visits entered long after they happened",
    "poor_location": "走访定位缺失或不准 / visit location missing or imprecise",
}
SHOWN_IDS = 50  # ids listed in an alert's evidence; the counts are always complete


@dataclass
class Alert:
    kind: str
    area: str  # village code (households, visits) or the helper's home area
    subject: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return KINDS[self.kind]


@dataclass
class Window:
    """What is checked: visits up to `as_of` (from `since`, when given), residence months, the root area."""

    as_of: dt.datetime
    since: dt.datetime | None = None
    root: tuple[str, str] | None = None
    ranges: sql.Ranges = None
    first_month: dt.date | None = None
    last_month: dt.date | None = None

    def visit_time(self, column: str, *, indexed: bool = False) -> tuple[str, list[Any]]:
        """The window's condition on `column`. `indexed`: left open to SQLite's index, for the alerts over typed
        visits only, which search the covering index `visit_channel_time` by channel and this range."""
        if not sql.pg() and not indexed:
            column = f"+{column}"  # as in sql.area_where: no skip-scan of an index over millions of visits
        parts, params = [f"{column} <= %s"], [sql.adapt_dt(self.as_of)]
        if self.since is not None:
            parts.append(f"{column} >= %s")
            params.append(sql.adapt_dt(self.since))
        return " AND ".join(parts), params


def _stamp(value: Any) -> str:
    when = sql.to_datetime(value)
    return "" if when is None else f"{when:%Y-%m-%d %H:%M:%S}"


CANDIDATE_CHUNK = 500  # candidates per IN list in the second pass


def _second_pass(first_sql: str, first_params: list[Any], second_sql: str, key: str,
                 params: list[Any]) -> list[tuple[Any, ...]]:
    """Run the first pass (a short list of candidate keys), then the evidence query for them in chunks.

    Two statements rather than one join: the planners cannot know that the first pass keeps a few dozen
    keys out of millions (PostgreSQL estimated 1.9 M and hashed the whole visits table against them), but
    a literal IN list of keys is an index lookup on both databases. `second_sql` contains `{keys}` where the
    IN list goes, over the expression `key`."""
    candidates = sql.fetch(first_sql, first_params)
    rows: list[tuple[Any, ...]] = []
    for i in range(0, len(candidates), CANDIDATE_CHUNK):
        chunk = candidates[i : i + CANDIDATE_CHUNK]
        width = len(chunk[0])
        one = "%s" if width == 1 else "(" + ", ".join(["%s"] * width) + ")"
        keys = f"{key} IN ({', '.join([one] * len(chunk))})"
        # The IN list comes first in the WHERE clause, so its values go before the other parameters.
        rows += sql.fetch(second_sql.replace("{keys}", keys), [*(v for c in chunk for v in c), *params])
    return rows


def unvisited(w: Window, config: SupervisionConfig) -> list[Alert]:
    cutoff = w.as_of - dt.timedelta(days=config.visit_days)
    where, params = sql.area_where("h.village_id", w.root, w.ranges)
    statuses = ", ".join(["%s"] * len(choices.NEEDS_HELPER))
    # NOT EXISTS is one index probe per household; the last visit is looked up only for the households listed.
    rows = sql.fetch(
        f"""
        SELECT h.id, h.number, h.village_id, p.cadre_id, p.start_date,
               (SELECT MAX(v.visited_at) FROM teams_visit v WHERE v.household_id = h.id AND v.visited_at <= %s)
        FROM registry_household h
        LEFT JOIN teams_helperpair p ON p.household_id = h.id AND p.end_date IS NULL
        WHERE h.status IN ({statuses}) AND {where}
          AND (p.start_date IS NULL OR p.start_date <= %s)
          AND NOT EXISTS (SELECT 1 FROM teams_visit v WHERE v.household_id = h.id
                                                        AND v.visited_at >= %s AND v.visited_at <= %s)
        ORDER BY h.village_id, h.number
        """,
        [sql.adapt_dt(w.as_of), *choices.NEEDS_HELPER, *params, sql.adapt_date(timezone.localtime(cutoff).date()),
         sql.adapt_dt(cutoff), sql.adapt_dt(w.as_of)],
    )
    out = []
    for hid, number, village, cadre, start, last in rows:
        last_dt = sql.to_datetime(last)
        days = None if last_dt is None else (w.as_of - last_dt).days
        stamp = "" if last_dt is None else last_dt.isoformat(" ", "seconds")[:19]  # faster than strftime
        seen = "从未走访 / never visited" if last_dt is None else f"最近走访 {stamp[:16]}，已 {days} 天"
        out.append(Alert("unvisited", village, f"户 {number}",
                         f"{seen}（要求 {config.visit_days} 天内）/ no visit within {config.visit_days} days",
                         {"户ID": hid, "户编号": number, "最近走访": stamp, "距今天数": days,
                          "帮扶人编号": cadre, "结对日期": str(sql.to_date(start) or ""),
                          "要求天数": config.visit_days}))
    return out


def residence(w: Window, config: SupervisionConfig) -> list[Alert]:
    last = w.last_month or _previous_month(timezone.localtime(w.as_of).date())
    first = w.first_month or last
    return [Alert("residence", f.village, f.subject, f.summary, {"村": f.village_name, **f.evidence})
            for f in rules.residence(first, last, w.root, w.ranges, config)]


def _previous_month(day: dt.date) -> dt.date:
    """The last complete month before `day` (a month still running cannot be judged yet)."""
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def over_capacity(w: Window, config: SupervisionConfig) -> list[Alert]:
    caps = dict(config.capacity_by_rank)
    case = "CASE c.rank " + " ".join("WHEN %s THEN %s" for _ in caps) + " ELSE %s END" if caps else "%s"
    case_params: list[Any] = [v for kv in caps.items() for v in kv] + [DEFAULT_CAPACITY]
    where, params = sql.area_where("c.home_area_id", w.root, w.ranges)
    rows = sql.fetch(
        f"""
        SELECT c.id, c.name, c.rank, c.home_area_id, COUNT(*), {case}, {sql.id_list('p.household_id')}
        FROM teams_helperpair p JOIN teams_cadre c ON c.id = p.cadre_id
        WHERE p.end_date IS NULL AND {where}
        GROUP BY c.id, c.name, c.rank, c.home_area_id
        HAVING COUNT(*) > {case}
        ORDER BY c.home_area_id, c.id
        """,
        [*case_params, *params, *case_params],
    )
    return [Alert("over_capacity", area, f"帮扶人 {name}（编号 {cid}）",
                  f"结对 {n} 户，上限 {cap} 户 / {n} households, capacity {cap}",
                  {"帮扶人编号": cid, "职级": rank, "结对户数": n, "上限": cap, "户ID": sql.ids(hh, SHOWN_IDS)})
            for cid, name, rank, area, n, cap, hh in rows]


def same_minute(w: Window, config: SupervisionConfig) -> list[Alert]:
    where, params = sql.area_where("v.village_id", w.root, w.ranges)
    when, when_params = w.visit_time("v.visited_at")
    m = sql.minute("v.visited_at")
    # First pass, over all visits: a helper's consecutive visits (the helper-and-time index read in order,
    # nothing else) falling in the same minute. Grouping millions of visits by (helper, minute) instead
    # builds a group per visit. Then only those minutes are read again, in scope, for the evidence.
    first = f"""
        SELECT DISTINCT x.cadre_id, x.m FROM (
            SELECT v.cadre_id, {m} AS m, LAG({m}) OVER (PARTITION BY v.cadre_id ORDER BY v.visited_at) AS pm
            FROM teams_visit v
        ) x WHERE x.m = x.pm
        """
    second = f"""
        SELECT v.cadre_id, COUNT(DISTINCT v.household_id), COUNT(*), MIN(v.village_id),
               {sql.id_list('v.id')}, {sql.id_list('v.household_id', distinct=True)}, MIN(v.visited_at)
        FROM teams_visit v
        WHERE {{keys}} AND {where} AND {when}
        GROUP BY v.cadre_id, {m}
        HAVING COUNT(DISTINCT v.household_id) > 1
        """
    rows = sorted(_second_pass(first, [], second, f"(v.cadre_id, {m})", [*params, *when_params]),
                  key=lambda r: (r[3], r[0], str(r[6])))
    out = []
    for cadre, n_h, n_v, village, visit_ids, household_ids, first in rows:
        at = sql.to_datetime(first)
        assert at is not None
        out.append(Alert("same_minute", village, f"帮扶人编号 {cadre}",
                         f"{at:%Y-%m-%d %H:%M} 同一分钟记录在 {n_h} 个不同的户 / at {n_h} households in one minute",
                         {"帮扶人编号": cadre, "分钟": f"{at:%Y-%m-%d %H:%M}", "户数": n_h, "走访数": n_v,
                          "走访ID": sql.ids(visit_ids, SHOWN_IDS), "户ID": sql.ids(household_ids, SHOWN_IDS)}))
    return out


def same_coordinates(w: Window, config: SupervisionConfig) -> list[Alert]:
    where, params = sql.area_where("v.village_id", w.root, w.ranges)
    when, when_params = w.visit_time("v.visited_at")
    t = config.same_coordinates_households
    # First pass over the coordinates index alone, everywhere and at any time: points with at least t visits
    # (a superset: t households need t visits). Only those points are read again, in scope, for the evidence.
    first = """
        SELECT v.latitude, v.longitude FROM teams_visit v
        WHERE v.latitude IS NOT NULL
        GROUP BY v.latitude, v.longitude
        HAVING COUNT(*) >= %s
        """
    second = f"""
        SELECT v.latitude, v.longitude, COUNT(DISTINCT v.household_id), COUNT(*), COUNT(DISTINCT v.cadre_id),
               MIN(v.village_id), MIN(v.visited_at), MAX(v.visited_at), {sql.id_list('v.household_id', True)},
               {sql.id_list('v.cadre_id', True)}
        FROM teams_visit v
        WHERE v.latitude IS NOT NULL AND {{keys}} AND {where} AND {when}
        GROUP BY v.latitude, v.longitude
        HAVING COUNT(DISTINCT v.household_id) >= %s
        """
    rows = sorted(_second_pass(first, [t], second, "(v.latitude, v.longitude)", [*params, *when_params, t]),
                  key=lambda r: (-r[2], r[5]))
    return [Alert("same_coordinates", village, f"坐标 {lat},{lon}",
                  f"{n_h} 户的走访记录坐标完全相同（{n_v} 次走访，{n_k} 名帮扶人）/ identical coordinates at "
                  f"{n_h} households",
                  {"纬度": str(lat), "经度": str(lon), "户数": n_h, "走访数": n_v, "帮扶人数": n_k,
                   "最早": _stamp(first), "最晚": _stamp(last), "户ID": sql.ids(hh, SHOWN_IDS),
                   "帮扶人编号": sql.ids(kk, SHOWN_IDS), "阈值": t})
            for lat, lon, n_h, n_v, n_k, village, first, last, hh, kk in rows]


def copied_notes(w: Window, config: SupervisionConfig) -> list[Alert]:
    where, params = sql.area_where("v.village_id", w.root, w.ranges)
    when, when_params = w.visit_time("v.visited_at")
    t = config.copied_notes_households
    # As for coordinates: the notes index alone finds the repeated notes, then the evidence in scope (the
    # partial index's own condition is repeated so that the second pass can use it too).
    first = """
        SELECT v.notes_key FROM teams_visit v
        WHERE v.notes_key > ''
        GROUP BY v.notes_key
        HAVING COUNT(*) >= %s
        """
    second = f"""
        SELECT v.notes_key, MIN(v.notes), COUNT(DISTINCT v.household_id), COUNT(*), COUNT(DISTINCT v.cadre_id),
               MIN(v.village_id), {sql.id_list('v.household_id', True)}, {sql.id_list('v.id')}
        FROM teams_visit v
        WHERE v.notes_key > '' AND {{keys}} AND {where} AND {when}
        GROUP BY v.notes_key
        HAVING COUNT(DISTINCT v.household_id) >= %s
        """
    rows = sorted(_second_pass(first, [t], second, "v.notes_key", [*params, *when_params, t]),
                  key=lambda r: (-r[2], r[5]))
    return [Alert("copied_notes", village, f"记录“{note[:30]}{'…' if len(note) > 30 else ''}”",
                  f"{n_h} 户的走访记录内容相同（{n_v} 次走访，{n_k} 名帮扶人）/ the same notes at {n_h} households",
                  {"记录示例": note[:200], "户数": n_h, "走访数": n_v, "帮扶人数": n_k,
                   "户ID": sql.ids(hh, SHOWN_IDS), "走访ID": sql.ids(vv, SHOWN_IDS), "阈值": t})
            for _key, note, n_h, n_v, n_k, village, hh, vv in rows]


def bulk_late_entry(w: Window, config: SupervisionConfig) -> list[Alert]:
    where, params = sql.area_where("v.village_id", w.root, w.ranges)
    when, when_params = w.visit_time("v.visited_at")
    hour = sql.hour("v.recorded_at")
    lag = sql.seconds_between("v.recorded_at", "v.visited_at")
    rows = sql.fetch(
        f"""
        SELECT v.entered_by, {hour}, COUNT(*), COUNT(DISTINCT v.household_id), MIN(v.recorded_at),
               MIN(v.visited_at), MAX(v.visited_at), MAX({lag}), MIN(v.village_id), {sql.id_list('v.id')}
        FROM teams_visit v
        WHERE {lag} > %s AND {where} AND {when}
        GROUP BY v.entered_by, {hour}
        HAVING COUNT(*) >= %s
        ORDER BY MIN(v.village_id), v.entered_by, {hour}
        """,
        [config.late_entry_days * 86400, *params, *when_params, config.late_entry_visits],
    )
    out = []
    for who, _hour, n, n_h, recorded, first, last, max_lag, village, vv in rows:
        at = sql.to_datetime(recorded)
        assert at is not None
        out.append(Alert("bulk_late_entry", village, f"录入人 {who}",
                         f"{at:%Y-%m-%d %H}时 集中录入 {n} 条走访，均晚于走访 {config.late_entry_days} 天以上 / "
                         f"{n} visits entered in one hour, each over {config.late_entry_days} days late",
                         {"录入人": who, "录入时间": f"{at:%Y-%m-%d %H}:00", "走访数": n, "户数": n_h,
                          "最早走访": _stamp(first), "最晚走访": _stamp(last),
                          "最长滞后天数": int(max_lag) // 86400, "走访ID": sql.ids(vv, SHOWN_IDS),
                          "阈值": config.late_entry_visits}))
    return out


def late_entry(w: Window, config: SupervisionConfig) -> list[Alert]:
    where, params = sql.area_where("v.village_id", w.root, w.ranges)
    when, when_params = w.visit_time("v.visited_at", indexed=True)
    lag = sql.seconds_between("v.recorded_at", "v.visited_at")
    limit = config.entry_lag_hours * 3600
    # The channels a person entered by hand, named (not `<> 'file'`): an IN list reads the channel index.
    typed = [code for code in VISIT_CHANNEL.codes if code != "file"]
    entered = ", ".join(["%s"] * len(typed))
    rows = sql.fetch(
        f"""
        SELECT v.entered_by, v.village_id, COUNT(*), COUNT(DISTINCT v.household_id), MAX({lag}),
               MIN(v.visited_at), MAX(v.visited_at), {sql.id_list('v.id')}
        FROM teams_visit v
        WHERE v.channel IN ({entered}) AND {lag} > %s AND {where} AND {when}
        GROUP BY v.entered_by, v.village_id
        ORDER BY v.village_id, v.entered_by
        """,
        [*typed, limit, *params, *when_params],
    )
    hours = config.entry_lag_hours
    return [Alert("late_entry", village, f"录入人 {who}",
                  f"{n} 次走访在走访后超过 {hours} 小时才录入（最长 {int(longest) // 3600} 小时）/ {n} visits entered "
                  f"over {hours} hours after they happened",
                  {"录入人": who, "走访数": n, "户数": n_h, "最长滞后小时": int(longest) // 3600,
                   "最早走访": _stamp(first), "最晚走访": _stamp(last), "走访ID": sql.ids(vv, SHOWN_IDS),
                   "阈值小时": hours})
            for who, village, n, n_h, longest, first, last, vv in rows]


def poor_location(w: Window, config: SupervisionConfig) -> list[Alert]:
    where, params = sql.area_where("v.village_id", w.root, w.ranges)
    when, when_params = w.visit_time("v.visited_at", indexed=True)
    missing = "(v.latitude IS NULL OR v.location_accuracy IS NULL)"
    rows = sql.fetch(
        f"""
        SELECT v.entered_by, v.village_id, COUNT(*), SUM(CASE WHEN {missing} THEN 1 ELSE 0 END),
               MAX(v.location_accuracy), {sql.id_list('v.id')}
        FROM teams_visit v
        WHERE v.channel = 'phone' AND ({missing} OR v.location_accuracy > %s) AND {where} AND {when}
        GROUP BY v.entered_by, v.village_id
        ORDER BY v.village_id, v.entered_by
        """,
        [config.location_accuracy_m, *params, *when_params],
    )
    limit = config.location_accuracy_m
    out = []
    for who, village, n, n_missing, worst, vv in rows:
        worst_m = "" if worst is None else f"{float(worst):.0f}"
        out.append(Alert("poor_location", village, f"录入人 {who}",
                         f"{n} 次手机走访定位缺失（{n_missing} 次）或误差超过 {limit} 米 / {n} phone visits without a "
                         f"location ({n_missing}) or less precise than {limit} m",
                         {"录入人": who, "走访数": n, "无定位数": int(n_missing), "最大误差米": worst_m,
                          "走访ID": sql.ids(vv, SHOWN_IDS), "阈值米": limit}))
    return out


CHECKS = {
    "unvisited": unvisited, "residence": residence, "over_capacity": over_capacity, "same_minute": same_minute,
    "same_coordinates": same_coordinates, "copied_notes": copied_notes, "bulk_late_entry": bulk_late_entry,
    "late_entry": late_entry, "poor_location": poor_location,
}


def alerts(w: Window, config: SupervisionConfig | None = None, kinds: list[str] | None = None) -> list[Alert]:
    config = config or SupervisionConfig()
    unknown = set(kinds or []) - set(CHECKS)
    if unknown:
        raise ValueError(f"未知预警类型 / unknown alert kinds: {', '.join(sorted(unknown))}")
    out: list[Alert] = []
    for kind, check in CHECKS.items():
        if kinds is None or kind in kinds:
            out += check(w, config)
    return out


def window_for(area_code: str | None, user: object | None = None, *, as_of: dt.datetime | None = None,
               since: dt.datetime | None = None) -> Window:
    """A window rooted at `area_code` (None: everything), limited to what `user` may see (None: no limit)."""
    from jingzhun import access
    from jingzhun.areas.models import Area

    root = None
    if area_code:
        area = Area.objects.filter(code=area_code.ljust(12, "0")).first()
        if area is None:
            raise ValueError(f"{area_code}: 没有这个区划 / no such area")
        root = area.code_range
    ranges = None if user is None else access.ranges(user)
    return Window(as_of=as_of or timezone.now(), since=since, root=root, ranges=ranges)
