"""Policy files (jingzhun.policy): the shipped files, their figures, and every rejection rule.

Pure library tests: no database. Each bad file is written to disk and read through load_policy, the
path an officer's file takes, and the message must name the file and the dotted key.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from jingzhun import choices
from jingzhun.policy import DATA_DIR, FIELDS, INCOME_FIELDS, PolicyError, available, load_policy, national

# The national lines as documented in docs/policy.md (yuan per person per year, current prices).
NATIONAL_LINES = {2014: 2800, 2015: 2855, 2016: 2952, 2017: 2952, 2018: 2995, 2019: 3218, 2020: 4000}

# A minimal valid policy; the tests below break it one way at a time.
BASE = """\
name = "test"
year = 2016
scope = "national"
poverty_line = 2952

[income]
sources = ["wage_income", "production_income", "property_income", "transfer_income"]
subtract = ["production_costs"]
per_capita = true

[guarantees.housing]
label = "safe housing"
require = [
  { field = "housing_grade", op = "in", value = ["A", "B"] },
  { field = "schooling", op = "ne", value = "dropout", members = "all" },
]
"""


def mpi(k: str, *weights: str) -> str:
    blocks = [f"[mpi]\nk = {k}\n"]
    for i, w in enumerate(weights):
        blocks.append(f'[[mpi.indicators]]\nname = "i{i}"\nlabel = "i{i}"\nweight = {w}\n'
                      'deprived_when = { field = "drinking_water", op = "eq", value = "unsafe" }\n')
    return "\n".join(blocks)


def write(tmp_path: Path, text: str, name: str = "province-2016.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejected(tmp_path: Path, text: str) -> PolicyError:
    path = write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert "province-2016.toml" in str(info.value)
    return info.value


def keys(err: PolicyError) -> list[str]:
    return [p.key for p in err.problems]


# --------------------------------------------------------------------------- shipped files


def test_every_shipped_file_loads():
    names = available()
    assert {f"national-{y}.toml" for y in range(2014, 2021)} <= set(names)
    assert any(n.startswith("example-") for n in names)
    for name in names:
        policy = load_policy(DATA_DIR / name)
        assert policy.poverty_line > 0


@pytest.mark.parametrize(("year", "line"), sorted(NATIONAL_LINES.items()))
def test_national_lines_are_the_documented_figures(year, line):
    policy = national(year)
    assert policy.year == year and policy.scope == "national" and policy.area is None
    assert policy.poverty_line == Decimal(line)
    # The monitoring line (防止返贫监测) starts in 2020.
    assert policy.monitoring_line == (Decimal(6000) if year == 2020 else None)
    # Safe drinking water is a named guarantee from 2019.
    assert (policy.guarantees.water is not None) == (year >= 2019)
    assert policy.income.subtract == ["production_costs"]


def test_national_lines_are_documented_in_docs():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "policy.md").read_text(encoding="utf-8")
    for year, line in NATIONAL_LINES.items():
        assert f"| {year} | {line:,} |" in doc


def test_national_unknown_year():
    with pytest.raises(LookupError, match="2013"):
        national(2013)


def test_provincial_example_is_higher_and_exact():
    policy = load_policy(DATA_DIR / "example-jiangsu-2016.toml")
    assert policy.scope == "province" and policy.area == "320000000000"
    assert policy.poverty_line > national(2016).poverty_line
    assert policy.mpi is not None
    assert sum(i.weight for i in policy.mpi.indicators) == 1
    assert policy.mpi.k == Fraction(1, 3)
    assert policy.quotas == {"320723000000": 12000, "320724000000": 9000}


def test_fields_follow_the_register():
    assert INCOME_FIELDS == ("wage_income", "production_income", "production_costs", "property_income",
                             "transfer_income", "medical_expenses")
    assert FIELDS["housing_grade"].codes == ("A", "B", "C", "D")
    assert FIELDS["schooling"].codes == tuple(choices.SCHOOLING.codes)
    assert FIELDS["schooling"].level == "member" and FIELDS["housing_grade"].level == "household"
    assert FIELDS["food_secure"].kind == "bool" and FIELDS["wage_income"].kind == "number"
    assert "resident_id" not in FIELDS and "name" not in FIELDS


# --------------------------------------------------------------------------- accepted


def test_base_file_loads(tmp_path):
    policy = load_policy(write(tmp_path, BASE))
    assert policy.guarantees.housing is not None
    assert policy.guarantees.housing.require[1].members == "all"
    assert policy.mpi is None and policy.quotas == {}


def test_exact_fraction_weights_accepted(tmp_path):
    # 1/6 + 1/6 + 3 × 1/18 + 1/2 = 1 exactly (in floats the sixths and eighteenths would not add up).
    text = BASE + mpi('"1/3"', '"1/6"', '"1/6"', '"1/18"', '"1/18"', '"1/18"', '"1/2"')
    policy = load_policy(write(tmp_path, text))
    assert policy.mpi is not None
    assert [i.weight for i in policy.mpi.indicators] == [Fraction(1, 6)] * 2 + [Fraction(1, 18)] * 3 + [Fraction(1, 2)]


def test_exact_fraction_weights_short_of_one_rejected(tmp_path):
    # 1/6 + 3 × 1/18 + 1/2 is 5/6, not 1.
    err = rejected(tmp_path, BASE + mpi('"1/3"', '"1/6"', '"1/18"', '"1/18"', '"1/18"', '"1/2"'))
    assert keys(err) == ["mpi.indicators"]
    assert "5/6" in str(err)


def test_decimal_weights_are_read_as_written(tmp_path):
    # 0.1 + 0.2 + 0.7 is not 1 in binary floating point; as the decimals written it is.
    policy = load_policy(write(tmp_path, BASE + mpi("0.5", "0.1", "0.2", "0.7")))
    assert policy.mpi is not None and policy.mpi.k == Fraction(1, 2)


# --------------------------------------------------------------------------- rejected


def test_unknown_key(tmp_path):
    err = rejected(tmp_path, BASE.replace("per_capita = true", "per_capita = true\nper_head = true"))
    assert keys(err) == ["income.per_head"]
    assert "unknown key" in str(err) and "未知键" in str(err)


def test_misspelt_guarantee_is_an_unknown_key(tmp_path):
    err = rejected(tmp_path, BASE.replace("[guarantees.housing]", "[guarantees.huosing]"))
    assert keys(err) == ["guarantees.huosing"]


def test_missing_field(tmp_path):
    err = rejected(tmp_path, BASE.replace("poverty_line = 2952\n", ""))
    assert keys(err) == ["poverty_line"]
    assert "missing" in str(err)


def test_negative_line(tmp_path):
    err = rejected(tmp_path, BASE.replace("poverty_line = 2952", "poverty_line = -2952"))
    assert keys(err) == ["poverty_line"]
    assert "greater than 0" in str(err)


def test_weights_not_summing_to_one(tmp_path):
    err = rejected(tmp_path, BASE + mpi('"1/3"', "0.3", "0.3", "0.3"))
    assert keys(err) == ["mpi.indicators"]
    assert "9/10" in str(err) and "exactly 1" in str(err)


def test_float_thirds_do_not_sum_to_one(tmp_path):
    err = rejected(tmp_path, BASE + mpi('"1/3"', "0.3333333333333333", "0.3333333333333333", "0.3333333333333333"))
    assert keys(err) == ["mpi.indicators"]


def test_bad_weight_names_the_indicator(tmp_path):
    err = rejected(tmp_path, BASE + mpi('"1/3"', '"1/2"', '"one half"', "0"))
    assert keys(err) == ["mpi.indicators[2].weight", "mpi.indicators[3].weight"]


@pytest.mark.parametrize("k", ["0", '"0"', "1.5", '"4/3"'])
def test_k_outside_unit_interval(tmp_path, k):
    err = rejected(tmp_path, BASE + mpi(k, '"1/2"', '"1/2"'))
    assert keys(err) == ["mpi.k"]


def test_unknown_income_source(tmp_path):
    err = rejected(tmp_path, BASE.replace('"property_income"', '"rent"'))
    assert keys(err) == ["income.sources[3]"]
    assert "rent" in str(err)


def test_source_both_added_and_subtracted(tmp_path):
    err = rejected(tmp_path, BASE.replace('subtract = ["production_costs"]', 'subtract = ["wage_income"]'))
    assert keys(err) == ["income.subtract"]


def test_unknown_field_name(tmp_path):
    err = rejected(tmp_path, BASE.replace('field = "housing_grade"', 'field = "housing_safety"'))
    assert keys(err) == ["guarantees.housing.require[1].field"]
    assert "housing_safety" in str(err)


def test_invalid_code_value(tmp_path):
    err = rejected(tmp_path, BASE.replace('value = ["A", "B"]', 'value = ["A", "C级"]'))
    assert keys(err) == ["guarantees.housing.require[1].value[2]"]
    assert "C级" in str(err) and "A, B, C, D" in str(err)


def test_member_field_needs_any_or_all(tmp_path):
    err = rejected(tmp_path, BASE.replace(', members = "all"', ""))
    assert keys(err) == ["guarantees.housing.require[2].members"]


def test_order_operator_on_a_code(tmp_path):
    err = rejected(tmp_path, BASE.replace('op = "in", value = ["A", "B"]', 'op = "le", value = "B"'))
    assert keys(err) == ["guarantees.housing.require[1].op"]


def test_bad_area_code(tmp_path):
    err = rejected(tmp_path, BASE + '\n[quotas]\n"43052400000" = 100\n"430524000000" = 50\n')
    assert keys(err) == ["quotas.43052400000"]
    assert "12-digit" in str(err)


def test_provincial_quota_outside_the_province(tmp_path):
    text = BASE.replace('scope = "national"', 'scope = "province"\narea = "430000000000"')
    err = rejected(tmp_path, text + '\n[quotas]\n"320723000000" = 100\n')
    assert keys(err) == ["quotas.320723000000"]


def test_toml_syntax_error_names_file_and_line(tmp_path):
    err = rejected(tmp_path, BASE.replace("year = 2016", "year = = 2016"))
    assert "line 2" in str(err) and "TOML" in str(err)


def test_every_problem_is_reported(tmp_path):
    text = (BASE.replace("poverty_line = 2952", "poverty_line = -1\ncolour = \"red\"")
            .replace('"property_income"', '"rent"')
            .replace('field = "housing_grade"', 'field = "housing_safety"')
            + mpi('"1/3"', '"1/2"', '"x"'))
    err = rejected(tmp_path, text)
    assert set(keys(err)) == {"poverty_line", "colour", "income.sources[3]",
                              "guarantees.housing.require[1].field", "mpi.indicators[2].weight"}
    for key in keys(err):
        assert f"province-2016.toml: {key}: " in str(err)


def test_the_example_in_the_docs_loads(tmp_path):
    doc = (Path(__file__).resolve().parents[1] / "docs" / "policy.md").read_text(encoding="utf-8")
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    policy = load_policy(write(tmp_path, example))
    assert policy.area == "430000000000" and policy.monitoring_line == Decimal(4500)
    assert policy.mpi is not None and policy.quotas == {"430524000000": 12000}
