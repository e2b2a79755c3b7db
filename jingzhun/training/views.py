"""Training pages: the courses, coverage of cadres in poor counties by topic, the gaps and hours for an area
and year; an officer adds a course and imports a course roster (through the one import subsystem) here."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun import access
from jingzhun.audit import log as audit
from jingzhun.tabular.spec import FileProblem
from jingzhun.training import reports
from jingzhun.training.models import COURSE_KIND, TOPIC, Course
from jingzhun.training.roster import import_course_roster
from jingzhun.web.area_param import chosen_area, chosen_year
from jingzhun.web.pages import requires

SHOWN = 200
MAX_UPLOAD = 5 * 1024 * 1024


@requires("people")
def courses(request: HttpRequest) -> HttpResponse:
    area, year = chosen_area(request, "people"), chosen_year(request)
    listed = access.within_area(access.scope(Course.objects.all(), request.user, "area_id", "people"), "area_id",
                                area.code).filter(start_date__year=year).order_by("start_date", "code")
    gaps = reports.gaps(request.user, area.code, year)
    return render(request, "training/courses.html", {
        "area": area, "year": year, "courses": listed[:SHOWN], "coverage": reports.coverage(request.user, area.code, year),
        "gaps": gaps[:SHOWN], "gap_total": gaps.count(), "hours": reports.hours(request.user, area.code, year)[:SHOWN],
        "topics": TOPIC.labels(), "kinds": COURSE_KIND.labels(), "may_write": access.may(request.user, "manage_people"),
        "report": _report(request.session.pop("course_roster_report", None)), "title": _("Training"),
    })


def _report(found: dict | None) -> dict | None:
    """The last roster upload's outcome, its counts named in the page's language."""
    if found is None:
        return None
    names = {"inserted": _("Inserted"), "updated": _("Updated"), "unchanged": _("Unchanged")}
    return {**found, "counts": [(names.get(k, k), v) for k, v in found["counts"].items()]}


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
    if not access.can_see_area(request.user, str(fields["area_id"]), "manage_people"):
        raise Http404(_("No such area in your scope"))
    if not fields["code"] or not fields["title"] or Course.objects.filter(code=fields["code"]).exists():
        messages.error(request, _("A course needs a title and a code not used before."))
        return redirect("training:courses")
    course = Course.objects.create(**fields)
    audit.record(request.user.get_username(), "course.add", object_type="course", object_id=str(course.pk),
                 area=course.area_id, code=course.code)
    messages.success(request, _("Course added."))
    return redirect(f"{reverse('training:courses')}?area={course.area_id}&year={course.start_date.year}")


@require_POST
@requires("manage_people")
def upload_roster(request: HttpRequest) -> HttpResponse:
    """A roster file, checked or imported at once (rosters are small) through `import_course_roster` with the
    user's own areas; the row report is shown on the courses page."""
    upload = request.FILES.get("file")
    mode = request.POST.get("mode", "check")
    if upload is None or (upload.size or 0) > MAX_UPLOAD or mode not in ("check", "all", "valid"):
        messages.error(request, _("Choose a CSV or XLSX file of at most 5 MB."))
        return redirect("training:courses")
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        messages.error(request, _("Choose a CSV or XLSX file of at most 5 MB."))
        return redirect("training:courses")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"roster{suffix}"
        with path.open("wb") as f:
            for chunk in upload.chunks():
                f.write(chunk)
        try:
            outcome = import_course_roster(path, actor=request.user.get_username(), user=request.user, mode=mode)
        except FileProblem as exc:
            messages.error(request, str(exc))
            return redirect("training:courses")
    request.session["course_roster_report"] = {
        "mode": mode, "imported": outcome.imported, "counts": outcome.counts(),
        "problems": [[p.row, p.column, p.value, p.rule] for p in outcome.problems[:SHOWN]],
        "total": len(outcome.problems)}
    return redirect("training:courses")
