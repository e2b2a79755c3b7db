"""Training pages: the courses, coverage of cadres in poor counties by topic, the gaps and hours for an area
and year; an officer adds a course and imports a course roster (through the one import subsystem) here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.organisation import paging
from jingzhun.training import reports
from jingzhun.training.models import COURSE_KIND, ENROLMENT_STATUS, POVERTY_WORK, TOPIC, Course, Enrolment
from jingzhun.training.roster import SPEC
from jingzhun.web import roster_export
from jingzhun.web.area_param import chosen_area, chosen_year
from jingzhun.web.pages import requires, requires_download


@requires("people")
def courses(request: HttpRequest) -> HttpResponse:
    area, year = chosen_area(request, "people"), chosen_year(request)
    listed = access.within_area(access.scope(Course.objects.all(), request.user, "area_id", "people"), "area_id",
                                area.code).filter(start_date__year=year).order_by("start_date", "code")
    coverage = reports.coverage(request.user, area.code, year)
    # The gaps' total is the poverty-work line of the coverage (cadres − covered): no second count.
    poverty = next(c for c in coverage if c.topic == POVERTY_WORK)
    gap_total = poverty.cadres - poverty.covered
    return render(request, "training/courses.html", {
        "area": area, "year": year, "courses": paging.page(request, "courses_page", listed), "coverage": coverage,
        "gaps": paging.page(request, "gaps_page", reports.gaps(request.user, area.code, year), gap_total),
        "gap_total": gap_total,
        "hours": paging.window(request, "hours_page", lambda offset, limit: reports.hours(
            request.user, area.code, year, limit, offset)),
        "topics": TOPIC.labels(), "kinds": COURSE_KIND.labels(), "may_write": access.may(request.user, "manage_people"),
        "may_export": access.may(request.user, "export"),
        "title": _("Training"),
    })


def _course_fields(post: dict[str, str]) -> dict[str, object]:
    start, end = dt.date.fromisoformat(post["start_date"]), dt.date.fromisoformat(post["end_date"])
    hours = float(post["hours"])
    if not 0 < hours <= 1000 or end < start or post["topic"] not in TOPIC.codes or post["kind"] not in COURSE_KIND.codes:
        raise ValueError
    return {"code": post["code"].strip()[:32], "title": post["title"].strip()[:120], "topic": post["topic"],
            "kind": post["kind"], "start_date": start, "end_date": end, "hours_tenths": round(hours * 10),
            "place": post.get("place", "").strip()[:120], "organiser": post.get("organiser", "").strip()[:120],
            "area_id": post["area"].strip()[:12]}


@require_POST
@requires("manage_people")
def add_course(request: HttpRequest) -> HttpResponse:
    try:
        fields = _course_fields({k: request.POST.get(k, "") for k in (
            "code", "title", "topic", "kind", "start_date", "end_date", "hours", "place", "organiser", "area")})
    except (ValueError, KeyError):
        messages.error(request, _("The course is incomplete or its dates or hours are invalid."))
        return redirect("training:courses")
    if (not access.can_see_area(request.user, str(fields["area_id"]), "manage_people")
            or not Area.objects.filter(code=fields["area_id"]).exists()):  # unregistered: as unknown as elsewhere
        raise Http404(_("No such area in your scope"))
    if not fields["code"] or not fields["title"] or Course.objects.filter(code=fields["code"]).exists():
        messages.error(request, _("A course needs a title and a code not used before."))
        return redirect("training:courses")
    try:
        with transaction.atomic():
            course = Course.objects.create(**fields)
            audit.record(request.user.get_username(), "course.add", object_type="course", object_id=str(course.pk),
                         area=course.area_id, code=course.code)
    except IntegrityError:
        # A code taken at the same instant by another officer (both passed the check above): refused in words.
        messages.error(request, _("A course needs a title and a code not used before."))
        return redirect("training:courses")
    messages.success(request, _("Course added."))
    return redirect(f"{reverse('training:courses')}?area={course.area_id}&year={course.start_date.year}")


@requires_download("people")
def export_roster(request: HttpRequest) -> Any:  # a FileResponse
    """The area's enrolments in the year's courses, in the roster template's columns (status as its label,
    hours as typed), scoped to the user's areas of the export ability."""
    area, year = chosen_area(request, "export"), chosen_year(request)
    rows = access.within_area(access.scope(Enrolment.objects.filter(course__start_date__year=year), request.user,
                                           "cadre__home_area_id", "export"), "cadre__home_area_id", area.code)
    found = rows.order_by("course__code", "cadre__personnel_number").values_list(
        "course__code", "cadre__personnel_number", "cadre__name", "status", "attended_tenths")
    return roster_export.xlsx(
        request, kind="course_roster", name=f"培训班学员名册-{year}-{area.code}.xlsx", sheet_name="培训班学员名册",
        headers=SPEC.headers, area=area.code,
        rows=([c, p, n, ENROLMENT_STATUS.zh(s), f"{t / 10:g}"] for c, p, n, s, t in found))

