"""The facts a card or a file prints, for one household or a village's, in a fixed number of queries.

A bulk print of a village's thousand households must not go household by household through the ORM: each
kind of row (members, pairs, measures, incomes, events, visits) is read once, for every household of the
scoped queryset at once (a subquery, so no list of ids is sent), and grouped here. Resident IDs are decrypted
only to be masked in this module; the clear ID never reaches a template.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import QuerySet

from jingzhun import choices, crypto
from jingzhun.identity import mask
from jingzhun.plans.models import MEASURE_CATEGORY, MEASURE_STATUS, PlanMeasure
from jingzhun.registry.models import Household, IncomeRecord, Member, StatusEvent
from jingzhun.teams.models import TEAM_ROLE, HelperPair, TeamMembership, Visit

FEN = Decimal("0.01")
VISITS_SHOWN = 20  # the file lists a household's latest visits, as the household page does


def yuan(amount: Decimal) -> str:
    """12345.6 → "12,345.60": thousands separators and fen, rounded half up."""
    return f"{amount.quantize(FEN, rounding=ROUND_HALF_UP):,.2f}"


@dataclass
class Sheet:
    """One household's sheet: the household and what is printed of it."""

    household: Household
    members: list[dict[str, Any]] = field(default_factory=list)
    helpers: list[dict[str, str]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    plan_year: int | None = None
    plan_goal: str = ""
    incomes: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)
    team: list[dict[str, str]] = field(default_factory=list)

    @property
    def head(self) -> dict[str, Any] | None:
        return next((m for m in self.members if m["relation_code"] == "head"), self.members[0] if self.members else None)

    @property
    def causes(self) -> list[str]:
        h = self.household
        return [choices.CAUSE.zh(h.primary_cause)] + [choices.CAUSE.zh(c) for c in h.secondary_causes.split(",") if c]

    @property
    def assistance(self) -> list[str]:
        """The member-level policies the register records (低保/特困, the two insurances), as printed lines."""
        out = []
        for m in self.members:
            if m["assistance_code"] != "none":
                out.append(f"{m['name']}：{m['assistance']}")
        insured = sum(1 for m in self.members if m["medical_insurance"])
        pension = sum(1 for m in self.members if m["pension_insurance"])
        out.append(f"城乡居民基本医疗保险 {insured}/{len(self.members)} 人")
        out.append(f"城乡居民基本养老保险 {pension}/{len(self.members)} 人")
        return out

    @property
    def first_secretary(self) -> dict[str, str] | None:
        return next((t for t in self.team if t["role_code"] == "first_secretary"), None)


def _members(sheets: dict[int, Sheet], scoped: QuerySet[Household]) -> None:
    cipher = crypto.resident_id_cipher()
    rows = (Member.objects.filter(household__in=scoped.values("pk")).order_by("household_id", "position")
            .only("household_id", "position", "name", "resident_id_cipher", "relation", "sex", "birth_date",
                  "ethnicity", "education", "schooling", "labour", "migrant_months", "medical_insurance",
                  "pension_insurance", "assistance"))
    for m in rows:
        sheets[m.household_id].members.append({
            "position": m.position, "name": m.name,
            "masked_id": mask(cipher.decrypt(bytes(m.resident_id_cipher))),
            # The year alone beside a masked ID: the mask hides exactly the birth date (registry.sensitive).
            "birth_year": m.birth_date.year if m.birth_date else "",
            "relation_code": m.relation, "relation": choices.RELATION.zh(m.relation), "sex": choices.SEX.zh(m.sex),
            "ethnicity": m.ethnicity, "education": choices.EDUCATION.zh(m.education),
            "schooling": choices.SCHOOLING.zh(m.schooling), "labour": choices.LABOUR.zh(m.labour),
            "migrant_months": m.migrant_months, "medical_insurance": m.medical_insurance,
            "pension_insurance": m.pension_insurance, "assistance_code": m.assistance,
            "assistance": choices.ASSISTANCE.zh(m.assistance),
        })


def _helpers(sheets: dict[int, Sheet], scoped: QuerySet[Household]) -> None:
    pairs = (HelperPair.objects.filter(household__in=scoped.values("pk"), end_date__isnull=True)
             .order_by("household_id", "start_date").values("household_id", "cadre__name", "cadre__unit",
                                                             "cadre__phone", "start_date"))
    for p in pairs:
        sheets[p["household_id"]].helpers.append({
            "name": p["cadre__name"], "unit": p["cadre__unit"], "phone": p["cadre__phone"],
            "since": p["start_date"].isoformat()})


