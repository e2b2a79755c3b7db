"""Visits (入户走访) and attendance (驻村考勤): read within the user's areas, and recorded through the one import
subsystem (`jingzhun.api.records`), so the area rule, the checks and the audit are the import's. A record
sent with an `Idempotency-Key` lands once, however often it is sent (a phone resending after a lost answer)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jingzhun import access
from jingzhun.api import idempotency, paging, records
from jingzhun.api.auth import user_of
from jingzhun.api.problems import ApiProblem, field_error
from jingzhun.api.routes.register import visible
from jingzhun.api.text import Short, Text, path_id
from jingzhun.teams.models import Attendance, Cadre, Visit
from jingzhun.teams.visits_import import attendance as attendance_import
from jingzhun.teams.visits_import import import_attendance, import_visits
from jingzhun.teams.visits_import import visits as visits_import

router = Router(tags=["visits and attendance"])


class Photo(Schema):
    file: Short = Field(pattern=r"^[^;|]+$", description="文件名（不含 ; 与 |）/ file name (no ; or |)")
    sha256: Short = Field(pattern=r"^[0-9a-fA-F]{64}$")


class VisitIn(Schema):
    household_number: Short
    cadre_id: int | None = Field(None, ge=1, le=2**62, description="缺省为本人的干部记录 / default: your own cadre record")
    personnel_number: Short = ""
    visited_at: dt.datetime = Field(description="ISO 8601；不带时区按北京时间 / without a zone: Beijing time")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    notes: Text = Field("", max_length=visits_import.MAX_NOTES)
    measures: list[Short] = Field([], max_length=20)
    photos: list[Photo] = Field([], max_length=20)


class VisitOut(Schema):
    id: int
    household_id: int
    cadre_id: int
    village: str
    visited_at: dt.datetime
    latitude: float | None
    longitude: float | None
    notes: str
    measures: list[str]
    recorded_at: dt.datetime
    entered_by: str


class VisitPage(Schema):
    items: list[VisitOut]
    next_cursor: str | None


def _visit(v: Visit) -> VisitOut:
    return VisitOut(id=v.pk, household_id=v.household_id, cadre_id=v.cadre_id, village=v.village_id,
                    visited_at=v.visited_at, latitude=float(v.latitude) if v.latitude is not None else None,
                    longitude=float(v.longitude) if v.longitude is not None else None, notes=v.notes,
                    measures=[m for m in v.measures.split(",") if m], recorded_at=v.recorded_at,
                    entered_by=v.entered_by)


class Paging(Schema):
    cursor: Short = ""
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


@router.get("/households/{household_id}/visits", response=VisitPage, summary="一户的走访 / a household's visits")
def household_visits(request: HttpRequest, page: Query[Paging], household_id: int = path_id()) -> VisitPage:
    user = user_of(request, "read")
    h = visible(user, household_id)
    rows, following = paging.page(Visit.objects.filter(household=h), "id", page.cursor, page.limit, numeric=True)
    return VisitPage(items=[_visit(v) for v in rows], next_cursor=following)


def _own_cadre(user: object) -> str:
    found = Cadre.objects.filter(user_id=getattr(user, "pk", 0) or 0).order_by("pk").values_list("pk", flat=True).first()
    return str(found) if found else ""


def _beijing(when: dt.datetime) -> dt.datetime:
    """The time as the file takes it (local, to the second); a naive time is taken as already local."""
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return timezone.localtime(when).replace(microsecond=0)


def _visit_row(user: object, body: VisitIn) -> tuple[dict[str, str], dt.datetime]:
    when = _beijing(body.visited_at)
    given = body.cadre_id is not None or body.personnel_number
    coordinates = [f"{x:.6f}" if x is not None else "" for x in (body.latitude, body.longitude)]
    return {
        "cadre": str(body.cadre_id) if body.cadre_id is not None else ("" if given else _own_cadre(user)),
        "personnel": body.personnel_number, "household_number": body.household_number,
        "visited_at": when.strftime("%Y-%m-%d %H:%M:%S"), "latitude": coordinates[0], "longitude": coordinates[1],
        "notes": body.notes, "measures": ",".join(body.measures),
        "photos": ";".join(f"{p.file}|{p.sha256.lower()}" for p in body.photos),
    }, when


VISIT_FIELDS = {"cadre": "cadre_id", "personnel": "personnel_number"}


@router.post("/visits", response={201: VisitOut}, summary="录入走访 / record a visit")
def record_visit(request: HttpRequest, body: VisitIn) -> Status[Any]:
    """Recorded through the visits import (`import_visits`): the household must be in your areas now (a
    helper: one of your own pairs), the visitor a cadre working there; the same visit twice is refused.
    Send an `Idempotency-Key` header (an id made on the device) and a record sent twice lands once."""
    user = user_of(request, "write")

    def write() -> tuple[int, Any]:
        row, when = _visit_row(user, body)
        actor = str(user)
        records.run_one(import_visits, visits_import.SPEC, row, user=user, actor=actor, fields=VISIT_FIELDS)
        found = (Visit.objects.filter(household__number=body.household_number, visited_at=when, entered_by=actor)
                 .order_by("-pk").first())
        if found is None:  # the import said it wrote it: not finding it is a fault, not a refusal
            raise RuntimeError("visit imported but not found")
        return 201, _visit(found).model_dump(mode="json")

    return Status(*idempotency.once(request, "visit", body.model_dump(mode="json"), write))


class AttendanceIn(Schema):
    cadre_id: int | None = Field(None, ge=1, le=2**62, description="缺省为本人的干部记录 / default: your own cadre record")
    personnel_number: Short = ""
    village: Short = Field(description="12位村代码 / 12-digit village code")
    date: dt.date
    method: Short = Field("app", description="app | register | inspection | other")


class AttendanceOut(Schema):
    id: int
    cadre_id: int
    village: str
    date: dt.date
    method: str
    recorded_at: dt.datetime
    entered_by: str


class AttendancePage(Schema):
    items: list[AttendanceOut]
    next_cursor: str | None


def _attendance(a: Attendance) -> AttendanceOut:
    return AttendanceOut(id=a.pk, cadre_id=a.cadre_id, village=a.village_id, date=a.date, method=a.method,
                         recorded_at=a.recorded_at, entered_by=a.entered_by)


class AttendanceFilters(Paging):
    village: Short = ""


@router.get("/attendance", response=AttendancePage, summary="驻村考勤 / attendance")
def attendance(request: HttpRequest, filters: Query[AttendanceFilters]) -> AttendancePage:
    """Days of attendance in the user's areas (of their roles with the dashboard), oldest first."""
    user = user_of(request, "read", "dashboard")
    qs = access.scope(Attendance.objects.all(), user, "village_id", "dashboard")
    if filters.village:
        if not (filters.village.isascii() and filters.village.isdigit() and len(filters.village) == 12):
            raise ApiProblem(422, "village", "村代码应为12位数字 / a village code has 12 digits",
                             [field_error("village", "digits", "应为12位数字", "12 digits")])
        qs = qs.filter(village_id=filters.village)
    rows, following = paging.page(qs, "id", filters.cursor, filters.limit, numeric=True)
    return AttendancePage(items=[_attendance(a) for a in rows], next_cursor=following)


