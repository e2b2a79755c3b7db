"""Register: search households, a household's page, and the audited reveal of a member's sensitive fields."""

from __future__ import annotations

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, OuterRef, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from jingzhun import access, choices, crypto
from jingzhun.areas.models import LEVEL_DIGITS, Area
from jingzhun.identity import InvalidResidentID, mask, parse_resident_id
from jingzhun.plans import services as plan_services
from jingzhun.registry import sensitive
from jingzhun.registry.models import Household, Member
from jingzhun.teams.health import helper_health
from jingzhun.web import household_reads
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires

PAGE_SIZE = 50
FEN = Decimal("0.01")
# A resident ID as people type it: 15 digits, or 17 and a check character, grouped by spaces or hyphens
# ("433130 19900101 123X") and perhaps in full-width characters (an input method's; `\d` is Unicode here). Such a
# text is searched only in a POST and never sent back into a link (the API's list refuses it in its URL too).
ID_LIKE = re.compile(r"^(?:\d[\s\-]*){14}\d$|^(?:\d[\s\-]*){17}[\dXxＸｘ]$")
SEPARATORS = re.compile(r"[\s\-]+")


def id_text(text: str) -> str:
    """An ID-like text as the ID itself: full-width characters made plain (NFKC), the grouping taken out."""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", text))


def visible_households(user: object) -> QuerySet[Household]:
    return access.households(Household.objects.all(), user)


def search(qs: QuerySet[Household], text: str) -> tuple[QuerySet[Household], str, str]:
    """Narrow by a resident ID (exact, through the blind index), a household number, or a name prefix; also
    returns the name prefix when the text was searched as one ("" otherwise), for the rows to show who matched."""
    text = text.strip()
    if not text:
        return qs, "", ""
    if ID_LIKE.match(text):
        try:
            number = parse_resident_id(id_text(text)).number
        except InvalidResidentID as exc:
            return qs.none(), _("Not a valid resident ID: %(why)s") % {"why": exc}, ""
        index = crypto.resident_id_cipher().index(number)
        return qs.filter(pk__in=Member.objects.filter(resident_id_index=index).values("household_id")), "", ""
    if qs.filter(number=text).exists():
        return qs.filter(number=text), "", ""
    # A name prefix as a range on the indexed name column (LIKE would not use the index on every database).
    names = Member.objects.filter(name__gte=text, name__lt=text + "\U0010ffff")
    return qs.filter(pk__in=names.values("household_id")), "", text


FILTERS = ("q", "area", "status", "cause")


def _list_redirect(values: QueryDict, without: tuple[str, ...] = ()) -> HttpResponse:
    """To the list as a GET with the filters of `values` (except `without`)."""
    query = QueryDict(mutable=True)
    query.update({k: str(values.get(k, "")).strip() for k in FILTERS
                  if k not in without and str(values.get(k, "")).strip()})
    return redirect(f"{reverse('web:households')}?{query.urlencode()}" if query else reverse("web:households"))


def _page_number(raw: str, pages: int) -> int:
    """The page asked for, within 1..pages (a number beyond the last shows the last; junk shows the first)."""
    try:
        number = int(raw)
    except ValueError:
        return 1
    return min(max(number, 1), pages)


def with_names(qs: QuerySet[Household], name_prefix: str) -> QuerySet[Household]:
    """The page's rows with what a row shows beside the number, in the same query: the township (the village's
    parent, a join), and as subqueries the head's name, the household's size and, for a name search, the first
    member whose name matched (so an officer sees why a household came up when the head is someone else)."""
    members = Member.objects.filter(household=OuterRef("pk"))
    # The head first; a household without a head (a half-imported one) shows its first member.
    head = members.order_by(Case(When(relation="head", then=0), default=1), "position").values("name")[:1]
    size = members.order_by().values("household").annotate(n=Count("pk")).values("n")
    qs = qs.select_related("village__parent").only(
        "number", "status", "category", "village__name", "village__parent__name").annotate(
        head_name=Subquery(head), size=Coalesce(Subquery(size), 0))
    if name_prefix:
        matched = members.filter(name__gte=name_prefix, name__lt=name_prefix + "\U0010ffff").order_by("position")
        qs = qs.annotate(matched_name=Subquery(matched.values("name")[:1]))
    return qs


