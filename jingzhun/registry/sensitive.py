"""Sensitive personal information on screen: masked by default, revealed only with permission and
always with an audit row (who, what, when, from where)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied

from jingzhun import crypto
from jingzhun.audit import log as audit
from jingzhun.identity import mask
from jingzhun.registry.models import Member

REVEAL_PERMISSION = "registry.reveal_sensitive"


def may_reveal(user: object) -> bool:
    return bool(getattr(user, "has_perm", lambda p: False)(REVEAL_PERMISSION))


def shown_birth_date(user: object, born: dt.date | None) -> str:
    """The birth date as a user may see it beside a masked ID: in full only with the reveal permission,
    otherwise the year alone. The mask hides an ID's digits 7–14, which are exactly the birth date; shown
    together with the full date, the masked ID is the whole ID (the check digit is computed). With the
    year alone about 365 dates remain, of which the check digit keeps about 33: no ID can be rebuilt."""
    if born is None:
        return ""
    return born.isoformat() if may_reveal(user) else f"{born.year}"


def masked_resident_id(member: Member) -> str:
    return mask(crypto.resident_id_cipher().decrypt(bytes(member.resident_id_cipher)))


def reveal(user: object, member: Member, *, address: str = "", area: str = "") -> dict[str, str]:
    """The member's resident ID, health status and disability grade in clear, for a permitted user. The
    audit row carries the member's village (`area`, by default), so the village's officers see it."""
    area = area or member.household.village_id
    if not may_reveal(user):
        audit.record(str(user), "reveal_denied", object_type="member", object_id=str(member.pk), address=address,
                     area=area)
        raise PermissionDenied("没有查看敏感信息的权限 / no permission to reveal sensitive information")
    health, _, grade = crypto.health_cipher().decrypt(bytes(member.health_cipher)).partition(":")
    audit.record(str(user), "reveal", object_type="member", object_id=str(member.pk), address=address, area=area,
                 fields=["resident_id", "health", "disability_grade"])
    return {
        "resident_id": crypto.resident_id_cipher().decrypt(bytes(member.resident_id_cipher)),
        "health": health,
        "disability_grade": grade,
    }


def helper_health(user: object, household_id: int, village: str) -> dict[int, str] | None:
    """Member position → health ("患病（2级）"…) for the household's own active helper, the one sensitive fact a
    helper needs for their work; None for anyone else. Every showing is audited ("health.shown")."""
    from jingzhun import choices
    from jingzhun.teams.models import HelperPair

    if not HelperPair.objects.filter(household_id=household_id, end_date__isnull=True,
                                     cadre__user_id=getattr(user, "pk", 0) or 0).exists():
        return None
    cipher = crypto.health_cipher()
    shown = {}
    for position, sealed in Member.objects.filter(household_id=household_id).values_list("position", "health_cipher"):
        state, _, grade = cipher.decrypt(bytes(sealed)).partition(":")
        shown[position] = choices.HEALTH.label(state) + (f"（{grade}级）" if grade else "")
    if shown:
        audit.record(str(user), "health.shown", object_type="household", object_id=str(household_id), area=village,
                     household=household_id, fields=["health"])
    return shown
