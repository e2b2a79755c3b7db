"""Village and county exit at exactly their thresholds: incidence 2 % (3 % in the west) and the evaluation's
rates (2 %, 2 %, 90 %), each side of them and on them under both `at_threshold` readings; the village-record
conditions; scope. Worked by hand: 4 poor people in a village of 200 is exactly 2 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from django.contrib.auth.models import User

from jingzhun.areas.models import Area, AreaRole, VillageRecord
from jingzhun.exits import areas
from jingzhun.policy.exit import ExitRules, exit_rules
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE, VILLAGE2, make_areas, resident_id
from tests.test_crosscheck import make_household

pytestmark = pytest.mark.django_db
RULES = exit_rules(2020)
SEQ = iter(range(100, 1000))


def poor_people(village: str, n: int, status: str = "poor") -> None:
    """n poor people in households of one person each (and exited ones do not count)."""
    for _ in range(n):
        i = next(SEQ)
        make_household(f"P{i}", village, [resident_id("433130", dt.date(1950, 1, 1) + dt.timedelta(days=i), i, True)],
                       status=status)


def record(village: str, population: int, **facts: object) -> None:
    fine = {"hardened_road": True, "power_grid": True, "clinic": True, "collective_income": Decimal(10000)}
    VillageRecord.objects.create(village_id=village, year=2020, population=population, **{**fine, **facts})


def exits_at_threshold(rules: ExitRules) -> ExitRules:
    village = rules.exit.village.model_copy(update={"at_threshold": "exits"})
    county = rules.exit.county.model_copy(update={"at_threshold": "exits"})
    return ExitRules(rules.exit.model_copy(update={"village": village, "county": county}), rules.base)


@pytest.fixture
def officer(db):
    make_areas()
    user = User.objects.create_user("o")
    AreaRole.objects.create(user=user, area_id=COUNTY, role="officer")
    return user


def verdicts(rules: ExitRules, user: User, code: str = COUNTY) -> dict[str, areas.AreaVerdict]:
    area = Area.objects.get(code=code)
    return {v.code: v for v in [*areas.villages(rules, user, area), *areas.counties(rules, user, area)]}


def test_village_incidence_exactly_at_two_percent(officer):
    poor_people(VILLAGE, 4)  # 4 / 200 = 2 %
    poor_people(VILLAGE, 2, status="exited")  # not on the list
    record(VILLAGE, 200)
    poor_people(VILLAGE2, 3)  # 3 / 200 = 1.5 %
    record(VILLAGE2, 200)
    got = verdicts(RULES, officer)
    assert got[VILLAGE].incidence == Fraction(2, 100) and not got[VILLAGE].eligible
    assert got[VILLAGE].blocked == ["贫困发生率 2.00%（4/200），不低于退出标准 2.00% / incidence 2.00% (4/200) is not "
                                    "below the exit threshold of 2.00%"]
    assert got[VILLAGE2].eligible
    relaxed = verdicts(exits_at_threshold(RULES), officer)
    assert relaxed[VILLAGE].eligible and relaxed[VILLAGE2].eligible


def test_the_west_threshold_is_three_percent(officer):
    Area.objects.filter(code=VILLAGE).update(region_class="west")
    poor_people(VILLAGE, 6)  # 6 / 200 = 3 %: at the west threshold
    record(VILLAGE, 200)
    poor_people(VILLAGE2, 5)  # 5 / 200 = 2.5 %: above 2 %, the central threshold
    record(VILLAGE2, 200)
    got = verdicts(RULES, officer)
    assert got[VILLAGE].threshold == Fraction(3, 100) and not got[VILLAGE].eligible
    assert got[VILLAGE2].threshold == Fraction(2, 100) and not got[VILLAGE2].eligible
    Area.objects.filter(code=VILLAGE2).update(region_class="west")
    assert verdicts(RULES, officer)[VILLAGE2].eligible  # 2.5 % < 3 %


def test_village_conditions_and_a_missing_record(officer):
    record(VILLAGE, 500, clinic=False, collective_income=Decimal(0))
    got = verdicts(RULES, officer)
    assert got[VILLAGE].blocked == ["村情条件未达到：有标准化卫生室 / village condition not met: a standard clinic",
                                    "村情条件未达到：有村集体经济收入 / village condition not met: a collective income"]
    assert got[VILLAGE2].blocked == ["缺少2020年村情人口 / no village record (population) for 2020"]


def rates(wrongly: str, missed: str, satisfaction: str):
    return lambda county, year: areas.CountyRates(Fraction(wrongly), Fraction(missed), Fraction(satisfaction))


def test_county_incidence_and_the_evaluation_rates_at_their_thresholds(officer, monkeypatch):
    poor_people(VILLAGE, 2)
    record(VILLAGE, 100)
    record(VILLAGE2, 100)  # 2 / 200 = 1 %
    assert verdicts(RULES, officer)[COUNTY].blocked == ["没有第三方评估结果 / no third-party evaluation results"]
    monkeypatch.setattr(areas, "evaluation_rates", rates("1/100", "1/100", "95/100"))
    assert verdicts(RULES, officer)[COUNTY].eligible
    monkeypatch.setattr(areas, "evaluation_rates", rates("2/100", "2/100", "90/100"))
    county = verdicts(RULES, officer)[COUNTY]
    # Exactly 90 % satisfaction passes: the policy's satisfaction_at_threshold = "exits" (低于90%的不得退出).
    assert [b.split(" / ")[0] for b in county.blocked] == ["错退率 2.00%，未低于 2.00%", "漏评率 2.00%，未低于 2.00%"]
    monkeypatch.setattr(areas, "evaluation_rates", rates("1/100", "1/100", "8999/10000"))
    assert verdicts(RULES, officer)[COUNTY].blocked == ["群众认可度 89.99%，低于 90.00% / satisfaction 89.99% is below 90.00%"]
    strict = ExitRules(RULES.exit.model_copy(update={"county": RULES.exit.county.model_copy(
        update={"satisfaction_at_threshold": None})}), RULES.base)
    monkeypatch.setattr(areas, "evaluation_rates", rates("2/100", "2/100", "90/100"))
    assert [b.split(" / ")[0] for b in verdicts(strict, officer)[COUNTY].blocked] == [
        "错退率 2.00%，未低于 2.00%", "漏评率 2.00%，未低于 2.00%", "群众认可度 90.00%，未高于 90.00%"]
    assert verdicts(exits_at_threshold(RULES), officer)[COUNTY].eligible
    poor_people(VILLAGE2, 2)  # 4 / 200 = 2 %: the county's incidence at its threshold
    county = verdicts(RULES, officer)[COUNTY]
    assert county.incidence == Fraction(2, 100) and "贫困发生率 2.00%（4/200）" in county.blocked[0]


def test_a_county_with_a_village_lacking_its_record_is_blocked_and_scope_holds(officer, monkeypatch):
    monkeypatch.setattr(areas, "evaluation_rates", rates("0", "0", "1"))
    record(VILLAGE, 100)
    got = verdicts(RULES, officer)
    assert got[COUNTY].blocked == ["1 个村缺少2020年村情人口 / 1 villages have no record for 2020"]
    assert OTHER_COUNTY not in got and OTHER_VILLAGE not in got
    township = User.objects.create_user("t")
    AreaRole.objects.create(user=township, area_id=Area.objects.get(code=VILLAGE).parent_id, role="officer")
    # A township officer sees its villages, not the county's whole-county verdict.
    assert set(verdicts(RULES, township, VILLAGE)) == {VILLAGE}


def status_changed_after(number: str, status: str, year: int) -> None:
    """The household's status changes in `year` (after the assessed 2020), as the workflow records it."""
    from django.utils import timezone

    from jingzhun.registry.models import Household, StatusEvent

    hh = Household.objects.get(number=number)
    Household.objects.filter(pk=hh.pk).update(status=status, exit_year=year if status == "exited" else hh.exit_year,
                                              identified_year=year if status == "poor" else hh.identified_year)
    StatusEvent.objects.create(household=hh, status=status, year=year, reason="", recorded_at=timezone.now())


