"""Exporting the register (`jingzhun export`) and the blank template (`jingzhun template`).

The registers below are written by hand in the template's one canonical spelling (Chinese labels,
是/否, plain decimals, household cells on the head's row only), so the export of what they import
is known without running the exporter: it is the very file that was imported.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from jingzhun.audit.models import AuditEntry
from jingzhun.registry import template
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household, IncomeRecord, Member
from tests.factories import (
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE2,
    household_rows,
    two_households,
    write_csv,
    write_xlsx,
)

# The importer commits for real (see tests/test_import.py), so these tests run on a committed database.
pytestmark = pytest.mark.django_db(transaction=True)

# 户编号 … 低保/特困: 25 household, 7 income and 15 member columns (docs/template.md).
N_COLUMNS = 47


def varied_register() -> list[dict[str, str]]:
    """H1 (4 people) and H2 (3) poor, H3 exited in 2018, H4 removed with a reason that needs CSV quoting."""
    h3 = household_rows("H3", VILLAGE2, size=2, seed=3)
    h3[0].update(status="已脱贫", exit_year="2018", secondary_causes="", housing_grade="A级", road="硬化路")
    h4 = household_rows("H4", VILLAGE2, size=1, seed=4)
    h4[0].update(status="已清退", status_reason='识别不准, 家有"小车"', category="低保贫困户", forest_land_mu="0")
    return two_households() + h3 + h4


def export(path: Path, *args: str) -> Path:
    call_command("export", str(path), *args)
    return path


def import_file(path: Path):
    result = import_register(path)
    assert result.ok and result.imported, result.errors
    return result


def wipe_register() -> None:
    Household.objects.all().delete()  # members, incomes and status events go with their households
    assert Member.objects.count() == 0 and IncomeRecord.objects.count() == 0


def cells(path: Path) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python(skip_empty_area=False) for name in book.sheet_names}


def exported_numbers(path: Path) -> list[str]:
    """The distinct household numbers of an exported CSV, in file order."""
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return list(dict.fromkeys(line.split(",", 1)[0] for line in lines))


# --------------------------------------------------------------------------- CSV


def test_csv_export_of_a_canonical_register_is_that_file_byte_for_byte(areas, tmp_path):
    source = write_csv(tmp_path / "register.csv", varied_register())
    import_file(source)
    out = export(tmp_path / "export.csv")
    assert out.read_bytes() == source.read_bytes()


def test_csv_export_import_export_is_byte_identical(areas, tmp_path):
    import_file(write_csv(tmp_path / "register.csv", varied_register()))
    first = export(tmp_path / "first.csv")
    wipe_register()
    result = import_file(first)  # into an empty register: everything must come from the export
    assert (result.inserted, result.households, result.rows) == (4, 4, 10)
    second = export(tmp_path / "second.csv")
    assert second.read_bytes() == first.read_bytes()


def test_reimporting_an_export_changes_nothing(areas, tmp_path):
    import_file(write_csv(tmp_path / "register.csv", varied_register()))
    result = import_file(export(tmp_path / "export.csv"))
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 4)


def test_head_listed_after_another_member_keeps_household_cells_on_the_heads_row(areas, tmp_path):
    h1 = household_rows("H1", size=3, seed=1)
    spouse, head = h1[1], h1[0]
    rows = [spouse, head, h1[2]]  # the head on the household's second row, as the officer listed them
    source = write_csv(tmp_path / "register.csv", rows)
    import_file(source)
    out = export(tmp_path / "export.csv")
    assert out.read_bytes() == source.read_bytes()
    second_line = out.read_text(encoding="utf-8").splitlines()[1]
    assert second_line.startswith("H1,,,")  # the spouse's row: only the household number


def test_gb18030_export_is_the_same_text_and_imports_unchanged(areas, tmp_path):
    rows = two_households()
    rows[1]["name"] = "王𠮷"  # U+20BB7: not in GBK, four bytes in GB18030
    import_file(write_csv(tmp_path / "register.csv", rows))
    utf8 = export(tmp_path / "utf8.csv")
    gb = export(tmp_path / "gb.csv", "--encoding", "gb18030")
    assert "𠮷".encode("gb18030") in gb.read_bytes()
    assert gb.read_bytes().decode("gb18030") == utf8.read_text(encoding="utf-8")
    again = import_file(gb)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


# --------------------------------------------------------------------------- XLSX


def test_xlsx_export_import_export_is_cell_identical(areas, tmp_path):
    import_file(write_xlsx(tmp_path / "officer.xlsx", varied_register()))
    first = export(tmp_path / "first.xlsx")
    wipe_register()
    assert import_file(first).inserted == 4
    second = export(tmp_path / "second.xlsx")
    assert list(cells(first)) == ["建档立卡"]
    assert cells(second) == cells(first)
    assert len(cells(first)["建档立卡"]) == 1 + 10


def test_xlsx_export_has_numbers_as_numbers_and_everything_else_as_text(areas, tmp_path):
    rows = two_households()
    import_file(write_csv(tmp_path / "register.csv", rows))
    sheet = cells(export(tmp_path / "export.xlsx"))["建档立卡"]
    expected = [[float(row[col.key]) if row.get(col.key) and col.kind in ("int", "decimal") else row.get(col.key, "")
                 for col in template.COLUMNS] for row in rows]
    assert sheet[1:] == expected
    head = dict(zip(template.HEADERS, sheet[1]))
    assert (head["识别年度"], head["工资性收入（元）"], head["生产经营性收入（元）"], head["务工时间（月）"]) == (2014.0, 6000.0, 3000.5, 3.0)
    assert head["证件号码"] == rows[0]["resident_id"] and isinstance(head["证件号码"], str)  # text: all 18 digits kept
    assert head["出生日期"] == "1968-03-14" and head["所在村代码"] == VILLAGE


def test_xlsx_export_reimports_unchanged(areas, tmp_path):
    import_file(write_csv(tmp_path / "register.csv", varied_register()))
    result = import_file(export(tmp_path / "export.xlsx"))
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 4)


# --------------------------------------------------------------------------- the template's columns


def test_export_is_in_the_import_template(areas, tmp_path):
    import_file(write_csv(tmp_path / "register.csv", two_households()))
    csv_header = export(tmp_path / "export.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    xlsx_header = cells(export(tmp_path / "export.xlsx"))["建档立卡"][0]
    assert csv_header == xlsx_header == template.HEADERS
    assert len(csv_header) == N_COLUMNS
    assert (csv_header[0], csv_header[1], csv_header[-1]) == ("户编号", "所在村代码", "低保/特困")
    assert csv_header.index("证件号码") == csv_header.index("姓名") + 1


# --------------------------------------------------------------------------- --area and --year


def three_villages_register() -> list[dict[str, str]]:
    """H1 in 洗车村, H2 in 白岩村 (both 石牌镇, 龙山县); H3 in 司城村 (永顺县)."""
    return (household_rows("H1", VILLAGE, size=2, seed=1) + household_rows("H2", VILLAGE2, size=3, seed=2)
            + household_rows("H3", OTHER_VILLAGE, size=4, seed=3))


AREA_CASES = [  # --area as given → the households and member rows of its subtree
    ("43", ["H1", "H2", "H3"], 9),  # the province, as its 2-digit prefix
    ("433130", ["H1", "H2"], 5),  # 龙山县, as its 6-digit prefix
    ("433130000000", ["H1", "H2"], 5),  # … and as its full code
    ("433130101", ["H1", "H2"], 5),  # 石牌镇
    ("433130101201", ["H1"], 2),  # 洗车村
    ("433130101202", ["H2"], 3),  # 白岩村
    ("433127", ["H3"], 4),  # 永顺县
    ("433127102", ["H3"], 4),  # 灵溪镇
]


def test_area_limits_the_export_to_its_subtree(areas, tmp_path):
    import_file(write_csv(tmp_path / "register.csv", three_villages_register()))
    for i, (area, numbers, members) in enumerate(AREA_CASES):  # one import, every case (imports are the slow part)
        out = export(tmp_path / f"export-{i}.csv", "--area", area)
        assert exported_numbers(out) == numbers, area
        assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + members, area


def test_area_subtree_of_a_village_reimports_unchanged(areas, tmp_path):
    import_file(write_csv(tmp_path / "register.csv", three_villages_register()))
    out = export(tmp_path / "export.xlsx", "--area", OTHER_VILLAGE)
    result = import_file(out)
    assert (result.households, result.unchanged) == (1, 1)


def test_unknown_area_is_refused_before_anything_is_written(areas, tmp_path):
    import_file(write_csv(tmp_path / "register.csv", two_households()))
    with pytest.raises(CommandError, match="no such area"):
        export(tmp_path / "export.csv", "--area", "433199")
    assert not (tmp_path / "export.csv").exists()
    assert not AuditEntry.objects.filter(action="export").exists()


def year_register(tmp_path: Path) -> None:
    """H1 and H2 with 2019 incomes; then H1 alone with its 2020 income (wage 6000 → 7000)."""
    import_file(write_csv(tmp_path / "2019.csv", two_households()))
    h1_2020 = household_rows("H1", size=4, seed=1, year=2020)
    h1_2020[0]["wage_income"] = "7000"
    import_file(write_csv(tmp_path / "2020.csv", h1_2020))


def head_incomes(path: Path) -> dict[str, tuple[str, str]]:
    """Household number → (收入年度, 工资性收入) from the head rows of an exported CSV."""
    with path.open(encoding="utf-8", newline="") as f:
        return {r["户编号"]: (r["收入年度"], r["工资性收入（元）"]) for r in csv.DictReader(f) if r["与户主关系"] == "户主"}


def test_export_without_year_takes_each_households_latest_income(areas, tmp_path):
    year_register(tmp_path)
    assert head_incomes(export(tmp_path / "latest.csv")) == {"H1": ("2020", "7000"), "H2": ("2019", "6000")}


def test_year_picks_that_years_income(areas, tmp_path):
    year_register(tmp_path)
    assert head_incomes(export(tmp_path / "y2019.csv", "--year", "2019")) == {"H1": ("2019", "6000"), "H2": ("2019", "6000")}


def test_year_keeps_households_without_income_in_that_year_with_the_income_empty(areas, tmp_path):
    """Issue 13: `export --year` left out every household with no income record of that year."""
    year_register(tmp_path)
    out = export(tmp_path / "y2020.csv", "--year", "2020")
    assert head_incomes(out) == {"H1": ("2020", "7000"), "H2": ("", "")}
    assert exported_numbers(out) == ["H1", "H2"]
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + 4 + 3
    # … and it imports back changing nothing: an empty income year leaves the income as it is.
    incomes = sorted(IncomeRecord.objects.values_list("household__number", "year", "wage_income"))
    result = import_file(out)
    assert (result.households, result.unchanged, result.updated) == (2, 2, 0)
    assert sorted(IncomeRecord.objects.values_list("household__number", "year", "wage_income")) == incomes


def test_amounts_without_an_income_year_are_refused(areas, tmp_path):
    rows = two_households()
    rows[0]["income_year"] = ""
    result = import_register(write_csv(tmp_path / "no-year.csv", rows))
    assert [(e.row, e.column) for e in result.errors] == [(2, "收入年度")]
    assert "required when any income amount is given" in result.errors[0].rule
    assert not Household.objects.exists()


def test_year_and_area_together(areas, tmp_path):
    import_file(write_csv(tmp_path / "2019.csv", three_villages_register()))
    h3 = household_rows("H3", OTHER_VILLAGE, size=4, seed=3, year=2020)
    h3[0]["transfer_income"] = "2400"
    import_file(write_csv(tmp_path / "2020.csv", h3))
    assert head_incomes(export(tmp_path / "a.csv", "--area", "433127", "--year", "2019")) == {"H3": ("2019", "6000")}
    assert head_incomes(export(tmp_path / "b.csv", "--area", "433127", "--year", "2020")) == {"H3": ("2020", "6000")}
    assert head_incomes(export(tmp_path / "c.csv", "--area", "433130", "--year", "2020")) == {"H1": ("", ""), "H2": ("", "")}


# --------------------------------------------------------------------------- resident IDs and audit


def test_resident_ids_are_exported_in_clear_as_stored_18_digit_upper_case(areas, tmp_path):
    rows = two_households()
    legacy = rows[0]["resident_id"]  # 张德明, born 1968: has a 15-digit legacy form
    rows[0]["resident_id"] = legacy[:6] + legacy[8:17]
    seed = next(n for n in range(3, 50) if any(r["resident_id"].endswith("X") for r in household_rows("HX", seed=n)))
    hx = household_rows("HX", seed=seed)
    with_x = next(r for r in hx if r["resident_id"].endswith("X"))
    upper = with_x["resident_id"]
    with_x["resident_id"] = upper.lower()
    import_file(write_csv(tmp_path / "register.csv", rows + hx))
    text = export(tmp_path / "export.csv").read_text(encoding="utf-8")
    assert legacy in text and legacy[:6] + legacy[8:17] not in text
    assert upper in text and upper.lower() not in text
    expected = {legacy, *(r["resident_id"] for r in rows[1:]), *(r["resident_id"] for r in hx if r is not with_x), upper}
    exported = {r["证件号码"] for r in csv.DictReader(text.splitlines())}
    assert exported == expected


def test_export_is_audited_before_and_after_naming_actor_file_scope_and_rows(areas, tmp_path):
    import_file(write_csv(tmp_path / "register.csv", three_villages_register()))
    before = AuditEntry.objects.count()
    export(tmp_path / "龙山.csv", "--area", "433130", "--year", "2019", "--actor", "county-officer")
    assert AuditEntry.objects.count() == before + 2
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor, entry.object_type, entry.object_id) == ("county-officer", "register", "龙山.csv")
    assert entry.detail == {"scope": [["433130000000", "433130999999"]], "year": 2019, "masked": False}
    finished = AuditEntry.objects.get(action="export.finished")
    assert (finished.actor, finished.object_id, finished.detail) == ("county-officer", "龙山.csv", {"rows": 5})
    assert finished.pk > entry.pk


def test_export_that_fails_part_way_is_still_audited(areas, tmp_path, monkeypatch):
    from jingzhun.registry import exporter

    import_file(write_csv(tmp_path / "register.csv", two_households()))

    def broken_rows(**kwargs):
        yield from []
        raise OSError("disk full")

    monkeypatch.setattr(exporter, "rows", broken_rows)
    with pytest.raises(OSError, match="disk full"):
        exporter.export_register(tmp_path / "all.csv", actor="county-officer")
    assert AuditEntry.objects.filter(action="export", actor="county-officer").count() == 1
    assert not AuditEntry.objects.filter(action="export.finished").exists()


def test_export_audit_row_holds_no_resident_id(areas, tmp_path):
    rows = two_households()
    import_file(write_csv(tmp_path / "register.csv", rows))
    export(tmp_path / "all.xlsx")
    entry = AuditEntry.objects.get(action="export")
    assert (entry.actor, entry.detail) == ("cli", {"scope": None, "year": None, "masked": False})
    assert AuditEntry.objects.get(action="export.finished").detail == {"rows": 7}
    text = str(list(AuditEntry.objects.values()))
    for row in rows:
        assert row["resident_id"] not in text


# --------------------------------------------------------------------------- the blank template


def test_blank_template_has_the_headers_and_nothing_else_on_its_first_sheet(tmp_path):
    call_command("template", str(tmp_path / "blank.xlsx"))
    book = cells(tmp_path / "blank.xlsx")
    assert list(book) == ["建档立卡", "填写说明"]
    assert book["建档立卡"] == [template.HEADERS]
    assert len(book["建档立卡"][0]) == N_COLUMNS


def test_blank_template_guide_describes_every_column(tmp_path):
    call_command("template", str(tmp_path / "blank.xlsx"))
    guide = cells(tmp_path / "blank.xlsx")["填写说明"]
    assert guide[0] == ["列名", "English", "层级 Level", "必填 Required", "取值 Allowed values", "说明 Notes"]
    assert len(guide) == 1 + N_COLUMNS
    assert [r[0] for r in guide[1:]] == template.HEADERS
    by_header = {r[0]: r for r in guide[1:]}
    assert by_header["证件号码"][1:4] == ["resident_id", "成员（每行）", "是"]
    assert by_header["脱贫年度"][2:5] == ["户（户主行）", "否", "2013–2100"]
    assert by_header["工资性收入（元）"][2:4] == ["收入（户主行）", "否"]
    assert by_header["户状态"][4] == "申请、贫困户、已脱贫、监测对象、返贫、已清退"
    assert by_header["残疾等级"][4] == "1–4"
    assert "文本" in by_header["证件号码"][5]  # "format as text in Excel"


def test_blank_template_default_file_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    call_command("template")
    assert cells(tmp_path / "建档立卡导入模板.xlsx")["建档立卡"] == [template.HEADERS]



def test_a_masked_export_imports_back_unchanged_by_its_own_officer(areas, tmp_path):
    """Issue 13: a township officer's (masked) export could not be re-imported (22 errors for two untouched
    households). A masked ID matching the row's stored person, the birth year and the left-out health now mean
    "unchanged"; a masked ID that matches no one of the household is refused."""
    from jingzhun.registry.exporter import export_register

    import_file(write_csv(tmp_path / "register.csv", two_households()))
    scope = [(VILLAGE[:9] + "000", VILLAGE[:9] + "999")]
    out = tmp_path / "masked.csv"
    export_register(out, scope=scope, masked=True)
    text = out.read_text(encoding="utf-8")
    assert "********" in text and "1968-03-14" not in text
    members = sorted(Member.objects.values_list("pk", "resident_id_index", "birth_date", "health_cipher"))
    result = import_register(out, scope=scope)
    assert result.ok, result.errors
    assert (result.households, result.unchanged, result.updated) == (2, 2, 0)
    assert sorted(Member.objects.values_list("pk", "resident_id_index", "birth_date", "health_cipher")) == members
    # A changed name no longer matches the masked ID's person: refused, nothing written.
    rows = list(csv.reader(out.open(encoding="utf-8")))
    name = template.HEADERS.index("姓名")
    rows[2][name] = "别人"
    with (tmp_path / "renamed.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    result = import_register(tmp_path / "renamed.csv", scope=scope)
    assert not result.imported
    assert any("masked ID must match" in e.rule and e.row == 3 for e in result.errors)
    assert sorted(Member.objects.values_list("pk", "resident_id_index", "birth_date", "health_cipher")) == members
