"""Two officers write the same thing at the same instant (handle one alert, submit one township's figures):
one write stands, the other officer is told
"already handled" (409), never a 500, and nothing else is written.

Two real connections: a thread (the other officer, with a connection of its own) handles the alert inside a
transaction it keeps open; the page's request then checks, finds no committed note, and inserts. On PostgreSQL
the insert waits on the unique key: the thread commits only once it sees the request waiting on its lock
(pg_stat_activity), so the request's insert meets the committed note — the race, every time. On SQLite
transactions begin IMMEDIATE, so the request waits before its check and finds the note there: the same answer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction
from django.http import HttpResponse
from django.urls import reverse

from jingzhun.audit.models import AuditEntry
from jingzhun.teams import alert_view, supervision
from jingzhun.teams.models import AlertNote
from tests.factories import VILLAGE
from tests.web_cast import Web

pytestmark = pytest.mark.django_db(transaction=True)


def _wait_until_someone_waits_on_a_lock(timeout: float = 60.0) -> None:
    """On PostgreSQL, until another backend of this database waits on a lock (the request's insert)."""
    if connection.vendor != "postgresql":
        time.sleep(1.0)  # SQLite: the request's BEGIN IMMEDIATE waits for this writer whatever the timing
        return
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the request never waited on the other officer's note")


def test_the_second_of_two_simultaneous_handlers_is_told_already_handled(committed_web: Web):
    web = committed_web
    officer = web.client("officer_a")
    url = reverse("web:alerts") + "?kind=unvisited"
    target = next(s for s in officer.get(url).context["alerts"] if s.subject == "户 A101-1")
    alerts = supervision.alerts(supervision.window_for(None), kinds=["unvisited"])
    written, failed = threading.Event(), []

    def other_officer() -> None:
        try:
            with transaction.atomic():
                alert_view.handle(alerts, target.key, "另一名干部已入户", actor="township_a")
                written.set()
                _wait_until_someone_waits_on_a_lock()
        except Exception as exc:  # noqa: BLE001 -- reported to the test below
            failed.append(exc)
            written.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_officer)
    thread.start()
    assert written.wait(30)
    response = officer.post(url, {"key": target.key, "note": "我也处理了"})
    thread.join(60)
    assert not failed, failed
    assert response.status_code == 409
    assert "该预警已处理" in response.content.decode()
    # The first note stands, alone, with its one audit row; the second wrote nothing.
    assert list(AlertNote.objects.values_list("note", "handled_by")) == [("另一名干部已入户", "township_a")]
    assert AuditEntry.objects.filter(action="supervision.handle").count() == 1


def test_a_note_written_before_the_check_gives_the_same_answer(committed_web: Web):
    officer = committed_web.client("officer_a")
    url = reverse("web:alerts") + "?kind=unvisited"
    target = next(s for s in officer.get(url).context["alerts"] if s.subject == "户 A101-1")
    assert officer.post(url, {"key": target.key, "note": "先处理"}).status_code == 302
    again = officer.post(url, {"key": target.key, "note": "又处理"})
    assert again.status_code == 409 and "该预警已处理" in again.content.decode()
    assert list(AlertNote.objects.values_list("note", flat=True)) == ["先处理"]


def test_two_first_submits_of_a_township_at_once_record_one(committed_web: Web):
    """Two officers submit a township's figures at the same instant, before any sign-off row exists (nothing to
    lock): one submit stands, the other is refused in words (no 500), one step and one audit row."""
    import datetime as dt

    from jingzhun.assessment import signoff
    from jingzhun.assessment.models import Signoff, SignoffStep, Snapshot
    from tests.factories import TOWNSHIP

    web = committed_web
    Snapshot.objects.create(period="2019", version=1, kind="full", engine="duckdb", data_fingerprint="x", actor="t",
                            created_at=dt.datetime.now(dt.UTC))
    officer = web.client("officer_a")  # logged in first: a login is audited, and the audit chain is a lock too
    written, failed = threading.Event(), []

    def other_officer() -> None:
        try:
            with transaction.atomic():
                signoff.submit(web.users["township_a"], TOWNSHIP, 2019)
                written.set()
                _wait_until_someone_waits_on_a_lock()
        except Exception as exc:  # noqa: BLE001 -- reported to the test below
            failed.append(exc)
            written.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_officer)
    thread.start()
    assert written.wait(30)
    response = officer.post(reverse("assessment:signoff"), {"year": "2019", "township": TOWNSHIP,
                                                                            "action": "submit"}, follow=True)
    thread.join(60)
    assert not failed, failed
    assert response.status_code == 200 and "已报送" in response.content.decode()
    assert list(Signoff.objects.values_list("state", "updated_by")) == [("submitted", "township_a")]
    assert SignoffStep.objects.count() == 1
    assert AuditEntry.objects.filter(action="assessment.signoff.submit").count() == 1


def first_then(web: Web, first: Callable[[], object], second: Callable[[], HttpResponse]) -> HttpResponse:
    """`first` in a transaction of its own connection (a thread), kept open until `second` — a request of this
    connection — waits on its lock (PostgreSQL) or a second (SQLite); then it commits. The response of `second`."""
    written, failed = threading.Event(), []

    def other_officer() -> None:
        try:
            with transaction.atomic():
                first()
                written.set()
                _wait_until_someone_waits_on_a_lock()
        except Exception as exc:  # noqa: BLE001 -- reported below
            failed.append(exc)
            written.set()
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_officer)
    thread.start()
    assert written.wait(30)
    response = second()
    thread.join(60)
    assert not failed, failed
    return response


