"""Assessment indicators on a hand-built register with hand-counted answers, on every engine; versioned
snapshots; a one-village refresh; frozen sign-off; sign-off and reading limited to the officer's areas."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Count

from jingzhun.areas.models import AreaRole, VillageRecord
from jingzhun.assessment import signoff, snapshots
from jingzhun.assessment.catalogue import BY_CODE, CATALOGUE
from jingzhun.assessment.models import Signoff, Snapshot
from jingzhun.audit.models import AuditEntry
from jingzhun.plans.models import HelpPlan, PlanMeasure
from jingzhun.registry.models import Household, IncomeRecord, Member, StatusEvent
from jingzhun.teams.models import Attendance, Cadre, HelperPair, TeamMembership, Visit, WorkTeam
from tests.factories import CITY, COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2

TODAY = dt.date(2021, 6, 1)  # every month of 2020 is over: all judged
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
_ids = [0]


def native() -> str:
    from django.db import connection

    return "sqlite" if connection.vendor == "sqlite" else "postgres"


def household(number: str, village: str, status: str, size: int, *, identified: int | None = 2014,
              exit_year: int | None = None, housing: bool = True, water: bool = True, road: str = "hardened",
              events: tuple[tuple[int, str], ...] = (), incomes: dict[int, Decimal] | None = None) -> Household:
    h = Household.objects.create(
        number=number, village_id=village, category="general", status=status, identified_year=identified,
        exit_year=exit_year, housing_grade="B", drinking_water="safe", has_electricity=True,
        has_production_power=False, road=road, sanitary_toilet=False, primary_cause="illness", food_secure=True,
        clothing_secure=True, schooling_secured=True, medical_secured=True, housing_secured=housing,
        water_secured=water)
    for pos in range(1, size + 1):
        _ids[0] += 1
        Member.objects.create(household=h, position=pos, name=f"{number}-{pos}", resident_id_cipher=b"x",
                              resident_id_index=_ids[0].to_bytes(16, "big"), relation="head" if pos == 1 else "son",
                              sex="male", birth_date=dt.date(1970, 1, 1), ethnicity="汉族", education="primary",
                              schooling="none", health_cipher=b"x", labour="ordinary", medical_insurance=True,
                              pension_insurance=True)
    for i, (year, st) in enumerate(events):
        StatusEvent.objects.create(household=h, status=st, year=year,
                                   recorded_at=dt.datetime(2021, 1, 1, 0, i, tzinfo=dt.UTC))
    for year, net in (incomes or {}).items():
        # net = wages − costs: a negative net is possible (costs above income)
        IncomeRecord.objects.create(household=h, year=year, wage_income=max(net, Decimal(0)),
                                    production_costs=max(-net, Decimal(0)))
    return h


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=ZONE)  # type: ignore[misc]


def cadre(name: str, home: str = TOWNSHIP) -> Cadre:
    return Cadre.objects.create(name=name, unit="县农业局", unit_kind="county", rank="staff", home_area_id=home)


def visit(c: Cadre, h: Household, at: dt.datetime) -> Visit:
    v = Visit(cadre=c, household=h, visited_at=at, recorded_at=at, entered_by="t")
    v.save()
    return v


@pytest.fixture
def register(areas):
    """The hand-built register (2020); the answers in the tests are counted by hand from it."""
    officer = User.objects.create(username="drafter")
    h1 = household("H1", VILLAGE, "poor", 3, events=((2014, "poor"),),
                   incomes={2019: Decimal("9000"), 2020: Decimal("9400")})  # 300000 → 313333 fen per head
    household("H2", VILLAGE, "exited", 2, exit_year=2020, events=((2014, "poor"), (2020, "exited")),
              incomes={2020: Decimal("10000")})
    h3 = household("H3", VILLAGE, "returned", 1, housing=False, road="gravel",
                   events=((2016, "poor"), (2018, "exited"), (2020, "returned")),
                   incomes={2019: Decimal("4000"), 2020: Decimal("5000")})
    h4 = household("H4", VILLAGE2, "poor", 4, identified=2019, water=False,
                   incomes={2020: Decimal("-10.01")})  # −1001 fen ÷ 4 → −251 (rounded down)
    household("H5", OTHER_VILLAGE, "monitored", 2, events=((2019, "monitored"),), incomes={2020: Decimal("8000")})
    VillageRecord.objects.create(village_id=VILLAGE, year=2020, population=100, hardened_road=True, tap_water=True,
                                 clinic=True)
    VillageRecord.objects.create(village_id=VILLAGE2, year=2020, population=0, hardened_road=True)
    c1, c2, c3, c4 = cadre("甲"), cadre("乙"), cadre("丙"), cadre("丁")
    HelperPair.objects.create(household=h1, cadre=c1, start_date=dt.date(2019, 1, 1))
    HelperPair.objects.create(household=h3, cadre=c1, start_date=dt.date(2020, 12, 15))  # within the last 30 days
    HelperPair.objects.create(household=h4, cadre=c2, start_date=dt.date(2019, 1, 1), end_date=dt.date(2020, 6, 30))
    visit(c1, h1, local(2020, 3, 1, 10, 0, 5))
    visit(c1, h3, local(2020, 3, 1, 10, 0, 40))  # the same minute, another household: one alert
    visit(c2, h4, local(2020, 5, 1, 9))
    visit(c1, h1, local(2020, 12, 31, 23, 30))  # still 2020 in Beijing (15:30 UTC)
    visit(c1, h1, local(2021, 1, 1, 0, 10))  # 2021 in Beijing, though 2020 in UTC
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=dt.date(2019, 1, 1))
    for c, role in ((c1, "first_secretary"), (c3, "team_leader"), (c4, "member")):
        TeamMembership.objects.create(cadre=c, team=team, role=role, start_date=dt.date(2019, 1, 1))
    for day in range(1, 21):
        Attendance.objects.create(cadre=c1, village_id=VILLAGE, date=dt.date(2020, 1, day), method="app",
                                  recorded_at=local(2020, 1, day), entered_by="t")
    for day in range(1, 20):
        Attendance.objects.create(cadre=c1, village_id=VILLAGE, date=dt.date(2020, 2, day), method="app",
                                  recorded_at=local(2020, 2, day), entered_by="t")
    now = local(2020, 2, 1)
    p1 = HelpPlan.objects.create(household=h1, year=2020, goal="g", drafted_by=officer, approved_by=officer,
                                 approved_at=now)
    p3 = HelpPlan.objects.create(household=h3, year=2020, goal="g", drafted_by=officer)
    HelpPlan.objects.create(household=h4, year=2019, goal="g", drafted_by=officer, approved_by=officer, approved_at=now)
    for due, status, done in ((dt.date(2020, 6, 30), "done", dt.date(2020, 6, 30)),  # on its due day: on time
                              (dt.date(2020, 9, 30), "done", dt.date(2020, 10, 1)),  # a day late
                              (dt.date(2020, 12, 31), "cancelled", None),  # not counted
                              (dt.date(2021, 1, 15), "planned", None)):  # due next year
        PlanMeasure.objects.create(plan=p1, category="production", description="m", due_on=due, status=status,
                                   done_on=done)
    PlanMeasure.objects.create(plan=p3, category="health", description="m", due_on=dt.date(2020, 5, 1))
    return {"c1": c1, "c2": c2, "team": team}


def table(unit_type: str, version: int | None = None) -> dict[str, dict[str, float | None]]:
    return snapshots.as_table(snapshots.values(unit_type, 2020, version=version))


def approx(x: float) -> object:
    return pytest.approx(x, rel=1e-12, abs=1e-12)


HAND = {  # unit → indicator → the hand-counted value
    VILLAGE: {"poor_households_start": 2, "poor_households_end": 2, "exited_households": 1, "returned_households": 1,
              "poor_reduction_rate": 0.0, "poverty_incidence": 4 / 100, "income_mean": (313333 + 500000) / 2 / 100,
              "income_median": (313333 + 500000) / 2 / 100, "income_growth": 406666.5 / 300000 - 1,
              "safe_housing_share": 1 / 2, "safe_water_share": 1.0, "road_share": 1 / 2, "village_infrastructure": 1.0,
              "helper_coverage": 1.0, "team_coverage": 1.0, "visits_per_household": 3 / 2,
              "residence_days_met": 1 / 36, "alerts_per_100": (1 + 35) * 100 / 2, "plans_approved_share": 1 / 2,
              "measures_on_time": 1 / 3},
    VILLAGE2: {"poor_households_start": 1, "poor_households_end": 1, "exited_households": 0, "poverty_incidence": 1.0,
               "income_mean": -2.51, "income_median": -2.51, "income_growth": None, "safe_water_share": 0.0,
               "village_infrastructure": 0.0, "helper_coverage": 0.0, "team_coverage": 0.0,
               "visits_per_household": 1.0, "residence_days_met": None, "alerts_per_100": 100.0,
               "plans_approved_share": 0.0, "measures_on_time": None},
    TOWNSHIP: {"poor_households_start": 3, "poor_households_end": 3, "poor_reduction_rate": 0.0,
               "poverty_incidence": 8 / 104, "income_mean": (313333 + 500000 - 251) / 3 / 100,
               "income_median": 3133.33, "village_infrastructure": 1 / 2, "helper_coverage": 2 / 3,
               "team_coverage": 1 / 2, "visits_per_household": 4 / 3, "alerts_per_100": 37 * 100 / 3,
               "plans_approved_share": 1 / 3, "measures_on_time": 1 / 3},
    OTHER_VILLAGE: {"poor_households_end": 0, "poverty_incidence": 0.0, "income_mean": 4000.0,
                    "village_infrastructure": None, "team_coverage": 0.0, "alerts_per_100": None},
    CITY: {"poor_households_end": 3, "income_median": (313333 + 400000) / 2 / 100, "team_coverage": 1 / 3,
           "poverty_incidence": 8 / 106},
}


def check_hand(version: int | None = None) -> None:
    for level in ("village", "township", "city"):
        got = table(level, version)
        for unit, expected in HAND.items():
            if unit not in got:
                continue
            for code, value in expected.items():
                assert got[unit][code] == (None if value is None else approx(value)), (unit, code)
    cadres = table("cadre", version)
    assert set(cadres) == {str(c.pk) for c in Cadre.objects.filter(name__in=["甲", "乙"])}
    c1 = cadres[str(Cadre.objects.get(name="甲").pk)]
    assert c1["visits_per_household"] == 1.5 and c1["alerts_per_100"] == approx((1 + 11) * 100 / 2)
    assert c1["plans_approved_share"] == 0.5 and c1["measures_on_time"] == approx(1 / 3)
    assert c1["income_growth"] == approx(406666.5 / 350000 - 1)
    c2 = cadres[str(Cadre.objects.get(name="乙").pk)]
    assert c2["visits_per_household"] == 1.0 and c2["alerts_per_100"] == 0.0
    teams = table("work_team", version)
    (team,) = teams.values()
    assert team["residence_days_met"] == approx(1 / 36) and team["helper_coverage"] == 1.0
    assert team["visits_per_household"] == 1.5


@pytest.mark.parametrize("engine", ["duckdb", "native"])
def test_every_indicator_equals_the_hand_count(register, engine):
    snap = snapshots.compute(2020, engine=native() if engine == "native" else engine, today=TODAY)
    assert snap.version == 1 and snap.data_fingerprint
    check_hand()
    # The declared indicators have no data: None, never 0.
    county = table("county")[COUNTY]
    for code in ("exit_error_rate", "missed_rate", "satisfaction", "funds_disbursed_share"):
        assert county[code] is None  # no evaluation drawn, no fund module (tests/test_assessment_evaluated.py)
    assert not BY_CODE["funds_disbursed_share"].available
    assert {i.code for i in CATALOGUE} <= set(county) | {"nothing"}
    assert AuditEntry.objects.filter(action="assessment.full", object_id=str(snap.pk)).exists()


def test_engines_agree_value_for_value(register):
    a = snapshots.compute(2020, engine="duckdb", today=TODAY)
    b = snapshots.compute(2020, engine=native(), today=TODAY)
    for unit_type in ("village", "township", "county", "city", "province", "work_team", "cadre"):
        assert table(unit_type, a.version) == table(unit_type, b.version)


def test_a_refresh_changes_one_village_and_its_ancestors_and_keeps_the_old_version(register):
    first = snapshots.compute(2020, today=TODAY)
    h4 = Household.objects.get(number="H4")
    StatusEvent.objects.create(household=h4, status="exited", year=2020, recorded_at=local(2021, 2, 1))
    second = snapshots.refresh(VILLAGE2, 2020, today=TODAY)
    assert second.version == first.version + 1
    now, before = table("township"), table("township", first.version)
    assert before[TOWNSHIP]["poor_households_end"] == 3 and now[TOWNSHIP]["poor_households_end"] == 2
    assert now[TOWNSHIP]["exited_households"] == 2 and table("city")[CITY]["poor_households_end"] == 2
    assert table("village")[VILLAGE] == table("village", first.version)[VILLAGE]  # untouched
    # The refresh equals a full computation of the same data.
    third = snapshots.compute(2020, today=TODAY)
    for unit_type in ("village", "township", "county", "city", "province", "cadre", "work_team"):
        assert table(unit_type, second.version) == table(unit_type, third.version), unit_type
    check_hand(first.version)  # the first version still reads as it was


def _change(family: str, register: dict) -> str:
    """One change in VILLAGE's records of one indicator family; returns an indicator it moves there."""
    c1, h1 = register["c1"], Household.objects.get(number="H1")
    if family == "income":
        IncomeRecord.objects.filter(household=h1, year=2020).update(wage_income=Decimal("12000"))
        return "income_mean"
    if family == "visits":
        visit(c1, Household.objects.get(number="H3"), local(2020, 7, 1, 8, 0, 10))
        visit(c1, h1, local(2020, 7, 1, 8, 0, 50))  # a second same-minute alert
        return "visits_per_household"
    if family == "attendance":
        for day in range(1, 21):
            Attendance.objects.create(cadre=c1, village_id=VILLAGE, date=dt.date(2020, 3, day), method="app",
                                      recorded_at=local(2020, 3, day), entered_by="t")
        return "residence_days_met"
    if family == "pairs":
        HelperPair.objects.filter(household=h1).update(end_date=dt.date(2020, 11, 30))
        return "helper_coverage"
    if family == "plans":
        plan = HelpPlan.objects.get(household__number="H3")
        plan.approved_at, plan.approved_by = local(2020, 3, 1), User.objects.get(username="drafter")
        plan.save()
        PlanMeasure.objects.filter(plan=plan).update(status="done", done_on=dt.date(2020, 4, 1))
        return "plans_approved_share"
    assert family == "village_record"
    VillageRecord.objects.filter(village_id=VILLAGE, year=2020).update(tap_water=False)
    return "village_infrastructure"


