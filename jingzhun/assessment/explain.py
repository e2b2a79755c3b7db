"""The records behind an indicator's value (考核指标溯源): which households, visits, member-months, measures or
villages were counted in its numerator and its denominator — "click a visits indicator → the visits".

`explain(unit_type, unit, indicator, year, user=…)` runs the indicators' own expressions (exprs.py) for the one
unit on the database in place, so the records are exactly those the value was made of (at the latest data;
a frozen version's records are the data of its day). A unit outside the user's areas is "not found", the same
answer as a unit that does not exist; the households listed are limited to the user's areas in SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.assessment import compute as cm
from jingzhun.assessment import exprs
from jingzhun.assessment.catalogue import AREA_LEVELS, indicator
from jingzhun.assessment.snapshots import AssessmentError, native_engine
from jingzhun.identification import engines

EVALUATED_NOTE = ("由第三方评估的抽样户加权估计，抽样户及其结论见评估页面 / estimated from the third-party "
                  "evaluation's sampled households: see them and their findings on the evaluation's pages.")


class NotFound(AssessmentError):
    """No such unit, or one outside the user's areas (the same answer for both)."""


@dataclass(frozen=True)
class Records:
    """Records of one kind: household numbers, visit ids, village codes, "membership id:month", measure ids, or
    same-minute alerts as "cadre id@epoch minute"."""

    kind: str
    ids: list[str]


@dataclass(frozen=True)
class Explanation:
    unit_type: str
    unit: str
    indicator: str
    year: int
    numerator: list[Records] = field(default_factory=list)
    denominator: list[Records] = field(default_factory=list)
    note: str = ""  # why there are no records (an indicator without data yet)


@dataclass
class _Unit:
    area_code: str  # where the unit lies (scoping)
    span: tuple[str, str] | None  # the villages whose households and visits count (areas and work teams)
    team: int | None = None
    cadre: int | None = None

    @property
    def villages(self) -> tuple[str, str]:
        assert self.span is not None, "a cadre has no villages of its own"
        return self.span


def _unit(unit_type: str, unit: str, user: object | None) -> _Unit:
    from jingzhun.teams.models import Cadre, WorkTeam

    missing = NotFound(f"考核对象 {unit_type} {unit} 不存在或不在您的权限范围内 / no {unit_type} {unit} within your areas")
    found: _Unit | None = None
    if unit_type in AREA_LEVELS:
        area = Area.objects.filter(code=unit, level=unit_type).first()
        found = None if area is None else _Unit(area.code, area.code_range)
    elif unit_type == "work_team" and unit.isdigit():
        team = WorkTeam.objects.filter(pk=int(unit)).select_related("village").first()
        found = None if team is None else _Unit(team.village_id, team.village.code_range, team=team.pk)
    elif unit_type == "cadre" and unit.isdigit():
        cadre = Cadre.objects.filter(pk=int(unit)).first()
        found = None if cadre is None else _Unit(cadre.home_area_id, None, cadre=cadre.pk)
    if found is None or (user is not None and not access.can_see_area(user, found.area_code, ability="assess")):
        raise missing
    return found


def _within(t: ir.Table, column: str, spans: list[tuple[str, str]] | None) -> ir.Table:
    """`t` limited to the user's areas (None: unrestricted), as a predicate in the query."""
    if spans is None:
        return t
    if not spans:
        return t.filter(ibis.literal(False))
    keep = t[column].between(*spans[0])
    for low, high in spans[1:]:
        keep = keep | t[column].between(low, high)
    return t.filter(keep)


