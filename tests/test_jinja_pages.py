"""The household page in Jinja2 (jingzhun/web/jinja.py): the same layout as the Django-template pages, values
printed with Django's meaning (escaped, localised, local time), both languages."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from jingzhun.registry.models import Household, Member, StatusEvent
from jingzhun.teams.models import Cadre, Visit
from tests.factories import VILLAGE
from tests.web_cast import page

pytestmark = pytest.mark.django_db


def layout(html: str) -> str:
    """The page less its own parts: the title, the main content, the page's scripts; a form's CSRF token and
    the language switch's return address (both differ from one request to the next) made equal."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "csrf", html)
    html = re.sub(r'name="next" type="hidden" value="[^"]*"', "next", html)
    html = re.sub(r"<title>.*?·", "<title>·", html)
    html = re.sub(r"<main>.*</main>", "<main></main>", html, flags=re.S)
    return re.sub(r"</main>.*</body>", "</main></body>", html, flags=re.S)


@pytest.mark.parametrize("username", ["officer_a", "helper_a", "root"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_jinja_layout_is_the_django_layout(web, username, language):
    client = web.client(username)
    client.cookies["django_language"] = language
    django_page = page(client, reverse("web:households"))  # a Django-template page
    jinja_page = page(client, reverse("web:household", args=["A101-1"]))
    assert layout(jinja_page) == layout(django_page)
    assert ('data-page="web:households"' in jinja_page) and ("<nav>" in jinja_page)


def test_values_are_escaped_localised_and_in_local_time(web):
    household = Household.objects.get(number="A101-1")
    Member.objects.filter(household=household, position=1).update(name='<script>alert("x")</script>&')
    cadre = Cadre.objects.get(name="周帮扶")
    # 2019-05-01 17:30 UTC is 2019-05-02 01:30 in Beijing: the page gives the local date and time.
    at = dt.datetime(2019, 5, 1, 17, 30, tzinfo=dt.UTC)
    Visit.objects.create(cadre=cadre, household=household, village_id=VILLAGE, visited_at=at,
                         notes="<b>" + "很" * 100, recorded_at=at, entered_by="test")
    StatusEvent.objects.filter(household=household).update(recorded_at=at)
    html = page(web.client("officer_a"), reverse("web:household", args=["A101-1"]))
    assert '<script>alert("x")' not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in html
    # truncatechars:80 with Django's Chinese ellipsis "..." keeps 77 characters ("<b>" and 74 很), then escapes
    assert "2019-05-02 01:30 · &lt;b&gt;" + "很" * 74 + "...</li>" in html
    # The register's status change is dated by its year (the file has no day), never by the row's writing.
    assert "<li>2019年度 · " in html and "<li>2019-05-02 · " not in html
    assert "<dd>2.50</dd>" in html  # arable land (mu), a decimal as Django prints it


def test_both_languages(web):
    client = web.client("officer_a")
    html = page(client, reverse("web:household", args=["A101-1"]))
    assert "<h2>一、家庭基本情况</h2>" in html and 'lang="zh-CN"' in html and "<h2>1. Family</h2>" not in html
    client.cookies["django_language"] = "en"
    html = page(client, reverse("web:household", args=["A101-1"]))
    assert "<h2>1. Family</h2>" in html and 'lang="en"' in html


def test_the_reveal_button_only_for_those_who_may_and_health_only_for_the_households_own_helper(web):
    """A101-1 is helped by helper_a (tests/web_cast.py); its first member's health, as the register file gave it,
    is shown to that helper (audited) and to nobody else; the reveal button shows only with the permission."""
    from django.contrib.auth.models import Permission

    from jingzhun.audit.models import AuditEntry

    url = reverse("web:household", args=["A101-1"])
    expected = web.rows["A101-1"][0]["health"]  # as the file wrote it: the Chinese label the page shows
    officer = page(web.client("officer_a"), url)
    assert 'data-reveal="1"' not in officer and 'class="health"' not in officer
    assert not AuditEntry.objects.filter(action="health.shown").exists()
    helper = page(web.client("helper_a"), url)
    assert f'<td class="health">{expected}' in helper and 'data-reveal="1"' not in helper
    shown = AuditEntry.objects.get(action="health.shown")
    assert (shown.actor, shown.area) == ("helper_a", VILLAGE)
    web.users["officer_a"].user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    assert 'data-reveal="1"' in page(web.client("officer_a"), url)
