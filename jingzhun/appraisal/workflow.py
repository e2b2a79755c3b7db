"""The appraisal-and-notice state machine: the only code that changes an application's state.

Application → village democratic appraisal → cross-department check → first notice → township
review → second notice → county approval → announcement. An objection during a notice reopens
review: during the first (village) notice the village appraises again; during the second, the
township reviews again. Rejections end an application; a new one may be filed.

That is the identification kind; the same engine runs the exit and monitoring kinds (`kinds`): each
application follows its kind's table, and announcing does what its kind does (`ANNOUNCED`).

Every step: one transaction that locks the application, checks the transition is in its kind's table
and that the user holds a role at the right level over the village, changes the state, writes a
`Step` (who, when, what) and an audit row. A refused step raises `StepRefused` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from jingzhun import access, choices
from jingzhun.appraisal import kinds
from jingzhun.appraisal.kinds import Transition
from jingzhun.appraisal.models import Application, Consent, Notice, Objection, Step, VillageAppraisal
from jingzhun.audit import log as audit
from jingzhun.crosscheck.actions import rematch
from jingzhun.crosscheck.models import SIGNAL_RULES, CrossCheckHit
from jingzhun.exits.one import proposal_check
from jingzhun.registry.models import Household, StatusEvent
from jingzhun.registry.signals import register_changed

DEFAULT_NOTICE_DAYS = 7
# Bounds that keep a typing slip out of the record (and inside the columns' ranges): a notice runs for days
# or weeks, not years; a village representatives' meeting has tens or hundreds of people.
MAX_NOTICE_DAYS = 365
MAX_ATTENDEES = 100_000
YEARS = (2000, 2100)


class StepRefused(ValueError):
    """The step is not allowed (wrong state, wrong level, bad input); nothing was changed."""


# The identification kind's table (the name the pages, the audit log and the tests knew before kinds);
# every kind's table is `kinds.steps(kind)`.
TRANSITIONS: dict[str, Transition] = kinds.IDENTIFY_STEPS


def table(app: Application) -> dict[str, Transition]:
    """The transitions of the application's kind."""
    return kinds.steps(app.kind)


def notice_days() -> int:
    return int(getattr(settings, "APPRAISAL_NOTICE_DAYS", DEFAULT_NOTICE_DAYS))


def actor_name(user: object) -> str:
    return str(getattr(user, "username", "") or user)


def may_step(user: object, village: str, level: str) -> bool:
    """True when the user may take a step of `level` over the village (the rule: `access.STEP_ROLES`)."""
    return access.may_step(user, village, level)


def allowed_actions(app: Application, user: object) -> list[str]:
    """The steps the user may take on the application now: allowed from its state, at a level they hold."""
    return [action for action, t in table(app).items()
            if app.state in t.sources and may_step(user, app.village_id, t.level)]


def _refuse_state(app: Application, action: str) -> StepRefused:
    t = table(app)[action]
    allowed = "、".join(kinds.state_zh(app.kind, s) for s in t.sources)
    return StepRefused(
        f"申请 {app.pk} 当前环节为“{kinds.state_zh(app.kind, app.state)}”，不能执行“{t.zh}”（仅限：{allowed}） / "
        f"application {app.pk} is at {app.state!r}; {t.en} ({action!r}) is allowed only from: {', '.join(t.sources)}")


def _refuse_kind(app: Application, action: str) -> StepRefused:
    t = kinds.ALL_STEPS[action]
    return StepRefused(f"{kinds.KIND.zh(app.kind)}申请 {app.pk} 没有“{t.zh}”环节 / a {app.kind} application "
                       f"({app.pk}) has no step {t.en} ({action!r})")


NO_HOUSEHOLD = ("该户不存在，或您没有在该户所在村受理申请的权限 / no such household, or no role over the "
                "household's village")