@pytest.mark.parametrize("family", ["income", "visits", "attendance", "pairs", "plans", "village_record"])
def test_a_refresh_equals_a_full_computation_for_every_indicator_family(register, family):
    first = snapshots.compute(2020, today=TODAY)
    moved = _change(family, register)
    second = snapshots.refresh(VILLAGE, 2020, today=TODAY)
    assert table("village", second.version)[VILLAGE][moved] != table("village", first.version)[VILLAGE][moved]
    third = snapshots.compute(2020, today=TODAY)
    assert third.rows == 0  # the refresh left nothing for the full computation to change
    for unit_type in ("village", "township", "county", "city", "province", "cadre", "work_team"):
        assert table(unit_type, second.version) == table(unit_type, third.version), unit_type


def test_a_version_writes_only_the_values_that_changed(register):
    """Unchanged values stay one open row across versions: a second computation over the same data writes
    nothing and reads the same; after one household's change only the values it moves are written, and
    every version still reads whole."""
    first = snapshots.compute(2020, today=TODAY)
    assert first.rows > 100
    second = snapshots.compute(2020, today=TODAY)
    assert second.version == first.version + 1 and second.rows == 0
    kinds = ("village", "township", "county", "city", "province", "work_team", "cadre")
    for unit_type in kinds:
        assert table(unit_type, second.version) == table(unit_type, first.version), unit_type
    h4 = Household.objects.get(number="H4")
    StatusEvent.objects.create(household=h4, status="exited", year=2020, recorded_at=local(2021, 2, 1))
    third = snapshots.compute(2020, today=TODAY)
    assert 0 < third.rows < first.rows
    assert table("village", third.version)[VILLAGE] == table("village", first.version)[VILLAGE]
    assert table("township", third.version)[TOWNSHIP]["poor_households_end"] == 2
    assert table("township", second.version)[TOWNSHIP]["poor_households_end"] == 3
    check_hand(first.version)
    check_hand(second.version)
    # Every value of the new version is one row, whichever version wrote it.
    from jingzhun.assessment.models import Value

    current = Value.objects.filter(period="2020", last_version__isnull=True)
    assert current.count() == first.rows
    assert not current.values("unit_type", "unit", "indicator").annotate(n=Count("id")).filter(n__gt=1).exists()


