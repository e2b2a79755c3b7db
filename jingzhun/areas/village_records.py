"""Village records (村情) by year, imported by officers for their own villages: the first importer built on
the one import subsystem (`jingzhun.tabular.steps`) and the model for every new one.

One row per village and year, keyed by (村代码, 年度). A row may insert or update only a village in the
importer's areas (a village outside them is "registered outside your areas", whether it exists or not). An
empty optional cell keeps the stored value; `（清空）` clears it back to its default (0 or 否). Re-importing
the same file changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from jingzhun import choices as c
from jingzhun.areas.models import VillageRecord
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec

FLAGS = ("hardened_road", "power_grid", "tap_water", "broadband", "clinic", "school", "activity_centre")
COUNTS = ("households", "population")
AMOUNTS = {"distance_to_town_km": (Decimal(0), Decimal(10_000), 1), "collective_income": (Decimal(0), Decimal(10**11), 2)}
FIELDS = (*COUNTS, *FLAGS, *AMOUNTS)
DEFAULTS: dict[str, Any] = {**{k: 0 for k in COUNTS}, **{k: False for k in FLAGS}, **{k: Decimal(0) for k in AMOUNTS}}

SPEC = Spec("village_records", (
    Column("village", "村代码", "village_code", kind="village",
           note="12位统计用区划代码，须为您管辖范围内已登记的村 / a registered village in your areas"),
    Column("year", "年度", "year", kind="int", low=2013, high=2100),
    Column("households", "总户数", "households", kind="int", required=False, low=0, high=100_000, note=rules.CLEAR_NOTE),
    Column("population", "总人口", "population", kind="int", required=False, low=0, high=1_000_000,
           note=rules.CLEAR_NOTE),
    Column("hardened_road", "通硬化路", "hardened_road", kind="bool", required=False, enum=c.YES_NO),
    Column("power_grid", "通动力电", "power_grid", kind="bool", required=False, enum=c.YES_NO),
    Column("tap_water", "通自来水", "tap_water", kind="bool", required=False, enum=c.YES_NO),
    Column("broadband", "通宽带", "broadband", kind="bool", required=False, enum=c.YES_NO),
    Column("clinic", "有标准化卫生室", "clinic", kind="bool", required=False, enum=c.YES_NO),
    Column("school", "有小学或教学点", "school", kind="bool", required=False, enum=c.YES_NO),
    Column("activity_centre", "有综合服务中心", "activity_centre", kind="bool", required=False, enum=c.YES_NO),
    Column("distance_to_town_km", "距乡镇距离（公里）", "distance_to_town_km", kind="decimal", required=False,
           low=Decimal(0), high=Decimal(10_000)),
    Column("collective_income", "村集体经济收入（元）", "collective_income", kind="decimal", required=False,
           low=Decimal(0), high=Decimal(10**11)),
))
ROLES = frozenset({"officer"})


def _parser(key: str) -> Callable[[str], Any]:
    col = SPEC.by_key[key]
    if key in FLAGS:
        return lambda text: parse.parse_choice(text, c.YES_NO) == "1"
    if key in AMOUNTS:
        low, high, places = AMOUNTS[key]
        return lambda text: parse.parse_decimal(text, low, high, places)
    return lambda text: parse.parse_int(text, int(col.low or 0), int(col.high or 0))


@dataclass
class Checked:
    problems: Problems
    rows: dict[tuple[str, int], int] = field(default_factory=dict)  # (village, year) → row number
    cells: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)
    stored: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return {key: [row] for key, row in self.rows.items()}


@dataclass
class Plan:
    insert: list[VillageRecord] = field(default_factory=list)
    update: list[VillageRecord] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {"inserted": len(self.insert), "updated": len(self.update), "unchanged": self.unchanged}

    def areas(self) -> Iterable[str]:
        return [r.village_id for r in (*self.insert, *self.update)]


class VillageRecords:
    spec = SPEC
    action = "village_records.import"

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        opened = steps.opening(table, SPEC, cell_problems)
        checked = Checked(opened.problems)
        villages = rules.registered_villages(opened.distinct("village"))
        for row, cells in opened.rows():
            unit = self._key(row, cells, villages, context.scope, checked.problems)
            if unit is None:
                continue
            if unit in checked.rows:
                checked.problems.add(row, SPEC.header_of("year"), cells["year"],
                                     f"与第{checked.rows[unit]}行重复（同村同年）/ duplicates row {checked.rows[unit]}")
                continue
            checked.rows[unit], checked.cells[unit] = row, cells
        for record in VillageRecord.objects.filter(village_id__in={v for v, _ in checked.rows}).values(
                "village_id", "year", *FIELDS):
            checked.stored[(record.pop("village_id"), record.pop("year"))] = record
        for unit, cells in checked.cells.items():
            self._values(checked.rows[unit], cells, checked.stored.get(unit, DEFAULTS), checked.problems)
        return checked

    @staticmethod
    def _key(row: int, cells: dict[str, str], villages: set[str], scope: rules.Scope,
             problems: Problems) -> tuple[str, int] | None:
        village, year = cells["village"], cells["year"]
        # Outside the areas is one answer, whether the village exists there or not: no oracle.
        if not scope.covers(village):
            problems.add(row, SPEC.header_of("village"), village, rules.OUTSIDE)
            return None
        if village not in villages:
            problems.add(row, SPEC.header_of("village"), village, "不是已登记的村代码 / not a registered village code")
            return None
        try:
            return village, parse.parse_int(year, 2013, 2100)
        except parse.Invalid as exc:
            problems.add(row, SPEC.header_of("year"), year, str(exc))
            return None

    @staticmethod
    def _values(row: int, cells: dict[str, str], stored: dict[str, Any], problems: Problems) -> dict[str, Any]:
        values = {}
        for key in FIELDS:
            try:
                value = rules.merged(stored[key], cells[key], _parser(key))
            except parse.Invalid as exc:
                problems.add(row, SPEC.header_of(key), cells[key], str(exc))
                continue
            values[key] = DEFAULTS[key] if value is None else value  # cleared: back to the default
        return values

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        plan = Plan()
        for key in keep:
            village, year = key
            stored = checked.stored.get(key)
            values = self._values(checked.rows[key], checked.cells[key], stored or DEFAULTS, Problems(""))
            record = VillageRecord(village_id=village, year=year, **values)
            if stored is None:
                plan.insert.append(record)
            elif values != stored:
                plan.update.append(record)
                plan.changed_fields |= {k for k in FIELDS if values[k] != stored[k]}
            else:
                plan.unchanged += 1
        return plan

    def apply(self, plan: Plan, context: steps.Context) -> None:
        VillageRecord.objects.bulk_create(plan.insert, batch_size=2000)
        if plan.update:
            VillageRecord.objects.bulk_create(
                plan.update, batch_size=2000, update_conflicts=True, unique_fields=["village", "year"],
                update_fields=list(FIELDS))


def import_village_records(path: str | Path, *, actor: str, user: object | None = None,
                           ranges: rules.Ranges = None, mode: str = "all") -> steps.Outcome[Plan]:
    """Import a 村情 file for the user's villages (officers' areas; none given: the console, everywhere)."""
    return steps.run(VillageRecords(), path, actor=actor, scope=rules.resolve(user, ranges, ROLES), mode=mode,
                     user=user)


def write_blank_template(path: str | Path) -> Path:
    """The blank 村情 template (`jingzhun template --kind village_records`)."""
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "村情")
