"""Dashboard: the user's area, drill-down to villages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun import access, choices
from jingzhun.areas.models import Area
from jingzhun.organisation import people
from jingzhun.web import dashboard
from jingzhun.web.pages import requires


@requires("register")
def home(request: HttpRequest) -> HttpResponse:
    """Officers land on their area's dashboard; helpers on their households."""
    if not access.may(request.user, "dashboard"):
        return redirect("web:households")
    return redirect("web:dashboard")


@requires("dashboard")
def overview(request: HttpRequest, code: str | None = None) -> HttpResponse:
    if code is None:
        home_code = access.home_area(request.user, "dashboard")
        if home_code is None:  # unrestricted: the provinces
            provinces = list(Area.objects.filter(level="province").order_by("code"))
            if len(provinces) == 1:
                return redirect("web:dashboard_area", code=provinces[0].code)
            return render(request, "web/areas.html", {"areas": provinces, "title": _("Dashboard")})
        code = home_code
    if not access.can_see_area(request.user, code, "dashboard"):
        raise Http404(_("No such area in your scope"))
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise Http404(_("No such area in your scope"))
    board = dashboard.build(area)
    trail = [a for a in Area.objects.filter(code__in=dashboard.levels_above(area)).order_by("code")
             if access.can_see_area(request.user, a.code, "dashboard")]
    labels = {"status": choices.HOUSEHOLD_STATUS.labels(), "cause": choices.CAUSE.labels()}
    return render(request, "web/dashboard.html", {
        "board": board, "trail": trail, "labels": labels,
        "status_rows": [(labels["status"].get(s, s), hp[0], hp[1]) for s, hp in sorted(board.figures.by_status.items())],
        "charts": dashboard.chart_data(board, labels),
        "people": people.figures(request.user, area, timezone.localdate()) if access.can_see_area(request.user, code, "see_organisation")
        else [],
        "title": area.name, "may_print": access.can_download_area(request.user, area.code, "register"),
    })
