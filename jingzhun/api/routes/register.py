"""The register: households (list and search with cursor pagination, one household), members with masked
IDs, and the audited reveal. The list's search and rows are the web register's own (`web.views.register`);
what a user sees is `jingzhun.access`'s."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from jingzhun import access, choices, crypto
from jingzhun.api import paging, rate
from jingzhun.api.auth import user_of
from jingzhun.api.problems import ApiProblem, field_error, not_found
from jingzhun.api.text import Short, path_id
from jingzhun.audit import log as audit
from jingzhun.identity import mask
from jingzhun.registry import sensitive
from jingzhun.registry.models import Household, Member
from jingzhun.web import household_reads
from jingzhun.web.lockout import client_address
from jingzhun.web.views import register as web_register

router = Router(tags=["register"])


class AreaRef(Schema):
    code: str
    name: str


class HouseholdRow(Schema):
    id: int
    number: str
    village: AreaRef
    township: str | None
    status: str
    status_label: str
    category: str
    head_name: str | None
    size: int
    matched_name: str | None = None


class HouseholdPage(Schema):
    items: list[HouseholdRow]
    next_cursor: str | None


class ListFilters(Schema):
    q: Short = Field("", description="户编号或姓名前缀（身份证号请用 POST /households/search）/ household number or "
                                     "name prefix (resident IDs: POST /households/search)")
    area: Short = Field("", description="12位区划代码 / a 12-digit area code")
    status: Short = Field("", description="户状态代码 / status code")
    cause: Short = Field("", description="主要致贫原因代码 / primary cause code")
    cursor: Short = ""
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


class IdSearch(Schema):
    resident_id: Short = Field(description="18位（或15位）身份证号码 / resident ID")
    limit: int = Field(paging.DEFAULT_LIMIT, ge=1, le=paging.MAX_LIMIT)


def _row(h: Household) -> HouseholdRow:
    return HouseholdRow(
        id=h.pk, number=h.number, village=AreaRef(code=h.village.code, name=h.village.name),
        township=h.village.parent.name if h.village.parent else None, status=h.status,
        status_label=choices.HOUSEHOLD_STATUS.label(h.status), category=h.category,
        head_name=getattr(h, "head_name", None), size=getattr(h, "size", 0),
        matched_name=getattr(h, "matched_name", None))


def _filtered(user: object, f: ListFilters) -> tuple[QuerySet[Household], str]:
    if web_register.ID_LIKE.match(f.q.strip()):
        raise ApiProblem(400, "id-in-url", "身份证号码不放在链接里，请用 POST /api/v1/households/search / a resident ID "
                                           "is never put in a URL: use POST /api/v1/households/search",
                         [field_error("q", "no-id-in-url", "身份证号码请用 POST 查询", "search IDs with POST")])
    qs, _problem, by_name = web_register.search(web_register.visible_households(user), f.q)
    if f.area:
        try:
            qs = access.within_area(qs, "village_id", f.area)
        except ValueError as exc:
            raise ApiProblem(422, "area", str(exc), [field_error("area", "known-area", "区划代码不存在",
                                                                 "no such area")]) from None
    for value, field, enum, column in ((f.status, "status", choices.HOUSEHOLD_STATUS, "status"),
                                       (f.cause, "cause", choices.CAUSE, "primary_cause")):
        if value and value not in enum.codes:
            raise ApiProblem(422, "choice", f"{field}: {value}", [field_error(
                field, "choice", f"不是允许的取值，应为 {'、'.join(enum.codes)}", f"one of {', '.join(enum.codes)}")])
        if value:
            qs = qs.filter(**{column: value})
    return qs, by_name


@router.get("/households", response=HouseholdPage, summary="户列表与查询 / households")
def households(request: HttpRequest, filters: Query[ListFilters]) -> HouseholdPage:
    user = user_of(request, "read")
    qs, by_name = _filtered(user, filters)
    rows, following = paging.page(web_register.with_names(qs, by_name), "number", filters.cursor, filters.limit)
    return HouseholdPage(items=[_row(h) for h in rows], next_cursor=following)


@router.post("/households/search", response=HouseholdPage, summary="按身份证号查户 / find by resident ID")
def search_by_id(request: HttpRequest, body: IdSearch) -> HouseholdPage:
    """A resident ID travels in the body, never the URL (access logs, proxies). Matched through the blind
    index, within the user's households."""
    user = user_of(request, "read")
    text = body.resident_id.strip()
    if not web_register.ID_LIKE.match(text):
        raise ApiProblem(422, "resident-id", "不是身份证号码 / not a resident ID",
                         [field_error("resident_id", "resident-id", "应为15或18位身份证号码", "a 15- or 18-digit ID")])
    qs, problem, _ = web_register.search(web_register.visible_households(user), text)
    if problem:
        raise ApiProblem(422, "resident-id", problem, [field_error("resident_id", "resident-id", problem, problem)])
    rows = list(web_register.with_names(qs, "").order_by("number")[: body.limit])
    return HouseholdPage(items=[_row(h) for h in rows], next_cursor=None)


class MemberOut(Schema):
    id: int
    position: int
    name: str
    relation: str
    relation_label: str
    sex: str
    birth: str = Field(description="出生日期；无查看权限时仅年份 / birth date; the year alone without the reveal "
                                   "permission")
    resident_id: str = Field(description="掩码的身份证号（前6后4）/ masked ID (first 6, last 4)")
    ethnicity: str
    education: str
    schooling: str
    labour: str
    migrant_months: int
    medical_insurance: bool
    pension_insurance: bool
    assistance: str


