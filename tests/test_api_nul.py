"""A JSON body whose decoded strings hold a NUL (the escape \\u0000: no NUL byte on the wire) is refused by every
API write with a 400 problem document naming the field, and writes nothing — on SQLite, and on PostgreSQL,
which stores no NUL in text. The table below holds one request per write operation; a test fails when the
API gains a write operation that is not in it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from jingzhun.api.main import api as ninja_api
from jingzhun.api.nul import nul_field
from jingzhun.audit.models import AuditEntry
from jingzhun.monitoring.models import Case
from jingzhun.plans.models import HelpPlan
from jingzhun.registry.models import Household, Member
from jingzhun.teams.models import Attendance, Cadre, Visit
from tests.api_support import Api, api_for
from tests.factories import VILLAGE
from tests.web_cast import Web

pytestmark = pytest.mark.django_db

NUL = "\x00"
Body = Callable[[Web], tuple[str, dict[str, Any]]]


def _h(number: str) -> int:
    return int(Household.objects.get(number=number).pk)


def _member() -> int:
    return int(Cadre.objects.filter(home_area_id=VILLAGE, user__isnull=True).order_by("pk").values_list(
        "pk", flat=True).first())


# (method, path pattern as the API's schema names it) → requests: (field the NUL is in, path, body).
WRITES: dict[tuple[str, str], list[Callable[[Web], tuple[str, str, dict[str, Any]]]]] = {
    ("post", "/api/v1/households/search"): [
        lambda web: ("resident_id", "/households/search", {"resident_id": web.resident_id("A101-1")[:6] + NUL})],
    ("post", "/api/v1/members/{member_id}/reveal"): [
        lambda web: ("why", f"/members/{Member.objects.get(household__number='A101-1', position=1).pk}/reveal",
                     {"why": "核" + NUL})],
    ("post", "/api/v1/visits"): [
        lambda web: ("notes", "/visits", {"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00",
                                          "notes": "走访" + NUL}),
        lambda web: ("household_number", "/visits", {"household_number": "A101-1" + NUL,
                                                     "visited_at": "2024-05-06T09:30:00+08:00"}),
        lambda web: ("measures.1", "/visits", {"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00",
                                               "measures": ["industry", "health" + NUL]}),
        lambda web: ("photos.0.file", "/visits", {"household_number": "A101-1",
                                                  "visited_at": "2024-05-06T09:30:00+08:00",
                                                  "photos": [{"file": "a" + NUL + ".jpg", "sha256": "0" * 64}]}),
        # A key no schema knows is still in the body: the key itself names the field.
        lambda web: ("x\\u0000", "/visits", {"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00",
                                             "x" + NUL: "1"})],
    ("post", "/api/v1/attendance"): [
        lambda web: ("method", "/attendance", {"cadre_id": _member(), "village": VILLAGE, "date": "2024-05-06",
                                               "method": "app" + NUL}),
        lambda web: ("village", "/attendance", {"cadre_id": _member(), "village": VILLAGE + NUL, "date": "2024-05-06"})],
    ("put", "/api/v1/households/{household_id}/plans/{year}"): [
        lambda web: ("goal", f"/households/{_h('A101-1')}/plans/2024", {"goal": "增收" + NUL}),
        lambda web: ("measures.0.description", f"/households/{_h('A101-1')}/plans/2024",
                     {"goal": "增收", "measures": [{"category": "industry", "description": "养殖" + NUL}]})],
    ("post", "/api/v1/monitoring/reports"): [
        lambda web: ("situation", "/monitoring/reports", {"household_id": _h("A101-1"), "on": "2024-05-06",
                                                          "reported_by": "户主", "situation": "受灾" + NUL}),
        lambda web: ("reported_by", "/monitoring/reports", {"household_id": _h("A101-1"), "on": "2024-05-06",
                                                            "reported_by": NUL, "situation": "受灾"})],
}


def test_every_api_write_operation_is_in_the_table():
    schema = ninja_api.get_openapi_schema(path_prefix="/api")
    writes = {(method, path) for path, operations in schema["paths"].items() for method in operations
              if method in ("post", "put", "patch", "delete")}
    assert writes == set(WRITES)


def _send(api: Api, method: str, path: str, body: dict[str, Any]) -> Any:
    text = json.dumps(body)  # ensure_ascii: the NUL goes out as the six characters \u0000
    assert "\\u0000" in text and NUL not in text
    return getattr(api.client, method)("/api/v1" + path, text, content_type="application/json", headers=api.headers)


def _stored() -> tuple[int, ...]:
    return (Visit.objects.count(), Attendance.objects.count(), HelpPlan.objects.count(), Case.objects.count(),
            AuditEntry.objects.count())


@pytest.mark.parametrize("operation", list(WRITES), ids=lambda op: f"{op[0]} {op[1]}")
def test_a_nul_in_a_json_string_is_a_400_naming_the_field(web: Web, operation):
    api = api_for(web.users["officer_a"], "read", "write", "reveal")
    for build in WRITES[operation]:
        field, path, body = build(web)
        before = _stored()
        response = _send(api, operation[0], path, body)
        assert response.status_code == 400, (operation, field, response.status_code, response.content[:300])
        assert response["Content-Type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["status"] == 400 and problem["type"].endswith("#nul-character")
        assert [e["field"] for e in problem["errors"]] == [field], problem
        assert _stored() == before, (operation, field)  # nothing written, not even an audit row


def test_the_phone_apps_session_gets_the_same_answer(web: Web):
    from tests.api_support import SessionApi

    api = SessionApi(web.users["helper_a"])
    response = _send(api, "post", "/visits", {"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00",
                                              "notes": "走访" + NUL})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "notes"


def test_the_field_is_found_at_any_depth_without_recursion():
    deep: Any = "a" + NUL
    for _ in range(100_000):  # deeper than Python's recursion limit
        deep = [deep]
    assert nul_field(deep) == ".".join(["0"] * 100_000)
    assert nul_field({"a": [{"b": "ok"}, {"c": ["x", "y" + NUL]}]}) == "a.1.c.1"
    assert nul_field({"a": 1, "b": None, "c": 1.5, "d": [True]}) is None


def test_a_body_over_the_size_limit_is_a_problem_document(web: Web, settings):
    api = api_for(web.users["helper_a"], "read", "write")
    body = json.dumps({"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00",
                       "notes": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    before = _stored()
    response = api.client.post("/api/v1/visits", body, content_type="application/json", headers=api.headers)
    assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("#too-large") and _stored() == before


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+08:00", "9999-12-31T23:59:59-12:00", "1899-12-31T23:00:00"])
def test_a_visit_time_off_the_calendar_is_a_422_naming_it(web: Web, when: str):
    """Converted to Beijing time, these run out of Python's calendar (an OverflowError: a 500 before)."""
    api = api_for(web.users["helper_a"], "read", "write")
    before = _stored()
    response = api.post("/visits", {"household_number": "A101-1", "visited_at": when})
    assert response.status_code == 422, (when, response.status_code)
    assert [e["field"] for e in response.json()["errors"]] == ["visited_at"] and _stored() == before
