"""The indicators' counts as Ibis expressions over the register's tables: one expression set for every engine.

`household_facts` is one row per household (its status at the start and end of the year, size, incomes of
the year and the year before, guarantees, its helper at the year's end, whether it was paired in the year,
visited in the year's last days, its approved plan); the other functions group it, the visits, the
work-team memberships and attendance, the village records and the plan measures into the additive parts of
`jingzhun.assessment.catalogue.PARTS`, by village, work team and cadre. Nothing here knows which backend
runs it (jingzhun.identification.engines supplies the tables).

Exactness, so that every engine gives the same answer: money in integer fen, per-capita income rounded
down with integer arithmetic on non-negative operands only (engines disagree on dividing negatives), times
compared as UTC timestamps (how Django stores them) and minutes as whole epoch minutes.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
from django.conf import settings

from jingzhun import choices as c
from jingzhun.identification.compile import fen_of

INCOME_ADD = ("wage_income", "production_income", "property_income", "transfer_income")
INCOME_SUBTRACT = ("production_costs",)
NEEDS: dict[str, set[str]] = {
    "household": {"id", "village_id", "identified_year", "exit_year", "housing_secured", "water_secured", "road"},
    "member": {"household_id"},
    "income": {"household_id", "year", *INCOME_ADD, *INCOME_SUBTRACT},
    "event": {"id", "household_id", "status", "year", "recorded_at"},
    "pair": {"household_id", "cadre_id", "start_date", "end_date"},
    "visit": {"id", "cadre_id", "household_id", "village_id", "visited_at"},
    "attendance": {"cadre_id", "village_id", "date"},
    "membership": {"id", "cadre_id", "team_id", "start_date", "end_date"},
    "team": {"id", "village_id", "start_date", "end_date"},
    "cadre": {"id", "status", "home_area_id"},
    "plan": {"id", "household_id", "year", "approved_at"},
    "measure": {"id", "plan_id", "status", "due_on", "done_on"},
    "village_record": {"village_id", "year", "population", "hardened_road", "tap_water", "clinic"},
    "area": {"code", "level", "poor_village"},
}


@dataclass(frozen=True)
class Period:
    """The year's bounds: dates, and the instants (Beijing time) as naive UTC, as Django stores them."""

    year: int
    first: dt.date
    last: dt.date
    start: dt.datetime
    end: dt.datetime  # exclusive: the next year's first instant
    cutoff: dt.datetime  # the unvisited alert's window opens here (`visit_days` before the end)
    cutoff_date: dt.date  # a pair starting after this day is not yet due for a visit
    judged_months: int  # months of the year already over (the residence rule judges whole months only)
    min_team: int
    min_days: int

    @classmethod
    def of(cls, year: int, today: dt.date, *, visit_days: int = 30, min_team: int = 3, min_days: int = 20) -> Period:
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)

        def utc(d: dt.date) -> dt.datetime:
            local = dt.datetime(d.year, d.month, d.day, tzinfo=zone)
            return local.astimezone(dt.UTC).replace(tzinfo=None)

        end = utc(dt.date(year + 1, 1, 1))
        cutoff = end - dt.timedelta(days=visit_days)
        cutoff_local = cutoff.replace(tzinfo=dt.UTC).astimezone(zone).date()
        if today.year > year:
            months = 12
        elif today.year < year:
            months = 0
        else:
            months = today.month - 1
        return cls(year, dt.date(year, 1, 1), dt.date(year, 12, 31), utc(dt.date(year, 1, 1)), end, cutoff,
                   cutoff_local, months, min_team, min_days)


def poor_statuses(year: int) -> tuple[str, ...]:
    """Registered poor: poor and returned, and monitored from 2021 (the transition's 监测对象)."""
    return (*c.POOR_NOW, c.MONITORED) if year >= 2021 else c.POOR_NOW


def net_income(income: ir.Table, year: int | None) -> ir.Table:
    """(household id, year, net income in fen) of `year`'s income rows (of every row given for None)."""
    inc = income if year is None else income.filter(income["year"] == year)
    net = sum((fen_of(inc[f]) for f in INCOME_ADD), ibis.literal(0, "int64"))
    for f in INCOME_SUBTRACT:
        net = net - fen_of(inc[f])
    return inc.select(n_hid=inc["household_id"], n_year=inc["year"], net=net)


