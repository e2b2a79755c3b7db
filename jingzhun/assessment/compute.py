"""Measure every unit: the indicators' additive parts by village (then every level above by code prefix), by
work team and by cadre, on any engine (jingzhun.identification.engines), and the values the catalogue makes
of them. Nothing here writes: `jingzhun.assessment.snapshots` stores what this returns.

A higher level's parts are the sums of its villages' parts, so its ratios are summed numerators over summed
denominators; its median is taken over its households' incomes themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun.areas.models import LEVEL_DIGITS
from jingzhun.assessment import catalogue, exprs
from jingzhun.assessment.catalogue import AREA_LEVELS, PARTS
from jingzhun.identification import engines


def register_tables() -> None:
    """Hand the tables the indicators read, beyond the register's own, to the engines."""
    from jingzhun.areas.models import Area, VillageRecord
    from jingzhun.plans.models import HelpPlan, PlanMeasure
    from jingzhun.registry.models import StatusEvent
    from jingzhun.teams.models import Attendance, Cadre, HelperPair, TeamMembership, Visit, WorkTeam

    for key, model in (("event", StatusEvent), ("pair", HelperPair), ("visit", Visit), ("attendance", Attendance),
                       ("membership", TeamMembership), ("team", WorkTeam), ("cadre", Cadre), ("plan", HelpPlan),
                       ("measure", PlanMeasure), ("village_record", VillageRecord), ("area", Area)):
        engines.register_table(key, model)


@dataclass
class Units:
    """One unit type's units: their keys, the area each lies in (for scoping), and their parts as arrays."""

    keys: list[str]
    areas: list[str]
    parts: dict[str, np.ndarray]

    @classmethod
    def empty(cls, keys: list[str], areas: list[str]) -> Units:
        return cls(keys, areas, {p: np.zeros(len(keys), dtype=np.int64) for p in PARTS})


@dataclass
class Measured:
    """What one computation found: units by type, and the per-capita incomes (fen) by village."""

    period: exprs.Period
    units: dict[str, Units] = field(default_factory=dict)
    incomes: dict[str, np.ndarray] = field(default_factory=dict)  # village → sorted per-capita fen


