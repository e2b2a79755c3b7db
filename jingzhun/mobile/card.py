"""A household's card on the phone: its members with masked IDs and the year of birth (the access layer's
household rule decides who sees it), and — for the household's own active helper only — each member's
health, the one sensitive fact a helper needs for their work; every showing of it is audited."""

from __future__ import annotations

from typing import Any

from jingzhun import choices, crypto
from jingzhun.identity import mask
from jingzhun.registry import sensitive
from jingzhun.registry.models import Household, Member
from jingzhun.teams.health import helper_health


def members(user: object, household: Household) -> list[dict[str, Any]]:
    health = helper_health(user, household.pk, household.village_id) or {}
    ids = crypto.resident_id_cipher()
    return [{"name": m["name"], "relation": choices.RELATION.label(m["relation"]),
             "sex": choices.SEX.label(m["sex"]), "born": sensitive.shown_birth_date(user, m["birth_date"]),
             "resident_id": mask(ids.decrypt(bytes(m["resident_id_cipher"]))), "health": health.get(m["position"])}
            for m in Member.objects.filter(household=household).order_by("position").values(
                "position", "name", "relation", "sex", "birth_date", "resident_id_cipher")]