def test_two_ratings_of_one_branch_at_once_record_one(committed_web: Web):
    from jingzhun.branches import service
    from jingzhun.branches.models import Branch, Rating

    web = committed_web
    branch = Branch.objects.create(village_id=VILLAGE, name="洗车村党支部", secretary="书记", members=30)
    officer = web.client("officer_a")  # logged in before the race: a login is audited, the audit chain locks
    response = first_then(web, lambda: service.rate(web.users["township_a"], branch.pk, 2024, "good",
                                                    actor="township_a"),
                          lambda: officer.post(reverse("branches:write", args=["rate"]), {
                              "branch": str(branch.pk), "year": "2024", "rating": "good", "area": VILLAGE},
                              follow=True))
    assert response.status_code == 200 and "已评定" in response.content.decode()
    assert list(Rating.objects.values_list("entered_by", flat=True)) == ["township_a"]
    assert AuditEntry.objects.filter(action="branch.rate").count() == 1


def test_two_applications_for_one_household_at_once_file_one(committed_web: Web):
    import datetime as dt

    from jingzhun.appraisal import workflow
    from jingzhun.appraisal.models import Application
    from jingzhun.registry.models import Household

    web = committed_web
    household = Household.objects.get(number="A101-2")
    officer = web.client("officer_a")
    response = first_then(web, lambda: workflow.apply(household, 2024, applied_by="户主", on=dt.date(2024, 3, 1),
                                                      user=web.users["township_a"]),
                          lambda: officer.post(reverse("web:application_new"), {
                              "household": "A101-2", "year": "2024", "applied_by": "户主", "on": "2024-03-01",
                              "kind": "identify"}))
    assert response.status_code < 500 and "已有 2024 年度的在办申请" in response.content.decode()
    assert list(Application.objects.values_list("created_by", flat=True)) == ["township_a"]
    assert AuditEntry.objects.filter(action="appraisal.apply").count() == 1


def test_two_check_ins_of_one_cadre_and_day_at_once_record_one(committed_web: Web, tmp_path):
    """The import subsystem checks before its write transaction: two records of the same cadre's day sent at
    once (the phone app's check-in through the API, an officer's attendance file) both pass the check; the
    second's write then meets the first's rows (its prepared ids taken, or the unique day). It checks again
    and is refused like any day already recorded: a 409 naming the day stored, nothing written, not a 500."""
    from jingzhun.teams.models import Attendance, Cadre
    from jingzhun.teams.visits_import.attendance import SPEC, import_attendance
    from tests.api_support import api_for

    web = committed_web
    member = Cadre.objects.filter(home_area_id=VILLAGE, user__isnull=True).order_by("pk").first()
    api = api_for(web.users["officer_a"], "read", "write")

    def file_import() -> None:
        row = {"cadre": str(member.pk), "village": VILLAGE, "date": "2024-05-06", "method": "register"}
        path = tmp_path / "考勤.csv"
        path.write_text(",".join(SPEC.headers) + "\n" + ",".join(row.get(c.key, "") for c in SPEC.columns) + "\n",
                        encoding="utf-8")
        outcome = import_attendance(path, actor="township_a", user=web.users["township_a"])
        assert outcome.inserted == 1, outcome

    response = first_then(web, file_import, lambda: api.post("/attendance", {
        "cadre_id": member.pk, "village": VILLAGE, "date": "2024-05-06", "method": "app"}))
    assert response.status_code == 409, (response.status_code, response.content[:300])
    assert "该干部当天已有考勤" in response.content.decode()
    # The id the second check found (the check run again inside the write), not an earlier check's nothing.
    assert response.json()["existing_id"] == Attendance.objects.get().pk
    assert list(Attendance.objects.values_list("entered_by", "method")) == [("township_a", "register")]
    assert AuditEntry.objects.filter(action="attendance.import").count() == 1


def test_two_check_ins_of_different_cadres_at_once_both_land(committed_web: Web, tmp_path):
    """Not a clash at all: two cadres' days written at once. The second's prepared ids were taken by the first
    (the bulk path hands out ids before its transaction); it checks and writes again, and both days land."""
    from jingzhun.teams.models import Attendance, Cadre
    from jingzhun.teams.visits_import.attendance import SPEC, import_attendance
    from tests.api_support import api_for

    web = committed_web
    first, second = Cadre.objects.filter(home_area_id=VILLAGE, user__isnull=True).order_by("pk")[:2]
    api = api_for(web.users["officer_a"], "read", "write")

    def file_import() -> None:
        row = {"cadre": str(first.pk), "village": VILLAGE, "date": "2024-05-06", "method": "register"}
        path = tmp_path / "考勤.csv"
        path.write_text(",".join(SPEC.headers) + "\n" + ",".join(row.get(c.key, "") for c in SPEC.columns) + "\n",
                        encoding="utf-8")
        assert import_attendance(path, actor="township_a", user=web.users["township_a"]).inserted == 1

    response = first_then(web, file_import, lambda: api.post("/attendance", {
        "cadre_id": second.pk, "village": VILLAGE, "date": "2024-05-06", "method": "app"}))
    assert response.status_code == 201, (response.status_code, response.content[:300])
    assert sorted(Attendance.objects.values_list("cadre_id", flat=True)) == sorted([first.pk, second.pk])
