"""Identification runs: what each run found, by area, limited to the user's areas (jingzhun.identification
does the work and the scoping; these pages show it)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import LEVEL_DEPTH, LEVEL_DIGITS, Area
from jingzhun.choices import LEVEL
from jingzhun.identification import accuracy, aggregate
from jingzhun.identification.models import IdentificationRun
from jingzhun.web.pages import requires


def _home_level(user: object) -> str:
    """One level below the user's widest area (the province for an unrestricted user)."""
    home = access.home_area(user, "dashboard")
    if not home:
        return "city"
    level = Area.objects.filter(code=home).values_list("level", flat=True).first() or "county"
    levels = list(LEVEL_DIGITS)
    return levels[min(LEVEL_DEPTH[level] + 1, len(levels) - 1)]


def whole_run_visible(spans: list[tuple[str, str]] | None, area: Area | None, area_code: str) -> bool:
    """True when the run's whole area lies inside one of the user's dashboard ranges: only then are its
    totals (households, poor, monitored) figures the user may see. A run of the whole register ("") is an
    unrestricted user's."""
    if spans is None:
        return True
    if not area_code or area is None:
        return False
    low, high = area.code_range
    return any(a <= low and high <= b for a, b in spans)


@requires("dashboard")
def runs(request: HttpRequest) -> HttpResponse:
    """The recent runs. A run's totals count its whole area, so they are shown only to users who see all of
    it; others see "—" and the run's page, which counts within their areas."""
    recent = list(IdentificationRun.objects.filter(finished_at__isnull=False).order_by("-started_at")[:30])
    spans = access.ranges(request.user, ability="dashboard")
    areas = Area.objects.in_bulk([r.area_code for r in recent if r.area_code], field_name="code")
    rows = [(r, whole_run_visible(spans, areas.get(r.area_code), r.area_code)) for r in recent]
    return render(request, "web/identification.html", {"runs": rows, "title": _("Identification")})


@requires("dashboard")
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = IdentificationRun.objects.filter(pk=pk, finished_at__isnull=False).first()
    if run is None:
        raise Http404(_("No such run"))
    level = request.GET.get("level", "") or _home_level(request.user)
    if level not in LEVEL_DIGITS:
        raise Http404(_("No such level"))
    rows = aggregate.by_area_for(request.user, run, level)
    names = dict(Area.objects.filter(code__in=[r.code for r in rows]).values_list("code", "name"))
    return render(request, "web/identification_run.html", {
        "run": run, "rows": [(r, names.get(r.code, r.code)) for r in rows], "level": level,
        "levels": LEVEL.labels().items(), "has_mpi": bool(run.mpi_denominator),
        "title": _("Identification run %(id)s") % {"id": run.pk},
    })


@requires("dashboard")
def accuracy_report(request: HttpRequest) -> HttpResponse:
    """Targeting accuracy of one run, or two side by side (the what-if), against an uploaded reference
    welfare file (household_number, year, true_income_per_capita, true_poor), by area within the user's
    areas. The whole-file row is shown only to unrestricted users: it counts every area of the file."""
    finished = IdentificationRun.objects.filter(finished_at__isnull=False).order_by("-started_at")[:30]
    context: dict[str, Any] = {"runs": finished, "levels": LEVEL.labels().items(), "title": _("Targeting accuracy")}
    if request.method != "POST":
        return render(request, "web/accuracy.html", context)
    chosen = [IdentificationRun.objects.filter(pk=pk, finished_at__isnull=False).first()
              for pk in (request.POST.get("run_a", ""), request.POST.get("run_b", "")) if pk.isascii() and pk.isdigit() and len(pk) <= 18]
    runs = [r for r in chosen if r is not None]
    level = request.POST.get("level", "county")
    upload = request.FILES.get("reference")
    if not runs or level not in LEVEL_DIGITS or upload is None:
        context["problem"] = _("Choose a run, a level and a reference welfare file.")
        return render(request, "web/accuracy.html", context, status=400)
    if len({r.year for r in runs}) > 1:
        context["problem"] = _("The two runs must be of the same year.")
        return render(request, "web/accuracy.html", context, status=400)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / Path(upload.name or "reference.csv").name
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        try:
            welfare = accuracy.load_welfare(path, runs[0].year)
        except accuracy.WelfareError as exc:
            context["problem"] = str(exc)
            return render(request, "web/accuracy.html", context, status=400)
    unrestricted = access.ranges(request.user, ability="dashboard") is None
    tables = []
    for run in runs:
        rows = accuracy.accuracy(welfare, accuracy.selected_by_run(run.pk), level)
        tables.append({r.code: r for r in rows
                       if (r.code == "" and unrestricted) or (r.code and access.can_see_area(request.user, r.code,
                                                                                               "dashboard"))})
    codes = sorted(set().union(*tables))
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    context.update(chosen=runs, level=level, rows=[(names.get(c, _("All areas")), c, [(run, t.get(c)) for run, t in zip(runs, tables)])
                                                   for c in codes])
    return render(request, "web/accuracy.html", context)