def incomes_of(income: ir.Table, year: int) -> ir.Table:
    """(household id, net income of `year` and of `year` − 1 in fen): one pass over the two years' rows (a
    household has one income row a year)."""
    inc = income.filter(income["year"].isin([year - 1, year]))
    net = net_income(inc, None)
    return net.group_by("n_hid").aggregate(
        net=ibis.ifelse(net["n_year"] == year, net["net"], ibis.null("int64")).max(),
        net_prev=ibis.ifelse(net["n_year"] == year - 1, net["net"], ibis.null("int64")).max())


def latest_status(event: ir.Table, year: int, name: str) -> ir.Table:
    """(household id, status of its latest event of a year ≤ `year`: by year, then time recorded, then id)."""
    e = event.filter(event["year"].notnull() & (event["year"] <= year))
    w = ibis.window(group_by=e["household_id"], order_by=[ibis.desc(e["year"]), ibis.desc(e["recorded_at"]),
                                                          ibis.desc(e["id"])])
    e = e.select(**{f"{name}_hid": e["household_id"], f"{name}_ev": e["status"]}, rn=ibis.row_number().over(w))
    return e.filter(e["rn"] == 0).drop("rn")


def status_at(j: ir.Table, year: int, name: str) -> ir.Value:
    """The status at the end of `year`: the latest event's (joined as `name`_ev), else from the household's
    fields (exit year ≤ year: exited; identified year ≤ year: poor) — as `appraisal.yearly.status_at`."""
    fallback = ibis.cases((j["exit_year"].notnull() & (j["exit_year"] <= year), c.EXITED),
                          (j["identified_year"].notnull() & (j["identified_year"] <= year), c.POOR),
                          else_=ibis.null("string"))
    return ibis.coalesce(j[f"{name}_ev"], fallback)


