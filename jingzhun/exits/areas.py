"""Village and county exit (贫困村出列、贫困县摘帽): may they exit now, and if not, what blocks them.

- Incidence (贫困发生率) = people in households on the poor list (poor or returned) at the end of the policy's
  year (their status then, from the register's status history: `jingzhun.exits.yearend`; a status changed after
  the year does not move the year's verdict) ÷ the population of the village's record (村情) of that year; for a county, both summed over its villages. It must be below
  the threshold of the area's region class (`Area.region_class`; when it is empty, the policy's `west`
  code prefixes decide): 2 %, 3 % in the west. Exactly at the threshold is the policy's `at_threshold`.
  Compared as exact fractions: 2 people in 100 is exactly 2 %.
- A village: every condition of the policy's `[village]` on its record of the year (road, power, clinic,
  collective income, ...). A village without a record of the year is blocked ("no record").
- A county: every village of it has a record; and the third-party evaluation's three rates (错退率 and 漏评率
  below, 群众认可度 above their thresholds), from `evaluation_rates` — no evaluation, no exit.

Counts are grouped in SQL and scoped to the user's areas (the `dashboard` ability) like every page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q, QuerySet

from jingzhun import access
from jingzhun.areas.models import LEVEL_DIGITS, Area, VillageRecord
from jingzhun.exits import yearend
from jingzhun.policy.exit import AreaExit, ExitRules, exit_rules_in_force
from jingzhun.registry.models import Household, Member

ABILITY = "dashboard"


@dataclass(frozen=True)
class CountyRates:
    """The third-party evaluation's rates for a county: 错退率, 漏评率, 群众认可度 (point estimates)."""

    wrongly_exited: Fraction
    missed: Fraction
    satisfaction: Fraction


def evaluation_rates(county: str, year: int) -> CountyRates | None:
    """The county's rates from the latest third-party evaluation of `year` that sampled it
    (`jingzhun.evaluation.results.county_rates`, the one place they are computed); None ("no data") when there is
    none, or while its findings are incomplete — a county is never judged on part of its sample. The figures the
    exit policy's `rates_compared` names (the point estimates, or the intervals' unfavourable bounds) go to the exit
    rule, which compares them with the policy's thresholds — the same thresholds the evaluation's own verdicts
    read (`evaluation.results.thresholds`)."""
    from jingzhun.evaluation.models import Evaluation, SampledHousehold
    from jingzhun.evaluation.results import county_rates

    sampled = SampledHousehold.objects.filter(county=county, evaluation__year=year)
    evaluation = Evaluation.objects.filter(pk__in=sampled.values("evaluation_id")).order_by("-pk").first()
    if evaluation is None:
        return None
    found = county_rates(evaluation, county)
    if found.status != "complete" or any(r.proportion is None for r in found.three):
        return None

    bound = exit_rules_in_force(year, county).exit.county.rates_compared == "bound"

    def exact(rate: Any, unfavourable: str) -> Fraction:
        p = rate.proportion
        return Fraction(getattr(p, unfavourable) if bound else p.estimate).limit_denominator(1_000_000)

    return CountyRates(exact(found.wrongly_exited, "high"), exact(found.missed_poor, "high"),
                       exact(found.satisfied, "low"))


@dataclass
class AreaVerdict:
    code: str
    name: str
    level: str
    poor_people: int
    population: int | None  # None: no record of the year (for a county: not every village has one)
    threshold: Fraction
    blocked: list[str] = field(default_factory=list)  # 中文 / English, empty when the area may exit

    @property
    def incidence(self) -> Fraction | None:
        return Fraction(self.poor_people, self.population) if self.population else None

    @property
    def eligible(self) -> bool:
        return not self.blocked

    @property
    def threshold_text(self) -> str:
        return percent(self.threshold)


def percent(value: Fraction) -> str:
    return f"{float(value * 100):.2f}%"


def _incidence_words(v: AreaVerdict, rule: AreaExit) -> None:
    if v.population is None or v.population == 0:
        return
    rate = Fraction(v.poor_people, v.population)
    if not rule.below(rate, v.threshold):
        word = "不低于" if rule.at_threshold == "stays" else "高于"
        word_en = "not below" if rule.at_threshold == "stays" else "above"
        v.blocked.append(f"贫困发生率 {percent(rate)}（{v.poor_people}/{v.population}），{word}退出标准 {percent(v.threshold)} / "
                         f"incidence {percent(rate)} ({v.poor_people}/{v.population}) is {word_en} the exit "
                         f"threshold of {percent(v.threshold)}")


def _threshold(area: Area, rule: AreaExit) -> Fraction:
    if area.region_class:
        return rule.west_incidence_below if area.region_class == "west" else rule.incidence_below
    return rule.threshold(area.code)


