"""The REST API: tokens (scopes, expiry, revocation, rate limit), masked IDs and the audited reveal, the
register's reads with cursor pagination, problem details. Expected answers come from the cast's table
(tests/web_cast.py), never from the application."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Permission
from django.test import override_settings
from django.utils import timezone

from jingzhun.api import tokens
from jingzhun.api.models import ApiToken
from jingzhun.audit.models import AuditEntry
from jingzhun.identity import mask
from jingzhun.registry.models import Household, Member
from tests.api_support import Api, api_for, token_for
from tests.web_cast import SEES

pytestmark = pytest.mark.django_db


def pk_of(number: str) -> int:
    return Household.objects.get(number=number).pk


def walk(api: Api, limit: int, **params: str) -> list[str]:
    """Every household number over all pages."""
    seen, cursor = [], ""
    while True:
        response = api.get("/households", limit=limit, cursor=cursor, **params)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [row["number"] for row in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            return seen


@pytest.mark.parametrize("user", ["officer_a", "officer_b", "township_a", "helper_a", "auditor_a", "root"])
def test_each_user_pages_through_exactly_their_households(web, user):
    api = api_for(web.users[user])
    got = walk(api, limit=2)
    assert got == sorted(SEES[user])  # each once, in number order, over pages of two


def test_a_household_outside_the_users_areas_is_not_found_and_its_members_not_revealed(web):
    api = api_for(web.users["officer_b"], "read", "reveal")
    response = api.get(f"/households/{pk_of('A101-1')}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and body["type"].endswith("not-found") and "A101-1" not in response.content.decode()
    member = Member.objects.get(household__number="A101-1", position=1)
    assert api.post(f"/members/{member.pk}/reveal").status_code == 404


def test_ids_are_masked_and_birth_dates_cut_to_the_year(web):
    body = api_for(web.users["officer_a"]).get(f"/households/{pk_of('A101-1')}").json()
    assert [m["name"] for m in body["members"]][0] == "王大山"
    for member, row in zip(body["members"], web.rows["A101-1"], strict=True):
        full = row["resident_id"]
        assert member["resident_id"] == mask(full) != full
        assert member["birth"] == full[6:10]  # the year only: no reveal permission
        assert full not in str(body)


def test_a_household_read_is_audited(web):
    before = AuditEntry.objects.filter(action="api.household.read").count()
    api_for(web.users["officer_a"]).get(f"/households/{pk_of('A101-2')}")
    entry = AuditEntry.objects.filter(action="api.household.read").latest("id")
    assert AuditEntry.objects.filter(action="api.household.read").count() == before + 1
    assert entry.actor == "officer_a" and entry.object_id == str(pk_of("A101-2"))


def test_reveal_needs_the_scope_and_the_permission_and_is_audited(web):
    user = web.users["officer_a"]
    member = Member.objects.get(household__number="A101-1", position=1)
    # Without the reveal scope: refused before anything is read.
    assert api_for(user, "read").post(f"/members/{member.pk}/reveal").status_code == 403
    # The scope without the permission: refused, and the refusal audited.
    response = api_for(user, "read", "reveal").post(f"/members/{member.pk}/reveal")
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="reveal_denied", object_id=str(member.pk)).exists()
    # Both: the ID in clear, audited.
    user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    user = type(user).objects.get(pk=user.pk)
    response = api_for(user, "read", "reveal").post(f"/members/{member.pk}/reveal")
    assert response.status_code == 200, response.content
    assert response.json()["resident_id"] == web.resident_id("A101-1")
    assert AuditEntry.objects.filter(action="reveal", object_id=str(member.pk), actor="officer_a").exists()


def test_no_token_a_wrong_one_an_expired_one_and_a_revoked_one_are_refused(web):
    user = web.users["officer_a"]
    assert Api("").get("/households").status_code == 401
    assert Api("jz_" + "x" * 43).get("/households").status_code == 401
    raw = token_for(user)
    assert Api(raw).get("/households").status_code == 200
    token = ApiToken.objects.get(digest=tokens.digest(raw))
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk).update(created_at=now - dt.timedelta(days=2),
                                                expires_at=now - dt.timedelta(seconds=1))
    response = Api(raw).get("/households")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Bearer"
    raw = token_for(user)
    assert tokens.revoke(user, ApiToken.objects.get(digest=tokens.digest(raw)).pk)
    assert Api(raw).get("/households").status_code == 401
    assert AuditEntry.objects.filter(action="api_token.revoke", actor="officer_a").count() == 1
    assert AuditEntry.objects.filter(action="api_token.create", actor="officer_a").count() == 2
    # A token of an inactive user stops working with the user.
    raw = token_for(user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert Api(raw).get("/households").status_code == 401


def test_only_a_digest_of_the_token_is_stored(web):
    raw = token_for(web.users["officer_a"])
    stored = ApiToken.objects.get(digest=tokens.digest(raw))
    assert raw not in str(ApiToken.objects.filter(pk=stored.pk).values().first())
    assert not AuditEntry.objects.filter(detail__icontains=raw[10:]).exists()


def test_a_token_is_revoked_only_by_its_owner(web):
    raw = token_for(web.users["officer_a"])
    pk = ApiToken.objects.get(digest=tokens.digest(raw)).pk
    assert not tokens.revoke(web.users["officer_b"], pk)
    assert Api(raw).get("/households").status_code == 200


def test_a_token_and_its_revocation_land_only_with_their_audit_rows(web, monkeypatch):
    """The audit row failing takes the token (or the revocation) with it: no unaudited credential."""
    user = web.users["officer_a"]
    raw = token_for(user)
    live = ApiToken.objects.get(digest=tokens.digest(raw))
    before = ApiToken.objects.count()

    def refuse(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(tokens.audit, "record", refuse)
    with pytest.raises(RuntimeError):
        tokens.create(user, "phone", ["read"])
    assert ApiToken.objects.count() == before
    with pytest.raises(RuntimeError):
        tokens.revoke(user, live.pk)
    live.refresh_from_db()
    assert live.revoked_at is None


@override_settings(API_RATE_PER_MINUTE=3)
def test_the_rate_limit_answers_429_with_retry_after(web):
    api = api_for(web.users["officer_a"])
    assert [api.get("/households").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/households")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another token of the same user has its own window.
    assert api_for(web.users["officer_a"]).get("/households").status_code == 200


def test_a_token_window_counts_per_minute():
    """The fixed window on its own: the count restarts when the minute changes (times given, not waited)."""
    from django.contrib.auth.models import User

    user = User.objects.create_user("w")
    token = ApiToken.objects.get(digest=tokens.digest(token_for(user)))
    minute = 60 * 29_000_000
    assert [tokens.count_request(token, minute + s)[0] for s in (0, 10, 59)] == [1, 2, 3]
    assert tokens.count_request(token, minute + 60)[0] == 1
    assert tokens.count_request(token, minute + 61) == (2, 59)


def test_an_id_is_never_taken_in_a_url_but_found_through_the_body(web):
    api = api_for(web.users["officer_a"])
    rid = web.resident_id("A101-2", 2)
    response = api.get("/households", q=rid)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "q"
    found = api.post("/households/search", {"resident_id": rid}).json()
    assert [r["number"] for r in found["items"]] == ["A101-2"]
    # Another county's officer finds nothing with the same ID.
    assert api_for(web.users["officer_b"]).post("/households/search", {"resident_id": rid}).json()["items"] == []


def test_filters_and_their_problems(web):
    api = api_for(web.users["officer_a"])
    assert walk(api, 10, status="monitored") == ["A102-1"]
    assert walk(api, 10, q="王") == ["A101-1", "A101-2"]
    assert walk(api, 10, area="433130102201") == ["A102-1"]
    bad = api.get("/households", status="rich")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"
    bad = api.get("/households", limit=0)
    body = bad.json()
    assert bad.status_code == 422 and body["errors"][0]["field"] == "limit" and body["errors"][0]["zh"]
    assert api.get("/households", cursor="!!!").status_code == 400


def test_the_schema_is_openapi_3_1_and_the_reference_page_loads_under_the_csp(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.1")
    assert "/api/v1/households/{household_id}" in schema["paths"]
    page = client.get("/api/docs")
    assert page.status_code == 200
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    html = page.content.decode()
    assert "cdn" not in html.lower() and "/static/ninja/swagger-ui-bundle.js" in html
