"""The only code that writes help plans and their measures: validate everything, then write in one
transaction with an audit row per row written. A refused save raises `PlanRefused` naming every bad field
and its rule, and leaves the database as it was.

Who may write: a user whose roles carrying the "plan" ability reach the household — an officer or a work
team member of its area, or its active helper — as a SQL predicate (`access.households(..., ability=)`).
Who may approve: an officer ("approve_plan") at township level or above whose area holds the household.

Approval covers the plan's content: the goal and each measure's category, description, amount,
responsible cadre and due date. Changing any of those, or adding a measure, clears the approval (and says
so in the audit log). Progress — a measure's status, completion date and result — does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from jingzhun import access, choices
from jingzhun.areas.models import LEVEL_DEPTH
from jingzhun.audit import log as audit
from jingzhun.db.prepared import Prepared
from jingzhun.plans.models import (
    CAUSE_MEASURES,
    MEASURE_CATEGORY,
    MEASURE_STATUS,
    REVISION_STATUS,
    HelpPlan,
    PlanMeasure,
    PlanRevision,
)
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre

FIRST_YEAR = 2013  # precision poverty alleviation began with the 2013–2014 registration
MAX_MEASURES = 50
GOAL_MAX = 2000
DESCRIPTION_MAX = 200
AMOUNT_MAX = Decimal("9999999999.99")  # the column holds 12 digits, 2 of them decimals
CENT = Decimal("0.01")
ROW_ID_MAX = 2**62
APPROVER_LEVEL = "township"  # a township or county (or higher) officer signs plans off
CONTENT_FIELDS = ("category", "description", "amount", "cadre_id", "due_on")
PROGRESS_FIELDS = ("status", "done_on", "result")
ALL_FIELDS = CONTENT_FIELDS + PROGRESS_FIELDS

# Field names in messages: (中文, English).
FIELDS = {
    "year": ("年度", "year"), "goal": ("帮扶目标", "goal"), "household": ("贫困户", "household"),
    "measures": ("帮扶措施", "measures"), "id": ("措施编号", "id"), "category": ("措施类别", "category"),
    "description": ("措施内容", "description"), "amount": ("计划金额", "amount"),
    "cadre": ("责任干部", "responsible cadre"), "due_on": ("计划完成日期", "due date"),
    "status": ("状态", "status"), "done_on": ("完成日期", "completion date"), "result": ("实施成效", "result"),
    "plan": ("帮扶计划", "plan"),
}


@dataclass(frozen=True)
class Problem:
    field: str  # "year", "goal", or "measures[2].amount" (measures numbered from 1, as on the form)
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


class PlanRefused(ValueError):
    """Bad input or a step not allowed; nothing was written. `problems` names every field and its rule."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("；".join(str(p) for p in self.problems))


class PlanNotFound(LookupError):
    """No such household or plan within what the user may write (or approve): the web answers 404."""


@dataclass
class MeasureInput:
    """One measure as submitted; text as typed (the service parses and checks it). `id` names an existing
    measure of the plan to change; without it the measure is added."""

    category: str = ""
    description: str = ""
    amount: object = ""
    cadre: object = None
    due_on: object = None
    status: str = "planned"
    done_on: object = None
    result: str = ""
    id: object = None
    row: int | None = None  # the number messages give the measure (its row on the form); else its position


@dataclass
class _Clean:
    id: int | None
    values: dict[str, Any] = field(default_factory=dict)


def _problem(key: str, rule_zh: str, rule_en: str, index: int | None = None) -> Problem:
    zh, en = FIELDS[key]
    if index is None:
        return Problem(key, f"{zh}：{rule_zh}", f"{en}: {rule_en}")
    return Problem(f"measures[{index}].{key}", f"第 {index} 条措施 {zh}：{rule_zh}", f"measure {index}, {en}: {rule_en}")