def _locked(app_id: int) -> Application:
    app = Application.objects.select_for_update().filter(pk=app_id).first()
    if app is None:  # the same words as one outside the user's areas (`_check`): ids cannot be probed
        raise StepRefused(f"申请 {app_id} 不存在或不在您的管辖范围 / no application {app_id} in your areas: none, or "
                          f"it is outside your areas")
    return app


def _may(app: Application, user: object, level: str) -> bool:
    """The user may take a step of `level` on the application: over the village it was filed in and over
    the village its household is in now. A household that moved since applying is handled by an officer
    whose areas hold both (or the application is rejected and filed again where it lives now)."""
    if not may_step(user, app.village_id, level):
        return False
    now = Household.objects.filter(pk=app.household_id).values_list("village_id", flat=True).first()
    return now is None or now == app.village_id or may_step(user, now, level)


def _check(app: Application, action: str, user: object) -> None:
    t = kinds.ALL_STEPS[action]
    if not access.can_see_area(user, app.village_id):
        # Someone with no role over the village learns nothing of the application: not its state, not its place.
        raise StepRefused(f"申请 {app.pk} 不存在或不在您的管辖范围 / no application {app.pk} in your areas: none, or "
                          f"it is outside your areas")
    if action not in table(app):
        raise _refuse_kind(app, action)
    t = table(app)[action]
    if app.state not in t.sources:
        raise _refuse_state(app, action)
    if not _may(app, user, t.level):
        raise StepRefused(f"您没有在该村执行“{t.zh}”的权限（需{_LEVEL_ZH[t.level]}及以上干部） / "
                          f"no {t.level}-level role over village {app.village_id} for {t.en} ({action!r})")


_LEVEL_ZH = {"village": "村级", "township": "乡镇级", "county": "县级"}


FIRST_DAY = dt.date(1980, 1, 1)
AHEAD_DAYS = 366  # a notice may be published to start ahead; nothing is recorded further ahead than a year


def _on_checked(on: dt.date) -> dt.date:
    """A step's date within 1980-01-01 … a year from today. A date such as 9999-12-31 was accepted and stored as
    the application's state date, and every page that works out its deadline from it then failed."""
    last = timezone.localdate() + dt.timedelta(days=AHEAD_DAYS)
    if not FIRST_DAY <= on <= last:
        raise StepRefused(f"日期 {on.isoformat()} 须在 {FIRST_DAY.isoformat()} 至 {last.isoformat()} 之间 / the date "
                          f"{on.isoformat()} must be between {FIRST_DAY.isoformat()} and {last.isoformat()}")
    return on


def _move(app: Application, action: str, to: str, user: object, on: dt.date, *, reason: str = "",
          detail: dict[str, Any] | None = None) -> Step:
    assert to in table(app)[action].targets, (action, to)
    _on_checked(on)
    before = app.state
    app.state, app.state_since = to, on
    app.save(update_fields=["state", "state_since"])
    step = Step.objects.create(application=app, action=action, from_state=before, to_state=to,
                               actor=actor_name(user), on=on, reason=reason, detail=detail or {})
    audit.record(actor_name(user), f"appraisal.{action}", object_type="application", object_id=str(app.pk),
                 area=app.village_id, before=before, after=to, on=on.isoformat(), reason=reason, **(detail or {}))
    return step


def _required(text: str, zh: str, en: str) -> str:
    text = (text or "").strip()
    if not text:
        raise StepRefused(f"须填写{zh} / {en} is required")
    return text


# --------------------------------------------------------------------------- the steps


