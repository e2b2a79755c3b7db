"""Return-to-poverty monitoring: the holiday calendar and working days, the policy files, each trigger of the
screening on a planted register (exactly the planted households, once each), one case per household however
often it is found, deadlines and the overdue list across a holiday and its make-up working days, the steps
with their levels of authority (out-of-area writes refused, nothing written), risk elimination, and the
county's one list.

Areas are those of tests/factories.py: 龙山县 433130 → 石牌镇 → 洗车村 …201, 白岩村 …202; 永顺县 433127 → 司城村.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from jingzhun import choices
from jingzhun.areas.models import Area, AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.crosscheck.actions import decide as decide_hit
from jingzhun.crosscheck.actions import import_list
from jingzhun.crosscheck.models import SIGNAL_RULES, CrossCheckHit, CrossCheckList
from jingzhun.monitoring import calendar, cases, layered, overdue, policy, screening
from jingzhun.monitoring.kinds import SIGNAL
from jingzhun.monitoring.models import Case, CaseStep, RigidExpense, Trigger
from jingzhun.policy import PolicyError
from jingzhun.registry.models import Household, IncomeRecord, Member
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2, make_areas, resident_id
from tests.test_crosscheck import make_household, write

YEAR = 2021
TODAY = dt.date(2021, 9, 16)  # a Thursday before the Mid-Autumn and National Day holidays
LINE = 6000  # the national 2021 monitoring line, yuan per person per year


# --------------------------------------------------------------------------- calendar (pure)


def test_working_days_skip_holidays_and_count_make_up_days():
    cal = calendar.official()
    # Worked by hand from the 2021 notice: 9/17 Fri (1), 9/18 Sat make-up (2), 9/19–21 off, 9/22–24 (3–5),
    # 9/26 Sun make-up (6), 9/27–30 (7–10), 10/1–7 off, 10/8 Fri (11), 10/9 Sat make-up (12), 10/11–13 (13–15).
    assert cal.add(TODAY, 1) == dt.date(2021, 9, 17)
    assert cal.add(TODAY, 2) == dt.date(2021, 9, 18)
    assert cal.add(TODAY, 3) == dt.date(2021, 9, 22)
    assert cal.add(TODAY, 6) == dt.date(2021, 9, 26)
    assert cal.add(TODAY, 11) == dt.date(2021, 10, 8)
    assert cal.add(TODAY, 15) == dt.date(2021, 10, 13)
    assert cal.add(TODAY, 0) == TODAY
    # Spring Festival 2024: 2/4 Sun worked, 2/10–17 off, 2/18 Sun worked.
    assert cal.add(dt.date(2024, 2, 2), 1) == dt.date(2024, 2, 4)
    assert cal.add(dt.date(2024, 2, 9), 1) == dt.date(2024, 2, 18)
    assert not cal.is_working(dt.date(2025, 1, 28)) and cal.is_working(dt.date(2025, 2, 8))
    # 2026 (the notice of November 2025): Spring Festival 2/15–23 off with 2/14 Sat and 2/28 Sat worked; National Day
    # 10/1–7 off with 9/20 Sun and 10/10 Sat worked; Mid-Autumn 9/25–27 apart from it.
    assert cal.add(dt.date(2026, 2, 13), 1) == dt.date(2026, 2, 14)
    assert cal.add(dt.date(2026, 2, 14), 1) == dt.date(2026, 2, 24)
    assert cal.add(dt.date(2026, 9, 18), 1) == dt.date(2026, 9, 20)
    assert cal.add(dt.date(2026, 9, 24), 1) == dt.date(2026, 9, 28)
    assert cal.add(dt.date(2026, 9, 30), 1) == dt.date(2026, 10, 8)
    assert cal.add(dt.date(2026, 10, 9), 1) == dt.date(2026, 10, 10)


def test_calendar_covers_the_checked_years_and_refuses_a_bad_file(tmp_path):
    cal = calendar.official()
    assert all(cal.covers(y) for y in range(2021, 2027)) and not cal.covers(2027)
    # Days off by calendar year, holiday by holiday from the notices (元旦, 春节, 清明, 劳动, 端午, 中秋, 国庆);
    # 2022-12-31 is 2023's New Year's Day holiday; 2023 and 2025 joined 中秋 and 国庆 into one of 8 days.
    per_year = {y: sum(1 for d in cal.holidays if d.year == y) for y in range(2021, 2027)}
    assert per_year == {2021: 3 + 7 + 3 + 5 + 3 + 3 + 7, 2022: 3 + 7 + 3 + 5 + 3 + 3 + 7 + 1,
                        2023: 2 + 7 + 1 + 5 + 3 + 8, 2024: 1 + 8 + 3 + 5 + 3 + 3 + 7, 2025: 1 + 8 + 3 + 5 + 3 + 8,
                        2026: 3 + 9 + 3 + 5 + 3 + 3 + 7}
    assert len(cal.workdays) == 7 + 7 + 7 + 8 + 5 + 6  # the make-up working days of 2021–2026
    assert all(d.weekday() >= 5 for d in cal.workdays)
    bad = tmp_path / "h.csv"
    bad.write_text("date,kind,name\n2021-02-08,workday,星期一\n", encoding="utf-8")
    with pytest.raises(ValueError, match="row 2"):
        calendar.read(bad)
    bad.write_text("date,kind,name\n2021-02-30,holiday,x\n", encoding="utf-8")
    with pytest.raises(ValueError, match="not a date"):
        calendar.read(bad)


# --------------------------------------------------------------------------- policy (pure)


def test_policy_lines_and_provincial_deadlines():
    hunan = policy.rules("433130101201", 2021)
    assert (hunan.line, hunan.check_days, hunan.decide_days, hunan.province) == (Decimal(6000), 15, 30, "")
    anhui, gansu = policy.rules("340000000000", 2022), policy.rules("620000000000", 2023)
    assert (anhui.check_days, anhui.decide_days, anhui.line) == (2, 20, Decimal(6300))
    assert (gansu.check_days, gansu.decide_days) == (5, 15)
    assert all(policy.rules("43", y).line >= LINE for y in range(2021, 2027))
    with pytest.raises(LookupError):
        policy.rules("43", 2020)


@pytest.mark.parametrize(("text", "key"), [
    ('name = "x"\nprovince = "34"\n[deadlines]\ncheck_days = 5\ndecide_days = 3\n', "deadlines.decide_days"),
    ('name = "x"\n[screening]\nrigid_share = 0.5\nrigid_expenses = ["rent"]\n', "screening.rigid_expenses"),
    ('name = "x"\nlevel = 3\n', "level"),
    ('name = "x"\n[lines.2019]\nline = 1\nsource = "s"\ncertain = true\n', "lines.2019"),
])
def test_a_bad_policy_file_names_its_key(text, key):
    with pytest.raises(PolicyError) as err:
        policy.parse(text, "bad.toml")
    assert key in {p.key for p in err.value.problems}


def test_signal_kinds_are_crosscheck_list_kinds():
    assert tuple(SIGNAL.codes) == SIGNAL_RULES


# --------------------------------------------------------------------------- a planted register


_seq = iter(range(100, 10_000))


def household(number: str, village: str = VILLAGE, *, size: int = 2, status: str = "exited",
              net: int | None = None, medical: int = 0, category: str = "general") -> Household:
    """A household of `size` members whose net income of YEAR is `net` yuan (all wages); no record if None."""
    region = village[:6]
    ids = [resident_id(region, dt.date(1970, 1, 1) + dt.timedelta(days=next(_seq)), next(_seq), True)
           for _ in range(size)]
    h = make_household(number, village, ids, status=status)
    if category != "general":
        Household.objects.filter(pk=h.pk).update(category=category)
    if net is not None:
        IncomeRecord.objects.create(household=h, year=YEAR, wage_income=net, medical_expenses=medical)
    return h


def user_at(name: str, code: str, role: str = "officer") -> User:
    user = User.objects.create_user(name)
    AreaRole.objects.create(user=user, area_id=code, role=role)
    return user


@pytest.fixture
def planted(db):
    return plant()


def plant() -> dict[str, Household]:
    make_areas()
    h = {
        # income: per-capita under the line (2 people, 11,999.98 yuan → 5,999.99 each)
        "under": household("UNDER", net=0, size=2),
        "edge_under": household("EDGE", status="applicant", net=0, size=3),
        "at_line": household("ATLINE", net=2 * LINE, size=2),  # exactly the line: not under it
        # rigid: medical 6,001 of 12,000 net (> 50 %); exactly 50 % is not above it
        "rigid": household("RIGID", status="applicant", net=24_000, medical=12_001, size=2),
        "rigid_half": household("HALF", status="applicant", net=24_000, medical=12_000, size=2),
        "schooling": household("SCHOOL", net=30_000, medical=5_000, size=2),  # + 10,001 schooling → 15,001 > 15,000
        "both": household("BOTH", net=1_000, medical=900, size=2),  # under the line and rigid 90 %
        "poor": household("POOR", status="poor", net=100, size=2),  # poor now: helped as poor, not screened
        "removed": household("GONE", status="removed", net=100, size=2),
        "no_income": household("NOINC", size=2),
        "signal": household("SIGNAL", village=VILLAGE2, status="applicant", net=100_000, size=2),
        "dismissed": household("DISMISS", village=VILLAGE2, status="applicant", net=100_000, size=2),
        "far": household("FAR", village=OTHER_VILLAGE, net=100, size=1),
        "rich": household("RICH", net=100_000, size=4),
    }
    # The precise boundary of the income trigger: one fen under the line per person.
    IncomeRecord.objects.filter(household=h["under"]).update(wage_income=Decimal("11999.98"))
    RigidExpense.objects.create(household=h["schooling"], year=YEAR, schooling=Decimal("10001"), recorded_by="t")
    return h


ENGINES = {"sqlite": ("duckdb", "sqlite"), "postgresql": ("duckdb", "postgres")}


@pytest.mark.django_db(transaction=True)
def test_the_bulk_triggers_on_every_engine_find_what_the_screening_finds():
    """The one definition run three ways: compiled into the screening's SQL, and in bulk on DuckDB and in place
    (committed rows: the engines read through their own connections). Same households, triggers and figures."""
    from django.db import connection

    from jingzhun.monitoring import triggers

    plant()
    rules = policy.rules("430000000000", YEAR)
    numbers = dict(Household.objects.values_list("pk", "number"))
    want = {("UNDER", "income", 599_999, 600_000), ("EDGE", "income", 0, 600_000), ("BOTH", "income", 50_000, 600_000),
            ("FAR", "income", 10_000, 600_000), ("RIGID", "rigid", 1_200_100, 1_200_000),
            ("SCHOOL", "rigid", 1_500_100, 1_500_000), ("BOTH", "rigid", 90_000, 50_000)}
    for engine in ENGINES[connection.vendor]:
        got = set()
        for row in triggers.check(rules, YEAR, engine=engine).to_pylist():
            if row["income_hit"]:
                got.add((numbers[row["hid"]], "income", row["income_value"], row["income_threshold"]))
            if row["rigid_hit"]:
                got.add((numbers[row["hid"]], "rigid", row["rigid"], row["rigid_threshold"]))
        assert got == want, engine
    screening.screen(YEAR, today=TODAY, actor="a")
    assert set(Trigger.objects.values_list("case__household__number", "code", "value_fen", "threshold_fen")) == want


def signal_list(tmp_path, rule: str, members: list[Member], on: dt.datetime) -> CrossCheckList:
    from jingzhun import crypto

    cipher = crypto.resident_id_cipher()
    day = (on.date() - dt.timedelta(days=30)).isoformat()
    rows = [[m.name, cipher.decrypt(bytes(m.resident_id_cipher)), day] for m in members]
    header = {"major_illness": ["姓名", "身份证号", "结算日期"], "unemployment": ["姓名", "身份证号", "失业登记日期"]}[rule]
    import_list(write(tmp_path / f"{rule}-{on:%Y}.csv", header, rows), rule, actor="医保局", today=on.date())
    made = CrossCheckList.objects.order_by("-id").first()
    assert made is not None
    CrossCheckList.objects.filter(pk=made.pk).update(imported_at=on)
    return made


def found(year: int = YEAR) -> set[tuple[str, str]]:
    return set(Trigger.objects.filter(year=year).values_list("case__household__number", "code"))


def test_each_trigger_finds_exactly_the_planted_households(planted, tmp_path):
    june = timezone.make_aware(dt.datetime(YEAR, 6, 1))
    signal_list(tmp_path, "major_illness", [planted["signal"].members.first(), planted["dismissed"].members.first()],
                june)
    signal_list(tmp_path, "unemployment", [planted["rich"].members.first()],
                timezone.make_aware(dt.datetime(YEAR - 1, 6, 1)))  # another year's list: not this year's signal
    hit = CrossCheckHit.objects.get(household=planted["dismissed"])
    decide_hit(hit.pk, "dismissed", "已核实非本人 / not them", user=User.objects.create_superuser("admin"))

    result = screening.screen(YEAR, today=TODAY, actor="县乡村振兴局")
    assert found() == {("UNDER", "income"), ("EDGE", "income"), ("RIGID", "rigid"), ("SCHOOL", "rigid"),
                       ("BOTH", "income"), ("BOTH", "rigid"), ("SIGNAL", "signal_major_illness"), ("FAR", "income")}
    assert (result.households, result.new_cases, result.new_triggers) == (7, 7, 8)
    assert dict(result.found) == {"income": 4, "rigid": 3, "signal_major_illness": 1}
    kinds = dict(Case.objects.values_list("household__number", "kind"))
    assert kinds == {"UNDER": "unstable", "EDGE": "edge", "RIGID": "sudden", "SCHOOL": "unstable", "BOTH": "unstable",
                     "SIGNAL": "sudden", "FAR": "unstable"}
    assert dict(Case.objects.values_list("household__number", "source"))["SIGNAL"] == "signal"
    under = Trigger.objects.get(case__household__number="UNDER")
    assert (under.value_fen, under.threshold_fen) == (599_999, 600_000)
    # Each new case has its opening step, and the run one audit row.
    assert CaseStep.objects.filter(action="open").count() == 7
    assert AuditEntry.objects.filter(action="monitoring.screen").count() == 1


def test_a_household_found_twice_is_one_case(planted):
    screening.screen(YEAR, today=TODAY, actor="a")
    again = screening.screen(YEAR, today=TODAY + dt.timedelta(days=3), actor="b")
    assert (again.new_cases, again.new_triggers, again.households) == (0, 0, 6)
    assert Case.objects.count() == 6 and Trigger.objects.count() == 7
    # Its own report adds to the case it has.
    officer = user_at("village", VILLAGE)
    case = cases.report(officer, cases.Report(planted["under"].pk, TODAY, "户主", "家人住院"))
    assert Case.objects.count() == 6 and case.household_id == planted["under"].pk
    assert set(case.triggers.values_list("code", flat=True)) == {"income", "self_report"}


def test_screening_keeps_to_the_officers_areas(planted):
    officer = user_at("county", COUNTY)
    result = screening.screen(YEAR, today=TODAY, actor="county", user=officer)
    assert ("FAR", "income") not in found() and result.households == 5
    team = user_at("team", VILLAGE, role="work_team")
    with pytest.raises(PermissionError):
        screening.screen(YEAR, today=TODAY, actor="team", user=team)


# --------------------------------------------------------------------------- deadlines and overdue


def test_overdue_appears_the_day_after_the_deadline_in_working_days(planted):
    screening.screen(YEAR, today=TODAY, actor="a")
    case = Case.objects.get(household__number="EDGE")
    # National file: check within 15 working days, decide within 30 (hand-worked above: 10/13; 30 → 11/3).
    assert (case.check_due, case.decide_due) == (dt.date(2021, 10, 13), dt.date(2021, 11, 3))
    officer = user_at("county", COUNTY)
    assert overdue.overdue(officer, today=dt.date(2021, 10, 13)) == []
    late = overdue.overdue(officer, today=dt.date(2021, 10, 14))
    assert {o.household_number for o in late} == {"UNDER", "EDGE", "RIGID", "SCHOOL", "BOTH"}
    assert all(o.days_over == 1 and o.state == "open" for o in late)
    # Checked in time: now it waits for the decision, overdue from 11/4.
    cases.check(officer, case.pk, on=dt.date(2021, 10, 12), finding="入户核实属实", take_in=True)
    assert case.pk not in {o.case_id for o in overdue.overdue(officer, today=dt.date(2021, 11, 3))}
    assert case.pk in {o.case_id for o in overdue.overdue(officer, today=dt.date(2021, 11, 4))}
    # Another county's officer sees none of them.
    assert overdue.overdue(user_at("far", OTHER_COUNTY), today=dt.date(2021, 10, 14))[0].household_number == "FAR"


def test_a_province_with_its_own_deadlines(db):
    make_areas()
    for code, name, level, parent in [("340000000000", "安徽省", "province", None),
                                      ("341100000000", "滁州市", "city", "340000000000"),
                                      ("341122000000", "来安县", "county", "341100000000"),
                                      ("341122100000", "新安镇", "township", "341122000000"),
                                      ("341122100201", "某村", "village", "341122100000")]:
        Area.objects.create(code=code, name=name, level=level, parent_id=parent, region_class="central",
                            poor_village=level == "village")
    household("AH", village="341122100201", net=100)
    screening.screen(YEAR, today=TODAY, actor="a")
    case = Case.objects.get()
    # Anhui: 2 and 20 working days from Thursday 9/16 → 9/18 (a make-up Saturday); 20 → 10/20 (counted by hand:
    # 9/22–24, 9/26 (make-up), 9/27–30, 10/8, 10/9 (make-up), 10/11–15, 10/18–20).
    assert (case.check_due, case.decide_due) == (dt.date(2021, 9, 18), dt.date(2021, 10, 20))


# --------------------------------------------------------------------------- steps and who may take them


def test_out_of_area_and_wrong_level_writes_are_refused_and_write_nothing(planted):
    screening.screen(YEAR, today=TODAY, actor="a")
    case = Case.objects.get(household__number="EDGE")
    far = user_at("far", OTHER_COUNTY)
    village = user_at("village", VILLAGE, role="work_team")
    helper = user_at("helper", VILLAGE, role="helper")  # paired with nobody
    auditor = user_at("auditor", COUNTY, role="auditor")
    before = (CaseStep.objects.count(), AuditEntry.objects.count(), Trigger.objects.count(), Case.objects.count())
    attempts = [
        lambda: cases.check(far, case.pk, on=TODAY, finding="x", take_in=True),
        lambda: cases.check(auditor, case.pk, on=TODAY, finding="x", take_in=True),
        lambda: cases.approve_elimination(village, case.pk, on=TODAY),  # a county's step
        lambda: cases.report(far, cases.Report(planted["edge_under"].pk, TODAY, "户主", "x")),
        lambda: cases.report(helper, cases.Report(planted["edge_under"].pk, TODAY, "户主", "x")),
        lambda: cases.report(auditor, cases.Report(planted["rich"].pk, TODAY, "户主", "x")),
        lambda: cases.check(village, case.pk, on=TODAY - dt.timedelta(days=1), finding="x", take_in=True),
        lambda: cases.propose_elimination(far, case.pk, on=TODAY, contact="x", review="x"),
    ]
    for attempt in attempts:
        with pytest.raises(cases.CaseRefused):
            attempt()
    assert (CaseStep.objects.count(), AuditEntry.objects.count(), Trigger.objects.count(),
            Case.objects.count()) == before
    assert Case.objects.get(pk=case.pk).state == "open"


def test_self_report_opens_a_case_with_its_expenses(planted):
    team = user_at("team", VILLAGE2, role="work_team")
    case = cases.report(team, cases.Report(planted["signal"].pk, TODAY, "户主李某", "房屋受灾", disaster="20000"))
    assert (case.source, case.kind, case.state) == ("self_report", "sudden", "open")
    assert RigidExpense.objects.get(household=planted["signal"]).disaster == Decimal("20000.00")
    assert AuditEntry.objects.filter(action="monitoring.report", area=VILLAGE2).count() == 1
    with pytest.raises(cases.CaseRefused, match="must be 0"):
        cases.report(team, cases.Report(planted["signal"].pk, TODAY, "户主", "x", schooling="-5"))
    with pytest.raises(cases.CaseRefused, match="required"):
        cases.report(team, cases.Report(planted["signal"].pk, TODAY, "", "x"))


def through_the_workflow(app_id: int, village: User, township: User, county: User, start: dt.date,
                         *, approve: bool = True) -> dt.date:
    """The monitor application's steps (appraisal, check, two notices, township, county, announcement)."""
    from jingzhun.appraisal import workflow

    workflow.appraise(app_id, held_on=start, attendees=30, votes_for=20, votes_against=5, votes_abstain=5,
                      minutes="同意纳入监测", user=village)
    workflow.crosscheck(app_id, on=start, user=village)
    workflow.publish_notice([app_id], stage="first", starts_on=start, contact="村委会", user=village, days=3)
    workflow.close_notice(app_id, on=start + dt.timedelta(days=3), user=village)
    workflow.township_review(app_id, approve=True, on=start + dt.timedelta(days=4), user=township)
    workflow.publish_notice([app_id], stage="second", starts_on=start + dt.timedelta(days=4), contact="乡镇",
                            user=township, days=3)
    workflow.close_notice(app_id, on=start + dt.timedelta(days=7), user=township)
    end = start + dt.timedelta(days=8)
    if not approve:
        workflow.county_review(app_id, approve=False, on=end, user=county, opinion="收入复核高于监测范围")
        return end
    workflow.county_review(app_id, approve=True, on=end, user=county)
    workflow.announce(app_id, on=end, user=county)
    return end


