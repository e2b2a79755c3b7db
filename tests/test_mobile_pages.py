"""The phone app's pages (/m/): who may open them, what each user sees (scoped like every page), what is due,
the household card's masked IDs and the helper's view of their own households' health (audited), and what
makes the app installable (manifest, service worker) under the site's Content-Security-Policy."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.utils import timezone

from jingzhun import choices
from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.mobile import due
from jingzhun.plans.models import HelpPlan, PlanMeasure
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre, Visit
from tests.factories import COUNTY, VILLAGE
from tests.web_cast import numbers_in, page, role

pytestmark = pytest.mark.django_db
PAGES = ["/m/", "/m/attendance/", "/m/outbox/"]


def household_pages(pk: int) -> list[str]:
    return [f"/m/h/{pk}/", f"/m/h/{pk}/visit/", f"/m/h/{pk}/report/"]


@pytest.fixture
def team_a(web):
    """A work-team member of 洗车村 (the cast's team's second member, given a login)."""
    user = role("team_a", VILLAGE, "work_team")
    cadre = Cadre.objects.get(name="队员1")
    cadre.user = user
    cadre.save()
    web.users["team_a"] = user
    return user


def test_a_helper_sees_their_own_households_only(web):
    client = web.client("helper_a")
    assert numbers_in(page(client, "/m/")) == {"A101-1"}
    own = Household.objects.get(number="A101-1").pk
    for url in household_pages(own):
        page(client, url)
    for number in ("A101-2", "B102-1"):  # the same county's other household; another county's
        for url in household_pages(Household.objects.get(number=number).pk):
            page(client, url, 404)


def test_a_work_team_member_sees_their_village(web, team_a):
    client = web.client("team_a")
    assert numbers_in(page(client, "/m/")) == {"A101-1", "A101-3"}
    page(client, f"/m/h/{Household.objects.get(number='A101-2').pk}/", 404)
    attendance = page(client, "/m/attendance/")
    assert "洗车村" in attendance and 'value="433130101201"' in attendance


def test_roles_without_fieldwork_are_refused(web):
    for name in ("officer_a", "auditor_a", "evaluator_a", "no_role"):
        client = web.client(name)
        for url in PAGES:
            assert client.get(url).status_code == 403, (name, url)
    assert web.client("helper_a").get("/m/").status_code == 200
    anonymous = web.client("helper_a")
    anonymous.logout()
    assert anonymous.get("/m/")["Location"].startswith("/login/")


def test_the_helper_alone_sees_health_and_it_is_audited(web, team_a):
    own = Household.objects.get(number="A101-1")
    html = page(web.client("helper_a"), f"/m/h/{own.pk}/")
    assert html.count("data-health") == 4  # four members
    labels = {label for _code, label, _en in choices.HEALTH.values}
    shown = re.findall(r"data-health>[^:]+: ([^<（]+)", html)
    assert shown and set(shown) <= labels
    entry = AuditEntry.objects.get(action="health.shown")
    assert entry.actor == "helper_a" and entry.area == VILLAGE and entry.object_id == str(own.pk)
    # The village's team sees the card, masked, without health.
    team_html = page(web.client("team_a"), f"/m/h/{own.pk}/")
    assert "data-health" not in team_html
    assert AuditEntry.objects.filter(action="health.shown").count() == 1
    for resident_id in (r["resident_id"] for r in web.rows["A101-1"]):
        assert resident_id not in html and resident_id not in team_html
        assert resident_id[:6] in html  # the masked form keeps the area digits


def plain_overdue(h: Household, today: dt.date, days: int) -> bool:
    """The rule written out again: a household needing a helper with no visit on or after the cut-off day."""
    if h.status not in choices.NEEDS_HELPER:
        return False
    last = Visit.objects.filter(household=h).order_by("-visited_at").first()
    return last is None or timezone.localtime(last.visited_at).date() < today - dt.timedelta(days=days)


def test_what_is_due(web):
    user = role("team_c", COUNTY, "work_team")  # a county-wide role: four households of three kinds
    today = timezone.localdate()
    cutoff = today - dt.timedelta(days=30)
    helper = Cadre.objects.get(name="周帮扶")

    def visited(number: str, on: dt.date) -> None:
        at = timezone.make_aware(dt.datetime.combine(on, dt.time.min))
        Visit.objects.create(cadre=helper, household=Household.objects.get(number=number), visited_at=at,
                             recorded_at=at, entered_by="x")

    visited("A101-1", cutoff)  # on the cut-off day itself: still in time
    visited("A101-2", cutoff - dt.timedelta(days=1))  # the day before: overdue
    # A101-3 exited (no visit needed); A102-1 monitored and never visited: overdue.
    plan = HelpPlan.objects.create(household=Household.objects.get(number="A101-3"), year=today.year, goal="稳定",
                                   drafted_by=user)
    PlanMeasure.objects.create(plan=plan, category="production", description="养殖", due_on=today + dt.timedelta(days=14))
    PlanMeasure.objects.create(plan=plan, category="production", description="培训", due_on=today + dt.timedelta(days=15))
    PlanMeasure.objects.create(plan=plan, category="production", description="已完成", due_on=today, status="done",
                               done_on=today)
    rows, total = due.rows(user, due.due_now(today))
    assert total == 4
    got = {r["number"]: (r["overdue"], r["measures_due"]) for r in rows}
    assert got == {"A101-1": (False, 0), "A101-2": (True, 0), "A101-3": (False, 1), "A102-1": (True, 0)}
    assert [r["number"] for r in rows] == ["A101-2", "A102-1", "A101-3", "A101-1"]  # the due first
    for h in Household.objects.filter(number__in=got):
        assert got[h.number][0] == plain_overdue(h, today, 30), h.number
    client = web.client("helper_a")
    client.force_login(user)
    html = page(client, "/m/")
    assert html.count('data-due="visit"') == 2 and html.count('data-due="measures"') == 1


def test_pages_are_chinese_accessible_and_scripted_from_files_only(web, team_a):
    client = web.client("team_a")
    own = Household.objects.get(number="A101-1").pk
    for url in [*PAGES, *household_pages(own)]:
        response = client.get(url)
        html = response.content.decode()
        assert '<html lang="zh-Hans">' in html, url
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), f"inline script on {url}"
        assert "geolocation=(self)" in response["Permissions-Policy"]
        assert "script-src 'self'" in response["Content-Security-Policy"]
        # Every input, select and textarea has a label (by id) or is hidden.
        ids = set(re.findall(r'<label[^>]*for="([^"]+)"', html))
        for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
            if 'type="hidden"' in tag or 'type="checkbox"' in tag:
                continue
            found = re.search(r'id="([^"]+)"', tag)
            assert found and found.group(1) in ids, (url, tag)
    # Elsewhere the site still denies geolocation.
    assert "geolocation=()" in client.get("/").headers.get("Permissions-Policy", "geolocation=()")


def test_the_app_is_installable(web):
    client = web.client("helper_a")
    manifest = client.get("/m/manifest.webmanifest")
    assert manifest["Content-Type"] == "application/manifest+json"
    body = json.loads(manifest.content)
    assert body["lang"] == "zh-Hans" and body["start_url"] == "/m/" and body["scope"] == "/m/"
    assert body["display"] == "standalone" and "精准" in body["name"]
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert sizes == {"192x192", "512x512"}
    worker = client.get("/m/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/m/"
    assert b"caches.open" in worker.content


def test_the_phone_app_is_in_the_menu_of_helpers_and_teams_only(web, team_a):
    assert 'href="/m/"' in page(web.client("helper_a"), "/households/")
    assert 'href="/m/"' in page(web.client("team_a"), "/households/")
    assert 'href="/m/"' not in page(web.client("officer_a"), "/households/")


def test_a_second_role_does_not_widen_fieldwork(web):
    """An officer who is also a helper somewhere: the phone app lists their pairs, not their county."""
    user = web.users["officer_a"]
    AreaRole.objects.create(user=user, area_id=VILLAGE, role="helper")
    helper = Cadre.objects.get(name="周帮扶")
    helper.user = user
    helper.save()
    assert numbers_in(page(web.client("officer_a"), "/m/")) == {"A101-1"}


def test_the_visit_page_states_the_apis_photos_total(web):
    """The bound the page's script keeps a visit's photos under is the one the API's schema publishes."""
    from django.test import Client

    schema = Client().get("/api/openapi.json").json()
    total = schema["components"]["schemas"]["VisitIn"]["properties"]["photos"]["x-max-total-base64"]
    html = page(web.client("helper_a"), f"/m/h/{Household.objects.get(number='A101-1').pk}/visit/")
    assert f'data-photos-total="{total}"' in html
    assert re.search(r'data-photos-over="[^"]*\b6 MB', html)  # 8 MiB of base64 is 6 MiB of JPEG
