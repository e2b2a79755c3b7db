"""Training: coverage of cadres in poor counties by topic and year, the gaps, hours per cadre — each against
counts worked by hand from the records below — and course rosters through the one import subsystem (all or
nothing, the row report, check mode, the area rule, audit)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from jingzhun.audit.models import AuditEntry
from jingzhun.core import blanks
from jingzhun.training import reports
from jingzhun.training.models import Course, Enrolment
from jingzhun.training.roster import NOT_HERE_CADRE, NOT_HERE_COURSE, SPEC, import_course_roster
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, PROVINCE, VILLAGE, VILLAGE2, make_areas
from tests.people_cast import cadre, officer, rich_county

pytestmark = pytest.mark.django_db


def course(code: str, topic: str, start: dt.date, area: str = COUNTY, tenths: int = 160) -> Course:
    return Course.objects.create(code=code, title=f"{code}培训班", topic=topic, kind="thematic", start_date=start,
                                 end_date=start + dt.timedelta(days=2), hours_tenths=tenths, place="县委党校",
                                 organiser="县委组织部", area_id=area)


@pytest.fixture
def world(db):
    """Five cadres. 2024: A1 completed poverty work (C1); A2 did not complete C1 but completed industry (C2);
    A3 completed C1 but is recalled; B1 completed poverty work only in 2023 (C3); R1 completed C1 but serves in
    a county that is not poor. Hand counts for the province, 2024: in poor counties 3 cadres (A1, A2, B1);
    poverty work covered 1 (A1); industry covered 1 (A2); gaps A2 and B1."""
    make_areas()
    rich = rich_county()
    people = {"A1": cadre("P-A1", "甲一"), "A2": cadre("P-A2", "甲二", VILLAGE2),
              "A3": cadre("P-A3", "甲三", status="recalled"), "B1": cadre("P-B1", "乙一", OTHER_VILLAGE),
              "R1": cadre("P-R1", "富一", rich)}
    c1 = course("C1", "poverty_work", dt.date(2024, 4, 1), area=PROVINCE)
    c2 = course("C2", "industry", dt.date(2024, 6, 1))
    c3 = course("C3", "poverty_work", dt.date(2023, 9, 1), area=OTHER_COUNTY)
    for who, which, status, tenths in [("A1", c1, "completed", 160), ("A2", c1, "incomplete", 85),
                                       ("A2", c2, "completed", 160), ("A3", c1, "completed", 160),
                                       ("B1", c3, "completed", 120), ("R1", c1, "completed", 160)]:
        Enrolment.objects.create(course=which, cadre=people[who], status=status, attended_tenths=tenths)
    return people


def test_coverage_by_topic_and_year_equals_the_hand_count(world):
    root = officer("prov", PROVINCE)
    got = {c.topic: (c.cadres, c.covered) for c in reports.coverage(root, None, 2024)}
    assert got["poverty_work"] == (3, 1) and got["industry"] == (3, 1) and got["health"] == (3, 0)
    assert {c.topic: c.covered for c in reports.coverage(root, None, 2023)}["poverty_work"] == 1
    county_a = officer("county_a", COUNTY)
    got = {c.topic: (c.cadres, c.covered) for c in reports.coverage(county_a, None, 2024)}
    assert got["poverty_work"] == (2, 1) and got["industry"] == (2, 1)
    assert reports.training_coverage(root, PROVINCE, 2024) == {"cadres": 3, "covered": 1, "share": 1 / 3, "gaps": 2}
    assert reports.training_coverage(county_a, OTHER_COUNTY, 2024) == {"cadres": 0, "covered": 0, "share": None,
                                                                       "gaps": 0}


def test_the_gaps_are_who_in_a_poor_county_had_no_poverty_work_training_this_year(world):
    assert [c.name for c in reports.gaps(officer("prov", PROVINCE), None, 2024)] == ["乙一", "甲二"]  # by area code
    assert [c.name for c in reports.gaps(officer("county_b", OTHER_COUNTY), None, 2023)] == []
    assert [c.name for c in reports.gaps(officer("county_a", COUNTY), None, 2024)] == ["甲二"]


def test_hours_per_cadre_per_year(world):
    got = {r["cadre__name"]: (r["tenths"], r["courses"]) for r in reports.hours(officer("p", PROVINCE), None, 2024)}
    assert got == {"甲一": (160, 1), "甲二": (245, 2), "甲三": (160, 1), "富一": (160, 1)}
    assert {r["cadre__name"] for r in reports.hours(officer("b", OTHER_COUNTY), None, 2024)} == set()


# --- the course roster import -------------------------------------------------------------------------


def write(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header or SPEC.headers)
        out.writerows(rows)
    return path


@pytest.fixture
def roster(db):
    make_areas()
    people = {"A1": cadre("P-A1", "甲一"), "A2": cadre("P-A2", "甲二", VILLAGE2), "B1": cadre("P-B1", "乙一", OTHER_VILLAGE),
              "A4": cadre("P-A4", "甲四")}
    course("K1", "poverty_work", dt.date(2024, 4, 1))
    course("K2", "ecommerce", dt.date(2024, 5, 1), area=OTHER_COUNTY)
    return people


def test_a_clean_roster_imports_and_reimporting_changes_nothing(roster, tmp_path):
    user = officer("county_a", COUNTY)
    path = write(tmp_path / "名册.csv", [["K1", "P-A1", "甲一", "已结业", "16"], ["K1", "P-A2", "甲二", "", "8.5"]])
    outcome = import_course_roster(path, actor="county_a", user=user)
    assert outcome.ok and outcome.counts() == {"inserted": 2, "updated": 0, "unchanged": 0}
    got = dict(Enrolment.objects.values_list("cadre__name", "attended_tenths"))
    assert got == {"甲一": 160, "甲二": 85}
    assert Enrolment.objects.get(cadre__name="甲二").status == "enrolled"
    entry = AuditEntry.objects.get(action="course_roster.import")
    assert set(entry.areas.values_list("code", flat=True)) == {VILLAGE, VILLAGE2}
    again = import_course_roster(path, actor="county_a", user=user)
    assert again.counts() == {"inserted": 0, "updated": 0, "unchanged": 2}
    assert AuditEntry.objects.filter(action="course_roster.import").count() == 1
    # An empty cell keeps what is stored; a filled one updates.
    write(path, [["K1", "P-A2", "甲二", "已结业", ""]])
    assert import_course_roster(path, actor="county_a", user=user).counts()["updated"] == 1
    assert Enrolment.objects.filter(cadre__name="甲二").values_list("status", "attended_tenths")[0] == ("completed", 85)


def test_one_bad_row_writes_nothing_and_every_problem_is_reported(roster, tmp_path):
    user = officer("county_a", COUNTY)
    path = write(tmp_path / "bad.csv", [
        ["K1", "P-A1", "甲一", "已结业", "16"],  # good
        ["K1", "P-A2", "王五", "", ""],  # the name does not match
        ["K1", "P-B1", "乙一", "", ""],  # a cadre of another county
        ["K2", "P-A1", "甲一", "", ""],  # a course of another county
        ["K1", "P-A1", "甲一", "", "1"],  # twice
        ["K1", "P-A2", "甲二", "毕业", "16.1"],  # an unknown status and more hours than the course
        ["NOPE", "P-ZZ", "无名", "", ""],  # neither exists
        ["K1", "P-A4", "甲四", "已结业", "16"],  # good
    ])
    outcome = import_course_roster(path, actor="county_a", user=user)
    assert not outcome.imported and not Enrolment.objects.exists()
    got = {(p.row, p.column, p.rule.split(" / ")[0]) for p in outcome.problems}
    assert got == {
        (3, "姓名", "姓名与人员编号不符"), (4, "人员编号", NOT_HERE_CADRE.split(" / ")[0]),
        (5, "班次编号", NOT_HERE_COURSE.split(" / ")[0]), (6, "人员编号", "与第2行重复（同班同人）"),
        (7, "状态", "应为：已报名、已结业、未结业、缺席"), (8, "班次编号", NOT_HERE_COURSE.split(" / ")[0]),
        (8, "人员编号", NOT_HERE_CADRE.split(" / ")[0])}
    # Another county's course and cadre get the same words as ones that do not exist: no oracle.
    assert {p.rule for p in outcome.problems if p.row in (4, 8) and p.column == "人员编号"} == {NOT_HERE_CADRE}
    valid = import_course_roster(path, actor="county_a", user=user, mode="valid")
    # Valid only: (K1, 甲一) is repeated on row 6, so which row holds is unknown and neither lands.
    assert valid.imported and list(Enrolment.objects.values_list("cadre__name", flat=True)) == ["甲四"]


def test_more_hours_than_the_course_is_refused(roster, tmp_path):
    path = write(tmp_path / "h.csv", [["K1", "P-A1", "甲一", "", "16.5"]])
    outcome = import_course_roster(path, actor="x", user=officer("county_a", COUNTY))
    assert [(p.column, p.rule.split(" / ")[0]) for p in outcome.problems] == [("出勤学时", "超过培训班学时 16")]


def test_a_check_writes_nothing_and_is_audited(roster, tmp_path):
    path = write(tmp_path / "c.csv", [["K1", "P-A1", "甲一", "已结业", "16"]])
    outcome = import_course_roster(path, actor="county_a", user=officer("county_a", COUNTY), mode="check")
    assert outcome.counts()["inserted"] == 1 and not Enrolment.objects.exists()
    entry = AuditEntry.objects.get(action="course_roster.check")
    assert list(entry.areas.values_list("code", flat=True)) == [VILLAGE]


def test_the_other_countys_officer_imports_their_own(roster, tmp_path):
    path = write(tmp_path / "b.csv", [["K2", "P-B1", "乙一", "已结业", "12"]])
    assert import_course_roster(path, actor="b", user=officer("county_b", OTHER_COUNTY)).imported
    refused = import_course_roster(path, actor="a", user=officer("county_a2", COUNTY))
    assert not refused.imported and len(refused.problems) == 2


def test_the_blank_template_and_the_command(roster, tmp_path):
    blank = blanks.write("course_roster", tmp_path / "名册.xlsx")
    assert CalamineWorkbook.from_path(str(blank)).get_sheet_by_index(0).to_python()[0] == SPEC.headers
    officer("county_b", OTHER_COUNTY)
    path = write(tmp_path / "a.csv", [["K1", "P-A1", "甲一", "已结业", "16"]])
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_course_roster", str(path), "--user", "county_b", stdout=io.StringIO(),
                     stderr=io.StringIO())
    out = io.StringIO()
    call_command("import_course_roster", str(path), stdout=out)
    assert "inserted 1" in out.getvalue() and Enrolment.objects.count() == 1
