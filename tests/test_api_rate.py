"""The rate limit counted so that a read commits once (jingzhun.api.rate): every authenticated request counted
exactly once, a read's count and its audit row committed (or rolled back) together, a write counted before it
does anything. Counts are read from the window table itself."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test import override_settings

from jingzhun.api import rate, tokens
from jingzhun.api.models import ApiToken
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.models import Household
from jingzhun.teams.models import Visit
from tests.api_support import Api, token_for

pytestmark = pytest.mark.django_db


def window(raw: str) -> int:
    """The token's count in the current minute, from the table."""
    token = ApiToken.objects.get(digest=tokens.digest(raw))
    with connection.cursor() as cur:
        cur.execute("SELECT count FROM api_ratewindow WHERE token_id = %s AND minute = %s",
                    [token.pk, int(time.time() // 60)])
        row = cur.fetchone()
    return row[0] if row else 0


def reads_of(pk: int) -> int:
    return AuditEntry.objects.filter(action="api.household.read", object_id=str(pk)).count()


@pytest.fixture
def officer(web):
    raw = token_for(web.users["officer_a"], ("read", "write"))
    return raw, Api(raw), Household.objects.get(number="A101-1").pk


def settle(raw: str) -> None:
    """Start on a fresh minute when this one is nearly over (the window is a calendar minute)."""
    if time.time() % 60 > 55:
        time.sleep(61 - time.time() % 60)


def test_each_read_is_counted_once_with_or_without_an_audit_row(officer):
    raw, api, pk = officer
    settle(raw)
    assert api.get(f"/households/{pk}").status_code == 200  # counted with its audit row
    assert (window(raw), reads_of(pk)) == (1, 1)
    assert api.get("/households").status_code == 200  # counted after the answer
    assert api.get(f"/households/{pk}/visits").status_code == 200
    assert window(raw) == 3
    assert api.get("/households/999999999").status_code == 404  # a refused read counts too
    assert window(raw) == 4


@override_settings(API_RATE_PER_MINUTE=2)
def test_a_read_at_the_limit_is_refused_before_any_work_and_not_counted(officer):
    raw, api, pk = officer
    settle(raw)
    assert [api.get(f"/households/{pk}").status_code for _ in range(2)] == [200, 200]
    refused = api.get(f"/households/{pk}")
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Content-Type"] == "application/problem+json"
    assert (window(raw), reads_of(pk)) == (2, 2)  # no audit row, and the count as it was


@override_settings(API_RATE_PER_MINUTE=2)
def test_reads_racing_at_the_limit_roll_back_their_audit_row_with_their_count(officer, monkeypatch):
    """Two reads that both passed the check while the window was under the limit: the one counted over the
    limit answers 429, and its audit row is rolled back with its count — they are one transaction."""
    raw, api, pk = officer
    settle(raw)
    token = ApiToken.objects.get(digest=tokens.digest(raw))
    tokens.count_request(token)
    tokens.count_request(token)  # the window is full: others' reads were counted after this one's check
    monkeypatch.setattr(rate, "seen", lambda token, now: 0)  # this read's check came before them
    response = api.get(f"/households/{pk}")
    assert response.status_code == 429 and "A101-1" not in response.content.decode()
    assert (window(raw), reads_of(pk)) == (2, 0)


@override_settings(API_RATE_PER_MINUTE=1)
def test_a_write_is_counted_before_it_does_anything(officer):
    raw, api, pk = officer
    settle(raw)
    assert api.get("/households").status_code == 200
    response = api.post("/visits", {"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00",
                                    "notes": "走访"})
    assert response.status_code == 429
    assert not Visit.objects.filter(household_id=pk).exists()


def test_a_request_without_a_valid_token_counts_nothing(officer):
    raw, _api, pk = officer
    assert Api("jz_not-a-token").get(f"/households/{pk}").status_code == 401
    assert window(raw) == 0
