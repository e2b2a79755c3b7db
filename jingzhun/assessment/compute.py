"""Measure every unit: the indicators' additive parts by village (then every level above by code prefix), by
work team and by cadre, on any engine (jingzhun.identification.engines), and the values the catalogue makes
of them. Nothing here writes: `jingzhun.assessment.snapshots` stores what this returns.

A higher level's parts are the sums of its villages' parts, so its ratios are summed numerators over summed
denominators; its median is taken over its households' incomes themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import ibis
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
    # The evaluation's estimates: unit type → unit → indicator → (numerator, denominator, value); filled by
    # the store (jingzhun.assessment.evaluated reads the database), absent units are "no data".
    evaluated: dict[str, dict[str, dict[str, tuple[float | None, float | None, float | None]]]] = field(
        default_factory=dict)


def _arrow(session: engines.Session, expr: ir.Table) -> pa.Table:
    return session.to_arrow(expr)


def _in_span(t: ir.Table, column: str, span: tuple[str, str] | None) -> ir.Table:
    return t if span is None else t.filter(t[column].between(*span))


@dataclass
class Activity:
    """What the work tables say, fetched once for the areas and the cadres alike (numpy sums them per unit)."""

    visits: pa.Table  # village, cadre, n: visits of the year
    same_minute: pa.Table  # village, cadre: one row per same-minute alert
    member_months: pa.Table  # village, team, cadre, n, met


@dataclass
class Sums:
    """The households' parts summed where their facts are (the engine, or a DuckDB beside it: `_beside`)."""

    villages: pa.Table  # village and the household parts (exprs.village_sums)
    cadres: pa.Table  # cadre and their households' parts (exprs.cadre_sums)
    incomes: pa.Table  # village, pc: the per-capita incomes counted, for the medians
    measures: pa.Table  # village, due, on_time
    cadre_measures: pa.Table  # cadre, due, on_time


def _visits(session: engines.Session, t: dict[str, ir.Table], p: exprs.Period, span: tuple[str, str] | None,
            cadres: list[int] | None) -> ir.Table:
    """The year's visits: of the cadres who visited in `span` or are `cadres` (None with no span: everyone's).
    Every visit of such a cadre counts: a same-minute alert's village is the lowest of its minute's visits, and
    a cadre's counts are all of their visits."""
    visits = exprs.visits_in_year(t, p)
    if span is None:
        return visits
    # Who ever visited there (a superset of the year's visitors: the others' rows fall outside every unit
    # measured), fetched, then a list: the database finds their visits through its cadre index. With the
    # year's bounds too, SQLite skip-scanned its (cadre, time) index over every visit.
    v = t["visit"]
    here = v.filter(v["village_id"].between(*span)).select(w_cadre=v["cadre_id"])
    who = sorted(set(_arrow(session, here.distinct()).column("w_cadre").to_pylist()) | set(cadres or ()))
    return visits.filter(visits["cadre_id"].isin(who or [-1]))


#: How each engine finds the helpers with two visits in one minute (`exprs.same_minute_helpers`).
MINUTES_BY = {"sqlite": "text", "duckdb": "order"}


def _activity_exprs(t: dict[str, ir.Table], p: exprs.Period, visits: ir.Table, span: tuple[str, str] | None,
                    cadres: list[int] | None, *, engine: str) -> dict[str, ir.Table]:
    """The year's visits by village and cadre, the helpers who may have same-minute alerts and the
    member-months: of the areas in `span` and of the cadres `cadres` (None with no span: everything). Each
    table is narrowed before it is aggregated, through its indexes (village, cadre), so a one-village refresh
    reads that village's rows, not the province's."""
    vg = visits.group_by(village=visits["village_id"], cadre=visits["cadre_id"]).aggregate(n=visits.count())
    mm = exprs.member_months(t, p, span=span, cadres=cadres)
    mg = mm.group_by(["village", "team", "cadre"]).aggregate(n=mm.count(), met=exprs.flag(mm["met"]).sum())
    return {"a_visits": vg, "a_helpers": exprs.same_minute_helpers(visits, by=MINUTES_BY.get(engine, "epoch")), "a_mm": mg}