def _date(value: object) -> dt.date | None | str:
    """A date, None for nothing, or "" when the text is not a date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return ""


def _amount(value: object) -> Decimal | None:
    text = "0" if value is None or str(value).strip() == "" else str(value).strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _row_id(value: object) -> int | None:
    """A row id as typed: a whole number a database key can be (1 … 2**62); None for anything else (0, a
    negative, more digits than a 64-bit key holds — each once a foreign-key or overflow error, not a message)."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    number = int(text)
    return number if 1 <= number <= ROW_ID_MAX else None


def _clean_measure(i: int, m: MeasureInput, year: int, today: dt.date, problems: list[Problem]) -> _Clean:
    out = _Clean(None)
    if m.id not in (None, ""):
        out.id = _row_id(m.id)
        if out.id is None:
            problems.append(_problem("id", "不是有效编号", "not a valid id", i))
    category = (m.category or "").strip()
    if category not in MEASURE_CATEGORY.codes:
        problems.append(_problem("category", f"须为以下之一：{'、'.join(MEASURE_CATEGORY.zh(c) for c in MEASURE_CATEGORY.codes)}",
                                 f"must be one of {', '.join(MEASURE_CATEGORY.codes)}", i))
    description = (m.description or "").strip()
    if not description:
        problems.append(_problem("description", "必填", "is required", i))
    elif len(description) > DESCRIPTION_MAX:
        problems.append(_problem("description", f"最多 {DESCRIPTION_MAX} 字", f"at most {DESCRIPTION_MAX} characters", i))
    amount = _amount(m.amount)
    if amount is None:
        problems.append(_problem("amount", "不是有效金额", "not a number", i))
    elif amount < 0:
        problems.append(_problem("amount", "须 ≥ 0", "must be ≥ 0", i))
    elif amount > AMOUNT_MAX:  # before the cents: quantizing 1e309 to cents is itself an error
        problems.append(_problem("amount", f"不能超过 {AMOUNT_MAX} 元", f"at most {AMOUNT_MAX} yuan", i))
    elif amount.quantize(CENT) != amount:
        problems.append(_problem("amount", "最多两位小数（元、角、分）", "at most 2 decimals", i))
    cadre: int | None = None
    if m.cadre not in (None, ""):
        cadre = _row_id(m.cadre)
        if cadre is None:
            problems.append(_problem("cadre", "不是有效编号", "not a valid id", i))
    due_on = _date(m.due_on)
    if due_on == "":
        problems.append(_problem("due_on", "不是有效日期（如 2020-06-30）", "not a valid date (e.g. 2020-06-30)", i))
    elif isinstance(due_on, dt.date) and due_on.year < year:
        problems.append(_problem("due_on", f"不能早于计划年度 {year} 年", f"must not be before the plan's year {year}", i))
    status = (m.status or "").strip()
    if status not in MEASURE_STATUS.codes:
        problems.append(_problem("status", f"须为以下之一：{'、'.join(MEASURE_STATUS.zh(c) for c in MEASURE_STATUS.codes)}",
                                 f"must be one of {', '.join(MEASURE_STATUS.codes)}", i))
    done_on = _date(m.done_on)
    if done_on == "":
        problems.append(_problem("done_on", "不是有效日期（如 2020-06-30）", "not a valid date (e.g. 2020-06-30)", i))
    elif status == "done" and done_on is None:
        problems.append(_problem("done_on", "状态为已完成时必填", "is required when the status is done", i))
    elif status != "done" and done_on is not None:
        problems.append(_problem("done_on", "仅在状态为已完成时填写", "only when the status is done", i))
    elif isinstance(done_on, dt.date) and done_on > today:
        problems.append(_problem("done_on", "不能晚于今天", "must not be in the future", i))
    if amount is not None and 0 <= amount <= AMOUNT_MAX and amount.quantize(CENT) == amount:
        amount = amount.quantize(CENT)  # 50000 and 50000.00 are one amount, stored and compared as 50000.00
    out.values = {"category": category, "description": description, "amount": amount, "cadre_id": cadre,
                  "due_on": due_on if isinstance(due_on, dt.date) else None, "status": status,
                  "done_on": done_on if isinstance(done_on, dt.date) else None, "result": (m.result or "").strip()}
    return out


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def actor(user: object) -> str:
    return str(getattr(user, "get_username", lambda: str(user))())


