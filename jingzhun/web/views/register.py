"""Register: search households, a household's page, and the audited reveal of a member's sensitive fields."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jingzhun import access, choices, crypto
from jingzhun.identity import InvalidResidentID, mask, parse_resident_id
from jingzhun.plans import services as plan_services
from jingzhun.registry import sensitive
from jingzhun.registry.models import Household, Member
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires

PAGE_SIZE = 50
ID_LIKE = re.compile(r"^\d{15}$|^\d{17}[\dXx]$")


def visible_households(user: object) -> QuerySet[Household]:
    return access.households(Household.objects.all(), user)


def _search(qs: QuerySet[Household], text: str) -> tuple[QuerySet[Household], str]:
    """Narrow by a resident ID (exact, through the blind index), a household number, or a name prefix."""
    text = text.strip()
    if not text:
        return qs, ""
    if ID_LIKE.match(text):
        try:
            number = parse_resident_id(text).number
        except InvalidResidentID as exc:
            return qs.none(), _("Not a valid resident ID: %(why)s") % {"why": exc}
        index = crypto.resident_id_cipher().index(number)
        return qs.filter(pk__in=Member.objects.filter(resident_id_index=index).values("household_id")), ""
    if qs.filter(number=text).exists():
        return qs.filter(number=text), ""
    # A name prefix as a range on the indexed name column (LIKE would not use the index on every database).
    names = Member.objects.filter(name__gte=text, name__lt=text + "\U0010ffff")
    return qs.filter(pk__in=names.values("household_id")), ""


FILTERS = ("q", "area", "status", "cause")


def _list_redirect(values: QueryDict, without: tuple[str, ...] = ()) -> HttpResponse:
    """To the list as a GET with the filters of `values` (except `without`)."""
    query = QueryDict(mutable=True)
    query.update({k: str(values.get(k, "")).strip() for k in FILTERS
                  if k not in without and str(values.get(k, "")).strip()})
    return redirect(f"{reverse('web:households')}?{query.urlencode()}" if query else reverse("web:households"))


@requires("register")
@require_http_methods(["GET", "POST"])
def household_list(request: HttpRequest) -> HttpResponse:
    """The register list. A search by resident ID is a POST (the form posts): an ID in a URL would land in
    the access logs of the server and the proxy and in the browser's history. Name and number searches are
    sent back as a GET (a redirect), so they page and bookmark; a GET carrying an ID is not searched."""
    source = request.POST if request.method == "POST" else request.GET
    text = source.get("q", "").strip()
    by_id = bool(ID_LIKE.match(text))
    if by_id and request.method == "GET":
        # Not searched, and sent on without it (the address bar, the language switch's return link).
        messages.error(request, "身份证号码请在搜索框中输入查询，不放在链接里 / "
                                "Search by resident ID with the search form: an ID is never put in a link.")
        return _list_redirect(request.GET, without=("q", "after"))
    if request.method == "POST" and not by_id:
        return _list_redirect(request.POST)
    qs, problem = _search(visible_households(request.user), text)
    area = source.get("area", "").strip()
    if area:
        try:
            qs = access.within_area(qs, "village_id", area)
        except ValueError:
            problem = _("Area code must be 12 digits") if not (area.isdigit() and len(area) == 12) else _("No such area")
            qs = qs.none()
    status = source.get("status", "")
    if status in choices.HOUSEHOLD_STATUS.codes:
        qs = qs.filter(status=status)
    cause = source.get("cause", "")
    if cause in choices.CAUSE.codes:
        qs = qs.filter(primary_cause=cause)
    after = request.GET.get("after", "")
    if after:
        qs = qs.filter(number__gt=after)
    # No COUNT over a million rows: fetch one more than a page to know whether there is a next one.
    rows = list(qs.order_by("number").select_related("village")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = QueryDict(mutable=True)
    query.update({k: source.get(k, "") for k in FILTERS if source.get(k, "") and not (k == "q" and by_id)})
    if more and not by_id:  # an ID finds one household: no next page (and no ID in its link)
        query["after"] = rows[-1].number
    form = {k: source.get(k, "") for k in FILTERS}
    form["q"] = text
    return render(request, "web/households.html", {
        "rows": [(h, choices.HOUSEHOLD_STATUS.label(h.status), choices.CAUSE.label(h.primary_cause)) for h in rows],
        "more": more and not by_id, "next_query": query.urlencode() if more and not by_id else "",
        "problem": problem, "statuses": choices.HOUSEHOLD_STATUS.labels().items(),
        "causes": choices.CAUSE.labels().items(), "form": form,
        "can_export": access.may(request.user, "export"), "title": _("Register"),
    })


def _member_rows(household: Household, user: object) -> list[dict[str, Any]]:
    cipher = crypto.resident_id_cipher()
    out = []
    for m in household.members.order_by("position"):
        out.append({
            "member": m, "masked_id": mask(cipher.decrypt(bytes(m.resident_id_cipher))),
            "birth": sensitive.shown_birth_date(user, m.birth_date),
            "relation": choices.RELATION.label(m.relation), "sex": choices.SEX.label(m.sex),
            "education": choices.EDUCATION.label(m.education), "schooling": choices.SCHOOLING.label(m.schooling),
            "labour": choices.LABOUR.label(m.labour), "assistance": choices.ASSISTANCE.label(m.assistance),
        })
    return out


def _identification(household: Household) -> dict[str, Any] | None:
    """The latest finished identification run's verdict on the household, with its reasons."""
    from jingzhun.identification import codes, store

    found = store.latest(household.pk)
    if found is None:
        return None
    reasons = codes.render(found.run.policy, per_capita_income=found.per_capita_income, size=found.size,
                           reasons=found.reasons, guarantee_failures=found.guarantee_failures,
                           exclusions=found.exclusions, deprivations=found.deprivations,
                           mpi_points=found.mpi_points, mpi_denominator=found.run.mpi_denominator)
    return {"run": found.run, "status": codes.STATUS_LABELS[found.status], "reasons": reasons}


