"""The evaluation frame's never-registered households imported through the one import subsystem: real CSV and
XLSX files, the area rule on writes (an out-of-area row refused, nothing written, one answer whether the place
exists or not), registered numbers refused, moves needing both ends, check mode audited, re-import idle, the
command and the blank template — and the draw then samples what was imported."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import xlsxwriter
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.evaluation import design, draw
from jingzhun.evaluation.frame_import import NOT_A_VILLAGE, REGISTERED, SPEC, import_frame
from jingzhun.evaluation.models import FrameHousehold
from jingzhun.registry.importer import import_register
from jingzhun.tabular import rules
from tests.factories import (
    COUNTY,
    OTHER_COUNTY,
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE2,
    household_rows,
    make_areas,
    write_csv,
)

pytestmark = pytest.mark.django_db


def officer(name: str, area: str, role: str = "officer") -> User:
    u = User.objects.create_user(name)
    AreaRole.objects.create(user=u, area_id=area, role=role)
    return User.objects.get(pk=u.pk)


def write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(SPEC.headers)
        for row in rows:
            out.writerow([row.get(col.key, "") for col in SPEC.columns])
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("非建档立卡户")
    sheet.write_row(0, 0, SPEC.headers)
    for i, row in enumerate(rows, start=1):
        for j, col in enumerate(SPEC.columns):
            sheet.write_string(i, j, row.get(col.key, ""))
    book.close()
    return path


def row(number: str, village: str = VILLAGE, **cells: str) -> dict[str, str]:
    return {"number": number, "village": village, "head_name": "王大山", "size": "4", **cells}


def stored() -> dict[str, tuple]:
    return {n: (v, h, s) for n, v, h, s in FrameHousehold.objects.values_list("number", "village_id", "head_name", "size")}


@pytest.fixture
def areas():
    make_areas()


def test_insert_from_xlsx_then_the_same_file_changes_nothing(areas, tmp_path):
    a = officer("a", COUNTY)
    path = write_xlsx(tmp_path / "花名册.xlsx", [row("N001"), row("N002", VILLAGE2, head_name="", size="")])
    first = import_frame(path, actor="a", user=a)
    assert first.imported and first.counts() == {"inserted": 2, "updated": 0, "moved": 0, "unchanged": 0}
    assert stored() == {"N001": (VILLAGE, "王大山", 4), "N002": (VILLAGE2, "", None)}
    entry = AuditEntry.objects.get(action="evaluation_frame.import")
    assert sorted(entry.areas.values_list("code", flat=True)) == [VILLAGE, VILLAGE2]
    again = import_frame(path, actor="a", user=a)
    assert again.imported and again.counts()["unchanged"] == 2
    assert AuditEntry.objects.filter(action="evaluation_frame.import").count() == 1  # nothing written, no row


@pytest.mark.parametrize("outside", [OTHER_VILLAGE, OTHER_COUNTY[:6] + "102299"])
def test_an_out_of_area_row_is_refused_and_nothing_written(areas, tmp_path, outside):
    """One row in another county's village (existing or not): the same answer, and the good rows not written."""
    a = officer("a", COUNTY)
    for mode in ("all", "check"):
        out = import_frame(write(tmp_path / "x.csv", [row("N001"), row("N009", outside)]), actor="a", user=a,
                           mode=mode)
        assert not out.imported
        assert [(p.row, p.column, p.rule) for p in out.problems] == [(3, "村代码", rules.OUTSIDE)]
        assert not FrameHousehold.objects.exists()


def test_numbers_held_outside_or_registered_and_villages_unknown(areas, tmp_path):
    result = import_register(write_csv(tmp_path / "r.csv", household_rows("H-IN", VILLAGE, size=1, seed=1)
                                       + household_rows("H-OUT", OTHER_VILLAGE, size=1, seed=2)))
    assert result.ok, result.errors
    FrameHousehold.objects.create(number="N-OUT", village_id=OTHER_VILLAGE)
    a = officer("a", COUNTY)
    rows = [row("N-OUT"), row("H-OUT"), row("H-IN"), row("N-NEW", COUNTY[:6] + "101299"), row("N-OK"), row("N-OK")]
    out = import_frame(write(tmp_path / "f.csv", rows), actor="a", user=a)
    assert not out.imported and set(stored()) == {"N-OUT"}
    # A number held in another county — in the frame or in the register — is one answer, as a village there.
    assert [(p.row, p.column, p.rule) for p in out.problems] == [
        (2, "户编号", rules.OUTSIDE), (3, "户编号", rules.OUTSIDE), (4, "户编号", REGISTERED),
        (5, "村代码", NOT_A_VILLAGE), (7, "户编号", "与第6行重复 / duplicates row 6")]
    valid = import_frame(write(tmp_path / "f.csv", rows), actor="a", user=a, mode="valid")
    assert valid.imported and set(stored()) == {"N-OUT", "N-OK"}
    assert stored()["N-OUT"] == (OTHER_VILLAGE, "", None)  # untouched


