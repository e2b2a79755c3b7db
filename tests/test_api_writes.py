"""Writes through the API: visits and attendance go through the import subsystem's area rule, land once per
Idempotency-Key, and refusals come back as problem details naming the field in Chinese and English."""

from __future__ import annotations

import pytest

from jingzhun.audit.models import AuditEntry
from jingzhun.registry.models import Household
from jingzhun.teams.models import Attendance, Cadre, Visit
from tests.api_support import api_for
from tests.factories import OTHER_VILLAGE, VILLAGE

pytestmark = pytest.mark.django_db

VISIT = {"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00", "latitude": 28.5, "longitude": 109.4,
         "notes": "了解家庭收入情况，商议产业项目", "measures": ["industry", "health"]}


def test_a_helper_records_a_visit_to_their_household_once_per_key(web):
    api = api_for(web.users["helper_a"], "read", "write")
    key = {"Idempotency-Key": "phone-1-0001"}
    first = api.post("/visits", VISIT, headers=key)
    assert first.status_code == 201, first.content
    again = api.post("/visits", VISIT, headers=key)
    assert again.status_code == 201 and again.json() == first.json()
    visits = Visit.objects.filter(household__number="A101-1")
    assert visits.count() == 1
    visit = visits.get()
    assert visit.cadre.user == web.users["helper_a"] and visit.measures == "industry,health"
    assert visit.visited_at.isoformat() == "2024-05-06T01:30:00+00:00"
    assert str(visit.latitude) == "28.500000"
    # The import's audit row, once.
    assert AuditEntry.objects.filter(action="visits.import", actor="helper_a").count() == 1
    # The same key for another record: a conflict, nothing written.
    other = api.post("/visits", {**VISIT, "notes": "另一次"}, headers=key)
    assert other.status_code == 409 and Visit.objects.count() == 1
    # Without a key the same visit again is refused by the import's own rule (a visit is an event): a conflict
    # naming the visit recorded (tests/test_api_visit_contract.py).
    repeat = api.post("/visits", VISIT)
    assert repeat.status_code == 409 and "已录入" in str(repeat.json()["errors"])
    assert repeat.json()["existing_id"] == first.json()["id"]


def test_a_visit_outside_the_users_households_is_refused_and_nothing_lands(web):
    helper = api_for(web.users["helper_a"], "read", "write")
    response = helper.post("/visits", {**VISIT, "household_number": "A101-2"})  # same village, not their pair
    assert response.status_code == 422
    body = response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert body["errors"][0]["field"] == "household_number" and body["errors"][0]["zh"] and body["errors"][0]["en"]
    officer_b = api_for(web.users["officer_b"], "read", "write")
    cadre = Cadre.objects.get(user=web.users["helper_a"]).pk
    response = officer_b.post("/visits", {**VISIT, "cadre_id": cadre})
    assert response.status_code == 422
    # The refusal does not say where the household is.
    assert VILLAGE not in response.content.decode() and "A101-1" not in response.json()["detail"]
    assert Visit.objects.count() == 0


def test_writing_needs_the_write_scope(web):
    response = api_for(web.users["helper_a"], "read").post("/visits", VISIT)
    assert response.status_code == 403 and Visit.objects.count() == 0


def test_a_refused_write_frees_its_key(web):
    api = api_for(web.users["helper_a"], "read", "write")
    key = {"Idempotency-Key": "k-2"}
    assert api.post("/visits", {**VISIT, "measures": ["no-such"]}, headers=key).status_code == 422
    assert api.post("/visits", VISIT, headers=key).status_code == 201
    assert Visit.objects.count() == 1


def test_bad_input_is_a_422_naming_the_field(web):
    api = api_for(web.users["helper_a"], "read", "write")
    response = api.post("/visits", {**VISIT, "visited_at": "yesterday", "notes": "a\ud800b"})  # a lone surrogate
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"visited_at", "notes"}
    # A NUL is refused before any operation, naming its field (tests/test_api_nul.py has every write).
    response = api.post("/visits", {**VISIT, "visited_at": "yesterday", "notes": "a\x00b"})
    assert response.status_code == 400 and [e["field"] for e in response.json()["errors"]] == ["notes"]


def test_officers_record_attendance_in_their_areas_only(web):
    member = Cadre.objects.filter(home_area_id=VILLAGE, user__isnull=True).order_by("pk").first()
    officer_a = api_for(web.users["officer_a"], "read", "write")
    day = {"cadre_id": member.pk, "village": VILLAGE, "date": "2024-05-06", "method": "register"}
    response = officer_a.post("/attendance", day, headers={"Idempotency-Key": "a-1"})
    assert response.status_code == 201, response.content
    assert officer_a.post("/attendance", day, headers={"Idempotency-Key": "a-1"}).json() == response.json()
    assert Attendance.objects.filter(cadre=member).count() == 1
    listed = officer_a.get("/attendance").json()["items"]
    assert [a["village"] for a in listed] == [VILLAGE]
    officer_b = api_for(web.users["officer_b"], "read", "write")
    refused = officer_b.post("/attendance", {**day, "date": "2024-05-07"})
    assert refused.status_code == 422 and Attendance.objects.count() == 1
    assert officer_b.get("/attendance").json()["items"] == []
    assert officer_b.post("/attendance", {**day, "village": OTHER_VILLAGE, "date": "2024-05-08"}).status_code == 422


def test_plans_are_saved_through_the_plan_service_within_the_users_areas(web):
    h = Household.objects.get(number="A101-1")
    plan = {"goal": "稳定增收", "measures": [{"category": "health", "description": "慢病签约", "amount": "1200"}]}
    saved = api_for(web.users["officer_a"], "read", "write").client.put(
        f"/api/v1/households/{h.pk}/plans/2024", plan, content_type="application/json",
        headers=api_for(web.users["officer_a"], "read", "write").headers)
    assert saved.status_code == 200, saved.content
    assert saved.json()["goal"] == "稳定增收" and saved.json()["amount"] == "1200.00"
    b = api_for(web.users["officer_b"], "read", "write")
    refused = b.client.put(f"/api/v1/households/{h.pk}/plans/2024", {**plan, "goal": "改"},
                           content_type="application/json", headers=b.headers)
    assert refused.status_code == 404
    reads = api_for(web.users["officer_a"]).get(f"/households/{h.pk}/plans").json()
    assert [p["goal"] for p in reads] == ["稳定增收"]
