"""The exit pipeline page: households, villages and counties of the user's areas that may exit, and those
blocked with their reasons; scoped (another area is 404, a helper 403); both languages.

The cast is tests/web_cast.py's (committed: the check reads through an engine's own connection). Its
households have income records of 2019 only, so every poor household is blocked by the missing 2020 record; A101-1 gets
two years above the 2020 line here and exits, A101-2 gets them but fails housing.
"""

from __future__ import annotations

import datetime as dt
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


# --------------------------------------------------------------------------- exit applications in the browser


def test_an_exit_is_proposed_and_taken_through_its_steps_in_the_browser(web):
    from jingzhun.appraisal.models import Application, Consent
    from tests.test_web_appraisal import errors, ok, post

    officer = web.client("officer_a")
    form = {"kind": "exit", "household": "A101-2", "year": "2020", "applied_by": "村两委", "on": "2020-11-02"}
    refused = post(officer, None, "", form)
    # The cast's 2019 income: (6000 + 3000.5 − 800 + 1200) / 3 people = 3,133.50 yuan; medical care not secured.
    assert refused.status_code == 400 and errors(refused)[0].startswith(
        "户 A101-2 尚不符合2020年退出条件（2019年人均纯收入 3,133.50 元，未高于退出标准 3,218 元；缺少2020年收入记录；"
        "未达到：基本医疗有保障）")
    assert not Application.objects.filter(kind="exit").exists()
    ok(post(officer, None, "", {**form, "override": "收入已核实，统计滞后"}))
    app = Application.objects.get(kind="exit")
    assert app.steps.get(action="apply").reason == "收入已核实，统计滞后"
    html = page(officer, reverse("web:application", args=[app.pk]))
    assert 'data-kind="exit"' in html and "贫困户退出" in html and 'id="step-appraise"' in html
    ok(post(officer, app, "appraise", {"held_on": "2020-11-03", "attendees": "31", "votes_for": "16",
                                       "votes_against": "10", "votes_abstain": "5", "minutes": "同意退出"}))
    ok(post(officer, app, "verify", {"decision": "pass", "on": "2020-11-04", "findings": "核实无误"}))
    missing = post(officer, app, "consent", {"signed_by": "王小川", "signed_on": "2020-11-05", "document": ""})
    assert missing.status_code == 400 and errors(missing) == ["须填写签字材料编号"]
    publish = {"starts_on": "2020-11-06", "days": "7", "contact": "村委会"}
    early = post(officer, app, "publish", publish)
    assert early.status_code == 400 and "仅限：待退出公示" in errors(early)[0]
    ok(post(officer, app, "consent", {"signed_by": "王小川", "signed_on": "2020-11-05", "document": "认可书-12"}))
    assert Consent.objects.get(application=app).document == "认可书-12"
    ok(post(officer, app, "publish", publish))
    ok(post(officer, app, "close", {"on": "2020-11-13"}))
    ok(post(officer, app, "township", {"decision": "approve", "on": "2020-11-14", "opinion": ""}))
    ok(post(officer, app, "announce", {"on": "2020-11-20"}))
    hh = Household.objects.get(number="A101-2")
    assert (hh.status, hh.exit_year) == ("exited", 2020)
    html = page(officer, reverse("web:application", args=[app.pk]))
    assert 'id="policies-until">2025<' in html and "已公告退出" in html


def test_exit_steps_refuse_the_wrong_level_and_other_areas(web):
    from jingzhun.appraisal import workflow
    from jingzhun.appraisal.models import Application
    from tests.test_web_appraisal import post

    root = web.users["root"]
    app = workflow.apply(Household.objects.get(number="B102-1"), 2020, applied_by="村两委",
                         on=dt.date(2020, 11, 2), user=root, kind="exit", override="试点")
    before = Application.objects.get(pk=app.pk).state
    assert post(web.client("officer_a"), app, "appraise", {}).status_code == 404
    assert page(web.client("officer_a"), reverse("web:application", args=[app.pk]), 404)
    assert Application.objects.get(pk=app.pk).state == before


def test_each_user_sees_exactly_the_poor_households_of_their_areas(cast):
    from tests.web_cast import HOUSEHOLDS, SEES, numbers_in

    on_list = {n for n, (_v, _s, status, *_r) in HOUSEHOLDS.items() if status in ("贫困户", "返贫")}
    for username, sees in SEES.items():
        if username in ("helper_a", "no_role"):
            page(cast.client(username), URL, 403)
            continue
        html = page(cast.client(username), URL + "?year=2020")
        assert numbers_in(html) == sees & on_list, username


def test_the_applications_list_shows_and_filters_the_kind(web):
    import re

    from jingzhun.appraisal import workflow

    root = web.users["root"]
    identify = workflow.apply(Household.objects.get(number="A101-1"), 2020, applied_by="甲", on=dt.date(2020, 1, 2),
                              user=root)
    leave = workflow.apply(Household.objects.get(number="A101-2"), 2020, applied_by="村两委", on=dt.date(2020, 11, 2),
                           user=root, kind="exit", override="演示")
    client = web.client("officer_a")

    def listed(query: str = "") -> list[tuple[str, str]]:
        html = page(client, reverse("web:applications") + query)
        return re.findall(r'<tr data-application="(\d+)">.*?<td data-kind="(\w+)">', html)

    assert sorted(listed()) == sorted([(str(identify.pk), "identify"), (str(leave.pk), "exit")])
    assert listed("?kind=exit") == [(str(leave.pk), "exit")]
    assert "贫困户退出" in page(client, reverse("web:applications") + "?kind=exit")
