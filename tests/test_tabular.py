"""The one import subsystem (jingzhun.tabular): the spec, the parsers, the shared rules, and the four steps
composed by `run`, through its first importer, village records (村情). Every expectation is known from the
rows the test writes."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from jingzhun import choices as c
from jingzhun.areas.models import VillageRecord
from jingzhun.areas.village_records import SPEC, import_village_records
from jingzhun.audit.models import AuditEntry
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, FileProblem, Spec
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE, VILLAGE2

COUNTY_RANGES = [(COUNTY[:6] + "000000", COUNTY[:6] + "999999")]


# --- spec, parsers, rules (pure) ---------------------------------------------------------------------


def test_a_spec_maps_chinese_english_and_key_headers_and_refuses_a_missing_or_doubled_column():
    spec = Spec("t", (Column("a", "甲列", "alpha"), Column("b", "乙列(元)", "beta", required=False),
                      Column("x", "丙", "x", group="who", required=False), Column("y", "丁", "y", group="who",
                                                                                      required=False)))
    assert spec.map_headers(["ALPHA ", "乙列（元）", "其他", "丁"], "f.csv") == ["a", "b", None, "y"]
    with pytest.raises(FileProblem, match="missing required columns: 甲列"):
        spec.map_headers(["乙列", "丙"], "f.csv")
    with pytest.raises(FileProblem, match="丙或丁"):
        spec.map_headers(["甲列"], "f.csv")
    with pytest.raises(FileProblem, match="duplicates"):
        spec.map_headers(["甲列", "alpha", "丙"], "f.csv")


@pytest.mark.parametrize("text,expected", [("2024-02-29", dt.date(2024, 2, 29)), ("2024/3/1", dt.date(2024, 3, 1))])
def test_parse_date_takes_the_documented_forms(text, expected):
    assert parse.parse_date(text) == expected


@pytest.mark.parametrize("text", ["2023-02-29", "24-03-01", "2024.03.01", "２０２４-01-01"])
def test_parse_date_refuses_the_rest(text):
    with pytest.raises(parse.Invalid):
        parse.parse_date(text)


@pytest.mark.parametrize("text,expected", [("2020.5.1", dt.date(2020, 5, 1)), ("20200501", dt.date(2020, 5, 1)),
                                           ("2020/05/01", dt.date(2020, 5, 1)), ("2020-5-1", dt.date(2020, 5, 1))])
def test_parse_date_lenient_also_takes_other_departments_forms(text, expected):
    assert parse.parse_date(text, lenient=True) == expected


@pytest.mark.parametrize("text", ["2020.02.30", "20200230", "2020501", "202005011", "20.5.1", "２０２００５０１"])
def test_parse_date_lenient_still_refuses_what_is_no_date(text):
    with pytest.raises(parse.Invalid):
        parse.parse_date(text, lenient=True)


def test_parse_decimal_int_and_choice():
    assert parse.parse_decimal("12.5", Decimal(0), Decimal(100), 1) == Decimal("12.5")
    for bad in ("12.55", "1e3", "NaN", "-1", "１"):
        with pytest.raises(parse.Invalid):
            parse.parse_decimal(bad, Decimal(0), Decimal(100), 1)
    assert parse.parse_int("7", 0, 10) == 7
    with pytest.raises(parse.Invalid, match="between 0 and 10"):
        parse.parse_int("11", 0, 10)
    assert parse.parse_choice("是", c.YES_NO) == "1" and parse.parse_choice("no", c.YES_NO) == "0"
    with pytest.raises(parse.Invalid, match="是、否"):
        parse.parse_choice("对", c.YES_NO)


def test_parse_datetime_takes_minutes_seconds_and_a_workbooks_fractions():
    assert parse.parse_datetime("2020/6/2 15:00") == dt.datetime(2020, 6, 2, 15, 0)
    assert parse.parse_datetime("2020-06-02T15:00:20") == dt.datetime(2020, 6, 2, 15, 0, 20)
    assert parse.parse_datetime("2020-06-02 15:00:20.5") == dt.datetime(2020, 6, 2, 15, 0, 20, 500_000)
    for bad in ("2020-13-01 09:30", "2020-06-02", "2020-06-02 15:00:20.1234567", "2020-06-02 9h30"):
        with pytest.raises(parse.Invalid):
            parse.parse_datetime(bad)


def test_parse_multi_takes_labels_and_codes_in_the_enums_order_and_names_the_unknown():
    assert parse.parse_multi("否、yes， 是", c.YES_NO) == ["1", "0"]
    assert parse.parse_multi("0;1；", c.YES_NO) == ["1", "0"] and parse.parse_multi(" ", c.YES_NO) == []
    with pytest.raises(parse.Invalid, match="unknown: 对, 错"):
        parse.parse_multi("是、对,错", c.YES_NO)


def test_empty_means_unchanged_and_the_marker_clears():
    assert rules.merged(5, "", int) == 5
    assert rules.merged(5, " （清空） ", int) is None and rules.merged(5, "(clear)", int) is None
    assert rules.merged(5, "7", int) == 7
    with pytest.raises(parse.Invalid, match="cannot be cleared"):
        rules.merged(5, "(清空)", int, required=True)


def test_modes_keep_the_right_units():
    rows_of = {"h1": [2, 3], "h2": [4], "h3": [5]}
    assert rules.kept_units(rows_of, set(), "all") == ["h1", "h2", "h3"]
    assert rules.kept_units(rows_of, {3}, "all") == []
    assert rules.kept_units(rows_of, {9}, "all") == []  # a bad row that made no unit still stops everything
    assert rules.kept_units(rows_of, {3}, "valid") == ["h2", "h3"]
    assert rules.kept_units(rows_of, set(), "check") == []
    with pytest.raises(ValueError):
        rules.kept_units(rows_of, set(), "some")


def test_the_area_rule_and_a_move_needing_both_ends():
    scope = rules.Scope.of_ranges(COUNTY_RANGES)
    assert scope.covers(VILLAGE) and not scope.covers(OTHER_VILLAGE) and not scope.covers(None)
    assert scope.may_move(None, VILLAGE) and scope.may_move(VILLAGE, VILLAGE2)
    assert not scope.may_move(OTHER_VILLAGE, VILLAGE) and not scope.may_move(VILLAGE, OTHER_VILLAGE)
    assert rules.Scope.of_ranges(None).may_move(OTHER_VILLAGE, VILLAGE)


def test_a_masked_id_matches_only_its_person():
    number = "433130196803140212"
    assert rules.is_masked_id("433130********0212") and not rules.is_masked_id(number)
    assert rules.masked_matches("433130********0212", number)
    assert not rules.masked_matches("433130********0213", number)


# --- the steps, through village records ---------------------------------------------------------------

pytestmark_db = pytest.mark.django_db(transaction=True)


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(SPEC.headers)
        for row in rows:
            writer.writerow([row.get(col.key, "") for col in SPEC.columns])
    return path


def record(village: str = VILLAGE, year: str = "2024", **cells: str) -> dict[str, str]:
    return {"village": village, "year": year, "households": "120", "population": "480", "hardened_road": "是",
            "tap_water": "否", "distance_to_town_km": "3.5", "collective_income": "52000", **cells}


def stored(village: str = VILLAGE, year: int = 2024) -> dict:
    return VillageRecord.objects.filter(village_id=village, year=year).values(
        "households", "population", "hardened_road", "tap_water", "clinic", "distance_to_town_km",
        "collective_income").get()


@pytestmark_db
def test_insert_then_the_same_file_changes_nothing(areas, tmp_path):
    path = write(tmp_path / "村情.csv", [record(), record(VILLAGE2, households="80")])
    first = import_village_records(path, actor="o", ranges=COUNTY_RANGES)
    assert first.imported and first.counts() == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert stored() == {"households": 120, "population": 480, "hardened_road": True, "tap_water": False,
                        "clinic": False, "distance_to_town_km": Decimal("3.5"), "collective_income": Decimal("52000")}
    again = import_village_records(path, actor="o", ranges=COUNTY_RANGES)
    assert again.counts() == {"inserted": 0, "updated": 0, "unchanged": 2}
    row = AuditEntry.objects.filter(action="village_records.import").order_by("-id").first()
    assert sorted(row.areas.values_list("code", flat=True)) == []  # nothing written the second time
    first_row = AuditEntry.objects.filter(action="village_records.import").order_by("id").first()
    assert sorted(first_row.areas.values_list("code", flat=True)) == [VILLAGE, VILLAGE2]
    assert first_row.detail["counts"]["inserted"] == 2


@pytestmark_db
def test_an_empty_cell_keeps_the_stored_value_and_the_marker_clears_it(areas, tmp_path):
    import_village_records(write(tmp_path / "a.csv", [record()]), actor="o")
    changed = record(households="", population="500", hardened_road="", collective_income="（清空）")
    out = import_village_records(write(tmp_path / "b.csv", [changed]), actor="o")
    assert out.counts() == {"inserted": 0, "updated": 1, "unchanged": 0}
    assert stored() == {"households": 120, "population": 500, "hardened_road": True, "tap_water": False,
                        "clinic": False, "distance_to_town_km": Decimal("3.5"), "collective_income": Decimal("0")}


@pytestmark_db
@pytest.mark.parametrize("village", [OTHER_VILLAGE, OTHER_COUNTY[:6] + "102299"])
def test_a_village_outside_the_areas_is_refused_alike_whether_it_exists_or_not(areas, tmp_path, village):
    out = import_village_records(write(tmp_path / "x.csv", [record(), record(village)]), actor="o",
                                 ranges=COUNTY_RANGES)
    assert not out.imported and not VillageRecord.objects.exists()
    [problem] = out.problems
    assert (problem.row, problem.column, problem.rule) == (3, "村代码", rules.OUTSIDE)


@pytestmark_db
def test_valid_only_writes_the_good_rows_and_check_writes_nothing_but_is_audited(areas, tmp_path):
    path = write(tmp_path / "v.csv", [record(), record(VILLAGE2, population="lots"), record(year="2023")])
    checked = import_village_records(path, actor="o", ranges=COUNTY_RANGES, mode="check")
    assert not checked.imported and not VillageRecord.objects.exists()
    assert [(p.row, p.column) for p in checked.problems] == [(3, "总人口")]
    assert checked.counts() == {"inserted": 2, "updated": 0, "unchanged": 0}  # what confirming would do
    audit = AuditEntry.objects.get(action="village_records.check")
    assert audit.detail["errors"] == 1 and sorted(audit.areas.values_list("code", flat=True)) == [VILLAGE]
    out = import_village_records(path, actor="o", ranges=COUNTY_RANGES, mode="valid")
    assert out.imported and out.counts()["inserted"] == 2
    assert set(VillageRecord.objects.values_list("village_id", "year")) == {(VILLAGE, 2024), (VILLAGE, 2023)}


@pytestmark_db
def test_all_or_nothing_and_a_doubled_row(areas, tmp_path):
    out = import_village_records(write(tmp_path / "d.csv", [record(), record(), record(VILLAGE2, tap_water="有")]),
                                 actor="o")
    assert not out.imported and not VillageRecord.objects.exists()
    assert [(p.row, p.column) for p in out.problems] == [(3, "年度"), (4, "通自来水")]
    assert "duplicates row 2" in out.problems[0].rule


class _Staged:
    """The smallest importer, one row per unit and nothing written, that records where `prepare` and `apply`
    run: around the transaction, and inside it."""

    spec = Spec("staged", (Column("village", "村代码", "village"),))
    action = "staged.import"

    class Checked:
        def __init__(self, problems, rows):
            self.problems, self.rows_of = problems, {row: [row] for row in rows}

    class Plan:
        def counts(self):
            return {}

        def areas(self):
            return []

    def __init__(self):
        self.seen = []

    def check(self, table, cell_problems, context):
        from jingzhun.tabular.problems import Problems

        return self.Checked(Problems(table.file_name), table.table.column("_row").to_pylist())

    def plan(self, checked, keep, context):
        return self.Plan()

    def prepare(self, plan, context):
        from contextlib import contextmanager

        from django.db import connection

        @contextmanager
        def staging():
            self.seen.append(("prepare", connection.in_atomic_block))
            yield
            self.seen.append(("prepared", connection.in_atomic_block))

        return staging()

    def apply(self, plan, context):
        from django.db import connection

        self.seen.append(("apply", connection.in_atomic_block))


@pytestmark_db
def test_an_importer_may_prepare_outside_the_transaction_what_apply_loads_in_it(areas, tmp_path):
    from jingzhun.tabular import steps

    path = tmp_path / "t.csv"
    path.write_text(f"村代码\n{VILLAGE}\n", encoding="utf-8")
    importer = _Staged()
    assert steps.run(importer, path, actor="o", scope=rules.Scope.of_ranges(None)).imported
    assert importer.seen == [("prepare", False), ("apply", True), ("prepared", False)]
    steps.run(importer, path, actor="o", scope=rules.Scope.of_ranges(None), mode="check")
    assert len(importer.seen) == 3  # a check prepares and applies nothing


# --- steps.run: a plan's optional `changed` and `detail` ----------------------------------------------


class _Plan:
    def __init__(self, changed: bool) -> None:
        self.changed = changed

    def counts(self) -> dict[str, int]:
        return {"inserted": int(self.changed)}

    def areas(self) -> list[str]:
        return [VILLAGE]

    def detail(self) -> dict[str, object]:
        return {"inserted": int(self.changed), "moves": []}


class _Checked:
    def __init__(self, file_name: str) -> None:
        from jingzhun.tabular.problems import Problems

        self.problems = Problems(file_name)

    @property
    def rows_of(self) -> dict[str, list[int]]:
        return {"only": [2]}


class _Importer:
    """The smallest importer: one row, a plan that changes something or nothing."""

    spec = SPEC
    action = "stub.import"

    def __init__(self, changed: bool) -> None:
        self.changed, self.applied = changed, 0

    def check(self, table, cell_problems, context):
        return _Checked(table.file_name)

    def plan(self, checked, keep, context):
        return _Plan(self.changed)

    def apply(self, plan, context):
        self.applied += 1


@pytestmark_db
def test_a_plan_that_changes_nothing_writes_no_audit_row_and_its_detail_joins_the_audit(areas, tmp_path):
    from jingzhun.tabular import steps

    path = write(tmp_path / "s.csv", [record()])
    nothing = _Importer(changed=False)
    out = steps.run(nothing, path, actor="o", scope=rules.Scope(None))
    assert out.imported and nothing.applied == 0 and not AuditEntry.objects.filter(action="stub.import").exists()
    something = _Importer(changed=True)
    steps.run(something, path, actor="o", scope=rules.Scope(None))
    steps.run(something, path, actor="o", scope=rules.Scope(None), mode="check")
    row = AuditEntry.objects.get(action="stub.import")
    assert something.applied == 1 and row.detail["inserted"] == 1 and row.detail["moves"] == []
    assert row.detail["counts"] == {"inserted": 1} and row.detail["rows"] == 1
    assert AuditEntry.objects.get(action="stub.check").detail["moves"] == []


@pytestmark_db
def test_the_command_and_the_blank_template_of_village_records(areas, tmp_path):
    import io

    from django.contrib.auth.models import User
    from django.core.management import CommandError, call_command
    from python_calamine import CalamineWorkbook

    from jingzhun.areas.models import AreaRole

    blank = tmp_path / "村情.xlsx"
    call_command("template", str(blank), "--kind", "village_records")
    book = CalamineWorkbook.from_path(str(blank))
    assert book.get_sheet_by_index(0).to_python()[0] == SPEC.headers
    assert book.get_sheet_by_name("填写说明").to_python()[3][:3] == ["总户数", "households", "否"]
    officer = User.objects.create_user("county_b")
    AreaRole.objects.create(user=officer, area_id=OTHER_COUNTY, role="officer")
    path = write(tmp_path / "a.csv", [record()])  # a 龙山县 village: outside 永顺县's officer's areas
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_village_records", str(path), "--user", "county_b", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert not VillageRecord.objects.exists()
    out = io.StringIO()
    call_command("import_village_records", str(path), stdout=out)  # the console operator: every area
    assert "inserted 1" in out.getvalue() and VillageRecord.objects.count() == 1


def test_the_opening_of_a_check_worked_by_hand():
    # What every row-at-a-time importer's check starts from (steps.opening): a three-row table of the 村情 spec
    # without its optional "households" column, one blank cell, padded and full-width-spaced cells, and one cell
    # problem the reader found (row 3's year did not parse).
    table = pa.table({"_row": [2, 3, 4], "village": [f" {VILLAGE} ", f"\u3000{VILLAGE2}", None],
                      "year": ["2019", None, " 2020"]})
    opened = steps.opening(RawTable(table, "utf-8", "村情.csv"), SPEC, [(3, "year", "须为整数 / a whole number")])
    assert [(p.row, p.column, p.rule) for p in opened.problems.found] == [(3, "年度", "须为整数 / a whole number")]
    assert opened.problems.file == "村情.csv"
    rows = list(opened.rows())
    assert [row for row, _ in rows] == [2, 3, 4]
    assert [(cells["village"], cells["year"], cells["households"]) for _, cells in rows] == [
        (VILLAGE, "2019", ""), (VILLAGE2, "", ""), ("", "2020", "")]
    assert set(rows[0][1]) == set(SPEC.by_key)  # every key of the spec, the file's or not
    assert opened.distinct("village") == {VILLAGE, VILLAGE2, ""}
    assert opened.distinct("households") == set()


def test_registered_villages_are_the_village_codes_the_area_tree_holds(areas):
    # tests/factories.py's tree: VILLAGE, VILLAGE2 and OTHER_VILLAGE are villages; COUNTY is a county, not a village.
    codes = [VILLAGE, VILLAGE2, COUNTY, "", "433130999999", VILLAGE]
    assert rules.registered_villages(codes) == {VILLAGE, VILLAGE2}
    assert rules.registered_villages([]) == set()
