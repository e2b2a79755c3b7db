"""Visits and attendance: database constraints, and the bulk import (CSV in UTF-8 or GBK, XLSX) — every
bad row reported with row, column, value and rule, nothing written when any row is bad."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import zoneinfo
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from jingzhun.areas.models import code_range
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.reading import FileProblem
from jingzhun.teams.models import Attendance, Visit, VisitPhoto
from jingzhun.teams.visits import normalise_notes, notes_key
from jingzhun.teams.visits_import import import_attendance, import_visits
from tests.factories import OTHER_COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2, make_areas
from tests.test_teams import cadre, household

pytestmark = pytest.mark.django_db
BJ = zoneinfo.ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2020, 7, 1, 9, 0, tzinfo=BJ)
SHA = hashlib.sha256(b"photo").hexdigest()
VISIT_HEADERS = ["帮扶人编号", "户编号", "走访时间", "纬度", "经度", "走访记录", "商议帮扶措施", "照片"]


@pytest.fixture
def people(db):
    make_areas()
    return {"k": cadre("帮扶人", VILLAGE, "medicine"), "h1": household("H1", VILLAGE), "h2": household("H2", VILLAGE2),
            "far": household("FAR", OTHER_VILLAGE)}


def write(path: Path, headers: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows(rows)
    return path


def test_import_visits_csv(people, tmp_path):
    k = people["k"].pk
    f = write(tmp_path / "visits.csv", VISIT_HEADERS, [
        [str(k), "H1", "2020-06-01 09:30", "28.123456", "109.5", "家中情况稳定，\n讨论了养殖计划", "产业扶持、健康扶贫",
         f"IMG_001.jpg|{SHA.upper()}; IMG_002.jpg|{hashlib.sha256(b'2').hexdigest()}"],
        [str(k), "H2", "2020/06/02 15:00:20", "", "", "", "", ""],
    ])
    out = import_visits(f, actor="录入员甲", now=NOW)
    assert out.errors == [] and out.inserted == 2 and out.imported
    v1, v2 = Visit.objects.order_by("visited_at")
    assert v1.visited_at == dt.datetime(2020, 6, 1, 9, 30, tzinfo=BJ) and v1.village_id == VILLAGE
    assert (v1.latitude, v1.longitude) == (Decimal("28.123456"), Decimal("109.5"))
    assert v1.measures == "industry,health" and v1.notes == "家中情况稳定，\n讨论了养殖计划"
    assert v1.notes_key == notes_key(v1.notes) != ""
    assert v1.recorded_at == NOW and v1.entered_by == "录入员甲"
    assert sorted(VisitPhoto.objects.filter(visit=v1).values_list("file", "sha256")) == [
        ("IMG_001.jpg", SHA), ("IMG_002.jpg", hashlib.sha256(b"2").hexdigest())]
    assert v2.visited_at == dt.datetime(2020, 6, 2, 15, 0, 20, tzinfo=BJ) and v2.latitude is None
    assert v2.village_id == VILLAGE2 and v2.notes_key == ""
    assert AuditEntry.objects.filter(action="visits.import", actor="录入员甲").count() == 1
    # The same file again: every row is already recorded, nothing is added.
    again = import_visits(f, actor="录入员甲", now=NOW)
    assert [(e.row, e.column) for e in again.errors] == [(2, "走访时间"), (3, "走访时间")]
    assert Visit.objects.count() == 2


def test_import_visits_gbk_and_xlsx(people, tmp_path):
    k = str(people["k"].pk)
    f = write(tmp_path / "gbk.csv", VISIT_HEADERS, [[k, "H1", "2020-06-01 09:30", "", "", "走访正常", "就业帮扶", ""]],
              encoding="gbk")
    assert import_visits(f, actor="a", now=NOW).inserted == 1
    path = tmp_path / "v.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["cadre_id", "household_number", "visited_at", "latitude", "longitude"])
    sheet.write_number(1, 0, int(k))  # typed as numbers and a real date-time cell, as Excel users do
    sheet.write_string(1, 1, "H2")
    sheet.write_datetime(1, 2, dt.datetime(2020, 6, 3, 8, 5), book.add_format({"num_format": "yyyy-mm-dd hh:mm"}))
    sheet.write_number(1, 3, 28.5)
    sheet.write_number(1, 4, 109.25)
    book.close()
    out = import_visits(path, actor="a", now=NOW)
    assert out.errors == [] and out.inserted == 1
    v = Visit.objects.get(household=people["h2"])
    assert v.visited_at == dt.datetime(2020, 6, 3, 8, 5, tzinfo=BJ) and v.latitude == Decimal("28.5")


def test_bad_visit_rows_are_all_reported_and_nothing_lands(people, tmp_path):
    k = str(people["k"].pk)
    rows = [
        ["abc", "H1", "2020-06-01 09:30", "", "", "", "", ""],  # row 2
        ["99999", "H1", "2020-06-01 09:30", "", "", "", "", ""],  # 3
        [k, "NOPE", "2020-06-01 09:30", "", "", "", "", ""],  # 4
        [k, "H1", "2020-13-01 09:30", "", "", "", "", ""],  # 5
        [k, "H1", "2020-08-01 09:30", "", "", "", "", ""],  # 6: after the import
        [k, "H1", "2020-06-01 10:00", "28.1", "", "", "", ""],  # 7: latitude alone
        [k, "H1", "2020-06-01 11:00", "109.5", "28.1", "", "", ""],  # 8: swapped
        [k, "H1", "2020-06-01 12:00", "28.1234567", "109.5", "", "", ""],  # 9: 7 decimals
        [k, "H1", "2020-06-01 13:00", "", "", "", "算命", ""],  # 10
        [k, "H1", "2020-06-01 14:00", "", "", "", "", "a.jpg|1234"],  # 11
        [k, "H2", "2020-06-01 15:00", "", "", "", "", ""],  # 12: fine …
        [k, "H2", "2020-06-01 15:00", "", "", "", "", ""],  # 13: … its duplicate is not
        [k, "", "", "", "", "", "", ""],  # 14
        [k, "H1", "2012-12-31 09:00", "", "", "", "", ""],  # 15
    ]
    out = import_visits(write(tmp_path / "bad.csv", VISIT_HEADERS, rows), actor="a", now=NOW)
    got = {(e.row, e.column) for e in out.errors}
    assert got == {(2, "帮扶人编号"), (3, "帮扶人编号"), (4, "户编号"), (5, "走访时间"), (6, "走访时间"), (7, "经度"),
                   (8, "纬度"), (8, "经度"), (9, "纬度"), (10, "商议帮扶措施"), (11, "照片"), (13, "走访时间"),
                   (14, "户编号"), (14, "走访时间"), (15, "走访时间")}
    by_place = {(e.row, e.column): e for e in out.errors}
    assert by_place[(3, "帮扶人编号")].value == "99999" and "no cadre" in by_place[(3, "帮扶人编号")].rule
    assert "duplicates row 12" in by_place[(13, "走访时间")].rule
    assert by_place[(8, "纬度")].value == "109.5" and "China" in by_place[(8, "纬度")].rule
    assert all(e.file == "bad.csv" and e.rule for e in out.errors)
    assert not out.imported and Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0
    assert not AuditEntry.objects.filter(action="visits.import").exists()


def test_visit_import_scoped_and_file_problems(people, tmp_path):
    k = str(people["k"].pk)
    f = write(tmp_path / "far.csv", VISIT_HEADERS, [[k, "FAR", "2020-06-01 09:30", "", "", "", "", ""]])
    out = import_visits(f, actor="a", ranges=[code_range(TOWNSHIP, "township")], now=NOW)
    assert [(e.row, e.column, e.value) for e in out.errors] == [(2, "户编号", "FAR")]
    # The other county's officer holds the household but not the cadre (stationed in 龙山县): refused, as if the
    # cadre did not exist; the console operator, unrestricted, records it.
    out = import_visits(f, actor="a", ranges=[code_range(OTHER_COUNTY, "county")], now=NOW)
    assert [(e.row, e.column, e.value) for e in out.errors] == [(2, "帮扶人编号", k)]
    assert "outside" in out.errors[0].rule and "龙山" not in out.errors[0].rule and VILLAGE not in out.errors[0].rule
    assert import_visits(f, actor="a", now=NOW).inserted == 1
    with pytest.raises(FileProblem, match="走访时间"):
        import_visits(write(tmp_path / "cols.csv", ["帮扶人编号", "户编号"], [[k, "H1"]]), actor="a")
    with pytest.raises(FileProblem, match="only .csv"):
        import_visits(write(tmp_path / "x.json", VISIT_HEADERS, []), actor="a")


def test_import_attendance(people, tmp_path):
    k = str(people["k"].pk)
    headers = ["干部编号", "村代码", "日期", "记录方式"]
    good = write(tmp_path / "att.csv", headers, [[k, VILLAGE, "2020-06-01", "手机定位签到"],
                                                 [k, VILLAGE, "2020/06/02", "register"]])
    out = import_attendance(good, actor="考勤员", now=NOW)
    assert out.inserted == 2 and sorted(Attendance.objects.values_list("date", "method")) == [
        (dt.date(2020, 6, 1), "app"), (dt.date(2020, 6, 2), "register")]
    bad = write(tmp_path / "bad.csv", headers, [
        [k, TOWNSHIP, "2020-06-03", "手机定位签到"],  # 2: not a village
        [k, "433130101999", "2020-06-04", "手机定位签到"],  # 3: no such area
        [k, VILLAGE, "2020-06-31", "手机定位签到"],  # 4: no such day
        [k, VILLAGE, "2020-07-02", "手机定位签到"],  # 5: tomorrow
        [k, VILLAGE, "2020-06-05", "托人代签"],  # 6
        [k, VILLAGE2, "2020-06-06", "纸质签到簿"],  # 7: fine …
        [k, VILLAGE, "2020-06-06", "纸质签到簿"],  # 8: … the same day again
        [k, VILLAGE, "2020-06-01", "纸质签到簿"],  # 9: already recorded
    ])
    out = import_attendance(bad, actor="考勤员", now=NOW)
    assert [(e.row, e.column) for e in out.errors] == [(2, "村代码"), (3, "村代码"), (4, "日期"), (5, "日期"),
                                                       (6, "记录方式"), (8, "日期"), (9, "日期")]
    assert Attendance.objects.count() == 2
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_visits", str(bad), "--kind", "attendance", "--report", str(tmp_path / "r.xlsx"))
    assert (tmp_path / "r.xlsx").exists()


def test_import_outside_a_transaction_goes_through_the_staging_file(areas, tmp_path):
    """Committed database: the Loader stages through DuckDB on SQLite (COPY on PostgreSQL)."""
    k = cadre("帮扶人", VILLAGE, "")
    household("H1", VILLAGE)
    rows = [[str(k.pk), "H1", f"2020-06-{d:02d} 09:30", "28.1", "109.1", "记录" * 6, "教育扶贫", f"p{d}.jpg|{SHA}"]
            for d in range(1, 29)]
    out = import_visits(write(tmp_path / "v.csv", VISIT_HEADERS, rows), actor="a", now=NOW)
    assert out.inserted == 28 and Visit.objects.count() == 28 and VisitPhoto.objects.count() == 28
    v = Visit.objects.get(visited_at=dt.datetime(2020, 6, 5, 9, 30, tzinfo=BJ))
    assert v.recorded_at == NOW and v.measures == "education" and v.notes_key == notes_key("记录" * 6)
    # Ids continue after the bulk insert (PostgreSQL's sequence was moved past them).
    extra = Visit.objects.create(cadre=k, household=v.household, visited_at=NOW, recorded_at=NOW, entered_by="b")
    assert extra.pk > v.pk and extra.village_id == VILLAGE


def test_constraints(people):
    k, h = people["k"], people["h1"]
    t = dt.datetime(2020, 6, 1, 9, tzinfo=BJ)
    bad = [
        {"latitude": Decimal("28.1")},  # latitude without longitude
        {"latitude": Decimal("91"), "longitude": Decimal("100")},
        {"latitude": Decimal("28"), "longitude": Decimal("-181")},
        {"recorded_at": t - dt.timedelta(seconds=1)},  # entered before it happened
        {"entered_by": ""},
    ]
    for fields in bad:
        with pytest.raises(IntegrityError), transaction.atomic():
            Visit.objects.create(**{"cadre": k, "household": h, "visited_at": t, "recorded_at": t, "entered_by": "a",
                                    **fields})
    v = Visit.objects.create(cadre=k, household=h, visited_at=t, recorded_at=t, entered_by="a")
    VisitPhoto.objects.create(visit=v, file="a.jpg", sha256=SHA)
    for file, digest in (("b.jpg", SHA), ("c.jpg", SHA[:-1]), ("", hashlib.sha256(b"x").hexdigest())):
        with pytest.raises(IntegrityError), transaction.atomic():
            VisitPhoto.objects.create(visit=v, file=file, sha256=digest)
    Attendance.objects.create(cadre=k, village_id=VILLAGE, date=t.date(), method="app", recorded_at=t, entered_by="a")
    for fields in ({"village_id": VILLAGE2}, {"date": dt.date(2020, 6, 2), "method": "proxy"},
                   {"date": dt.date(2020, 6, 3), "entered_by": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Attendance.objects.create(**{"cadre": k, "village_id": VILLAGE, "date": t.date(), "method": "app",
                                         "recorded_at": t, "entered_by": "a", **fields})


def test_notes_normalisation():
    assert normalise_notes("Ａｂｃ， 家中 一切正常！\n") == "abc家中一切正常"
    assert notes_key("已走访") == ""  # too short to compare
    assert notes_key("家中一切正常，无新增困难") == notes_key("家中 一切正常 无新增困难。") != ""
    assert notes_key("家中一切正常，无新增困难") != notes_key("家中一切正常，有新增困难")


def test_admin_lists_visits_and_attendance_scoped_and_read_only(people, client):
    from django.contrib.auth.models import Permission, User
    from django.urls import reverse

    from jingzhun.areas.models import AreaRole

    t = dt.datetime(2020, 6, 1, 9, tzinfo=BJ)
    for h in (people["h1"], people["far"]):
        Visit.objects.create(cadre=people["k"], household=h, visited_at=t, recorded_at=t, entered_by="a")
        Attendance.objects.create(cadre=people["k"], village_id=h.village_id, date=t.date() + dt.timedelta(
            days=h.pk), method="app", recorded_at=t, entered_by="a")
    officer = User.objects.create_user("yongshun", is_staff=True)
    officer.user_permissions.set(Permission.objects.filter(content_type__app_label="teams",
                                                           codename__in=["view_visit", "view_attendance"]))
    AreaRole.objects.create(user=officer, area_id=OTHER_COUNTY, role="officer")
    client.force_login(officer)
    visits = client.get(reverse("admin:teams_visit_changelist"))
    assert [v.household.number for v in visits.context["cl"].result_list] == ["FAR"]
    days = client.get(reverse("admin:teams_attendance_changelist"))
    assert [a.village_id for a in days.context["cl"].result_list] == [OTHER_VILLAGE]
    assert client.get(reverse("admin:teams_visit_add")).status_code == 403


def test_cadres_named_by_personnel_number(people, tmp_path):
    """Officers know a cadre by the organisation department's personnel number (人员编号), not the system's
    cadre number: either column names the cadre; given both, they must agree."""
    k = people["k"]
    k.personnel_number = "ZZB-0042"
    k.save()
    other = cadre("另一人", VILLAGE, "medicine")
    headers = ["人员编号", "户编号", "走访时间"]
    out = import_visits(write(tmp_path / "p.csv", headers, [["ZZB-0042", "H1", "2020-06-01 09:30"]]), actor="a", now=NOW)
    assert out.errors == [] and Visit.objects.get().cadre_id == k.pk
    both = ["帮扶人编号", "人员编号", "户编号", "走访时间"]
    bad = write(tmp_path / "bad.csv", both, [
        [str(k.pk), "ZZB-0042", "H2", "2020-06-02 09:30"],  # 2: agree — fine
        [str(other.pk), "ZZB-0042", "H2", "2020-06-03 09:30"],  # 3: two different cadres
        ["", "ZZB-9999", "H2", "2020-06-04 09:30"],  # 4: no such personnel number
        ["", "", "H2", "2020-06-05 09:30"],  # 5: neither
    ])
    out = import_visits(bad, actor="a", now=NOW)
    assert [(e.row, e.column, e.value) for e in out.errors] == [
        (3, "人员编号", "ZZB-0042"), (4, "人员编号", "ZZB-9999"), (5, "帮扶人编号 / 人员编号", "")]
    assert Visit.objects.count() == 1  # nothing of the bad file landed
    with pytest.raises(FileProblem, match="帮扶人编号 ?或 ?人员编号"):
        import_visits(write(tmp_path / "none.csv", ["户编号", "走访时间"], [["H1", "2020-06-01 09:30"]]), actor="a")
    att = write(tmp_path / "att.csv", ["人员编号", "村代码", "日期", "记录方式"], [["ZZB-0042", VILLAGE, "2020-06-01", "register"]])
    assert import_attendance(att, actor="a", now=NOW).inserted == 1 and Attendance.objects.get().cadre_id == k.pk


def test_valid_only_writes_the_good_rows_and_a_check_shows_the_plan(people, tmp_path):
    """The shared modes (jingzhun.tabular.rules): "check" writes nothing but its audit row, with what an import
    would do; "valid" writes the good rows, audited with their villages and counts."""
    k = str(people["k"].pk)
    f = write(tmp_path / "mixed.csv", VISIT_HEADERS, [
        [k, "H1", "2020-06-01 09:30", "", "", "", "", f"a.jpg|{SHA}"],
        [k, "H2", "2020-06-01 10:30", "", "", "", "", ""],
        [k, "H1", "2030-01-01 09:30", "", "", "", "", ""],  # row 4: in the future
    ])
    checked = import_visits(f, actor="a", now=NOW, check=True)
    assert [(e.row, e.column) for e in checked.errors] == [(4, "走访时间")] and not checked.imported
    assert checked.counts == {"inserted": 2, "photos": 1} and Visit.objects.count() == 0
    audit = AuditEntry.objects.get(action="visits.check")
    assert sorted(audit.areas.values_list("code", flat=True)) == [VILLAGE, VILLAGE2]
    assert import_visits(f, actor="a", now=NOW).inserted == 0 and Visit.objects.count() == 0  # all or nothing
    out = import_visits(f, actor="a", now=NOW, mode="valid")
    assert out.imported and out.inserted == 2 and len(out.errors) == 1
    assert sorted(Visit.objects.values_list("household__number", flat=True)) == ["H1", "H2"]
    assert VisitPhoto.objects.get().visit.household.number == "H1"
    row = AuditEntry.objects.get(action="visits.import")
    assert row.detail["counts"] == {"inserted": 2, "photos": 1} and row.detail["rejected_rows"] == 1
    assert sorted(row.areas.values_list("code", flat=True)) == [VILLAGE, VILLAGE2]


def test_an_attendance_village_outside_the_areas_is_one_answer_whether_it_exists_or_not(people, tmp_path):
    from jingzhun.tabular.rules import OUTSIDE

    k = str(people["k"].pk)
    f = write(tmp_path / "att.csv", ["干部编号", "村代码", "日期", "记录方式"], [
        [k, OTHER_VILLAGE, "2020-06-01", "register"], [k, OTHER_COUNTY[:6] + "102299", "2020-06-02", "register"]])
    out = import_attendance(f, actor="a", ranges=[code_range(TOWNSHIP, "township")], now=NOW)
    assert [(e.row, e.column, e.rule) for e in out.errors] == [(2, "村代码", OUTSIDE), (3, "村代码", OUTSIDE)]


def test_a_cadre_number_too_long_for_the_database_is_a_row_problem(people, tmp_path):
    f = write(tmp_path / "long.csv", ["干部编号", "村代码", "日期", "记录方式"],
              [["9" * 20, VILLAGE, "2020-06-01", "register"]])
    out = import_attendance(f, actor="a", now=NOW)
    assert [(e.row, e.column) for e in out.errors] == [(2, "干部编号")] and "integer" in out.errors[0].rule


def test_a_workbook_time_with_fractions_of_a_second(people, tmp_path):
    path = tmp_path / "frac.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["帮扶人编号", "户编号", "走访时间"])
    sheet.write_number(1, 0, people["k"].pk)
    sheet.write_string(1, 1, "H1")
    sheet.write_datetime(1, 2, dt.datetime(2020, 6, 3, 8, 5, 7, 250_000),
                         book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"}))
    book.close()
    out = import_visits(path, actor="a", now=NOW)
    assert out.errors == [] and out.inserted == 1
    assert Visit.objects.get().visited_at == dt.datetime(2020, 6, 3, 8, 5, 7, 250_000, tzinfo=BJ)


def test_the_command_imports_the_valid_rows_only_when_asked(people, tmp_path):
    from io import StringIO

    k = str(people["k"].pk)
    f = write(tmp_path / "att.csv", ["干部编号", "村代码", "日期", "记录方式"], [
        [k, VILLAGE, "2020-06-01", "register"], [k, VILLAGE, "2020-06-02", "托人代签"]])
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_visits", str(f), "--kind", "attendance", stdout=StringIO(), stderr=StringIO())
    assert Attendance.objects.count() == 0
    out = StringIO()
    call_command("import_visits", str(f), "--kind", "attendance", "--valid-only", "--report", str(tmp_path / "r.xlsx"),
                 stdout=out, stderr=StringIO())
    assert list(Attendance.objects.values_list("date", flat=True)) == [dt.date(2020, 6, 1)]
    assert "imported 1" in out.getvalue() and (tmp_path / "r.xlsx").exists()
