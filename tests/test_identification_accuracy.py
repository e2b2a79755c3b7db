"""Targeting accuracy against reference welfare: the numbers are jingzhun.measures' on the same arrays,
households missing from the register count as excluded, bad reference files are named by line."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from jingzhun import measures
from jingzhun.identification.accuracy import WelfareError, accuracy, load_welfare, selected_by_run
from jingzhun.identification.run import run
from jingzhun.registry.models import Household
from tests import test_identification_data as data
from tests.factories import COUNTY, OTHER_COUNTY, VILLAGE


def _write(path: Path, rows: list[tuple[str, int, str, str]]) -> Path:
    lines = ["household_number,year,true_income_per_capita,true_poor"] + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def setting(areas, tmp_path):
    data.hand_worked()
    data.make_random(40, seed=11)
    r = run(data.policy()).run
    rng = np.random.default_rng(5)
    rows = []
    for number in Household.objects.order_by("number").values_list("number", flat=True):
        income = round(float(rng.uniform(1000, 9000)), 2)
        rows.append((number, 2020, f"{income:.2f}", "1" if income < 4000 else "0"))
        rows.append((number, 2019, "1.00", "1"))  # another year: ignored
    # Not on the register: one in a registered village (numbered village code + sequence), one nowhere.
    rows.append((VILLAGE + "9999", 2020, "500.00", "1"))
    rows.append(("999999999999" + "0001", 2020, "800.00", "1"))
    return r, _write(tmp_path / "true-welfare.csv", rows), rows


def test_accuracy_is_the_measures_on_the_same_households(setting):
    r, path, rows = setting
    welfare = load_welfare(path, 2020)
    selected = selected_by_run(r.id)
    table = {a.code: a for a in accuracy(welfare, selected, "county")}
    assert set(table) == {"", COUNTY, OTHER_COUNTY}
    this_year = [row for row in rows if row[1] == 2020]
    villages = dict(Household.objects.values_list("number", "village_id"))
    for code, a in table.items():
        if code == "":
            chosen = this_year
        else:
            chosen = [row for row in this_year
                      if (villages.get(row[0]) or row[0][:12]).startswith(code[:6])]
        eligible = np.array([row[3] == "1" for row in chosen])
        sel = np.array([row[0] in selected for row in chosen])
        income = np.array([float(row[2]) for row in chosen])
        want = measures.targeting_errors(eligible, sel)
        assert (a.households, a.eligible, a.selected) == (len(chosen), eligible.sum(), sel.sum())
        for got, exp in ((a.exclusion_error, want.exclusion_error),
                         (a.inclusion_error_of_selected, want.inclusion_error_of_selected),
                         (a.inclusion_error_of_noneligible, want.inclusion_error_of_noneligible),
                         (a.coverage, want.coverage),
                         (a.cgh, measures.coady_grosh_hoddinott(income, sel.astype(float)))):
            assert got == exp or (math.isnan(got) and math.isnan(exp))
    # The unregistered poor household in a registered village is an exclusion error of its county.
    assert VILLAGE + "9999" not in selected
    assert table[""].households == len(this_year) == Household.objects.count() + 2


def test_cli_compares_a_run_and_a_policy_side_by_side(setting, tmp_path):
    r, path, _ = setting
    higher = tmp_path / "higher.toml"
    higher.write_text(data.POLICY_TOML.replace("poverty_line = 4000", "poverty_line = 5000"), encoding="utf-8")
    out = io.StringIO()
    call_command("accuracy", "--welfare", str(path), "--run", str(r.id), "--policy", str(higher), stdout=out)
    text = out.getvalue()
    assert f"[A] 批次 run {r.id}: 测试政策 / test policy" in text and "[B] 政策 policy" in text
    lines = [line for line in text.splitlines() if line.startswith(("合计 all", COUNTY, OTHER_COUNTY))]
    assert len(lines) == 3 and all("||" in line for line in lines)
    assert r.id == r.__class__.objects.get().id  # the what-if wrote no run


@pytest.mark.parametrize("content, message", [
    ("number,year\n", "line 1 must be"),
    ("household_number,year,true_income_per_capita,true_poor\nH1,2020,abc,1\n", "w.csv:2: true_income_per_capita"),
    ("household_number,year,true_income_per_capita,true_poor\nH1,2020,100,2\n", "w.csv:2: true_poor"),
    ("household_number,year,true_income_per_capita,true_poor\nH1,2020,100,1\nH1,2020,100,1\n", "w.csv:3: household_number"),
    ("household_number,year,true_income_per_capita,true_poor\nH1,2019,100,1\n", "no rows for 2020"),
])
def test_bad_reference_files_are_named_by_line(tmp_path, content, message):
    path = tmp_path / "w.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(WelfareError, match=message):
        load_welfare(path, 2020)


def test_cli_needs_a_run_or_a_policy(setting):
    _, path, _ = setting
    with pytest.raises(CommandError, match="--run 999"):
        call_command("accuracy", "--welfare", str(path), "--run", "999", stdout=io.StringIO())
    with pytest.raises(CommandError, match="give one or two"):
        call_command("accuracy", "--welfare", str(path), stdout=io.StringIO())
