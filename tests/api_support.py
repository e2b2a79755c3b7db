"""Calling the API in tests: a token for a user, and requests carrying it through Django's test client."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from jingzhun.api import tokens


def token_for(user: object, scopes: tuple[str, ...] = ("read",), days: int = 30) -> str:
    return tokens.create(user, "test", scopes, days)[1]


class Api:
    def __init__(self, token: str):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, url: str, **params: Any) -> Any:
        return self.client.get("/api/v1" + url, params, headers=self.headers)

    def post(self, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        return self.client.post("/api/v1" + url, json.dumps(body if body is not None else {}),
                                content_type="application/json", headers={**self.headers, **(headers or {})})


def api_for(user: object, *scopes: str) -> Api:
    return Api(token_for(user, scopes or ("read",)))


class SessionApi(Api):
    """The API as the phone app calls it: the user's session and a CSRF token (cookie and header), no token."""

    def __init__(self, user: object):
        from django.conf import settings

        self.client = Client(enforce_csrf_checks=True)
        self.client.force_login(user)  # type: ignore[arg-type]
        secret = "p" * 32  # an unmasked CSRF secret: Django accepts it as the header's token too
        self.client.cookies[settings.CSRF_COOKIE_NAME] = secret
        self.headers = {"X-CSRFToken": secret}


def ask(api: Api, web: Any, kind: str, target: str) -> Any:
    """One API request of the access properties (tests/test_web_access_property.py reads, and
    tests/test_write_access_property.py writes): `target` is a household number of the cast, or an area code
    for "list" and "dashboard"."""
    from jingzhun.registry.models import Household, Member

    h = Household.objects.filter(number=target).first()
    if kind == "list":
        return api.get("/households", area=target, limit=200)
    if kind == "dashboard":
        return api.get("/dashboard", area=target)
    assert h is not None, target
    if kind == "detail":
        return api.get(f"/households/{h.pk}")
    if kind == "search":
        return api.post("/households/search", {"resident_id": web.resident_id(target)})
    if kind == "reveal":
        return api.post(f"/members/{Member.objects.get(household=h, position=1).pk}/reveal")
    if kind == "visits":
        return api.get(f"/households/{h.pk}/visits")
    if kind == "plans":
        return api.get(f"/households/{h.pk}/plans")
    if kind == "visit":
        return api.post("/visits", {"household_number": target, "visited_at": "2024-05-06T09:30:00+08:00",
                                    "notes": "走访"})
    if kind == "report":  # a household's own report of a hardship (monitoring)
        return api.post("/monitoring/reports", {"household_id": h.pk, "on": "2024-05-06", "reported_by": "户主",
                                                "situation": "受灾", "disaster": "800"})
    if kind == "plan":
        return api.client.put(f"/api/v1/households/{h.pk}/plans/2024", {"goal": "目标"},
                              content_type="application/json", headers=api.headers)
    raise ValueError(kind)


def assert_already_recorded(answer: Any, record_id: int, field: str, zh_rule: str, named: tuple[str, str]) -> None:
    """A resend's answer: a 409 `already-recorded` problem naming the stored record (`existing_id`, and in the
    detail both ways `named`), its one field error on `field` with the import's rule `zh_rule`, and no member
    outside the published Problem schema."""
    assert answer.status_code == 409, answer.content
    problem = answer.json()
    assert answer["Content-Type"].startswith("application/problem+json")
    assert problem["type"].endswith("#already-recorded") and problem["existing_id"] == record_id
    assert named[0] in problem["detail"] and named[1] in problem["detail"]
    assert [e["field"] for e in problem["errors"]] == [field]
    assert zh_rule in problem["errors"][0]["zh"]
    declared = Client().get("/api/openapi.json").json()["components"]["schemas"]["Problem"]["properties"]
    assert set(problem) <= set(declared)  # every member of the answer is in the published Problem schema