def writable_households(user: object) -> Any:
    return access.households(Household.objects.all(), user, ability="plan")


def may_write_known(user: object, household: Household, helper_user_id: int | None) -> bool:
    """Whether the household page offers the plan editor: the same rule as `services.writable_households`,
    worked out from the user's roles (already read for the request) and the household's active helper
    (already on the page), so the busy household page spends no query on it."""
    found = access.grants(user)
    if found is None:
        return True
    return any("plan" in access.ABILITIES.get(g.role, frozenset()) and g.low <= household.village_id <= g.high
               and (g.role != "helper" or helper_user_id == getattr(user, "pk", None)) for g in found)


def save_plan(user: object, household_id: int, year: object, goal: str, measures: Iterable[MeasureInput] = (),
              *, today: dt.date | None = None) -> HelpPlan:
    """Create or update the household's plan for `year` with its goal, adding the measures without an id and
    changing those with one. Raises PlanNotFound outside the user's scope, PlanRefused on bad input."""
    today = today or timezone.localdate()
    problems: list[Problem] = []
    household = writable_households(user).filter(pk=household_id).select_related("village").first()
    if household is None:
        raise PlanNotFound("户不存在或不在您可制定计划的范围内 / no such household where you may write plans")
    try:
        year_n = int(str(year).strip())
    except ValueError:
        year_n = 0
        problems.append(_problem("year", "须为四位年份", "must be a four-digit year"))
    if year_n and not FIRST_YEAR <= year_n <= today.year + 1:
        problems.append(_problem("year", f"须在 {FIRST_YEAR}–{today.year + 1} 之间",
                                 f"must be between {FIRST_YEAR} and {today.year + 1}"))
    goal = (goal or "").strip()
    if not goal:
        problems.append(_problem("goal", "必填", "is required"))
    elif len(goal) > GOAL_MAX:
        problems.append(_problem("goal", f"最多 {GOAL_MAX} 字", f"at most {GOAL_MAX} characters"))
    if household.status == choices.REMOVED:
        problems.append(_problem("household", "已清退的户不能制定计划", "a removed household gets no plan"))
    given = list(measures)
    if len(given) > MAX_MEASURES:
        problems.append(_problem("measures", f"一次最多 {MAX_MEASURES} 条", f"at most {MAX_MEASURES} at a time"))
    numbers = [m.row or i for i, m in enumerate(given, start=1)]
    cleaned = [_clean_measure(n, m, year_n, today, problems) for n, m in zip(numbers, given, strict=True)]
    cadre_ids = {c.values["cadre_id"] for c in cleaned if c.values.get("cadre_id")}
    if cadre_ids:
        # Only cadres the user may see: an id from elsewhere is refused, not looked up.
        visible = set(access.scope(Cadre.objects.filter(pk__in=cadre_ids), user, "home_area_id", ability="plan")
                      .values_list("pk", flat=True))
        for i, c in zip(numbers, cleaned, strict=True):
            if c.values.get("cadre_id") and c.values["cadre_id"] not in visible:
                problems.append(_problem("cadre", "不在您的区域内", "no such cadre in your area", i))
    try:
        with transaction.atomic():
            plan = HelpPlan.objects.select_for_update().filter(household=household, year=year_n).first()
            existing = {m.pk: m for m in plan.measures.all()} if plan else {}
            seen: set[int] = set()
            for i, c in zip(numbers, cleaned, strict=True):
                if c.id is None:
                    continue
                if c.id not in existing:
                    problems.append(_problem("id", "不是本计划的措施", "not a measure of this plan", i))
                elif c.id in seen:
                    problems.append(_problem("id", "重复提交", "given twice", i))
                seen.add(c.id)
            if problems:
                raise PlanRefused(problems)
            return _write(user, household, year_n, goal, plan, existing, cleaned, numbers)
    except IntegrityError as exc:
        # Two people creating the same household's plan for the same year at once: the later one is told.
        raise PlanRefused([_problem("plan", "该户该年度已有计划，请刷新后再改",
                                    "the household already has a plan for this year; reload and edit it")]) from exc