def _area_tree(user: object, chosen: str) -> list[dict[str, Any]]:
    """The area picker: the user's own areas (the roots of their grants), and below them, along the way to the
    chosen area, each level's areas; areas off that way are closed (a link that opens them). Only areas in the
    user's code ranges are ever read (a predicate in SQL), so the tree names no area outside them; at most two
    queries whatever the size of the tree, and only the levels on the way are read, not a province's villages."""
    spans = access.ranges(user)
    if spans is None:
        roots = list(Area.objects.filter(parent__isnull=True).only("code", "name", "level").order_by("code"))
    else:
        granted = {g.area_code for g in access.grants(user) or []}
        found = list(Area.objects.filter(code__in=granted).only("code", "name", "level").order_by("code"))
        # A grant inside another grant's subtree is reached through the wider one.
        roots = [a for a in found if not any(
            o.code != a.code and o.code_range[0] <= a.code <= o.code_range[1] for o in found)]
    way: list[str] = []
    if chosen.isdigit() and len(chosen) == 12 and access.can_see_area(user, chosen):
        # The chosen area's ancestors are its code cut at each level, zero-filled: no walk up the parents.
        way = sorted({chosen[:digits].ljust(12, "0") for digits in LEVEL_DIGITS.values()} | {chosen})
    # Nothing chosen (or an area outside the user's): the user's own areas open one level.
    way = way or [a.code for a in roots]
    below: dict[str, list[Area]] = {}
    children = access.scope(Area.objects.filter(parent_id__in=way), user, "code") if way else Area.objects.none()
    for area in children.only("code", "name", "parent_id").order_by("code"):
        below.setdefault(area.parent_id or "", []).append(area)

    def node(area: Area) -> dict[str, Any]:
        return {"code": area.code, "name": area.name, "chosen": area.code == chosen,
                "open": area.code in way, "children": [node(c) for c in below.get(area.code, [])]}

    return [node(a) for a in roots]


def _filter_query(source: QueryDict, by_id: bool, **changes: str) -> str:
    """The list's filters (never an ID) as a query string, with `changes` (a page, an area) applied."""
    query = QueryDict(mutable=True)
    query.update({k: source.get(k, "") for k in FILTERS if source.get(k, "") and not (k == "q" and by_id)})
    for key, value in changes.items():
        query.pop(key, None)
        if value:
            query[key] = value
    return query.urlencode()


