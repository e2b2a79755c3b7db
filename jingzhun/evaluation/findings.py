"""Evaluators' findings (评估结论) per sampled household: imported through the one import subsystem
(`tabular.steps.run`: check mode, all-or-nothing, row report, audit) or recorded one household at a time from the
evaluation page (`record`).

The area rule: an evaluator or officer writes findings only for sampled households of villages in their areas.
A number that is not a sampled household of this evaluation in the user's areas gets one answer, whether it is
sampled elsewhere or not at all (no oracle). 错退 applies to exited households only, 漏评 to never-registered
ones. An empty cell keeps what is recorded; `（清空）` clears it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from jingzhun import choices as c
from jingzhun.audit import log as audit
from jingzhun.evaluation.models import FINDINGS, Evaluation, SampledHousehold
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec

ROLES = frozenset({"officer", "evaluator"})
NOT_HERE = "不是您管辖区划内本次评估的样本户 / not a sampled household of this evaluation in your areas"
ONLY_FOR = {"wrongly_exited": ("exited", "错退只适用于已脱贫样本户 / wrongly exited applies to exited households only"),
            "missed_poor": ("other", "漏评只适用于非建档立卡样本户 / missed poor applies to never-registered households only")}
SPEC = Spec("evaluation_findings", (
    Column("number", "户编号", "household_number", max_length=32, text_only=True,
           note="本次评估样本户的户编号 / a sampled household of this evaluation in your areas"),
    Column("income_verified", "收入核实无误", "income_verified", kind="bool", required=False, enum=c.YES_NO,
           note=rules.CLEAR_NOTE),
    Column("guarantees_met", "两不愁三保障达标", "guarantees_met", kind="bool", required=False, enum=c.YES_NO,
           note=rules.CLEAR_NOTE),
    Column("wrongly_exited", "错退", "wrongly_exited", kind="bool", required=False, enum=c.YES_NO,
           note="仅已脱贫户 / exited households only"),
    Column("missed_poor", "漏评", "missed_poor", kind="bool", required=False, enum=c.YES_NO,
           note="仅非建档立卡户 / never-registered households only"),
    Column("satisfied", "认可", "satisfied", kind="bool", required=False, enum=c.YES_NO, note="群众认可度 / acceptance"),
))


def parse_flag(text: str) -> bool:
    return parse.parse_choice(text, c.YES_NO) == "1"


def values_of(row: int, cells: dict[str, str], stored: dict[str, Any], group: str, problems: Problems) -> dict[str, Any]:
    """The findings a row leaves (stored ones kept where the cell is empty), problems noted."""
    values = {}
    for key in FINDINGS:
        try:
            value = rules.merged(stored[key], cells.get(key, ""), parse_flag)
        except parse.Invalid as exc:
            problems.add(row, SPEC.header_of(key), cells.get(key, ""), str(exc))
            continue
        if value is not None and key in ONLY_FOR and ONLY_FOR[key][0] != group:
            problems.add(row, SPEC.header_of(key), cells.get(key, ""), ONLY_FOR[key][1])
            continue
        values[key] = value
    return values


@dataclass
class Checked:
    problems: Problems
    rows: dict[str, int] = field(default_factory=dict)  # number → row
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return {number: [row] for number, row in self.rows.items()}


@dataclass
class Plan:
    evaluation_id: int
    update: dict[int, dict[str, Any]] = field(default_factory=dict)  # pk → findings
    villages: set[str] = field(default_factory=set)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.update)

    def counts(self) -> dict[str, int]:
        return {"updated": len(self.update), "unchanged": self.unchanged}

    def areas(self) -> Iterable[str]:
        return sorted(self.villages)

    def detail(self) -> dict[str, Any]:
        return {"evaluation": self.evaluation_id}


class Findings:
    spec = SPEC
    action = "evaluation_findings.import"

    def __init__(self, evaluation: Evaluation):
        self.evaluation = evaluation

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        opened = steps.opening(table, SPEC, cell_problems)
        checked = Checked(opened.problems)
        named = sorted(opened.distinct("number"))
        for part in rules.chunks(named):
            for found in SampledHousehold.objects.filter(evaluation=self.evaluation, number__in=part).values(
                    "pk", "number", "village_id", "group", *FINDINGS):
                checked.stored[found["number"]] = found
        for row, cells in opened.rows():
            number = cells["number"]
            stored = checked.stored.get(number)
            # Sampled elsewhere or not at all: the same words (no oracle).
            if stored is None or not context.scope.covers(stored["village_id"]):
                checked.problems.add(row, SPEC.header_of("number"), number, NOT_HERE)
                continue
            if number in checked.rows:
                checked.problems.add(row, SPEC.header_of("number"), number,
                                     f"与第{checked.rows[number]}行重复 / duplicates row {checked.rows[number]}")
                continue
            checked.rows[number] = row
            checked.values[number] = values_of(row, cells, stored, stored["group"], checked.problems)
        return checked

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        plan = Plan(self.evaluation.pk)
        for number in keep:
            stored, values = checked.stored[number], checked.values[number]
            if all(values[k] == stored[k] for k in FINDINGS):
                plan.unchanged += 1
                continue
            plan.update[stored["pk"]] = values
            plan.villages.add(stored["village_id"])
        return plan

    def apply(self, plan: Plan, context: steps.Context) -> None:
        now = timezone.now()
        rows = [SampledHousehold(pk=pk, recorded_by=context.actor, recorded_at=now, **values)
                for pk, values in plan.update.items()]
        SampledHousehold.objects.bulk_update(rows, [*FINDINGS, "recorded_by", "recorded_at"], batch_size=1000)


def import_findings(evaluation: Evaluation, path: str | Path, *, actor: str, user: object | None = None,
                    mode: str = "all") -> steps.Outcome[Plan]:
    """Import a findings file for this evaluation's sampled households in the user's areas (officers' and
    evaluators'; no user: the console, everywhere)."""
    return steps.run(Findings(evaluation), path, actor=actor, scope=rules.resolve(user, None, ROLES), mode=mode,
                     user=user)


def record(sampled: SampledHousehold, cells: dict[str, str], *, user: object, actor: str) -> Problems:
    """The page's form for one household: the same rules as a file row (the caller has scoped `sampled` to the
    user's areas; checked again here). Nothing is written when a value is refused."""
    problems = Problems("form")
    if not rules.resolve(user, None, ROLES).covers(sampled.village_id):
        problems.add(1, SPEC.header_of("number"), sampled.number, NOT_HERE)
        return problems
    stored = {k: getattr(sampled, k) for k in FINDINGS}
    values = values_of(1, cells, stored, sampled.group, problems)
    if problems or values == stored:
        return problems
    with transaction.atomic():
        SampledHousehold.objects.filter(pk=sampled.pk).update(recorded_by=actor, recorded_at=timezone.now(), **values)
        audit.record(actor, "evaluation_findings.record", object_type="evaluation", object_id=str(sampled.evaluation_id),
                     area=sampled.village_id, number=sampled.number, changed=sorted(k for k in FINDINGS
                                                                                      if values[k] != stored[k]))
    return problems


def write_blank_template(path: str | Path) -> Path:
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "评估结论")