def _write(user: object, household: Household, year: int, goal: str, plan: HelpPlan | None,
           existing: dict[int, PlanMeasure], cleaned: list[_Clean], numbers: list[int]) -> HelpPlan:
    """Write what the form changed. A plan never approved is a draft: its changes apply at once (one
    "draft" revision keeps them). An approved plan keeps its content in force: progress applies at once
    (a "progress" revision), a content change becomes the plan's one pending revision for an approver."""
    who = actor(user)
    rows = list(zip(numbers, cleaned, strict=True))
    if plan is None:
        plan = HelpPlan.objects.create(household=household, year=year, goal=goal, drafted_by=user)  # type: ignore[misc]
        audit.record(who, "plan.create", object_type="help_plan", object_id=str(plan.pk), area=household.village_id,
                     household=household.number, year=year, goal=goal)
        changes = _changes("", goal, existing, rows, ALL_FIELDS)
        return _apply_now(user, household, plan, changes, "draft", created=True)
    if plan.approved_at is None:
        changes = _changes(plan.goal, goal, existing, rows, ALL_FIELDS)
        return _apply_now(user, household, plan, changes, "draft")
    # Approved: progress of the measures in force lands now; the content waits for approval.
    progress = _changes(goal, goal, existing, [(n, c) for n, c in rows if c.id is not None], PROGRESS_FIELDS)
    _apply_now(user, household, plan, progress, "progress")
    content = _changes(plan.goal, goal, existing, rows, CONTENT_FIELDS)
    _propose(user, household, plan, content)
    return plan


def _changes(old_goal: str, goal: str, existing: dict[int, PlanMeasure], rows: list[tuple[int, _Clean]],
             fields: tuple[str, ...]) -> dict[str, Any]:
    """The change from what is in force to what was submitted, as stored in `PlanRevision.changes`: the
    goal's [old, new] when it differs, and each measure's changed `fields` [old, new] (a measure without
    an id: every field, old null). Empty when nothing differs."""
    out: dict[str, Any] = {}
    if old_goal != goal:
        out["goal"] = [old_goal, goal]
    measures = []
    cadres: set[int] = set()
    for n, c in rows:
        if c.id is None:
            changed = {k: [None, _json(c.values[k])] for k in ALL_FIELDS}
            measures.append({"id": None, "row": n, "description": c.values["description"], "fields": changed})
        else:
            m = existing[c.id]
            changed = {k: [_json(getattr(m, k)), _json(c.values[k])] for k in fields if getattr(m, k) != c.values[k]}
            if changed:
                measures.append({"id": m.pk, "row": n, "description": m.description, "fields": changed})
        if "cadre_id" in changed:
            cadres |= {v for v in changed["cadre_id"] if v}
    if measures:
        out["measures"] = measures
    if cadres:
        out["cadres"] = {str(k): v for k, v in Cadre.objects.filter(pk__in=cadres).values_list("pk", "name")}
    return out


def _essence(changes: dict[str, Any]) -> Any:
    """What a change does, without what is only shown (form rows, descriptions, cadre names)."""
    return (changes.get("goal"), sorted((m["id"] or 0, sorted((k, v[1]) for k, v in m["fields"].items()))
                                        for m in changes.get("measures", [])))


