"""A helper's or work-team member's households with what is due, in one scoped query: the last visit (an
index probe per household on (household, visited_at)), whether a visit is overdue by the supervision
rule's own number of days (`SupervisionConfig.visit_days`), and the plan measures still open whose date
has come or comes within `SOON_DAYS`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from jingzhun import access, choices
from jingzhun.plans.models import PlanMeasure
from jingzhun.registry.models import Household, Member
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.models import Visit

SOON_DAYS = 14  # a measure due within two weeks is shown as due: time to arrange it on the next visit
SHOWN = 200  # households listed at once (a village's team has a few hundred at most)
OPEN_MEASURES = ("planned", "in_progress")


@dataclass(frozen=True)
class Due:
    visit_days: int
    today: dt.date

    @property
    def visit_cutoff(self) -> dt.date:
        return self.today - dt.timedelta(days=self.visit_days)

    @property
    def cutoff_time(self) -> dt.datetime:
        """The start of the cut-off day, Beijing time: a visit before it is too long ago."""
        return timezone.make_aware(dt.datetime.combine(self.visit_cutoff, dt.time.min))


def due_now(today: dt.date, config: SupervisionConfig | None = None) -> Due:
    return Due((config or SupervisionConfig.from_env()).visit_days, today)


def households(user: object) -> QuerySet[Household]:
    """The households the user may record for: their own pairs (a helper), their villages (a work team)."""
    return access.households(Household.objects.all(), user, ability="fieldwork")


def with_due(qs: QuerySet[Household], due: Due, limit: int = SHOWN) -> list[dict[str, Any]]:
    """The households of `qs` with their head's name, village name, last visit, whether a visit is overdue and
    how many measures are due — the overdue first, then those with measures due, then by number."""
    last = Visit.objects.filter(household=OuterRef("pk")).order_by("-visited_at").values("visited_at")[:1]
    head = Member.objects.filter(household=OuterRef("pk"), position=1).values("name")[:1]
    measures = (PlanMeasure.objects.filter(plan__household=OuterRef("pk"), status__in=OPEN_MEASURES,
                                           due_on__lte=due.today + dt.timedelta(days=SOON_DAYS))
                .order_by().values("plan__household").annotate(n=Count("pk")).values("n"))
    late = Q(status__in=choices.NEEDS_HELPER) & (Q(last_visit__isnull=True) | Q(last_visit__lt=due.cutoff_time))
    found = qs.annotate(
        last_visit=Subquery(last), head=Subquery(head),
        measures_due=Coalesce(Subquery(measures, output_field=IntegerField()), Value(0)),
    ).annotate(
        overdue=Case(When(late, then=Value(1)), default=Value(0), output_field=IntegerField()),
    ).order_by("-overdue", "-measures_due", "number").values(
        "pk", "number", "head", "village__name", "status", "last_visit", "overdue", "measures_due")[:limit]
    return [dict(row) for row in found]


def rows(user: object, due: Due) -> tuple[list[dict[str, object]], int]:
    """The user's households (at most SHOWN), the overdue and those with measures due first; and the count."""
    qs = households(user)
    return [{"pk": h["pk"], "number": h["number"], "head": h["head"] or "", "village": h["village__name"],
             "status": choices.HOUSEHOLD_STATUS.label(h["status"]), "last_visit": h["last_visit"],
             "overdue": bool(h["overdue"]), "measures_due": h["measures_due"]} for h in with_due(qs, due)], qs.count()


def open_measures(household_id: int, due: Due) -> QuerySet[PlanMeasure]:
    """The household's open measures, earliest date first, with whether each is due."""
    return (PlanMeasure.objects.filter(plan__household_id=household_id, status__in=OPEN_MEASURES)
            .annotate(is_due=Q(due_on__lte=due.today + dt.timedelta(days=SOON_DAYS)))
            .order_by("due_on", "pk"))