def _measures_due(t: dict[str, ir.Table], p: exprs.Period, households: list[int] | None) -> ir.Table:
    """The measures due in the year per household (household, village, due, on_time): of `households`, or all."""
    hh = t["household"]
    if households is not None:
        hh = hh.filter(hh["id"].isin(households or [-1]))
    md = exprs.measures_due(t, hh, p, ids=households)
    return md.group_by(["household", "village"]).aggregate(due=md.count(), on_time=exprs.flag(md["on_time"]).sum())


def _activity(session: engines.Session, visits: ir.Table, found: dict[str, pa.Table]) -> Activity:
    """The activity from what `_activity_exprs` fetched; the same-minute alerts of the helpers found there."""
    helpers = sorted(found["a_helpers"].column("cadre").to_pylist())
    sm = exprs.same_minute(visits.filter(visits["cadre_id"].isin(helpers or [-1]))).select("village", "cadre")
    return Activity(found["a_visits"], _arrow(session, sm), found["a_mm"])


def _sum_exprs(f_area: ir.Table | None, f_cadre: ir.Table, pairs: ir.Table, md: ir.Table) -> dict[str, ir.Table]:
    out = {"cadres": exprs.cadre_sums(pairs, f_cadre), "measures": exprs.measure_sums(md),
           "cadre_measures": exprs.measure_sums(md, pairs)}
    if f_area is not None:
        out |= {"villages": exprs.village_sums(f_area), "incomes": exprs.counted_incomes(f_area)}
    return out


def _sums(found: dict[str, pa.Table]) -> Sums:
    empty = pa.table({"village": pa.array([], pa.string())})
    return Sums(found.get("villages", empty), found["cadres"], found.get("incomes", empty), found["measures"],
                found["cadre_measures"])


@contextmanager
def _beside(tables: dict[str, pa.Table]) -> Iterator[tuple[ibis.BaseBackend, dict[str, ir.Table]]]:
    """Arrow tables in a DuckDB of our own, as Ibis tables (and that DuckDB): to join and sum what an engine
    fetched."""
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    try:
        local = ibis.duckdb.from_connection(con)
        for key, table in tables.items():
            con.register(key, table)
        yield local, {key: local.table(key) for key in tables}
    finally:
        con.close()


def _summed_beside(tables: dict[str, pa.Table], p: exprs.Period, *, pieces: bool) -> Sums:
    """The sums of `tables` (pairs, md, and either the facts' pieces, joined here, or the area's and the
    cadres' facts: f_area, f_cadre) in a DuckDB of our own. Pieces are joined once into a table the sums then
    read: as one expression each sum joined them again (three joins of every household's pieces)."""
    with _beside(tables) as (local, here):
        if pieces:
            joined = exprs.with_flags(exprs.join_facts(
                {key.removeprefix("piece_"): table for key, table in here.items() if key.startswith("piece_")}, p))
            with _kept(local, {"facts": joined.select(*exprs.SUMMED)}) as kept:
                return _sums_of(kept["facts"], kept["facts"], here)
        return _sums_of(here.get("f_area"), here["f_cadre"], here)


def _sums_of(f_area: ir.Table | None, f_cadre: ir.Table, here: dict[str, ir.Table]) -> Sums:
    return _sums({key: expr.to_pyarrow() for key, expr in _sum_exprs(f_area, f_cadre, here["pairs"], here["md"]).items()})


@contextmanager
def _kept(backend: ibis.BaseBackend, made: dict[str, ir.Table]) -> Iterator[dict[str, ir.Table]]:
    """Results a computation reads more than once, made once as temporary tables of DuckDB's own and dropped
    after. (Ibis' `cache()` could not drop its table again: DuckDB refused the statement.) The expressions
    read no in-memory table (`ibis.memtable`), which compiling alone would not register."""
    names = {key: f"assessment_{key}" for key in made}
    try:
        for key, expr in made.items():
            backend.con.execute(f"CREATE OR REPLACE TEMP TABLE {names[key]} AS {backend.compile(expr)}")
        yield {key: backend.table(name) for key, name in names.items()}
    finally:
        for name in names.values():
            backend.con.execute(f"DROP TABLE IF EXISTS {name}")