def _apply_now(user: object, household: Household, plan: HelpPlan, changes: dict[str, Any], status: str,
               *, created: bool = False) -> HelpPlan:
    """Write `changes` to the plan and its measures at once, kept as a revision of `status`."""
    if not changes.get("goal") and not changes.get("measures"):
        return plan
    who = actor(user)
    revision = PlanRevision.objects.create(plan=plan, status=status, changes=changes, proposed_by=user,  # type: ignore[misc]
                                           proposed_at=timezone.now())
    _put_in_force(who, household, plan, changes, revision, audit_goal=not created)
    return plan


def _put_in_force(who: str, household: Household, plan: HelpPlan, changes: dict[str, Any], revision: PlanRevision,
                  *, audit_goal: bool = True) -> None:
    """Write a revision's new values into the plan and its measures, one audit row per row written."""
    area = household.village_id
    common: dict[str, Any] = {"household": household.number, "year": plan.year, "revision": revision.pk}
    if "goal" in changes:
        plan.goal = changes["goal"][1]
        plan.save(update_fields=["goal", "updated_at"])
        if audit_goal:
            audit.record(who, "plan.update", object_type="help_plan", object_id=str(plan.pk), area=area,
                         changed={"goal": changes["goal"]}, **common)
    measures = {m.pk: m for m in plan.measures.filter(pk__in=[c["id"] for c in changes.get("measures", []) if c["id"]])}
    for change in changes.get("measures", []):
        values = {k: _parse(k, v[1]) for k, v in change["fields"].items()}
        if change["id"] is None:
            measure = PlanMeasure.objects.create(plan=plan, **values)
            audit.record(who, "plan.measure.add", object_type="plan_measure", object_id=str(measure.pk), area=area,
                         plan=plan.pk, **{k: _json(v) for k, v in values.items()}, **common)
            continue
        measure = measures[change["id"]]
        for k, v in values.items():
            setattr(measure, k, v)
        measure.save(update_fields=[*values, "updated_at"])
        audit.record(who, "plan.measure.update", object_type="plan_measure", object_id=str(measure.pk), area=area,
                     plan=plan.pk, changed=change["fields"], **common)


def _parse(key: str, value: Any) -> Any:
    """A stored JSON value back to the model's type."""
    if value is None:
        return None
    if key == "amount":
        return Decimal(value)
    if key in ("due_on", "done_on"):
        return dt.date.fromisoformat(value)
    return value


def pending_revision(plan: HelpPlan, *, lock: bool = False) -> PlanRevision | None:
    qs = PlanRevision.objects.filter(plan=plan, status="pending")
    return (qs.select_for_update() if lock else qs).first()


def _propose(user: object, household: Household, plan: HelpPlan, changes: dict[str, Any]) -> None:
    """Make `changes` (to an approved plan's content) its pending revision: a new proposal supersedes the
    one waiting; the same proposal again writes nothing; no change at all withdraws the one waiting."""
    who, area = actor(user), household.village_id
    waiting = pending_revision(plan, lock=True)
    empty = not changes.get("goal") and not changes.get("measures")
    if waiting is not None and not empty and _essence(waiting.changes) == _essence(changes):
        return
    if empty:
        if waiting is not None:
            waiting.status = "withdrawn"
            waiting.save(update_fields=["status"])
            audit.record(who, "plan.revision.withdraw", object_type="plan_revision", object_id=str(waiting.pk),
                         area=area, household=household.number, year=plan.year, plan=plan.pk)
        return
    if waiting is not None:  # first out of the way: one pending revision per plan is a database rule
        waiting.status = "withdrawn"
        waiting.save(update_fields=["status"])
    revision = PlanRevision.objects.create(plan=plan, status="pending", changes=changes, proposed_by=user,  # type: ignore[misc]
                                           proposed_at=timezone.now())
    if waiting is not None:
        waiting.status, waiting.superseded_by = "superseded", revision
        waiting.save(update_fields=["status", "superseded_by"])
    audit.record(who, "plan.revision.propose", object_type="plan_revision", object_id=str(revision.pk), area=area,
                 household=household.number, year=plan.year, plan=plan.pk, changes=changes,
                 supersedes=waiting.pk if waiting is not None else None)