@pytest.mark.parametrize("engine", ["duckdb", "native"])
def test_a_version_stored_while_another_measures_makes_that_one_refuse(register, engine, monkeypatch):
    """The rows a version replaces are read before the engine measures (while DuckDB's copy of a SQLite register
    is read apart): a version stored in between makes the slower computation refuse whole — it would have
    closed the rows of the version before and left two current rows for every value the other one wrote."""
    from jingzhun.assessment import compute as cm
    from jingzhun.assessment.models import Value
    from jingzhun.db import ConcurrentWrite

    engine = native() if engine == "native" else engine
    first = snapshots.compute(2020, engine=engine, today=TODAY)
    h4 = Household.objects.get(number="H4")
    StatusEvent.objects.create(household=h4, status="exited", year=2020, recorded_at=local(2021, 2, 1))
    measure = cm.measure

    def measure_while_another_stores(*args, **kwargs):
        monkeypatch.setattr(cm, "measure", measure)
        snapshots.compute(2020, engine=engine, today=TODAY)  # the other computation, stored first
        return measure(*args, **kwargs)

    monkeypatch.setattr(cm, "measure", measure_while_another_stores)
    with pytest.raises(ConcurrentWrite):
        snapshots.compute(2020, engine=engine, today=TODAY)
    assert list(Snapshot.objects.filter(period="2020").values_list("version", flat=True).order_by("version")) == [
        first.version, first.version + 1]
    current = Value.objects.filter(period="2020", last_version__isnull=True)
    assert current.count() == first.rows
    assert not current.values("unit_type", "unit", "indicator").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert table("township")[TOWNSHIP]["poor_households_end"] == 2