def test_verdicts_count_the_status_at_the_year_end_not_the_current_one(officer, monkeypatch):
    from django.utils import timezone

    from jingzhun.registry.models import Household, StatusEvent

    monkeypatch.setattr(areas, "evaluation_rates", rates("0", "0", "1"))
    poor_people(VILLAGE, 4)  # 4 / 200 = 2 % at the end of 2020: the village stays
    record(VILLAGE, 200)
    record(VILLAGE2, 200)
    for hh in Household.objects.filter(village_id=VILLAGE):
        StatusEvent.objects.create(household=hh, status="poor", year=2018, reason="", recorded_at=timezone.now())
    before = verdicts(RULES, officer)
    assert before[VILLAGE].poor_people == 4 and not before[VILLAGE].eligible
    assert before[COUNTY].poor_people == 4 and before[COUNTY].incidence == Fraction(4, 400)
    # 2021: two of the four exit and a household of VILLAGE2 is newly identified; the 2020 verdicts stay.
    numbers = list(Household.objects.filter(village_id=VILLAGE).order_by("number").values_list("number", flat=True))
    status_changed_after(numbers[0], "exited", 2021)
    status_changed_after(numbers[1], "exited", 2021)
    poor_people(VILLAGE2, 3)
    for hh in Household.objects.filter(village_id=VILLAGE2):
        Household.objects.filter(pk=hh.pk).update(identified_year=2021)
    Area.objects.filter(code=VILLAGE).update(exit_year=2021)  # its exit recorded later: still judged for 2020
    after = verdicts(RULES, officer)
    for code in (VILLAGE, VILLAGE2, COUNTY):
        assert (after[code].poor_people, after[code].blocked) == (before[code].poor_people, before[code].blocked), code
    # The 2021 verdict (on 2021's records) does see the changes: 2 exited, 3 newly poor.
    for village in (VILLAGE, VILLAGE2):
        VillageRecord.objects.create(village_id=village, year=2021, population=200, hardened_road=True,
                                     power_grid=True, clinic=True, collective_income=Decimal(1))
    rules_2021 = ExitRules(RULES.exit.model_copy(update={"year": 2021}), RULES.base)
    later = verdicts(rules_2021, officer)
    assert later[VILLAGE].poor_people == 2 and later[VILLAGE2].poor_people == 3 and later[COUNTY].poor_people == 5
    # An event of 2020 says what the household was at the end of 2020, whatever its fields now say.
    StatusEvent.objects.create(household=Household.objects.get(number=numbers[2]), status="exited", year=2020,
                               reason="", recorded_at=timezone.now())
    assert verdicts(RULES, officer)[VILLAGE].poor_people == 3