def apply(household: Household | int, year: int, *, applied_by: str, on: dt.date, user: object,
          kind: str = kinds.IDENTIFY, override: str = "") -> Application:
    """File an application of `kind` (identify, exit, monitor) for the household and year. An exit is
    proposed only for a household on the poor list that the exit check finds eligible — or, when it is
    not, with `override`, the officer's reason for proposing it anyway (recorded with the check's reasons)."""
    try:
        kinds.steps(kind)
    except ValueError as exc:
        raise StepRefused(str(exc)) from None
    hh = household if isinstance(household, Household) else Household.objects.filter(pk=household).first()
    if hh is None or not may_step(user, hh.village_id, "village"):
        # One answer for "no such household" and "not where you may file": ids cannot be probed.
        raise StepRefused(NO_HOUSEHOLD)
    applied_by = _required(applied_by, "申请人", "the applicant")
    _on_checked(on)
    if not isinstance(year, int) or not YEARS[0] <= year <= YEARS[1]:
        raise StepRefused(f"识别年度须为 {YEARS[0]}–{YEARS[1]} 之间的年份，而非 {year!r} / "
                          f"the year must be between {YEARS[0]} and {YEARS[1]}, got {year!r}")
    detail: dict[str, Any] = {"applied_by": applied_by, "kind": kind}
    if kind == kinds.EXIT:
        try:
            detail["exit_check"] = proposal_check(hh, year, override)
        except ValueError as exc:
            raise StepRefused(str(exc)) from None
    with transaction.atomic():
        if Application.objects.filter(household=hh, year=year, kind=kind).exclude(state="rejected").exists():
            raise StepRefused(f"户 {hh.number} 已有 {year} 年度的在办申请（{kinds.KIND.zh(kind)}） / household {hh.number} "
                              f"already has an open {kind} application for {year}")
        try:
            # Two officers filing at the same instant both pass the check above; the unique open application
            # lets one in and refuses the other (after the first commits, on PostgreSQL): the same words.
            with transaction.atomic():
                app = Application.objects.create(household=hh, village_id=hh.village_id, year=year, kind=kind,
                                                 applied_by=applied_by, applied_on=on, state="applied",
                                                 state_since=on, created_by=actor_name(user))
        except IntegrityError:
            raise StepRefused(f"户 {hh.number} 已有 {year} 年度的在办申请（{kinds.KIND.zh(kind)}） / household "
                              f"{hh.number} already has an open {kind} application for {year}") from None
        reason = detail.get("exit_check", {}).get("override", "")
        Step.objects.create(application=app, action="apply", from_state="", to_state="applied", actor=actor_name(user),
                            on=on, reason=reason, detail=detail)
        audit.record(actor_name(user), "appraisal.apply", object_type="application", object_id=str(app.pk),
                     area=app.village_id, household=hh.pk, year=year, kind=kind, on=on.isoformat(), reason=reason,
                     eligible=detail.get("exit_check", {}).get("eligible"))
    return app


def appraise(app_id: int, *, held_on: dt.date, attendees: int, votes_for: int, votes_against: int,
             votes_abstain: int, minutes: str, user: object) -> Application:
    """Record the village's vote; more than half of those present for → appraised, else rejected."""
    minutes = _required(minutes, "会议记录", "the minutes")
    counts = {("参会人数", "attendees"): attendees, ("赞成票", "votes for"): votes_for,
              ("反对票", "votes against"): votes_against, ("弃权票", "abstentions"): votes_abstain}
    for (zh, en), value in counts.items():
        if not isinstance(value, int) or value < 0:
            raise StepRefused(f"{zh}须为非负整数，而非 {value!r} / {en} must be a whole number ≥ 0, got {value!r}")
        if value > MAX_ATTENDEES:
            raise StepRefused(f"{zh}不能超过 {MAX_ATTENDEES:,} / {en} cannot exceed {MAX_ATTENDEES:,}, got {value!r}")
    if attendees == 0:
        raise StepRefused("参会人数不能为0 / nobody attended")
    if votes_for + votes_against + votes_abstain > attendees:
        raise StepRefused(f"票数合计 {votes_for + votes_against + votes_abstain} 超过参会人数 {attendees} / "
                          "more votes than attendees")
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, "appraise", user)
        record = VillageAppraisal.objects.create(
            application=app, held_on=held_on, attendees=attendees, votes_for=votes_for,
            votes_against=votes_against, votes_abstain=votes_abstain, minutes=minutes, recorded_by=actor_name(user))
        to = "appraised" if record.passed else "rejected"
        _move(app, "appraise", to, user, held_on,
              reason="" if record.passed else "民主评议未过半数同意 / the village vote did not pass",
              detail={"appraisal": record.pk, "attendees": attendees, "for": votes_for, "against": votes_against,
                      "abstain": votes_abstain})
    return app


