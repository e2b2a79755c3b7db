"""The only code that changes a monitoring case: open (a self-report), check, decide, assist, and risk
elimination (风险消除) with its notice. Bulk opening by screening is `jingzhun.monitoring.screening`.

Every step: one transaction that locks the case, checks the state and that the user may take the step over
the case's village (the appraisal workflow's levels, `access.STEP_ROLES`: the village's steps by its work
team or an officer, decisions by county officers), writes a `CaseStep` and an audit row. A refused step
raises `CaseRefused` and writes nothing; a case outside the user's areas is refused like one that does not
exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jingzhun import access, choices
from jingzhun.audit import log as audit
from jingzhun.monitoring import calendar, policy
from jingzhun.monitoring.kinds import KIND, OPEN_STATES, STATE
from jingzhun.monitoring.models import Case, CaseStep, EliminationNotice, RigidExpense, Trigger
from jingzhun.registry.models import Household, StatusEvent
from jingzhun.registry.signals import register_changed

MAX_TEXT = 2000
MAX_EXPENSE = Decimal("100000000")


class CaseRefused(ValueError):
    """The step is not allowed or the input is bad; nothing was written."""


def actor_name(user: object) -> str:
    return str(getattr(user, "username", "") or user)


def proposed_kind(status: str, codes: set[str]) -> str:
    """The kind a newly found household is proposed as (the check may change it): a registered household that
    exited is 脱贫不稳定户; any other household found by a sudden cost (rigid expenses, a department signal) is
    突发严重困难户; found by its income alone, 边缘易致贫户."""
    if status in (choices.EXITED, choices.MONITORED, choices.POOR, choices.RETURNED):
        return "unstable"
    if any(c == "rigid" or c.startswith("signal_") for c in codes):
        return "sudden"
    return "edge"


def deadlines(village: str, year: int, opened_on: dt.date) -> tuple[dt.date, dt.date]:
    """The last days to check and to decide, in working days from the day found (policy of the province)."""
    r = policy.rules(village, year)
    cal = calendar.official()
    return cal.add(opened_on, r.check_days), cal.add(opened_on, r.decide_days)


def _text(value: str, zh: str, en: str, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise CaseRefused(f"须填写{zh} / {en} is required")
    if len(text) > MAX_TEXT:
        raise CaseRefused(f"{zh}最多 {MAX_TEXT} 字 / {en}: at most {MAX_TEXT} characters")
    return text


def _money(value: object, zh: str, en: str) -> Decimal:
    text = str(value if value is not None else "").strip() or "0"
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise CaseRefused(f"{zh}须为金额，而非 {text!r} / {en} must be an amount in yuan, got {text!r}") from None
    if not amount.is_finite() or amount < 0 or amount >= MAX_EXPENSE:
        raise CaseRefused(f"{zh}须在 0 至 {MAX_EXPENSE:,} 元之间 / {en} must be 0 to {MAX_EXPENSE:,} yuan")
    return amount.quantize(Decimal("0.01"))


def _step(case: Case, action: str, to: str, user: object, on: dt.date, *, reason: str = "",
          detail: dict[str, Any] | None = None) -> None:
    before = case.state
    case.state = to
    CaseStep.objects.create(case=case, action=action, from_state=before, to_state=to, actor=actor_name(user), on=on,
                            reason=reason, detail=detail or {})
    audit.record(actor_name(user), f"monitoring.{action}", object_type="monitoring_case", object_id=str(case.pk),
                 area=case.village_id, household=case.household_id, before=before, after=to, on=on.isoformat(),
                 reason=reason, **(detail or {}))


# --------------------------------------------------------------------------- the household's own report


@dataclass
class Report:
    """The self-report form (农户自主申报), filled in by a helper or village officer for the household."""

    household_id: int
    on: dt.date
    reported_by: str  # the household member who asked
    situation: str  # what happened, in their words
    schooling: object = "0"
    disaster: object = "0"


def report(user: object, form: Report) -> Case:
    """Open a case from the household's own report, or add the report to the case it already has."""
    reported_by = _text(form.reported_by, "申报人", "the person reporting")
    situation = _text(form.situation, "申报事由", "what happened")
    schooling = _money(form.schooling, "教育支出", "schooling expenses")
    disaster = _money(form.disaster, "灾害损失支出", "disaster expenses")
    if form.on > timezone.localdate():
        raise CaseRefused("申报日期不能晚于今天 / the report cannot be dated in the future")
    household = access.households(Household.objects.all(), user, ability="monitor").filter(
        pk=form.household_id).first()
    if household is None:
        raise CaseRefused(f"户 {form.household_id} 不存在或不在您的管辖范围 / no such household in your areas")
    if household.status == choices.REMOVED:
        raise CaseRefused("已清退的户不能申报 / a removed household cannot report")
    year = form.on.year
    try:  # a year without a monitoring line (a typo, a date long past) has no deadlines to open a case with
        policy.rules(household.village_id, year)
    except LookupError as exc:
        raise CaseRefused(f"申报日期：{exc}") from None
    detail = {"reported_by": reported_by, "situation": situation, "schooling": str(schooling),
              "disaster": str(disaster)}
    with transaction.atomic():
        if schooling or disaster:
            RigidExpense.objects.update_or_create(household=household, year=year, defaults={
                "schooling": schooling, "disaster": disaster, "recorded_by": actor_name(user)})
        case = Case.objects.select_for_update().filter(household=household, state__in=OPEN_STATES).first()
        if case is None:
            case = _open(household, year, form.on, "self_report", {"self_report"} | (
                {"rigid"} if schooling or disaster else set()), user)
        Trigger.objects.get_or_create(case=case, code="self_report", year=year, defaults={
            "source": "self_report", "found_on": form.on, "detail": detail})
        audit.record(actor_name(user), "monitoring.report", object_type="monitoring_case", object_id=str(case.pk),
                     area=case.village_id, household=household.pk, on=form.on.isoformat(), **detail)
    return case


