"""Party-branch elections through the one import subsystem: a clean file lands (and the secretary elected last
becomes the branch's), re-importing changes nothing, every broken rule is named by row, column and rule with
nothing written, a row outside the importer's areas refuses the file (the same words whether the village
exists or not), check mode writes nothing and is audited; the command and the blank template."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from python_calamine import CalamineWorkbook

from jingzhun.audit.models import AuditEntry
from jingzhun.branches.elections import NO_BRANCH, SPEC, import_branch_elections
from jingzhun.branches.models import Branch, Election
from jingzhun.core import blanks
from jingzhun.tabular.rules import OUTSIDE
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE, VILLAGE2, make_areas
from tests.people_cast import officer

pytestmark = pytest.mark.django_db


@pytest.fixture
def branches(db):
    """Branches in 洗车村 and 司城村 (another county); 白岩村 has none."""
    make_areas()
    return {v: Branch.objects.create(village_id=v, name=f"{v}党支部", secretary="老书记", members=30)
            for v in (VILLAGE, OTHER_VILLAGE)}


def write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(SPEC.headers)
        out.writerows(rows)
    return path


def stored() -> list[tuple[str, str, str, str, int]]:
    return sorted((e.branch.village_id, e.held_on.isoformat(), e.kind, e.secretary, e.votes)
                  for e in Election.objects.select_related("branch"))


def test_a_clean_file_lands_and_the_last_elected_is_the_secretary(branches, tmp_path):
    user = officer("a", COUNTY)
    path = write(tmp_path / "选举.csv", [[VILLAGE, "2024-03-01", "补选", "钱补", "25"],
                                       [VILLAGE, "2021-01-15", "换届选举", "张换", ""]])
    outcome = import_branch_elections(path, actor="a", user=user)
    assert outcome.ok and outcome.counts() == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert stored() == [(VILLAGE, "2021-01-15", "regular", "张换", 0), (VILLAGE, "2024-03-01", "by_election", "钱补", 25)]
    # The secretary is the one elected last (2024), whatever the row order.
    assert Branch.objects.get(village_id=VILLAGE).secretary == "钱补"
    entry = AuditEntry.objects.get(action="branch_elections.import")
    assert list(entry.areas.values_list("code", flat=True)) == [VILLAGE]
    # The same file again writes nothing, not even an audit row; a corrected row updates its election.
    assert import_branch_elections(path, actor="a", user=user).counts() == {"inserted": 0, "updated": 0,
                                                                           "unchanged": 2}
    assert AuditEntry.objects.filter(action="branch_elections.import").count() == 1
    write(path, [[VILLAGE, "2024-03-01", "by_election", "钱更正", "26"]])
    assert import_branch_elections(path, actor="a", user=user).counts()["updated"] == 1
    assert Branch.objects.get(village_id=VILLAGE).secretary == "钱更正" and Election.objects.count() == 2


def test_every_broken_rule_is_named_and_nothing_is_written(branches, tmp_path):
    user = officer("a", COUNTY)
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    path = write(tmp_path / "bad.csv", [
        [VILLAGE, "2024-03-01", "换届选举", "甲", "20"],  # 2: good
        [VILLAGE2, "2024-03-01", "换届选举", "乙", ""],  # 3: no branch in the village
        [VILLAGE, "2024-02-30", "换届", "", "-1"],  # 4: no such date, unknown type, no secretary, negative count
        [VILLAGE, future, "补选", "丙", ""],  # 5: in the future
        [VILLAGE, "2024-03-01", "补选", "丁", ""],  # 6: the same village and date as row 2
        [VILLAGE, "2023-05-05", "补选", "戊" * 41, "x"],  # 7: a name too long, a count that is not a number
    ])
    outcome = import_branch_elections(path, actor="a", user=user)
    assert not outcome.imported and not Election.objects.exists()
    assert Branch.objects.get(village_id=VILLAGE).secretary == "老书记"
    got = {(p.row, p.column, p.rule.split(" / ")[1]) for p in outcome.problems}
    assert got == {
        (3, "村代码", NO_BRANCH.split(" / ")[1]),
        (4, "选举日期", "not a real calendar date"), (4, "类型", "must be one of: regular, by_election"),
        (4, "当选书记", "the secretary elected is required, at most 40 characters"),
        (4, "参会党员", "must be between 0 and 100000"),
        (5, "选举日期", "the election cannot be in the future"),
        (6, "选举日期", "duplicates row 2 (the same village and date)"),
        (7, "当选书记", "the secretary elected is required, at most 40 characters"),
        (7, "参会党员", "must be a whole number"),
    }, got
    # Valid only: row 2's key is repeated on row 6, so neither lands; nothing else is valid.
    assert not import_branch_elections(path, actor="a", user=user, mode="valid").imported
    assert not Election.objects.exists()


def test_a_row_outside_the_users_areas_refuses_the_file_with_the_same_words_as_no_village(branches, tmp_path):
    user = officer("a", COUNTY)
    path = write(tmp_path / "x.csv", [[VILLAGE, "2024-03-01", "换届选举", "甲", "20"],
                                     [OTHER_VILLAGE, "2024-03-01", "换届选举", "冒名", "20"],
                                     ["999999999999", "2024-03-01", "换届选举", "无", ""]])
    outcome = import_branch_elections(path, actor="a", user=user)
    assert not outcome.imported and not Election.objects.exists()
    assert [(p.row, p.column, p.rule) for p in outcome.problems] == [(3, "村代码", OUTSIDE), (4, "村代码", OUTSIDE)]
    assert Branch.objects.get(village_id=OTHER_VILLAGE).secretary == "老书记"
    # The other county's officer may write their own.
    write(path, [[OTHER_VILLAGE, "2024-03-01", "换届选举", "永书记", "20"]])
    assert import_branch_elections(path, actor="b", user=officer("b", OTHER_COUNTY)).imported
    assert Branch.objects.get(village_id=OTHER_VILLAGE).secretary == "永书记"


def test_check_mode_writes_nothing_and_is_audited(branches, tmp_path):
    path = write(tmp_path / "c.csv", [[VILLAGE, "2024-03-01", "换届选举", "甲", "20"]])
    outcome = import_branch_elections(path, actor="a", user=officer("a", COUNTY), mode="check")
    assert outcome.counts()["inserted"] == 1 and not Election.objects.exists()
    assert Branch.objects.get(village_id=VILLAGE).secretary == "老书记"
    entry = AuditEntry.objects.get(action="branch_elections.check")
    assert list(entry.areas.values_list("code", flat=True)) == [VILLAGE]


def test_the_blank_template_and_the_command(branches, tmp_path):
    blank = blanks.write("branch_elections", tmp_path / "选举.xlsx")
    assert CalamineWorkbook.from_path(str(blank)).get_sheet_by_index(0).to_python()[0] == SPEC.headers
    officer("b", OTHER_COUNTY)
    path = write(tmp_path / "a.csv", [[VILLAGE, "2024-03-01", "换届选举", "甲", "20"]])
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_branch_elections", str(path), "--user", "b", stdout=io.StringIO(), stderr=io.StringIO())
    assert not Election.objects.exists()
    out = io.StringIO()
    call_command("import_branch_elections", str(path), stdout=out)
    assert "inserted 1" in out.getvalue() and Election.objects.count() == 1