def crosscheck(app_id: int, *, on: dt.date, user: object, acknowledge: str = "") -> Application:
    """Pass the cross-department check. Pending hits block, unless acknowledged with a reason (the
    hits stay pending and are recorded on the step); confirmed and dismissed hits are recorded.

    The household's members are first matched against every imported list: an applicant usually
    enters the register after the departments' lists were imported. Those hits are kept even when
    the step is then refused, so they run in a transaction of their own, before the step's."""
    app = Application.objects.filter(pk=app_id).first()
    if (app is not None and "crosscheck" in table(app) and app.state in table(app)["crosscheck"].sources
            and _may(app, user, "village")):
        rematch([app.household_id], actor=actor_name(user))
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, "crosscheck", user)
        # Monitoring signals (a major illness, a disaster) are not evidence against being poor.
        hits = list(CrossCheckHit.objects.filter(household_id=app.household_id).exclude(rule__in=SIGNAL_RULES)
                    .order_by("id")
                    .values("id", "rule", "status"))
        pending = [h for h in hits if h["status"] == "pending"]
        if pending and not (acknowledge or "").strip():
            rules = "、".join(sorted({h["rule"] for h in pending}))
            raise StepRefused(f"该户有 {len(pending)} 条待核实的比对命中（{rules}），须先核实或说明理由后继续 / "
                              f"{len(pending)} pending cross-check hits ({rules}): decide them or acknowledge with a reason")
        _move(app, "crosscheck", "checked", user, on, reason=(acknowledge or "").strip(),
              detail={"hits": hits, "acknowledged_pending": [h["id"] for h in pending]})
    return app


def verify(app_id: int, *, on: dt.date, passed: bool, findings: str, user: object) -> Application:
    """An exit's verification by the village committee and the work team (村两委和驻村工作队核实): the findings
    are required; verified → the household's consent is next, not verified → rejected."""
    findings = _required(findings, "核实情况", "the verification's findings")
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, "verify", user)
        _move(app, "verify", "verified" if passed else "rejected", user, on,
              reason="" if passed else findings, detail={"findings": findings, "passed": bool(passed)})
    return app


def consent(app_id: int, *, signed_by: str, signed_on: dt.date, document: str, user: object) -> Application:
    """Record the household's signed consent to its exit (拟退出贫困户认可): who signed, when, and the
    number of the signed paper on file. Without it the exit cannot go on to its notice."""
    signed_by = _required(signed_by, "签字人", "who signed")
    document = _required(document, "签字材料编号", "the signed paper's number")
    if len(signed_by) > 60 or len(document) > 120:
        raise StepRefused("签字人不超过60字、材料编号不超过120字 / who signed: at most 60 characters; the paper's "
                          "number: at most 120")
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, "consent", user)
        record = Consent.objects.create(application=app, signed_by=signed_by, signed_on=signed_on, document=document,
                                        recorded_by=actor_name(user))
        _move(app, "consent", "consented", user, signed_on,
              detail={"consent": record.pk, "signed_by": signed_by, "document": document})
    return app


def decline(app_id: int, *, on: dt.date, reason: str, user: object) -> Application:
    """The household does not consent to its exit: the proposal ends (rejected), with the reason."""
    reason = _required(reason, "不认可的理由", "the reason")
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, "decline", user)
        _move(app, "decline", "rejected", user, on, reason=reason)
    return app