def test_a_move_needs_both_ends_and_empty_keeps_while_the_marker_clears(areas, tmp_path):
    import_frame(write(tmp_path / "a.csv", [row("N001"), row("N002")]), actor="cli")
    a = officer("a", COUNTY)
    out = import_frame(write(tmp_path / "b.csv", [row("N001", OTHER_VILLAGE)]), actor="a", user=a)
    assert [(p.column, p.rule) for p in out.problems] == [("村代码", rules.OUTSIDE)]
    assert stored()["N001"] == (VILLAGE, "王大山", 4)
    out = import_frame(write(tmp_path / "c.csv", [row("N001", VILLAGE2, head_name="", size="（清空）"),
                                                  row("N002", size="0")]), actor="a", user=a)
    assert [(p.row, p.column) for p in out.problems] == [(3, "人口")] and not out.imported
    out = import_frame(write(tmp_path / "d.csv", [row("N001", VILLAGE2, head_name="", size="（清空）")]), actor="a",
                       user=a)
    assert out.counts() == {"inserted": 0, "updated": 1, "moved": 1, "unchanged": 0}
    assert stored()["N001"] == (VILLAGE2, "王大山", None)
    entry = AuditEntry.objects.filter(action="evaluation_frame.import").order_by("-id").first()
    assert sorted(entry.areas.values_list("code", flat=True)) == [VILLAGE, VILLAGE2]  # both ends of the move
    b = officer("b", OTHER_COUNTY)
    out = import_frame(write(tmp_path / "e.csv", [row("N002", OTHER_VILLAGE)]), actor="b", user=b)
    assert [(p.column, p.rule) for p in out.problems] == [("户编号", rules.OUTSIDE)]
    evaluator = officer("e", COUNTY, "evaluator")  # evaluators record findings; officers load the frame
    out = import_frame(write(tmp_path / "g.csv", [row("N003")]), actor="e", user=evaluator)
    assert [(p.column, p.rule) for p in out.problems] == [("村代码", rules.OUTSIDE)]


def test_check_mode_writes_nothing_and_is_audited(areas, tmp_path):
    a = officer("a", COUNTY)
    out = import_frame(write(tmp_path / "c.csv", [row("N001"), row("N002", size="many")]), actor="a", user=a,
                       mode="check")
    assert not out.imported and not FrameHousehold.objects.exists()
    assert out.counts()["inserted"] == 1  # what confirming the valid rows would do
    entry = AuditEntry.objects.get(action="evaluation_frame.check")
    assert entry.detail["errors"] == 1 and list(entry.areas.values_list("code", flat=True)) == [VILLAGE]


def test_the_command_the_template_and_the_draw_over_the_imported_frame(areas, tmp_path):
    blank = tmp_path / "frame.xlsx"
    call_command("template", str(blank), "--kind", "evaluation_frame")
    book = CalamineWorkbook.from_path(str(blank))
    assert book.get_sheet_by_index(0).to_python()[0] == SPEC.headers
    officer("b", OTHER_COUNTY)
    path = write(tmp_path / "n.csv", [row(f"N{i:03d}", (VILLAGE, VILLAGE2)[i % 2]) for i in range(12)])
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("evaluation", "import-frame", str(path), "--user", "b", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert not FrameHousehold.objects.exists()
    out = io.StringIO()
    call_command("evaluation", "import-frame", str(path), "--check", stdout=out)
    assert "inserted 12" in out.getvalue() and not FrameHousehold.objects.exists()
    call_command("evaluation", "import-frame", str(path), stdout=out)
    assert FrameHousehold.objects.count() == 12
    # The draw's frame holds them: 4 never-registered drawn in each village (two villages, both certain).
    found = draw.draw(name="x", year=2024, area_code=COUNTY, seed=1, sizes=design.Sizes(8, 4, 0.0), user=None,
                      actor="t")
    assert sorted(found.households.values_list("village_id", flat=True)) == [VILLAGE] * 4 + [VILLAGE2] * 4
    assert all(n.startswith("N") for n in found.households.values_list("number", flat=True))


def test_bad_cells_are_named_and_nothing_is_written(areas, tmp_path):
    """What the database would refuse (a number or a name longer than its column) or what is no count."""
    rows = [row("N001", head_name="长" * 51), row("9" * 33), row(""), row("N004", size="3.5"), row("N005", size="51"),
            row("N006")]
    out = import_frame(write(tmp_path / "b.csv", rows), actor="cli")
    assert not out.imported and not FrameHousehold.objects.exists()
    assert [(p.row, p.column, p.rule.split(" / ")[0]) for p in out.problems] == [
        (2, "户主姓名", "不超过50字"), (3, "户编号", "不超过32字"), (4, "户编号", "必填"), (5, "人口", "应为整数"),
        (6, "人口", "应在 1–50 之间")]
