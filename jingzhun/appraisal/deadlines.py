"""Overdue lists: applications that have waited at a step longer than allowed.

Two kinds of deadline, both configurable (settings.APPRAISAL_DEADLINES, or per call):
- a notice whose period has ended (its last day is `ends_on`) and that nobody has closed or objected
  to: overdue from the day after `ends_on` + ``notice_grace`` days;
- a step that waits for a decision (village appraisal, township review, county approval, ...):
  overdue when more than N days have passed since the application entered it. On day N exactly it
  is still within its deadline.

Both are single queries (a date comparison in SQL), scoped to the user's areas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Max, Q

from jingzhun import access
from jingzhun.appraisal.models import STATE, Application

DEFAULT_LIMITS: dict[str, int] = {
    "applied": 30,  # 民主评议
    "appraised": 15,  # 部门比对
    "checked": 15,  # 发布一次公示
    "verified": 15,  # 贫困户签字认可 (exit)
    "consented": 15,  # 发布退出公示 (exit)
    "township_review": 15,  # 乡镇审核
    "township_approved": 15,  # 发布二次公示
    "county_review": 15,  # 县级审批
    "approved": 15,  # 公告
    "notice_grace": 0,  # days after a notice's last day before it is overdue
}


def limits(overrides: dict[str, int] | None = None) -> dict[str, int]:
    return {**DEFAULT_LIMITS, **getattr(settings, "APPRAISAL_DEADLINES", {}), **(overrides or {})}


@dataclass(frozen=True)
class Overdue:
    application_id: int
    household_number: str
    village: str
    state: str
    since: dt.date  # entered the step, or the notice's last day
    limit_days: int
    days_over: int

    @property
    def description(self) -> str:
        return f"{STATE.zh(self.state)}：已超期 {self.days_over} 天 / {self.state}: {self.days_over} days overdue"


def overdue(user: object, *, today: dt.date, area: str | None = None,
            overrides: dict[str, int] | None = None, ability: str | None = None) -> list[Overdue]:
    """Overdue applications in the user's areas (of the roles carrying `ability`, when given: a helper role
    must not widen a work team's list), and under `area`, a 12-digit code, if given."""
    lim = limits(overrides)
    qs = access.scope(Application.objects.all(), user, "village_id", ability)
    if area:
        qs = access.within_area(qs, "village_id", area)

    waiting = Q()
    for state, days in lim.items():
        if state in STATE.codes:
            waiting |= Q(state=state, state_since__lt=today - dt.timedelta(days=days))
    grace = lim["notice_grace"]
    ended = today - dt.timedelta(days=grace)
    notices = (qs.filter(state__in=("first_notice", "second_notice"))
               .annotate(first_end=Max("notices__ends_on", filter=Q(notices__stage="first")),
                         second_end=Max("notices__ends_on", filter=Q(notices__stage="second")))
               .filter(Q(state="first_notice", first_end__lt=ended) | Q(state="second_notice", second_end__lt=ended))
               .values_list("pk", "household__number", "village_id", "state", "first_end", "second_end"))
    out = []
    for pk, number, village, state, first_end, second_end in notices:
        last_day = first_end if state == "first_notice" else second_end
        out.append(Overdue(pk, number, village, state, last_day, grace, (today - last_day).days - grace))
    for pk, number, village, state, since in qs.filter(waiting).values_list(
            "pk", "household__number", "village_id", "state", "state_since"):
        out.append(Overdue(pk, number, village, state, since, lim[state], (today - since).days - lim[state]))
    return sorted(out, key=lambda o: (-o.days_over, o.village, o.household_number))


def due(state: str, since: dt.date, notice_ends_on: dt.date | None = None,
        overrides: dict[str, int] | None = None) -> dt.date | None:
    """The last day within the deadline of an application at `state` since `since` (for a running notice,
    of the notice ending on `notice_ends_on`); None for a state without a deadline. The same rule as
    `overdue`: overdue from the day after."""
    lim = limits(overrides)
    if state in ("first_notice", "second_notice"):
        return None if notice_ends_on is None else notice_ends_on + dt.timedelta(days=lim["notice_grace"])
    if state in lim:
        return since + dt.timedelta(days=lim[state])
    return None