def test_decision_through_the_workflow_and_risk_elimination(planted):
    screening.screen(YEAR, today=TODAY, actor="a")
    case = Case.objects.get(household__number="UNDER")
    village, county = user_at("village", VILLAGE, role="work_team"), user_at("county", COUNTY)
    township = user_at("township", TOWNSHIP)
    cases.check(village, case.pk, on=dt.date(2021, 9, 17), finding="属实", take_in=True)
    case.refresh_from_db()
    assert case.application_id is not None and case.status_before == choices.EXITED
    decided = through_the_workflow(case.application_id, village, township, county, dt.date(2021, 9, 22))
    assert Household.objects.get(pk=case.household_id).status == choices.MONITORED
    assert cases.follow() == 1 and cases.follow() == 0
    case.refresh_from_db()
    assert (case.state, case.monitored_since, case.decided_on) == ("monitored", decided, decided)
    # Six months not yet passed, and no income above the line recorded since.
    case.refresh_from_db()
    blockers = cases.elimination_blockers(case, dt.date(2022, 3, 1))
    assert len(blockers) == 2 and "6" in blockers[0]
    with pytest.raises(cases.CaseRefused):
        cases.propose_elimination(village, case.pk, on=dt.date(2022, 4, 1), contact="村委会", review="收入稳定")
    # 2022's income: one fen per person above the line (2 people × 6,300.01 — 2022's line is 6,300), then at it.
    later = IncomeRecord.objects.create(household_id=case.household_id, year=YEAR + 1, wage_income=Decimal("12600.00"))
    assert "6300.00 not above" in cases.elimination_blockers(case, dt.date(2022, 3, 30))[0]
    IncomeRecord.objects.filter(pk=later.pk).update(wage_income=Decimal("12600.02"))
    assert cases.elimination_blockers(case, dt.date(2022, 3, 30)) == []
    notice = cases.propose_elimination(village, case.pk, on=dt.date(2022, 4, 1), contact="村委会", review="收入稳定")
    assert notice.ends_on == dt.date(2022, 4, 7)
    with pytest.raises(cases.CaseRefused, match="until"):
        cases.approve_elimination(county, case.pk, on=dt.date(2022, 4, 7))
    with pytest.raises(cases.CaseRefused):
        cases.approve_elimination(village, case.pk, on=dt.date(2022, 4, 8))
    cases.approve_elimination(county, case.pk, on=dt.date(2022, 4, 8))
    assert Household.objects.get(pk=case.household_id).status == choices.EXITED
    assert list(CaseStep.objects.filter(case=case).values_list("action", flat=True)) == [
        "open", "check", "decided", "propose_elimination", "approve_elimination"]