def _teams(sheets: dict[int, Sheet]) -> None:
    """The open work team of each village printed, with its serving members (one query for every village)."""
    villages = {s.household.village_id for s in sheets.values()}
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    rows = (TeamMembership.objects.filter(team__village_id__in=villages, team__end_date__isnull=True,
                                          end_date__isnull=True)
            .order_by("team__village_id", "role", "cadre__name")
            .values("team__village_id", "role", "cadre__name", "cadre__unit", "cadre__phone"))
    order = {code: i for i, code in enumerate(TEAM_ROLE.codes)}
    for r in rows:
        found[r["team__village_id"]].append({"role_code": r["role"], "role": TEAM_ROLE.zh(r["role"]),
                                             "name": r["cadre__name"], "unit": r["cadre__unit"],
                                             "phone": r["cadre__phone"]})
    for people in found.values():
        people.sort(key=lambda t: order.get(t["role_code"], len(order)))
    for s in sheets.values():
        s.team = found.get(s.household.village_id, [])


def _measures(sheets: dict[int, Sheet], scoped: QuerySet[Household]) -> None:
    """The measures of each household's latest plan (the newest year it has), with the plan's goal."""
    rows = (PlanMeasure.objects.filter(plan__household__in=scoped.values("pk"))
            .order_by("plan__household_id", "-plan__year", "id")
            .values("plan__household_id", "plan__year", "plan__goal", "category", "description", "amount",
                    "status", "due_on", "done_on", "cadre__name"))
    for r in rows:
        sheet = sheets[r["plan__household_id"]]
        if sheet.plan_year is None:
            sheet.plan_year, sheet.plan_goal = r["plan__year"], r["plan__goal"]
        if r["plan__year"] != sheet.plan_year or r["status"] == "cancelled":
            continue
        sheet.measures.append({
            "category": MEASURE_CATEGORY.zh(r["category"]), "description": r["description"],
            "amount": yuan(r["amount"]), "status": MEASURE_STATUS.zh(r["status"]),
            "due_on": r["due_on"].isoformat() if r["due_on"] else "",
            "done_on": r["done_on"].isoformat() if r["done_on"] else "", "cadre": r["cadre__name"] or ""})


def _income_row(i: IncomeRecord, size: int) -> dict[str, Any]:
    """A year's income: net is the four sources less production costs; per person, over the members now."""
    net = i.wage_income + i.production_income + i.property_income + i.transfer_income - i.production_costs
    return {"year": i.year, "wage": yuan(i.wage_income), "production": yuan(i.production_income),
            "costs": yuan(i.production_costs), "property": yuan(i.property_income),
            "transfer": yuan(i.transfer_income), "net": yuan(net), "per_person": yuan(net / size) if size else "—"}


def _history(sheets: dict[int, Sheet], scoped: QuerySet[Household]) -> None:
    """For the file: income by year, status events (the event's year, not the import's date) and visits."""
    ids = scoped.values("pk")
    for i in IncomeRecord.objects.filter(household__in=ids).order_by("household_id", "year"):
        sheet = sheets[i.household_id]
        sheet.incomes.append(_income_row(i, len(sheet.members)))
    for e in StatusEvent.objects.filter(household__in=ids).order_by("household_id", "year", "recorded_at", "id"):
        sheets[e.household_id].events.append({"year": e.year or "", "status": choices.HOUSEHOLD_STATUS.zh(e.status),
                                              "reason": e.reason})
    visits = (Visit.objects.filter(household__in=ids).order_by("household_id", "-visited_at")
              .values("household_id", "visited_at", "cadre__name", "notes", "measures"))
    for v in visits:
        sheet = sheets[v["household_id"]]
        if len(sheet.visits) < VISITS_SHOWN:
            sheet.visits.append({"at": v["visited_at"], "cadre": v["cadre__name"], "notes": v["notes"],
                                 "measures": v["measures"]})


def sheets(scoped: QuerySet[Household], *, full: bool) -> list[Sheet]:
    """A sheet for every household of `scoped` (already limited to the user's, in SQL), by number; `full`
    adds what only the file prints (income, status events, visits)."""
    households = list(scoped.select_related("village__parent__parent").order_by("number"))
    found = {h.pk: Sheet(h) for h in households}
    if not found:
        return []
    _members(found, scoped)
    _helpers(found, scoped)
    _teams(found)
    _measures(found, scoped)
    if full:
        _history(found, scoped)
    return [found[h.pk] for h in households]