def per_capita(net: ir.IntegerValue, size: ir.IntegerValue) -> ir.IntegerValue:
    """⌊net ÷ size⌋ in fen, dividing non-negative integers only (SQLite truncates, others floor negatives)."""
    positive = net // size
    negative = -((-net + size - 1) // size)
    return ibis.ifelse(net >= 0, positive, negative)


def household_pieces(t: dict[str, ir.Table], hh: ir.Table, p: Period, *,
                     ids: list[int] | None = None) -> dict[str, ir.Table]:
    """What `household_facts` joins, each a table of its own keyed by a household id column: the households
    (`hh`), their sizes, incomes of the year and the year before, statuses at the end of the year and the
    year before, helper at the year's end, pairs of the year, recent visits and approved plans. Each is one
    plain scan or GROUP BY, so an engine that joins poorly (SQLite) can run them one by one and leave the join
    to another (`jingzhun.assessment.compute`). `ids` (the ids of `hh`, when they are few: one village's, one
    cadre's) limits every per-household table to them before it is aggregated, so the database reads those
    rows through its household_id indexes instead of aggregating whole tables."""
    y = p.year

    def mine(x: ir.Table) -> ir.Table:
        return x.filter(x["household_id"].isin(ids or [-1])) if ids is not None else x

    m = mine(t["member"])  # other households' members fall away in the join (`join_facts`)
    size = m.group_by(s_hid=m["household_id"]).aggregate(size=m.count())
    incomes = incomes_of(mine(t["income"]), y)
    event = mine(t["event"])
    pr = mine(t["pair"])
    in_year = pr.filter((pr["start_date"] <= p.last) & (pr["end_date"].isnull() | (pr["end_date"] >= p.first)))
    # Of the year's pairs, those still open after its last day name the household's helper at the year's end.
    at_end = in_year["end_date"].isnull() | (in_year["end_date"] > p.last)
    pairs = in_year.group_by(a_hid=in_year["household_id"]).aggregate(
        paired=in_year.count(), end_cadre=ibis.ifelse(at_end, in_year["cadre_id"], ibis.null("int64")).min(),
        end_start=ibis.ifelse(at_end, in_year["start_date"], ibis.null("date")).min())
    v = mine(t["visit"])
    recent = v.filter((v["visited_at"] >= p.cutoff) & (v["visited_at"] < p.end))
    recent = recent.group_by(r_hid=recent["household_id"]).aggregate(recent=recent.count())
    pl = mine(t["plan"])
    plans = pl.filter((pl["year"] == y) & pl["approved_at"].notnull())
    plans = plans.group_by(l_hid=plans["household_id"]).aggregate(plan=plans.count())
    return {"household": hh, "size": size, "incomes": incomes, "end": latest_status(event, y, "s_end"),
            "start": status_before(event, y), "pairs": pairs, "recent": recent, "plans": plans}


def status_before(event: ir.Table, year: int) -> ir.Table:
    """The status at the end of `year` − 1 of the households with an event of `year` (`moved` true): for every
    other household it is its status at the end of `year` (its events up to `year` − 1 are all it has), so
    the window over the events runs once over every household and once over the few that moved."""
    moved = event.filter(event["year"] == year).select(m_hid=event["household_id"]).distinct()
    before = latest_status(event.semi_join(moved, event["household_id"] == moved["m_hid"]), year - 1, "s_start")
    j = moved.left_join(before, moved["m_hid"] == before["s_start_hid"])
    return j.select(s_start_hid=j["m_hid"], s_start_ev=j["s_start_ev"], moved=ibis.literal(True))


def join_facts(pieces: dict[str, ir.Table], p: Period) -> ir.Table:
    """The pieces (`household_pieces`) joined: one row per household with what every indicator reads of it."""
    y = p.year
    hh, size, incomes, end = pieces["household"], pieces["size"], pieces["incomes"], pieces["end"]
    start, pairs, recent, plans = pieces["start"], pieces["pairs"], pieces["recent"], pieces["plans"]
    j = (hh.left_join(size, hh["id"] == size["s_hid"]).left_join(incomes, hh["id"] == incomes["n_hid"])
         .left_join(end, hh["id"] == end["s_end_hid"]).left_join(start, hh["id"] == start["s_start_hid"])
         .left_join(pairs, hh["id"] == pairs["a_hid"]).left_join(recent, hh["id"] == recent["r_hid"])
         .left_join(plans, hh["id"] == plans["l_hid"]))
    # Households with no event of the year kept their status of the year before.
    j = j.mutate(s_start_ev=ibis.ifelse(j["moved"].notnull(), j["s_start_ev"], j["s_end_ev"]))
    j = j.mutate(s_end=status_at(j, y, "s_end"), s_start=status_at(j, y - 1, "s_start"))
    n = ibis.coalesce(j["size"], 0)
    poor = poor_statuses(y)
    return j.select(
        hid=j["id"], village=j["village_id"], size=n, s_end=j["s_end"], s_start=j["s_start"],
        poor_end=j["s_end"].isin(poor).fill_null(False), poor_start=j["s_start"].isin(poor).fill_null(False),
        needs_end=j["s_end"].isin(c.NEEDS_HELPER).fill_null(False),
        needs_start=j["s_start"].isin(c.NEEDS_HELPER).fill_null(False),
        pc=ibis.ifelse(j["net"].notnull() & (n > 0), per_capita(j["net"], n), ibis.null("int64")),
        pc_prev=ibis.ifelse(j["net_prev"].notnull() & (n > 0), per_capita(j["net_prev"], n), ibis.null("int64")),
        housing=j["housing_secured"].cast("boolean"), water=j["water_secured"].cast("boolean"),
        road_ok=j["road"] == "hardened", end_cadre=j["end_cadre"],
        helper=j["end_cadre"].notnull(), paired=j["paired"].notnull(),
        # Supervision's unvisited rule at the year's end: needs a helper, not paired within the window, and no
        # visit in the window.
        unvisited=(j["s_end"].isin(c.NEEDS_HELPER).fill_null(False)
                   & (j["end_start"].isnull() | (j["end_start"] <= p.cutoff_date)) & j["recent"].isnull()),
        plan_ok=j["plan"].notnull(),
    )


def household_facts(t: dict[str, ir.Table], hh: ir.Table, p: Period, *, ids: list[int] | None = None) -> ir.Table:
    """One row per household of `hh` with what every indicator reads of it (`household_pieces` joined)."""
    return join_facts(household_pieces(t, hh, p, ids=ids), p)


def flag(value: ir.BooleanValue) -> ir.IntegerValue:
    return ibis.ifelse(value, 1, 0)


def _exited(h: ir.Table) -> ir.BooleanValue:
    # As the yearly difference classifies: now exited, poor or returned before; now returned, not before.
    return ((h["s_end"] == c.EXITED) & h["s_start"].isin(c.POOR_NOW)).fill_null(False)


def _returned(h: ir.Table) -> ir.BooleanValue:
    return ((h["s_end"] == c.RETURNED) & (h["s_start"].isnull() | (h["s_start"] != c.RETURNED))).fill_null(False)


def with_flags(h: ir.Table) -> ir.Table:
    """The household facts with the flags the village parts sum (compute.py adds them up per village): exited
    and returned in the year, and whether the household counts in the income indicators of Y and of Y−1."""
    return h.mutate(exited=_exited(h), returned=_returned(h), inc_ok=h["needs_end"] & h["pc"].notnull(),
                    prev_ok=h["needs_start"] & h["pc_prev"].notnull())


#: The facts' columns `village_sums`, `cadre_sums` and `counted_incomes` read (a table kept for them needs no
#: more: the statuses as text cost DuckDB a second in storing 10 M rows).
SUMMED = ("hid", "village", "size", "poor_start", "poor_end", "exited", "returned", "inc_ok", "pc", "prev_ok",
          "pc_prev", "housing", "water", "road_ok", "helper", "paired", "unvisited", "plan_ok", "end_cadre")


def visits_in_year(t: dict[str, ir.Table], p: Period) -> ir.Table:
    v = t["visit"]
    return v.filter((v["visited_at"] >= p.start) & (v["visited_at"] < p.end))


def minute(at: ir.TimestampValue, *, text: bool = True) -> ir.Value:
    """A time's clock minute: as text ("2020-03-04 05:06"), cheap on SQLite, which stores the time as that text
    (an epoch minute parses every row's text); or as whole epoch minutes, cheap where times are numbers
    (grouping 16-character strings costs DuckDB far more than integers). Either gives the same grouping, and
    UTC or China's time alike: they are whole hours apart (as `jingzhun.teams.sql.minute`)."""
    return at.cast("string").substr(0, 16) if text else at.epoch_seconds() // 60


def same_minute_helpers(visits: ir.Table, *, by: str = "text") -> ir.Table:
    """The helpers (column `cadre`) with two or more visits in one clock minute: the only helpers a same-minute
    alert can name. It reads the helper and the time only, so the households and villages are then read for
    these helpers' visits alone. Three ways to one answer, as each engine does it cheapest:

    - "text": group by helper and text minute. SQLite's (helper, time) index holds both, so no visit row is
      read (SQLite has no hash aggregation: its GROUP BY sorts, and a window over the index order was twice
      as slow again).
    - "epoch": the same grouping by epoch minute, where times are numbers (PostgreSQL).
    - "order": each visit against the helper's visit before it in time (a window). Two visits share a minute
      exactly when two consecutive ones do, since every visit between them falls in that minute too. Over
      54 M visits DuckDB took 7.4–7.8 s so, against 8.4–12.6 s hashing as many groups (alternating runs, 10 M
      households, 2 cores)."""
    if by == "order":
        v = visits.select(cadre=visits["cadre_id"], at=visits["visited_at"])
        v = v.mutate(before=v["at"].lag().over(ibis.window(group_by=v["cadre"], order_by=v["at"])))
        same = minute(v["at"], text=False) == minute(v["before"], text=False)
        return v.filter(v["before"].notnull() & same).select("cadre").distinct()
    v = visits.select(cadre=visits["cadre_id"], minute=minute(visits["visited_at"], text=by == "text"))
    g = v.group_by(["cadre", "minute"]).aggregate(n=v.count())
    return g.filter(g["n"] > 1).select("cadre").distinct()


def same_minute(visits: ir.Table) -> ir.Table:
    """One row per (helper, clock minute) with visits at two or more households, at its lowest village code
    (as the supervision alert reports it). `visits` may be limited to the helpers `same_minute_helpers`
    finds: no other helper has such a minute."""
    v = visits.select(cadre=visits["cadre_id"], household=visits["household_id"], village=visits["village_id"],
                      minute=minute(visits["visited_at"]))
    g = v.group_by(["cadre", "minute"]).aggregate(low=v["household"].min(), high=v["household"].max(),
                                                  village=v["village"].min())
    return g.filter(g["low"] != g["high"])


def member_months(t: dict[str, ir.Table], p: Period, *, span: tuple[str, str] | None = None,
                  cadres: list[int] | None = None) -> ir.Table:
    """One row per work-team membership and whole judged month of the year it covers: its team, village,
    cadre and whether the member had `min_days` attendance days in the team's village that month. With a
    `span`: only the memberships of teams in its villages or of `cadres` — and only their attendance (their
    village's or their own), filtered before it is counted."""
    rows = []
    for month in range(1, p.judged_months + 1):
        first = dt.date(p.year, month, 1)
        last = (dt.date(p.year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1))
        rows.append((month, first, last))
    if not rows:
        rows = [(0, dt.date(p.year, 1, 1), dt.date(p.year - 1, 12, 31))]  # no month judged yet: matches nothing
    months = ibis.memtable({"month": [r[0] for r in rows], "m_first": [r[1] for r in rows],
                            "m_last": [r[2] for r in rows]})
    ms, tm = t["membership"], t["team"]
    mt = ms.join(tm, ms["team_id"] == tm["id"]).select(
        mid=ms["id"], cadre=ms["cadre_id"], team=ms["team_id"], village=tm["village_id"],
        start=ms["start_date"], stop=ms["end_date"])
    a = t["attendance"]
    if span is None:
        a = a.filter((a["date"] >= p.first) & (a["date"] <= p.last))
    else:
        keep_m, keep_a = mt["village"].between(*span), a["village_id"].between(*span)
        if cadres:
            keep_m, keep_a = keep_m | mt["cadre"].isin(cadres), keep_a | a["cadre_id"].isin(cadres)
        # The year as year(date), which no index serves: a date range here led SQLite to skip-scan its
        # (cadre, date) index over the whole table instead of reading the village's and cadres' rows.
        mt, a = mt.filter(keep_m), a.filter(keep_a & (a["date"].year() == p.year))
    mm = mt.join(months, (mt["start"] <= months["m_first"]) & (mt["stop"].isnull() | (mt["stop"] >= months["m_last"])))
    days = a.group_by(d_cadre=a["cadre_id"], d_village=a["village_id"], d_month=a["date"].month()).aggregate(
        days=a.count())
    j = mm.left_join(days, (mm["cadre"] == days["d_cadre"]) & (mm["village"] == days["d_village"])
                     & (mm["month"] == days["d_month"]))
    return j.select(mid=j["mid"], cadre=j["cadre"], team=j["team"], village=j["village"], month=j["month"],
                    met=ibis.coalesce(j["days"], 0) >= p.min_days)


def full_teams(t: dict[str, ir.Table], p: Period) -> ir.Table:
    """Villages with at least `min_team` serving members of an open team on the year's last day."""
    ms, tm, cd = t["membership"], t["team"], t["cadre"]
    day = p.last
    open_t = tm.filter((tm["start_date"] <= day) & (tm["end_date"].isnull() | (tm["end_date"] >= day)))
    open_t = open_t.select(t_id=open_t["id"], village=open_t["village_id"])
    open_m = ms.filter((ms["start_date"] <= day) & (ms["end_date"].isnull() | (ms["end_date"] >= day)))
    open_m = open_m.select(m_team=open_m["team_id"], m_cadre=open_m["cadre_id"])
    serving = cd.filter(cd["status"] == "serving").select(s_id=cd["id"])
    j = open_m.join(open_t, open_m["m_team"] == open_t["t_id"]).join(serving, open_m["m_cadre"] == serving["s_id"])
    g = j.group_by("village").aggregate(members=j["m_cadre"].nunique())
    return g.filter(g["members"] >= p.min_team).select("village")


def measures_due(t: dict[str, ir.Table], hh: ir.Table, p: Period, *, ids: list[int] | None = None) -> ir.Table:
    """The plan measures due in the year (not cancelled), with their household and village and whether on time.
    `ids` (the ids of `hh`, when few) picks their plans first, through the plans' household index."""
    me, pl = t["measure"], t["plan"]
    if ids is not None:
        pl = pl.filter(pl["household_id"].isin(ids or [-1]))
    due = me.filter((me["due_on"] >= p.first) & (me["due_on"] <= p.last) & (me["status"] != "cancelled"))
    j = due.join(pl, due["plan_id"] == pl["id"]).join(hh, pl["household_id"] == hh["id"])
    return j.select(measure=due["id"], household=pl["household_id"], village=hh["village_id"],
                    on_time=((j["status"] == "done") & (j["done_on"] <= j["due_on"])).fill_null(False))


def village_records(t: dict[str, ir.Table], p: Period) -> ir.Table:
    r = t["village_record"]
    r = r.filter(r["year"] == p.year)
    return r.select(village=r["village_id"], population=r["population"],
                    ok=r["hardened_road"].cast("boolean") & r["tap_water"].cast("boolean") & r["clinic"].cast("boolean"))


def pairs_in_year(t: dict[str, ir.Table], p: Period) -> ir.Table:
    pr = t["pair"]
    f = pr.filter((pr["start_date"] <= p.last) & (pr["end_date"].isnull() | (pr["end_date"] >= p.first)))
    return f.select(cadre=f["cadre_id"], household=f["household_id"]).distinct()


def _on(value: ir.BooleanValue) -> ir.IntegerValue:
    """1 where true, 0 where false or unknown."""
    return flag(value.fill_null(False))


def village_sums(f: ir.Table) -> ir.Table:
    """The household parts per village, summed where the facts are (`with_flags` facts): counts of the poor
    at the start and end, their members, the year's exits and returns, the incomes counted (sums in fen and
    how many), the poor with safe housing, water, a hardened road, a helper and an approved plan, the paired
    households and those left unvisited."""
    pe = _on(f["poor_end"])
    return f.group_by("village").aggregate(
        poor_start=_on(f["poor_start"]).sum(), poor_end=pe.sum(), poor_pop_end=(pe * f["size"]).sum(),
        population=f["size"].sum(), exited=_on(f["exited"]).sum(), returned=_on(f["returned"]).sum(),
        inc_sum=ibis.ifelse(f["inc_ok"].fill_null(False), f["pc"], 0).sum(), inc_n=_on(f["inc_ok"]).sum(),
        inc_prev_sum=ibis.ifelse(f["prev_ok"].fill_null(False), f["pc_prev"], 0).sum(),
        inc_prev_n=_on(f["prev_ok"]).sum(), housing_ok=(pe * _on(f["housing"])).sum(),
        water_ok=(pe * _on(f["water"])).sum(), road_ok=(pe * _on(f["road_ok"])).sum(),
        helper_ok=(pe * _on(f["helper"])).sum(), paired=_on(f["paired"]).sum(), alerts=_on(f["unvisited"]).sum(),
        plans_ok=(pe * _on(f["plan_ok"])).sum())


def cadre_sums(pairs: ir.Table, f: ir.Table) -> ir.Table:
    """Each cadre's households' parts (`pairs`: cadre, household; `f`: their `with_flags` facts): how many,
    approved plans, incomes counted, and the unvisited households whose helper at the year's end they are."""
    j = pairs.join(f, pairs["household"] == f["hid"])
    has_pc, has_prev = j["pc"].notnull(), j["pc_prev"].notnull()
    return j.group_by("cadre").aggregate(
        paired=j.count(), plans_ok=_on(j["plan_ok"]).sum(), inc_sum=ibis.ifelse(has_pc, j["pc"], 0).sum(),
        inc_n=flag(has_pc).sum(), inc_prev_sum=ibis.ifelse(has_prev, j["pc_prev"], 0).sum(),
        inc_prev_n=flag(has_prev).sum(), alerts=_on(j["unvisited"] & (j["end_cadre"] == j["cadre"])).sum())


def counted_incomes(f: ir.Table) -> ir.Table:
    """The per-capita incomes (fen) the income indicators count, by village (the medians are taken of them)."""
    return f.filter(f["inc_ok"].fill_null(False)).select("village", "pc")


def measure_sums(md: ir.Table, pairs: ir.Table | None = None) -> ir.Table:
    """The measures due and done on time (`md`: household, village, due, on_time) per village, or per cadre
    of the households' `pairs`."""
    if pairs is None:
        return md.group_by("village").aggregate(due=md["due"].sum(), on_time=md["on_time"].sum())
    j = pairs.join(md, pairs["household"] == md["household"])
    return j.group_by("cadre").aggregate(due=j["due"].sum(), on_time=j["on_time"].sum())
