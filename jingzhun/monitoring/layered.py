"""The county's one list (分层分类帮扶对象清单, from 2026): everyone the county must help and why — the
monitored households and those at risk (a case in progress), households under minimum living allowance
(低保) or destitute support (特困) by the register's household category, and households with a member
receiving either. A household appears once, with every reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from jingzhun import access, choices
from jingzhun.monitoring.kinds import KIND, OPEN_STATES, STATE
from jingzhun.monitoring.models import Case
from jingzhun.registry.models import Household, Member

FIRST_YEAR = 2026



@dataclass
class Row:
    household_id: int
    number: str
    village: str
    reasons: list[str] = field(default_factory=list)  # "中文 / English"


def county_list(user: object, county: str) -> list[Row]:
    """The county's list, within the user's areas (a helper: their own households). `county` is a 12-digit
    code; ValueError when there is no such area."""
    from jingzhun.monitoring.cases import follow

    follow()
    households = access.households(Household.objects.all(), user, ability="monitor")
    households = access.within_area(households, "village_id", county)
    rows: dict[int, Row] = {}
    reasons: dict[int, list[str]] = defaultdict(list)

    def add(pk: int, number: str, village: str, reason: str) -> None:
        rows.setdefault(pk, Row(pk, number, village))
        reasons[pk].append(reason)

    cases = Case.objects.filter(household__in=households.values("pk"), state__in=OPEN_STATES).values_list(
        "household_id", "household__number", "household__village_id", "state", "kind")
    for pk, number, village, state, kind in cases:
        zh, en = (("防返贫监测对象", "monitored") if state in ("monitored", "elimination")
                  else ("风险户（" + STATE.zh(state) + "）", f"at risk ({state})"))
        add(pk, number, village, f"{zh}：{KIND.zh(kind)} / {en}: {kind}")
    for pk, number, village, category in households.filter(category__in=("dibao", "tekun")).values_list(
            "pk", "number", "village_id", "category"):
        add(pk, number, village, f"{choices.HOUSEHOLD_CATEGORY.zh(category)} / {category}")
    members = (Member.objects.filter(household__in=households.values("pk"), assistance__in=("dibao", "tekun"))
               .values_list("household_id", "household__number", "household__village_id", "assistance").distinct())
    for pk, number, village, kind in members:
        label = choices.ASSISTANCE.zh(kind)
        reason = f"家庭成员享受{label} / a member receives {kind}"
        if reason not in reasons[pk]:
            add(pk, number, village, reason)
    out = []
    for pk, row in rows.items():
        row.reasons = reasons[pk]
        out.append(row)
    return sorted(out, key=lambda r: (r.village, r.number))
