"""The county's three rates from the recorded findings, with their 95 % intervals, and the thresholds.

- 错退率 (wrongly exited): among sampled exited households with the finding recorded, the weighted share found
  wrongly exited.
- 漏评率 (missed poor): among sampled never-registered households with the finding recorded, the share found poor.
- 群众认可度 (acceptance): among all sampled households with the finding recorded, the share satisfied.

Each by `rates.domain_rate` (estimate_proportion on the domain). A household without its finding is left out of
that rate (non-response, counted and shown); a county with no finding at all has "no data" — never 0.
The thresholds and which figure they are compared with are the exit policy's county rule of the evaluation's year
and province (`jingzhun.policy.exit`, `[county]`): one home for them, shared with the county's exit verdict
(docs/evaluation.md, "Thresholds").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from jingzhun.evaluation.estimate import Proportion
from jingzhun.evaluation.models import Evaluation, SampledHousehold
from jingzhun.evaluation.rates import domain_rate
from jingzhun.policy.exit import ExitRules, exit_rules_in_force

AT = 1e-12  # a figure within this of its threshold is "at" it (floating sums of weights)


class Thresholds(BaseModel):
    """The county-exit thresholds the verdicts apply, as the exit policy of the evaluation's year and province
    states them (`from_exit`: the policy's `[county]` rule is their one home; `source` names it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    compare: Literal["point", "bound"] = "point"
    wrongly_exited_below: float = Field(0.02, ge=0, le=1)
    missed_poor_below: float = Field(0.02, ge=0, le=1)
    satisfied_at_least: float = Field(0.90, ge=0, le=1)
    error_rate_at_threshold: Literal["passes", "fails"] = "fails"
    satisfaction_at_threshold: Literal["passes", "fails"] = "passes"
    source: str = ""

    @classmethod
    def from_exit(cls, rules: ExitRules) -> Thresholds:
        rule = rules.exit.county
        at_satisfaction = rule.satisfaction_at_threshold or rule.at_threshold
        return cls(compare=rule.rates_compared, wrongly_exited_below=float(rule.wrongly_exited_below),
                   missed_poor_below=float(rule.missed_below), satisfied_at_least=float(rule.satisfaction_above),
                   error_rate_at_threshold="passes" if rule.at_threshold == "exits" else "fails",
                   satisfaction_at_threshold="passes" if at_satisfaction == "exits" else "fails",
                   source=rules.exit.name.split(" / ")[0])  # the Chinese half: the page names it in words


def thresholds(year: int, area: str = "") -> Thresholds:
    """The thresholds for an evaluation of `year` over `area` (its province's exit policy when it has one, else the
    national; for a year after the last shipped policy, the latest: `exit_rules_in_force`)."""
    return Thresholds.from_exit(exit_rules_in_force(year, area))


@dataclass(frozen=True)
class Rate:
    name: str  # wrongly_exited, missed_poor, satisfied
    proportion: Proportion | None  # None: no finding recorded (no data), or no interval possible
    recorded: int
    sampled: int
    passes: bool | None  # None: no data


@dataclass(frozen=True)
class CountyRates:
    evaluation_id: int
    county: str
    status: str  # "no_data" (nothing sampled or nothing recorded), "incomplete", "complete"
    wrongly_exited: Rate
    missed_poor: Rate
    satisfied: Rate

    @property
    def three(self) -> tuple[Rate, Rate, Rate]:
        return self.wrongly_exited, self.missed_poor, self.satisfied

    @property
    def has_data(self) -> bool:
        return self.status != "no_data"

    @property
    def passes(self) -> bool | None:
        """All three rates pass; None while any has no data."""
        verdicts = [r.passes for r in (self.wrongly_exited, self.missed_poor, self.satisfied)]
        return None if None in verdicts else all(verdicts)


def judge(name: str, p: Proportion, policy: Thresholds) -> bool:
    """The threshold applied to one rate, as the policy says (see the module's TOML for the words)."""
    if name == "satisfied":
        value, line = (p.estimate if policy.compare == "point" else p.low), policy.satisfied_at_least
        if abs(value - line) <= AT:
            return policy.satisfaction_at_threshold == "passes"
        return value > line
    value = p.estimate if policy.compare == "point" else p.high
    line = policy.wrongly_exited_below if name == "wrongly_exited" else policy.missed_poor_below
    if abs(value - line) <= AT:
        return policy.error_rate_at_threshold == "passes"
    return value < line


DOMAIN = {"wrongly_exited": "exited", "missed_poor": "other", "satisfied": None}


def _rate(name: str, rows: list[tuple], policy: Thresholds) -> Rate:
    field = {"wrongly_exited": 4, "missed_poor": 5, "satisfied": 6}[name]
    group = DOMAIN[name]
    domain = [r for r in rows if group is None or r[0] == group]
    done = [r for r in domain if r[field] is not None]
    if not done:
        return Rate(name, None, 0, len(domain), None)
    cols = list(zip(*done, strict=True))
    p = domain_rate(np.array(cols[field], dtype=float), np.array(cols[1], dtype=float),
                    np.array(cols[2], dtype=np.int64), np.array(cols[3], dtype=np.int64))
    return Rate(name, p, len(done), len(domain), None if p is None else judge(name, p, policy))


def _rates_of(pk: int, county: str, rows: list[tuple]) -> CountyRates:
    policy = thresholds(Evaluation.objects.values_list("year", flat=True).get(pk=pk), county)
    found = {name: _rate(name, rows, policy) for name in DOMAIN}
    recorded = sum(r.recorded for r in found.values())
    expected = sum(r.sampled for r in found.values())
    status = "no_data" if recorded == 0 else "complete" if recorded == expected else "incomplete"
    return CountyRates(pk, county, status, found["wrongly_exited"], found["missed_poor"], found["satisfied"])


COLUMNS = ("group", "weight", "stratum", "cluster", "wrongly_exited", "missed_poor", "satisfied")


def county_rates(evaluation: Evaluation | int, county_code: str) -> CountyRates:
    """The county's 错退率, 漏评率 and 群众认可度 in this evaluation, with intervals and verdicts. Before any finding
    is recorded (or for a county the evaluation did not sample) the status is "no_data" and every rate's
    proportion and verdict are None — never 0. The exit rule of a county calls this (no access check here: it
    is the rule's own input; pages scope what they show)."""
    pk = evaluation if isinstance(evaluation, int) else evaluation.pk
    rows = list(SampledHousehold.objects.filter(evaluation_id=pk, county=county_code).values_list(*COLUMNS))
    return _rates_of(pk, county_code, rows)


def rates_over(evaluation_id: int, code: str, rows: list[tuple]) -> CountyRates:
    """The three rates over the given sampled households (rows of `COLUMNS`, already fetched): one stratified
    estimate over the counties they come from, named `code` — what the assessment's area indicators read for a
    county and the units above it, fetching an evaluation's rows once for all of them."""
    return _rates_of(evaluation_id, code, rows)


def overall_rates(evaluation: Evaluation) -> CountyRates:
    """The three rates over every county of the evaluation at once (its `county` is the evaluated area's code):
    one stratified estimate, strata = the counties (each split into drawn and certainty villages), clusters =
    the drawn villages — the estimate the coverage test checks (docs/evaluation.md, "Coverage"). Pages show it
    only to users whose areas hold the whole evaluated area."""
    rows = list(SampledHousehold.objects.filter(evaluation_id=evaluation.pk).values_list(*COLUMNS))
    return _rates_of(evaluation.pk, evaluation.area_id, rows)


def counties(evaluation: Evaluation) -> list[str]:
    return list(evaluation.villages.order_by("county").values_list("county", flat=True).distinct())