def officer(name: str, area: str) -> User:
    u = User.objects.create(username=name)
    AreaRole.objects.create(user=u, area_id=area, role="officer")
    return u


def test_approved_figures_stay_frozen_while_the_next_version_moves(register):
    snapshots.compute(2020, today=TODAY)
    town, county = officer("town", TOWNSHIP), officer("county", COUNTY)
    s = signoff.submit(town, TOWNSHIP, 2020)
    with pytest.raises(signoff.SignoffError, match="already"):
        signoff.submit(town, TOWNSHIP, 2020)
    with pytest.raises(signoff.NotFound):
        signoff.approve(town, TOWNSHIP, 2020, "county")  # a township officer cannot approve at the county
    with pytest.raises(signoff.SignoffError, match="reason"):
        signoff.send_back(county, TOWNSHIP, 2020, "county", "  ")
    signoff.send_back(county, TOWNSHIP, 2020, "county", "收入数据待核实")
    assert Signoff.objects.get().state == "returned"
    s = signoff.submit(town, TOWNSHIP, 2020)
    s = signoff.approve(county, TOWNSHIP, 2020, "county")
    frozen = s.version
    Household.objects.filter(number="H1").update(status="exited", exit_year=2020)
    StatusEvent.objects.create(household=Household.objects.get(number="H1"), status="exited", year=2020,
                               recorded_at=local(2021, 3, 1))
    snapshots.compute(2020, today=TODAY)
    shown = signoff.shown_version(VILLAGE, 2020)
    assert shown.frozen and shown.version == frozen and shown.latest == frozen + 1
    assert table("township", shown.version)[TOWNSHIP]["poor_households_end"] == 3  # as approved
    assert table("township")[TOWNSHIP]["poor_households_end"] == 2  # the next version differs
    assert not signoff.shown_version(OTHER_TOWNSHIP, 2020).frozen
    actions = list(AuditEntry.objects.filter(action__startswith="assessment.signoff").order_by("pk")
                   .values_list("action", "area"))
    assert actions == [("assessment.signoff.submit", TOWNSHIP), ("assessment.signoff.return", TOWNSHIP),
                       ("assessment.signoff.submit", TOWNSHIP), ("assessment.signoff.approve", TOWNSHIP)]