def _homes(t: dict[str, ir.Table], pairs: ir.Table) -> ir.Table:
    """The home area of each cadre with a pair in `pairs`."""
    ids = pairs.select(x_cadre=pairs["cadre"]).distinct()
    cd = t["cadre"]
    return cd.join(ids, cd["id"] == ids["x_cadre"]).select(cadre=cd["id"], home=cd["home_area_id"])


def _whole(session: engines.Session, t: dict[str, ir.Table], p: exprs.Period,
           pairs: ir.Table) -> tuple[Sums, Activity, pa.Table]:
    """Every household, area, team and cadre: the queries fetched at once (side by side on SQLite); the
    households' facts summed where they are: in DuckDB itself, made once (with the measures due and the
    pairs, each read twice or more), or, from the other engines, in a DuckDB beside them — SQLite's pieces
    joined there (`_facts_exprs`)."""
    visits = _visits(session, t, p, None, None)
    md = _measures_due(t, p, None)
    activity = _activity_exprs(t, p, visits, None, None, engine=session.engine)
    if session.engine == "duckdb":
        facts = exprs.with_flags(exprs.household_facts(t, t["household"], p)).select(*exprs.SUMMED)
        made = {"facts": facts, "md": md, "pairs": pairs}
        with _kept(session.backend, made) as kept:
            facts, kept_pairs = kept["facts"], kept["pairs"]
            found = session.to_arrow_all({**activity, "homes": _homes(t, kept_pairs),
                                          **_sum_exprs(facts, facts, kept_pairs, kept["md"])})
        return _sums(found), _activity(session, visits, found), found["homes"]
    facts_exprs = _facts_exprs(session, t, t["household"], p, ids=None)
    found = session.to_arrow_all({**activity, "homes": _homes(t, pairs), **facts_exprs, "pairs": pairs, "md": md},
                                 large=True)
    if "facts" in found:
        found["f_area"] = found["f_cadre"] = found["facts"]
    kept = {k: v for k, v in found.items() if k in ("pairs", "md", "f_area", "f_cadre") or k.startswith("piece_")}
    sums = _summed_beside(kept, p, pieces="facts" not in found)
    return sums, _activity(session, visits, found), found["homes"]


def measure(session: engines.Session, p: exprs.Period, *, span: tuple[str, str] | None = None,
            cadres: Iterable[int] | None = None, areas: bool = True) -> Measured:
    """The parts of the areas in `span` (every area when None) and their work teams, and of the cadres: those
    given, or with a home area in `span`, or all; `areas=False` measures the cadres only.

    The household facts are made once and summed per village and per cadre where they are (`Sums`); the
    work tables' counts likewise (`_activity`), so no table is aggregated twice. The queries that do not
    depend on each other's results are fetched together (`engines.Session.to_arrow_all`)."""
    t = session.raw
    out = Measured(p)
    hh = _in_span(t["household"], "village_id", span)
    pairs = exprs.pairs_in_year(t, p)
    if cadres is not None:
        pairs = pairs.filter(pairs["cadre"].isin(sorted(set(cadres)) or [-1]))
    elif span is not None:
        cd = t["cadre"]
        mine = _in_span(cd, "home_area_id", span).select(c_id=cd["id"])
        pairs = pairs.semi_join(mine, pairs["cadre"] == mine["c_id"])
    if span is None and cadres is None:
        sums, activity, home_rows = _whole(session, t, p, pairs)
    else:
        pair_rows = _arrow(session, pairs)
        narrow = _arrow(session, hh.select("id")).column("id").to_pylist() if areas else None
        # The cadres' households by id (fetched: Ibis cannot join the pair table into an expression that is
        # itself filtered by the pair table).
        everyone = t["household"]
        mine_ids = sorted(set(pair_rows.column("household").to_pylist())) or [-1]
        measured = sorted(set(pair_rows.column("cadre").to_pylist()))
        households = sorted(set(mine_ids) | set(narrow or ()))
        visits = _visits(session, t, p, span, measured)
        # One facts query for the areas' households and the cadres' together (each household's facts are its
        # own, whichever others are asked with it): compiling the query is most of a one-village refresh's
        # Ibis time, and the two sets mostly overlap.
        asked = {**_activity_exprs(t, p, visits, span, measured, engine=session.engine),
                 "homes": _homes(t, pairs), "md": _measures_due(t, p, households),
                 "facts": _facts_expr(t, everyone.filter(everyone["id"].isin(households)), p, households)}
        found = session.to_arrow_all(asked)
        activity = _activity(session, visits, found)
        home_rows = found["homes"]
        facts = found["facts"]
        # The cadres' sums join their pairs (the other households fall away); the areas' read their own only.
        beside = {"md": found["md"], "pairs": pair_rows, "f_cadre": facts}
        if narrow is not None:
            beside["f_area"] = facts.filter(pc.is_in(facts.column("hid"), value_set=pa.array(narrow, facts.schema.field("hid").type)))
        sums = _summed_beside(beside, p, pieces=False)
    if areas:
        _measure_areas(session, t, sums, activity, p, span, out)
    _measure_cadres(home_rows, sums, activity, out)
    return out


