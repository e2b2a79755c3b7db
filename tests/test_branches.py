"""Village party branches: ratings with their rectification, re-rating, overdue rectifications, weak branches
by area, and the first secretary read from the village's work team — against hand counts, within the user's
areas."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from jingzhun.audit.models import AuditEntry
from jingzhun.branches import service
from jingzhun.branches.models import Branch, Rating
from jingzhun.teams.models import TeamMembership, WorkTeam
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, PROVINCE, TOWNSHIP, VILLAGE, VILLAGE2, make_areas
from tests.people_cast import cadre, officer

pytestmark = pytest.mark.django_db
TODAY = dt.date(2024, 9, 1)


@pytest.fixture
def branches(db):
    make_areas()
    return {v: Branch.objects.create(village_id=v, name=f"{v}党支部", secretary="书记", members=20)
            for v in (VILLAGE, VILLAGE2, OTHER_VILLAGE)}


def weak(user, branch, year=2024, deadline=dt.date(2024, 6, 30)):
    return service.rate(user, branch.pk, year, "weak", actor="t", reason="leader", plan="调整书记，每月督导",
                        deadline=deadline, responsible="乡党委书记")


def test_a_weak_rating_needs_its_rectification_and_a_branch_is_rated_once_a_year(branches):
    user = officer("a", COUNTY)
    with pytest.raises(ValueError, match="reason"):
        service.rate(user, branches[VILLAGE].pk, 2024, "weak", actor="t", plan="x", deadline=TODAY, responsible="y")
    row = weak(user, branches[VILLAGE])
    assert (row.reason, row.responsible) == ("leader", "乡党委书记")
    with pytest.raises(ValueError, match="already rated"):
        service.rate(user, branches[VILLAGE].pk, 2024, "good", actor="t")
    good = service.rate(user, branches[VILLAGE2].pk, 2024, "good", actor="t", reason="leader", plan="ignored")
    assert (good.reason, good.plan, good.deadline) == ("", "", None)
    # The table's own check holds without the service too.
    with pytest.raises(IntegrityError), transaction.atomic():
        Rating.objects.create(branch=branches[VILLAGE2], year=2023, rating="weak", entered_by="t")
    assert AuditEntry.objects.filter(action="branch.rate").count() == 2


def test_overdue_rectifications_and_re_rating(branches):
    """VILLAGE weak, deadline 2024-06-30 (passed); VILLAGE2 weak, deadline 2024-12-31 (not yet);
    OTHER_VILLAGE weak, deadline 2024-03-31 (passed, other county). A county-A officer sees one overdue."""
    a, b = officer("a", COUNTY), officer("b", OTHER_COUNTY)
    first = weak(a, branches[VILLAGE])
    weak(a, branches[VILLAGE2], deadline=dt.date(2024, 12, 31))
    weak(b, branches[OTHER_VILLAGE], deadline=dt.date(2024, 3, 31))
    assert [r.branch.village_id for r in service.overdue(a, TODAY)] == [VILLAGE]
    assert [r.branch.village_id for r in service.overdue(officer("p", PROVINCE), TODAY)] == [OTHER_VILLAGE, VILLAGE]
    service.rerate(a, first.pk, "still_weak", on=TODAY, actor="t")
    assert [r.branch.village_id for r in service.overdue(a, TODAY)] == [VILLAGE]  # still weak: still overdue
    service.rerate(a, first.pk, "rectified", on=TODAY, actor="t")
    assert list(service.overdue(a, TODAY)) == []
    with pytest.raises(LookupError):
        service.rerate(a, Rating.objects.get(branch__village_id=OTHER_VILLAGE).pk, "rectified", on=TODAY, actor="t")
    assert Rating.objects.get(branch__village_id=OTHER_VILLAGE).rerating == ""


def test_weak_branches_by_area_equal_the_hand_count(branches):
    a, p = officer("a", COUNTY), officer("p", PROVINCE)
    first = weak(a, branches[VILLAGE])
    weak(a, branches[VILLAGE2], year=2023)
    weak(officer("b", OTHER_COUNTY), branches[OTHER_VILLAGE])
    service.rerate(a, first.pk, "rectified", on=TODAY, actor="t")
    by_county = {r["code"]: (r["branches"], r["weak"], r["unrectified"]) for r in service.weak_branches(p, "433100000000", 2024)}
    assert by_county == {COUNTY: (2, 1, 0), OTHER_COUNTY: (1, 1, 1)}
    assert [(r["code"], r["weak"]) for r in service.weak_branches(a, COUNTY, 2023)] == [(TOWNSHIP, 1)]
    assert service.weak_branches(a, OTHER_COUNTY, 2024) == []  # not the user's: nothing, not an error


def test_the_first_secretary_is_the_work_teams(branches):
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=dt.date(2023, 1, 1))
    secretary = cadre("F1", "李书记")
    TeamMembership.objects.create(cadre=secretary, team=team, role="first_secretary", start_date=dt.date(2023, 1, 1))
    TeamMembership.objects.create(cadre=cadre("F2", "王队员"), team=team, role="member", start_date=dt.date(2023, 1, 1))
    assert service.first_secretaries([VILLAGE, VILLAGE2]) == {VILLAGE: "李书记"}
    TeamMembership.objects.filter(cadre=secretary).update(end_date=dt.date(2024, 1, 1), end_kind="term_end")
    assert service.first_secretaries([VILLAGE]) == {}


def test_rating_a_branch_outside_the_users_areas_is_refused(branches):
    with pytest.raises(LookupError):
        weak(officer("a", COUNTY), branches[OTHER_VILLAGE])
    with pytest.raises(LookupError):  # a work team may read, not rate
        weak(officer("w", COUNTY, "work_team"), branches[VILLAGE])
    assert not Rating.objects.exists()


# --- the branch roster import -----------------------------------------------------------------------------


def roster_file(tmp_path, rows, name="党组织.csv"):
    path = tmp_path / name
    path.write_text("村代码,党组织名称,书记,党员人数\n" + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_branch_roster_imports_within_the_users_villages_all_or_nothing(db, tmp_path):
    from jingzhun.branches.roster import import_branch_roster

    make_areas()
    user = officer("a", COUNTY)
    path = roster_file(tmp_path, [[VILLAGE, "洗车村党支部", "张三", "31"], [VILLAGE2, "白岩村党支部", "", ""]])
    outcome = import_branch_roster(path, actor="a", user=user)
    assert outcome.ok and outcome.counts() == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert dict(Branch.objects.values_list("village_id", "members")) == {VILLAGE: 31, VILLAGE2: 0}
    assert import_branch_roster(path, actor="a", user=user).counts()["unchanged"] == 2
    # An empty cell keeps, the clear marker clears; another county's village and a duplicate refuse the file.
    path = roster_file(tmp_path, [[VILLAGE, "洗车村党支部", "（清空）", ""], [OTHER_VILLAGE, "司城村党支部", "李", "9"],
                                  [VILLAGE2, "白岩村党支部", "", "12"], [VILLAGE2, "白岩村党支部", "", "13"],
                                  ["433130101299", "无此村", "", ""]])
    refused = import_branch_roster(path, actor="a", user=user)
    assert not refused.imported
    assert {(p.row, p.rule.split(" / ")[1]) for p in refused.problems} == {
        (3, "registered outside your areas"), (5, "duplicates row 4"), (6, "not a registered village code")}
    assert not Branch.objects.filter(village_id=OTHER_VILLAGE).exists()
    valid = import_branch_roster(path, actor="a", user=user, mode="valid")
    assert valid.counts() == {"inserted": 0, "updated": 1, "unchanged": 0}
    assert Branch.objects.filter(village_id=VILLAGE).values_list("secretary", "members")[0] == ("", 31)
    assert AuditEntry.objects.filter(action="branch_roster.import").count() == 2


def test_an_election_records_the_secretary_and_is_refused_outside(branches):
    from jingzhun.branches.models import Election

    user = officer("a", COUNTY)
    service.elect(user, branches[VILLAGE].pk, held_on=dt.date(2024, 4, 1), kind="regular", secretary="赵新", votes=28,
                  actor="t")
    assert Branch.objects.get(village_id=VILLAGE).secretary == "赵新" and Election.objects.count() == 1
    with pytest.raises(LookupError):
        service.elect(user, branches[OTHER_VILLAGE].pk, held_on=dt.date(2024, 4, 1), kind="regular", secretary="x",
                      actor="t")
    with pytest.raises(ValueError):
        service.elect(user, branches[VILLAGE].pk, held_on=dt.date(2024, 4, 1), kind="coup", secretary="x", actor="t")
    assert Branch.objects.get(village_id=OTHER_VILLAGE).secretary == "书记"
    assert AuditEntry.objects.filter(action="branch.elect").count() == 1