def _add(units: Units, table: pa.Table, key: str, columns: dict[str, str]) -> None:
    """Add `table`'s columns (grouped by `key`, one row per key) to the units' parts `columns` maps them to."""
    if table.num_rows == 0:
        return
    keys = pc.cast(table.column(key), pa.string())
    found_at = pc.index_in(keys, value_set=pa.array(units.keys, pa.string()))
    idx = pc.fill_null(found_at, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    found = idx >= 0
    for col, part in columns.items():
        values = pc.fill_null(table.column(col), 0).to_numpy(zero_copy_only=False).astype(np.int64)
        np.add.at(units.parts[part], idx[found], values[found])


def _arrow(session: engines.Session, expr: ir.Table) -> pa.Table:
    return session.to_arrow(expr)


def _in_span(t: ir.Table, column: str, span: tuple[str, str] | None) -> ir.Table:
    return t if span is None else t.filter(t[column].between(*span))


def measure(session: engines.Session, p: exprs.Period, *, span: tuple[str, str] | None = None,
            cadres: Iterable[int] | None = None, areas: bool = True) -> Measured:
    """The parts of the areas in `span` (every area when None) and their work teams, and of the cadres: those
    given, or with a home area in `span`, or all; `areas=False` measures the cadres only."""
    t = session.raw
    out = Measured(p)
    hh = _in_span(t["household"], "village_id", span)
    h = exprs.household_facts(t, hh, p)
    if areas:
        _measure_areas(session, t, hh, h, p, span, out)
    _measure_cadres(session, t, h if span is None and cadres is None else None, p, span, cadres, out)
    return out


def _measure_areas(session: engines.Session, t: dict[str, ir.Table], hh: ir.Table, h: ir.Table, p: exprs.Period,
                   span: tuple[str, str] | None, out: Measured) -> None:
    area = _in_span(t["area"], "code", span)
    rows = _arrow(session, area.select("code", "level", "poor_village")).sort_by("code")
    villages = rows.filter(pc.equal(rows.column("level"), "village"))
    v = Units.empty(villages.column("code").to_pylist(), villages.column("code").to_pylist())
    v.parts["poor_villages"] = pc.cast(villages.column("poor_village"), pa.int64()).to_numpy(zero_copy_only=False).copy()
    vh = _arrow(session, exprs.village_household_parts(h))
    _add(v, vh, "village", {c: c for c in ("poor_start", "poor_end", "poor_pop_end", "exited", "returned", "inc_sum",
                                           "inc_n", "inc_prev_sum", "inc_prev_n", "housing_ok", "water_ok", "road_ok",
                                           "helper_ok", "paired", "plans_ok")})
    _add(v, vh, "village", {"members": "population", "unvisited": "alerts"})
    records = _arrow(session, _in_span(exprs.village_records(t, p), "village", span))
    _population_from_records(v, vh, records)
    visits = exprs.visits_in_year(t, p)
    vv = _in_span(visits, "village_id", span)
    _add(v, _arrow(session, vv.group_by(village=vv["village_id"]).aggregate(n=vv.count())), "village", {"n": "visits"})
    sm = _in_span(exprs.same_minute(visits), "village", span)
    _add(v, _arrow(session, sm.group_by("village").aggregate(n=sm.count())), "village", {"n": "alerts"})
    mm = _in_span(exprs.member_months(t, p), "village", span)
    by_village = mm.group_by("village").aggregate(mm=mm.count(), met=exprs.flag(mm["met"]).sum())
    _add(v, _arrow(session, by_village), "village", {"mm": "mm", "met": "mm_met"})
    full = _arrow(session, _in_span(exprs.full_teams(t, p), "village", span))
    _add(v, full.append_column("one", pa.array([1] * full.num_rows, pa.int64())), "village", {"one": "team_ok"})
    v.parts["team_ok"] *= v.parts["poor_villages"]  # coverage is of poor villages
    md = exprs.measures_due(t, hh, p)
    md = md.group_by("village").aggregate(due=md.count(), on_time=exprs.flag(md["on_time"]).sum())
    _add(v, _arrow(session, md), "village", {"due": "measures_due", "on_time": "measures_on_time"})
    v.parts["alerts"] += v.parts["mm"] - v.parts["mm_met"]  # residence alerts: the member-months below the rule
    v.parts["hh_base"] = v.parts["poor_end"].copy()
    out.units["village"] = v
    incomes = _arrow(session, exprs.income_values(h))
    out.incomes = _by_village(incomes)
    for level in AREA_LEVELS[1:]:
        codes = rows.filter(pc.equal(rows.column("level"), level)).column("code").to_pylist()
        out.units[level] = rollup(v, codes, level)
    _measure_teams(session, t, p, span, mm, v, out)


def _population_from_records(v: Units, vh: pa.Table, records: pa.Table) -> None:
    """A village's population: its record's of the year when above 0, else its registered households' members;
    and the infrastructure counts (vr_n, vr_ok) from the records."""
    if records.num_rows == 0:
        return
    counted = Units.empty(v.keys, v.keys)
    _add(counted, records, "village", {"population": "population"})
    ok = pc.cast(records.column("ok"), pa.int64())
    recs = records.append_column("ok_n", ok).append_column("one", pa.array([1] * records.num_rows, pa.int64()))
    _add(v, recs, "village", {"ok_n": "vr_ok", "one": "vr_n"})
    use = counted.parts["population"] > 0
    v.parts["population"] = np.where(use, counted.parts["population"], v.parts["population"])


def _by_village(incomes: pa.Table) -> dict[str, np.ndarray]:
    if incomes.num_rows == 0:
        return {}
    t = incomes.sort_by([("village", "ascending"), ("pc", "ascending")])
    villages = t.column("village").to_numpy(zero_copy_only=False)
    values = t.column("pc").to_numpy(zero_copy_only=False).astype(np.int64)
    cuts = np.flatnonzero(villages[1:] != villages[:-1]) + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(values)]])
    return {str(villages[s]): values[s:e] for s, e in zip(starts, ends, strict=True)}


def ancestor(code: str, level: str) -> str:
    return code[: LEVEL_DIGITS[level]].ljust(12, "0")


