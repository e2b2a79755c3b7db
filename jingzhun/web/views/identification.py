"""Identification runs: what each run found, by area, limited to the user's areas (jingzhun.identification
does the work and the scoping; these pages show it)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import LEVEL_DEPTH, LEVEL_DIGITS, Area
from jingzhun.identification import aggregate
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


@requires("dashboard")
def runs(request: HttpRequest) -> HttpResponse:
    recent = IdentificationRun.objects.filter(finished_at__isnull=False).order_by("-started_at")[:30]
    return render(request, "web/identification.html", {"runs": recent, "title": _("Identification")})


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
        "levels": list(LEVEL_DIGITS), "has_mpi": bool(run.mpi_denominator),
        "title": _("Identification run %(id)s") % {"id": run.pk},
    })
