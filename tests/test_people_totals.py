"""The people pages' per-county totals (training coverage, party-branch ratings) equal a fresh count after every
writer that changes what they count — course roster import, cadre roster import, branch roster import, rating
and re-rating — checked against a second, plain count in Python over every row and against hand counts; the
pages read the totals (a row written behind the writers' back shows only after `rebuild_people_totals`); before
the totals were ever counted, the figures are counted live."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command

from jingzhun.areas.models import Area
from jingzhun.branches import service
from jingzhun.branches.models import Branch, BranchTotal, Rating, RatingTotal
from jingzhun.branches.roster import import_branch_roster
from jingzhun.organisation import people
from jingzhun.teams.models import Cadre
from jingzhun.teams.roster_import import HEADERS, import_roster
from jingzhun.training import reports, totals
from jingzhun.training.models import CadreTotal, Course, CoverageTotal, Enrolment
from jingzhun.training.roster import SPEC, import_course_roster
from tests.factories import CITY, COUNTY, OTHER_COUNTY, OTHER_VILLAGE, PROVINCE, TOWNSHIP, VILLAGE, VILLAGE2, make_areas
from tests.people_cast import cadre, officer, rich_county

pytestmark = pytest.mark.django_db
YEAR = 2024


def plain_training() -> tuple[dict[str, int], dict[tuple[str, int, str], int]]:
    """Serving cadres per county and distinct covered cadres per (county, year, topic), by a loop over every row."""
    counties = {a.code[:6] for a in Area.objects.filter(level="county")}
    home = {c.pk: c.home_area_id[:6] for c in Cadre.objects.all() if c.status == "serving"}
    serving = Counter(county for county in home.values() if county in counties)
    covered: dict[tuple[str, int, str], set[int]] = {}
    for e in Enrolment.objects.select_related("course"):
        if e.status == "completed" and e.cadre_id in home and home[e.cadre_id] in counties:
            covered.setdefault((home[e.cadre_id], e.course.start_date.year, e.course.topic), set()).add(e.cadre_id)
    return dict(serving), {k: len(v) for k, v in covered.items()}


def stored_training() -> tuple[dict[str, int], dict[tuple[str, int, str], int]]:
    serving = {t.county_id[:6]: t.serving for t in CadreTotal.objects.all() if t.serving}
    return serving, {(t.county_id[:6], t.year, t.topic): t.covered for t in CoverageTotal.objects.all()}


def plain_branches() -> tuple[dict[str, int], dict[tuple[str, int], tuple[int, int, int]]]:
    counts = Counter(b.village_id[:6] for b in Branch.objects.all())
    rated: dict[tuple[str, int], list[int]] = {}
    for r in Rating.objects.select_related("branch"):
        row = rated.setdefault((r.branch.village_id[:6], r.year), [0, 0, 0])
        row[0] += 1
        row[1] += r.rating == "weak"
        row[2] += r.rating == "weak" and r.rerating != "rectified"
    return dict(counts), {k: (a, b, c) for k, (a, b, c) in rated.items()}


def stored_branches() -> tuple[dict[str, int], dict[tuple[str, int], tuple[int, int, int]]]:
    counts = {t.county_id[:6]: t.branches for t in BranchTotal.objects.all() if t.branches}
    return counts, {(t.county_id[:6], t.year): (t.rated, t.weak, t.unrectified) for t in RatingTotal.objects.all()}


def course(code: str, topic: str, area: str = COUNTY) -> Course:
    start = dt.date(YEAR, 4, 1)
    return Course.objects.create(code=code, title=code, topic=topic, kind="thematic", start_date=start, end_date=start,
                                 hours_tenths=160, place="党校", organiser="组织部", area_id=area)


def write(path: Path, headers: list[str] | tuple[str, ...], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(headers)
        out.writerows(rows)
    return path


def poverty(user: object, code: str) -> tuple[int, int]:
    found = {c.topic: c for c in reports.coverage(user, code, YEAR)}["poverty_work"]
    return found.cadres, found.covered


@pytest.fixture
def world(db):
    """Cadres A1, A2 (龙山县, poor), B1 (永顺县, poor), R1 (吉首市, not poor); courses K1 (poverty work, 龙山县),
    K2 (poverty work, 永顺县), K3 (industry, 龙山县). The totals are counted once before each test's writes."""
    make_areas()
    rich = rich_county()
    made = {"A1": cadre("P-A1", "甲一"), "A2": cadre("P-A2", "甲二", VILLAGE2), "B1": cadre("P-B1", "乙一", OTHER_VILLAGE),
            "R1": cadre("P-R1", "富一", rich)}
    course("K1", "poverty_work")
    course("K2", "poverty_work", OTHER_COUNTY)
    course("K3", "industry")
    totals.recount_all()
    return made


