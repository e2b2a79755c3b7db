"""Red team (stop 21): the API's writes are not made by a page on another site through a logged-in browser.
Today the API takes personal tokens only; a session login (for the phone app) must keep that true: a write
carried by the session cookie alone, without the CSRF token, is refused and writes nothing. This holds whatever
the API's authentication becomes."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from jingzhun.plans.models import HelpPlan
from jingzhun.teams.models import Visit

pytestmark = pytest.mark.django_db


def test_an_api_write_by_the_session_cookie_alone_is_refused(web):
    client = Client(enforce_csrf_checks=True)
    client.force_login(web.users["officer_a"])
    visit = {"household_number": "A101-1", "visited_at": "2024-05-01T10:00:00+08:00", "notes": "跨站"}
    sent = client.post("/api/v1/visits", json.dumps(visit), content_type="application/json")
    plan = client.put("/api/v1/households/1/plans/2024", json.dumps({"goal": "跨站", "measures": []}),
                      content_type="application/json")
    assert sent.status_code in (401, 403) and plan.status_code in (401, 403)
    assert not Visit.objects.exists() and not HelpPlan.objects.exists()
