"""The exit pipeline of an area for a user: the households, villages and counties that may exit now, and
those blocked with what blocks them (中文 / English).

Households come from the bulk check (`households.check`, on `settings.EXIT_ENGINE`, DuckDB unless set)
over the area's code range, then narrowed to what the user may see (`access.household_q`, the
`dashboard` ability) in SQL before any number or name is read: the check reads only codes and
integers; the page's words come from the rows the user may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from jingzhun import access, choices
from jingzhun.areas.models import Area
from jingzhun.exits import areas, codes, households
from jingzhun.policy.exit import ExitRules
from jingzhun.registry.models import Household

ABILITY = areas.ABILITY
SHOWN = 200
ALL = ("000000000000", "999999999999")


@dataclass
class HouseholdLine:
    number: str
    village: str
    village_name: str
    reasons: list[str]


@dataclass
class Pipeline:
    year: int
    policy: str
    eligible: list[HouseholdLine] = field(default_factory=list)
    blocked: list[HouseholdLine] = field(default_factory=list)
    eligible_total: int = 0
    blocked_total: int = 0
    villages: list[areas.AreaVerdict] = field(default_factory=list)
    counties: list[areas.AreaVerdict] = field(default_factory=list)


def engine() -> str:
    return str(getattr(settings, "EXIT_ENGINE", households.ENGINE))


def build(rules: ExitRules, user: object, area: Area | None, *, shown: int = SHOWN) -> Pipeline:
    span = area.code_range if area is not None else None
    result = households.check(rules, engine=engine(), span=span)
    out = Pipeline(rules.year, rules.exit.name)
    rows = {r["household_id"]: r for r in result.to_pylist()}
    # What the user may see, in SQL: the same households (on the poor list, in the range), narrowed to the
    # user's; a household the check did not see (it changed meanwhile) is left out until the next look.
    low, high = span or ALL
    mine = access.households(Household.objects.filter(status__in=list(choices.POOR_NOW), village_id__gte=low,
                                                      village_id__lte=high), user, ability=ABILITY)
    for pk, number, village, village_name in mine.order_by("village_id", "number").values_list(
            "pk", "number", "village_id", "village__name").iterator(chunk_size=2000):
        row = rows.get(pk)
        if row is None:
            continue
        target, said = (out.eligible, []) if row["eligible"] else (out.blocked, codes.words(rules, row))
        if row["eligible"]:
            out.eligible_total += 1
        else:
            out.blocked_total += 1
        if len(target) < shown:
            target.append(HouseholdLine(number, village, village_name, said))
    whole = area if area is not None else _everything()
    out.villages = areas.villages(rules, user, whole)
    out.counties = areas.counties(rules, user, whole)
    return out


def _everything() -> Any:
    """A stand-in area over every code (an unrestricted user's start)."""
    return _All()


class _All:
    code, level = "000000000000", "nation"
    code_range = ALL
