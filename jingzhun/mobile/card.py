"""A household's card on the phone: its members with masked IDs and the year of birth (the access layer's
household rule decides who sees it), and — for the household's own active helper only — each member's
health, the one sensitive fact a helper needs for their work; every showing of it is audited."""

from __future__ import annotations

from typing import Any

from jingzhun import choices, crypto
from jingzhun.audit import log as audit
from jingzhun.identity import mask
from jingzhun.registry import sensitive
from jingzhun.registry.models import Household, Member
from jingzhun.teams.models import HelperPair


def is_own_helper(user: object, household_id: int) -> bool:
    """The user is the household's active helper (its open pair's cadre is the user)."""
    return HelperPair.objects.filter(household_id=household_id, end_date__isnull=True,
                                     cadre__user_id=getattr(user, "pk", 0) or 0).exists()


def members(user: object, household: Household) -> list[dict[str, Any]]:
    own = is_own_helper(user, household.pk)
    ids, health = crypto.resident_id_cipher(), crypto.health_cipher()
    rows = []
    for m in Member.objects.filter(household=household).order_by("position").values(
            "position", "name", "relation", "sex", "birth_date", "resident_id_cipher", "health_cipher"):
        row = {"name": m["name"], "relation": choices.RELATION.label(m["relation"]),
               "sex": choices.SEX.label(m["sex"]), "born": sensitive.shown_birth_date(user, m["birth_date"]),
               "resident_id": mask(ids.decrypt(bytes(m["resident_id_cipher"]))), "health": None}
        if own:
            state, _, grade = health.decrypt(bytes(m["health_cipher"])).partition(":")
            row["health"] = choices.HEALTH.label(state) + (f"（{grade}级）" if grade else "")
        rows.append(row)
    if own and rows:
        audit.record(str(user), "health.shown", object_type="household", object_id=str(household.pk),
                     area=household.village_id, household=household.pk, fields=["health"])
    return rows
