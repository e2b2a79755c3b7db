"""The evaluation frame's never-registered households (非建档立卡户, `FrameHousehold`), imported from the villages'
household rosters (农户花名册) through the one import subsystem (`tabular.steps.run`: check mode, all-or-nothing,
row report, audit) — `jingzhun evaluation import-frame FILE`, template kind `evaluation_frame`.

One row per household, keyed by 户编号. The area rule: a row may insert only into a village in the importer's
areas, and update only a household now in them (a move needs both ends there). A number held outside the areas
— as a frame household or as a registered household — gets the one answer `rules.OUTSIDE`, as a village outside
them does, whether it exists or not: no oracle. A registered household (建档立卡户) of one's own areas is refused
by name: it is in the frame already, as an exited household or not at all. An empty optional cell keeps the
stored value, `（清空）` clears it; re-importing the same file changes nothing and leaves no audit row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jingzhun.evaluation.models import FrameHousehold
from jingzhun.registry.models import Household
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec

ROLES = frozenset({"officer"})
FIELDS = ("village_id", "head_name", "size")
REGISTERED = "已是建档立卡户，不属于非建档立卡户 / a registered household (建档立卡户), not a never-registered one"
NOT_A_VILLAGE = "不是已登记的村代码 / not a registered village code"
SPEC = Spec("evaluation_frame", (
    Column("number", "户编号", "household_number", max_length=32, text_only=True,
           note="农户花名册的户编号，全省唯一；不得是建档立卡户 / the roster's household number, unique; not a "
                "registered household"),
    Column("village", "村代码", "village_code", kind="village",
           note="12位统计用区划代码，须为您管辖范围内已登记的村 / a registered village in your areas"),
    Column("head_name", "户主姓名", "head_name", required=False, max_length=50, note=rules.CLEAR_NOTE),
    Column("size", "人口", "size", kind="int", required=False, low=1, high=50, note=rules.CLEAR_NOTE),
))


@dataclass
class Checked:
    problems: Problems
    rows: dict[str, int] = field(default_factory=dict)  # number → row
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)  # number → pk and FIELDS

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return {number: [row] for number, row in self.rows.items()}


@dataclass
class Plan:
    insert: list[FrameHousehold] = field(default_factory=list)
    update: list[FrameHousehold] = field(default_factory=list)
    moved: int = 0
    unchanged: int = 0
    villages: set[str] = field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.insert or self.update)

    def counts(self) -> dict[str, int]:
        return {"inserted": len(self.insert), "updated": len(self.update), "moved": self.moved,
                "unchanged": self.unchanged}

    def areas(self) -> Iterable[str]:
        return sorted(self.villages)


def _size(text: str) -> int:
    return parse.parse_int(text, 1, 50)


def _lookups(named: list[str], codes: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, str], set[str]]:
    """What the file's numbers and villages are now: frame households, registered households (number →
    village), registered village codes — in chunks of IN lists."""
    stored: dict[str, dict[str, Any]] = {}
    registered: dict[str, str] = {}
    for part in rules.chunks(named):
        for found in FrameHousehold.objects.filter(number__in=part).values("pk", "number", *FIELDS):
            stored[found.pop("number")] = found
        registered.update(Household.objects.filter(number__in=part).values_list("number", "village_id"))
    return stored, registered, rules.registered_villages(codes)


class FrameImport:
    spec = SPEC
    action = "evaluation_frame.import"

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        opened = steps.opening(table, SPEC, cell_problems)
        checked = Checked(opened.problems)
        named, codes = sorted(opened.distinct("number")), sorted(opened.distinct("village"))
        checked.stored, registered, villages = _lookups(named, codes)
        for row, cells in opened.rows():
            number = cells["number"]
            if not self._well_formed(row, cells, checked.problems) or not self._admitted(
                    row, cells, checked, registered, villages, context.scope):
                continue
            if number in checked.rows:
                checked.problems.add(row, SPEC.header_of("number"), number,
                                     f"与第{checked.rows[number]}行重复 / duplicates row {checked.rows[number]}")
                continue
            checked.rows[number] = row
            checked.values[number] = self._values(row, cells, checked.stored.get(number), checked.problems)
        return checked

    @staticmethod
    def _well_formed(row: int, cells: dict[str, str], problems: Problems) -> bool:
        """A number is given, and no cell is longer than its column holds (the database would refuse it)."""
        if not cells["number"]:
            problems.add(row, SPEC.header_of("number"), "", "必填 / required")
            return False
        long = [col for col in SPEC.columns if col.max_length and len(cells[col.key]) > col.max_length]
        for col in long:
            problems.add(row, col.header, cells[col.key][:40],
                         f"不超过{col.max_length}字 / at most {col.max_length} characters")
        return not long

    @staticmethod
    def _admitted(row: int, cells: dict[str, str], checked: Checked, registered: dict[str, str],
                  villages: set[str], scope: rules.Scope) -> bool:
        """The area rule and the keys: a number held outside the areas, or a village outside them, is one
        answer (OUTSIDE), whether it exists or not."""
        number, village = cells["number"], cells["village"]
        before = checked.stored[number]["village_id"] if number in checked.stored else registered.get(number)
        if before is not None and not scope.covers(before):
            checked.problems.add(row, SPEC.header_of("number"), number, rules.OUTSIDE)
            return False
        if not scope.covers(village):
            checked.problems.add(row, SPEC.header_of("village"), village, rules.OUTSIDE)
            return False
        if number in registered:
            checked.problems.add(row, SPEC.header_of("number"), number, REGISTERED)
            return False
        if village not in villages:
            checked.problems.add(row, SPEC.header_of("village"), village, NOT_A_VILLAGE)
            return False
        return True

    @staticmethod
    def _values(row: int, cells: dict[str, str], stored: dict[str, Any] | None, problems: Problems) -> dict[str, Any]:
        old = stored or {"head_name": "", "size": None}
        values: dict[str, Any] = {"village_id": cells["village"]}
        values["head_name"] = rules.merged(old["head_name"], cells["head_name"], str) or ""
        try:
            values["size"] = rules.merged(old["size"], cells["size"], _size)
        except parse.Invalid as exc:
            problems.add(row, SPEC.header_of("size"), cells["size"], str(exc))
        return values

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        plan = Plan()
        for number in keep:
            values, stored = checked.values[number], checked.stored.get(number)
            if stored is None:
                plan.insert.append(FrameHousehold(number=number, **values))
                plan.villages.add(values["village_id"])
            elif any(values[k] != stored[k] for k in FIELDS):
                plan.update.append(FrameHousehold(pk=stored["pk"], number=number, **values))
                plan.villages |= {values["village_id"], stored["village_id"]}  # a move: both ends audited
                plan.moved += values["village_id"] != stored["village_id"]
            else:
                plan.unchanged += 1
        return plan

    def apply(self, plan: Plan, context: steps.Context) -> None:
        FrameHousehold.objects.bulk_create(plan.insert, batch_size=2000)
        FrameHousehold.objects.bulk_update(plan.update, ["village", "head_name", "size"], batch_size=2000)


def import_frame(path: str | Path, *, actor: str, user: object | None = None, mode: str = "all") -> steps.Outcome[Plan]:
    """Import a roster of never-registered households for the user's villages (officers' areas; no user: the
    console operator, everywhere)."""
    return steps.run(FrameImport(), path, actor=actor, scope=rules.resolve(user, None, ROLES), mode=mode, user=user)


def write_blank_template(path: str | Path) -> Path:
    """The blank template (`jingzhun template --kind evaluation_frame`)."""
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "非建档立卡户")