@requires("register")
def household_detail(request: HttpRequest, number: str) -> HttpResponse:
    # Outside the user's scope is "not found": existence is not disclosed.
    household = get_object_or_404(visible_households(request.user).select_related("village"), number=number)
    incomes = list(household.incomes.order_by("year"))
    income_chart = {
        "year": [i.year for i in incomes],
        "net": [float(i.wage_income + i.production_income + i.property_income + i.transfer_income
                      - i.production_costs) for i in incomes],
        "wage": [float(i.wage_income) for i in incomes],
        "production": [float(i.production_income - i.production_costs) for i in incomes],
        "property": [float(i.property_income) for i in incomes],
        "transfer": [float(i.transfer_income) for i in incomes],
    }
    pair = household.helper_pairs.filter(end_date__isnull=True).select_related("cadre").first()
    visits = list(household.visits.order_by("-visited_at")[:20])
    secondary = [choices.CAUSE.label(c) for c in household.secondary_causes.split(",") if c]
    identified = _identification(household)
    # The help plan: every year's plan and its measures in one query (the page's only addition).
    plans = plan_services.household_plans(household)
    plan_year = timezone.localdate().year
    plan = next((p for p in plans if p["year"] == plan_year), None)
    causes = plan_services.household_causes(household)
    return render(request, "web/household.html", {
        "h": household, "members": _member_rows(household, request.user), "incomes": incomes, "income_chart": income_chart,
        "pair": pair, "visits": visits, "events": household.status_events.order_by("recorded_at"),
        "status": choices.HOUSEHOLD_STATUS.label(household.status),
        "category": choices.HOUSEHOLD_CATEGORY.label(household.category),
        "primary_cause": choices.CAUSE.label(household.primary_cause), "secondary_causes": secondary,
        "housing_grade": choices.HOUSING_GRADE.label(household.housing_grade),
        "drinking_water": choices.DRINKING_WATER.label(household.drinking_water),
        "road": choices.ROAD.label(household.road), "identified": identified,
        "plan": plan, "other_plans": [p for p in plans if p is not plan], "plan_year": plan_year,
        "uncovered": plan["uncovered"] if plan else [choices.CAUSE.label(c) for c in causes],
        "can_plan": plan_services.may_write_known(request.user, household, pair.cadre.user_id if pair else None),
        "title": _("Household %(number)s") % {"number": household.number},
    })


@requires("register")
@require_http_methods(["GET", "POST"])
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation and writes nothing; POST reveals (audited) or refuses (audited)."""
    members = access.households(Member.objects.all(), request.user, prefix="household__")
    member = members.select_related("household").filter(pk=pk).first()
    if member is None:
        raise Http404(_("No such member in your scope"))
    context: dict[str, Any] = {"member": member, "title": _("Reveal sensitive information")}
    if request.method == "POST":
        try:
            shown = sensitive.reveal(request.user, member, address=client_address(request),
                                     area=member.household.village_id)
        except PermissionDenied:
            context["refused"] = True
            return render(request, "web/reveal.html", context, status=403)
        context["shown"] = {
            "resident_id": shown["resident_id"],
            "health": choices.HEALTH.label(shown["health"]) if shown["health"] else "",
            "disability_grade": shown["disability_grade"],
        }
    return render(request, "web/reveal.html", context)
