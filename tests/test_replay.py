"""Red team (stop 21): a form sent twice (a double click, the browser's "resend" after a timeout, a replayed
request) must not write twice where the second write is never wanted — money paid or allotted, an election.

Each test renders the page as a browser would, takes the form as rendered (every hidden input, a one-time token
too if the page ever carries one), fills it, and sends the very same request twice. The expected counts are by
hand: one form, one row.

The guard is one-time form tokens (jingzhun.web.once): every write form of these pages carries one, and the
write claims it in its own transaction.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from jingzhun.branches.models import Election
from jingzhun.talent.models import Allocation, Payment
from tests.factories import COUNTY
from tests.people_web import add_people

pytestmark = pytest.mark.django_db

YEAR = 2024


def rendered_form(client: Client, page_url: str, action_url: str) -> dict[str, str]:
    """The hidden inputs of the form posting to `action_url` on the page (csrf token, area, year, any token)."""
    html = client.get(page_url).content.decode()
    match = re.search(r'<form method="post" action="' + re.escape(action_url) + r'"(.*?)</form>', html, re.S)
    assert match, (page_url, action_url)
    return {name: value for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                                       match.group(1))}


def twice(client: Client, url: str, data: dict[str, str]) -> None:
    for _ in range(2):
        assert client.post(url, data).status_code in (200, 302, 400, 409)



def test_a_payment_sent_twice_is_paid_once(web):
    ids = add_people()[COUNTY]
    client = web.client("officer_a")
    url = reverse("talent:write", args=["pay"])
    form = rendered_form(client, reverse("talent:pool") + f"?year={YEAR}&area={COUNTY}", url)
    before = Payment.objects.filter(talent_id=ids["talent"]).count()
    twice(client, url, {**form, "scheme": str(ids["scheme"]), "talent": str(ids["talent"]), "amount": "100",
                        "kind": "award", "on": f"{YEAR}-05-01", "year": str(YEAR)})
    assert Payment.objects.filter(talent_id=ids["talent"]).count() == before + 1


def test_an_allocation_sent_twice_is_allotted_once(web):
    ids = add_people()[COUNTY]
    client = web.client("officer_a")
    url = reverse("talent:write", args=["allocate"])
    form = rendered_form(client, reverse("talent:pool") + f"?year={YEAR}&area={COUNTY}", url)
    before = Allocation.objects.filter(scheme_id=ids["scheme"]).count()
    twice(client, url, {**form, "scheme": str(ids["scheme"]), "amount": "500", "on": f"{YEAR}-05-01",
                        "year": str(YEAR)})
    assert Allocation.objects.filter(scheme_id=ids["scheme"]).count() == before + 1


def test_an_election_sent_twice_is_recorded_once(web):
    ids = add_people()[COUNTY]
    client = web.client("officer_a")
    url = reverse("branches:write", args=["elect"])
    form = rendered_form(client, reverse("branches:list") + f"?year={YEAR}&area={COUNTY}", url)
    before = Election.objects.filter(branch_id=ids["branch"]).count()  # the cast's branches have one each
    twice(client, url, {**form, "branch": str(ids["branch"]), "held_on": f"{YEAR}-05-01", "kind": "by_election",
                        "secretary": "补选者"})
    assert Election.objects.filter(branch_id=ids["branch"]).count() == before + 1


def test_a_form_without_its_token_writes_nothing_and_a_refused_write_gives_the_token_back(web):
    ids = add_people()[COUNTY]
    client = web.client("officer_a")
    url = reverse("talent:write", args=["pay"])
    form = rendered_form(client, reverse("talent:pool") + f"?year={YEAR}&area={COUNTY}", url)
    paid = {"scheme": str(ids["scheme"]), "talent": str(ids["talent"]), "kind": "award", "on": f"{YEAR}-05-01",
            "year": str(YEAR)}
    before = Payment.objects.filter(talent_id=ids["talent"]).count()
    client.post(url, {**{k: v for k, v in form.items() if k != "once"}, **paid, "amount": "100"})
    assert Payment.objects.filter(talent_id=ids["talent"]).count() == before
    client.post(url, {**form, **paid, "amount": "-5"})  # refused by the rule: the token stays unused
    assert Payment.objects.filter(talent_id=ids["talent"]).count() == before
    client.post(url, {**form, **paid, "amount": "100"})
    assert Payment.objects.filter(talent_id=ids["talent"]).count() == before + 1