def test_the_course_roster_import_recounts_its_counties(world, tmp_path):
    root = officer("prov", PROVINCE)
    assert poverty(root, PROVINCE) == (3, 0)
    path = write(tmp_path / "k1.csv", SPEC.headers, [["K1", "P-A1", "甲一", "已结业", "16"],
                                                     ["K1", "P-A2", "甲二", "未结业", "8"],
                                                     ["K3", "P-A2", "甲二", "已结业", "16"]])
    assert import_course_roster(path, actor="a", user=officer("county_a", COUNTY)).imported
    assert stored_training() == plain_training()
    # By hand: three serving cadres in the two poor counties; A1 completed poverty work; A2 industry only.
    assert poverty(root, PROVINCE) == (3, 1) and poverty(root, CITY) == (3, 1) and poverty(root, OTHER_COUNTY) == (1, 0)
    assert {c.topic: c.covered for c in reports.coverage(root, PROVINCE, YEAR)}["industry"] == 1
    # A re-import that turns A2's poverty-work enrolment completed moves the count.
    write(path, SPEC.headers, [["K1", "P-A2", "甲二", "已结业", ""]])
    assert import_course_roster(path, actor="a", user=officer("county_a2", COUNTY)).imported
    assert stored_training() == plain_training() and poverty(root, PROVINCE) == (3, 2)
    assert [c for c in reports.coverage(root, PROVINCE, YEAR)] == reports.live_coverage(root, PROVINCE, YEAR)


def test_the_cadre_roster_import_recounts_both_ends_of_a_move(world, tmp_path):
    root = officer("prov", PROVINCE)
    path = write(tmp_path / "k.csv", SPEC.headers, [["K1", "P-A1", "甲一", "已结业", "16"],
                                                    ["K2", "P-B1", "乙一", "已结业", "16"]])
    assert import_course_roster(path, actor="root", user=root).imported
    assert poverty(root, COUNTY) == (2, 1) and poverty(root, OTHER_COUNTY) == (1, 1)
    # A1 moves to 永顺县; B1 ends their term (no longer serving): both counties change.
    roster = write(tmp_path / "r.csv", HEADERS, [
        ["P-A1", "甲一", "县农业农村局", "县直部门", "科员及以下", "", OTHER_VILLAGE, "在岗", "", "", "", "", "", "", "", ""],
        ["P-B1", "乙一", "县农业农村局", "县直部门", "科员及以下", "", OTHER_VILLAGE, "期满离岗", "", "", "", "", "", "", "", ""]])
    out = import_roster(roster, actor="root")
    assert not out.errors and out.cadres_updated == 2
    assert stored_training() == plain_training()
    assert poverty(root, COUNTY) == (1, 0) and poverty(root, OTHER_COUNTY) == (1, 1) and poverty(root, PROVINCE) == (2, 1)


def test_the_pages_read_the_totals_and_the_command_recounts(world, tmp_path):
    root = officer("prov", PROVINCE)
    # Written behind the writers' back (as a bulk load would): the county's figure is the totals', unchanged ...
    Enrolment.objects.create(course=Course.objects.get(code="K1"), cadre=world["A1"], status="completed",
                             attended_tenths=160)
    assert poverty(root, COUNTY) == (2, 0) and stored_training() != plain_training()
    # ... a township's is counted live ...
    assert poverty(root, TOWNSHIP) == (2, 1)
    # ... and the command recounts everything.
    out = io.StringIO()
    call_command("rebuild_people_totals", stdout=out)
    assert "training" in out.getvalue() and "branches" in out.getvalue()
    assert stored_training() == plain_training() and poverty(root, COUNTY) == (2, 1)