def test_a_county_rejection_leaves_the_case_not_taken_in(planted):
    screening.screen(YEAR, today=TODAY, actor="a")
    case = Case.objects.get(household__number="EDGE")
    village, county, township = user_at("v", VILLAGE, role="work_team"), user_at("c", COUNTY), user_at("t", TOWNSHIP)
    cases.check(village, case.pk, on=TODAY, finding="属实", take_in=True, kind="sudden")
    case.refresh_from_db()
    through_the_workflow(case.application_id, village, township, county, dt.date(2021, 9, 22), approve=False)
    # Past the decision deadline: the decided case is not overdue (the list follows the applications first).
    assert case.pk not in {o.case_id for o in overdue.overdue(county, today=dt.date(2021, 12, 1))}
    case.refresh_from_db()
    assert (case.state, case.kind) == ("dismissed", "sudden")
    assert Household.objects.get(pk=case.household_id).status == "applicant"


def test_a_dismissed_case_lets_the_household_be_found_again(planted):
    screening.screen(YEAR, today=TODAY, actor="a")
    case = Case.objects.get(household__number="EDGE")
    cases.check(user_at("v", VILLAGE), case.pk, on=TODAY, finding="收入核实高于监测范围", take_in=False)
    again = screening.screen(YEAR, today=TODAY + dt.timedelta(days=1), actor="a")
    assert again.new_cases == 1 and Case.objects.filter(household__number="EDGE").count() == 2


