"""Decisions on the shortlist and the flags: promote / commend / talk / adjust / hold accountable / no action,
each with its reason (required), its date and who decided, audited with the unit's area. The unit's area is
looked up in the records (`units.area_of`); a unit outside the deciding user's areas is "not found", the same
answer as a unit that does not exist."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from jingzhun import access
from jingzhun.assessment import units
from jingzhun.assessment.catalogue import UNIT_TYPES
from jingzhun.assessment.models import DECISION, DECISION_SUBJECT, Decision
from jingzhun.audit.log import record

MAX_REASON = 2000


class DecisionError(ValueError):
    pass


class NotFound(DecisionError):
    """No such unit, or outside the user's areas (one answer for both)."""


def _area(user: object | None, unit_type: str, unit: str) -> str:
    area = units.area_of(unit_type, unit) if unit_type in UNIT_TYPES else None
    if area is None or (user is not None and not access.can_see_area(user, area, ability="assess")):
        raise NotFound(f"考核对象 {unit} 不存在或不在您的权限范围内 / no unit {unit} within your areas")
    return area


def decide(user: object | None, *, subject: str, unit_type: str, unit: str, year: int, decision: str, reason: str,
           on: dt.date | None = None, actor: str) -> Decision:
    """Record a decision. DecisionError (nothing written) without a reason, with an unknown decision or subject,
    or for a unit the user may not decide on."""
    if user is not None and not access.may(user, "assess"):
        raise NotFound("没有考核权限 / no assessment role")
    area = _area(user, unit_type, str(unit))
    if decision not in DECISION.codes:
        raise DecisionError(f"处理决定须为 {'、'.join(DECISION.codes)} 之一 / the decision must be one of "
                            f"{', '.join(DECISION.codes)}")
    if subject not in DECISION_SUBJECT.codes:
        raise DecisionError(f"事由须为 {'、'.join(DECISION_SUBJECT.codes)} 之一 / the subject must be one of "
                            f"{', '.join(DECISION_SUBJECT.codes)}")
    reason = (reason or "").strip()
    if not reason:
        raise DecisionError("处理决定须说明理由 / a decision needs a reason")
    if len(reason) > MAX_REASON:
        raise DecisionError(f"理由不能超过 {MAX_REASON} 字 / the reason is longer than {MAX_REASON} characters")
    with transaction.atomic():
        row = Decision.objects.create(subject=subject, unit_type=unit_type, unit=str(unit), area_code=area,
                                      year=int(year), decision=decision, reason=reason,
                                      decided_on=on or timezone.localdate(), decided_by=actor,
                                      created_at=timezone.now())
        record(actor, "assessment.decide", object_type="assessment_decision", object_id=str(row.pk), area=area,
               subject=subject, unit_type=unit_type, unit=str(unit), year=int(year), decision=decision,
               reason=reason, on=row.decided_on.isoformat())
    return row


def visible(user: object | None) -> QuerySet[Decision]:
    qs = Decision.objects.all()
    return qs if user is None else access.scope(qs, user, "area_code", ability="assess")
