"""The organisation pages as the cast of users sees them (tests/web_cast.py): who may open them, that no
page, export or write names or touches the other county's records, and the dashboard's people section."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from jingzhun.organisation.models import PostHolding, Shortlist, UnitReview
from tests.factories import COUNTY, OTHER_COUNTY
from tests.web_cast import ORGANISATION_NAMES, add_organisation

pytestmark = pytest.mark.django_db

READERS = {"officer_a": COUNTY, "officer_b": OTHER_COUNTY, "township_a": COUNTY, "auditor_a": COUNTY}
REFUSED = ("helper_a", "no_role")


def pages(ids: dict[str, dict[str, int]]) -> list[str]:
    return [reverse("organisation:units"), reverse("organisation:cadres"), reverse("organisation:coverage"),
            reverse("organisation:fit"), reverse("organisation:leadership"), reverse("organisation:secondments"),
            reverse("organisation:reviews"), reverse("organisation:secondments") + "?days=3650",
            reverse("organisation:coverage") + "?year=2020"]


def other(county: str) -> str:
    return OTHER_COUNTY if county == COUNTY else COUNTY


def test_pages_hold_only_the_users_county(web):
    ids = add_organisation()
    for who, county in READERS.items():
        client = web.client(who)
        for url in pages(ids):
            response = client.get(url)
            assert response.status_code == 200, (who, url)
            html = response.content.decode()
            assert not any(name in html for name in ORGANISATION_NAMES[other(county)]), (who, url)
        assert client.get(reverse("organisation:county", args=[other(county)])).status_code == 404
        assert client.get(reverse("organisation:shortlist", args=[ids[other(county)]["shortlist"]])).status_code == 404
    officer = web.client("officer_a").get(reverse("organisation:county", args=[COUNTY])).content.decode()
    assert "龙山书记" in officer and 'id="basis"' in officer
    root = web.client("root")
    for url in pages(ids):
        assert root.get(url).status_code == 200
    for who in REFUSED:
        for url in pages(ids):
            assert web.client(who).get(url).status_code == 403, (who, url)


def test_exports_hold_only_the_users_areas_and_are_audited(web):
    add_organisation()
    client = web.client("officer_b")
    for kind in ("units", "unit_links", "secondments"):
        response = client.get(reverse("organisation:export", args=[kind]))
        assert response.status_code == 200
        book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
        text = str(book.get_sheet_by_index(0).to_python())
        assert "龙山" not in text and COUNTY not in text, kind
    assert "永顺县林业局" in str(CalamineWorkbook.from_filelike(io.BytesIO(b"".join(
        client.get(reverse("organisation:export", args=["units"])).streaming_content))).get_sheet_by_index(0).to_python())


def test_writes_outside_the_areas_or_without_the_ability_change_nothing(web):
    ids = add_organisation()
    b_list = ids[OTHER_COUNTY]["shortlist"]
    cadre = Shortlist.objects.get(pk=b_list).entries.get().cadre_id
    before = (Shortlist.objects.filter(area_id=OTHER_COUNTY).count(), PostHolding.objects.count())
    for who in ("officer_a", "township_a", "auditor_a", "helper_a", "no_role"):
        client = web.client(who)
        client.post(reverse("organisation:shortlist_decide", args=[b_list]), {"cadre": cadre, "reason": "越权"})
        client.post(reverse("organisation:shortlist_build", args=[OTHER_COUNTY]), {"post": "deputy_head"})
        client.post(reverse("organisation:shortlist_build", args=[COUNTY]),
                    {"post": "deputy_head", "area": OTHER_COUNTY})
    assert Shortlist.objects.get(pk=b_list).status == "open"
    assert (Shortlist.objects.filter(area_id=OTHER_COUNTY).count(), PostHolding.objects.count()) == before
    # The auditor reads but may not write, even in their own county.
    response = web.client("auditor_a").post(reverse("organisation:shortlist_build", args=[COUNTY]),
                                            {"post": "deputy_head"})
    assert response.status_code == 403
    # The county's officer may: a shortlist, then a decision with its reason.
    client = web.client("officer_a")
    response = client.post(reverse("organisation:shortlist_build", args=[COUNTY]), {"post": "deputy_head"})
    assert response.status_code == 302
    a_list = ids[COUNTY]["shortlist"]
    mine = Shortlist.objects.get(pk=a_list).entries.get().cadre_id
    client.post(reverse("organisation:shortlist_decide", args=[a_list]), {"cadre": mine, "reason": "实绩突出"})
    assert Shortlist.objects.get(pk=a_list).status == "decided"


def test_a_review_of_another_countys_units_is_neither_shown_nor_resolvable(web):
    add_organisation()
    from jingzhun.organisation.models import Unit

    a = Unit.objects.get(name="龙山县水利局")
    b = Unit.objects.create(name="龙山县水利局 ", kind="county", level="county", area_id=OTHER_COUNTY)
    r = UnitReview.objects.create(key="龙山县水利局", unit_ids=[a.pk, b.pk], reason="名称仅空格不同 / spaces")
    html = web.client("officer_b").get(reverse("organisation:reviews")).content.decode()
    assert f"#{b.pk}" in html and f"#{a.pk}" not in html  # officer_b sees only their own unit of it
    for form in ({"decision": "merged", "kept": b.pk, "note": "同一"},
                 {"decision": "merged", "kept": b.pk, "merge": [a.pk, b.pk]}, {"decision": "distinct"}):
        web.client("officer_b").post(reverse("organisation:review_resolve", args=[r.pk]), form)
    assert UnitReview.objects.get(pk=r.pk).status == "open"
    assert Unit.objects.get(pk=a.pk).merged_into_id is None


def test_the_dashboard_people_section(web):
    add_organisation()
    html = web.client("officer_a").get(reverse("web:dashboard_area", args=[COUNTY])).content.decode()
    # 龙山县: 2 deputy seats, none filled; the secretary's seat is filled. One secondment this year, to a poor
    # county (100%), ending in 20 days.
    for key, value in (("vacancies", "2"), ("secondments_year", "1"), ("secondments_poor_share", "100.0%"),
                       ("secondments_ending", "1")):
        assert f'data-figure="{key}">{value}<' in html, key
    helper = web.client("helper_a").get(reverse("web:households")).content.decode()
    assert 'id="people"' not in helper


# ------------------------------------------------------------------ properties over random users (Hypothesis)

from django.contrib.auth.models import User  # noqa: E402
from django.test import Client  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from jingzhun.areas.models import AreaRole  # noqa: E402
from tests.test_web_access_property import AREAS, ROLES, inside  # noqa: E402
from tests.web_cast import ORGANISATION_VILLAGES  # noqa: E402

READING_ROLES = {"officer", "auditor"}  # see_organisation, by the table in the brief (an oracle of its own)
WRITING_ROLES = {"officer"}
EXPORTING_ROLES = {"officer", "evaluator"}  # "export", by the same table: a download needs both on one role
DOWNLOADING_ROLES = READING_ROLES & EXPORTING_ROLES
org_users = st.lists(st.tuples(st.sampled_from(ROLES), st.sampled_from(AREAS)), max_size=3, unique=True)
COUNTER = iter(range(10**9))


def org_user(roles: list[tuple[str, str]]) -> User:
    user = User.objects.create_user(f"org{next(COUNTER)}")
    for kind, area in roles:
        AreaRole.objects.create(user=user, area_id=area, role=kind)
    return User.objects.get(pk=user.pk)


def may_read(roles: list[tuple[str, str]], county: str, kinds: set[str] = READING_ROLES) -> bool:
    """A county's records live at the county and its village: a reading role over either may name them."""
    return any(kind in kinds and (inside(county, area) or inside(ORGANISATION_VILLAGES[county], area))
               for kind, area in roles)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(roles=org_users, url=st.sampled_from(["units", "cadres", "coverage", "fit", "leadership", "secondments",
                                             "reviews", "export_units", "export_links", "export_secondments"]))