def may_approve_village(user: object, village: str) -> bool:
    """An officer role ("approve_plan") at township level or above whose subtree holds the village."""
    found = access.grants(user)
    if found is None:
        return True
    return any("approve_plan" in access.ABILITIES.get(g.role, frozenset()) and g.low <= village <= g.high
               and LEVEL_DEPTH[g.level] <= LEVEL_DEPTH[APPROVER_LEVEL] for g in found)


def _approvable(user: object, plan_id: int) -> HelpPlan:
    """The plan, locked, when the user may approve it; PlanNotFound outside their approving scope,
    PlanRefused below township level."""
    plan = (access.households(HelpPlan.objects.filter(pk=plan_id), user, prefix="household__", ability="approve_plan")
            .select_for_update().select_related("household").first())
    if plan is None:
        raise PlanNotFound("计划不存在或不在您可审核的范围内 / no such plan where you may approve")
    if not may_approve_village(user, plan.household.village_id):
        raise PlanRefused([_problem("plan", "须由乡镇级及以上干部审核", "is approved by a township or county officer")])
    return plan


def approve_plan(user: object, plan_id: int) -> HelpPlan:
    """Sign the plan off: a plan never approved as it stands, or an approved plan's pending revision, which
    then comes into force. PlanNotFound outside the user's approving scope; PlanRefused when there is
    nothing to approve, when it would leave no live measure, when what the revision changes is no longer
    what is in force, or when the user's officer role is below township level."""
    with transaction.atomic():
        plan = _approvable(user, plan_id)
        now = timezone.now()
        if plan.approved_at is None:
            if not plan.measures.exclude(status="cancelled").exists():
                raise PlanRefused([_problem("plan", "没有有效的帮扶措施，不能审核", "has no live measure to approve")])
            # The drafts were the content now approved: they are approved with it.
            plan.revisions.filter(status="draft").update(status="approved", decided_by=user, decided_at=now)
            action, detail = "plan.approve", {}
        else:
            revision = pending_revision(plan, lock=True)
            if revision is None:
                raise PlanRefused([_problem("plan", "已经审核，且没有待审核的修改", "is already approved and has no change to approve")])
            _check_still_in_force(plan, revision.changes)
            _put_in_force(actor(user), plan.household, plan, revision.changes, revision)
            if not plan.measures.exclude(status="cancelled").exists():
                raise PlanRefused([_problem("plan", "修改后没有有效的帮扶措施，不能审核", "would have no live measure")])
            revision.status, revision.decided_by, revision.decided_at = "approved", user, now  # type: ignore[assignment]
            revision.save(update_fields=["status", "decided_by", "decided_at"])
            action, detail = "plan.revision.approve", {"revision": revision.pk, "changes": revision.changes}
        plan.approved_by, plan.approved_at = user, now  # type: ignore[assignment]
        plan.save(update_fields=["approved_by", "approved_at", "updated_at"])
        audit.record(actor(user), action, object_type="help_plan", object_id=str(plan.pk),
                     area=plan.household.village_id, household=plan.household.number, year=plan.year, **detail)
    return plan


def _check_still_in_force(plan: HelpPlan, changes: dict[str, Any]) -> None:
    """Refuse a revision whose "old" values are no longer what is in force (it would overwrite unseen)."""
    stale = "goal" in changes and changes["goal"][0] != plan.goal
    ids = [m["id"] for m in changes.get("measures", []) if m["id"]]
    now = {m.pk: m for m in plan.measures.filter(pk__in=ids)}
    for m in changes.get("measures", []):
        if m["id"] is None:
            continue
        current = now.get(m["id"])
        stale = stale or current is None or any(_json(getattr(current, k)) != v[0] for k, v in m["fields"].items())
    if stale:
        raise PlanRefused([_problem("plan", "待审核的修改所依据的内容已变化，请重新修改",
                                    "what the change was made against has changed since: edit the plan again")])