def publish_notice(app_ids: Sequence[int], *, stage: str, starts_on: dt.date, contact: str, user: object,
                   days: int | None = None) -> Notice:
    """One notice for applications of one village: the first (from 待一次公示) or the second."""
    action = {"first": "publish_first", "second": "publish_second"}.get(stage)
    if action is None:
        raise StepRefused(f"公示阶段须为 first 或 second，而非 {stage!r} / stage must be first or second")
    contact = _required(contact, "异议受理联系方式", "the objection contact")
    days = notice_days() if days is None else days
    if not isinstance(days, int) or days < 1:
        raise StepRefused(f"公示天数须为正整数 / notice days must be a positive whole number, got {days!r}")
    if days > MAX_NOTICE_DAYS:
        raise StepRefused(f"公示天数不能超过 {MAX_NOTICE_DAYS} 天 / a notice runs at most {MAX_NOTICE_DAYS} days, "
                          f"got {days}")
    _on_checked(starts_on)  # before its end is worked out: 9999-12-31 plus the days is no date
    if not app_ids:
        raise StepRefused("没有公示对象 / no applications to publish")
    with transaction.atomic():
        apps = [_locked(i) for i in sorted(set(app_ids))]
        villages = {a.village_id for a in apps}
        years = {a.year for a in apps}
        kinds_of = {a.kind for a in apps}
        if len(villages) > 1 or len(years) > 1 or len(kinds_of) > 1:
            raise StepRefused("一份公示只能包含同一村、同一年度、同一类型的申请 / one notice covers one village, one year "
                              "and one kind")
        for app in apps:
            _check(app, action, user)
            if app.kind == kinds.EXIT and not Consent.objects.filter(application=app).exists():
                raise StepRefused(f"申请 {app.pk} 没有贫困户签字认可记录，不能公示退出 / application {app.pk} has no "
                                  "signed consent of the household: its exit cannot be published")
        notice = Notice.objects.create(
            village_id=villages.pop(), stage=stage, year=years.pop(), kind=kinds_of.pop(), starts_on=starts_on,
            ends_on=starts_on + dt.timedelta(days=days - 1), days=days, contact=contact, published_by=actor_name(user))
        notice.applications.set(apps)
        for app in apps:
            _move(app, action, table(app)[action].targets[0], user, starts_on,
                  detail={"notice": notice.pk, "starts_on": starts_on.isoformat(), "ends_on": notice.ends_on.isoformat()})
    return notice


def current_notice(app: Application) -> Notice | None:
    stage = {"first_notice": "first", "second_notice": "second"}.get(app.state)
    if stage is None:
        return None
    return app.notices.filter(stage=stage).order_by("-id").first()


def close_notice(app_id: int, *, on: dt.date, user: object) -> Application:
    """The notice period ended with no objection: on to township review (first) or county (second)."""
    with transaction.atomic():
        app = _locked(app_id)
        action = {"first_notice": "close_first", "second_notice": "close_second"}.get(app.state, "close_first")
        _check(app, action, user)
        notice = current_notice(app)
        assert notice is not None
        if on <= notice.ends_on:
            raise StepRefused(f"公示期至 {notice.ends_on} 截止，尚未期满 / the notice runs until {notice.ends_on} inclusive")
        _move(app, action, table(app)[action].targets[0], user, on, detail={"notice": notice.pk})
    return app


def object_(app_id: int, *, on: dt.date, reason: str, user: object, raised_by: str = "") -> Objection:
    """Record an objection during a notice; it reopens review (village appraisal or township review)."""
    reason = _required(reason, "异议内容", "the objection's reason")
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, "object", user)
        notice = current_notice(app)
        assert notice is not None
        if on < notice.starts_on:
            raise StepRefused(f"公示自 {notice.starts_on} 开始，{on} 尚未公示 / the notice starts on {notice.starts_on}")
        objection = Objection.objects.create(application=app, notice=notice, raised_on=on, raised_by=raised_by.strip(),
                                             reason=reason, recorded_by=actor_name(user))
        to = "applied" if notice.stage == "first" else "township_review"
        _move(app, "object", to, user, on, reason=reason,
              detail={"objection": objection.pk, "notice": notice.pk, "stage": notice.stage})
    return objection