def poor_people_by_village(user: object, low: str, high: str, year: int) -> dict[str, int]:
    """People in households on the poor list at the end of `year` (`yearend`: their status then, not now), by
    village, within [low, high] and the user's areas (SQL)."""
    hh = access.scope(Household.objects.filter(village_id__gte=low, village_id__lte=high), user, "village_id", ABILITY)
    on_list = yearend.on_list_at_year_end(hh, year)
    qs: QuerySet = Member.objects.filter(household__in=on_list.values("pk"))
    return dict(qs.values_list("household__village_id").annotate(n=Count("id")).values_list("household__village_id", "n"))


def not_exited_before(year: int) -> Q:
    """A poor village or county still poor at the start of `year`: not exited, or exited in `year` or later (so
    the year's verdict stays listed after the area's exit is recorded)."""
    return Q(exit_year__isnull=True) | Q(exit_year__gte=year)


def villages(rules: ExitRules, user: object, area: Area) -> list[AreaVerdict]:
    """The poor villages (not yet exited) under `area` within the user's areas, each with its verdict."""
    low, high = area.code_range
    rule = rules.exit.village
    poor_then = Area.objects.filter(not_exited_before(rules.year), level="village", poor_village=True,
                                    code__gte=low, code__lte=high)
    found = list(access.scope(poor_then, user, "code", ABILITY).order_by("code"))
    records = {r.village_id: r for r in VillageRecord.objects.filter(village__in=found, year=rules.year)}
    poor = poor_people_by_village(user, low, high, rules.year)
    out = []
    for village in found:
        record = records.get(village.code)
        v = AreaVerdict(village.code, village.name, "village", poor.get(village.code, 0),
                        record.population if record else None, _threshold(village, rule))
        if record is None or not record.population:
            v.blocked.append(f"缺少{rules.year}年村情人口 / no village record (population) for {rules.year}")
        _incidence_words(v, rule)
        for c in rule.conditions if record is not None else ():
            if not c.holds(getattr(record, c.field)):
                zh, en = c.label.split(" / ")[0], c.label.split(" / ")[-1]
                v.blocked.append(f"村情条件未达到：{zh} / village condition not met: {en}")
        out.append(v)
    return out


def counties(rules: ExitRules, user: object, area: Area) -> list[AreaVerdict]:
    """The poor counties (not yet exited) under or around `area`, within the user's areas."""
    low, high = area.code_range
    digits = LEVEL_DIGITS["county"]
    rule = rules.exit.county
    qs = Area.objects.filter(not_exited_before(rules.year), level="county").exclude(poor_county="")
    if LEVEL_DIGITS.get(area.level, 0) <= digits:  # the nation, a province, a city, a county
        qs = qs.filter(code__gte=low, code__lte=high)
    else:  # a township or a village: its county
        qs = qs.filter(code=area.code[:digits].ljust(12, "0"))
    out = []
    for county in access.scope(qs, user, "code", ABILITY).order_by("code"):
        c_low, c_high = county.code_range
        # A county's figures are whole-county figures: only for a user whose areas hold the whole county.
        poor = sum(poor_people_by_village(user, c_low, c_high, rules.year).values())
        all_villages = Area.objects.filter(level="village", code__gte=c_low, code__lte=c_high)
        records = VillageRecord.objects.filter(village__in=all_villages, year=rules.year)
        population = sum(records.values_list("population", flat=True))
        lacking = all_villages.count() - records.count()
        v = AreaVerdict(county.code, county.name, "county", poor, population if not lacking else None,
                        _threshold(county, rule))
        if lacking:
            v.blocked.append(f"{lacking} 个村缺少{rules.year}年村情人口 / {lacking} villages have no record for {rules.year}")
        _incidence_words(v, rule)
        _rates_words(v, rule, evaluation_rates(county.code, rules.year))
        out.append(v)
    return out


def _rates_words(v: AreaVerdict, rule: AreaExit, rates: CountyRates | None) -> None:
    from jingzhun.policy.exit import CountyExit

    assert isinstance(rule, CountyExit)
    if rates is None:
        v.blocked.append("没有第三方评估结果 / no third-party evaluation results")
        return
    checks = (("错退率", "wrongly exited rate", rates.wrongly_exited, rule.wrongly_exited_below, rule.below),
              ("漏评率", "missed rate", rates.missed, rule.missed_below, rule.below))
    for zh, en, value, limit, ok in checks:
        if not ok(value, limit):
            v.blocked.append(f"{zh} {percent(value)}，未低于 {percent(limit)} / {en} {percent(value)} is not below "
                             f"{percent(limit)}")
    if not rule.satisfied(rates.satisfaction):
        inclusive = (rule.satisfaction_at_threshold or rule.at_threshold) == "exits"
        zh, en = ("低于", "below") if inclusive else ("未高于", "not above")
        v.blocked.append(f"群众认可度 {percent(rates.satisfaction)}，{zh} {percent(rule.satisfaction_above)} / "
                         f"satisfaction {percent(rates.satisfaction)} is {en} {percent(rule.satisfaction_above)}")