def _open(household: Household, year: int, on: dt.date, source: str, codes: set[str], user: object) -> Case:
    check_due, decide_due = deadlines(household.village_id, year, on)
    try:
        with transaction.atomic():
            case = Case.objects.create(household=household, village_id=household.village_id, year=year, source=source,
                                       kind=proposed_kind(household.status, codes), state="open", opened_on=on,
                                       check_due=check_due, decide_due=decide_due, created_by=actor_name(user))
    except IntegrityError:
        raise CaseRefused("该户已有在办的监测案件，请刷新 / the household already has a case; reload") from None
    CaseStep.objects.create(case=case, action="open", from_state="", to_state="open", actor=actor_name(user), on=on,
                            detail={"source": source})
    return case


# --------------------------------------------------------------------------- check and decision


def _locked(case_id: int, user: object, level: str, label: str) -> Case:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or not access.can_see_area(user, case.village_id, "monitor"):
        raise CaseRefused(f"监测案件 {case_id} 不存在或不在您的管辖范围 / no case {case_id} in your areas")
    if not access.may_step(user, case.village_id, level):
        raise CaseRefused(f"您没有在该村执行“{label.split(' / ')[0]}”的权限 / no {level}-level role over village "
                          f"{case.village_id} for {label.split(' / ')[-1]}")
    return case


def _in_state(case: Case, states: tuple[str, ...], label: str) -> None:
    if case.state not in states:
        raise CaseRefused(f"案件 {case.pk} 当前为“{STATE.zh(case.state)}”，不能{label.split(' / ')[0]} / case "
                          f"{case.pk} is {case.state!r}: cannot {label.split(' / ')[-1]}")