def test_an_officer_never_signs_off_or_reads_outside_their_areas(register):
    snapshots.compute(2020, today=TODAY)
    other = officer("other", OTHER_COUNTY)
    with pytest.raises(signoff.NotFound):
        signoff.submit(other, TOWNSHIP, 2020)
    town = officer("town", TOWNSHIP)
    signoff.submit(town, TOWNSHIP, 2020)
    for level in ("county", "city", "province"):
        with pytest.raises(signoff.NotFound):
            signoff.approve(other, TOWNSHIP, 2020, level)
        with pytest.raises(signoff.NotFound):
            signoff.send_back(other, TOWNSHIP, 2020, level, "不同意")
    assert Signoff.objects.get().state == "submitted"
    seen = {v.area_code for t in ("village", "township", "county", "work_team", "cadre")
            for v in snapshots.values(t, 2020, user=other)}
    assert seen and all(code.startswith(OTHER_COUNTY[:6]) for code in seen)
    helper = User.objects.create(username="helper")
    AreaRole.objects.create(user=helper, area_id=COUNTY, role="helper")
    assert not snapshots.values("village", 2020, user=helper).exists()  # no "assess" ability


def test_the_command_computes_signs_off_and_refuses_bad_input(register, capsys):
    call_command("assess", "compute", "--year", "2020")
    assert "version 1" in capsys.readouterr().out
    officer("county", COUNTY)
    officer("town", TOWNSHIP)
    call_command("assess", "--user", "town", "submit", "--township", TOWNSHIP, "--year", "2020")
    call_command("assess", "--user", "county", "approve", "--township", TOWNSHIP, "--year", "2020", "--level", "county")
    assert Signoff.objects.get().level == "county"
    with pytest.raises(CommandError, match="no such area"):
        call_command("assess", "compute", "--year", "2020", "--area", "999999000000")
    with pytest.raises(CommandError, match="operator"):
        call_command("assess", "--user", "county", "compute", "--year", "2020")


