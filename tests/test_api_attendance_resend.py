"""A day of attendance sent again is answered like a visit sent again (tests/test_api_visit_contract.py).

The attendance import's rule: one day per cadre. A day already recorded for the cadre, sent through the API
without an Idempotency-Key (the phone's retry after a lost answer, or an officer entering the day again), is
a 409 `already-recorded` naming the day stored (`existing_id`); nothing more lands. A row with another
problem beside it stays a 422 listing every problem."""

from __future__ import annotations

import pytest

from jingzhun.audit.models import AuditEntry
from jingzhun.teams.models import Attendance, Cadre
from jingzhun.teams.visits_import import import_attendance
from tests.api_support import api_for, assert_already_recorded
from tests.factories import VILLAGE

pytestmark = pytest.mark.django_db


def _member() -> Cadre:
    return Cadre.objects.filter(home_area_id=VILLAGE, user__isnull=True).order_by("pk").first()


def _day(member: Cadre) -> dict:
    return {"cadre_id": member.pk, "village": VILLAGE, "date": "2024-05-06", "method": "register"}


def test_the_same_day_sent_again_without_a_key_is_a_409_naming_it_and_nothing_more_lands(web):
    member = _member()
    api = api_for(web.users["officer_a"], "read", "write")
    first = api.post("/attendance", _day(member))
    assert first.status_code == 201, first.content
    day = first.json()["id"]
    audits = AuditEntry.objects.count()
    # The same day again, and the same cadre and day recorded another way: the rule is the cadre and the day.
    for body in (_day(member), {**_day(member), "method": "inspection"}):
        assert_already_recorded(api.post("/attendance", body), day, "date", "已有考勤",
                                (f"考勤 {day}", f"attendance {day}"))
    assert Attendance.objects.count() == 1 and AuditEntry.objects.count() == audits
    # Another officer of the same areas meets the same day.
    assert api_for(web.users["township_a"], "read", "write").post(
        "/attendance", _day(member)).json()["existing_id"] == day
    # Another day is another record.
    other = api.post("/attendance", {**_day(member), "date": "2024-05-07"})
    assert other.status_code == 201 and Attendance.objects.count() == 2


def test_a_new_key_for_a_day_already_recorded_is_the_same_409_and_frees_the_key(web):
    member = _member()
    api = api_for(web.users["officer_a"], "read", "write")
    first = api.post("/attendance", _day(member), headers={"Idempotency-Key": "d-1"})
    assert first.status_code == 201
    assert api.post("/attendance", _day(member), headers={"Idempotency-Key": "d-1"}).json() == first.json()
    again = api.post("/attendance", _day(member), headers={"Idempotency-Key": "d-2"})
    assert again.status_code == 409 and again.json()["existing_id"] == first.json()["id"]
    later = api.post("/attendance", {**_day(member), "date": "2024-05-07"}, headers={"Idempotency-Key": "d-2"})
    assert later.status_code == 201 and Attendance.objects.count() == 2


def test_a_day_recorded_with_another_problem_is_a_422_listing_both(web):
    member = _member()
    api = api_for(web.users["officer_a"], "read", "write")
    assert api.post("/attendance", _day(member)).status_code == 201
    response = api.post("/attendance", {**_day(member), "method": "no-such"})
    assert response.status_code == 422, response.content
    assert sorted(e["field"] for e in response.json()["errors"]) == ["date", "method"]
    assert "existing_id" not in response.json() and Attendance.objects.count() == 1


def test_the_file_import_refuses_the_day_the_api_recorded_naming_it(web, tmp_path):
    member = _member()
    day = api_for(web.users["officer_a"], "read", "write").post("/attendance", _day(member)).json()["id"]
    path = tmp_path / "考勤.csv"
    path.write_text(f"干部编号,村代码,日期,记录方式\n{member.pk},{VILLAGE},2024-05-06,register\n", encoding="utf-8")
    outcome = import_attendance(path, actor="township_a", user=web.users["township_a"])
    assert not outcome.written and Attendance.objects.count() == 1
    assert [p.column for p in outcome.errors] == ["日期"]
    assert outcome.errors[0].rule.startswith("该干部当天已有考勤") and f"attendance {day}" in outcome.errors[0].rule
    assert outcome.recorded == {2: day}  # row 2 of the file (after its header) → the day stored
