"""The exit pipeline page: households, villages and counties of the user's areas that may exit, and those
blocked with their reasons; scoped (another area is 404, a helper 403); both languages.

The cast is tests/web_cast.py's (committed: the check reads through an engine's own connection). Its
households have income records of 2019 only, so every poor household is blocked by the missing 2020 record; A101-1 gets
two years above the 2020 line here and exits, A101-2 gets them but fails housing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from jingzhun.areas.models import Area, VillageRecord
from jingzhun.registry.models import Household, IncomeRecord
from tests.factories import COUNTY, OTHER_COUNTY, VILLAGE
from tests.web_cast import page

URL = reverse("web:exits")


def above(number: str, **changes: object) -> None:
    hh = Household.objects.get(number=number)
    size = hh.members.count()
    for year in (2019, 2020):
        IncomeRecord.objects.update_or_create(household=hh, year=year, defaults=dict(
            wage_income=Decimal(5000 * size), production_income=0, production_costs=0, property_income=0,
            transfer_income=0, medical_expenses=0))
    Household.objects.filter(pk=hh.pk).update(**{"housing_grade": "A", "drinking_water": "safe", "food_secure": True,
                                                 "clothing_secure": True, "schooling_secured": True,
                                                 "medical_secured": True, "housing_secured": True,
                                                 "water_secured": True, **changes})


@pytest.fixture
def cast(committed_web):
    above("A101-1")
    above("A101-2", housing_grade="D")
    Area.objects.filter(code=VILLAGE).update(poor_village=True)
    # 洗车村: A101-1's 4 people on the list out of 400 (1 %); its record has a road and power but no clinic.
    VillageRecord.objects.create(village_id=VILLAGE, year=2020, population=400, hardened_road=True, power_grid=True,
                                 clinic=False, collective_income=Decimal(50000))
    Area.objects.filter(code=COUNTY).update(poor_county="national")
    Area.objects.filter(code=OTHER_COUNTY).update(poor_county="national")
    return committed_web


def rows(html: str, kind: str) -> set[str]:
    import re

    return set(re.findall(rf'data-household="([^"]+)" data-exit="{kind}"', html))


def test_the_officer_sees_who_may_exit_and_what_blocks_the_others(cast):
    html = page(cast.client("officer_a"), URL + "?year=2020")
    assert rows(html, "eligible") == {"A101-1"}
    assert rows(html, "blocked") == {"A101-2"}  # A102-1 is monitored, A101-3 exited: not on the poor list
    assert "未达到：住房安全有保障" in html
    # The village: 4 poor people in 400 is 1 %, below 2 %; but it has no clinic.
    assert 'data-village="433130101201" data-exit="blocked"' in html and "村情条件未达到：有标准化卫生室" in html
    # The county: not every village has a 2020 record, and there is no evaluation yet.
    assert 'data-county="433130000000" data-exit="blocked"' in html and "没有第三方评估结果" in html
    assert "B102-1" not in html and "433127000000" not in html


def test_the_village_exits_when_its_conditions_hold(cast):
    VillageRecord.objects.filter(village_id=VILLAGE, year=2020).update(clinic=True)
    html = page(cast.client("officer_a"), URL + "?year=2020")
    assert 'data-village="433130101201" data-exit="eligible"' in html


def test_scope_language_and_bad_input(cast):
    page(cast.client("officer_a"), URL + "?area=433127000000", 404)
    page(cast.client("helper_a"), URL, 403)
    page(cast.client("officer_a"), URL + "?year=1999", 400)
    html = page(cast.client("officer_b"), URL + "?year=2020")
    assert rows(html, "eligible") == set() and rows(html, "blocked") == {"B102-1", "B102-2"}
    assert "缺少2020年收入记录" in html
    client = cast.client("officer_b")
    client.cookies["django_language"] = "en"
    html = page(client, URL + "?year=2020")
    assert "no income record for 2020" in html and "缺少2020年收入记录" not in html