def reject_revision(user: object, plan_id: int) -> PlanRevision:
    """Turn the plan's pending revision down: the approved content stays in force. Same scope as approval."""
    with transaction.atomic():
        plan = _approvable(user, plan_id)
        revision = pending_revision(plan, lock=True)
        if revision is None:
            raise PlanRefused([_problem("plan", "没有待审核的修改", "has no change awaiting approval")])
        revision.status, revision.decided_by, revision.decided_at = "rejected", user, timezone.now()  # type: ignore[assignment]
        revision.save(update_fields=["status", "decided_by", "decided_at"])
        audit.record(actor(user), "plan.revision.reject", object_type="plan_revision", object_id=str(revision.pk),
                     area=plan.household.village_id, household=plan.household.number, year=plan.year, plan=plan.pk)
    return revision


# --------------------------------------------------------------------------- reading, for the pages


def household_causes(household: Household) -> list[str]:
    """The household's causes of poverty: the primary one first, then the others, each once."""
    causes = [household.primary_cause, *[c for c in household.secondary_causes.split(",") if c]]
    return list(dict.fromkeys(c for c in causes if c))


def uncovered_causes(causes: Sequence[str], categories: Iterable[str]) -> list[str]:
    """The causes no live measure of these categories addresses (see `CAUSE_MEASURES`)."""
    live = set(categories)
    return [c for c in causes if not (CAUSE_MEASURES.get(c, frozenset()) & live)]


MEASURE_VALUES = ("measures__id", "measures__category", "measures__description", "measures__amount",
                  "measures__cadre__name", "measures__due_on", "measures__status", "measures__done_on",
                  "measures__result")


# Compiled once (jingzhun.db.prepared): the household page asks it on every view.
HOUSEHOLD_PLANS = Prepared(lambda household: HelpPlan.objects.filter(household_id=household)
                           .order_by("-year", "measures__id")
                           .values("id", "year", "goal", "drafted_at", "updated_at", "approved_at",
                                   "drafted_by__username", "approved_by__username", *MEASURE_VALUES))


def household_plans(household: Household) -> list[dict[str, Any]]:
    """Every plan of the household, newest year first, each with its measures — in ONE query (plans left
    joined to their measures and cadres, and to the drafting and approving users): the household page is
    the busiest page of the application."""
    rows = HOUSEHOLD_PLANS(household.pk)
    plans: dict[int, dict[str, Any]] = {}
    causes = household_causes(household)
    for r in rows:
        plan = plans.get(r["id"])
        if plan is None:
            plan = plans[r["id"]] = {
                "id": r["id"], "year": r["year"], "goal": r["goal"], "drafted_at": r["drafted_at"],
                "updated_at": r["updated_at"], "approved_at": r["approved_at"],
                "drafted_by": r["drafted_by__username"], "approved_by": r["approved_by__username"],
                "measures": [], "amount": Decimal(0),
            }
        if r["measures__id"] is None:
            continue
        m = {k.removeprefix("measures__"): v for k, v in r.items() if k.startswith("measures__")}
        m["cadre"] = m.pop("cadre__name")
        m["category_label"] = MEASURE_CATEGORY.label(m["category"])
        m["status_label"] = MEASURE_STATUS.label(m["status"])
        plan["measures"].append(m)
        if m["status"] != "cancelled":
            plan["amount"] += m["amount"]
    for plan in plans.values():
        live = [m["category"] for m in plan["measures"] if m["status"] != "cancelled"]
        plan["uncovered"] = [choices.CAUSE.label(c) for c in uncovered_causes(causes, live)]
        plan["revisions"], plan["pending"] = [], None
    if plans:
        # Every change of these plans, newest first: one more query, by the plans' ids (no join).
        for r in (PlanRevision.objects.filter(plan_id__in=list(plans)).order_by("-proposed_at", "-id")
                  .values(*REVISION_VALUES)):
            shown = revision_view(r)
            plans[r["plan_id"]]["revisions"].append(shown)
            if r["status"] == "pending":
                plans[r["plan_id"]]["pending"] = shown
    return list(plans.values())


