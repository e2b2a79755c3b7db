"""A helper's view of their own households' health: the one sensitive fact a helper needs for their work, shown
to the household's own active helper only (on the web's household page and the phone's card), each showing
audited. Here, not in jingzhun.registry.sensitive, because it asks the pairs (teams) who the helper is."""

from __future__ import annotations

from jingzhun import choices, crypto
from jingzhun.audit import log as audit
from jingzhun.registry.models import Member
from jingzhun.teams.models import HelperPair


def helper_health(user: object, household_id: int, village: str) -> dict[int, str] | None:
    """Member position → health ("患病（2级）"…) for the household's own active helper, the one sensitive fact a
    helper needs for their work; None for anyone else. Every showing is audited ("health.shown")."""
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
