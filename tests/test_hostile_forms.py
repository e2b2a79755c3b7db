"""Red team (stop 21): every form of the site and every filter in a URL, given hostile values one field at a
time, answers with a page or a refusal — never a 500. The values are those that broke pages before: empty,
words for numbers, a negative, 1e309 and a 30-digit number (beyond a decimal's and a database key's range),
superscript and Arabic-Indic digits (`str.isdigit` says yes, `int` no or differently), an impossible date, a NUL
byte, NaN, and 5,000 characters. Run as a superuser (every form reachable) and as a county officer (the scoped
paths). Writes are checked elsewhere; here only that nothing crashes.
"""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from django.urls import reverse

from tests.people_web import add_people
from tests.web_cast import add_organisation, evaluation

pytestmark = pytest.mark.django_db

HOSTILE = ["", "abc", "-1", "1e309", "9" * 30, "²", "2024-13-45", "\x00", "nan", "١٢", "x" * 5000, "0"]
TALENT = ["scheme", "talent", "amount", "kind", "on", "year", "payment", "reason", "name", "serving_area",
          "speciality", "recruited", "start_date", "code", "scheme_area", "start_year", "post_area", "places"]
BRANCHES = ["branch", "year", "rating", "result", "on", "held_on", "kind", "secretary", "votes"]
FILTERS = [("web:alerts", "days"), ("assessment:index", "year"), ("assessment:trends", "year"),
           ("assessment:flags", "year"), ("assessment:shortlist", "year"), ("assessment:signoff", "year"),
           ("web:households", "page"), ("web:audit", "before"), ("web:yearly", "year"), ("monitoring:overdue", "area"),
           ("monitoring:county", "county"), ("training:courses", "year"), ("talent:pool", "year"),
           ("branches:list", "year"), ("web:exits", "area"), ("organisation:cadres", "after"), ("web:coverage", "area"),
           ("web:dashboard", "year")]


def forms() -> dict[str, list[str]]:
    """Each form's address → its fields (the names the page sends)."""
    org, found = add_organisation(), evaluation()
    add_people()
    out = {
        reverse("web:alerts"): ["key", "note"],
        reverse("web:pairing"): ["county"],
        reverse("web:pairing_adjust"): ["household", "cadre", "reason"],
        reverse("web:decide", args=[1]): ["status", "reason"],
        reverse("web:application_new"): ["household", "year", "applied_by", "on", "kind", "override"],
        reverse("web:plan", args=["A101-1", 2024]): ["goal", "measure-1-amount", "measure-1-cadre", "measure-1-id",
                                                     "measure-1-due_on", "measure-1-category", "measure-1-done_on"],
        reverse("web:plan_approve", args=["A101-1", 2024]): ["decision"],
        reverse("web:yearly_quotas"): ["policy", "year"],
        reverse("evaluation:draw"): ["name", "year", "area", "seed", "households_per_county",
                                     "households_per_village", "exited_share"],
        reverse("evaluation:findings", args=[found.pk, "A101-3"]): ["satisfied", "missed_poor", "wrongly_exited"],
        reverse("assessment:index"): ["action", "scheme", "year", "area"],
        reverse("assessment:signoff"): ["year", "township", "action", "level", "reason"],
        reverse("assessment:decide"): ["subject", "unit_type", "unit", "year", "decision", "reason", "on"],
        reverse("training:add_course"): ["code", "title", "topic", "kind", "start_date", "end_date", "hours", "area"],
        reverse("monitoring:report"): ["household", "on", "reported_by", "situation", "schooling", "disaster"],
        reverse("monitoring:screen"): ["year"],
        reverse("organisation:shortlist_build", args=["433130000000"]): ["area", "post"],
        reverse("organisation:shortlist_decide", args=[org["433130000000"]["shortlist"]]): ["cadre", "reason"],
        reverse("organisation:review_resolve", args=[1]): ["decision", "kept", "note", "merge"],
        reverse("api_tokens"): ["name", "scopes", "days"],
    }
    out |= {reverse("talent:write", args=[a]): TALENT for a in ("join", "depart", "allocate", "pay", "reverse",
                                                                  "scheme", "quota")}
    out |= {reverse("branches:write", args=[a]): BRANCHES for a in ("rate", "rerate", "elect")}
    return out


@pytest.mark.parametrize("username", ["root", "officer_a"])
def test_no_form_and_no_filter_answers_a_hostile_value_with_a_500(web, username):
    client: Client = web.client(username)
    client.raise_request_exception = False  # a crash is a 500 answer here, collected with the others
    crashed = []
    for url, fields in forms().items():
        for field, value in itertools.product(fields, HOSTILE):
            if client.post(url, {field: value}).status_code >= 500:
                crashed.append(("POST", url, field, value[:12]))
    for (name, field), value in itertools.product(FILTERS, HOSTILE):
        if client.get(reverse(name), {field: value}).status_code >= 500:
            crashed.append(("GET", name, field, value[:12]))
    assert crashed == []


@pytest.mark.parametrize("how", ["get", "form", "multipart"])
def test_a_nul_character_anywhere_in_a_request_is_refused_before_any_view(web, how):
    """PostgreSQL stores no NUL in text: a filter or a field holding one was a 500 there (SQLite took it)."""
    client = web.client("officer_a")
    if how == "get":
        response = client.get(reverse("monitoring:overdue"), {"area": "4331\x00"})
    elif how == "form":
        response = client.post(reverse("web:pairing_adjust"), "household=A101-1%00&reason=x",
                               content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(reverse("web:pairing_adjust"), {"household": "A101-1\x00", "reason": "x"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    # Without it the same requests are answered as usual.
    assert client.get(reverse("monitoring:overdue"), {"area": "433130"}).status_code == 200


def test_every_form_refuses_a_post_without_the_csrf_token(web):
    """A page on another site cannot make a logged-in officer's browser write: every form address (and the
    admin's) answers a POST without the CSRF token with 403, and nothing is audited."""
    from jingzhun.audit.models import AuditEntry

    client = Client(enforce_csrf_checks=True)
    client.force_login(web.users["root"])
    urls = [*forms(), reverse("admin:registry_household_changelist"), reverse("web:imports"),
            reverse("web:reveal", args=[1]), "/admin/auth/user/add/"]
    before = AuditEntry.objects.count()  # after forms(): making its records (the evaluation's draw) is audited
    refused = {url: client.post(url, {"reason": "x", "note": "x"}).status_code for url in urls}
    assert {url: code for url, code in refused.items() if code != 403} == {}
    assert AuditEntry.objects.count() == before
