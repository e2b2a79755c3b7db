"""The exit check of one household, in plain Python from the ORM: what the workflow asks when an exit is
proposed (inside its transaction, where an engine's own connection would not see uncommitted rows).

It is the policy's words written a second time, on purpose small; tests hold it to the bulk check
(`jingzhun.exits.households`) household by household. Money in exact fractions: ``net > line × size``.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from jingzhun import choices
from jingzhun.exits import codes
from jingzhun.identification.codes import GUARANTEE_NAMES
from jingzhun.policy.exit import ExitRules
from jingzhun.policy.model import Check
from jingzhun.registry.models import Household


def _holds(check: Check, value: Any) -> bool:
    if value is None:
        return False  # a missing value satisfies no check, as in the engines
    v = check.value
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        value = Fraction(value)
        v = [Fraction(str(x)) for x in v] if isinstance(v, list) else Fraction(str(v))
    return {"eq": lambda: value == v, "ne": lambda: value != v, "in": lambda: value in v,
            "not_in": lambda: value not in v, "lt": lambda: value < v, "le": lambda: value <= v,
            "gt": lambda: value > v, "ge": lambda: value >= v}[check.op]()


def _check_holds(check: Check, hh: Household, members: list[Any], incomes: dict[int, Any], year: int) -> bool:
    if check.field == "household_size":
        return _holds(check, len(members))
    if check.field == "age" or check.members is not None:
        values = [year - m.birth_date.year if check.field == "age" else getattr(m, check.field) for m in members]
        results = [_holds(check, x) for x in values]
        return all(results) if check.members == "all" else any(results)
    if hasattr(hh, check.field):
        return _holds(check, getattr(hh, check.field))
    income = incomes.get(year)
    return income is not None and _holds(check, getattr(income, check.field))


def check_household(rules: ExitRules, household: Household) -> dict[str, Any]:
    """One result row, as the bulk check gives it (plus `on_list`: the household is poor or returned)."""
    members = list(household.members.all())
    years = rules.years()
    incomes = {i.year: i for i in household.incomes.filter(year__in=years)}
    size = len(members)
    failures = 0
    for name in rules.exit.household.guarantees:
        g = rules.guarantee(name)
        assert g is not None  # the loader refuses a required guarantee defined nowhere
        if not all(_check_holds(c, household, members, incomes, rules.year) for c in g.require):
            failures |= 1 << GUARANTEE_NAMES.index(name)
    row: dict[str, Any] = {"household_id": household.pk, "village_id": household.village_id, "size": size,
                           "guarantee_failures": failures, "on_list": household.status in choices.POOR_NOW}
    below = missing = 0
    per = size if rules.base.income.per_capita else 1
    for k, year in enumerate(years):
        income = incomes.get(year)
        if income is None:
            missing |= 1 << k
            row[f"pc_{year}"] = None
            continue
        net = sum(Fraction(getattr(income, f)) for f in rules.base.income.sources) - sum(
            Fraction(getattr(income, f)) for f in rules.base.income.subtract)
        limit = Fraction(rules.line(year)) * per
        above = net >= limit if rules.exit.household.at_line == "exits" else net > limit
        if not above:
            below |= 1 << k
        row[f"pc_{year}"] = int(net * 100) // max(per, 1) if size > 0 else None
    row.update(below=below, missing=missing)
    row["reasons"] = codes.reasons_of(below, missing, failures, size)
    row["eligible"] = row["reasons"] == 0
    return row


def proposal_check(household: Household, year: int, override: str = "") -> dict[str, Any]:
    """What the workflow records when an exit is proposed: the policy used, eligible or not, the reasons
    in words, and the override reason when the officer proposes an ineligible household anyway. Raises
    ValueError (the message in words) when the household is not on the poor list, when there is no exit
    policy for the year, or when it is not eligible and no override reason is given."""
    from jingzhun.policy.exit import exit_rules

    # An exit the register already holds (imported as exited in that year) may be given its procedure now:
    # the record a county keeps of its exits (appraisal, consent, notice, announcement).
    recorded = household.status == choices.EXITED and household.exit_year == year
    if household.status not in choices.POOR_NOW and not recorded:
        raise ValueError(f"户 {household.number} 当前为“{choices.HOUSEHOLD_STATUS.zh(household.status)}”，不在贫困户名单中，"
                         f"不能提出退出 / household {household.number} is {household.status!r}, not on the poor list: "
                         "no exit can be proposed")
    try:
        rules = exit_rules(year, household.village_id)
    except LookupError as exc:
        raise ValueError(str(exc)) from None
    row = check_household(rules, household)
    said = codes.words(rules, row)
    override = (override or "").strip()
    if said and not override:
        raise ValueError(f"户 {household.number} 尚不符合{year}年退出条件（{'；'.join(w.split(' / ')[0] for w in said)}） / "
                         f"household {household.number} does not yet meet the {year} exit conditions "
                         f"({'; '.join(w.split(' / ')[-1] for w in said)}); to propose it anyway, give the reason "
                         "(override)")
    return {"policy": rules.exit.name, "eligible": not said, "reasons": said, "override": override if said else ""}