# --------------------------------------------------------------------------- the county's one list


def test_the_county_list_names_everyone_once_with_every_reason(planted):
    screening.screen(YEAR, today=TODAY, actor="a")
    Household.objects.filter(pk=planted["rich"].pk).update(category="tekun")
    Member.objects.filter(household=planted["rich"], position=2).update(assistance="dibao")
    Member.objects.filter(household=planted["at_line"], position=1).update(assistance="dibao")
    officer = user_at("county", COUNTY)
    rows = {r.number: r.reasons for r in layered.county_list(officer, COUNTY)}
    assert set(rows) == {"UNDER", "EDGE", "RIGID", "SCHOOL", "BOTH", "RICH", "ATLINE"}
    assert len(rows["RICH"]) == 2 and rows["RICH"][0].startswith("特困")
    assert rows["EDGE"] == ["风险户（待核实）：边缘易致贫户 / at risk (open): edge"]
    assert layered.county_list(user_at("far", OTHER_COUNTY), COUNTY) == []


def test_the_command_screens_and_lists(planted):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("monitoring", "screen", "--year", str(YEAR), "--today", TODAY.isoformat(), "--area", COUNTY,
                 stdout=out)
    assert "5 new cases" in out.getvalue()
    out = StringIO()
    call_command("monitoring", "overdue", "--today", "2021-10-14", stdout=out)
    assert "5 overdue" in out.getvalue()
    out = StringIO()
    call_command("monitoring", "rules", "--area", "340000000000", "--year", "2021", stdout=out)
    assert "check 2, decide 20" in out.getvalue()