ATTENDANCE_FIELDS = {"cadre": "cadre_id", "personnel": "personnel_number"}


@router.post("/attendance", response={201: AttendanceOut}, summary="驻村签到 / record a day of attendance")
def record_attendance(request: HttpRequest, body: AttendanceIn) -> Status[Any]:
    """Recorded through the attendance import (`import_attendance`): the village in your areas, the cadre
    working there (a team member: themselves); one day per cadre."""
    user = user_of(request, "write")

    def write() -> tuple[int, Any]:
        given = body.cadre_id is not None or body.personnel_number
        cadre = str(body.cadre_id) if body.cadre_id is not None else ("" if given else _own_cadre(user))
        row = {"cadre": cadre, "personnel": body.personnel_number, "village": body.village,
               "date": body.date.isoformat(), "method": body.method}
        actor = str(user)
        records.run_one(import_attendance, attendance_import.SPEC, row, user=user, actor=actor,
                        fields=ATTENDANCE_FIELDS)
        found = Attendance.objects.filter(village_id=body.village, date=body.date, entered_by=actor).order_by("-pk").first()
        if found is None:
            raise RuntimeError("attendance imported but not found")
        return 201, _attendance(found).model_dump(mode="json")

    return Status(*idempotency.once(request, "attendance", body.model_dump(mode="json"), write))
