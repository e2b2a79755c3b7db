"""Helpers and work teams: the coverage report and the supervision alerts, for the user's area."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.teams import coverage, rules, supervision
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


@requires("dashboard")
def alerts(request: HttpRequest) -> HttpResponse:
    area = _area(request)
    days = _days(request.GET.get("days", ""))
    window = supervision.window_for(area.code, request.user, since=timezone.now() - dt.timedelta(days=days))
    found = supervision.alerts(window)
    counts = Counter(a.kind for a in found)
    # The work-team rules, checked now: size and recalls today, terms, residence in the last full month.
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    findings = rules.all_findings(today, last_month, last_month, area.code_range, access.ranges(request.user))
    return render(request, "web/alerts.html", {
        "area": area, "days": days, "alerts": found[:SHOWN_ALERTS], "total": len(found),
        "findings": [(f, rules.RULES.get(f.rule, f.rule)) for f in findings[:SHOWN_ALERTS]], "findings_total": len(findings), "month": last_month,
        "counts": [(supervision.KINDS[k], counts.get(k, 0)) for k in supervision.KINDS],
        "title": _("Supervision alerts"),
    })