# Stored numerators/denominators that count records one by one (the others are money or people).
NOT_COUNTS = {"poverty_incidence": "both", "income_mean": "numerator", "income_median": "both",
              "income_growth": "both", "poor_reduction_rate": "numerator"}


def test_explain_lists_exactly_the_records_counted_in_every_value(register):
    """For every unit and indicator, the records `explain` lists are as many as the stored numerator and
    denominator count; and on the hand register they are the hand-picked ones."""
    from jingzhun.assessment.explain import explain

    snapshots.compute(2020, today=TODAY)
    for unit_type in ("village", "township", "work_team", "cadre"):
        for v in snapshots.values(unit_type, 2020, area=TOWNSHIP if unit_type == "township" else None):
            ind = BY_CODE[v.indicator]
            got = explain(unit_type, v.unit, v.indicator, 2020, today=TODAY)
            if not ind.available:
                assert got.numerator == got.denominator == [] and "no data" in got.note
                continue
            skip = NOT_COUNTS.get(v.indicator, "")
            if skip != "both" and skip != "numerator":
                assert sum(len(r.ids) for r in got.numerator) == (v.numerator or 0), (unit_type, v.unit, v.indicator)
            if skip != "both" and v.denominator is not None:
                assert sum(len(r.ids) for r in got.denominator) == v.denominator, (unit_type, v.unit, v.indicator)
            if v.indicator == "poor_reduction_rate":  # a net change: those who left less those who came in
                left, entered = got.numerator
                assert len(left.ids) - len(entered.ids) == v.numerator and entered.kind == "household_entered"
    c1 = register["c1"]
    visits = explain("village", VILLAGE, "visits_per_household", 2020, today=TODAY)
    assert [r.kind for r in visits.numerator] == ["visit"] and len(visits.numerator[0].ids) == 3
    assert visits.denominator[0].ids == ["H1", "H3"]
    mine = explain("cadre", str(c1.pk), "visits_per_household", 2020, today=TODAY)
    assert sorted(mine.numerator[0].ids) == sorted(visits.numerator[0].ids)  # 甲 made all three
    assert explain("township", TOWNSHIP, "safe_water_share", 2020, today=TODAY).numerator[0].ids == ["H1", "H3"]
    exited = explain("village", VILLAGE, "exited_households", 2020, today=TODAY)
    assert exited.numerator[0].ids == ["H2"] and exited.denominator == []


