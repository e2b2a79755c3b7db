"""Scoring runs, scheme uploads, service history, the promotion shortlist, accountability flags and decisions, on
the hand-built register of tests/test_assessment_indicators.py. Every expected figure is worked out by hand in
the comments from that register's hand-counted values (its HAND table), never read back from the application."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from jingzhun.areas.models import AreaRole
from jingzhun.assessment import decisions, flags, scheme_store, schemes, scoring_runs, shortlist, signoff, snapshots
from jingzhun.assessment.models import Decision, SchemeFile, ScoreResult
from jingzhun.audit.models import AuditEntry
from jingzhun.teams.models import AlertNote, Cadre, TeamMembership, WorkTeam
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2
from tests.test_assessment_indicators import TODAY, local, register  # noqa: F401 -- the fixture

VILLAGE_SCHEME = """
name_zh = "村级测试方案"
name_en = "Village test scheme"
unit = "village"
year = 2020
total = 100

[[indicators]]
code = "poverty_incidence"
weight = 40
rule = "rank"

[[indicators]]
code = "helper_coverage"
weight = 30
rule = "threshold"
target = 1

[[indicators]]
code = "visits_per_household"
weight = 30
rule = "target"
target = 2

[[deductions]]
kind = "fabricated_visits"
name_zh = "虚假走访"
name_en = "fabricated visits"
points = 10
cap = 15

[[deductions]]
kind = "residence_below_rule"
name_zh = "驻村时间不足"
name_en = "residence below the rule"
points = 1
cap = 5

[[grades]]
name_zh = "甲"
name_en = "A"
minimum = 50

[[grades]]
name_zh = "乙"
name_en = "B"
minimum = 20