def _pager(source: QueryDict, by_id: bool, number: int, pages: int) -> dict[str, Any]:
    """Links to the first, previous, next and last pages and to the pages around this one."""
    def link(n: int) -> str:
        return _filter_query(source, by_id, page=str(n) if n > 1 else "")

    around = range(max(1, number - 3), min(pages, number + 3) + 1)
    return {
        # The first page's link is the bare list ("?"): flags, not the links' texts, say whether there is one.
        "number": number, "pages": pages, "first": link(1), "last": link(pages),
        "has_previous": number > 1, "has_next": number < pages,
        "previous": link(number - 1) if number > 1 else "", "next": link(number + 1) if number < pages else "",
        "around": [(n, link(n)) for n in around],
    }


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
        return _list_redirect(request.GET, without=("q", "page"))
    if request.method == "POST" and not by_id:
        return _list_redirect(request.POST)
    qs, problem, by_name = search(visible_households(request.user), text)
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
    # One COUNT per request, on the scoped and filtered query (the pages and the "共 N 户" both come from it).
    total = qs.count()
    pages = max(1, -(-total // PAGE_SIZE))
    number = _page_number(source.get("page", ""), pages)
    start = (number - 1) * PAGE_SIZE
    rows = list(with_names(qs, by_name).order_by("number")[start: start + PAGE_SIZE]) if total else []
    form = {k: source.get(k, "") for k in FILTERS}
    form["q"] = text
    pager = _pager(source, by_id, number, pages)
    return render(request, "web/households.html", {
        "rows": [(h, choices.HOUSEHOLD_STATUS.label(h.status), choices.HOUSEHOLD_CATEGORY.label(h.category))
                 for h in rows],
        "total": total, "pager": pager, "by_name": bool(by_name),
        # The next page as before ("more", "next_query"): scripts and tests that walk the pages keep working.
        "more": bool(pager["next"]) and not by_id, "next_query": pager["next"] if not by_id else "",
        # The tree's links keep the status and cause, not the search words: choosing an area starts a look at
        # the area (the search form then searches within it), and words typed are not copied into links.
        "tree": _area_tree(request.user, area), "tree_query": _filter_query(source, by_id, q="", area="", page=""),
        "problem": problem, "statuses": choices.HOUSEHOLD_STATUS.labels().items(),
        "causes": choices.CAUSE.labels().items(), "form": form,
        "can_export": access.may(request.user, "export"), "title": _("Register"),
    })


def _member_rows(household_id: int, user: object) -> list[dict[str, Any]]:
    cipher = crypto.resident_id_cipher()
    return [{"member": m, "masked_id": mask(cipher.decrypt(bytes(m["resident_id_cipher"]))),
             "birth": sensitive.shown_birth_date(user, m["birth_date"]), **household_reads.member_labels(m)}
            for m in household_reads.members(household_id)]


def household_verdict(household: Household) -> dict[str, Any] | None:
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


def _yuan(amount: Decimal) -> str:
    """An amount in yuan with thousands separators and fen: 12,345.60."""
    return f"{amount.quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"


def _net(income: dict[str, Any]) -> Decimal:
    return (income["wage_income"] + income["production_income"] + income["property_income"]
            + income["transfer_income"] - income["production_costs"])


def _income_row(income: dict[str, Any], size: int) -> dict[str, Any]:
    """A year's income as the table shows it. Net income is the four sources less production costs (as in the
    chart above); per person it is divided by the household's members now, rounded half up to the fen — "—"
    for a household without members (no division by zero)."""
    net = _net(income)
    return {
        "year": income["year"], "wage": _yuan(income["wage_income"]), "production": _yuan(income["production_income"]),
        "costs": _yuan(income["production_costs"]), "property": _yuan(income["property_income"]),
        "transfer": _yuan(income["transfer_income"]), "net": _yuan(net),
        "per_person": _yuan(net / size) if size else "—",
    }


def _income_chart(incomes: list[dict[str, Any]]) -> dict[str, list[float]]:
    return {
        "year": [i["year"] for i in incomes],
        "net": [float(_net(i)) for i in incomes],
        "wage": [float(i["wage_income"]) for i in incomes],
        "production": [float(i["production_income"] - i["production_costs"]) for i in incomes],
        "property": [float(i["property_income"]) for i in incomes],
        "transfer": [float(i["transfer_income"]) for i in incomes],
    }


@requires("register")
def household_detail(request: HttpRequest, number: str) -> HttpResponse:
    # Outside the user's scope is "not found": existence is not disclosed.
    household = get_object_or_404(visible_households(request.user).select_related("village"), number=number)
    # The household's own rows by its id, each a query compiled once per process (jingzhun.web.household_reads).
    incomes = household_reads.incomes(household.pk)
    pair = household_reads.pair(household.pk)
    secondary = [choices.CAUSE.label(c) for c in household.secondary_causes.split(",") if c]
    identified = household_verdict(household)
    # The help plan: every year's plan and its measures in one query (the page's only addition).
    plans = plan_services.household_plans(household)
    plan_year = timezone.localdate().year
    plan = next((p for p in plans if p["year"] == plan_year), None)
    causes = plan_services.household_causes(household)
    members = _member_rows(household.pk, request.user)
    return render(request, "web/household.html", {
        "h": household, "members": members,
        # The reveal button only for those who may reveal; the household's own helper sees its members' health.
        "can_reveal": sensitive.may_reveal(request.user),
        # Printing is a download (`pages.requires_download`): the buttons only where it would be allowed.
        "may_print": access.can_download_area(request.user, household.village_id, "register"),
        "health": helper_health(request.user, household.pk, household.village_id) or {}, "income_chart": _income_chart(incomes),
        "income_rows": [_income_row(i, len(members)) for i in incomes],
        "pair": pair, "visits": household_reads.visits(household.pk),
        "events": household_reads.events(household.pk),
        "status": choices.HOUSEHOLD_STATUS.label(household.status),
        "category": choices.HOUSEHOLD_CATEGORY.label(household.category),
        "primary_cause": choices.CAUSE.label(household.primary_cause), "secondary_causes": secondary,
        "housing_grade": choices.HOUSING_GRADE.label(household.housing_grade),
        "drinking_water": choices.DRINKING_WATER.label(household.drinking_water),
        "road": choices.ROAD.label(household.road), "identified": identified,
        "plan": plan, "other_plans": [p for p in plans if p is not plan], "plan_year": plan_year,
        "uncovered": plan["uncovered"] if plan else [choices.CAUSE.label(c) for c in causes],
        "can_plan": plan_services.may_write_known(request.user, household, pair["cadre_user_id"] if pair else None),
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