def rollup(v: Units, codes: list[str], level: str) -> Units:
    """The units of `level` (`codes`) with the sums of their villages' parts."""
    u = Units.empty(codes, codes)
    if not codes or not v.keys:
        return u
    position = {code: i for i, code in enumerate(codes)}
    idx = np.array([position.get(ancestor(code, level), -1) for code in v.keys], dtype=np.int64)
    found = idx >= 0
    for part in PARTS:
        np.add.at(u.parts[part], idx[found], v.parts[part][found])
    return u


def _measure_teams(session: engines.Session, t: dict[str, ir.Table], p: exprs.Period, span: tuple[str, str] | None,
                   mm: ir.Table, v: Units, out: Measured) -> None:
    tm = _in_span(t["team"], "village_id", span)
    tm = tm.filter((tm["start_date"] <= p.last) & (tm["end_date"].isnull() | (tm["end_date"] >= p.first)))
    teams = _arrow(session, tm.select("id", "village_id")).sort_by("id")
    keys = [str(i) for i in teams.column("id").to_pylist()]
    villages = teams.column("village_id").to_pylist()
    u = Units.empty(keys, villages)
    position = {code: i for i, code in enumerate(v.keys)}
    at = np.array([position.get(code, -1) for code in villages], dtype=np.int64)
    for part in PARTS:
        if keys:
            u.parts[part] = np.where(at >= 0, v.parts[part][np.maximum(at, 0)], 0)
    u.parts["mm"][:] = 0
    u.parts["mm_met"][:] = 0
    own = mm.group_by("team").aggregate(mm=mm.count(), met=exprs.flag(mm["met"]).sum())
    _add(u, _arrow(session, own), "team", {"mm": "mm", "met": "mm_met"})
    out.units["work_team"] = u


def _measure_cadres(session: engines.Session, t: dict[str, ir.Table], h: ir.Table | None, p: exprs.Period,
                    span: tuple[str, str] | None, cadres: Iterable[int] | None, out: Measured) -> None:
    pairs = exprs.pairs_in_year(t, p)
    cd = t["cadre"]
    if cadres is not None:
        wanted = sorted(set(cadres))
        pairs = pairs.filter(pairs["cadre"].isin(wanted))
    elif span is not None:
        mine = _in_span(cd, "home_area_id", span).select(c_id=cd["id"])
        pairs = pairs.semi_join(mine, pairs["cadre"] == mine["c_id"])
    if h is None:
        # The cadres' households by id (fetched: Ibis cannot join the pair table into an expression that is
        # itself filtered by the pair table).
        ids_ = _arrow(session, pairs.select("household").distinct()).column("household").to_pylist()
        hh = t["household"]
        h = exprs.household_facts(t, hh.filter(hh["id"].isin(ids_ or [-1])), p)
    ids = pairs.select(x_cadre=pairs["cadre"]).distinct()
    homes = cd.join(ids, cd["id"] == ids["x_cadre"]).select(cadre=cd["id"], home=cd["home_area_id"])
    found = _arrow(session, homes).sort_by("cadre")
    u = Units.empty([str(i) for i in found.column("cadre").to_pylist()], found.column("home").to_pylist())
    if not u.keys:
        out.units["cadre"] = u
        return
    j = pairs.join(h, pairs["household"] == h["hid"])
    inc_ok, prev_ok = j["pc"].notnull(), j["pc_prev"].notnull()
    g = j.group_by("cadre").aggregate(
        paired=j.count(), plans_ok=exprs.flag(j["plan_ok"]).sum(),
        inc_sum=(inc_ok.ifelse(j["pc"], 0)).sum(), inc_n=exprs.flag(inc_ok).sum(),
        inc_prev_sum=(prev_ok.ifelse(j["pc_prev"], 0)).sum(), inc_prev_n=exprs.flag(prev_ok).sum(),
        unvisited=exprs.flag((j["unvisited"] & (j["end_cadre"] == j["cadre"])).fill_null(False)).sum())
    _add(u, _arrow(session, g), "cadre", {c: c for c in ("paired", "plans_ok", "inc_sum", "inc_n", "inc_prev_sum",
                                                         "inc_prev_n")})
    _add(u, _arrow(session, g), "cadre", {"paired": "hh_base", "unvisited": "alerts"})
    visits = exprs.visits_in_year(t, p)
    mine = visits.filter(visits["cadre_id"].isin(u_ids := [int(k) for k in u.keys])) if cadres is not None else visits
    _add(u, _arrow(session, mine.group_by(cadre=mine["cadre_id"]).aggregate(n=mine.count())), "cadre", {"n": "visits"})
    sm = exprs.same_minute(mine)
    _add(u, _arrow(session, sm.group_by("cadre").aggregate(n=sm.count())), "cadre", {"n": "alerts"})
    mm = exprs.member_months(t, p)
    mm = mm.filter(mm["cadre"].isin(u_ids)) if cadres is not None else mm
    below = mm.filter(~mm["met"])
    _add(u, _arrow(session, below.group_by("cadre").aggregate(n=below.count())), "cadre", {"n": "alerts"})
    md = exprs.measures_due(t, t["household"], p)
    mj = md.join(pairs, md["household"] == pairs["household"])
    mg = mj.group_by("cadre").aggregate(due=mj.count(), on_time=exprs.flag(mj["on_time"]).sum())
    _add(u, _arrow(session, mg), "cadre", {"due": "measures_due", "on_time": "measures_on_time"})
    out.units["cadre"] = u


