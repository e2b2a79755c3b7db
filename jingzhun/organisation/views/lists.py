"""The organisation pages that read: units, cadres, coverage, team fit, leadership, secondments, reviews.
Every query is limited to the user's areas in SQL (`organisation.scope`)."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.choices import UNIT_KIND
from jingzhun.organisation import coverage, fit, leadership, scope, secondments, shortlists
from jingzhun.organisation.models import PostKind, Shortlist, Unit, UnitReview
from jingzhun.organisation.views.common import PER_PAGE, days_of, page_of, year_of
from jingzhun.teams.models import Cadre
from jingzhun.web.pages import requires

READ = scope.READ
SHOWN = 100  # rows of a long list a page shows (rendering them is the cost); the total counts them all


@requires(READ)
def unit_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    qs = Unit.objects.filter(scope.q(request.user, "area_id"), merged_into__isnull=True)
    if kind in UNIT_KIND.codes:
        qs = qs.filter(kind=kind)
    cadres = (Cadre.objects.filter(sending_unit_id=OuterRef("pk")).order_by().values("sending_unit_id")
              .annotate(n=Count("pk")).values("n"))
    qs = qs.annotate(cadre_count=Coalesce(Subquery(cadres), 0)).select_related("area").order_by("area_id", "name", "pk")
    return render(request, "organisation/units.html", {
        "page": page_of(request, qs), "kinds": UNIT_KIND.labels(), "kind": kind, "title": _("Units"),
        "may_export": access.may_download(request.user, READ)})


@requires(READ)
def cadre_list(request: HttpRequest) -> HttpResponse:
    """By station, then id, a page at a time by key (`?after=<station>-<id>`): the order of the station's index,
    so no sort, no COUNT and no OFFSET over a province's 200,000 cadres — the last page costs what the first does."""
    qs = (Cadre.objects.filter(scope.q(request.user, "home_area_id")).select_related("sending_unit", "home_area")
          .only("name", "rank", "status", "skills", "home_area__name", "sending_unit__name", "unit")
          .order_by("home_area_id", "pk"))
    unit = request.GET.get("unit", "").strip()
    unit = unit if unit.isascii() and unit.isdigit() and len(unit) < 19 else ""
    if unit:
        qs = qs.filter(sending_unit_id=int(unit))
    station, _dash, last = request.GET.get("after", "").strip().partition("-")
    if station.isascii() and station.isdigit() and len(station) == 12 and last.isascii() and last.isdigit():
        qs = qs.filter(Q(home_area_id__gt=station) | Q(home_area_id=station, pk__gt=int(last[:18])))
    rows = list(qs[: PER_PAGE + 1])
    after = f"{rows[PER_PAGE - 1].home_area_id}-{rows[PER_PAGE - 1].pk}" if len(rows) > PER_PAGE else None
    return render(request, "organisation/cadres.html", {"rows": rows[:PER_PAGE], "next": after, "unit": unit,
                                                        "title": _("Cadres")})


@requires(READ)
def coverage_page(request: HttpRequest) -> HttpResponse:
    year = year_of(request)
    return render(request, "organisation/coverage.html", {
        "report": coverage.coverage(request.user, year, coverage.SHOWN), "year": year, "title": _("Units and their villages")})


@requires(READ)
def fit_page(request: HttpRequest) -> HttpResponse:
    rows = [(m, fit.labels(m.missing)) for m in fit.misfits(request.user)]
    return render(request, "organisation/fit.html", {"misfits": rows, "title": _("Teams that do not fit their village")})


@requires(READ)
def leadership_page(request: HttpRequest) -> HttpResponse:
    spans = leadership.user_spans(request.user)
    counties = [(code, name) for code, name, level in leadership.areas_in(spans) if level == "county"]
    found = leadership.vacancies_in(spans)
    return render(request, "organisation/leadership.html", {
        "vacancies": found[:SHOWN], "total": len(found), "counties": counties, "title": _("Leadership teams")})


@requires(READ)
def county_page(request: HttpRequest, code: str) -> HttpResponse:
    county = Area.objects.filter(leadership.poor_areas(request.user), level="county", code=code).first()
    if county is None:
        raise Http404(_("No such area in your scope"))
    today = timezone.localdate()
    return render(request, "organisation/county.html", {
        "county": county, "seats": leadership.county_team(county, today),
        "vacancies": leadership.vacancies(request.user, area=county.code),
        "posts": PostKind.objects.filter(active=True), "may_write": scope.covers(request.user, county.code, write=True),
        "shortlists": Shortlist.objects.filter(area_id__gte=county.code_range[0], area_id__lte=county.code_range[1])
        .select_related("post")
        .order_by("-created_at")[:20],
        "basis": shortlists.SERVICE_ONLY if shortlists.assessment_grades([], today.year) is None
        else shortlists.WITH_GRADES, "title": county.name})


@requires(READ)
def shortlist_page(request: HttpRequest, pk: int) -> HttpResponse:
    shortlist = get_object_or_404(Shortlist.objects.filter(scope.q(request.user, "area_id")).select_related(
        "area", "post", "chosen"), pk=pk)
    entries = list(shortlist.entries.select_related("cadre", "cadre__sending_unit"))
    for e in entries:
        e.skills = fit.labels(tuple(e.evidence.get("skills", ())))  # type: ignore[attr-defined]
    return render(request, "organisation/shortlist.html", {
        "shortlist": shortlist, "entries": entries,
        "may_write": scope.covers(request.user, shortlist.area_id, write=True), "title": _("Shortlist")})


@requires(READ)
def secondment_page(request: HttpRequest) -> HttpResponse:
    days = days_of(request)
    ending = secondments.ending_within(request.user, timezone.localdate(), days)
    return render(request, "organisation/secondments.html", {
        "shares": secondments.share_by_year(request.user), "days": days, "ending": ending[:SHOWN],
        "total": ending.count(), "title": _("Secondments"), "may_export": access.may_download(request.user, READ)})


@requires(READ)
def review_page(request: HttpRequest) -> HttpResponse:
    reviews = list(UnitReview.objects.filter(status="open").order_by("key"))
    listed = sorted({pk for r in reviews for pk in r.unit_ids})
    visible = {u.pk: u for u in Unit.objects.filter(scope.q(request.user, "area_id"), pk__in=listed)
               .select_related("area")}
    # A review is shown when one of its units is the user's; only the user's units are named in it.
    rows = [(r, [visible[pk] for pk in r.unit_ids if pk in visible]) for r in reviews]
    return render(request, "organisation/reviews.html", {"rows": [(r, us) for r, us in rows if us],
                                                         "title": _("Units to review")})