[[grades]]
name_zh = "丙"
name_en = "C"
minimum = 0
"""


def officer(name: str, area: str, role: str = "officer") -> User:
    user = User.objects.create_user(name)
    AreaRole.objects.create(user=user, area_id=area, role=role)
    return User.objects.get(pk=user.pk)


def note(kind: str, area: str, subject: str, when: dt.datetime) -> AlertNote:
    row = AlertNote.objects.create(key=f"k{AlertNote.objects.count()}", kind=kind, area=area, subject=subject,
                                   note="查实", handled_by="t")
    AlertNote.objects.filter(pk=row.pk).update(handled_at=when)
    return row


@pytest.fixture
def computed(register):  # noqa: F811 -- the fixture imported above
    snapshots.compute(2020, engine="duckdb", today=TODAY)
    c1 = register["c1"]
    note("same_minute", VILLAGE, f"帮扶人编号 {c1.pk}", local(2020, 4, 1, 9))  # confirmed: c1, VILLAGE, its team
    note("unvisited", VILLAGE2, "户 H4", local(2020, 4, 1, 9))  # handled, but not a fabrication
    note("copied_notes", VILLAGE, "记录“同”", local(2021, 2, 1, 9))  # handled in 2021: not 2020's
    return register


def upload(user: User, text: str, name: str = "方案.toml") -> SchemeFile:
    return scheme_store.upload(user, name, text.encode(), actor=user.username)


def test_a_scoring_run_equals_the_hand_worked_example(computed):
    county = officer("county", COUNTY)
    province = officer("province", "430000000000")
    row = upload(province, VILLAGE_SCHEME)
    run = scoring_runs.run(f"upload:{row.pk}", 2020, user=province, actor="province")
    got = {r.unit: r for r in ScoreResult.objects.filter(run=run)}
    # Hand values (2020): incidence 洗车 0.04, 白岩 1.0, 司城 0.0 → rank points 20, 0, 40.
    # helper coverage 1.0, 0.0, none → 30, 0, 0 (missing); visits 1.5, 1.0, none → 30×1.5/2 = 22.5, 15, 0.
    # 洗车: one confirmed fabricated visit (10) and 36 − 1 = 35 member-months below the rule (1 each, cap 5).
    assert got[VILLAGE].points == {"poverty_incidence": 20.0, "helper_coverage": 30.0, "visits_per_household": 22.5}
    assert got[VILLAGE].deductions == {"fabricated_visits": 1, "residence_below_rule": 35}
    assert (got[VILLAGE].deducted, got[VILLAGE].total, got[VILLAGE].rank, got[VILLAGE].grade) == (15, 57.5, 1, "甲")
    assert (got[OTHER_VILLAGE].total, got[OTHER_VILLAGE].rank, got[OTHER_VILLAGE].grade) == (40, 2, "乙")
    assert got[OTHER_VILLAGE].missing == ["helper_coverage", "visits_per_household"]
    assert (got[VILLAGE2].total, got[VILLAGE2].rank, got[VILLAGE2].grade) == (15, 3, "丙")
    assert AuditEntry.objects.filter(action="assessment.score", object_id=str(run.pk)).exists()
    # The county officer sees their villages' rows only, ranked among the province's three.
    assert {r.unit for r in scoring_runs.results(run, county)} == {VILLAGE, VILLAGE2}
    # The county cannot score the province, nor use a scheme of no area of theirs.
    with pytest.raises(LookupError):
        scoring_runs.run(f"upload:{row.pk}", 2020, "430000000000", user=county)
    own = upload(officer("other", OTHER_COUNTY), VILLAGE_SCHEME)
    with pytest.raises(LookupError):
        scoring_runs.run(f"upload:{own.pk}", 2020, user=county)


def test_the_shipped_work_team_scheme_scores_the_team_by_hand(computed):
    run = scoring_runs.run("file:work-team.toml", 2020, actor="t")
    (r,) = ScoreResult.objects.filter(run=run)
    # residence 30×(1/36); visits 20×1.5/12; alerts (lower, 5) 15×5/1800; plans 15×0.5; measures 10×(1/3)/0.9;
    # helper coverage threshold 1.0 → 10. Deductions: 35 member-months × 5 → cap 20, one fabricated visit 5.
    points = 30 / 36 + 2.5 + 15 * 5 / 1800 + 7.5 + 10 / 3 / 0.9 + 10
    assert sum(r.points.values()) == pytest.approx(points)
    assert r.deducted == 25 and r.total == 0 and r.grade == "不称职"  # never below 0


def test_a_frozen_sign_off_is_scored_at_its_version(computed):
    town, county = officer("town", TOWNSHIP), officer("county", COUNTY)
    signoff.submit(town, TOWNSHIP, 2020)
    signoff.approve(county, TOWNSHIP, 2020, "county")
    Cadre.objects.filter(name="丁").update(status="recalled")  # any change: a second version
    snapshots.compute(2020, engine="duckdb", today=TODAY)
    run = scoring_runs.run("file:county-leadership-2016.toml", 2020, actor="t")
    assert run.versions == {"latest": 2, "frozen": {}}  # counties lie above any township's sign-off
    row = upload(officer("p", "430000000000"), VILLAGE_SCHEME)
    run = scoring_runs.run(f"upload:{row.pk}", 2020, actor="t")
    got = {r.unit: (r.version, r.frozen) for r in ScoreResult.objects.filter(run=run)}
    assert got == {VILLAGE: (1, True), VILLAGE2: (1, True), OTHER_VILLAGE: (2, False)}
    assert run.versions == {"latest": 2, "frozen": {TOWNSHIP: 1}}


def test_scheme_upload_good_and_bad(computed):
    county = officer("county", COUNTY)
    row = upload(county, VILLAGE_SCHEME)
    assert row.area_code == COUNTY and row.unit_type == "village"
    assert AuditEntry.objects.filter(action="assessment.scheme.upload", object_id=str(row.pk)).exists()
    assert [s.ref for s in scheme_store.available(county)][-1] == f"upload:{row.pk}"
    bad = VILLAGE_SCHEME.replace('code = "helper_coverage"', 'code = "team_size"').replace("weight = 40", "weight = 41")
    with pytest.raises(schemes.SchemeError) as caught:
        upload(county, bad, "坏.toml")
    keys = {p.key for p in caught.value.problems}
    assert keys == {"indicators"}  # the weights (101) are checked first: no scheme, every problem of that pass
    bad = VILLAGE_SCHEME.replace('code = "helper_coverage"', 'code = "team_size"')
    with pytest.raises(schemes.SchemeError) as caught:
        upload(county, bad, "坏.toml")
    assert [p.key for p in caught.value.problems] == ["indicators[2].code"]
    assert "坏.toml" in str(caught.value) and "team_size" in str(caught.value)
    with pytest.raises(schemes.SchemeError, match="UTF-8"):
        scheme_store.upload(county, "x.toml", "name_zh = '甲'".encode("gbk"), actor="county")
    assert SchemeFile.objects.count() == 1


def test_service_history_and_the_shortlist_equal_the_hand_count(computed, settings):
    team = computed["team"]
    today = dt.date(2021, 6, 1)
    # c1: team member since 2019-01-01 and paired from 2019-01-01 (overlapping), both open: 2019-01-01 up to
    # 2021-06-01 = 365 + 366 + 151 days; 乙 paired 2019-01-01 .. 2020-06-30 (end day not counted) = 365 + 181.
    hist = {h.cadre.name: h for h in shortlist.histories(None, today=today)}
    assert hist["甲"].days == 882 and hist["乙"].days == 546
    # Overlaps once, an open period up to today, a period ending before it starts counts nothing: 1–20 January.
    assert shortlist.frontline_days([(dt.date(2020, 1, 1), dt.date(2020, 1, 10)), (dt.date(2020, 1, 5), None),
                                     (dt.date(2020, 3, 1), dt.date(2020, 2, 1))], dt.date(2020, 1, 20)) == 19
    # The shipped helper scheme with one grade everyone reaches (优秀 ≥ 0, no share cap): 甲 is 优秀 in 2020.
    text = (schemes.SCHEMES_DIR / "helper.toml").read_text(encoding="utf-8").split("[[grades]]")[0]
    text = text.replace("excellent_share = 0.15\n", "") + '[[grades]]\nname_zh = "优秀"\nname_en = "excellent"\nminimum = 0\n'
    row = upload(officer("p", "430000000000"), text)
    scoring_runs.run(f"upload:{row.pk}", 2020, actor="t")
    settings.ASSESSMENT_SHORTLIST_YEARS = 2
    names = {h.cadre.name for h in shortlist.shortlist(None, today=today)}
    # 甲 2.41 years and 优秀 in 2020; 乙 1.49 years (not enough); 丙, 丁 team members 2.4 years but never scored
    # (their team was not scored): not shortlisted.
    assert names == {"甲"}
    assert shortlist.cadre_grades([computed["c1"].pk, computed["c2"].pk], 2020) == {
        computed["c1"].pk: "优秀", computed["c2"].pk: "优秀"}
    scoring_runs.run("file:work-team.toml", 2020, actor="t")  # the team: 不称职 in 2020 → 甲 not sustained
    assert {h.cadre.name for h in shortlist.shortlist(None, today=today)} == set()
    assert not TeamMembership.objects.filter(team=team, end_date__isnull=False).exists()


def test_flags_equal_the_hand_count(computed):
    row = upload(officer("p", "430000000000"), VILLAGE_SCHEME)
    scoring_runs.run(f"upload:{row.pk}", 2020, actor="t")
    scoring_runs.run("file:work-team.toml", 2020, actor="t")
    found = {(f.run.unit_type, f.result.unit): f.reasons for f in flags.flags(2020, None)}
    team = str(WorkTeam.objects.get().pk)
    # 白岩 graded 丙 (lowest); 洗车 a confirmed fabricated visit and 35 member-months below the rule; the team
    # 不称职 with the same two violations; 司城 nothing.
    assert found == {("village", VILLAGE2): ("lowest_grade",),
                     ("village", VILLAGE): ("fabricated_visits", "residence_below_rule"),
                     ("work_team", team): ("lowest_grade", "fabricated_visits", "residence_below_rule")}
    county_b = officer("b", OTHER_COUNTY)
    assert flags.flags(2020, county_b) == []


def test_decisions_need_a_reason_and_stay_in_the_users_areas(computed):
    county, other = officer("county", COUNTY), officer("other", OTHER_COUNTY)
    c1 = computed["c1"]
    with pytest.raises(decisions.DecisionError, match="reason"):
        decisions.decide(county, subject="flag", unit_type="village", unit=VILLAGE, year=2020, decision="talk",
                         reason="   ", actor="county")
    with pytest.raises(decisions.DecisionError, match="decision must be"):
        decisions.decide(county, subject="flag", unit_type="village", unit=VILLAGE, year=2020, decision="fire",
                         reason="x", actor="county")
    for unit_type, unit in (("village", VILLAGE), ("cadre", str(c1.pk)), ("county", COUNTY)):
        with pytest.raises(decisions.NotFound):
            decisions.decide(other, subject="flag", unit_type=unit_type, unit=unit, year=2020, decision="talk",
                             reason="越权", actor="other")
    with pytest.raises(decisions.NotFound):
        decisions.decide(county, subject="flag", unit_type="village", unit=OTHER_VILLAGE, year=2020,
                         decision="accountable", reason="越权", actor="county")
    assert Decision.objects.count() == 0
    d = decisions.decide(county, subject="shortlist", unit_type="cadre", unit=str(c1.pk), year=2020,
                         decision="promote", reason="三年驻村，考核优秀", on=dt.date(2021, 3, 1), actor="county")
    assert (d.area_code, d.decided_by, d.decided_on) == (TOWNSHIP, "county", dt.date(2021, 3, 1))
    entry = AuditEntry.objects.get(action="assessment.decide")
    assert entry.area == TOWNSHIP and entry.detail["reason"] == "三年驻村，考核优秀"
    assert list(decisions.visible(other)) == [] and list(decisions.visible(county)) == [d]


def test_the_command_scores_and_lists_the_shortlist_and_the_flags(computed, capsys):
    from django.core.management import call_command

    call_command("assess", "score", "--scheme", "file:work-team.toml", "--year", "2020")
    out = capsys.readouterr().out
    team = WorkTeam.objects.get().pk
    assert f"1\t{team}\t0.00\t不称职" in out
    call_command("assess", "flags", "--year", "2020")
    assert f"work_team\t{team}\t0.00\t不称职\tlowest_grade, fabricated_visits, residence_below_rule" in \
        capsys.readouterr().out
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="no scheme"):
        call_command("assess", "score", "--scheme", "file:none.toml", "--year", "2020")


def test_the_demo_scores_its_years_and_decides_on_flags(register):  # noqa: F811 -- the fixture
    from jingzhun.demo import assessment_decisions

    done = assessment_decisions.run(TODAY)
    # No computed years yet: the register's last income year (2020) and the year of the work (2021).
    assert done["years"] == [2020, 2021]
    assert done["decisions"] >= 1 and Decision.objects.count() == done["decisions"]
    assert all(d.reason and d.subject in ("shortlist", "flag") for d in Decision.objects.all())
    assert {r.unit_type for r in scoring_runs.visible_runs(None)} == {"county", "work_team", "cadre"}
