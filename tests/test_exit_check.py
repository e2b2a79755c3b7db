"""The household exit check: hand-worked households at exactly the thresholds of the 2020 national exit
policy (4,000 yuan in 2020, 3,218 in 2019, income above the line in both, all five guarantees), each
guarantee failing alone, the words of the reasons, and the bulk check (every engine of the suite's
database) agreeing with the plain single-household check household by household.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from jingzhun.exits import codes, households, one
from jingzhun.policy import PolicyError
from jingzhun.policy.exit import exit_rules, load_exit, loads_exit
from jingzhun.registry.models import Household, IncomeRecord, Member
from tests import test_identification_data as data
from tests.factories import VILLAGE, VILLAGE2, make_areas, resident_id
from tests.test_crosscheck import make_household

ENGINES = {"sqlite": ("duckdb", "sqlite"), "postgresql": ("duckdb", "postgres")}[connection.vendor]
pytestmark = pytest.mark.django_db
RULES = exit_rules(2020)


def income(hh: Household, year: int, yuan: str) -> None:
    IncomeRecord.objects.create(household=hh, year=year, wage_income=Decimal(yuan), production_income=0,
                                production_costs=0, property_income=0, transfer_income=0, medical_expenses=0)


def person(seq: int) -> str:
    return resident_id("433130", dt.date(1970, 1, 1) + dt.timedelta(days=seq), 30 + seq, True)


#: number → (size, 2019 net, 2020 net, field changes, eligible?, the words' Chinese halves)
CASES: dict[str, tuple[int, str | None, str | None, dict, bool, list[str]]] = {
    "X-above": (1, "3218.01", "4000.01", {}, True, []),
    "X-at-2020": (1, "3218.01", "4000.00", {}, False, ["2020年人均纯收入 4,000 元，未高于退出标准 4,000 元"]),
    "X-at-2019": (1, "3218.00", "9000", {}, False, ["2019年人均纯收入 3,218 元，未高于退出标准 3,218 元"]),
    "X-three-above": (3, "9654.03", "12000.03", {}, True, []),
    "X-three-at": (3, "9654.03", "12000.00", {}, False, ["2020年人均纯收入 4,000 元，未高于退出标准 4,000 元"]),
    "X-no-2019": (1, None, "9000", {}, False, ["缺少2019年收入记录"]),
    "X-housing": (1, "9000", "9000", {"housing_grade": "C"}, False, ["未达到：住房安全有保障"]),
    "X-water": (1, "9000", "9000", {"water_secured": False}, False, ["未达到：饮水安全有保障"]),
    "X-food": (1, "9000", "9000", {"food_secure": False}, False, ["未达到：不愁吃、不愁穿"]),
    "X-medical": (1, "9000", "9000", {"medical_secured": False}, False, ["未达到：基本医疗有保障"]),
    "X-dropout": (2, "9000", "9000", {"dropout": True}, False, ["未达到：义务教育有保障"]),
    "X-returned": (1, "9000", "9000", {"status": "returned"}, True, []),
    "X-exited": (1, "9000", "9000", {"status": "exited"}, None, []),  # not on the poor list: not checked
}


def build() -> dict[str, int]:
    ids = {}
    for seq, (number, (size, y2019, y2020, changes, _, _)) in enumerate(CASES.items()):
        hh = make_household(number, VILLAGE if seq % 2 else VILLAGE2, [person(seq * 4 + i) for i in range(size)],
                            status=changes.get("status", "poor"))
        fields = {k: v for k, v in changes.items() if k not in ("status", "dropout")}
        if fields:
            Household.objects.filter(pk=hh.pk).update(**fields)
        if changes.get("dropout"):
            Member.objects.filter(household=hh, position=2).update(schooling="dropout")
        if y2019 is not None:
            income(hh, 2019, y2019)
        if y2020 is not None:
            income(hh, 2020, y2020)
        ids[number] = hh.pk
    return ids


@pytest.fixture(scope="module")
def register(django_db_setup, django_db_blocker):
    """Committed: the in-place engines read through their own connections."""
    with django_db_blocker.unblock():
        data.delete_all()
        make_areas()
        ids = build()
    yield ids
    with django_db_blocker.unblock():
        data.delete_all()


@pytest.mark.parametrize("engine", ENGINES)
def test_bulk_check_gives_the_hand_worked_answers(register, engine):
    result = {r["household_id"]: r for r in households.check(RULES, engine=engine).to_pylist()}
    assert register["X-exited"] not in result  # only households on the poor list
    for number, (*_, eligible, words) in CASES.items():
        if eligible is None:
            continue
        row = result[register[number]]
        assert row["eligible"] is eligible, number
        assert [w.split(" / ")[0] for w in codes.words(RULES, row)] == words, number


@pytest.mark.parametrize("engine", ENGINES)
def test_bulk_check_agrees_with_the_single_household_check(register, engine):
    result = {r["household_id"]: r for r in households.check(RULES, engine=engine).to_pylist()}
    for hh in Household.objects.filter(status__in=("poor", "returned")):
        want = one.check_household(RULES, hh)
        got = result[hh.pk]
        keys = ("size", "eligible", "reasons", "below", "missing", "guarantee_failures", "pc_2019", "pc_2020")
        assert {k: got[k] for k in keys} == {k: want[k] for k in keys}, hh.number


def test_exactly_at_the_line_exits_when_the_policy_says_so(register, tmp_path):
    from pathlib import Path

    text = Path(RULES.file).read_text(encoding="utf-8").replace('at_line = "stays"', 'at_line = "exits"')
    rules = loads_exit(text, "exits-at-line.toml")
    result = {r["household_id"]: r for r in households.check(rules, engine="duckdb").to_pylist()}
    for number in ("X-at-2020", "X-at-2019", "X-three-at", "X-above"):
        assert result[register[number]]["eligible"], number
    assert not result[register["X-housing"]]["eligible"]
    assert codes.words(rules, one.check_household(rules, Household.objects.get(number="X-no-2019"))) == [
        "缺少2019年收入记录 / no income record for 2019"]


def test_the_bulk_check_narrows_to_an_area_and_to_households(register):
    from jingzhun.areas.models import Area

    span = Area.objects.get(code=VILLAGE).code_range
    got = households.check(RULES, engine="duckdb", span=span)
    assert set(got.column("village_id").to_pylist()) == {VILLAGE}
    some = households.check(RULES, engine="duckdb", households=[register["X-above"], register["X-exited"]])
    assert some.column("household_id").to_pylist() == [register["X-above"]]


def test_shipped_exit_policies_load_and_bad_files_are_named(tmp_path):
    for year in range(2016, 2021):
        rules = exit_rules(year)
        assert rules.years() == [year - 1, year] and rules.exit.household.transition_years == 5
        assert all(rules.guarantee(n) is not None for n in rules.exit.household.guarantees)
    assert exit_rules(2019).line(2019) == Decimal(3218) and exit_rules(2019).line(2018) == Decimal(2995)
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nyear = 2020\nscope = "national"\npolicy = "national-2020.toml"\n'
                   '[household]\nguarantees = ["housing", "wifi"]\nlines = { 2015 = 3000 }\nyears_above = 2\n'
                   '[village]\nincidence_below = "2 percent"\n', encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_exit(bad)
    text = str(caught.value)
    assert "household.guarantees[2]" in text and "unknown guarantee 'wifi'" in text
    assert "village.incidence_below" in text and "must be a rate" in text
    missing = tmp_path / "missing.toml"
    missing.write_text('name = "x"\nyear = 2020\nscope = "national"\npolicy = "nowhere.toml"\n', encoding="utf-8")
    with pytest.raises(PolicyError, match="no identification policy file 'nowhere.toml'"):
        load_exit(missing)
    with pytest.raises(LookupError, match="no exit policy for 2031"):
        exit_rules(2031)


THREE_YEARS = """name = "三年 / three years"
year = 2020
scope = "national"
policy = "national-2020.toml"
[household]
lines = { 2018 = 2995, 2019 = 3218 }
years_above = 3
at_line = "stays"
guarantees = ["housing"]
"""

#: number → (size, {year: wage income}) for the three-year window
WINDOW = {"W-all": (3, {2018: "8985.03", 2019: "9654.03", 2020: "12000.03"}),
          "W-gap": (1, {2018: "9000", 2020: "9000"}),
          "W-at-2018": (3, {2018: "8985.00", 2019: "9654.03", 2020: "12000.03"}),
          "W-only-2020": (1, {2020: "9000"})}


@pytest.fixture(scope="module")
def extra(register, django_db_blocker):
    """Committed beside the register: the three-year window's households, and two whose net income is several
    fields (1,000.01 + 2,000.02 − 0.01 + transfer 999.98 or 999.99)."""
    made = {}
    with django_db_blocker.unblock():
        for seq, (number, (size, incomes)) in enumerate(WINDOW.items()):
            hh = make_household(number, VILLAGE, [person(200 + seq * 4 + i) for i in range(size)])
            for year, yuan in incomes.items():
                income(hh, year, yuan)
            made[number] = hh.pk
        for seq, (number, transfer) in enumerate([("N-at", "999.98"), ("N-above", "999.99")]):
            hh = make_household(number, VILLAGE, [person(300 + seq)])
            income(hh, 2019, "9000")
            IncomeRecord.objects.create(household=hh, year=2020, wage_income=Decimal("1000.01"),
                                        production_income=Decimal("2000.02"), production_costs=Decimal("0.01"),
                                        property_income=0, transfer_income=Decimal(transfer), medical_expenses=0)
            made[number] = hh.pk
    yield made
    with django_db_blocker.unblock():
        Household.objects.filter(pk__in=made.values()).delete()


def test_a_window_of_three_years_with_a_year_missing_inside_it(extra):
    """Three income years (2018–2020): a household with 2018 and 2020 but no 2019 record lacks the year inside the
    window; one with 2020 only lacks two; one exactly at 2018's line per capita (2,995 × 3 = 8,985) stays. Bulk
    and single checks agree, reason bits by year position."""
    rules = loads_exit(THREE_YEARS, "three.toml")
    assert rules.years() == [2018, 2019, 2020]
    ids = [extra[n] for n in WINDOW]
    want = {"W-all": (True, 0, 0), "W-gap": (False, 0, 0b010), "W-at-2018": (False, 0b001, 0),
            "W-only-2020": (False, 0, 0b011)}
    for engine in ENGINES:
        got = {r["household_id"]: r for r in households.check(rules, engine=engine, households=ids).to_pylist()}
        for number, (eligible, below, missing) in want.items():
            row = got[extra[number]]
            assert (row["eligible"], row["below"], row["missing"]) == (eligible, below, missing), (engine, number)
            single = one.check_household(rules, Household.objects.get(pk=extra[number]))
            keys = ("eligible", "below", "missing", "reasons", "pc_2018", "pc_2019", "pc_2020")
            assert {k: row[k] for k in keys} == {k: single[k] for k in keys}, (engine, number)
        assert got[extra["W-all"]]["pc_2018"] == 299501  # ⌊898,503 fen ÷ 3⌋
        assert got[extra["W-gap"]]["pc_2019"] is None
        assert codes.words(rules, got[extra["W-gap"]]) == ["缺少2019年收入记录 / no income record for 2019"]


def test_income_net_of_several_fields_is_exact_in_fen(extra):
    """The net income sums the sources and deducts the costs: 1,000.01 + 2,000.02 − 0.01 + 999.98 = 4,000.00
    exactly (at the 2020 line: stays), and one fen more exits."""
    ids = [extra["N-at"], extra["N-above"]]
    for engine in ENGINES:
        got = {r["household_id"]: r for r in households.check(RULES, engine=engine, households=ids).to_pylist()}
        assert got[extra["N-at"]]["pc_2020"] == 400000 and not got[extra["N-at"]]["eligible"], engine
        assert got[extra["N-above"]]["pc_2020"] == 400001 and got[extra["N-above"]]["eligible"], engine
        for pk in ids:
            single = one.check_household(RULES, Household.objects.get(pk=pk))
            assert (single["eligible"], single["pc_2020"]) == (got[pk]["eligible"], got[pk]["pc_2020"]), pk
