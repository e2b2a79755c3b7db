"""The reports page: an area of the user's (a picker of their areas down to the township), a year, which tables;
and the download of the chosen tables as one XLSX workbook, audited with the area, the year and the tables.

An area outside the user's areas (of the roles carrying `counts.ABILITY`) is "not found" whether it exists or
not, as on every page; the figures inside are counted over the user's households only (`counts`).
"""

from __future__ import annotations

from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import LEVEL_DEPTH, Area
from jingzhun.audit import log as audit
from jingzhun.reports import counts
from jingzhun.reports.fill import fill, unit_name
from jingzhun.reports.tables import TABLES
from jingzhun.reports.workbook import write
from jingzhun.web.area_param import chosen_area, chosen_year
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires_download

PICKER_LIMIT = 5000  # a province's areas down to its townships; a national user picks by code past this


def english() -> bool:
    return (translation.get_language() or "").startswith("en")


def picker(user: object) -> list[Area]:
    """The areas the user may report on, above the villages (a village's report has one row: itself)."""
    qs = Area.objects.filter(level__in=["province", "city", "county", "township"]).order_by("code")
    return list(access.scope(qs, user, "code", counts.ABILITY).only("code", "name", "level")[:PICKER_LIMIT])


def chosen_tables(request: HttpRequest) -> list[str]:
    """`?tables=` (repeated) among the known tables, in the standard order; none chosen: all of them."""
    asked = set(request.GET.getlist("tables"))
    return [code for code in TABLES if code in asked] or list(TABLES)


@requires_download(counts.ABILITY)  # the page is the download's form (the menu: "export")
def index(request: HttpRequest) -> HttpResponse:
    area = chosen_area(request, counts.ABILITY)
    areas = picker(request.user)
    if area.code not in {a.code for a in areas}:
        areas.insert(0, area)
    en = english()
    return render(request, "reports/index.html", {
        "title": _("Statistical reports"), "area": area, "areas": [
            (a.code, "\u3000" * max(0, LEVEL_DEPTH[a.level] - LEVEL_DEPTH[areas[0].level]) + a.name) for a in areas],
        "year": chosen_year(request), "chosen": chosen_tables(request),
        "tables": [(code, t.number, t.title[1] if en else t.title[0]) for code, t in TABLES.items()],
    })


@requires_download(counts.ABILITY)
def download(request: HttpRequest) -> HttpResponse:
    """The chosen tables of the area and year as one workbook, audited before it is made. Only where a role
    carries both the dashboard and "export": an auditor sees the tables on the page but takes none away."""
    area = chosen_area(request, counts.ABILITY)
    if not access.can_download_area(request.user, area.code, counts.ABILITY):
        raise Http404(_("No such area in your scope"))
    year, codes = chosen_year(request), chosen_tables(request)
    audit.record(str(request.user), "report.download", object_type="area", object_id=area.code, area=area.code,
                 address=client_address(request), year=year, tables=codes)
    today = timezone.localdate()
    body = write(fill(request.user, area, year, codes), unit=unit_name(area), year=year, english=english(),
                 today=today)
    name = f"{area.name}-{year}-{'statistical-reports' if english() else '统计报表'}.xlsx"
    response = HttpResponse(body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    return response