def check(user: object, case_id: int, *, on: dt.date, finding: str, take_in: bool, kind: str = "") -> Case:
    """The village's check (入户核实): the finding, and whether the household goes on to the decision. Taken in,
    the case files the household's application of kind "monitor" in the appraisal workflow (appraisal,
    cross-department check, notices, township review, county approval, announcement), which decides."""
    from jingzhun.appraisal import workflow

    finding = _text(finding, "核实情况", "the finding")
    if kind and kind not in KIND.codes:
        raise CaseRefused(f"监测对象类型无效 {kind!r} / unknown kind; 可用 / allowed: {', '.join(KIND.codes)}")
    with transaction.atomic():
        case = _locked(case_id, user, "village", "核实 / check")
        _in_state(case, ("open",), "核实 / check")
        if on < case.opened_on:
            raise CaseRefused(f"核实日期早于发现日期 {case.opened_on} / checked before the case was found")
        case.checked_on = on
        if kind:
            case.kind = kind
        detail: dict[str, Any] = {"kind": case.kind, "take_in": take_in}
        if take_in:
            household = Household.objects.select_for_update().get(pk=case.household_id)
            try:
                app = workflow.apply(household, case.year, applied_by=f"{KIND.zh(case.kind)}核实 / checked",
                                     on=on, user=user, kind="monitor")
            except workflow.StepRefused as exc:
                raise CaseRefused(str(exc)) from None
            case.application_id, case.status_before = app.pk, household.status
            detail["application"] = app.pk
        else:
            case.closed_on = on
        _step(case, "check", "checked" if take_in else "dismissed", user, on, reason=finding, detail=detail)
        case.save(update_fields=["state", "checked_on", "kind", "closed_on", "application_id", "status_before"])
    return case


def follow(case_ids: list[int] | None = None) -> int:
    """Cases awaiting the decision follow their application: announced → monitored (from the announcement's
    day), rejected → not taken in. Each change is a step and an audit row in the name of the officer who took
    the deciding step. Returns how many cases moved. Idempotent; pages and lists call it before reading."""
    from jingzhun.appraisal.models import Application, Step

    waiting = Case.objects.filter(state="checked", application_id__isnull=False)
    if case_ids is not None:
        waiting = waiting.filter(pk__in=case_ids)
    decided = Application.objects.filter(pk__in=waiting.values("application_id"), kind="monitor",
                                         state__in=("announced", "rejected"))
    moved = 0
    for app_id, app_state in decided.values_list("pk", "state"):
        with transaction.atomic():
            case = Case.objects.select_for_update().filter(application_id=app_id, state="checked").first()
            step = Step.objects.filter(application_id=app_id, to_state=app_state).order_by("-id").first()
            if case is None or step is None:
                continue
            case.decided_on = step.on
            if app_state == "announced":
                case.monitored_since = step.on
                to = "monitored"
            else:
                case.closed_on = step.on
                to = "dismissed"
            _step(case, "decided", to, step.actor, step.on, reason=step.reason,
                  detail={"application": app_id, "application_step": step.action})
            case.save(update_fields=["state", "decided_on", "monitored_since", "closed_on"])
            moved += 1
    return moved


def _set_status(household: Household, status: str, on: dt.date, reason: str) -> None:
    Household.objects.filter(pk=household.pk).update(status=status, status_reason=reason)
    StatusEvent.objects.create(household=household, status=status, year=on.year, reason=reason, occurred_on=on,
                               recorded_at=timezone.now())
    register_changed.send(sender=Case, villages={household.village_id})


# --------------------------------------------------------------------------- assistance


def assist(user: object, case_id: int, *, year: int, goal: str, measures: list[Any], on: dt.date) -> Any:
    """Assistance measures on the household's help plan (`jingzhun.plans.services`, which checks its own
    rules and writes its own audit row), recorded as a step of the monitored case."""
    from jingzhun.plans import services as plans

    with transaction.atomic():
        case = _locked(case_id, user, "village", "帮扶 / assist")
        _in_state(case, ("monitored",), "制定帮扶措施 / plan assistance")
        plan = plans.save_plan(user, case.household_id, year, goal, measures, today=on)
        _step(case, "assist", case.state, user, on, detail={"plan": plan.pk, "year": year, "measures": len(measures)})
    return plan


# --------------------------------------------------------------------------- risk elimination


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    last = [31, 29 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 28, 31, 30, 31, 30, 31, 31, 30, 31,
            30, 31][month - 1]
    return dt.date(year, month, min(day.day, last))