# --------------------------------------------------------------------------- values


def median_fen(values: np.ndarray) -> float | None:
    """The median of integer fen (the mean of the middle two for an even count), None for no values."""
    n = len(values)
    if not n:
        return None
    s = np.sort(values)
    return float(s[n // 2]) if n % 2 else (float(s[n // 2 - 1]) + float(s[n // 2])) / 2


def medians(incomes: dict[str, np.ndarray], codes: list[str], level: str) -> list[float | None]:
    """Each area's median per-capita income in yuan over its villages' households."""
    if level == "village":
        return [None if (m := median_fen(incomes.get(c, np.empty(0, np.int64)))) is None else m / 100 for c in codes]
    groups: dict[str, list[np.ndarray]] = {}
    for village, values in incomes.items():
        groups.setdefault(ancestor(village, level), []).append(values)
    out: list[float | None] = []
    for code in codes:
        found = groups.get(code)
        m = median_fen(np.concatenate(found)) if found else None
        out.append(None if m is None else m / 100)
    return out


def values_table(measured: Measured) -> pa.Table:
    """Every unit's value of every indicator it has (the declared "no data" ones included, as None) as rows:
    unit_type, unit, area_code, indicator, numerator, denominator, value."""
    cols: dict[str, list[Any]] = {k: [] for k in ("unit_type", "unit", "area_code", "indicator", "numerator",
                                                  "denominator", "value")}
    for unit_type, units in measured.units.items():
        n = len(units.keys)
        if not n:
            continue
        for ind in catalogue.for_unit(unit_type):
            num: Any
            den: Any
            val: Any
            if ind.formula is None:
                num = den = val = [None] * n
            elif ind.kind == "median":
                num, den = [None] * n, units.parts["inc_n"].astype(np.float64).tolist()
                val = medians(measured.incomes, units.keys, unit_type)
            else:
                a, b, c = ind.formula(units.parts)
                num, den = _floats(a), [None] * n if b is None else _floats(b)
                val = _floats(c)
            cols["unit_type"] += [unit_type] * n
            cols["unit"] += units.keys
            cols["area_code"] += units.areas
            cols["indicator"] += [ind.code] * n
            cols["numerator"] += num
            cols["denominator"] += den
            cols["value"] += val
    f = pa.float64()
    return pa.table({k: pa.array(v, f if k in ("numerator", "denominator", "value") else pa.string())
                     for k, v in cols.items()})


def _floats(a: np.ndarray) -> list[float | None]:
    return [None if x != x else x for x in np.asarray(a, dtype=np.float64).tolist()]


def period_of(year: int, today: dt.date | None = None) -> exprs.Period:
    from jingzhun.teams.config import SupervisionConfig

    config = SupervisionConfig.from_env()
    return exprs.Period.of(year, today or dt.date.today(), visit_days=config.visit_days,
                           min_team=config.min_team_members, min_days=config.min_residence_days)