class Income(Schema):
    year: int
    wage_income: str
    production_income: str
    production_costs: str
    property_income: str
    transfer_income: str
    medical_expenses: str


class Helper(Schema):
    cadre_id: int
    name: str
    since: str


class HouseholdOut(Schema):
    id: int
    number: str
    village: AreaRef
    category: str
    status: str
    status_label: str
    status_reason: str
    identified_year: int | None
    exit_year: int | None
    primary_cause: str
    secondary_causes: list[str]
    arable_land_mu: float
    forest_land_mu: float
    housing_area_m2: float
    housing_grade: str
    drinking_water: str
    road: str
    guarantees: dict[str, bool]
    members: list[MemberOut]
    incomes: list[Income]
    helper: Helper | None


GUARANTEES = ("food_secure", "clothing_secure", "schooling_secured", "medical_secured", "housing_secured",
              "water_secured", "has_electricity", "has_production_power", "sanitary_toilet")


def visible(user: object, pk: int) -> Household:
    """The household `pk` if the user may see it; 404 otherwise (existence is not disclosed)."""
    found = web_register.visible_households(user).select_related("village").filter(pk=pk).first()
    if found is None:
        raise not_found("household")
    return found


def _members(h: Household, user: object) -> list[MemberOut]:
    cipher = crypto.resident_id_cipher()
    return [MemberOut(
        id=m["pk"], position=m["position"], name=m["name"], relation=m["relation"],
        relation_label=choices.RELATION.label(m["relation"]), sex=m["sex"],
        birth=sensitive.shown_birth_date(user, m["birth_date"]),
        resident_id=mask(cipher.decrypt(bytes(m["resident_id_cipher"]))), ethnicity=m["ethnicity"],
        education=m["education"], schooling=m["schooling"], labour=m["labour"], migrant_months=m["migrant_months"],
        medical_insurance=m["medical_insurance"], pension_insurance=m["pension_insurance"],
        assistance=m["assistance"]) for m in household_reads.members(h.pk)]


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _income(i: dict[str, Any]) -> Income:
    return Income(year=i["year"], wage_income=_money(i["wage_income"]),
                  production_income=_money(i["production_income"]), production_costs=_money(i["production_costs"]),
                  property_income=_money(i["property_income"]), transfer_income=_money(i["transfer_income"]),
                  medical_expenses=_money(i["medical_expenses"]))


@router.get("/households/{household_id}", response=HouseholdOut, summary="一户 / one household")
def household(request: HttpRequest, household_id: int = path_id()) -> HouseholdOut:
    """The household with its members (IDs masked), incomes and current helper. Every read is audited
    (`api.household.read`): an API reads in bulk, and the county must be able to see who read what."""
    user = user_of(request, "read")
    h = visible(user, household_id)
    # The household's rows by its id, as its web page reads them (queries compiled once: jingzhun.web.household_reads).
    pair = household_reads.pair(h.pk)
    out = HouseholdOut(
        id=h.pk, number=h.number, village=AreaRef(code=h.village.code, name=h.village.name), category=h.category,
        status=h.status, status_label=choices.HOUSEHOLD_STATUS.label(h.status), status_reason=h.status_reason,
        identified_year=h.identified_year, exit_year=h.exit_year, primary_cause=h.primary_cause,
        secondary_causes=[c for c in h.secondary_causes.split(",") if c], arable_land_mu=float(h.arable_land_mu),
        forest_land_mu=float(h.forest_land_mu), housing_area_m2=float(h.housing_area_m2),
        housing_grade=h.housing_grade, drinking_water=h.drinking_water, road=h.road,
        guarantees={g: bool(getattr(h, g)) for g in GUARANTEES}, members=_members(h, user),
        incomes=[_income(i) for i in household_reads.incomes(h.pk)],
        helper=Helper(cadre_id=pair["cadre_id"], name=pair["cadre"]["name"], since=pair["start_date"].isoformat())
        if pair else None)
    # The read's rate-limit count and its audit row: one transaction, one commit (jingzhun.api.rate).
    with rate.counted(request):
        audit.record(str(user), "api.household.read", object_type="household", object_id=str(h.pk),
                     address=client_address(request), area=h.village_id)
    return out


class Revealed(Schema):
    member_id: int
    resident_id: str
    health: str
    health_label: str
    disability_grade: str


@router.post("/members/{member_id}/reveal", response=Revealed, summary="查看敏感信息（留痕）/ reveal (audited)")
def reveal(request: HttpRequest, member_id: int = path_id()) -> Revealed:
    """The member's ID, health and disability grade in clear: only with a token carrying the "reveal" scope
    AND a user holding the reveal permission; every reveal and every refused one is audited
    (`jingzhun.registry.sensitive.reveal`, the web's own)."""
    user = user_of(request, "reveal")
    member = (access.households(Member.objects.all(), user, prefix="household__").select_related("household")
              .filter(pk=member_id).first())
    if member is None:
        raise not_found("member")
    try:
        shown = sensitive.reveal(user, member, address=client_address(request), area=member.household.village_id)
    except PermissionDenied as exc:
        raise ApiProblem(403, "reveal", str(exc)) from None
    return Revealed(member_id=member.pk, resident_id=shown["resident_id"], health=shown["health"],
                    health_label=choices.HEALTH.label(shown["health"]) if shown["health"] else "",
                    disability_grade=shown["disability_grade"])
