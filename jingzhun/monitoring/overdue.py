"""Overdue cases (超期预警): a case waiting to be checked after its check deadline, or waiting for the decision
after its decision deadline. Deadlines are working days from the day the case was found (the province's
policy, `jingzhun.monitoring.policy`; the holiday calendar, `jingzhun.monitoring.calendar`), fixed on the
case when it was opened: on the deadline's day the case is still within time, from the day after overdue.

One query, a date comparison in SQL, scoped to the user's areas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from jingzhun import access
from jingzhun.monitoring.kinds import STATE
from jingzhun.monitoring.models import Case


@dataclass(frozen=True)
class Overdue:
    case_id: int
    household_number: str
    village: str
    state: str
    due: dt.date  # the last day within the deadline
    days_over: int  # calendar days since the deadline

    @property
    def description(self) -> str:
        step = "核实" if self.state == "open" else "认定"
        return (f"{STATE.zh(self.state)}：{step}期限 {self.due}，已超期 {self.days_over} 天 / {self.state}: due "
                f"{self.due}, {self.days_over} days overdue")


def overdue_q(today: dt.date) -> Q:
    return Q(state="open", check_due__lt=today) | Q(state="checked", decide_due__lt=today)


def overdue(user: object, *, today: dt.date, area: str | None = None) -> list[Overdue]:
    """Overdue cases in the user's areas (the roles with the "monitor" ability), under `area` if given."""
    from jingzhun.monitoring.cases import follow

    follow()
    qs = access.households(Case.objects.all(), user, prefix="household__", ability="monitor")
    qs = access.scope(qs, user, "village_id", "monitor")
    if area:
        qs = access.within_area(qs, "village_id", area)
    out = []
    for pk, number, village, state, check_due, decide_due in qs.filter(overdue_q(today)).values_list(
            "pk", "household__number", "village_id", "state", "check_due", "decide_due"):
        due = check_due if state == "open" else decide_due
        out.append(Overdue(pk, number, village, state, due, (today - due).days))
    return sorted(out, key=lambda o: (-o.days_over, o.village, o.household_number))


def due_soon(user: object, *, today: dt.date, within: dt.date) -> int:
    """Cases whose deadline falls between today and `within` (inclusive): the alert before the overdue list."""
    qs = access.scope(Case.objects.all(), user, "village_id", "monitor")
    return qs.filter(Q(state="open", check_due__gte=today, check_due__lte=within)
                     | Q(state="checked", decide_due__gte=today, decide_due__lte=within)).count()
