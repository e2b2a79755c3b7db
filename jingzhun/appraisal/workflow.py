"""The appraisal-and-notice state machine: the only code that changes an application's state.

Application → village democratic appraisal → cross-department check → first notice → township
review → second notice → county approval → announcement. An objection during a notice reopens
review: during the first (village) notice the village appraises again; during the second, the
township reviews again. Rejections end an application; a new one may be filed.

Every step: one transaction that locks the application, checks the transition is in `TRANSITIONS`
and that the user holds a role at the right level over the village, changes the state, writes a
`Step` (who, when, what) and an audit row. A refused step raises `StepRefused` and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jingzhun import access, choices
from jingzhun.appraisal.models import STATE, Application, Notice, Objection, Step, VillageAppraisal
from jingzhun.audit import log as audit
from jingzhun.crosscheck.actions import rematch
from jingzhun.crosscheck.models import SIGNAL_RULES, CrossCheckHit
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


@dataclass(frozen=True)
class Transition:
    label: str  # 中文 / English, for messages and the history
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    level: str  # the lowest area level whose officers may take the step

    # Messages are "中文 / English" and the web shows the half of the active language: a label inside a
    # message goes in by halves, or the split would cut the message at the label's own " / ".
    @property
    def zh(self) -> str:
        return self.label.split(" / ")[0]

    @property
    def en(self) -> str:
        return self.label.split(" / ")[-1]


TRANSITIONS: dict[str, Transition] = {
    "apply": Transition("提出申请 / apply", ("",), ("applied",), "village"),
    "appraise": Transition("民主评议 / village appraisal", ("applied",), ("appraised", "rejected"), "village"),
    "crosscheck": Transition("部门比对 / cross-department check", ("appraised",), ("checked",), "village"),
    "publish_first": Transition("发布一次公示 / publish first notice", ("checked",), ("first_notice",), "village"),
    "close_first": Transition("一次公示期满 / close first notice", ("first_notice",), ("township_review",), "village"),
    "object": Transition("公示异议 / objection", ("first_notice", "second_notice"), ("applied", "township_review"),
                         "village"),
    "township_approve": Transition("乡镇审核通过 / township approves", ("township_review",), ("township_approved",),
                                   "township"),
    "township_reject": Transition("乡镇审核不通过 / township rejects", ("township_review",), ("rejected",), "township"),
    "publish_second": Transition("发布二次公示 / publish second notice", ("township_approved",), ("second_notice",),
                                 "township"),
    "close_second": Transition("二次公示期满 / close second notice", ("second_notice",), ("county_review",), "township"),
    "county_approve": Transition("县级审批通过 / county approves", ("county_review",), ("approved",), "county"),
    "county_reject": Transition("县级审批不通过 / county rejects", ("county_review",), ("rejected",), "county"),
    "announce": Transition("公告 / announce", ("approved",), ("announced",), "county"),
}

def notice_days() -> int:
    return int(getattr(settings, "APPRAISAL_NOTICE_DAYS", DEFAULT_NOTICE_DAYS))


def actor_name(user: object) -> str:
    return str(getattr(user, "username", "") or user)


def may_step(user: object, village: str, level: str) -> bool:
    """True when the user may take a step of `level` over the village (the rule: `access.STEP_ROLES`)."""
    return access.may_step(user, village, level)


def allowed_actions(app: Application, user: object) -> list[str]:
    """The steps the user may take on the application now: allowed from its state, at a level they hold."""
    return [action for action, t in TRANSITIONS.items()
            if app.state in t.sources and may_step(user, app.village_id, t.level)]


def _refuse_state(app: Application, action: str) -> StepRefused:
    t = TRANSITIONS[action]
    allowed = "、".join(STATE.zh(s) for s in t.sources)
    return StepRefused(
        f"申请 {app.pk} 当前环节为“{STATE.zh(app.state)}”，不能执行“{t.zh}”（仅限：{allowed}） / "
        f"application {app.pk} is at {app.state!r}; {t.en} ({action!r}) is allowed only from: {', '.join(t.sources)}")


def _locked(app_id: int) -> Application:
    app = Application.objects.select_for_update().filter(pk=app_id).first()
    if app is None:
        raise StepRefused(f"申请 {app_id} 不存在 / no application {app_id}")
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
    t = TRANSITIONS[action]
    if not access.can_see_area(user, app.village_id):
        # Someone with no role over the village learns nothing of the application: not its state, not its place.
        raise StepRefused(f"申请 {app.pk} 不在您的管辖范围，您没有执行“{t.zh}”的权限 / no {t.level}-level role over "
                          f"application {app.pk} for {t.en} ({action!r}): it is outside your areas")
    if app.state not in t.sources:
        raise _refuse_state(app, action)
    if not _may(app, user, t.level):
        raise StepRefused(f"您没有在该村执行“{t.zh}”的权限（需{_LEVEL_ZH[t.level]}及以上干部） / "
                          f"no {t.level}-level role over village {app.village_id} for {t.en} ({action!r})")


_LEVEL_ZH = {"village": "村级", "township": "乡镇级", "county": "县级"}


def _move(app: Application, action: str, to: str, user: object, on: dt.date, *, reason: str = "",
          detail: dict[str, Any] | None = None) -> Step:
    assert to in TRANSITIONS[action].targets, (action, to)
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


def apply(household: Household | int, year: int, *, applied_by: str, on: dt.date, user: object) -> Application:
    hh = household if isinstance(household, Household) else Household.objects.filter(pk=household).first()
    if hh is None:
        raise StepRefused(f"户 {household} 不存在 / no household {household}")
    applied_by = _required(applied_by, "申请人", "the applicant")
    if not isinstance(year, int) or not YEARS[0] <= year <= YEARS[1]:
        raise StepRefused(f"识别年度须为 {YEARS[0]}–{YEARS[1]} 之间的年份，而非 {year!r} / "
                          f"the year must be between {YEARS[0]} and {YEARS[1]}, got {year!r}")
    if not may_step(user, hh.village_id, "village"):
        raise StepRefused("您没有在该户所在村受理申请的权限 / no role over the household's village")
    with transaction.atomic():
        if Application.objects.filter(household=hh, year=year).exclude(state="rejected").exists():
            raise StepRefused(f"户 {hh.number} 已有 {year} 年度的在办申请 / household {hh.number} already has an open "
                              f"application for {year}")
        app = Application.objects.create(household=hh, village_id=hh.village_id, year=year, applied_by=applied_by,
                                         applied_on=on, state="applied", state_since=on, created_by=actor_name(user))
        Step.objects.create(application=app, action="apply", from_state="", to_state="applied", actor=actor_name(user),
                            on=on, detail={"applied_by": applied_by})
        audit.record(actor_name(user), "appraisal.apply", object_type="application", object_id=str(app.pk),
                     area=app.village_id, household=hh.pk, year=year, on=on.isoformat())
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
    if app is not None and app.state in TRANSITIONS["crosscheck"].sources and _may(app, user, "village"):
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
    if not app_ids:
        raise StepRefused("没有公示对象 / no applications to publish")
    with transaction.atomic():
        apps = [_locked(i) for i in sorted(set(app_ids))]
        villages = {a.village_id for a in apps}
        years = {a.year for a in apps}
        if len(villages) > 1 or len(years) > 1:
            raise StepRefused("一份公示只能包含同一村、同一年度的申请 / one notice covers one village and one year")
        for app in apps:
            _check(app, action, user)
        notice = Notice.objects.create(
            village_id=villages.pop(), stage=stage, year=years.pop(), starts_on=starts_on,
            ends_on=starts_on + dt.timedelta(days=days - 1), days=days, contact=contact, published_by=actor_name(user))
        notice.applications.set(apps)
        for app in apps:
            _move(app, action, TRANSITIONS[action].targets[0], user, starts_on,
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
        _move(app, action, TRANSITIONS[action].targets[0], user, on, detail={"notice": notice.pk})
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
        _move(app, action, TRANSITIONS[action].targets[0], user, on, reason=opinion)
    return app


def announce(app_id: int, *, on: dt.date, user: object) -> Application:
    """Announce the approved household: the register records it as identified in the year."""
    with transaction.atomic():
        app = _locked(app_id)
        _check(app, "announce", user)
        hh = Household.objects.select_for_update().get(pk=app.household_id)
        # A household that had exited and is identified again has returned to poverty (返贫).
        status = choices.RETURNED if hh.status in (choices.EXITED, choices.MONITORED) else choices.POOR
        before = hh.status
        fields: dict[str, Any] = {"status": status, "status_reason": "评议公示后公告纳入"}
        if status == choices.POOR:
            fields["identified_year"] = app.year  # a returned household keeps its first identification year
        Household.objects.filter(pk=hh.pk).update(**fields)
        StatusEvent.objects.create(household=hh, status=status, year=app.year, reason="评议公示后公告纳入",
                                   recorded_at=timezone.now())
        _move(app, "announce", "announced", user, on, detail={"household_status": [before, status]})
        # The dashboards' counts by status follow, in the same transaction.
        register_changed.send(sender=Application, villages={hh.village_id})
    return app