def test_the_demo_leaves_cases_at_every_step(db):
    from jingzhun.appraisal.models import Application
    from jingzhun.demo import monitoring as demo

    make_areas()
    for n in range(24):
        household(f"D{n:02d}", village=VILLAGE if n % 2 else VILLAGE2, net=1_000 + n, size=2)
    household("DRICH", net=100_000, size=2)
    said: list[str] = []
    demo.run(dt.date(2022, 12, 1), say=said.append)
    states = Counter(Case.objects.values_list("state", flat=True))
    assert set(states) == {"open", "dismissed", "checked", "monitored", "elimination", "eliminated"}, states
    assert states["dismissed"] == 2 and states["checked"] == 8 and states["monitored"] == 2
    steps = set(Application.objects.filter(kind="monitor").values_list("state", flat=True))
    assert {"appraised", "checked", "first_notice", "township_review", "second_notice", "county_review",
            "approved", "announced"} <= steps
    assert Case.objects.filter(source="self_report", household__number="DRICH").exists()
    assert Case.objects.filter(steps__action="assist").count() == 1
    before = Case.objects.count()
    demo.run(dt.date(2022, 12, 1), say=said.append)  # a second run changes nothing
    assert Case.objects.count() == before


def test_assistance_goes_on_the_households_help_plan(planted):
    from jingzhun.plans.models import HelpPlan
    from jingzhun.plans.services import MeasureInput

    screening.screen(YEAR, today=TODAY, actor="a")
    case = Case.objects.get(household__number="UNDER")
    village, county, township = user_at("v", VILLAGE, role="work_team"), user_at("c", COUNTY), user_at("t", TOWNSHIP)
    measure = [MeasureInput(category="welfare_job", description="公益岗位", amount="5000", due_on="2021-12-31")]
    with pytest.raises(cases.CaseRefused):  # not monitored yet
        cases.assist(village, case.pk, year=YEAR, goal="稳定增收", measures=measure, on=dt.date(2021, 10, 20))
    cases.check(village, case.pk, on=TODAY, finding="属实", take_in=True)
    case.refresh_from_db()
    through_the_workflow(case.application_id, village, township, county, dt.date(2021, 9, 22))
    cases.follow()
    with pytest.raises(cases.CaseRefused):  # another county's officer
        cases.assist(user_at("far", OTHER_COUNTY), case.pk, year=YEAR, goal="x", measures=measure,
                     on=dt.date(2021, 10, 20))
    plan = cases.assist(village, case.pk, year=YEAR, goal="稳定增收", measures=measure, on=dt.date(2021, 10, 20))
    assert HelpPlan.objects.get(household_id=case.household_id, year=YEAR).pk == plan.pk
    assert list(plan.measures.values_list("category", "description")) == [("welfare_job", "公益岗位")]
    assert CaseStep.objects.filter(case=case, action="assist").count() == 1


