"""Visits (入户走访) and attendance (驻村考勤): read within the user's areas, and recorded through the one import
subsystem (`jingzhun.api.records`), so the area rule, the checks and the audit are the import's. A record
sent with an `Idempotency-Key` lands once, however often it is sent (a phone resending after a lost answer)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Path as PathParam
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jingzhun import access
from jingzhun.api import idempotency, paging, records
from jingzhun.api.auth import by_session, user_of
from jingzhun.api.problems import ApiProblem, bilingual, field_error, not_found
from jingzhun.api.routes.register import visible
from jingzhun.api.text import Moment, Short, Text, path_id
from jingzhun.teams import visit_photos
from jingzhun.teams.models import Attendance, Cadre, Visit, VisitPhoto
from jingzhun.teams.visits_import import attendance as attendance_import
from jingzhun.teams.visits_import import import_attendance, import_visits
from jingzhun.teams.visits_import import visits as visits_import

router = Router(tags=["visits and attendance"])

# A request body is at most settings.DATA_UPLOAD_MAX_MEMORY_SIZE (10 MiB: it is read into memory whole; a larger
# one is a 400 before any operation, jingzhun.api.nul). Twenty photos of 2 MB each would be 53 MiB of base64,
# so the schema states the photos' total too: 8 MiB of base64 (6 MiB of JPEG, the phone app's four photos
# of 1.5 MB), leaving the rest of a visit at its longest — every text at its length limit, each character
# escaped as JSON's longest, about 130 KB — well inside the body's bound (tests/test_api_visit_contract.py).
MAX_PHOTOS = 20
PHOTOS_TOTAL_BASE64 = 8 * 1024 * 1024
PHOTOS_TOTAL_ZH = f"照片的 base64 合计不超过 {PHOTOS_TOTAL_BASE64:,} 字符（约 6 MB 的 JPEG）"
PHOTOS_TOTAL_EN = f"the photos' base64 at most {PHOTOS_TOTAL_BASE64:,} characters in all (about 6 MB of JPEG)"


class Photo(Schema):
    file: Short = Field(pattern=r"^[^;|]+$", description="文件名（不含 ; 与 |）/ file name (no ; or |)")
    sha256: Short = Field(pattern=r"^[0-9a-fA-F]{64}$")
    jpeg_base64: str | None = Field(None, max_length=visit_photos.MAX_BYTES * 4 // 3 + 4, description=(
        "照片本身（JPEG，base64，≤2 MB），其 SHA-256 须与 sha256 一致 / the JPEG itself, base64; its SHA-256 must "
        "equal sha256"))


class PhotoOut(Schema):
    file: str
    sha256: str
    size: int | None = Field(description="已保存的字节数；仅有引用时为空 / bytes kept; empty for a reference only")


class VisitIn(Schema):
    household_number: Short
    cadre_id: int | None = Field(None, ge=1, le=2**62, description="缺省为本人的干部记录 / default: your own cadre record")
    personnel_number: Short = ""
    visited_at: Moment = Field(description="ISO 8601；不带时区按北京时间 / without a zone: Beijing time")
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    location_accuracy: float | None = Field(None, gt=0, le=100000, description=(
        "定位精度（米），手机报告的误差半径 / the radius in metres the phone reported"))
    notes: Text = Field("", max_length=visits_import.MAX_NOTES)
    measures: list[Short] = Field([], max_length=20)
    photos: list[Photo] = Field([], max_length=MAX_PHOTOS, description=(
        f"每张 ≤2 MB；{PHOTOS_TOTAL_ZH}；请求体不超过 {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} 字节 / each at most "
        f"2 MB; {PHOTOS_TOTAL_EN}; the request body at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes"),
        json_schema_extra={"x-max-total-base64": PHOTOS_TOTAL_BASE64})


class VisitOut(Schema):
    id: int
    household_id: int
    cadre_id: int
    village: str
    visited_at: dt.datetime
    latitude: float | None
    longitude: float | None
    location_accuracy: float | None
    notes: str
    measures: list[str]
    recorded_at: dt.datetime
    entered_by: str
    channel: str
    photos: list[PhotoOut]


class VisitPage(Schema):
    items: list[VisitOut]
    next_cursor: str | None


def _visit(v: Visit) -> VisitOut:
    return VisitOut(id=v.pk, household_id=v.household_id, cadre_id=v.cadre_id, village=v.village_id,
                    visited_at=v.visited_at, latitude=float(v.latitude) if v.latitude is not None else None,
                    longitude=float(v.longitude) if v.longitude is not None else None,
                    location_accuracy=float(v.location_accuracy) if v.location_accuracy is not None else None,
                    notes=v.notes, measures=[m for m in v.measures.split(",") if m], recorded_at=v.recorded_at,
                    entered_by=v.entered_by, channel=v.channel,
                    photos=[PhotoOut(file=p.file, sha256=p.sha256, size=p.size) for p in v.photos.all()])


class Paging(Schema):
    cursor: Short = ""
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


@router.get("/households/{household_id}/visits", response=VisitPage, summary="一户的走访 / a household's visits")
def household_visits(request: HttpRequest, page: Query[Paging], household_id: int = path_id()) -> VisitPage:
    user = user_of(request, "read")
    h = visible(user, household_id)
    visits = Visit.objects.filter(household=h).prefetch_related(Prefetch("photos", VisitPhoto.objects.defer("data")))
    rows, following = paging.page(visits, "id", page.cursor, page.limit, numeric=True)
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
        # The phone's radius, to the decimetre the register keeps.
        "location_accuracy": "" if body.location_accuracy is None else f"{max(body.location_accuracy, 0.1):.1f}",
        "notes": body.notes, "measures": ",".join(body.measures),
        "photos": ";".join(f"{p.file}|{p.sha256.lower()}" for p in body.photos),
    }, when


VISIT_FIELDS = {"cadre": "cadre_id", "personnel": "personnel_number"}


RECORD_VISIT = (
    "Recorded through the visits import (`import_visits`): the household must be in your areas now (a helper: "
    "one of your own pairs), the visitor a cadre working there.\n\n"
    "A visit is an event, recorded once: the same helper, household and time as a visit recorded already (the "
    "import's rule) is a 409 `already-recorded` problem naming it (`existing_id`), and nothing is written. Send "
    "an `Idempotency-Key` header (an id made on the device) and a record sent twice gets its first answer.\n\n"
    f"请求体不超过 {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} 字节（更大的为 400 too-large）；照片每张 ≤2 MB，"
    f"base64 合计 ≤{PHOTOS_TOTAL_BASE64:,} 字符（超出为 422，指明 photos）/ the request body at most "
    f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes (a larger one is a 400 too-large); each photo at most 2 MB, "
    f"their base64 at most {PHOTOS_TOTAL_BASE64:,} characters in all (over it: a 422 naming photos).")


@router.post("/visits", response={201: VisitOut}, summary="录入走访 / record a visit", description=RECORD_VISIT)
def record_visit(request: HttpRequest, body: VisitIn) -> Status[Any]:
    """Described in the schema by RECORD_VISIT (its limits are computed, so not this docstring)."""
    user = user_of(request, "write")
    _photos_within_total(body)
    # A same-origin session is the phone app's (jingzhun.mobile); a token, another program's.
    channel = "phone" if by_session(request) else "api"

    def write() -> tuple[int, Any]:
        photos = _photo_bytes(body)
        row, when = _visit_row(user, body)
        actor = str(user)
        with transaction.atomic():  # the visit and its photos' bytes land together or not at all
            records.run_one(import_visits, visits_import.SPEC, row, user=user, actor=actor, fields=VISIT_FIELDS,
                            recorded=_already_recorded("visited_at", visits_import.already_recorded),
                            channel=channel)
            found = (Visit.objects.filter(household__number=body.household_number, visited_at=when, entered_by=actor)
                     .order_by("-pk").first())
            if found is None:  # the import said it wrote it: not finding it is a fault, not a refusal
                raise RuntimeError("visit imported but not found")
            visit_photos.store(found.pk, photos)
        return 201, _visit(found).model_dump(mode="json")

    return Status(*idempotency.once(request, "visit", body.model_dump(mode="json"), write))


def _photos_within_total(body: VisitIn) -> None:
    """422 naming `photos` when their base64 is over the total the schema states (JSON Schema cannot say it)."""
    if sum(len(p.jpeg_base64 or "") for p in body.photos) > PHOTOS_TOTAL_BASE64:
        raise ApiProblem(422, "photos", f"{PHOTOS_TOTAL_ZH} / {PHOTOS_TOTAL_EN}",
                         [field_error("photos", "photos-total", PHOTOS_TOTAL_ZH, PHOTOS_TOTAL_EN)])


def _already_recorded(field: str, words: Callable[[int], str]) -> Callable[[int], ApiProblem]:
    """The answer to a record the import finds stored already (a visit: same helper, household and time; a
    cadre's day): a conflict naming that record (`existing_id`, `words` giving the import's rule for it), not
    the record as if it were this request's — its notes, photos or method may differ from what was sent, and
    the import's rule does not compare them."""
    def problem(record_id: int) -> ApiProblem:
        zh, en = bilingual(words(record_id))
        return ApiProblem(409, "already-recorded", f"{zh}，本次未写入 / {en}: nothing was written",
                          [field_error(field, "already-recorded", zh, en)], existing_id=record_id)
    return problem


