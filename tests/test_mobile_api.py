"""The API as the phone app uses it: the logged-in session instead of a token, with Django's CSRF check on
every write; a visit's location accuracy, its channel and its photos' bytes checked against their SHA-256;
and the household's own report of a hardship (POST /monitoring/reports) through the monitoring service."""

from __future__ import annotations

import hashlib
import json
from base64 import b64encode

import pytest
from django.test import Client

from jingzhun.audit.models import AuditEntry
from jingzhun.monitoring.models import Case
from jingzhun.registry.models import Household
from jingzhun.teams.models import Visit, VisitPhoto
from tests.api_support import api_for

pytestmark = pytest.mark.django_db

# A JPEG as the phone's canvas makes it: SOI … EOI (the server checks the markers, the size and the digest).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
VISIT = {"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00", "latitude": 28.51234,
         "longitude": 109.41234, "location_accuracy": 12.34, "notes": "入户了解产业进展", "measures": ["industry"]}


def session(user) -> tuple[Client, str]:
    """A browser-like client logged in with the session, CSRF enforced as in a real browser; its CSRF token
    from the cookie a page of the phone app sets."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/m/").status_code == 200
    return client, client.cookies["csrftoken"].value


def post(client: Client, url: str, body: object, token: str | None, key: str | None = None):
    headers = {}
    if token is not None:
        headers["X-CSRFToken"] = token
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1" + url, json.dumps(body), content_type="application/json", headers=headers)


def with_photo(data: bytes, digest: str | None = None) -> dict:
    return {**VISIT, "photos": [{"file": "photo-1.jpg", "sha256": digest or hashlib.sha256(data).hexdigest(),
                                 "jpeg_base64": b64encode(data).decode()}]}


def test_a_session_write_without_the_csrf_token_is_refused_and_nothing_lands(web):
    client, _token = session(web.users["helper_a"])
    response = post(client, "/visits", VISIT, None)
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    assert "CSRF" in response.json()["detail"]
    wrong = post(client, "/visits", VISIT, "x" * 64)
    assert wrong.status_code == 403
    assert Visit.objects.count() == 0


def test_a_session_write_with_the_csrf_token_lands_once_as_a_phone_record(web):
    client, token = session(web.users["helper_a"])
    first = post(client, "/visits", VISIT, token, key="3f1c1d1e-phone")
    assert first.status_code == 201, first.content
    again = post(client, "/visits", VISIT, token, key="3f1c1d1e-phone")
    assert again.status_code == 201 and again.json() == first.json()
    visit = Visit.objects.get()
    assert visit.channel == "phone" and str(visit.location_accuracy) == "12.3"
    assert str(visit.latitude) == "28.512340"
    assert first.json()["channel"] == "phone" and first.json()["location_accuracy"] == 12.3
    # The same record through a token is another program's: channel "api".
    api = api_for(web.users["helper_a"], "read", "write")
    other = api.post("/visits", {**VISIT, "visited_at": "2024-05-07T09:30:00+08:00"})
    assert other.status_code == 201 and other.json()["channel"] == "api"


def test_a_session_reads_without_a_token_and_stays_in_scope(web):
    client, _token = session(web.users["helper_a"])
    own = Household.objects.get(number="A101-1").pk
    other = Household.objects.get(number="A101-2").pk  # same village, not their pair
    assert client.get(f"/api/v1/households/{own}").status_code == 200
    assert client.get(f"/api/v1/households/{other}").status_code == 404
    assert Client().get(f"/api/v1/households/{own}").status_code == 401  # no session, no token


def test_a_session_cannot_reveal_without_the_permission(web):
    from jingzhun.registry.models import Member

    client, token = session(web.users["helper_a"])
    member = Member.objects.get(household__number="A101-1", position=1).pk
    response = post(client, f"/members/{member}/reveal", {}, token)
    assert response.status_code == 403
    assert "resident_id" not in response.json()


def test_a_photo_is_kept_when_its_bytes_hash_to_its_digest(web):
    client, token = session(web.users["helper_a"])
    response = post(client, "/visits", with_photo(JPEG), token)
    assert response.status_code == 201, response.content
    digest = hashlib.sha256(JPEG).hexdigest()
    photo = VisitPhoto.objects.get()
    assert photo.sha256 == digest and bytes(photo.data) == JPEG and photo.size == len(JPEG)
    assert response.json()["photos"] == [{"file": "photo-1.jpg", "sha256": digest, "size": len(JPEG)}]
    visit = response.json()["id"]
    shown = client.get(f"/api/v1/visits/{visit}/photos/{digest}")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg" and shown.content == JPEG
    # Another county's officer: as if there were no such photo.
    officer_b = api_for(web.users["officer_b"], "read")
    assert officer_b.get(f"/visits/{visit}/photos/{digest}").status_code == 404
    # The county's own officer sees it.
    assert api_for(web.users["officer_a"], "read").get(f"/visits/{visit}/photos/{digest}").status_code == 200


@pytest.mark.parametrize("data, digest, words", [
    (JPEG, hashlib.sha256(b"another photo").hexdigest(), "SHA-256"),  # swapped bytes
    (b"GIF89a not a jpeg", None, "JPEG"),
    (JPEG[:-2], None, "JPEG"),  # cut short: no end marker
])
def test_a_photo_that_is_not_what_it_says_is_refused_and_nothing_lands(web, data, digest, words):
    client, token = session(web.users["helper_a"])
    response = post(client, "/visits", with_photo(data, digest), token)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "photos.0.jpeg_base64" and words in error["zh"]
    assert Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0


def test_an_accuracy_needs_coordinates(web):
    api = api_for(web.users["helper_a"], "read", "write")
    body = {**VISIT, "latitude": None, "longitude": None}
    response = api.post("/visits", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "location_accuracy"
    assert Visit.objects.count() == 0


REPORT = {"on": "2024-05-06", "reported_by": "王大山", "situation": "突发重病住院，医疗支出大", "schooling": "0",
          "disaster": "1200.50"}


def test_a_helper_sends_their_households_report_once(web):
    h = Household.objects.get(number="A101-1")
    client, token = session(web.users["helper_a"])
    body = {**REPORT, "household_id": h.pk}
    first = post(client, "/monitoring/reports", body, token, key="report-1")
    assert first.status_code == 201, first.content
    again = post(client, "/monitoring/reports", body, token, key="report-1")
    assert again.json() == first.json()
    case = Case.objects.get()
    assert first.json() == {"case_id": case.pk, "household_id": h.pk, "state": case.state, "kind": case.kind}
    assert case.household_id == h.pk and case.triggers.filter(code="self_report").count() == 1
    assert AuditEntry.objects.filter(action="monitoring.report", actor="helper_a").count() == 1


def test_a_report_for_a_household_outside_ones_pairs_is_refused(web):
    other = Household.objects.get(number="A101-2")
    api = api_for(web.users["helper_a"], "read", "write")
    response = api.post("/monitoring/reports", {**REPORT, "household_id": other.pk})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "household_id"
    officer_b = api_for(web.users["officer_b"], "read", "write")
    assert officer_b.post("/monitoring/reports", {**REPORT, "household_id": other.pk}).status_code == 422
    assert Case.objects.count() == 0


def test_a_report_the_service_refuses_names_its_field(web):
    h = Household.objects.get(number="A101-1")
    api = api_for(web.users["helper_a"], "read", "write")
    response = api.post("/monitoring/reports", {**REPORT, "household_id": h.pk, "reported_by": "  "})
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "reported_by" and "申报人" in error["zh"]
    future = api.post("/monitoring/reports", {**REPORT, "household_id": h.pk, "on": "2999-01-01"})
    assert future.status_code == 422 and Case.objects.count() == 0
    # A year without a monitoring line (found by schemathesis as a 500): refused, naming the date.
    long_ago = api.post("/monitoring/reports", {**REPORT, "household_id": h.pk, "on": "0136-01-01"})
    assert long_ago.status_code == 422 and long_ago.json()["errors"][0]["field"] == "on"
    assert "监测范围" in long_ago.json()["errors"][0]["zh"] and Case.objects.count() == 0


def test_a_report_needs_the_monitor_ability(web):
    h = Household.objects.get(number="A101-1")
    response = api_for(web.users["auditor_a"], "read", "write").post("/monitoring/reports",
                                                                     {**REPORT, "household_id": h.pk})
    assert response.status_code == 403 and Case.objects.count() == 0
