"""Work-team rules (jingzhun/teams/rules.py) on hand-worked cases, boundaries included: exactly 3 members,
a term of exactly 2 years (and from 29 February), exactly 20 days in a month; and the database constraints
on how a membership ends.

Areas (tests/factories.py): 龙山县 433130 with poor villages 洗车村 …201 and 白岩村 …202; 永顺县 433127 with
poor village 司城村 433127102203.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from jingzhun.areas.models import code_range
from jingzhun.teams import rules
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.models import Attendance, Cadre, TeamMembership, WorkTeam
from tests.factories import COUNTY, OTHER_VILLAGE, VILLAGE, VILLAGE2, make_areas

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def tree(db):
    make_areas()


def cadre(name: str, area: str = VILLAGE, status: str = "serving") -> Cadre:
    return Cadre.objects.create(name=name, unit="省农业农村厅", unit_kind="provincial", rank="staff", skills="",
                                home_area_id=area, status=status)


def member(team: WorkTeam, name: str, start: dt.date, end: dt.date | None = None, kind: str = "",
           role: str = "member", reason: str = "", status: str = "serving") -> TeamMembership:
    if end is not None and not kind:
        kind = "term_end"
    return TeamMembership.objects.create(cadre=cadre(name, team.village_id, status), team=team, role=role,
                                         start_date=start, end_date=end, end_kind=kind, recall_reason=reason)


def test_team_size_boundaries(tree):
    as_of = D(2020, 6, 15)
    t1 = WorkTeam.objects.create(village_id=VILLAGE, start_date=D(2019, 1, 1))
    for name in ("甲", "乙", "丙"):  # exactly 3: no finding
        member(t1, name, D(2019, 1, 1))
    t2 = WorkTeam.objects.create(village_id=VILLAGE2, start_date=D(2019, 1, 1))
    a = member(t2, "丁", D(2019, 1, 1))
    b = member(t2, "戊", D(2019, 1, 1), D(2020, 6, 15))  # leaves on the day checked: still counted that day
    member(t2, "己", D(2019, 1, 1), D(2020, 6, 14))  # left the day before: not counted
    member(t2, "庚", D(2020, 6, 16))  # not yet arrived
    found = {f.village: f for f in rules.team_size(as_of)}
    assert set(found) == {VILLAGE2, OTHER_VILLAGE}  # 司城村 has no team at all
    assert found[VILLAGE2].evidence["在岗队员数"] == 2
    assert found[VILLAGE2].evidence["队员干部编号"] == sorted([a.cadre_id, b.cadre_id])
    assert found[OTHER_VILLAGE].evidence["在岗队员数"] == 0 and found[OTHER_VILLAGE].evidence["工作队编号"] == []
    # Scoped to 龙山县 only; and a configured minimum of 2 clears 白岩村.
    assert [f.village for f in rules.team_size(as_of, code_range(COUNTY, "county"))] == [VILLAGE2]
    assert [f.village for f in rules.team_size(as_of, config=SupervisionConfig(min_team_members=2))] == [OTHER_VILLAGE]
    assert rules.team_size(as_of, ranges=[]) == []  # a user with no areas sees nothing


def test_a_recalled_cadre_with_an_open_membership_does_not_count(tree):
    t1 = WorkTeam.objects.create(village_id=VILLAGE, start_date=D(2019, 1, 1))
    for name in ("甲", "乙"):
        member(t1, name, D(2019, 1, 1))
    member(t1, "丙", D(2019, 1, 1), status="recalled")
    found = {f.village: f for f in rules.team_size(D(2020, 1, 1), code_range(VILLAGE, "village"))}
    assert found[VILLAGE].evidence["在岗队员数"] == 2


def test_term_boundaries(tree):
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=D(2019, 1, 1))
    member(team, "满两年", D(2019, 3, 1), D(2021, 3, 1))  # exactly 2 years: fine
    short = member(team, "差一天", D(2019, 3, 1), D(2021, 2, 28))
    leap_short = member(team, "闰日起", D(2020, 2, 29), D(2022, 2, 28))  # 2022-02-29 does not exist: 03-01 is due
    member(team, "闰日满", D(2020, 2, 29), D(2022, 3, 1))
    member(team, "召回", D(2020, 1, 1), D(2020, 6, 1), kind="recalled", reason="身体原因")  # judged by the recall rule
    member(team, "在任", D(2020, 1, 1))
    other = member(team, "其他调整", D(2020, 1, 1), D(2020, 12, 31), kind="other")
    found = {f.evidence["成员记录编号"]: f for f in rules.term()}
    assert set(found) == {short.pk, leap_short.pk, other.pk}
    assert found[short.pk].evidence["天数"] == 730  # 2019-03-01 → 2021-02-28
    assert found[leap_short.pk].evidence["天数"] == 730
    assert found[other.pk].evidence["离队类型"] == "其他调整"
    assert {f.evidence["成员记录编号"] for f in rules.term(config=SupervisionConfig(min_term_years=1))} == {other.pk}


def test_recall_needs_a_replacement_in_the_same_team(tree):
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=D(2019, 1, 1))
    other_team = WorkTeam.objects.create(village_id=VILLAGE2, start_date=D(2019, 1, 1))
    successor = member(team, "接替", D(2020, 6, 1))
    elsewhere = member(other_team, "别队", D(2020, 6, 1))
    ok = member(team, "已接替", D(2019, 1, 1), D(2020, 6, 1), kind="recalled", reason="工作调动")
    ok.replaced_by = successor
    ok.save()
    missing = member(team, "无人接替", D(2019, 1, 1), D(2020, 6, 1), kind="recalled", reason="违反纪律")
    wrong = member(team, "接替错队", D(2019, 1, 1), D(2020, 6, 1), kind="recalled", reason="身体原因")
    wrong.replaced_by = elsewhere
    wrong.save()
    found = {f.evidence["成员记录编号"]: f for f in rules.recall()}
    assert set(found) == {missing.pk, wrong.pk}
    assert found[missing.pk].evidence["召回原因"] == "违反纪律"
    assert found[wrong.pk].evidence["接替成员记录编号"] == elsewhere.pk


def test_how_a_membership_ends_is_a_database_constraint(tree):
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=D(2019, 1, 1))
    k = cadre("某")
    bad = [
        {"end_date": D(2020, 1, 1), "end_kind": "recalled", "recall_reason": ""},  # a recall without its reason
        {"end_date": D(2020, 1, 1), "end_kind": ""},  # ended without saying how
        {"end_date": None, "end_kind": "term_end"},  # "ended" but still open
        {"end_date": D(2020, 1, 1), "end_kind": "fired"},  # unknown kind
        {"end_date": D(2018, 1, 1), "end_kind": "term_end"},  # ends before it starts
    ]
    for fields in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            TeamMembership.objects.create(cadre=k, team=team, role="member", start_date=D(2019, 1, 1), **fields)
    m = TeamMembership.objects.create(cadre=k, team=team, role="member", start_date=D(2019, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        TeamMembership.objects.filter(pk=m.pk).update(replaced_by=m)  # replaced by itself


def attend(k: Cadre, village: str, days: list[dt.date]) -> None:
    Attendance.objects.bulk_create([
        Attendance(cadre=k, village_id=village, date=d, method="app", recorded_at=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
                   entered_by="考勤员") for d in days])


def test_residence_counts_attendance_per_full_month(tree):
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=D(2019, 1, 1))
    m = member(team, "驻村", D(2020, 1, 1))
    attend(m.cadre, VILLAGE, [D(2020, 1, d) for d in range(1, 21)])  # January: exactly 20 — fine
    attend(m.cadre, VILLAGE, [D(2020, 2, d) for d in range(1, 20)])  # February: 19 here …
    attend(m.cadre, VILLAGE2, [D(2020, 2, d) for d in range(20, 23)])  # … and 3 in another village
    # March: nothing at all.
    late = member(team, "月中到岗", D(2020, 1, 15))  # January is partial: not judged; February and March are
    leaving = member(team, "月中离岗", D(2019, 6, 1), D(2020, 3, 20))  # March is partial: not judged
    attend(leaving.cadre, VILLAGE, [D(2020, 2, d) for d in range(1, 29)] + [D(2020, 1, d) for d in range(1, 32)])
    found = [(f.evidence["干部编号"], f.evidence["月份"], f.evidence["驻村天数"], f.evidence["在其他村考勤天数"])
             for f in rules.residence(D(2020, 1, 1), D(2020, 3, 1))]
    assert sorted(found) == sorted([
        (m.cadre_id, "2020-02", 19, 3), (m.cadre_id, "2020-03", 0, 0),
        (late.cadre_id, "2020-02", 0, 0), (late.cadre_id, "2020-03", 0, 0),
    ])
    assert [f.evidence["月份"] for f in rules.residence(D(2020, 1, 1), D(2020, 3, 1),
                                                      config=SupervisionConfig(min_residence_days=19))
            if f.evidence["干部编号"] == m.cadre_id] == ["2020-03"]
    assert rules.residence(D(2020, 1, 1), D(2020, 3, 1), code_range(OTHER_VILLAGE, "village")) == []


def test_months_between_crosses_years():
    assert rules.months_between(D(2019, 11, 20), D(2020, 2, 3)) == [
        (D(2019, 11, 1), D(2019, 11, 30)), (D(2019, 12, 1), D(2019, 12, 31)), (D(2020, 1, 1), D(2020, 1, 31)),
        (D(2020, 2, 1), D(2020, 2, 29))]