def _facts_expr(t: dict[str, ir.Table], hh: ir.Table, p: exprs.Period, ids: list[int]) -> ir.Table:
    """The facts (with their flags) of a few households `hh` (ids `ids`): one query through the indexes."""
    return exprs.with_flags(exprs.household_facts(t, hh, p, ids=ids))


def _facts_exprs(session: engines.Session, t: dict[str, ir.Table], hh: ir.Table, p: exprs.Period, *,
                 ids: list[int] | None) -> dict[str, ir.Table]:
    """What every household's facts are fetched as from an engine other than DuckDB. SQLite plans the ten-way
    join of grouped subqueries poorly — at 1 M households 39 s of its 68 s of measuring went to that one
    query — while each piece alone is a scan or a GROUP BY on an index: there the pieces are fetched one by
    one and joined by DuckDB beside it (the same expressions, `exprs.join_facts`)."""
    pieces = exprs.household_pieces(t, hh, p, ids=ids)
    if session.engine != "sqlite":
        return {"facts": exprs.with_flags(exprs.join_facts(pieces, p))}
    return {f"piece_{name}": piece for name, piece in pieces.items()}


def _sum_into(units: Units, keys: pa.Array | pa.ChunkedArray, columns: dict[str, np.ndarray]) -> None:
    """Add each row's values of `columns` (numpy arrays, one entry per row) to the part they name, at the unit its
    key names; rows of other units are left out."""
    if len(keys) == 0 or not units.keys:
        return
    found_at = pc.index_in(pc.cast(keys, pa.string()), value_set=pa.array(units.keys, pa.string()))
    idx = pc.fill_null(found_at, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    found = idx >= 0
    for part, values in columns.items():
        np.add.at(units.parts[part], idx[found], np.asarray(values, dtype=np.int64)[found])


def _col(table: pa.Table, name: str) -> np.ndarray:
    """A column as int64 (booleans as 0/1, nulls as 0)."""
    column = table.column(name)
    if pa.types.is_boolean(column.type):
        column = pc.cast(column, pa.int64())
    return pc.fill_null(column, 0).to_numpy(zero_copy_only=False).astype(np.int64)


def _village_household_parts(v: Units, sums: Sums) -> None:
    """The households' counts per village (summed where the facts are: exprs.village_sums)."""
    found = sums.villages
    if found.num_rows:
        _sum_into(v, found.column("village"), {part: _col(found, part) for part in found.column_names
                                               if part != "village"})


def _measure_areas(session: engines.Session, t: dict[str, ir.Table], sums: Sums, activity: Activity,
                   p: exprs.Period, span: tuple[str, str] | None, out: Measured) -> None:
    area = _in_span(t["area"], "code", span)
    rows = _arrow(session, area.select("code", "level", "poor_village")).sort_by("code")
    villages = rows.filter(pc.equal(rows.column("level"), "village"))
    v = Units.empty(villages.column("code").to_pylist(), villages.column("code").to_pylist())
    v.parts["poor_villages"] = pc.cast(villages.column("poor_village"), pa.int64()).to_numpy(zero_copy_only=False).copy()
    _village_household_parts(v, sums)
    records = _arrow(session, _in_span(exprs.village_records(t, p), "village", span))
    _population_from_records(v, records)
    _sum_into(v, activity.visits.column("village"), {"visits": _col(activity.visits, "n")})
    sm = activity.same_minute
    _sum_into(v, sm.column("village"), {"alerts": np.ones(sm.num_rows, np.int64)})
    mm = activity.member_months
    _sum_into(v, mm.column("village"), {"mm": _col(mm, "n"), "mm_met": _col(mm, "met")})
    full = _arrow(session, _in_span(exprs.full_teams(t, p), "village", span))
    _sum_into(v, full.column("village"), {"team_ok": np.ones(full.num_rows, np.int64)})
    v.parts["team_ok"] *= v.parts["poor_villages"]  # coverage is of poor villages
    md = sums.measures
    _sum_into(v, md.column("village"), {"measures_due": _col(md, "due"), "measures_on_time": _col(md, "on_time")})
    v.parts["alerts"] += v.parts["mm"] - v.parts["mm_met"]  # residence alerts: the member-months below the rule
    v.parts["hh_base"] = v.parts["poor_end"].copy()
    out.units["village"] = v
    out.incomes = _by_village(sums.incomes)
    for level in AREA_LEVELS[1:]:
        codes = rows.filter(pc.equal(rows.column("level"), level)).column("code").to_pylist()
        out.units[level] = rollup(v, codes, level)
    _measure_teams(session, t, p, span, activity, v, out)


def _population_from_records(v: Units, records: pa.Table) -> None:
    """A village's population: its record's of the year when above 0, else its registered households' members;
    and the infrastructure counts (vr_n, vr_ok) from the records."""
    if records.num_rows == 0:
        return
    counted = Units.empty(v.keys, v.keys)
    _sum_into(counted, records.column("village"), {"population": _col(records, "population")})
    _sum_into(v, records.column("village"), {"vr_ok": _col(records, "ok"), "vr_n": np.ones(records.num_rows, np.int64)})
    use = counted.parts["population"] > 0
    v.parts["population"] = np.where(use, counted.parts["population"], v.parts["population"])


def _measure_teams(session: engines.Session, t: dict[str, ir.Table], p: exprs.Period, span: tuple[str, str] | None,
                   activity: Activity, v: Units, out: Measured) -> None:
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
    mm = activity.member_months
    _sum_into(u, mm.column("team"), {"mm": _col(mm, "n"), "mm_met": _col(mm, "met")})
    out.units["work_team"] = u


def _measure_cadres(homes: pa.Table, sums: Sums, activity: Activity, out: Measured) -> None:
    """Each cadre with a pair in the year: their households' parts, their own visits, same-minute alerts,
    member-months below the residence rule and their households' measures."""
    found = homes.sort_by("cadre")
    u = Units.empty([str(i) for i in found.column("cadre").to_pylist()], found.column("home").to_pylist())
    out.units["cadre"] = u
    if not u.keys:
        return
    c = sums.cadres
    _sum_into(u, c.column("cadre"), {
        "paired": _col(c, "paired"), "hh_base": _col(c, "paired"), "plans_ok": _col(c, "plans_ok"),
        "inc_sum": _col(c, "inc_sum"), "inc_n": _col(c, "inc_n"), "inc_prev_sum": _col(c, "inc_prev_sum"),
        "inc_prev_n": _col(c, "inc_prev_n"), "alerts": _col(c, "alerts")})
    vg, sm, mm = activity.visits, activity.same_minute, activity.member_months
    _sum_into(u, vg.column("cadre"), {"visits": _col(vg, "n")})
    _sum_into(u, sm.column("cadre"), {"alerts": np.ones(sm.num_rows, np.int64)})
    _sum_into(u, mm.column("cadre"), {"alerts": _col(mm, "n") - _col(mm, "met")})
    md = sums.cadre_measures
    _sum_into(u, md.column("cadre"), {"measures_due": _col(md, "due"), "measures_on_time": _col(md, "on_time")})


def _by_village(incomes: pa.Table) -> dict[str, np.ndarray]:
    if incomes.num_rows == 0 or "pc" not in incomes.column_names:
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


# --------------------------------------------------------------------------- values


def median_fen(values: np.ndarray) -> float | None:
    """The median of integer fen (the mean of the middle two for an even count), None for no values. A
    partition, not a sort: the province's median alone is taken over every counted household's income."""
    n = len(values)
    if not n:
        return None
    low, high = (n - 1) // 2, n // 2
    middle = np.partition(values, [low, high])
    return (float(middle[low]) + float(middle[high])) / 2


def medians(incomes: dict[str, np.ndarray], codes: list[str], level: str) -> np.ndarray:
    """Each area's median per-capita income in yuan over its villages' households (NaN: none counted)."""
    if level == "village":
        groups = {code: [values] for code, values in incomes.items()}
    else:
        groups = {}
        for village, values in incomes.items():
            groups.setdefault(ancestor(village, level), []).append(values)
    out = np.full(len(codes), np.nan)
    for i, code in enumerate(codes):
        found = groups.get(code)
        m = median_fen(found[0] if len(found) == 1 else np.concatenate(found)) if found else None
        if m is not None:
            out[i] = m / 100
    return out


def values_table(measured: Measured) -> pa.Table:
    """Every unit's value of every indicator it has (the declared "no data" ones included, as None) as rows:
    unit_type, unit, area_code, indicator, numerator, denominator, value. Built as whole arrays per unit type
    and indicator (NaN → null), never a Python list of values: 700,000 rows at 1 M households."""
    pieces: list[pa.Table] = []
    for unit_type, units in measured.units.items():
        n = len(units.keys)
        if not n:
            continue
        keys, areas = pa.array(units.keys, pa.string()), pa.array(units.areas, pa.string())
        nothing = np.full(n, np.nan)
        for ind in catalogue.for_unit(unit_type):
            num: np.ndarray
            den: np.ndarray
            val: np.ndarray
            if ind.evaluation_rate:
                num, den, val = _evaluated(measured, unit_type, units.keys, ind.code)
            elif ind.formula is None:
                num = den = val = nothing
            elif ind.kind == "median":
                num, den = nothing, units.parts["inc_n"].astype(np.float64)
                val = medians(measured.incomes, units.keys, unit_type)
            else:
                a, b, c = ind.formula(units.parts)
                num, den, val = np.asarray(a, np.float64), nothing if b is None else np.asarray(b, np.float64), c
            pieces.append(pa.table({
                "unit_type": pa.repeat(pa.scalar(unit_type, pa.string()), n), "unit": keys,
                "area_code": areas, "indicator": pa.repeat(pa.scalar(ind.code, pa.string()), n),
                "numerator": _nullable(num), "denominator": _nullable(den), "value": _nullable(val)}))
    if not pieces:
        f, s = pa.float64(), pa.string()
        return pa.table({k: pa.array([], f if k in ("numerator", "denominator", "value") else s)
                         for k in ("unit_type", "unit", "area_code", "indicator", "numerator", "denominator", "value")})
    return pa.concat_tables(pieces)


def _nullable(a: np.ndarray) -> pa.Array:
    """Floats with NaN as null: a value that cannot be made is "no data", stored as None, never 0."""
    a = np.asarray(a, dtype=np.float64)
    return pa.array(a, pa.float64(), mask=np.isnan(a))


def _evaluated(measured: Measured, unit_type: str, keys: list[str], code: str) -> tuple[np.ndarray, ...]:
    found = measured.evaluated.get(unit_type, {})
    if not found:  # no evaluation of this unit type: every unit "no data", without a look-up per unit
        nothing = np.full(len(keys), np.nan)
        return nothing, nothing, nothing
    none = (None, None, None)
    cells = [found.get(key, {}).get(code, none) for key in keys]
    return tuple(np.array([np.nan if x is None else x for x in column], dtype=np.float64)
                 for column in zip(*cells, strict=True))


def period_of(year: int, today: dt.date | None = None) -> exprs.Period:
    from jingzhun.teams.config import SupervisionConfig

    config = SupervisionConfig.from_env()
    return exprs.Period.of(year, today or dt.date.today(), visit_days=config.visit_days,
                           min_team=config.min_team_members, min_days=config.min_residence_days)
