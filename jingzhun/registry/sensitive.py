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