def elimination_blockers(case: Case, today: dt.date) -> list[str]:
    """Why the case's risk cannot be eliminated yet, in words (empty: it may be proposed): monitored for K
    months, and per-capita net income above the line in every year recorded after the income year that found
    it (the case's year), with at least one such year."""
    from jingzhun.monitoring.screening import per_capita_fen

    out = []
    if case.state != "monitored" or case.monitored_since is None:
        return [f"案件为“{STATE.zh(case.state)}” / the case is {case.state}"]
    r = policy.rules(case.village_id, case.year)
    ready = add_months(case.monitored_since, r.stable_months)
    if today < ready:
        out.append(f"纳入监测未满 {r.stable_months} 个月（{ready} 起可申请）/ monitored less than {r.stable_months} "
                   f"months (from {ready})")
    incomes = per_capita_fen(case.household_id, case.year + 1)
    if not incomes:
        out.append(f"{case.year} 年以后无收入记录 / no income recorded after {case.year}")
    for year, fen in sorted(incomes.items()):
        line = policy.rules(case.village_id, min(year, policy.YEARS[1])).line
        if fen is None:  # no members: no per-capita income to show the risk gone
            out.append(f"{year} 年无家庭成员，无法计算人均纯收入 / {year}: no members, so no per-capita income")
        elif fen <= int(line * 100):
            out.append(f"{year} 年人均纯收入 {fen / 100:.2f} 元未超过监测范围 {line} 元 / {year}: per-capita income "
                       f"{fen / 100:.2f} not above the line {line}")
    return out


def propose_elimination(user: object, case_id: int, *, on: dt.date, contact: str, review: str) -> EliminationNotice:
    """The village's review (入户核实、民主评议) and its notice: the case waits out the notice period."""
    contact = _text(contact, "异议受理联系方式", "the objection contact")
    review = _text(review, "核实评议情况", "the review")
    with transaction.atomic():
        case = _locked(case_id, user, "village", "风险消除 / eliminate risk")
        blockers = elimination_blockers(case, on)
        if blockers:
            raise CaseRefused("；".join(b.split(" / ")[0] for b in blockers) + " / "
                              + "; ".join(b.split(" / ")[-1] for b in blockers))
        days = policy.rules(case.village_id, on.year).notice_days
        notice = EliminationNotice.objects.create(case=case, starts_on=on, ends_on=on + dt.timedelta(days=days - 1),
                                                  contact=contact, published_by=actor_name(user))
        _step(case, "propose_elimination", "elimination", user, on, reason=review,
              detail={"notice": notice.pk, "ends_on": notice.ends_on.isoformat()})
        case.save(update_fields=["state"])
    return notice


def object_elimination(user: object, case_id: int, *, on: dt.date, reason: str) -> Case:
    """An objection during the notice: the case stays monitored."""
    reason = _text(reason, "异议内容", "the objection")
    with transaction.atomic():
        case = _locked(case_id, user, "village", "公示异议 / objection")
        _in_state(case, ("elimination",), "公示异议 / object")
        _step(case, "object_elimination", "monitored", user, on, reason=reason)
        case.save(update_fields=["state"])
    return case


def approve_elimination(user: object, case_id: int, *, on: dt.date) -> Case:
    """After the notice ran out without objection, the county approves: the risk is eliminated and the
    household returns to the status it had before it was monitored."""
    with transaction.atomic():
        case = _locked(case_id, user, "county", "批准风险消除 / approve risk elimination")
        _in_state(case, ("elimination",), "批准风险消除 / approve risk elimination")
        notice = case.notices.order_by("-id").first()
        assert notice is not None
        if on <= notice.ends_on:
            raise CaseRefused(f"公示期至 {notice.ends_on} 截止，尚未期满 / the notice runs until {notice.ends_on}")
        household = Household.objects.select_for_update().get(pk=case.household_id)
        back = case.status_before if case.status_before and case.status_before != choices.MONITORED else (
            choices.EXITED if household.exit_year else choices.APPLICANT)
        _set_status(household, back, on, "防返贫监测：风险消除")
        case.closed_on = on
        _step(case, "approve_elimination", "eliminated", user, on, detail={"household_status": [household.status, back]})
        case.save(update_fields=["state", "closed_on"])
    return case
