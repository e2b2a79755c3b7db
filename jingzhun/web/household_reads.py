"""The reads of one household's rows for its page and the API's household read, each a `Prepared` query
(compiled once per process: the ORM's compilation cost several times these small lookups on the busiest
page). The household itself is read first through the access layer (`access.households`): everything here
is keyed by its id."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Q

from jingzhun import choices
from jingzhun.db.prepared import Prepared
from jingzhun.registry.models import IncomeRecord, Member, StatusEvent
from jingzhun.teams.models import HelperPair, Visit

INCOME_FIELDS = ("year", "wage_income", "production_income", "production_costs", "property_income",
                 "transfer_income", "medical_expenses")
INCOMES = Prepared(lambda household: IncomeRecord.objects.filter(household_id=household).order_by("year")
                   .values(*INCOME_FIELDS))
# The active pair (at most one: a constraint), with what the page shows of its cadre.
PAIR = Prepared(lambda household: HelperPair.objects.filter(household_id=household, end_date__isnull=True)
                .order_by("pk").values("start_date", "cadre_id", "cadre__name", "cadre__unit", "cadre__user_id")[:1])
# With the number of photos whose bytes are kept (the phone app's), shown on the visit's own page.
VISITS = Prepared(lambda household: Visit.objects.filter(household_id=household).order_by("-visited_at")
                  .annotate(photo_count=Count("photos", filter=Q(photos__data__isnull=False)))
                  .values("pk", "visited_at", "notes", "photo_count")[:20])
# In the order the changes happened: by year, then the day where one is known, then as written.
EVENTS = Prepared(lambda household: StatusEvent.objects.filter(household_id=household)
                  .order_by(F("year").asc(nulls_first=True), F("occurred_on").asc(nulls_first=True), "recorded_at", "pk")
                  .values("recorded_at", "occurred_on", "status", "year", "reason"))
MEMBERS = Prepared(lambda household: Member.objects.filter(household_id=household).order_by("position")
                   .values("pk", "position", "name", "resident_id_cipher", "birth_date", "relation", "sex",
                           "ethnicity", "education", "schooling", "labour", "migrant_months", "medical_insurance",
                           "pension_insurance", "assistance"))
STATUS_STORED = dict(StatusEvent._meta.get_field("status").choices or [])


def incomes(household_id: int) -> list[dict[str, Any]]:
    return INCOMES(household_id)


def pair(household_id: int) -> dict[str, Any] | None:
    found = PAIR(household_id)
    if not found:
        return None
    row = found[0]
    return {"start_date": row["start_date"], "cadre_id": row["cadre_id"], "cadre_user_id": row["cadre__user_id"],
            "cadre": {"name": row["cadre__name"], "unit": row["cadre__unit"]}}


def visits(household_id: int) -> list[dict[str, Any]]:
    return VISITS(household_id)


def events(household_id: int) -> list[dict[str, Any]]:
    # The stored label (Chinese), as the model's get_status_display gave it.
    return [{**e, "status_display": STATUS_STORED.get(e["status"], e["status"])} for e in EVENTS(household_id)]


def members(household_id: int) -> list[dict[str, Any]]:
    return MEMBERS(household_id)


def member_labels(row: dict[str, Any]) -> dict[str, str]:
    return {"relation": choices.RELATION.label(row["relation"]), "sex": choices.SEX.label(row["sex"]),
            "education": choices.EDUCATION.label(row["education"]),
            "schooling": choices.SCHOOLING.label(row["schooling"]), "labour": choices.LABOUR.label(row["labour"]),
            "assistance": choices.ASSISTANCE.label(row["assistance"])}
