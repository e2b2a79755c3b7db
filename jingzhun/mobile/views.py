"""The phone app's pages: every read scoped in SQL through the access layer (`due.households`: a helper's own
pairs, a work team's villages), every record sent by the page's script through the API — the same services,
rules and audit as any other write. A household outside the user's scope is a 404, as on every page."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from jingzhun import choices
from jingzhun.api.routes import work as work_api
from jingzhun.areas.models import Area
from jingzhun.mobile import card, due
from jingzhun.registry.models import Household, Member
from jingzhun.teams.models import MEASURE, TeamMembership, Visit
from jingzhun.web.pages import requires


def _page(request: HttpRequest, template: str, title: str, **context: object) -> HttpResponse:
    response = render(request, f"mobile/{template}", {"title": title, **context})
    # Geolocation for these pages only (the site's default policy denies it): a visit records where it was.
    response.headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=(self)"
    return response


def _household(request: HttpRequest, pk: int) -> Household:
    found = due.households(request.user).select_related("village").filter(pk=pk).first()
    if found is None:
        raise Http404(_("No such household in your scope"))
    return found


@require_GET
@requires("fieldwork")
def home(request: HttpRequest) -> HttpResponse:
    rows, total = due.rows(request.user, due.due_now(timezone.localdate()))
    return _page(request, "home.html", _("My households"), rows=rows, total=total)


@require_GET
@requires("fieldwork")
def household(request: HttpRequest, pk: int) -> HttpResponse:
    h = _household(request, pk)
    today = due.due_now(timezone.localdate())
    visits = Visit.objects.filter(household=h).order_by("-visited_at").values("visited_at", "notes", "entered_by")[:5]
    return _page(request, "household.html", h.number, household=h, status=choices.HOUSEHOLD_STATUS.label(h.status),
                 members=card.members(request.user, h), measures=list(due.open_measures(h.pk, today)[:20]),
                 visits=list(visits))


@require_GET
@requires("fieldwork")
def visit(request: HttpRequest, pk: int) -> HttpResponse:
    h = _household(request, pk)
    # The API's bound on a visit's photos (their base64 in all), read here at each request so the page and the
    # server hold one number: the page refuses a visit over it before queueing one the server would refuse.
    total = work_api.PHOTOS_TOTAL_BASE64
    return _page(request, "visit.html", _("Record a visit"), household=h, now=timezone.localtime(),
                 measures=[(code, zh) for code, zh, _en in MEASURE.values],
                 # In MB of JPEG to the person (base64 is 4 characters per 3 bytes), to a tenth: "6", "1.5".
                 photos_total=total, photos_total_mb=f"{total * 3 / 4 / 2**20:.1f}".removesuffix(".0"))


@require_GET
@requires("fieldwork")
def report(request: HttpRequest, pk: int) -> HttpResponse:
    h = _household(request, pk)
    names = list(Member.objects.filter(household=h).order_by("position").values_list("name", flat=True))
    return _page(request, "report.html", _("Report a hardship"), household=h, names=names,
                 today=timezone.localdate())


def team_villages(user: object, on: dt.date) -> list[tuple[str, str]]:
    """The villages whose open work team the user serves in (through their cadre record) on `on`."""
    open_on = TeamMembership.objects.filter(cadre__user_id=getattr(user, "pk", 0) or 0, start_date__lte=on,
                                            team__end_date__isnull=True).exclude(end_date__lt=on)
    codes = open_on.values_list("team__village_id", flat=True)
    return list(Area.objects.filter(code__in=codes).order_by("code").values_list("code", "name"))


@require_GET
@requires("fieldwork")
def attendance(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return _page(request, "attendance.html", _("Daily check-in"), villages=team_villages(request.user, today),
                 today=today)


@require_GET
@requires("fieldwork")
def outbox(request: HttpRequest) -> HttpResponse:
    return _page(request, "outbox.html", _("Outbox"))
