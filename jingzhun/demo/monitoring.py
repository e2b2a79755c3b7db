"""The demo's return-to-poverty monitoring: cases at every step, through the monitoring services and the
appraisal workflow (kind "monitor") as a county's officers would use them.

`run(today)` (the lead hooks it into the demo's stages) screens the latest income year from 2021 on, then moves
some of the cases found along: checked and not taken in; taken in and stopped at each of the appraisal's
steps; decided (monitored), one with assistance measures on its help plan; one under the risk-elimination
notice and one whose risk was eliminated; one more from the household's own report. The rest stay waiting for
the check, several past their deadline. It does nothing when monitoring cases exist already, or when the
register has no income from 2021 on (the demo's register must reach today's years).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from jingzhun.appraisal import workflow
from jingzhun.monitoring import cases, policy, screening
from jingzhun.monitoring.models import Case
from jingzhun.registry.models import IncomeRecord, Member

Say = Callable[[str], None]
# The appraisal steps of a "monitor" application, in order, as (action, days after the check).
STEPS = ("appraise", "crosscheck", "publish_first", "close_first", "township_approve", "publish_second",
         "close_second", "county_approve", "announce")


def _advance(app_id: int, until: str, start: dt.date, user: object) -> dt.date:
    """Take the application's steps up to and including `until`, a few days apart; the last step's day."""
    on = start
    for action in STEPS:
        on += dt.timedelta(days=2)
        if action == "appraise":
            workflow.appraise(app_id, held_on=on, attendees=35, votes_for=28, votes_against=4, votes_abstain=3,
                              minutes="村民代表会议评议，同意纳入监测对象", user=user)
        elif action == "crosscheck":
            workflow.crosscheck(app_id, on=on, user=user, acknowledge="部门预警已核实 / signals checked")
        elif action.startswith("publish_"):
            workflow.publish_notice([app_id], stage=action.removeprefix("publish_"), starts_on=on, contact="村委会",
                                    user=user, days=5)
        elif action.startswith("close_"):
            on += dt.timedelta(days=5)
            workflow.close_notice(app_id, on=on, user=user)
        elif action == "township_approve":
            workflow.township_review(app_id, approve=True, on=on, user=user)
        elif action == "county_approve":
            workflow.county_review(app_id, approve=True, on=on, user=user)
        else:
            workflow.announce(app_id, on=on, user=user)
        if action == until:
            break
    return on


def _officer() -> User:
    """The demo's administrator when there is one, else a province officer made for the purpose: help plans
    name a real user."""
    from jingzhun.areas.models import Area, AreaRole

    found = User.objects.filter(is_superuser=True).order_by("id").first()
    if found is not None:
        return found
    user, made = User.objects.get_or_create(username="monitoring_officer")
    if made:
        user.set_unusable_password()
        user.save()
        for code in Area.objects.filter(level="province").values_list("code", flat=True):
            AreaRole.objects.create(user=user, area_id=code, role="officer")
    return User.objects.get(pk=user.pk)


def _latest_year(today: dt.date) -> int | None:
    """The latest income year that has a monitoring line shipped (a register past the last line's year is
    screened against the last line's year: a demo run in a year the policy files do not reach yet still works)."""
    last = min(today.year, policy.YEARS[1])
    years = IncomeRecord.objects.filter(year__gte=policy.YEARS[0], year__lte=last).values_list("year", flat=True)
    return max(years.distinct(), default=None)


def run(today: dt.date, say: Say = print) -> None:
    if Case.objects.exists():
        return
    year = _latest_year(today)
    if year is None:
        say("  防返贫监测：登记库没有2021年以来的收入，跳过 / monitoring: no income from 2021 on, skipped")
        return
    user = _officer()
    found_on = today - dt.timedelta(days=400)
    result = screening.screen(year, today=found_on, actor=user.get_username())
    ids = list(Case.objects.order_by("id").values_list("id", flat=True))
    if len(ids) < 20:
        say(f"  防返贫监测：排查发现 {len(ids)} 户，太少，不再推进 / monitoring: too few cases to move along")
        return
    with transaction.atomic():
        _move_along(ids, found_on, user, year)
    # A second run this week finds no one new (a case found twice is one case); a self-report opens one more.
    screening.screen(year, today=today - dt.timedelta(days=3), actor=user.get_username())
    _self_report(user, today)
    say(f"  防返贫监测 / monitoring: {result.households} 户发现，{Case.objects.count()} 件")


def _move_along(ids: list[int], found_on: dt.date, user: object, year: int) -> None:
    checked_on = found_on + dt.timedelta(days=5)
    # Two checked and not taken in.
    for pk in ids[0:2]:
        cases.check(user, pk, on=checked_on, finding="入户核实：收入已恢复 / income recovered", take_in=False)
    # Taken in and stopped at each step of the appraisal.
    for i, until in enumerate(STEPS[:-1]):
        case = cases.check(user, ids[2 + i], on=checked_on, finding="入户核实属实 / confirmed", take_in=True)
        assert case.application_id is not None
        _advance(case.application_id, until, checked_on, user)
    # Decided: monitored. One gets assistance; two more will have their risk eliminated.
    monitored = []
    for pk in ids[12:16]:
        case = cases.check(user, pk, on=checked_on, finding="入户核实属实 / confirmed", take_in=True)
        assert case.application_id is not None
        _advance(case.application_id, "announce", checked_on, user)
        monitored.append(pk)
    cases.follow(monitored)
    _assist(monitored[0], year, user, checked_on + dt.timedelta(days=40))
    for n, pk in enumerate(monitored[2:]):
        _eliminate(pk, year, user, found_on + dt.timedelta(days=300), approve=n == 1)


def _self_report(user: object, today: dt.date) -> None:
    """A household with no case asks to be checked after a flood (its helper fills in the form for it)."""
    from jingzhun.registry.models import Household

    household = Household.objects.exclude(status__in=("removed", "poor", "returned")).exclude(
        monitoring_cases__isnull=False).order_by("id").first()
    if household is not None:
        cases.report(user, cases.Report(household.pk, today - dt.timedelta(days=1), "户主",
                                        "房屋被洪水冲毁，家人受伤住院 / flood damage, injured", disaster="18000"))


def _assist(pk: int, year: int, user: object, on: dt.date) -> None:
    from jingzhun.plans.services import MeasureInput

    cases.assist(user, pk, year=on.year, goal="稳定就业增收，防止返贫", on=on, measures=[
        MeasureInput(category="welfare_job", description="安排村保洁公益岗位", amount="6000", due_on=on.isoformat()),
        MeasureInput(category="health", description="大病保险和医疗救助", amount="3000", due_on=on.isoformat())])


def _eliminate(pk: int, year: int, user: object, on: dt.date, *, approve: bool) -> None:
    """Income above the line recorded for the year after (as the village's check found it), then the review
    and its notice; approved after the notice when `approve`."""
    case = Case.objects.get(pk=pk)
    if on.year <= year:
        return  # no later income year yet
    # Well above any year's line whatever the household's size: per person, twice the highest line shipped.
    size = max(1, Member.objects.filter(household_id=case.household_id).count())
    for y in range(year + 1, on.year + 1):
        IncomeRecord.objects.update_or_create(household_id=case.household_id, year=y, defaults={
            "wage_income": Decimal(15000 * size), "transfer_income": Decimal("2000")})
    notice = cases.propose_elimination(user, pk, on=on, contact="村委会",
                                       review="务工收入稳定，两不愁三保障持续巩固 / stable income")
    if approve:
        cases.approve_elimination(user, pk, on=notice.ends_on + dt.timedelta(days=1))