@pytest.mark.django_db(transaction=True)
def test_risk_elimination_reads_per_capita_income_as_the_triggers_do():
    """Risk elimination's per-capita income (`screening.per_capita_fen`) and the income trigger's value are one
    definition: net in fen (summed in yuan, rounded once) ÷ members, truncated toward zero; none with no
    members. Hand-worked, then held equal to the bulk triggers on DuckDB and in place (committed rows)."""
    from django.db import connection

    from jingzhun.monitoring import triggers

    make_areas()
    neg, three, none = household("NEG", size=2), household("THREE", size=3), household("NONE", size=0)
    income = [
        # −10.01 yuan over 2 people: −500 fen (floor division would give −501)
        (neg, YEAR, {"production_income": Decimal("100"), "production_costs": Decimal("110.01")}),
        # 0.10 + 0.20 + 0.01 yuan (0.31 in fen, not 0.30000000000000004 × 100 truncated): 31 ÷ 2 → 15
        (neg, YEAR + 1, {"wage_income": Decimal("0.10"), "property_income": Decimal("0.20"),
                         "transfer_income": Decimal("0.01")}),
        (neg, YEAR + 2, {"wage_income": Decimal("10000.01")}),  # 1,000,001 fen ÷ 2 → 500,000
        (three, YEAR, {"wage_income": Decimal("100")}),  # 10,000 fen ÷ 3 → 3,333
        (none, YEAR, {"wage_income": Decimal("100")}),  # no members: none
    ]
    for h, year, amounts in income:
        IncomeRecord.objects.create(household=h, year=year, **amounts)
    assert screening.per_capita_fen(neg.pk, YEAR) == {YEAR: -500, YEAR + 1: 15, YEAR + 2: 500_000}
    assert screening.per_capita_fen(neg.pk, YEAR + 1) == {YEAR + 1: 15, YEAR + 2: 500_000}
    assert screening.per_capita_fen(three.pk, YEAR) == {YEAR: 3333}
    assert screening.per_capita_fen(none.pk, YEAR) == {YEAR: None}
    rules = policy.rules("430000000000", YEAR)
    for engine in ENGINES[connection.vendor]:
        found = {row["hid"]: row["income_value"] for row in triggers.check(rules, YEAR, engine=engine).to_pylist()}
        assert found == {neg.pk: -500, three.pk: 3333}, engine  # no members: no income trigger
        for hid, value in found.items():
            assert screening.per_capita_fen(hid, YEAR)[YEAR] == value


@pytest.mark.django_db
def test_a_household_without_members_cannot_show_its_risk_gone():
    make_areas()
    h = household("EMPTY", size=0, status="monitored")
    IncomeRecord.objects.create(household=h, year=YEAR + 1, wage_income=Decimal("100000"))
    case = Case.objects.create(household=h, village_id=VILLAGE, year=YEAR, source="self_report", kind="edge",
                               state="monitored", monitored_since=dt.date(2021, 9, 1), opened_on=dt.date(2021, 8, 1),
                               check_due=dt.date(2021, 8, 20), decide_due=dt.date(2021, 9, 1), created_by="t")
    blockers = cases.elimination_blockers(case, dt.date(2022, 6, 1))
    assert blockers == [f"{YEAR + 1} 年无家庭成员，无法计算人均纯收入 / {YEAR + 1}: no members, so no per-capita income"]
