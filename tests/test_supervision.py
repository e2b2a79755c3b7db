"""Supervision alerts and the coverage report (jingzhun/teams/supervision.py, coverage.py), each on a
hand-worked register, with the boundaries: a visit exactly N days back, exactly the household threshold,
a lag of exactly the late-entry days, exactly the capacity.

Times are Beijing time (settings.TIME_ZONE). Areas are those of tests/factories.py.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from python_calamine import CalamineWorkbook

from jingzhun.areas.models import AreaRole, code_range
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.models import Household
from jingzhun.teams import coverage, supervision
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.export import write_alerts_xlsx
from jingzhun.teams.models import Cadre, HelperPair, TeamMembership, Visit, WorkTeam
from jingzhun.teams.supervision import Window
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, PROVINCE, TOWNSHIP, VILLAGE, VILLAGE2, make_areas
from tests.test_teams import cadre, household

pytestmark = pytest.mark.django_db
BJ = zoneinfo.ZoneInfo("Asia/Shanghai")
AS_OF = dt.datetime(2020, 6, 30, 12, 0, tzinfo=BJ)
CUTOFF = AS_OF - dt.timedelta(days=30)  # 2020-05-31 12:00


@pytest.fixture
def tree(db):
    make_areas()


def visit(k: Cadre, h: Household, at: dt.datetime, *, recorded: dt.datetime | None = None, notes: str = "",
          lat: str | None = None, lon: str | None = None, by: str = "录入员") -> Visit:
    return Visit.objects.create(cadre=k, household=h, visited_at=at, recorded_at=recorded or at, notes=notes,
                                latitude=None if lat is None else Decimal(lat),
                                longitude=None if lon is None else Decimal(lon), entered_by=by)


def pair(h: Household, k: Cadre, start: dt.date = dt.date(2020, 1, 1)) -> HelperPair:
    return HelperPair.objects.create(household=h, cadre=k, start_date=start)


def kinds(alerts: list[supervision.Alert], kind: str) -> list[supervision.Alert]:
    return [a for a in alerts if a.kind == kind]


def test_unvisited_within_n_days(tree):
    k = cadre("帮扶人", VILLAGE, "medicine")
    h = {n: household(n, VILLAGE) for n in ("at_cutoff", "just_before", "never", "new_pair", "future_only")}
    h["exited"] = household("exited", VILLAGE, status="exited")
    h["monitored"] = household("monitored", VILLAGE2, status="monitored")
    h["other_county"] = household("other_county", OTHER_VILLAGE)
    for name in ("at_cutoff", "just_before", "never", "future_only", "exited"):
        pair(h[name], k)
    pair(h["new_pair"], k, dt.date(2020, 6, 10))  # paired inside the window: not yet due
    visit(k, h["at_cutoff"], CUTOFF)  # exactly 30 days before: still within
    visit(k, h["just_before"], CUTOFF - dt.timedelta(seconds=1))
    visit(k, h["future_only"], AS_OF + dt.timedelta(days=1))  # after the moment checked: does not count
    found = {a.evidence["户编号"]: a for a in supervision.unvisited(Window(AS_OF), SupervisionConfig())}
    assert set(found) == {"just_before", "never", "future_only", "monitored", "other_county"}
    assert found["just_before"].evidence["距今天数"] == 30  # 30 days and 1 second
    assert found["just_before"].evidence["最近走访"] == "2020-05-31 11:59:59"
    assert found["never"].evidence["最近走访"] == "" and found["never"].evidence["帮扶人编号"] == k.pk
    assert found["monitored"].evidence["帮扶人编号"] is None
    scoped = supervision.unvisited(Window(AS_OF, root=code_range(COUNTY, "county")), SupervisionConfig())
    assert "other_county" not in {a.evidence["户编号"] for a in scoped}
    # 90 days: the visit 30 days back is recent enough; 户 never visited still shows.
    quarterly = {a.evidence["户编号"] for a in supervision.unvisited(Window(AS_OF), SupervisionConfig(visit_days=90))}
    assert quarterly == {"never", "future_only", "monitored", "other_county"}


def test_over_capacity_by_rank(tree):
    caps = SupervisionConfig(capacity_by_rank={"staff": 2})
    staff_at = cadre("刚好", VILLAGE, "", "staff")
    staff_over = cadre("超了", VILLAGE, "", "staff")
    section = cadre("科级", VILLAGE, "", "section")  # rank not configured: default 5
    for i in range(2):
        pair(household(f"a{i}", VILLAGE), staff_at)
    over = [household(f"b{i}", VILLAGE) for i in range(3)]
    for hh in over:
        pair(hh, staff_over)
    for i in range(3):
        pair(household(f"c{i}", VILLAGE), section)
    ended = pair(household("d0", VILLAGE), staff_at)
    ended.end_date, ended.end_reason = dt.date(2020, 3, 1), "调整"
    ended.save()  # an ended pair does not count
    found = supervision.over_capacity(Window(AS_OF), caps)
    assert [(a.evidence["帮扶人编号"], a.evidence["结对户数"], a.evidence["上限"]) for a in found] == [
        (staff_over.pk, 3, 2)]
    assert found[0].evidence["户ID"] == sorted(hh.pk for hh in over)
    assert supervision.over_capacity(Window(AS_OF), SupervisionConfig()) == []  # default 5 for everyone
    assert supervision.over_capacity(Window(AS_OF, root=code_range(OTHER_COUNTY, "county")), caps) == []


def test_same_minute_at_different_households(tree):
    k1, k2 = cadre("一", VILLAGE, ""), cadre("二", VILLAGE, "")
    h1, h2, h3 = household("h1", VILLAGE), household("h2", VILLAGE), household("h3", VILLAGE)
    t = dt.datetime(2020, 6, 1, 10, 0, tzinfo=BJ)
    v1 = visit(k1, h1, t + dt.timedelta(seconds=5))
    v2 = visit(k1, h2, t + dt.timedelta(seconds=55))
    visit(k1, h3, t + dt.timedelta(seconds=60))  # the next minute
    visit(k2, h1, t)
    visit(k2, h1, t + dt.timedelta(seconds=30))  # the same household twice: not suspicious
    visit(k2, h3, t + dt.timedelta(minutes=5))
    found = supervision.same_minute(Window(AS_OF), SupervisionConfig())
    assert len(found) == 1
    e = found[0].evidence
    assert (e["帮扶人编号"], e["分钟"], e["户数"], e["走访ID"]) == (k1.pk, "2020-06-01 10:00", 2, [v1.pk, v2.pk])
    since = Window(AS_OF, since=dt.datetime(2020, 6, 2, tzinfo=BJ))
    assert supervision.same_minute(since, SupervisionConfig()) == []


def test_identical_coordinates_at_threshold(tree):
    k = cadre("一", VILLAGE, "")
    t = dt.datetime(2020, 6, 1, 9, 0, tzinfo=BJ)
    five = [household(f"p{i}", VILLAGE) for i in range(5)]
    four = [household(f"q{i}", VILLAGE2) for i in range(4)]
    for i, hh in enumerate(five):
        visit(k, hh, t + dt.timedelta(hours=i), lat="28.123456", lon="109.654321")
    visit(k, five[0], t + dt.timedelta(days=1), lat="28.123456", lon="109.654321")  # a repeat: 6 visits, 5 households
    for i, hh in enumerate(four):
        visit(k, hh, t + dt.timedelta(hours=i), lat="28.5", lon="109.5")
    visit(k, four[0], t, lat="28.123457", lon="109.654321")  # one millionth of a degree off: different
    found = supervision.same_coordinates(Window(AS_OF), SupervisionConfig())
    assert [(a.evidence["纬度"], a.evidence["户数"], a.evidence["走访数"]) for a in found] == [("28.123456", 5, 6)]
    assert found[0].evidence["户ID"] == sorted(hh.pk for hh in five)
    lower = supervision.same_coordinates(Window(AS_OF), SupervisionConfig(same_coordinates_households=4))
    assert sorted(a.evidence["户数"] for a in lower) == [4, 5]


def test_copied_notes_after_normalising(tree):
    k1, k2 = cadre("一", VILLAGE, ""), cadre("二", VILLAGE2, "")
    t = dt.datetime(2020, 6, 1, 9, 0, tzinfo=BJ)
    copies = ["已入户走访，家中一切正常，无新增困难。", "已入户走访 家中一切正常 无新增困难",
              "已入户走访，家中一切正常，无新增困难！", "已入户走访、家中一切正常、无新增困难", "已入户走访，家中一切正常，无新增困难"]
    hs = [household(f"n{i}", VILLAGE) for i in range(5)]
    for i, (hh, text) in enumerate(zip(hs, copies, strict=True)):
        visit(k1 if i % 2 else k2, hh, t + dt.timedelta(hours=i), notes=text)
    for i in range(6):  # short notes: too common to mean anything
        visit(k1, household(f"s{i}", VILLAGE), t, notes="已走访")
    for i in range(4):  # below the threshold
        visit(k1, household(f"f{i}", VILLAGE), t, notes="讨论了发展养殖业的计划和资金需求")
    visit(k1, household("full_width", VILLAGE), t, notes="ＡＢＣ合作社ｄｅｆ入股分红已到账")  # NFKC: ＡＢＣ = abc
    found = supervision.copied_notes(Window(AS_OF), SupervisionConfig())
    assert [(a.evidence["户数"], a.evidence["帮扶人数"]) for a in found] == [(5, 2)]
    assert found[0].evidence["户ID"] == sorted(hh.pk for hh in hs)
    four = supervision.copied_notes(Window(AS_OF), SupervisionConfig(copied_notes_households=4))
    assert sorted(a.evidence["户数"] for a in four) == [4, 5]


def test_bulk_entry_after_the_fact(tree):
    k = cadre("一", VILLAGE, "")
    hs = [household(f"h{i}", VILLAGE) for i in range(20)]
    entered = dt.datetime(2020, 6, 20, 10, 15, tzinfo=BJ)
    late = entered - dt.timedelta(days=7, minutes=1)
    exactly = entered - dt.timedelta(days=7)
    for i, hh in enumerate(hs):
        visit(k, hh, late - dt.timedelta(hours=i), recorded=entered + dt.timedelta(minutes=i), by="张三")
        visit(k, hh, exactly, recorded=entered, by="李四")  # exactly 7 days late: not late
        if i < 19:
            visit(k, hh, late, recorded=entered, by="王五")  # 19 late visits: below 20
        # 20 late but in two clock hours (10:59 and 11:00): no hour has 20
        hour = dt.datetime(2020, 6, 21, 10, 59, tzinfo=BJ) if i < 10 else dt.datetime(2020, 6, 21, 11, 0, tzinfo=BJ)
        visit(k, hh, late - dt.timedelta(days=1), recorded=hour + dt.timedelta(seconds=i), by="赵六")
    found = supervision.bulk_late_entry(Window(AS_OF), SupervisionConfig())
    assert [(a.evidence["录入人"], a.evidence["走访数"], a.evidence["录入时间"]) for a in found] == [
        ("张三", 20, "2020-06-20 10:00")]
    assert found[0].evidence["最长滞后天数"] == 7 + (19 * 3600 + 60 + 19 * 60) // 86400
    relaxed = supervision.bulk_late_entry(Window(AS_OF), SupervisionConfig(late_entry_visits=19))
    assert sorted(a.evidence["录入人"] for a in relaxed) == ["张三", "王五"]


def test_alerts_all_kinds_cli_and_xlsx(tree, tmp_path, capsys):
    k = cadre("一", VILLAGE, "")
    h1, h2 = household("h1", VILLAGE), household("h2", VILLAGE)
    pair(h1, k)
    t = dt.datetime(2020, 6, 29, 10, 0, tzinfo=BJ)
    visit(k, h1, t)
    visit(k, h2, t + dt.timedelta(seconds=10))
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=dt.date(2019, 1, 1))
    TeamMembership.objects.create(cadre=k, team=team, role="first_secretary", start_date=dt.date(2019, 1, 1))
    w = Window(AS_OF)
    every = supervision.alerts(w)
    assert {a.kind for a in every} == {"same_minute", "residence"}  # both households visited the day before
    residence = kinds(every, "residence")
    assert [(a.evidence["月份"], a.evidence["驻村天数"]) for a in residence] == [("2020-05", 0)]  # last full month
    with pytest.raises(ValueError, match="unknown"):
        supervision.alerts(w, kinds=["nonsense"])
    out = tmp_path / "alerts.xlsx"
    write_alerts_xlsx(every, out, actor="督查员", scope=COUNTY)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_index(0).to_python()
    assert rows[0] == ["序号", "预警类型", "区划代码", "对象", "情况说明", "证据"]
    assert len(rows) == len(every) + 1
    # The evidence in words, each field named: "户ID：…；户编号：…".
    first = every[0].evidence
    assert rows[1][5] == "；".join(f"{k}：{'、'.join(map(str, v)) if isinstance(v, list) else ('—' if v in (None, '') else v)}"
                                  for k, v in first.items())
    assert rows[1][5].startswith(f"{next(iter(first))}：")
    assert AuditEntry.objects.filter(action="supervision.export", actor="督查员").count() == 1

    call_command("supervise", "--area", PROVINCE, "--as-of", "2020-06-30", "--month", "2020-06",
                 "--xlsx", str(tmp_path / "cli.xlsx"), "--rules")
    printed = capsys.readouterr().out
    assert "⚠ 同一分钟多户走访" in printed and "✓ 多户坐标相同" in printed and "2020-06" in printed
    assert "工作队人数不足" in printed  # 1 member in 洗车村, no team elsewhere
    assert (tmp_path / "cli.xlsx").exists()


def test_users_see_only_their_areas(tree):
    k_here, k_there = cadre("龙山", VILLAGE, ""), cadre("永顺", OTHER_VILLAGE, "")
    household("h_here", VILLAGE)
    household("h_there", OTHER_VILLAGE)
    officer = User.objects.create_user("yongshun")
    AreaRole.objects.create(user=officer, area_id=OTHER_COUNTY, role="officer")
    w = supervision.window_for(PROVINCE, officer, as_of=AS_OF)
    assert [a.evidence["户编号"] for a in supervision.unvisited(w, SupervisionConfig())] == ["h_there"]
    stranger = User.objects.create_user("stranger")
    assert supervision.alerts(supervision.window_for(None, stranger, as_of=AS_OF)) == []
    del k_here, k_there


# Coverage -------------------------------------------------------------------------------------------------


@pytest.fixture
def covered(tree):
    """龙山县: poor villages 洗车村 (team of 3: complete) and 白岩村 (team of 2: not); households h1, h2 paired,
    h3 not, h4 exited (not counted); helpers c1 (staff, capacity 1 below: 2 pairs, overloaded) and c2 at the
    township (1 pair), c_county stationed at the county (no pairs), c_recalled (not serving).
    永顺县: 司城村, no team; h5 monitored, paired to c3. Totals: 3 poor villages, 2 without a complete team;
    5 households needing a helper, 1 without; 4 serving helpers, 1 overloaded."""
    c1, c2, c3 = cadre("c1", VILLAGE, "", "staff"), cadre("c2", TOWNSHIP, "", "section"), cadre("c3", OTHER_VILLAGE, "")
    cadre("c_county", COUNTY, "")
    Cadre.objects.create(name="c_recalled", unit="x", unit_kind="county", rank="staff", home_area_id=VILLAGE,
                         status="recalled")
    h1, h2, h3 = household("h1", VILLAGE), household("h2", VILLAGE2), household("h3", VILLAGE2)
    household("h4", VILLAGE, status="exited")
    h5 = household("h5", OTHER_VILLAGE, status="monitored")
    pair(h1, c1)
    pair(h2, c1)
    pair(household("h6", VILLAGE), c2)
    pair(h5, c3)
    del h3
    for village, n in ((VILLAGE, 3), (VILLAGE2, 2)):
        team = WorkTeam.objects.create(village_id=village, start_date=dt.date(2019, 1, 1))
        for i in range(n):
            TeamMembership.objects.create(cadre=cadre(f"队员{village[-3:]}{i}", village, ""), team=team, role="member",
                                          start_date=dt.date(2019, 1, 1))
    return SupervisionConfig(capacity_by_rank={"staff": 1})


def test_coverage_by_county(covered):
    report = coverage.coverage(PROVINCE, "county", config=covered, as_of=dt.date(2020, 6, 30))
    got = {r.code: (r.poor_villages, r.villages_without_team, r.needy_households, r.households_without_helper,
                    r.helpers, r.overloaded_helpers) for r in report.rows}
    # 龙山县 households: h1, h2, h3, h6 (h4 exited); helpers: c1, c2, c_county and 5 team members (serving).
    assert got == {OTHER_COUNTY: (1, 1, 1, 0, 1, 0), COUNTY: (2, 1, 4, 1, 8, 1)}
    t = report.total
    assert (t.poor_villages, t.villages_without_team, t.needy_households, t.households_without_helper,
            t.helpers, t.overloaded_helpers) == (3, 2, 5, 1, 9, 1)
    assert t.gaps == 4 and not report.all_zero


def test_coverage_by_township_shows_helpers_stationed_above(covered):
    report = coverage.coverage(COUNTY, "township", config=covered, as_of=dt.date(2020, 6, 30))
    assert [(r.code, r.helpers) for r in report.rows] == [(TOWNSHIP, 7), (COUNTY, 1)]
    assert report.rows[1].name == "龙山县（直属）"
    with pytest.raises(ValueError):
        coverage.coverage(COUNTY, "city")  # above the root
    with pytest.raises(ValueError):
        coverage.coverage("999999", "county")


def test_coverage_scoped_to_the_user_and_all_zero(covered, capsys):
    officer = User.objects.create_user("yongshun")
    AreaRole.objects.create(user=officer, area_id=OTHER_COUNTY, role="officer")
    report = coverage.coverage_for_user(officer, PROVINCE, "county", config=covered, as_of=dt.date(2020, 6, 30))
    assert [r.code for r in report.rows] == [OTHER_COUNTY]
    assert report.total.needy_households == 1 and report.total.villages_without_team == 1
    # Close the gaps in 永顺县: a full team in 司城村, and the report is all zero there.
    team = WorkTeam.objects.create(village_id=OTHER_VILLAGE, start_date=dt.date(2019, 1, 1))
    for i in range(3):
        TeamMembership.objects.create(cadre=cadre(f"永顺队员{i}", OTHER_VILLAGE, ""), team=team, role="member",
                                      start_date=dt.date(2019, 1, 1))
    report = coverage.coverage_for_user(officer, PROVINCE, "county", config=covered, as_of=dt.date(2020, 6, 30))
    assert report.all_zero and report.total.helpers == 4
    call_command("coverage", "--area", OTHER_COUNTY, "--level", "village")
    printed = capsys.readouterr().out
    assert "全部为零" in printed
    call_command("coverage", "--area", PROVINCE, "--level", "county")
    assert "⚠" in capsys.readouterr().out


def test_config_from_environment():
    c = SupervisionConfig.from_env({"JINGZHUN_TEAMS_VISIT_DAYS": "90", "JINGZHUN_TEAMS_CAPACITY_BY_RANK": "section=3, staff=4"})
    assert c.visit_days == 90 and dict(c.capacity_by_rank) == {"section": 3, "staff": 4}
    assert c.min_team_members == 3 and c.min_residence_days == 20 and c.min_term_years == 2
    assert SupervisionConfig.from_env({"JINGZHUN_TEAMS_VISIT_DAYS": "90"}, visit_days=60).visit_days == 60
    with pytest.raises(ValueError, match="JINGZHUN_TEAMS_VISIT_DAYS"):
        SupervisionConfig.from_env({"JINGZHUN_TEAMS_VISIT_DAYS": "monthly"})
    with pytest.raises(ValueError, match="min_team_members"):
        SupervisionConfig(min_team_members=0)