def test_no_organisation_page_names_a_county_the_user_may_not_read(web, roles, url):
    add_organisation()
    client = Client()
    client.force_login(org_user(roles))
    name = url.removeprefix("export_")
    target = (reverse("organisation:export", args=[{"links": "unit_links"}.get(name, name)]) if url.startswith("export")
              else reverse(f"organisation:{url}"))
    response = client.get(target)
    download = url.startswith("export")
    kinds = DOWNLOADING_ROLES if download else READING_ROLES
    readers = any(kind in kinds for kind, _ in roles)
    assert response.status_code == (200 if readers else 403)
    body = (str(CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0)
                .to_python()) if download and readers else response.content.decode())
    for county, names in ORGANISATION_NAMES.items():
        if not may_read(roles, county, kinds):
            assert not any(n in body for n in names), (roles, url, county)


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(roles=org_users, county=st.sampled_from([COUNTY, OTHER_COUNTY]))
def test_a_decision_lands_only_for_an_officer_over_the_county(web, roles, county):
    ids = add_organisation()
    shortlist = Shortlist.objects.get(pk=ids[county]["shortlist"])
    Shortlist.objects.filter(pk=shortlist.pk).update(status="open", chosen=None, decided_by="", decided_at=None,
                                                     reason="")
    PostHolding.objects.filter(area_id=county, post__code="deputy_head").delete()
    client = Client()
    client.force_login(org_user(roles))
    client.post(reverse("organisation:shortlist_decide", args=[shortlist.pk]),
                {"cadre": shortlist.entries.get().cadre_id, "reason": "理由"})
    may = any(kind in WRITING_ROLES and inside(county, area) for kind, area in roles)
    assert (Shortlist.objects.get(pk=shortlist.pk).status == "decided") == may, (roles, county)


def test_the_cadre_list_pages_by_key(web):
    from jingzhun.teams.models import Cadre
    from tests.factories import VILLAGE, VILLAGE2

    Cadre.objects.bulk_create([Cadre(name=f"翻页{i}", unit="县直", unit_kind="county", rank="staff",
                                     home_area_id=VILLAGE if i % 2 else VILLAGE2) for i in range(120)])
    client = web.client("officer_a")
    seen, url = [], reverse("organisation:cadres")
    while url:
        html = client.get(url).content.decode()
        seen += re.findall(r"<td>(翻页\d+)</td>", html)
        found = re.search(r'href="\?after=([\d-]+)" id="next"', html)
        url = reverse("organisation:cadres") + f"?after={found.group(1)}" if found else ""
    assert sorted(seen) == sorted(f"翻页{i}" for i in range(120)) and len(seen) == 120


def test_another_apps_figures_join_the_people_section(web):
    from jingzhun.organisation import people

    seen = []

    def training(user, area, today):
        seen.append((user.username, area.code))
        return [people.Figure("training_coverage", "培训覆盖率 / training coverage", 0.5, "share")]

    people.register("training_test", training)
    try:
        html = web.client("officer_a").get(reverse("web:dashboard_area", args=[COUNTY])).content.decode()
    finally:
        people.unregister("training_test")
    assert 'data-figure="training_coverage">50.0%<' in html and seen == [("officer_a", COUNTY)]