def test_explain_refuses_a_unit_outside_the_officers_areas(register):
    from jingzhun.assessment.explain import NotFound, explain

    other = officer("other", OTHER_COUNTY)
    for unit_type, unit in (("village", VILLAGE), ("county", COUNTY), ("cadre", str(register["c1"].pk)),
                            ("work_team", str(register["team"].pk)), ("village", "433199999999")):
        with pytest.raises(NotFound):
            explain(unit_type, unit, "visits_per_household", 2020, user=other, today=TODAY)
    mine = explain("village", OTHER_VILLAGE, "poor_households_end", 2020, user=other, today=TODAY)
    assert mine.numerator[0].ids == []  # H5 is monitored: not registered poor before 2021
    town = officer("town", TOWNSHIP)
    # The township officer sees the city's unit? No: the city lies outside (above) their areas.
    with pytest.raises(NotFound):
        explain("city", CITY, "poor_households_end", 2020, user=town, today=TODAY)


def test_every_assessment_audit_action_and_detail_has_a_name():
    from jingzhun.assessment.models import SIGNOFF_ACTION, SNAPSHOT_KIND
    from jingzhun.audit import names

    for code in SNAPSHOT_KIND.codes:
        assert f"assessment.{code}" in names.ACTIONS
    for code in SIGNOFF_ACTION.codes:
        assert f"assessment.signoff.{code}" in names.ACTIONS
    for key in ("period", "version", "engine", "data_fingerprint", "units", "values", "level", "reason", "areas"):
        assert key in names.KEYS


@pytest.mark.skipif(__import__("django.db").db.connection.vendor != "sqlite",
                    reason="Spark runs in the SQLite suite (tests/test_conformance.py: ENGINES_BY_VENDOR)")
def test_spark_gives_duckdbs_values(register):
    """Spark (local mode, as identification runs it) computes the same value for every unit and indicator as
    DuckDB on the hand register. Without Java this fails: Spark is never skipped in the SQLite run."""
    a = snapshots.compute(2020, engine="duckdb", today=TODAY)
    b = snapshots.compute(2020, engine="spark", today=TODAY)
    for unit_type in ("village", "township", "county", "city", "province", "work_team", "cadre"):
        assert table(unit_type, b.version) == table(unit_type, a.version), unit_type
    check_hand(b.version)


def test_the_whole_provinces_fingerprint_joins_nothing_and_agrees_with_the_joined_one(register):
    """The whole province's fingerprint reads each table alone (every row's household exists: a foreign key);
    a span holding every code reads them through the joins. Same figures, same digest — so the cheaper read
    never makes a new version by itself."""
    from jingzhun.identification.run import data_fingerprint

    everything = ("000000000000", "999999999999")
    assert snapshots.fingerprint(2020, None) == snapshots.fingerprint(2020, everything)
    assert data_fingerprint(2020, None) == data_fingerprint(2020, everything)
    before = snapshots.fingerprint(2020, None)[0]
    PlanMeasure.objects.filter(pk=PlanMeasure.objects.order_by("pk").first().pk).update(
        updated_at=dt.datetime(2030, 1, 2, tzinfo=dt.UTC))  # newer than any
    assert snapshots.fingerprint(2020, None)[0] != before  # a changed measure is still seen without the joins