def test_before_the_totals_are_counted_the_figures_are_live_and_the_first_write_counts_all(db, tmp_path):
    make_areas()
    cadre("P-A1", "甲一")
    cadre("P-B1", "乙一", OTHER_VILLAGE)
    course("K1", "poverty_work")
    course("K2", "poverty_work", OTHER_COUNTY)
    Enrolment.objects.create(course=Course.objects.get(code="K2"), cadre=Cadre.objects.get(personnel_number="P-B1"),
                             status="completed", attended_tenths=160)
    root = officer("prov", PROVINCE)
    assert not totals.built() and poverty(root, PROVINCE) == (2, 1)
    # A write in one county counts every county the first time (the other county's rows were loaded otherwise).
    path = write(tmp_path / "k.csv", SPEC.headers, [["K1", "P-A1", "甲一", "已结业", "16"]])
    assert import_course_roster(path, actor="a", user=officer("county_a", COUNTY)).imported
    assert totals.built() and stored_training() == plain_training() and poverty(root, PROVINCE) == (2, 2)


def test_branch_roster_rating_and_rerating_recount(world, tmp_path):
    root = officer("prov", PROVINCE)
    county_a = officer("county_a", COUNTY)
    Branch.objects.create(village_id=OTHER_VILLAGE, name="司城村党支部")
    call_command("rebuild_people_totals", stdout=io.StringIO())
    path = write(tmp_path / "b.csv", ["村代码", "党组织名称", "书记", "党员人数"],
                 [[VILLAGE, "洗车村党支部", "张书记", "30"], [VILLAGE2, "白岩村党支部", "", "12"]])
    assert import_branch_roster(path, actor="a", user=county_a).imported
    assert stored_branches() == plain_branches()
    first = Branch.objects.get(village_id=VILLAGE)
    weak = service.rate(county_a, first.pk, YEAR, "weak", actor="a", reason="leader", plan="整顿",
                        deadline=dt.date(YEAR, 12, 31), responsible="乡党委")
    service.rate(county_a, Branch.objects.get(village_id=VILLAGE2).pk, YEAR, "good", actor="a")
    assert stored_branches() == plain_branches()
    by_city = {r["code"]: (r["branches"], r["weak"], r["unrectified"]) for r in service.weak_branches(root, CITY, YEAR)}
    assert by_city == {COUNTY: (2, 1, 1), OTHER_COUNTY: (1, 0, 0)}
    service.rerate(county_a, weak.pk, "rectified", on=dt.date(YEAR, 12, 1), actor="a")
    assert stored_branches() == plain_branches()
    assert [(r["code"], r["branches"], r["weak"], r["unrectified"]) for r in service.weak_branches(root, PROVINCE, YEAR)
            ] == [(CITY, 3, 1, 0)]
    # The dashboard's tiles for the province: the year rated, one weak branch, none left unrectified.
    tiles = {f.key: f.value for f in people.figures(root, Area.objects.get(code=PROVINCE), dt.date(YEAR, 12, 31))}
    assert tiles["weak_branches"] == 1 and tiles["weak_unrectified"] == 0
    assert tiles["training_poverty_share"] == 0.0 and tiles["training_gaps"] == 3


def test_a_cadre_edited_in_the_admin_recounts_both_stations(world):
    from django.contrib.admin.sites import site
    from django.test import RequestFactory

    root = officer("prov", PROVINCE)
    Enrolment.objects.create(course=Course.objects.get(code="K1"), cadre=world["A1"], status="completed",
                             attended_tenths=160)
    totals.recount_all()
    assert poverty(root, COUNTY) == (2, 1) and poverty(root, OTHER_COUNTY) == (1, 0)
    admin = site._registry[Cadre]
    request = RequestFactory().post("/admin/")
    request.user = root
    moved = Cadre.objects.get(pk=world["A1"].pk)
    moved.home_area_id = OTHER_VILLAGE  # A1 moves to 永顺县, with their completed course
    admin.save_model(request, moved, None, True)
    assert stored_training() == plain_training()
    assert poverty(root, COUNTY) == (1, 0) and poverty(root, OTHER_COUNTY) == (2, 1)
    admin.delete_queryset(request, Cadre.objects.filter(pk=world["A2"].pk))
    assert stored_training() == plain_training() and poverty(root, COUNTY) == (0, 0)
