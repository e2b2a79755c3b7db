"""Every shipped indicator equals an independent count on the synthetic province (issue 16's must-hold).

The province is the demo's (`jingzhun demo --no-serve`): the synthetic register from 2014 to the current year
imported through the register importer, cadres and work teams from the roster import, pairing, visit and attendance imports, help
plans, exits, monitoring and the third-party evaluation — every table the indicators read, made by the project's
own generator and import paths. The assessment then computes its years in place on the database under test:

- 2020, the last year of exits under the old standard (households exited, returned, incomes against 2019);
- 2022, and the year the third-party evaluation is of (the last complete year): statuses, incomes,
  guarantees, village records and the evaluation's rates;
- the year of the demo's work (its "today", and the year before early in a year): pairs, visits, attendance,
  member-months, plans and measures.

Each value of every unit — the five area levels, work teams and cadres — is compared with a second computation
written here from the catalogue's published definitions (`jingzhun.assessment.catalogue`): plain Python loops
over the raw rows read once, the area tree walked through `Area.parent` (the app uses code prefixes), Beijing
years from aware datetimes (the app compares UTC instants), money in `Decimal`, medians by sorting. Nothing here
calls the app's expressions. "No data" must be None in both, never 0. The catalogue is iterated: an indicator
added without an independent count here fails the test.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import os
import zoneinfo
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from jingzhun.areas.models import Area, VillageRecord
from jingzhun.assessment import snapshots
from jingzhun.assessment.catalogue import CATALOGUE, UNIT_TYPES
from jingzhun.evaluation.models import Evaluation, SampledHousehold
from jingzhun.plans.models import HelpPlan, PlanMeasure
from jingzhun.registry.models import Household, IncomeRecord, Member, StatusEvent
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.models import Attendance, Cadre, HelperPair, TeamMembership, Visit, WorkTeam
from tests.test_demo import FAST_HASHERS, empty_database

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HOUSEHOLDS, COUNTIES = 2000, 3
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
LEVELS = ("village", "township", "county", "city", "province")
# The published rules the indicators cite: 20 residence days a month, 3 serving members make a team, a household
# needing help unvisited for the last 30 days of the year raises an alert.
MIN_DAYS, MIN_TEAM, VISIT_DAYS = 20, 3, 30
POOR, RETURNED, MONITORED, EXITED = "poor", "returned", "monitored", "exited"


@dataclass
class Province:
    today: dt.date
    years: tuple[int, ...]


@pytest.fixture(scope="module")
def province(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Province]:
    """The demo's province, committed once for the module (emptied afterwards as tests/test_demo.py does), with
    the assessment computed in place for its years."""
    cwd = tmp_path_factory.mktemp("assessind")
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS), django_db_blocker.unblock():
        old = os.getcwd()
        os.chdir(cwd)
        try:
            call_command("demo", no_serve=True, households=HOUSEHOLDS, counties=COUNTIES, seed=2016,
                         stdout=io.StringIO())
            today = timezone.localdate()
            # The work of the demo spans its last ~120 days: early in a year, the year before holds most of it.
            # The evaluation is of the year the demo's counties are assessed for (the last complete one).
            evaluated = set(Evaluation.objects.values_list("year", flat=True))
            years = tuple(sorted({2020, 2022, (today - dt.timedelta(days=100)).year, today.year, *evaluated}))
            for year in years:
                snapshots.compute(year, engine=snapshots.native_engine(), today=today)
            yield Province(today, years)
        finally:
            os.chdir(old)
            empty_database()


# --------------------------------------------------------------------------- the raw rows, read once


def beijing(when: dt.datetime) -> dt.datetime:
    return timezone.localtime(when, BEIJING)


def fen(amount: Decimal | None) -> int:
    return int((Decimal(amount or 0) * 100).to_integral_value(ROUND_HALF_EVEN))


def floor_div(a: int, b: int) -> int:
    """⌊a ÷ b⌋ for integers, towards minus infinity (Python's //, written out so the intent is plain)."""
    q = abs(a) // b
    return q if a >= 0 or abs(a) % b == 0 else -q - 1


@dataclass
class World:
    """One year's raw rows, by the keys the definitions need."""

    year: int
    today: dt.date
    parent: dict[str, str | None]
    level: dict[str, str]
    poor_village: dict[str, bool]
    households: dict[int, dict[str, Any]]
    size: dict[int, int]
    net: dict[tuple[int, int], int]  # (household, year) → net income in fen
    events: dict[int, list[tuple[int, dt.datetime, int, str]]]  # household → (year, recorded, id, status)
    pairs: list[dict[str, Any]]
    visits: list[dict[str, Any]]
    attendance: dict[tuple[int, str, int], set[dt.date]]  # (cadre, village, month of the year) → days
    memberships: list[dict[str, Any]]
    teams: dict[int, dict[str, Any]]
    serving: set[int]
    plans_ok: set[int]  # households with an approved plan of the year
    measures: list[dict[str, Any]]
    records: dict[str, dict[str, Any]]
    samples: list[tuple[int, str, str, list[dict[str, Any]]]] = field(default_factory=list)

    # ---- areas

    def ancestor(self, village: str, level: str) -> str:
        code: str | None = village
        while code is not None and self.level[code] != level:
            code = self.parent[code]
        assert code is not None, (village, level)
        return code

    def units(self, level: str) -> list[str]:
        return sorted(c for c, lv in self.level.items() if lv == level)

    # ---- households

    def status(self, hid: int, year: int) -> str | None:
        """The latest status event of a year ≤ `year` (latest year, then recorded, then id), else from the
        household's fields."""
        found = [e for e in self.events.get(hid, []) if e[0] <= year]
        if found:
            return max(found, key=lambda e: (e[0], e[1], e[2]))[3]
        h = self.households[hid]
        if h["exit_year"] is not None and h["exit_year"] <= year:
            return EXITED
        if h["identified_year"] is not None and h["identified_year"] <= year:
            return POOR
        return None

    def registered_poor(self, hid: int, year: int, statuses_year: int) -> bool:
        poor = {POOR, RETURNED} | ({MONITORED} if statuses_year >= 2021 else set())
        return self.status(hid, year) in poor

    def poor_end(self, hid: int) -> bool:
        return self.registered_poor(hid, self.year, self.year)

    def poor_start(self, hid: int) -> bool:
        return self.registered_poor(hid, self.year - 1, self.year)

    def per_capita(self, hid: int, year: int) -> int | None:
        net, n = self.net.get((hid, year)), self.size.get(hid, 0)
        return None if net is None or n == 0 else floor_div(net, n)

    def income(self, hid: int, year: int) -> int | None:
        """Per-capita fen of `year` for a household poor, returned or monitored at that year's end, else None."""
        if self.status(hid, year) not in (POOR, RETURNED, MONITORED):
            return None
        return self.per_capita(hid, year)

    # ---- the year

    def in_year(self, day: dt.date | None) -> bool:
        return day is not None and day.year == self.year

    def pair_in_year(self, p: dict[str, Any]) -> bool:
        return p["start"] <= dt.date(self.year, 12, 31) and (p["end"] is None or p["end"] >= dt.date(self.year, 1, 1))

    def active_at_end(self, p: dict[str, Any]) -> bool:
        last = dt.date(self.year, 12, 31)
        return p["start"] <= last and (p["end"] is None or p["end"] > last)

    def judged_months(self) -> list[int]:
        if self.today.year > self.year:
            return list(range(1, 13))
        if self.today.year < self.year:
            return []
        return list(range(1, self.today.month))


def read(year: int, today: dt.date) -> World:
    areas = list(Area.objects.values_list("code", "parent_id", "level", "poor_village"))
    households = {r["id"]: r for r in Household.objects.values(
        "id", "village_id", "identified_year", "exit_year", "housing_secured", "water_secured", "road")}
    size: dict[int, int] = defaultdict(int)
    for hid in Member.objects.values_list("household_id", flat=True):
        size[hid] += 1
    net = {}
    for r in IncomeRecord.objects.filter(year__in=[year, year - 1]).values():
        net[(r["household_id"], r["year"])] = (fen(r["wage_income"]) + fen(r["production_income"])
                                               - fen(r["production_costs"]) + fen(r["property_income"])
                                               + fen(r["transfer_income"]))
    events: dict[int, list[tuple[int, dt.datetime, int, str]]] = defaultdict(list)
    for hid, y, recorded, pk, status in StatusEvent.objects.values_list("household_id", "year", "recorded_at", "id",
                                                                        "status"):
        if y is not None:
            events[hid].append((y, recorded, pk, status))
    pairs = [{"household": h, "cadre": c, "start": s, "end": e}
             for h, c, s, e in HelperPair.objects.values_list("household_id", "cadre_id", "start_date", "end_date")]
    visits = [{"cadre": c, "household": h, "village": v, "at": beijing(at)}
              for c, h, v, at in Visit.objects.values_list("cadre_id", "household_id", "village_id", "visited_at")
              if beijing(at).year == year]
    attendance: dict[tuple[int, str, int], set[dt.date]] = defaultdict(set)
    for c, v, day in Attendance.objects.filter(date__year=year).values_list("cadre_id", "village_id", "date"):
        attendance[(c, v, day.month)].add(day)
    memberships = [{"cadre": c, "team": t, "start": s, "end": e} for c, t, s, e in
                   TeamMembership.objects.values_list("cadre_id", "team_id", "start_date", "end_date")]
    teams = {pk: {"village": v, "start": s, "end": e}
             for pk, v, s, e in WorkTeam.objects.values_list("id", "village_id", "start_date", "end_date")}
    serving = set(Cadre.objects.filter(status="serving").values_list("id", flat=True))
    plans_ok = set(HelpPlan.objects.filter(year=year, approved_at__isnull=False).values_list("household_id", flat=True))
    measures = [{"household": h, "status": s, "due": due, "done": done} for h, s, due, done in
                PlanMeasure.objects.values_list("plan__household_id", "status", "due_on", "done_on")]
    records = {r["village_id"]: r for r in VillageRecord.objects.filter(year=year).values()}
    w = World(year, today, {a[0]: a[1] for a in areas}, {a[0]: a[2] for a in areas},
              {a[0]: bool(a[3]) for a in areas}, households, dict(size), net, dict(events), pairs, visits,
              attendance, memberships, teams, serving, plans_ok, measures, records)
    for ev in Evaluation.objects.filter(year=year).select_related("area").order_by("-pk"):
        rows = list(SampledHousehold.objects.filter(evaluation=ev).values(
            "county", "group", "weight", "stratum", "cluster", "wrongly_exited", "missed_poor", "satisfied"))
        w.samples.append((ev.pk, ev.area.code, ev.area.level, rows))
    return w


# --------------------------------------------------------------------------- the plain counts per village


Counts = dict[str, float]


def ratio(n: float, d: float, scale: float = 1.0) -> float | None:
    return None if d == 0 else n / d * scale


def village_counts(w: World) -> dict[str, Counts]:
    """Per village, the numerators and denominators the definitions name, counted household by household."""
    out: dict[str, Counts] = {v: defaultdict(float) for v in w.units("village")}
    cutoff = dt.datetime(w.year + 1, 1, 1, tzinfo=BEIJING) - dt.timedelta(days=VISIT_DAYS)
    helper_at_end: dict[int, list[dict[str, Any]]] = defaultdict(list)
    paired: set[int] = set()
    for p in w.pairs:
        if w.active_at_end(p):
            helper_at_end[p["household"]].append(p)
        if w.pair_in_year(p):
            paired.add(p["household"])
    visited_late = {v["household"] for v in w.visits if v["at"] >= cutoff}
    for hid, h in w.households.items():
        c = out[h["village_id"]]
        c["members"] += w.size.get(hid, 0)
        c["paired"] += hid in paired
        needs = w.status(hid, w.year) in (POOR, RETURNED, MONITORED)
        first_pair = min((p["start"] for p in helper_at_end[hid]), default=None)
        due = first_pair is None or first_pair <= cutoff.date()
        c["unvisited"] += needs and due and hid not in visited_late
        start, end = w.status(hid, w.year - 1), w.status(hid, w.year)
        c["exited"] += end == EXITED and start in (POOR, RETURNED)
        c["returned"] += end == RETURNED and start != RETURNED
        c["poor_start"] += w.poor_start(hid)
        if w.poor_end(hid):
            c["poor_end"] += 1
            c["poor_members"] += w.size.get(hid, 0)
            c["housing"] += bool(h["housing_secured"])
            c["water"] += bool(h["water_secured"])
            c["road"] += h["road"] == "hardened"
            c["helper"] += bool(helper_at_end[hid])
            c["plan"] += hid in w.plans_ok
    full = full_team_villages(w)
    for v, c in out.items():
        record = w.records.get(v)
        c["population"] = record["population"] if record and record["population"] > 0 else c["members"]
        c["with_record"] = record is not None
        c["record_ok"] = bool(record and record["hardened_road"] and record["tap_water"] and record["clinic"])
        c["poor_village"] = w.poor_village[v]
        c["full_team"] = w.poor_village[v] and v in full
    for visit in w.visits:
        out[visit["village"]]["visits"] += 1
    for village in same_minute_alerts(w).values():
        out[village]["same_minute"] += 1
    for mm in member_months(w):
        out[mm["village"]]["mm"] += 1
        out[mm["village"]]["mm_met"] += mm["met"]
    for m in measures_due(w):
        out[w.households[m["household"]]["village_id"]]["due"] += 1
        out[w.households[m["household"]]["village_id"]]["on_time"] += m["on_time"]
    return out


def same_minute_alerts(w: World) -> dict[tuple[int, dt.datetime], str]:
    """(helper, clock minute) with visits at two or more households → the lowest village code among them."""
    found: dict[tuple[int, dt.datetime], list[dict[str, Any]]] = defaultdict(list)
    for v in w.visits:
        found[(v["cadre"], v["at"].replace(second=0, microsecond=0))].append(v)
    return {k: min(x["village"] for x in vs) for k, vs in found.items() if len({x["household"] for x in vs}) > 1}


def member_months(w: World) -> list[dict[str, Any]]:
    """Each membership's whole judged months of the year, and whether its member had 20 days in the team's
    village that month."""
    out = []
    for m in w.memberships:
        village = w.teams[m["team"]]["village"]
        for month in w.judged_months():
            first = dt.date(w.year, month, 1)
            last = dt.date(w.year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
            if m["start"] <= first and (m["end"] is None or m["end"] >= last):
                days = len(w.attendance.get((m["cadre"], village, month), ()))
                out.append({"team": m["team"], "cadre": m["cadre"], "village": village, "met": days >= MIN_DAYS})
    return out


def full_team_villages(w: World) -> set[str]:
    last = dt.date(w.year, 12, 31)

    def open_on(x: dict[str, Any]) -> bool:
        return x["start"] <= last and (x["end"] is None or x["end"] >= last)

    members: dict[str, set[int]] = defaultdict(set)
    for m in w.memberships:
        team = w.teams[m["team"]]
        if open_on(m) and open_on(team) and m["cadre"] in w.serving:
            members[team["village"]].add(m["cadre"])
    return {v for v, who in members.items() if len(who) >= MIN_TEAM}


def measures_due(w: World) -> list[dict[str, Any]]:
    return [{"household": m["household"], "on_time": m["status"] == "done" and m["done"] is not None
             and m["done"] <= m["due"]} for m in w.measures if w.in_year(m["due"]) and m["status"] != "cancelled"]


# --------------------------------------------------------------------------- the published definitions


def median(values: list[int]) -> float | None:
    s = sorted(values)
    n = len(s)
    if not n:
        return None
    return s[n // 2] / 100 if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2 / 100


def mean(values: list[int]) -> float | None:
    return sum(values) / len(values) / 100 if values else None


def growth(now: float | None, before: float | None) -> float | None:
    return None if now is None or before is None or before == 0 else now / before - 1


def area_values(w: World, level: str) -> dict[str, dict[str, float | None]]:
    """Every area indicator's value for the areas of `level`: the households of its villages, counted afresh."""
    per_village = village_counts(w)
    of_unit = {v: w.ancestor(v, level) for v in w.units("village")}
    households: dict[str, list[int]] = defaultdict(list)
    for hid, h in w.households.items():
        households[of_unit[h["village_id"]]].append(hid)
    out = {}
    for unit in w.units(level):
        c: Counts = defaultdict(float)
        for v in (v for v, u in of_unit.items() if u == unit):
            for k, x in per_village[v].items():
                c[k] += x
        hids = households[unit]
        now = [x for hid in hids if (x := w.income(hid, w.year)) is not None]
        before = [x for hid in hids if (x := w.income(hid, w.year - 1)) is not None]
        alerts = c["unvisited"] + c["same_minute"] + c["mm"] - c["mm_met"]
        out[unit] = {
            "poor_households_start": c["poor_start"], "poor_households_end": c["poor_end"],
            "poverty_incidence": ratio(c["poor_members"], c["population"]),
            "poor_reduction_rate": ratio(c["poor_start"] - c["poor_end"], c["poor_start"]),
            "exited_households": c["exited"], "returned_households": c["returned"],
            "income_mean": mean(now), "income_median": median(now), "income_growth": growth(mean(now), mean(before)),
            "safe_housing_share": ratio(c["housing"], c["poor_end"]), "safe_water_share": ratio(c["water"], c["poor_end"]),
            "road_share": ratio(c["road"], c["poor_end"]),
            "village_infrastructure": ratio(c["record_ok"], c["with_record"]),
            "helper_coverage": ratio(c["helper"], c["poor_end"]),
            "team_coverage": ratio(c["full_team"], c["poor_village"]),
            "visits_per_household": ratio(c["visits"], c["paired"]),
            "residence_days_met": ratio(c["mm_met"], c["mm"]),
            "alerts_per_100": ratio(alerts, c["poor_end"], 100.0),
            "plans_approved_share": ratio(c["plan"], c["poor_end"]),
            "measures_on_time": ratio(c["on_time"], c["due"]),
            "funds_disbursed_share": None,  # no fund module: no data
            **evaluated(w, unit, level),
        }
    return out


def team_values(w: World) -> dict[str, dict[str, float | None]]:
    """Work teams serving at some time in the year: their village's values, and their own member-months."""
    villages = area_values(w, "village")
    mm = member_months(w)
    out = {}
    for pk, t in w.teams.items():
        if not (t["start"] <= dt.date(w.year, 12, 31) and (t["end"] is None or t["end"] >= dt.date(w.year, 1, 1))):
            continue
        own = [m for m in mm if m["team"] == pk]
        out[str(pk)] = {**villages[t["village"]], "residence_days_met": ratio(sum(m["met"] for m in own), len(own))}
    return out


def cadre_values(w: World) -> dict[str, dict[str, float | None]]:
    """Cadres with a pair in the year: their own visits, households paired in the year, alerts and measures."""
    paired: dict[int, set[int]] = defaultdict(set)
    for p in w.pairs:
        if w.pair_in_year(p):
            paired[p["cadre"]].add(p["household"])
    helper_at_end = {p["household"]: p["cadre"] for p in w.pairs if w.active_at_end(p)}
    cutoff = dt.datetime(w.year + 1, 1, 1, tzinfo=BEIJING) - dt.timedelta(days=VISIT_DAYS)
    visited_late = {v["household"] for v in w.visits if v["at"] >= cutoff}
    first_pair: dict[int, dt.date] = {}
    for p in w.pairs:
        if w.active_at_end(p):
            first_pair[p["household"]] = min(p["start"], first_pair.get(p["household"], p["start"]))
    same = same_minute_alerts(w)
    below = [m for m in member_months(w) if not m["met"]]
    due = measures_due(w)
    out = {}
    for cadre, hids in paired.items():
        unvisited = sum(1 for hid in hids if helper_at_end.get(hid) == cadre
                        and w.status(hid, w.year) in (POOR, RETURNED, MONITORED)
                        and first_pair[hid] <= cutoff.date() and hid not in visited_late)
        alerts = unvisited + sum(1 for c, _m in same if c == cadre) + sum(1 for m in below if m["cadre"] == cadre)
        now = [x for hid in hids if (x := w.per_capita(hid, w.year)) is not None]
        before = [x for hid in hids if (x := w.per_capita(hid, w.year - 1)) is not None]
        mine = [m for m in due if m["household"] in hids]
        out[str(cadre)] = {
            "income_growth": growth(mean(now), mean(before)),
            "visits_per_household": sum(1 for v in w.visits if v["cadre"] == cadre) / len(hids),
            "alerts_per_100": alerts * 100 / len(hids),
            "plans_approved_share": sum(1 for hid in hids if hid in w.plans_ok) / len(hids),
            "measures_on_time": ratio(sum(m["on_time"] for m in mine), len(mine)),
        }
    return out


# --------------------------------------------------------------------------- the evaluation's three rates


RATES = (("exit_error_rate", "wrongly_exited", "exited"), ("missed_rate", "missed_poor", "other"),
         ("satisfaction", "satisfied", None))


def evaluated(w: World, unit: str, level: str) -> dict[str, float | None]:
    """Counties and above: the weighted share Σw·y ÷ Σw over the domain's sampled households in the unit, of the
    newest evaluation of the year that sampled the county (a city or province: whose area holds the unit), once
    every sampled household's findings there are recorded; None where the design gives no estimate (a stratum
    with one cluster after a lonely stratum joins its county's other one). Villages and townships: None."""
    none: dict[str, float | None] = {code: None for code, _f, _g in RATES}
    if level in ("village", "township"):
        return none
    for _pk, area, area_level, rows in w.samples:  # newest first
        mine = [r for r in rows if w.ancestor(r["county"], level) == unit]
        chosen = bool(mine) if level == "county" else holds(w, area, area_level, unit)
        if chosen:
            return rates_of(mine) if mine else none
    return none


def holds(w: World, area: str, area_level: str, unit: str) -> bool:
    code: str | None = unit
    while code is not None:
        if code == area:
            return True
        code = w.parent[code]
    return False


def rates_of(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    complete = all(r[name] is not None for r in rows for _c, name, group in RATES if group in (None, r["group"]))
    out: dict[str, float | None] = {}
    for code, name, group in RATES:
        done = [r for r in rows if group in (None, r["group"]) and r[name] is not None]
        if not complete or not done or not estimable(done):
            out[code] = None
        else:
            out[code] = sum(r["weight"] * bool(r[name]) for r in done) / sum(r["weight"] for r in done)
    return out


def estimable(rows: list[dict[str, Any]]) -> bool:
    clusters: dict[int, set[int]] = defaultdict(set)
    for r in rows:
        clusters[r["stratum"]].add(r["cluster"])
    merged: dict[int, set[int]] = defaultdict(set)
    for stratum, found in clusters.items():
        other = stratum - stratum % 10 + (1 - stratum % 10)  # a county's drawn and certainty strata
        merged[other if len(found) == 1 else stratum] |= {(stratum, c) for c in found}
    return all(len(found) >= 2 for found in merged.values())


# --------------------------------------------------------------------------- the test


def independent(w: World, unit_type: str) -> dict[str, dict[str, float | None]]:
    if unit_type in LEVELS:
        return area_values(w, unit_type)
    return team_values(w) if unit_type == "work_team" else cadre_values(w)


def same(app: float | None, plain: float | None) -> bool:
    if app is None or plain is None:
        return app is None and plain is None
    return math.isclose(app, float(plain), rel_tol=1e-9, abs_tol=1e-9)


def test_every_indicator_equals_an_independent_count(province):
    assert SupervisionConfig.from_env().min_residence_days == MIN_DAYS
    assert SupervisionConfig.from_env().min_team_members == MIN_TEAM
    assert SupervisionConfig.from_env().visit_days == VISIT_DAYS
    seen: dict[str, set[str]] = defaultdict(set)  # indicator → kinds of value met (for the coverage check)
    for year in province.years:
        w = read(year, province.today)
        for unit_type in UNIT_TYPES:
            app = snapshots.as_table(snapshots.values(unit_type, year))
            plain = independent(w, unit_type)
            assert set(app) == set(plain), (year, unit_type)
            for indicator in (i for i in CATALOGUE if unit_type in i.units):
                for unit in plain:
                    assert indicator.code in plain[unit], f"no independent count of {indicator.code} ({unit_type})"
                    got, want = app[unit].get(indicator.code), plain[unit][indicator.code]
                    assert same(got, want), (year, unit_type, unit, indicator.code, got, want)
                    seen[indicator.code].add("none" if want is None else "zero" if want == 0 else "value")
    # The province exercises the definitions: every computed indicator has a real value somewhere, non-zero but
    # for the evaluation's estimates (the simulated truth may have no missed household); only the fund share,
    # whose module does not exist, has none.
    estimates = {i.code for i in CATALOGUE if i.evaluation_rate}
    assert {code for code, kinds in seen.items() if not kinds & ({"value", "zero"} if code in estimates
                                                               else {"value"})} == {"funds_disbursed_share"}