def _pick(zh: str, en: str) -> str:
    from django.utils import translation

    return en if (translation.get_language() or "zh-hans").startswith("en") else zh


@dataclass(frozen=True)
class Bilingual:
    """A name shown in the active language when it is rendered (the audit page's action names)."""

    zh: str
    en: str

    def __str__(self) -> str:
        return _pick(self.zh, self.en)


# The audit actions of revisions, for the audit page's table of names (jingzhun.web.views.audit.ACTIONS).
AUDIT_ACTIONS = {
    "plan.revision.propose": Bilingual("帮扶计划修改待审核", "help plan change proposed"),
    "plan.revision.approve": Bilingual("帮扶计划修改已审核", "help plan change approved"),
    "plan.revision.reject": Bilingual("帮扶计划修改未通过", "help plan change rejected"),
    "plan.revision.withdraw": Bilingual("帮扶计划修改已撤回", "help plan change withdrawn"),
}


def _shown(key: str, value: Any, cadres: dict[str, str]) -> str:
    """A stored value as the page shows it, in the active language."""
    if value is None or value == "":
        return "—"
    if key == "category":
        return MEASURE_CATEGORY.label(value)
    if key == "status":
        return MEASURE_STATUS.label(value)
    if key == "cadre_id":
        return cadres.get(str(value), f"#{value}")
    return str(value)


def change_lines(changes: dict[str, Any]) -> list[dict[str, str]]:
    """A revision's changes as lines of what changed, old and new, in the active language."""
    cadres = changes.get("cadres", {})
    lines = []
    if "goal" in changes:
        lines.append({"what": _pick(*FIELDS["goal"]), "old": _shown("goal", changes["goal"][0], cadres),
                      "new": _shown("goal", changes["goal"][1], cadres)})
    for m in changes.get("measures", []):
        # In the fields' own order: PostgreSQL's jsonb keeps a dict's keys in an order of its own.
        fields = [(k, m["fields"][k]) for k in ALL_FIELDS if k in m["fields"]]
        if m["id"] is None:
            new = " · ".join(_shown(k, v[1], cadres) for k, v in fields if v[1] not in (None, ""))
            lines.append({"what": _pick(f"新增措施（第 {m['row']} 条）", f"measure added (row {m['row']})"),
                          "old": "—", "new": new})
            continue
        for k, (old, new) in fields:
            name = _pick(*FIELDS["cadre" if k == "cadre_id" else k])
            lines.append({"what": f"「{m['description']}」{_pick('的', ': ')}{name}",
                          "old": _shown(k, old, cadres), "new": _shown(k, new, cadres)})
    colon = _pick("：", ": ")
    return [line | {"what": line["what"] + colon} for line in lines]


REVISION_VALUES = ("id", "plan_id", "status", "changes", "proposed_by__username", "proposed_at", "decided_by__username",
                   "decided_at", "superseded_by_id")


def plan_revisions(plan: HelpPlan) -> list[dict[str, Any]]:
    """The plan's changes for the pages, newest first."""
    return [revision_view(r) for r in PlanRevision.objects.filter(plan=plan).order_by("-proposed_at", "-id")
            .values(*REVISION_VALUES)]


def revision_view(r: dict[str, Any]) -> dict[str, Any]:
    """A revision row (as `values()` gives it) for the pages: who, when, each change, what became of it."""
    return {"id": r["id"], "status": r["status"], "status_label": REVISION_STATUS.label(r["status"]),
            "proposed_by": r["proposed_by__username"], "proposed_at": r["proposed_at"],
            "decided_by": r["decided_by__username"], "decided_at": r["decided_at"],
            "superseded_by": r["superseded_by_id"], "lines": change_lines(r["changes"])}
