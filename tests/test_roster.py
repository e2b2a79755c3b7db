"""The cadre roster import (帮扶干部名册): cadres, work teams and memberships from one file.

The expected answers are worked out by hand from the small files below (seven cadres, two teams, one
recall replaced the next day), not read back from the importer.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from python_calamine import CalamineWorkbook

from jingzhun.audit.models import AuditEntry
from jingzhun.teams.models import Cadre, CadreStatusEvent, TeamMembership, WorkTeam
from jingzhun.teams.roster_import import HEADERS, ROSTER_COLUMNS, import_roster, write_blank_template
from tests.factories import OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2, make_areas

pytestmark = pytest.mark.django_db
TODAY = dt.date(2020, 7, 1)
REASON = "身体原因不能坚持驻村，经组织部门同意召回"

# 人员编号 姓名 派出单位 单位类别 职级 专长 帮扶所在区划 状态 联系电话 | 驻村村 队内职务 派驻日期 结束日期 离队类型 召回原因 接替人
ROWS = [
    ["P001", "张三", "湖南省农业农村厅", "省直部门", "县处级", "农业技术", VILLAGE, "在岗", "13500000001",
     VILLAGE, "第一书记", "2019-03-01", "", "", "", ""],
    ["P002", "李四", "湘西州水利局", "市直部门", "乡科级", "水利、金融", VILLAGE, "在岗", "",
     VILLAGE, "队员", "2019-03-01", "", "", "", ""],
    ["P003", "王五", "龙山县商务局", "县直部门", "科员及以下", "电子商务", VILLAGE, "召回", "",
     VILLAGE, "队员", "2019-03-01", "2019-09-30", "召回", REASON, "P004"],
    # codes and English labels are accepted as well as the Chinese labels
    ["P004", "赵六", "龙山县商务局", "county", "staff", "ecommerce,trade", VILLAGE, "serving", "",
     VILLAGE, "member", "2019-10-01", "", "", "", ""],
    ["P005", "钱七", "龙山县卫生健康局", "县直部门", "科员及以下", "医疗卫生", TOWNSHIP, "", "",
     "", "", "", "", "", "", ""],
    ["P006", "孙八", "国家开发银行湖南分行", "中央单位定点帮扶", "县处级", "金融", VILLAGE2, "在岗", "",
     VILLAGE2, "第一书记", "2019-05-01", "", "", "", ""],
    ["P007", "周九", "龙山县教育局", "县直部门", "乡科级", "", VILLAGE2, "在岗", "",
     VILLAGE2, "队员", "2019-05-01", "", "", "", ""],
]


@pytest.fixture
def areas(db):
    make_areas()


def write(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig", headers: tuple[str, ...] = HEADERS) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(headers)
        w.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS)
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row):
            if j == 11 and value:  # 派驻日期 as a real date cell, as Excel users type it
                sheet.write_datetime(i, j, dt.datetime.fromisoformat(value), book.add_format({"num_format": "yyyy-mm-dd"}))
            elif value:
                sheet.write_string(i, j, value)
    book.close()
    return path


def snapshot() -> dict[str, object]:
    return {
        "cadres": sorted(Cadre.objects.values_list("personnel_number", "name", "unit", "unit_kind", "rank", "skills",
                                                   "home_area_id", "status", "phone")),
        "teams": sorted(WorkTeam.objects.values_list("village_id", "start_date", "end_date")),
        "memberships": sorted(TeamMembership.objects.values_list(
            "cadre__personnel_number", "team__village_id", "role", "start_date", "end_date", "end_kind",
            "recall_reason", "replaced_by__cadre__personnel_number")),
        "events": sorted(CadreStatusEvent.objects.values_list("cadre__personnel_number", "status", "date", "reason")),
    }


EXPECTED_MEMBERSHIPS = [
    ("P001", VILLAGE, "first_secretary", dt.date(2019, 3, 1), None, "", "", None),
    ("P002", VILLAGE, "member", dt.date(2019, 3, 1), None, "", "", None),
    ("P003", VILLAGE, "member", dt.date(2019, 3, 1), dt.date(2019, 9, 30), "recalled", REASON, "P004"),
    ("P004", VILLAGE, "member", dt.date(2019, 10, 1), None, "", "", None),
    ("P006", VILLAGE2, "first_secretary", dt.date(2019, 5, 1), None, "", "", None),
    ("P007", VILLAGE2, "member", dt.date(2019, 5, 1), None, "", "", None),
]


def test_valid_file_imports_exact_counts(areas, tmp_path):
    out = import_roster(write(tmp_path / "roster.csv", ROWS), actor="组织部", today=TODAY)
    assert out.errors == []
    assert (out.cadres_inserted, out.teams_inserted, out.memberships_inserted, out.status_events) == (7, 2, 6, 2)
    state = snapshot()
    assert state["cadres"] == [
        ("P001", "张三", "湖南省农业农村厅", "provincial", "division", "agriculture", VILLAGE, "serving", "13500000001"),
        ("P002", "李四", "湘西州水利局", "city", "section", "finance,water", VILLAGE, "serving", ""),
        ("P003", "王五", "龙山县商务局", "county", "staff", "ecommerce", VILLAGE, "recalled", ""),
        ("P004", "赵六", "龙山县商务局", "county", "staff", "ecommerce,trade", VILLAGE, "serving", ""),
        ("P005", "钱七", "龙山县卫生健康局", "county", "staff", "medicine", TOWNSHIP, "serving", ""),
        ("P006", "孙八", "国家开发银行湖南分行", "central", "division", "finance", VILLAGE2, "serving", ""),
        ("P007", "周九", "龙山县教育局", "county", "section", "", VILLAGE2, "serving", ""),
    ]
    # A team is posted on its earliest member's start.
    assert state["teams"] == [(VILLAGE, dt.date(2019, 3, 1), None), (VILLAGE2, dt.date(2019, 5, 1), None)]
    assert state["memberships"] == EXPECTED_MEMBERSHIPS
    assert state["events"] == [("P003", "recalled", dt.date(2019, 9, 30), REASON),
                               ("P003", "serving", dt.date(2019, 3, 1), "派驻")]
    audit = AuditEntry.objects.get(action="teams.roster.import")
    assert audit.actor == "组织部" and audit.object_id == "roster.csv"
    assert audit.detail["cadres_inserted"] == 7 and audit.detail["memberships_inserted"] == 6
    assert audit.detail["teams_inserted"] == 2 and len(audit.detail["sha256"]) == 64


def test_reimport_changes_nothing(areas, tmp_path):
    path = write(tmp_path / "roster.csv", ROWS)
    import_roster(path, actor="a", today=TODAY)
    before, audits = snapshot(), AuditEntry.objects.count()
    again = import_roster(path, actor="a", today=TODAY)
    assert again.errors == [] and not again.changed
    assert (again.cadres_unchanged, again.memberships_unchanged) == (7, 6)
    assert snapshot() == before and AuditEntry.objects.count() == audits
    out = io.StringIO()
    call_command("import_roster", str(path), stdout=out)
    assert "nothing changed" in out.getvalue() and snapshot() == before


def test_gbk_csv_and_xlsx_give_the_same_roster(areas, tmp_path):
    gbk = write(tmp_path / "gbk.csv", ROWS, encoding="gbk")
    assert import_roster(gbk, actor="a", today=TODAY).errors == []
    from_csv = snapshot()
    # The same roster as a workbook, with date cells: matched row for row, nothing to change.
    book = import_roster(write_xlsx(tmp_path / "roster.xlsx", ROWS), actor="a", today=TODAY)
    assert book.errors == [] and not book.changed and book.cadres_unchanged == 7
    assert snapshot() == from_csv


def test_xlsx_into_an_empty_database(areas, tmp_path):
    out = import_roster(write_xlsx(tmp_path / "roster.xlsx", ROWS), actor="a", today=TODAY)
    assert out.errors == [] and out.cadres_inserted == 7
    assert snapshot()["memberships"] == EXPECTED_MEMBERSHIPS


def test_english_headers_are_accepted(areas, tmp_path):
    aliases = tuple(c.alias for c in ROSTER_COLUMNS)
    out = import_roster(write(tmp_path / "en.csv", ROWS, headers=aliases), actor="a", today=TODAY)
    assert out.errors == [] and out.cadres_inserted == 7


def test_every_bad_row_is_reported_and_nothing_is_written(areas, tmp_path):
    rows = [list(r) for r in ROWS]
    rows[0][3] = "部委"  # row 2: unknown unit kind
    rows[1][6] = "433130101999"  # row 3: no such area
    rows[2][14] = ""  # row 4: a recall without its reason
    rows[3][5] = "农业技术、唱歌"  # row 5: an unknown skill
    rows[4][11] = "2019-01-01"  # row 6: a start date without a village
    rows[5][8] = "0743-1234567-0743-12345"  # row 7: a phone number longer than 20 characters
    rows[6][10] = "第一书记"  # row 8: a second serving first secretary of 白岩村 (row 7 is the first)
    rows[6][11] = "2019-05-01"
    rows += [
        # row 9: P007 again on the same team and day
        ["P007", "周九", "龙山县教育局", "县直部门", "乡科级", "", VILLAGE2, "在岗", "", VILLAGE2, "队员", "2019-05-01",
         "", "", "", ""],
        # row 10: ends before it starts; its successor is nobody
        ["P010", "吴十", "龙山县教育局", "县直部门", "乡科级", "", VILLAGE, "期满离岗", "", VILLAGE, "队员", "2019-06-01",
         "2019-05-01", "任期届满", "", "P999"],
        # row 11: a township as the team's village, a future start, no name
        ["P011", "", "龙山县教育局", "县直部门", "乡科级", "", VILLAGE, "在岗", "", TOWNSHIP, "队员", "2021-01-01",
         "", "", "", ""],
        # row 12: recalled but still on a team, and a reason without a recall
        ["P012", "郑十二", "龙山县教育局", "县直部门", "乡科级", "", OTHER_VILLAGE, "召回", "", OTHER_VILLAGE, "队员",
         "2019-06-01", "", "", "家中有事", ""],
        # row 13: no such day
        ["P014", "卫十四", "龙山县教育局", "县直部门", "乡科级", "", VILLAGE2, "在岗", "", VILLAGE2, "队员", "2019-02-30",
         "", "", "", ""],
    ]
    out = import_roster(write(tmp_path / "bad.csv", rows), actor="a", today=TODAY)
    found = {(e.row, e.column) for e in out.errors}
    assert found == {
        (2, "单位类别"), (3, "帮扶所在区划"), (4, "召回原因"), (5, "专长"), (6, "派驻日期"), (7, "联系电话"),
        (8, "队内职务"), (9, "派驻日期"), (10, "结束日期"), (10, "接替人"), (11, "姓名"), (11, "驻村村"),
        (11, "派驻日期"), (12, "状态"), (12, "召回原因"), (13, "派驻日期"),
    }
    rules = {(e.row, e.column): e.rule for e in out.errors}
    assert "a recall needs its reason" in rules[(4, "召回原因")]
    assert "serving first secretary" in rules[(8, "队内职务")] and "第7行" in rules[(8, "队内职务")]
    assert "duplicates row 8" in rules[(9, "派驻日期")]
    assert "no cadre with this personnel number" in rules[(10, "接替人")]
    assert "must be a village" in rules[(11, "驻村村")]
    assert all(e.file == "bad.csv" for e in out.errors)
    assert Cadre.objects.count() == WorkTeam.objects.count() == TeamMembership.objects.count() == 0
    assert AuditEntry.objects.count() == 0
    # The command prints the same table, writes the XLSX report and fails.
    report = tmp_path / "report.xlsx"
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_roster", str(tmp_path / "bad.csv"), "--report", str(report))
    sheet = CalamineWorkbook.from_path(str(report)).get_sheet_by_index(0).to_python()
    # The command's day is the real today, when 2021-01-01 is no longer in the future.
    assert {(int(r[1]), r[2]) for r in sheet[1:]} == found - {(11, "派驻日期")}
    assert Cadre.objects.count() == 0


def test_recall_with_replacement_is_applied_and_audited(areas, tmp_path):
    import_roster(write(tmp_path / "roster.csv", ROWS), actor="a", today=TODAY)
    rows = [list(r) for r in ROWS]
    # 张三 (the first secretary of 洗车村) is recalled on 31 March and 冯十一 takes over the next day; 李四 moved unit.
    rows[0][7], rows[0][12], rows[0][13], rows[0][14], rows[0][15] = "召回", "2020-03-31", "召回", REASON, "P008"
    rows[1][2] = "湖南省水利厅"
    rows.append(["P008", "冯十一", "湖南省农业农村厅", "省直部门", "乡科级", "农业技术", VILLAGE, "在岗", "",
                 VILLAGE, "第一书记", "2020-04-01", "", "", "", ""])
    out = import_roster(write(tmp_path / "roster-2.csv", rows), actor="组织部", today=TODAY)
    assert out.errors == []
    assert (out.cadres_inserted, out.cadres_updated, out.cadres_unchanged) == (1, 2, 5)
    assert (out.teams_inserted, out.memberships_inserted, out.memberships_updated) == (0, 1, 1)
    old = TeamMembership.objects.get(cadre__personnel_number="P001")
    new = TeamMembership.objects.get(cadre__personnel_number="P008")
    assert (old.end_date, old.end_kind, old.recall_reason, old.replaced_by_id) == (
        dt.date(2020, 3, 31), "recalled", REASON, new.pk)
    assert new.role == "first_secretary" and new.end_date is None and new.team_id == old.team_id
    assert Cadre.objects.get(personnel_number="P001").status == "recalled"
    assert Cadre.objects.get(personnel_number="P002").unit == "湖南省水利厅"
    assert sorted(CadreStatusEvent.objects.filter(cadre__personnel_number="P001").values_list("status", "date")) == [
        ("recalled", dt.date(2020, 3, 31)), ("serving", dt.date(2019, 3, 1))]
    audit = AuditEntry.objects.filter(action="teams.roster.import").order_by("id").last()
    assert audit is not None and audit.actor == "组织部" and audit.object_id == "roster-2.csv"
    assert (audit.detail["cadres_inserted"], audit.detail["cadres_updated"], audit.detail["memberships_updated"]) == (
        1, 2, 1)
    # And the changed file again: nothing more.
    before = snapshot()
    assert not import_roster(tmp_path / "roster-2.csv", actor="a", today=TODAY).changed
    assert snapshot() == before


def test_constraints_against_stored_rows_are_row_errors(areas, tmp_path):
    """A second serving first secretary of a stored team, and a stored open membership for a cadre now
    marked recalled: reported on the row, never an IntegrityError, nothing written."""
    import_roster(write(tmp_path / "roster.csv", ROWS), actor="a", today=TODAY)
    before = snapshot()
    rows = [
        ["P009", "陈九", "湖南省交通运输厅", "省直部门", "乡科级", "", VILLAGE, "在岗", "", VILLAGE, "第一书记",
         "2020-01-01", "", "", "", ""],
        ["P002", "李四", "湘西州水利局", "市直部门", "乡科级", "水利、金融", VILLAGE, "召回", "", "", "", "", "", "", "",
         ""],
        # the team of 洗车村 was posted on 2019-03-01
        ["P013", "韩十三", "龙山县教育局", "县直部门", "乡科级", "", VILLAGE, "在岗", "", VILLAGE, "队员", "2019-01-01",
         "", "", "", ""],
    ]
    out = import_roster(write(tmp_path / "clash.csv", rows), actor="a", today=TODAY)
    rules = {(e.row, e.column): e.rule for e in out.errors}
    assert set(rules) == {(2, "队内职务"), (3, "状态"), (4, "派驻日期")}
    assert "张三" in rules[(2, "队内职务")] and "open membership" in rules[(3, "状态")]
    assert "before the team was posted" in rules[(4, "派驻日期")]
    assert snapshot() == before


def test_first_secretaries_swap_roles_in_one_import(areas, tmp_path):
    """The first secretary becomes a member and a member the first secretary in the same file: the updates
    are ordered so that no statement ever sees two serving first secretaries (PostgreSQL checks per row)."""
    import_roster(write(tmp_path / "roster.csv", ROWS), actor="a", today=TODAY)
    rows = [list(r) for r in ROWS]
    rows[0][10], rows[1][10] = "队员", "第一书记"
    out = import_roster(write(tmp_path / "swap.csv", rows), actor="a", today=TODAY)
    assert out.errors == [] and out.memberships_updated == 2
    fs = TeamMembership.objects.get(team__village_id=VILLAGE, role="first_secretary", end_date__isnull=True)
    assert fs.cadre.personnel_number == "P002"


def test_check_writes_nothing_and_reads_with_a_fixed_number_of_queries(areas, tmp_path):
    rows = [list(r) for r in ROWS] + [
        [f"H{k:03d}", f"帮扶人{k}", "龙山县民政局", "县直部门", "科员及以下", "民政与社会保障", TOWNSHIP, "在岗", "",
         "", "", "", "", "", "", ""] for k in range(60)]
    rows[1][2] = "湖南省水利厅"
    import_roster(write(tmp_path / "roster.csv", ROWS), actor="a", today=TODAY)
    before, audits = snapshot(), AuditEntry.objects.count()
    path = write(tmp_path / "big.csv", rows)
    with CaptureQueriesContext(connection) as queries:
        out = import_roster(path, actor="a", today=TODAY, check=True)
    assert out.errors == [] and (out.cadres_inserted, out.cadres_updated, out.cadres_unchanged) == (60, 1, 6)
    # areas, cadres, open teams, memberships: one each, whatever the row count; and the check's audit row,
    # chained, with the areas the check looked at (SQLite: the head read, the row, its areas, the head
    # written; PostgreSQL: row, areas and head in 2 statements)
    assert len(queries) == 4 + (4 if connection.vendor == "sqlite" else 2)
    assert snapshot() == before and AuditEntry.objects.count() == audits + 1
    check = AuditEntry.objects.get(action="teams.roster.check")
    assert check.detail["cadres_inserted"] == 60 and check.detail["errors"] == 0 and check.object_id == "big.csv"
    out_text = io.StringIO()
    call_command("import_roster", str(path), "--check", stdout=out_text)
    assert "nothing written" in out_text.getvalue() and snapshot() == before


def test_blank_template_has_the_headers_and_a_guide(areas, tmp_path):
    path = tmp_path / "t.xlsx"
    call_command("template", str(path), "--kind", "roster", stdout=io.StringIO())
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["干部名册", "填写说明"]
    assert tuple(book.get_sheet_by_index(0).to_python()[0]) == HEADERS
    guide = book.get_sheet_by_index(1).to_python()
    assert [row[0] for row in guide[1:]] == list(HEADERS)
    assert "第一书记" in guide[1 + HEADERS.index("队内职务")][3]
    with pytest.raises(CommandError, match="no rows"):
        call_command("import_roster", str(write_blank_template(tmp_path / "blank.xlsx")))


def test_docs_list_every_column():
    text = (Path(__file__).resolve().parents[1] / "docs" / "teams.md").read_text()
    for c in ROSTER_COLUMNS:
        assert f"| {c.header} | `{c.alias}` |" in text, c.header


def test_rows_outside_the_importers_areas_are_errors(areas, tmp_path):
    from jingzhun.areas.models import code_range

    rows = [list(ROWS[0]), ["P012", "郑十二", "永顺县教育局", "县直部门", "乡科级", "", OTHER_VILLAGE, "在岗", "",
                            OTHER_VILLAGE, "队员", "2019-06-01", "", "", "", ""]]
    out = import_roster(write(tmp_path / "r.csv", rows), actor="a", today=TODAY, ranges=[code_range(VILLAGE, "county")])
    assert {(e.row, e.column) for e in out.errors} == {(3, "帮扶所在区划"), (3, "驻村村")}
    assert Cadre.objects.count() == 0


def test_valid_only_imports_the_units_without_a_bad_row(areas, tmp_path):
    """A unit is the rows joined by a cadre, a team or a successor. 白岩村's team has a bad row (a second
    serving first secretary, P009): its three rows stay out; 洗车村's team, joined to nothing bad, lands, and
    so does the bare cadre P005."""
    rows = [list(r) for r in ROWS] + [
        ["P009", "陈九", "湖南省交通运输厅", "省直部门", "乡科级", "", VILLAGE2, "在岗", "", VILLAGE2, "第一书记",
         "2019-06-01", "", "", "", ""]]
    path = write(tmp_path / "valid.csv", rows)
    checked = import_roster(path, actor="a", today=TODAY, check=True)
    assert [(e.row, e.column) for e in checked.errors] == [(9, "队内职务")]
    # What confirming valid-only would do: rows 2–6 (five cadres, four memberships of one new team).
    assert (checked.cadres_inserted, checked.teams_inserted, checked.memberships_inserted) == (5, 1, 4)
    assert Cadre.objects.count() == 0
    out = import_roster(path, actor="a", today=TODAY, mode="valid")
    assert [(e.row, e.column) for e in out.errors] == [(9, "队内职务")]
    assert (out.cadres_inserted, out.teams_inserted, out.memberships_inserted) == (5, 1, 4)
    state = snapshot()
    assert [c[0] for c in state["cadres"]] == ["P001", "P002", "P003", "P004", "P005"]
    assert state["teams"] == [(VILLAGE, dt.date(2019, 3, 1), None)]
    assert state["memberships"] == EXPECTED_MEMBERSHIPS[:4]
    audit = AuditEntry.objects.get(action="teams.roster.import")
    assert audit.detail["rejected_rows"] == 1 and sorted(audit.areas.values_list("code", flat=True)) == [
        TOWNSHIP, VILLAGE]
    # The command: the table of the rest, and what was imported.
    text = io.StringIO()
    call_command("import_roster", str(path), "--valid-only", stdout=text, stderr=io.StringIO())
    assert "nothing changed" in text.getvalue() and snapshot() == state


def test_an_area_code_outside_the_areas_gets_one_answer_whether_it_exists_or_not(areas, tmp_path):
    """Outside the importer's areas, a registered village and a code nobody registered are refused alike
    (a message must not be an oracle); inside, a code nobody registered is "no area with this code"."""
    from jingzhun.areas.models import code_range

    ranges = [code_range(VILLAGE, "county")]
    nowhere_outside, nowhere_inside = OTHER_VILLAGE[:6] + "102299", VILLAGE[:6] + "102299"
    rows = [["P021", "甲", "永顺县教育局", "县直部门", "乡科级", "", code, "在岗", "", "", "", "", "", "", "", ""]
            for code in (OTHER_VILLAGE, nowhere_outside, nowhere_inside)]
    out = import_roster(write(tmp_path / "o.csv", rows), actor="a", today=TODAY, ranges=ranges)
    rules = {e.row: e.rule for e in out.errors}
    assert rules[2] == rules[3] and "outside your areas" in rules[2]
    assert "no area with this code" in rules[4]
