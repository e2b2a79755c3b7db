"""Sign-off of a township's indicator figures (DHIS2-style approval): the township submits its values for a
period; the county approves or returns them with a reason; then the city and the province approve in turn.

Who may take a step is the appraisal's rule (`access.step_ranges`): an officer holding the role at the
step's level or above, over the township — submitting is a township step, each approval a step of its level.
A submission names the snapshot version it carries; once the county has approved it, those figures are
frozen: later computations make new versions, the approved one stays readable and `shown_version` says which
version a page shows. Every step is audited with the township as its area. A township outside the user's
areas is "not found", as everywhere (no disclosure that it exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.assessment.models import Signoff, SignoffStep
from jingzhun.assessment.snapshots import AssessmentError, latest_version, period_key
from jingzhun.audit.log import record

APPROVAL_LEVELS = ("county", "city", "province")


class SignoffError(AssessmentError):
    pass


class NotFound(SignoffError):
    """The township does not exist, or lies outside the user's areas (the same answer for both)."""


def _actor(user: object) -> str:
    return str(getattr(user, "username", "") or user)


def _township(user: object, code: str, level: str) -> Area:
    area = Area.objects.filter(code=code, level="township").first()
    if area is None or not access.may_step(user, code, level):
        raise NotFound(f"乡镇 {code} 不存在或不在您的权限范围内 / no township {code} within your areas")
    return area


def _step(signoff: Signoff, action: str, level: str, user: object, reason: str = "") -> None:
    now = timezone.now()
    signoff.updated_by, signoff.updated_at = _actor(user), now
    signoff.save()
    SignoffStep.objects.create(signoff=signoff, action=action, level=level, version=signoff.version, reason=reason,
                               actor=_actor(user), at=now)
    record(_actor(user), f"assessment.signoff.{action}", object_type="assessment_signoff", object_id=str(signoff.pk),
           area=signoff.township, period=signoff.period, version=signoff.version, level=level, reason=reason)


def submit(user: object, township: str, year: int) -> Signoff:
    """Submit the township's latest figures of the year. Refused while they are submitted or approved."""
    _township(user, township, "township")
    period = period_key(year)
    version = latest_version(period)
    if version is None:
        raise SignoffError(f"{period} 年尚未计算指标 / no figures computed for {period}")
    with transaction.atomic():
        found = Signoff.objects.select_for_update().filter(township=township, period=period).first()
        if found is not None and found.state != "returned":
            raise SignoffError(f"乡镇 {township} {period} 年的指标已报送（{found.get_state_display()}）/ already "
                               f"{found.state}")
        signoff = found or Signoff(township=township, period=period)
        signoff.version, signoff.state, signoff.level, signoff.reason = version, "submitted", "", ""
        try:
            # A first submit has no row to lock: two at the same instant both create one, and the unique
            # (township, period) lets one in; the other waits for it (PostgreSQL) and is refused like a
            # submit that found the row. A savepoint keeps the transaction usable for the answer.
            with transaction.atomic():
                _step(signoff, "submit", "township", user)
        except IntegrityError:
            raise SignoffError(f"乡镇 {township} {period} 年的指标已报送 / already submitted") from None
    return signoff


def _waiting_at(signoff: Signoff) -> str | None:
    """The level whose approval the sign-off waits for, None when nothing waits (returned, fully approved)."""
    if signoff.state == "submitted":
        return "county"
    if signoff.state == "approved" and signoff.level != "province":
        return APPROVAL_LEVELS[APPROVAL_LEVELS.index(signoff.level) + 1]
    return None


def _decide(user: object, township: str, year: int, level: str) -> Signoff:
    if level not in APPROVAL_LEVELS:
        raise SignoffError(f"审核层级须为 {', '.join(APPROVAL_LEVELS)} / the level must be one of "
                           f"{', '.join(APPROVAL_LEVELS)}")
    _township(user, township, level)
    found = Signoff.objects.select_for_update().filter(township=township, period=period_key(year)).first()
    if found is None or _waiting_at(found) != level:
        raise SignoffError(f"乡镇 {township} {year} 年的指标不在待{level}审核状态 / not waiting for the {level}'s "
                           "decision")
    return found


def approve(user: object, township: str, year: int, level: str) -> Signoff:
    """Approve at `level` (county, then city, then province). From the county's approval on, frozen."""
    with transaction.atomic():
        signoff = _decide(user, township, year, level)
        signoff.state, signoff.level = "approved", level
        _step(signoff, "approve", level, user)
    return signoff


def send_back(user: object, township: str, year: int, level: str, reason: str) -> Signoff:
    """Return the figures to the township with a reason (no return without one); it may submit again."""
    reason = (reason or "").strip()
    if not reason:
        raise SignoffError("退回须说明原因 / a return needs a reason")
    with transaction.atomic():
        signoff = _decide(user, township, year, level)
        signoff.state, signoff.level, signoff.reason = "returned", "", reason[:500]
        _step(signoff, "return", level, user, reason[:500])
    return signoff


@dataclass(frozen=True)
class Shown:
    version: int | None  # the version a page shows (None: nothing computed)
    frozen: bool  # True: approved figures, whatever later versions say
    latest: int | None  # the latest version, for "newer figures exist"
    signoff: Signoff | None


def shown_version(code: str, year: int) -> Shown:
    """Which version a page about the area `code` (a township or a village in it) shows for the year: the
    approved version of its township's sign-off when there is one (frozen), else the latest."""
    period = period_key(year)
    latest = latest_version(period)
    township = code[:9].ljust(12, "0") if len(code) == 12 and code[6:9] != "000" else None
    found = Signoff.objects.filter(township=township, period=period).first() if township else None
    if found is not None and found.state == "approved":
        return Shown(found.version, True, latest, found)
    return Shown(latest, False, latest, found)
