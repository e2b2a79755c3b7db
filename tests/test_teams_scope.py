"""No roster, visit or attendance import writes outside the importer's areas (security review: "an import
takes over another county's household"), and the roster's empty cells keep stored values.

Two counties of tests/factories.py: 龙山县 (433130: 石牌镇 with 洗车村 and 白岩村) and 永顺县 (433127: 灵溪镇,
司城村). Officers: `township_a` (石牌镇), `county_b` (永顺县), `city` (the prefecture, both counties). Every
expected answer is worked out from the rows written here.
"""

from __future__ import annotations

import csv
import datetime as dt
import zoneinfo
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from jingzhun.areas.models import AreaRole, code_range
from jingzhun.audit.models import AuditEntry
from jingzhun.identity import mask_id_like
from jingzhun.teams.models import Attendance, Cadre, HelperPair, TeamMembership, Visit
from jingzhun.teams.roster_import import HEADERS, import_roster
from jingzhun.teams.visits_import import import_attendance, import_visits
from tests.factories import (
    CITY,
    OTHER_COUNTY,
    OTHER_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    make_areas,
    resident_id,
)
from tests.test_teams import cadre, household

pytestmark = pytest.mark.django_db
TODAY = dt.date(2020, 7, 1)
NOW = dt.datetime(2020, 7, 1, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
TOWNSHIP_A = [code_range(TOWNSHIP, "township")]
COUNTY_B = [code_range(OTHER_COUNTY, "county")]
AN_ID = resident_id("433130", dt.date(1968, 3, 14), 7, True)  # 18 characters of the resident-ID shape
# Words that would tell the importer where a cadre or household outside their areas is.
OTHER_PLACE = ("永顺", "灵溪", "司城", OTHER_COUNTY[0][0][:6], OTHER_VILLAGE)


def row(pn: str, name: str, home: str, village: str = "", role: str = "", start: str = "", *, status: str = "在岗",
        phone: str = "", skills: str = "", end: str = "", end_kind: str = "", reason: str = "",
        successor: str = "") -> list[str]:
    return [pn, name, "龙山县农业农村局", "县直部门", "乡科级", skills, home, status, phone,
            village, role, start, end, end_kind, reason, successor]


def write(path: Path, rows: list[list[str]], headers: list[str] | tuple[str, ...] = HEADERS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows(rows)
    return path


def user(name: str, *roles: tuple[str, str]) -> User:
    u = User.objects.create_user(name, password="x")
    for area, role in roles:
        AreaRole.objects.create(user=u, area_id=area, role=role)
    return u


def cadres() -> list[tuple[str, str, str, str, str]]:
    return sorted(Cadre.objects.values_list("personnel_number", "name", "home_area_id", "status", "phone"))


def memberships() -> list[tuple[object, ...]]:
    return sorted(TeamMembership.objects.values_list("cadre__personnel_number", "team__village_id", "role",
                                                     "start_date", "end_date", "end_kind", "recall_reason",
                                                     "replaced_by__cadre__personnel_number"))


def leaks(errors: list[object]) -> list[str]:
    """Rules that name another area (the value is what the importer typed: echoing it back tells nothing)."""
    return [str(e) for e in errors for word in OTHER_PLACE if word in e.rule]  # type: ignore[attr-defined]


@pytest.fixture
def b_cadre(db, tmp_path):
    """永顺县's cadre B100, stationed in 司城村 and first secretary of its team (imported by the operator)."""
    make_areas()
    out = import_roster(write(tmp_path / "b.csv", [row("B100", "永顺干部", OTHER_VILLAGE, OTHER_VILLAGE, "第一书记",
                                                       "2019-03-01", phone="13900000000")]),
                        actor="组织部", today=TODAY)
    assert out.errors == []


# Roster ---------------------------------------------------------------------------------------------------


def test_a_roster_row_cannot_take_over_another_countys_cadre(b_cadre, tmp_path):
    """The review's attack: another county's personnel number with one's own village codes. Refused at the
    personnel number, saying only "registered outside your areas"; nothing moves."""
    before_c, before_m = cadres(), memberships()
    attack = write(tmp_path / "a.csv", [row("B100", "永顺干部", VILLAGE, VILLAGE, "第一书记", "2020-06-01")])
    out = import_roster(attack, actor="township_a", today=TODAY, ranges=TOWNSHIP_A)
    assert [(e.row, e.column, e.value) for e in out.errors] == [(2, "人员编号", "B100")]
    assert "outside your areas" in out.errors[0].rule and leaks(out.errors) == []
    assert cadres() == before_c and memberships() == before_m
    # The same with --check: the same answer, nothing written, and the check is on the audit log.
    checked = import_roster(attack, actor="township_a", today=TODAY, ranges=TOWNSHIP_A, check=True)
    assert [(e.row, e.column) for e in checked.errors] == [(2, "人员编号")]
    audit = AuditEntry.objects.get(action="teams.roster.check")
    assert audit.actor == "township_a" and audit.detail["errors"] == 1
    assert cadres() == before_c and memberships() == before_m


def test_a_cadre_serving_in_two_counties_is_changed_only_by_an_officer_holding_both(b_cadre, tmp_path):
    """B200 is stationed in 洗车村 (township A) and serves on 司城村's team (county B): township A may not change
    them — not even their phone — and county B may not either; the city officer holding both may."""
    import_roster(write(tmp_path / "two.csv", [row("B200", "两地干部", VILLAGE, OTHER_VILLAGE, "队员", "2019-04-01")]),
                  actor="组织部", today=TODAY)
    before = cadres()
    change = write(tmp_path / "c.csv", [row("B200", "两地干部", VILLAGE, phone="13700000000")])
    for ranges in (TOWNSHIP_A, COUNTY_B):
        out = import_roster(change, actor="x", today=TODAY, ranges=ranges)
        assert (2, "人员编号") in [(e.row, e.column) for e in out.errors] and leaks(out.errors) == []
    assert cadres() == before
    out = import_roster(change, actor="city", today=TODAY, ranges=[code_range(CITY, "city")])
    assert out.errors == [] and Cadre.objects.get(personnel_number="B200").phone == "13700000000"


def test_a_team_outside_the_areas_is_never_touched_and_moves_are_recorded(b_cadre, tmp_path):
    """Township A's own cadre moves from 洗车村 to 白岩村 (both in the township): allowed, recorded as a move.
    Joining 司城村's team (county B) is refused at the village, and nothing of the file lands."""
    import_roster(write(tmp_path / "a.csv", [row("A1", "本乡干部", VILLAGE, VILLAGE, "队员", "2019-05-01")]),
                  actor="township_a", today=TODAY, ranges=TOWNSHIP_A)
    out = import_roster(write(tmp_path / "m.csv", [row("A1", "本乡干部", VILLAGE2, VILLAGE, "队员", "2019-05-01")]),
                        actor="township_a", today=TODAY, ranges=TOWNSHIP_A)
    assert out.errors == [] and out.cadres_updated == 1
    assert Cadre.objects.get(personnel_number="A1").home_area_id == VILLAGE2
    audit = AuditEntry.objects.filter(action="teams.roster.import").order_by("-id").first()
    assert audit is not None and audit.detail["moves"] == [["A1", VILLAGE, VILLAGE2]]
    before = memberships()
    out = import_roster(write(tmp_path / "j.csv", [row("A1", "本乡干部", VILLAGE2, VILLAGE, "队员", "2019-05-01",
                                                       end="2020-05-31", end_kind="其他调整"),
                                                   row("A1", "本乡干部", VILLAGE2, OTHER_VILLAGE, "队员", "2020-06-01")]),
                        actor="township_a", today=TODAY, ranges=TOWNSHIP_A)
    assert [(e.row, e.column) for e in out.errors] == [(3, "驻村村")]
    assert memberships() == before


def test_a_successor_outside_the_areas_is_answered_as_unknown(b_cadre, tmp_path):
    import_roster(write(tmp_path / "a.csv", [row("A1", "本乡干部", VILLAGE, VILLAGE, "队员", "2019-05-01")]),
                  actor="t", today=TODAY, ranges=TOWNSHIP_A)
    rows = [row("A1", "本乡干部", VILLAGE, VILLAGE, "队员", "2019-05-01", end="2020-05-31", end_kind="任期届满",
                successor="B100")]
    unknown = [row("A1", "本乡干部", VILLAGE, VILLAGE, "队员", "2019-05-01", end="2020-05-31", end_kind="任期届满",
                   successor="NOBODY")]
    out = import_roster(write(tmp_path / "s.csv", rows), actor="t", today=TODAY, ranges=TOWNSHIP_A)
    none = import_roster(write(tmp_path / "n.csv", unknown), actor="t", today=TODAY, ranges=TOWNSHIP_A)
    assert [(e.column, e.rule) for e in out.errors] == [(e.column, e.rule) for e in none.errors] == [
        ("接替人", "本文件和您管辖区划内都没有这个人员编号的干部 / no cadre with this personnel number in the file or "
                   "your areas")]


def test_an_empty_optional_cell_keeps_the_stored_value_and_the_clear_marker_clears_it(db, tmp_path):
    make_areas()
    first = [row("A1", "甲", VILLAGE, VILLAGE, "队员", "2019-01-02", phone="13500000001", skills="农业技术",
                 end="2020-01-02", end_kind="召回", reason="身体原因", successor="A2"),
             row("A2", "乙", VILLAGE, VILLAGE, "队员", "2020-01-03", phone="13500000002")]
    assert import_roster(write(tmp_path / "1.csv", first), actor="t", today=TODAY).errors == []
    stored = memberships()
    # The organisation department's next file leaves phone, skills and the end columns empty: nothing changes.
    empty = [row("A1", "甲", VILLAGE, VILLAGE, "队员", "2019-01-02", status=""),
             row("A2", "乙", VILLAGE, VILLAGE, "队员", "2020-01-03")]
    out = import_roster(write(tmp_path / "2.csv", empty), actor="t", today=TODAY)
    assert out.errors == [] and not out.changed
    assert Cadre.objects.get(personnel_number="A1").phone == "13500000001"
    assert Cadre.objects.get(personnel_number="A1").skills == "agriculture"
    assert memberships() == stored
    # （清空） / (clear) empties a value: the phone, the skills, the successor.
    clear = [row("A1", "甲", VILLAGE, VILLAGE, "队员", "2019-01-02", phone="（清空）",
                 skills="(clear)", successor="（清空）"),
             row("A2", "乙", VILLAGE, VILLAGE, "队员", "2020-01-03")]
    out = import_roster(write(tmp_path / "3.csv", clear), actor="t", today=TODAY)
    assert out.errors == [] and (out.cadres_updated, out.memberships_updated) == (1, 1)
    a1 = Cadre.objects.get(personnel_number="A1")
    assert (a1.phone, a1.skills) == ("", "")
    assert TeamMembership.objects.get(cadre=a1).replaced_by_id is None
    assert TeamMembership.objects.get(cadre=a1).end_date == dt.date(2020, 1, 2)  # the end itself stayed
    # Clearing the end reopens the membership (its end kind and reason go with it); a required column cannot
    # be cleared.
    reopen = [row("A1", "甲", VILLAGE, VILLAGE, "队员", "2019-01-02", end="(clear)")]
    out = import_roster(write(tmp_path / "4.csv", reopen), actor="t", today=TODAY)
    assert out.errors == []
    assert TeamMembership.objects.filter(cadre=a1).values_list("end_date", "end_kind", "recall_reason").get() == (
        None, "", "")
    bad = import_roster(write(tmp_path / "5.csv", [row("A1", "（清空）", VILLAGE)]), actor="t", today=TODAY)
    assert [(e.row, e.column) for e in bad.errors] == [(2, "姓名")]


def test_id_shaped_values_in_roster_errors_are_masked(db, tmp_path):
    make_areas()
    out = import_roster(write(tmp_path / "id.csv", [row("A1", "甲", AN_ID, phone=AN_ID)]), actor="t", today=TODAY)
    assert out.errors and all(AN_ID not in f"{e.value} {e.rule}" for e in out.errors)
    assert any(e.column == "帮扶所在区划" and e.value == AN_ID[:6] + "********" + AN_ID[-4:] for e in out.errors)


def test_mask_id_like():
    assert mask_id_like(f"户主 {AN_ID} 之子") == f"户主 {AN_ID[:6]}********{AN_ID[-4:]} 之子"
    assert mask_id_like("433130681203001") == "433130*****3001"  # a 15-digit ID of the old kind
    assert mask_id_like(VILLAGE) == VILLAGE and mask_id_like("H1") == "H1"


# Visits and attendance -------------------------------------------------------------------------------------


VISIT_HEADERS = ["人员编号", "户编号", "走访时间"]
ATTENDANCE_HEADERS = ["人员编号", "村代码", "日期", "记录方式"]


@pytest.fixture
def people(b_cadre, tmp_path):
    """Households A1/A2 (洗车村) and B1 (司城村); cadre A100 of 洗车村, paired with A1 and logged in as
    `helper_a`; officers `township_a` and `county_b`."""
    a1, _a2, b1 = household("A1", VILLAGE), household("A2", VILLAGE), household("B1", OTHER_VILLAGE)
    helper = cadre("本村帮扶人", VILLAGE, "medicine")
    helper.personnel_number = "A100"
    helper.user = user("helper_a", (VILLAGE, "helper"))
    helper.save()
    HelperPair.objects.create(household=a1, cadre=helper, start_date=dt.date(2020, 1, 1))
    b_pair = Cadre.objects.get(personnel_number="B100")
    HelperPair.objects.create(household=b1, cadre=b_pair, start_date=dt.date(2020, 1, 1))
    return {"township_a": user("township_a", (TOWNSHIP, "officer")),
            "county_b": user("county_b", (OTHER_COUNTY, "officer")),
            "auditor_a": user("auditor_a", (TOWNSHIP, "auditor"))}


def test_visits_to_a_household_outside_the_areas_are_refused_without_saying_where(people, tmp_path):
    far = import_visits(write(tmp_path / "far.csv", [["A100", "B1", "2020-06-01 09:30"]], VISIT_HEADERS),
                        actor="township_a", user=people["township_a"], now=NOW)
    nowhere = import_visits(write(tmp_path / "none.csv", [["A100", "NOPE", "2020-06-01 09:30"]], VISIT_HEADERS),
                            actor="township_a", user=people["township_a"], now=NOW)
    assert [(e.row, e.column) for e in far.errors] == [(2, "户编号")]
    assert far.errors[0].rule == nowhere.errors[0].rule and leaks(far.errors) == []  # the same answer
    # Another county's cadre visiting one's own household: refused at the cadre, as if unknown.
    out = import_visits(write(tmp_path / "cadre.csv", [["B100", "A1", "2020-06-01 09:30"]], VISIT_HEADERS),
                        actor="township_a", user=people["township_a"], now=NOW)
    assert [(e.row, e.column) for e in out.errors] == [(2, "人员编号")] and leaks(out.errors) == []
    # The same through bare ranges (older callers).
    out = import_visits(write(tmp_path / "far2.csv", [["B100", "B1", "2020-06-01 09:30"]], VISIT_HEADERS),
                        actor="township_a", ranges=TOWNSHIP_A, now=NOW)
    assert {e.column for e in out.errors} == {"户编号", "人员编号"}
    assert Visit.objects.count() == 0
    ok = import_visits(write(tmp_path / "ok.csv", [["B100", "B1", "2020-06-01 09:30"]], VISIT_HEADERS),
                       actor="county_b", user=people["county_b"], now=NOW)
    assert ok.errors == [] and ok.inserted == 1


def test_a_helper_records_visits_to_their_own_households_only(people, tmp_path):
    helper = User.objects.get(username="helper_a")
    out = import_visits(write(tmp_path / "h.csv", [["A100", "A1", "2020-06-01 09:30"],
                                                   ["A100", "A2", "2020-06-01 10:30"]], VISIT_HEADERS),
                        actor="helper_a", user=helper, now=NOW)
    assert [(e.row, e.column) for e in out.errors] == [(3, "户编号")]  # A2 is in the village, not paired
    assert Visit.objects.count() == 0
    out = import_visits(write(tmp_path / "h2.csv", [["A100", "A1", "2020-06-01 09:30"]], VISIT_HEADERS),
                        actor="helper_a", user=helper, now=NOW)
    assert out.errors == [] and Visit.objects.get().household.number == "A1"
    # A read-only role writes nothing at all.
    out = import_visits(write(tmp_path / "h3.csv", [["A100", "A1", "2020-06-02 09:30"]], VISIT_HEADERS),
                        actor="auditor_a", user=people["auditor_a"], now=NOW)
    assert {e.column for e in out.errors} == {"户编号", "人员编号"} and Visit.objects.count() == 1


def test_visit_check_runs_write_nothing_and_are_audited(people, tmp_path):
    f = write(tmp_path / "c.csv", [["A100", "A1", "2020-06-01 09:30"], ["A100", AN_ID, "2020-06-01 10:30"]],
              VISIT_HEADERS)
    out = import_visits(f, actor="township_a", user=people["township_a"], now=NOW, check=True)
    assert [(e.row, e.column, e.value) for e in out.errors] == [(3, "户编号", AN_ID[:6] + "********" + AN_ID[-4:])]
    assert Visit.objects.count() == 0
    audit = AuditEntry.objects.get(action="visits.check")
    assert audit.actor == "township_a" and audit.detail["rows"] == 2 and audit.detail["errors"] == 1
    assert AN_ID not in str(audit.detail)


def test_attendance_only_in_the_importers_villages_and_of_their_cadres(people, tmp_path):
    out = import_attendance(write(tmp_path / "a.csv", [["A100", OTHER_VILLAGE, "2020-06-01", "纸质签到簿"],
                                                       ["B100", VILLAGE, "2020-06-01", "纸质签到簿"]],
                                  ATTENDANCE_HEADERS), actor="township_a", user=people["township_a"], now=NOW)
    assert [(e.row, e.column) for e in out.errors] == [(2, "村代码"), (3, "人员编号")] and leaks(out.errors) == []
    assert Attendance.objects.count() == 0
    out = import_attendance(write(tmp_path / "b.csv", [["B100", OTHER_VILLAGE, "2020-06-01", "纸质签到簿"]],
                                  ATTENDANCE_HEADERS), actor="county_b", user=people["county_b"], now=NOW, check=True)
    assert out.errors == [] and Attendance.objects.count() == 0
    assert AuditEntry.objects.filter(action="attendance.check", actor="county_b").count() == 1
    out = import_attendance(write(tmp_path / "b.csv", [["B100", OTHER_VILLAGE, "2020-06-01", "纸质签到簿"]],
                                  ATTENDANCE_HEADERS), actor="county_b", user=people["county_b"], now=NOW)
    assert out.inserted == 1 and Attendance.objects.get().village_id == OTHER_VILLAGE


def test_the_commands_act_as_the_named_user(people, tmp_path):
    from io import StringIO

    from django.core.management import CommandError, call_command

    f = write(tmp_path / "far.csv", [["B100", "B1", "2020-06-01 09:30"]], VISIT_HEADERS)
    with pytest.raises(CommandError):
        call_command("import_visits", str(f), "--user", "township_a", stdout=StringIO(), stderr=StringIO())
    assert Visit.objects.count() == 0
    call_command("import_visits", str(f), "--user", "county_b", stdout=StringIO())
    assert Visit.objects.count() == 1
    roster = write(tmp_path / "r.csv", [row("B100", "永顺干部", VILLAGE, VILLAGE, "队员", "2020-06-01")])
    with pytest.raises(CommandError):
        call_command("import_roster", str(roster), "--user", "township_a", stdout=StringIO(), stderr=StringIO())
    assert Cadre.objects.get(personnel_number="B100").home_area_id == OTHER_VILLAGE


# Pairing approval -------------------------------------------------------------------------------------------


@pytest.fixture
def run_a(db):
    """A previewed pairing run for 龙山县: two poor households of 洗车村, one helper stationed there."""
    from jingzhun.registry.models import Household
    from jingzhun.teams.pairing_db import preview

    make_areas()
    household("A1", VILLAGE)
    household("A2", VILLAGE)
    cadre("帮扶人", VILLAGE, "medicine")
    low, high = code_range("433130000000", "county")
    return preview(Household.objects.filter(village_id__gte=low, village_id__lte=high),
                   Cadre.objects.filter(home_area_id__gte=low, home_area_id__lte=high), actor="county_a")


def test_pairing_approval_rechecks_the_approvers_areas(run_a):
    """The action itself refuses an approver outside the run's county (whatever page called it): nothing
    changes, and the refusal names nobody."""
    from jingzhun.teams.models import PairingRun
    from jingzhun.teams.pairing_db import PairingRefused, approve

    outsider = user("county_b", (OTHER_COUNTY, "officer"))
    township = user("township_a", (TOWNSHIP, "officer"))  # holds the households, not the whole county
    for who in (outsider, township):
        with pytest.raises(PairingRefused, match="outside your areas") as info:
            approve(run_a, who)
        assert "A1" not in str(info.value) and VILLAGE not in str(info.value)
    assert not HelperPair.objects.exists() and PairingRun.objects.get().status == "previewed"
    assert not AuditEntry.objects.filter(action="pairing.approve").exists()
    approve(run_a, user("county_a", ("433130000000", "officer")))
    assert HelperPair.objects.count() == 2 and PairingRun.objects.get().approved_by == "county_a"


def test_a_household_that_moved_after_the_preview_makes_the_run_stale(run_a):
    from jingzhun.registry.models import Household
    from jingzhun.teams.pairing_db import PairingRefused, approve

    Household.objects.filter(number="A2").update(village_id=OTHER_VILLAGE)
    with pytest.raises(PairingRefused, match="preview again"):
        approve(run_a, "operator")
    with pytest.raises(PairingRefused, match="preview again"):
        approve(run_a, user("city", (CITY, "officer")))
    assert not HelperPair.objects.exists()