def township_review(app_id: int, *, approve: bool, on: dt.date, user: object, opinion: str = "") -> Application:
    action = "township_approve" if approve else "township_reject"
    return _review(app_id, action, on, user, opinion, need_reason=not approve)


def county_review(app_id: int, *, approve: bool, on: dt.date, user: object, opinion: str = "") -> Application:
    action = "county_approve" if approve else "county_reject"
    return _review(app_id, action, on, user, opinion, need_reason=not approve)


def _review(app_id: int, action: str, on: dt.date, user: object, opinion: str, *, need_reason: bool) -> Application:
    opinion = _required(opinion, "不通过的理由", "the reason for rejecting") if need_reason else (opinion or "").strip()
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, action, user)
        _move(app, action, table(app)[action].targets[0], user, on, reason=opinion)
    return app


def announce(app_id: int, *, on: dt.date, user: object, transition_years: int | None = None) -> Application:
    """Announce the approved application; the register follows, by kind (`ANNOUNCED`): identified as poor
    (or returned), exited with its policies kept for a transition period, or monitored."""
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, "announce", user)
        hh = Household.objects.select_for_update().get(pk=app.household_id)
        before = hh.status
        status, reason, fields = ANNOUNCED[app.kind](hh, app, transition_years)
        Household.objects.filter(pk=hh.pk).update(status=status, status_reason=reason, **fields)
        StatusEvent.objects.create(household=hh, status=status, year=app.year, reason=reason, occurred_on=on,
                                   recorded_at=timezone.now())
        detail: dict[str, Any] = {"household_status": [before, status]}
        if app.policies_until is not None:
            detail["policies_until"] = app.policies_until
            app.save(update_fields=["policies_until"])
        _move(app, "announce", "announced", user, on, detail=detail)
        # The dashboards' counts by status follow, in the same transaction.
        register_changed.send(sender=Application, villages={hh.village_id})
    return app


Effect = tuple[str, str, dict[str, Any]]  # the household's new status, the reason, other fields to set


def _identified(hh: Household, app: Application, transition_years: int | None) -> Effect:
    # A household that had exited and is identified again has returned to poverty (返贫).
    if hh.status in (choices.EXITED, choices.MONITORED):
        return choices.RETURNED, "评议公示后公告纳入", {}  # a returned household keeps its first identification year
    return choices.POOR, "评议公示后公告纳入", {"identified_year": app.year}


def _monitored(hh: Household, app: Application, transition_years: int | None) -> Effect:
    return choices.MONITORED, "评议公示后公告纳入监测对象", {}


DEFAULT_TRANSITION_YEARS = 5  # 过渡期: five years from the exit (中央一号文件 2021), overridden by settings or the call


def transition_years_setting() -> int:
    return int(getattr(settings, "EXIT_TRANSITION_YEARS", DEFAULT_TRANSITION_YEARS))


def _exited(hh: Household, app: Application, transition_years: int | None) -> Effect:
    years = transition_years_setting() if transition_years is None else transition_years
    if not isinstance(years, int) or not 0 <= years <= 20:
        raise StepRefused(f"过渡期须为 0–20 年，而非 {years!r} / the transition period must be 0 to 20 years, got {years!r}")
    recorded = hh.status == choices.EXITED and hh.exit_year == app.year  # the register's own exit, now on record
    if hh.status not in choices.POOR_NOW and not recorded:
        raise StepRefused(f"户 {hh.number} 当前状态为“{choices.HOUSEHOLD_STATUS.zh(hh.status)}”，不是贫困户，不能公告退出 / "
                          f"household {hh.number} is {hh.status!r}, not poor: it cannot exit")
    app.policies_until = app.year + years
    return choices.EXITED, f"评议公示后公告退出，帮扶政策保持至{app.policies_until}年", {"exit_year": app.year}


ANNOUNCED = {kinds.IDENTIFY: _identified, kinds.EXIT: _exited, kinds.MONITOR: _monitored}