def _mask(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(pc.fill_null(table.column(name), False).to_numpy(zero_copy_only=False), dtype=bool)


def _ids(table: pa.Table, column: str, keep: np.ndarray | None = None) -> list[str]:
    values = table.column(column).to_pylist()
    return [str(v) for v, k in zip(values, keep if keep is not None else [True] * len(values), strict=True) if k]


# Household indicators: (numerator, denominator) as masks over the household facts; "all" = every household.
Mask = Callable[[pa.Table], np.ndarray]
_HOUSEHOLD: dict[str, tuple[Mask, Mask | None]] = {
    "poor_households_start": (lambda f: _mask(f, "poor_start"), None),
    "poor_households_end": (lambda f: _mask(f, "poor_end"), None),
    "poverty_incidence": (lambda f: _mask(f, "poor_end"), lambda f: np.ones(f.num_rows, bool)),
    "exited_households": (lambda f: _mask(f, "exited"), None),
    "returned_households": (lambda f: _mask(f, "returned"), None),
    "income_mean": (lambda f: _mask(f, "inc_ok"), lambda f: _mask(f, "inc_ok")),  # whose incomes, how many
    "income_median": (lambda f: _mask(f, "inc_ok"), lambda f: _mask(f, "inc_ok")),
    "income_growth": (lambda f: _mask(f, "inc_ok"), lambda f: _mask(f, "prev_ok")),
    "safe_housing_share": (lambda f: _mask(f, "poor_end") & _mask(f, "housing"), lambda f: _mask(f, "poor_end")),
    "safe_water_share": (lambda f: _mask(f, "poor_end") & _mask(f, "water"), lambda f: _mask(f, "poor_end")),
    "road_share": (lambda f: _mask(f, "poor_end") & _mask(f, "road_ok"), lambda f: _mask(f, "poor_end")),
    "helper_coverage": (lambda f: _mask(f, "poor_end") & _mask(f, "helper"), lambda f: _mask(f, "poor_end")),
    "plans_approved_share": (lambda f: _mask(f, "poor_end") & _mask(f, "plan_ok"), lambda f: _mask(f, "poor_end")),
}
# A cadre's households are their pairs of the year: the income and plan indicators count all of them.
_CADRE: dict[str, tuple[Mask, Mask | None]] = {
    "income_growth": (lambda f: pc.is_valid(f.column("pc")).to_numpy(zero_copy_only=False).astype(bool),
                      lambda f: pc.is_valid(f.column("pc_prev")).to_numpy(zero_copy_only=False).astype(bool)),
    "plans_approved_share": (lambda f: _mask(f, "plan_ok"), lambda f: np.ones(f.num_rows, bool)),
}


def explain(unit_type: str, unit: str, code: str, year: int, *, user: object | None = None,
            today: dt.date | None = None) -> Explanation:
    """The records counted in the indicator's numerator and denominator for the unit and year (None user: the
    system, unrestricted)."""
    ind = indicator(code)
    if unit_type not in ind.units:
        raise AssessmentError(f"指标 {code} 不适用于 {unit_type} / indicator {code} has no value for a {unit_type}")
    u = _unit(unit_type, str(unit), user)
    out = Explanation(unit_type, str(unit), code, int(year))
    if ind.evaluation_rate:
        # An estimate, not a count: its records are the evaluation's sampled households, on its own pages
        # (scoped by their own ability).
        return Explanation(unit_type, str(unit), code, int(year), note=EVALUATED_NOTE + " " + ind.no_data_reason)
    if not ind.available:
        return Explanation(unit_type, str(unit), code, int(year), note=ind.no_data_reason)
    spans = None if user is None else access.ranges(user, ability="assess")
    p = cm.period_of(int(year), today)
    need = {k: set(v) | ({"number"} if k == "household" else set()) for k, v in exprs.NEEDS.items()}
    with engines.open_session(native_engine(), need) as session:
        _records(session, session.raw, u, unit_type, code, p, spans, out)
    return out


def _households(session: engines.Session, t: dict[str, ir.Table], u: _Unit, p: exprs.Period,
                spans: list[tuple[str, str]] | None) -> pa.Table:
    hh = t["household"]
    if u.cadre is not None:
        pairs = exprs.pairs_in_year(t, p)
        mine = session.to_arrow(pairs.filter(pairs["cadre"] == u.cadre))
        hh = hh.filter(hh["id"].isin(mine.column("household").to_pylist() or [-1]))
    else:
        assert u.span is not None
        hh = hh.filter(hh["village_id"].between(*u.span))
    hh = _within(hh, "village_id", spans)
    ids = session.to_arrow(hh.select("id")).column("id").to_pylist()
    facts = exprs.with_flags(exprs.household_facts(t, hh, p, ids=ids))
    numbers = hh.select(n_id=hh["id"], number=hh["number"])
    return session.to_arrow(facts.join(numbers, facts["hid"] == numbers["n_id"]).order_by("number"))


def _records(session: engines.Session, t: dict[str, ir.Table], u: _Unit, unit_type: str, code: str,
             p: exprs.Period, spans: list[tuple[str, str]] | None, out: Explanation) -> None:
    masks = (_CADRE.get(code) if u.cadre is not None else None) or _HOUSEHOLD.get(code)
    if masks is not None:
        f = _households(session, t, u, p, spans)
        num, den = masks
        out.numerator.append(Records("household", _ids(f, "number", num(f))))
        if den is not None:
            out.denominator.append(Records("household", _ids(f, "number", den(f))))
        return
    handler = _OTHER[code]
    handler(session, t, u, p, spans, out)


def _reduction(session: engines.Session, t: dict[str, ir.Table], u: _Unit, p: exprs.Period,
               spans: list[tuple[str, str]] | None, out: Explanation) -> None:
    """The numerator is a net change (start − end): the households that left, less those that came in."""
    f = _households(session, t, u, p, spans)
    start, end = _mask(f, "poor_start"), _mask(f, "poor_end")
    out.numerator.extend([Records("household", _ids(f, "number", start & ~end)),
                          Records("household_entered", _ids(f, "number", end & ~start))])
    out.denominator.append(Records("household", _ids(f, "number", start)))


def _visits(session: engines.Session, t: dict[str, ir.Table], u: _Unit, p: exprs.Period,
            spans: list[tuple[str, str]] | None, out: Explanation) -> None:
    v = _within(exprs.visits_in_year(t, p), "village_id", spans)
    v = v.filter(v["cadre_id"] == u.cadre) if u.cadre is not None else v.filter(v["village_id"].between(*u.villages))
    out.numerator.append(Records("visit", _ids(session.to_arrow(v.select("id").order_by("id")), "id")))
    f = _households(session, t, u, p, spans)
    out.denominator.append(Records("household", _ids(f, "number", None if u.cadre is not None else _mask(f, "paired"))))


def _member_months(session: engines.Session, t: dict[str, ir.Table], u: _Unit, p: exprs.Period) -> pa.Table:
    mm = exprs.member_months(t, p)
    if u.team is not None:
        mm = mm.filter(mm["team"] == u.team)
    elif u.cadre is not None:
        mm = mm.filter(mm["cadre"] == u.cadre)
    else:
        mm = mm.filter(mm["village"].between(*u.villages))
    rows = session.to_arrow(mm.order_by(["mid", "month"]))
    key = [f"{m}:{n}" for m, n in zip(rows.column("mid").to_pylist(), rows.column("month").to_pylist(), strict=True)]
    return rows.append_column("key", pa.array(key, pa.string()))


def _residence(session: engines.Session, t: dict[str, ir.Table], u: _Unit, p: exprs.Period,
               spans: list[tuple[str, str]] | None, out: Explanation) -> None:
    rows = _member_months(session, t, u, p)
    out.numerator.append(Records("member_month", _ids(rows, "key", _mask(rows, "met"))))
    out.denominator.append(Records("member_month", _ids(rows, "key")))


def _alerts(session: engines.Session, t: dict[str, ir.Table], u: _Unit, p: exprs.Period,
            spans: list[tuple[str, str]] | None, out: Explanation) -> None:
    f = _households(session, t, u, p, spans)
    unvisited = _mask(f, "unvisited")
    if u.cadre is not None:
        own = pc.fill_null(pc.equal(f.column("end_cadre"), u.cadre), False).to_numpy(zero_copy_only=False)
        unvisited &= np.asarray(own, bool)
    visits = exprs.visits_in_year(t, p)
    if u.cadre is not None:
        sm = exprs.same_minute(visits.filter(visits["cadre_id"] == u.cadre))
    else:
        sm = exprs.same_minute(visits)
        sm = sm.filter(sm["village"].between(*u.villages))
    sm_rows = session.to_arrow(sm.order_by(["cadre", "minute"]))
    minutes = [f"{c}@{m}" for c, m in zip(sm_rows.column("cadre").to_pylist(), sm_rows.column("minute").to_pylist(),
                                          strict=True)]
    # A work team's alerts are its village's (as its value: compute.py gives a team its village's parts).
    rows = _member_months(session, t, _Unit(u.area_code, u.span) if u.team is not None else u, p)
    out.numerator.extend([Records("household", _ids(f, "number", unvisited)), Records("same_minute", minutes),
                          Records("member_month", _ids(rows, "key", ~_mask(rows, "met")))])
    out.denominator.append(Records("household", _ids(f, "number", None if u.cadre is not None
                                                     else _mask(f, "poor_end"))))


def _measures(session: engines.Session, t: dict[str, ir.Table], u: _Unit, p: exprs.Period,
              spans: list[tuple[str, str]] | None, out: Explanation) -> None:
    f = _households(session, t, u, p, spans)
    hh = t["household"]
    hh = hh.filter(hh["id"].isin(f.column("hid").to_pylist() or [-1]))
    rows = session.to_arrow(exprs.measures_due(t, hh, p).order_by("measure"))
    out.numerator.append(Records("measure", _ids(rows, "measure", _mask(rows, "on_time"))))
    out.denominator.append(Records("measure", _ids(rows, "measure")))


def _villages(session: engines.Session, t: dict[str, ir.Table], u: _Unit, p: exprs.Period,
              spans: list[tuple[str, str]] | None, out: Explanation, *, code: str) -> None:
    assert u.span is not None
    area = t["area"]
    villages = area.filter((area["level"] == "village") & area["code"].between(*u.span))
    if code == "village_infrastructure":
        r = exprs.village_records(t, p)
        rows = session.to_arrow(r.semi_join(villages, r["village"] == villages["code"]).order_by("village"))
        out.numerator.append(Records("village", _ids(rows, "village", _mask(rows, "ok"))))
        out.denominator.append(Records("village", _ids(rows, "village")))
        return
    poor = session.to_arrow(villages.filter(villages["poor_village"]).select("code").order_by("code"))
    full = set(session.to_arrow(exprs.full_teams(t, p)).column("village").to_pylist())
    codes = poor.column("code").to_pylist()
    out.numerator.append(Records("village", [c for c in codes if c in full]))
    out.denominator.append(Records("village", codes))


_OTHER: dict[str, Any] = {
    "poor_reduction_rate": _reduction, "visits_per_household": _visits, "residence_days_met": _residence, "alerts_per_100": _alerts,
    "measures_on_time": _measures,
    "village_infrastructure": lambda *a: _villages(*a, code="village_infrastructure"),
    "team_coverage": lambda *a: _villages(*a, code="team_coverage"),
}
