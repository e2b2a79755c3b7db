"""Helpers and work teams: the coverage report and the supervision alerts, for the user's area."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.teams import alert_view, coverage, rules, supervision
from jingzhun.teams.export import write_alerts_xlsx
from jingzhun.web.dashboard import CHILD_LEVEL
from jingzhun.web.pages import requires

SHOWN_ALERTS = 200
DEFAULT_DAYS, MAX_DAYS = 90, 3650


def _days(text: str) -> int:
    """The window in days, clamped to 1…MAX_DAYS (ten years; days=10**20 would overflow a date); anything
    that is not a whole number is the default."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return DEFAULT_DAYS
    return max(1, min(MAX_DAYS, int(text[:8])))


def _alerts_xlsx(request: HttpRequest, found: list[supervision.Alert], area: Area) -> Any:  # a FileResponse
    """The filtered alerts as a workbook (audited by the writer: who took which alerts of which area). Taking
    them away is "export" over the area itself: a role that only sees it (an auditor's, an evaluator's) shows
    the alerts, and an export role held elsewhere does not reach them. The alerts lie inside the area."""
    if not access.can_see_area(request.user, area.code, "export"):
        raise PermissionDenied("export")
    folder = Path(tempfile.mkdtemp(prefix="jingzhun-alerts-"))
    path = write_alerts_xlsx(found, folder / f"督查预警-{area.code}.xlsx", actor=request.user.get_username(),
                             scope=area.code)
    handle = open(path, "rb")  # noqa: SIM115 -- FileResponse closes it after sending
    path.unlink()  # the open handle keeps the data until the response is sent; nothing stays on disk
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=path.name)


def _area(request: HttpRequest) -> Area:
    return scoped_area(request.user, request.GET.get("area", ""))


def scoped_area(user: object, code: str) -> Area:
    """The area `code` (by default the user's widest) when the user may see its dashboard; 404 otherwise."""
    code = code.strip() or access.home_area(user, "dashboard")  # type: ignore[assignment]
    if code is None:  # unrestricted user, no area chosen: the first province
        found = Area.objects.filter(level="province").order_by("code").first()
    else:
        found = Area.objects.filter(code=code).first() if code else None
    if found is None or not access.can_see_area(user, found.code, "dashboard"):
        raise Http404(_("No such area in your scope"))
    return found


def days_of(text: str) -> int:
    """The alerts' window in days, as the page reads it (public for the API)."""
    return _days(text)


@requires("dashboard")
def coverage_report(request: HttpRequest) -> HttpResponse:
    area = _area(request)
    level = CHILD_LEVEL.get(area.level, area.level)
    report = coverage.coverage_for_user(request.user, area.code, level)
    return render(request, "web/coverage.html", {"area": area, "report": report, "title": _("Helper and team coverage")})


HANDLED = {"": "all", "open": "open", "done": "done"}


@requires("dashboard")
def alerts(request: HttpRequest) -> Any:  # a page, or a FileResponse for ?format=xlsx
    """The alerts of an area: filtered by kind and by handled or not, exported, handled with a note (a POST)."""
    area = _area(request)
    days = _days(request.GET.get("days", ""))
    kind = request.GET.get("kind", "")
    kind = kind if kind in supervision.KINDS else ""
    window = supervision.window_for(area.code, request.user, since=timezone.now() - dt.timedelta(days=days))
    found = supervision.alerts(window, kinds=[kind] if kind else None)
    problem, status = "", 200
    if request.method == "POST":
        if not access.may(request.user, "supervise"):
            raise PermissionDenied("supervise")
        # Handled only among the alerts of the areas the user supervises: a role that only sees an area (an
        # auditor's, an evaluator's) shows its alerts but gives no say over them.
        supervised = dataclasses.replace(window, ranges=access.ranges(request.user, ability="supervise"))
        try:
            alert_view.handle(supervision.alerts(supervised, kinds=[kind] if kind else None),
                              request.POST.get("key", ""), request.POST.get("note", ""),
                              actor=request.user.get_username())
            return redirect(f"{request.path}?{request.GET.urlencode()}")
        except alert_view.AlreadyHandled as e:  # handled before, or by someone else at the same instant
            problem, status = str(e), 409
        except alert_view.NotHandled as e:
            problem = str(e)
    if request.GET.get("format") == "xlsx":
        return _alerts_xlsx(request, found, area)
    counts = Counter(a.kind for a in found)
    state = request.GET.get("handled", "")
    listed = alert_view.shown(found, request.user)
    if state in ("open", "done"):
        listed = [a for a in listed if (a.note is None) == (state == "open")]
    # The work-team rules, checked now: size and recalls today, terms, residence in the last full month.
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    findings = rules.all_findings(today, last_month, last_month, area.code_range, access.ranges(request.user))
    return render(request, "web/alerts.html", {
        "area": area, "days": days, "alerts": listed[:SHOWN_ALERTS], "total": len(listed), "kind": kind,
        "kinds": list(supervision.KINDS.items()), "handled": state, "problem": problem,
        "may_handle": access.may(request.user, "supervise"), "may_export": access.can_see_area(request.user, area.code, "export"),
        "query": request.GET.urlencode(),
        "findings": [(f, rules.RULES.get(f.rule, f.rule)) for f in findings[:SHOWN_ALERTS]], "findings_total": len(findings), "month": last_month,
        "counts": [(supervision.KINDS[k], counts.get(k, 0)) for k in supervision.KINDS],
        "title": _("Supervision alerts"),
    }, status=status)