def _photo_bytes(body: VisitIn) -> dict[str, bytes]:
    """The photos sent with their bytes, each checked against its digest; 422 naming the photo otherwise."""
    out: dict[str, bytes] = {}
    for n, photo in enumerate(body.photos):
        if photo.jpeg_base64 is None:
            continue
        try:
            out[photo.sha256.lower()] = visit_photos.decoded(photo.jpeg_base64, photo.sha256)
        except visit_photos.PhotoRefused as exc:
            zh, en = bilingual(str(exc))
            raise ApiProblem(422, "photo", f"第{n + 1}张照片：{zh} / photo {n + 1}: {en}",
                             [field_error(f"photos.{n}.jpeg_base64", "photo", zh, en)]) from None
    return out


JPEG_ANSWER = {200: {"description": "照片（JPEG）/ the photo", "content": {"image/jpeg": {
    "schema": {"type": "string", "format": "binary"}}}}}


@router.get("/visits/{visit_id}/photos/{sha256}", response={200: None}, openapi_extra={"responses": JPEG_ANSWER},
            summary="走访照片 / a visit's photo")
def visit_photo(request: HttpRequest, sha256: str = PathParam(..., pattern=r"^[0-9a-f]{64}$"),
                visit_id: int = path_id()) -> HttpResponse:
    """The JPEG the phone sent with a visit, for a household you may see; 404 for any other, and for a photo
    known only by reference (a file's import)."""
    user = user_of(request, "read")
    found = (visit_photos.visible(user).filter(visit_id=visit_id, sha256=sha256, data__isnull=False)
             .values_list("data", flat=True).first())
    if found is None:
        raise not_found("photo")
    return HttpResponse(bytes(found), content_type="image/jpeg")


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
    working there (a team member: themselves). One day per cadre: a day already recorded for the cadre is
    a 409 `already-recorded` problem naming it (`existing_id`), and nothing is written."""
    user = user_of(request, "write")

    def write() -> tuple[int, Any]:
        given = body.cadre_id is not None or body.personnel_number
        cadre = str(body.cadre_id) if body.cadre_id is not None else ("" if given else _own_cadre(user))
        row = {"cadre": cadre, "personnel": body.personnel_number, "village": body.village,
               "date": body.date.isoformat(), "method": body.method}
        actor = str(user)
        records.run_one(import_attendance, attendance_import.SPEC, row, user=user, actor=actor,
                        fields=ATTENDANCE_FIELDS,
                        recorded=_already_recorded("date", attendance_import.already_recorded))
        found = Attendance.objects.filter(village_id=body.village, date=body.date, entered_by=actor).order_by("-pk").first()
        if found is None:
            raise RuntimeError("attendance imported but not found")
        return 201, _attendance(found).model_dump(mode="json")

    return Status(*idempotency.once(request, "attendance", body.model_dump(mode="json"), write))
