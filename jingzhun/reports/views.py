"""The reports page: an area of the user's (a picker of their areas down to the township), a year, which tables;
asking for them queues the workbook's build (`build.ask`), and the build's page follows it until the file is ready,
then offers it. The file is downloaded only by those who may read it (`build.readable`), audited each time.

An area outside the user's areas (of the roles carrying `counts.ABILITY`) is "not found" whether it exists or
not, as on every page; the figures inside are counted over the user's households only (`counts`). A build's page,
state and file are "not found" to anyone who may not read it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun import access
from jingzhun.areas.models import LEVEL_DEPTH, Area
from jingzhun.audit import log as audit
from jingzhun.reports import build, counts
from jingzhun.reports.models import ReportFile, ReportState
from jingzhun.reports.tables import TABLES
from jingzhun.web.area_param import chosen_area, chosen_year, year_of
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires_download

PICKER_LIMIT = 5000  # a province's areas down to its townships; a national user picks by code past this
RECENT = 20  # the user's latest builds listed on the page


def english() -> bool:
    return (translation.get_language() or "").startswith("en")


def picker(user: object) -> list[Area]:
    """The areas the user may report on, above the villages (a village's report has one row: itself)."""
    qs = Area.objects.filter(level__in=["province", "city", "county", "township"]).order_by("code")
    return list(access.scope(qs, user, "code", counts.ABILITY).only("code", "name", "level")[:PICKER_LIMIT])


def chosen_tables(asked: list[str]) -> list[str]:
    """The asked tables among the known ones, in the standard order; none chosen: all of them."""
    return [code for code in TABLES if code in set(asked)] or list(TABLES)


def titles(codes: list[str]) -> str:
    return "、".join(TABLES[c].number for c in codes if c in TABLES)


@requires_download(counts.ABILITY)  # the page is the download's form (the menu: "export")
def index(request: HttpRequest) -> HttpResponse:
    area = chosen_area(request, counts.ABILITY)
    build.sweep()
    areas = picker(request.user)
    if area.code not in {a.code for a in areas}:
        areas.insert(0, area)
    en = english()
    recent = build.readable(request.user).filter(user_id=request.user.pk or 0).select_related("area")[:RECENT]
    return render(request, "reports/index.html", {
        "title": _("Statistical reports"), "area": area, "areas": [
            (a.code, "\u3000" * max(0, LEVEL_DEPTH[a.level] - LEVEL_DEPTH[areas[0].level]) + a.name) for a in areas],
        "year": chosen_year(request), "chosen": chosen_tables(request.GET.getlist("tables")),
        "tables": [(code, t.number, t.title[1] if en else t.title[0]) for code, t in TABLES.items()],
        "recent": [(r, titles(r.tables)) for r in recent],
    })


@require_POST
@requires_download(counts.ABILITY)
def ask(request: HttpRequest) -> HttpResponse:
    """Queue the chosen tables of the area and year (or join the same request building already); to its page."""
    code = request.POST.get("area", "").strip()[:12]
    area = Area.objects.filter(code=code).first() if code else None
    if area is None or not access.can_download_area(request.user, area.code, counts.ABILITY):
        raise Http404(_("No such area in your scope"))
    year = year_of(request.POST.get("year", ""))
    run = build.ask(request.user, area, year, chosen_tables(request.POST.getlist("tables")), english())
    return redirect("reports:run", token=run.token)


def readable_run(request: HttpRequest, token: str) -> ReportFile:
    if len(token) != 32:  # the exact token: a longer address must not match its first 32 characters
        raise Http404(_("No such report"))
    run = build.readable(request.user).select_related("area", "user").filter(token=token).first()
    if run is None:
        raise Http404(_("No such report"))
    return build.refresh(run)


@requires_download(counts.ABILITY)
def run(request: HttpRequest, token: str) -> HttpResponse:
    found = readable_run(request, token)
    return render(request, "reports/run.html", {
        "title": _("Statistical reports"), "run": found, "tables": titles(found.tables),
        "expires": build.expires_at(found), "status": build.status(found),
    })


@requires_download(counts.ABILITY)
def status(request: HttpRequest, token: str) -> JsonResponse:
    return JsonResponse(build.status(readable_run(request, token)))


@requires_download(counts.ABILITY)
def download(request: HttpRequest, token: str) -> Any:  # a FileResponse (streaming, not an HttpResponse)
    """The built workbook, audited before it is sent; "not found" once expired."""
    found = readable_run(request, token)
    path = build.file_path(found.token)
    if found.state != ReportState.DONE or not path.is_file():
        raise Http404(_("The report is not ready or has expired"))
    audit.record(str(request.user), "report.download", object_type="report", object_id=str(found.pk),
                 area=found.area_id, address=client_address(request), year=found.year, tables=found.tables)
    name = f"{found.area.name}-{found.year}-{'statistical-reports' if found.english else '统计报表'}.xlsx"
    response = FileResponse(path.open("rb"), as_attachment=True,
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "private, no-store"
    return response
