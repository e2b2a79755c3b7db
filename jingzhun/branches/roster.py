"""Branch rosters (村党组织名册) through the one import subsystem: one row per village — the branch's name,
secretary and party members. A row may write only a village in the importer's areas (anything else is
"registered outside your areas", whether the village exists or not). An empty optional cell keeps the stored
value, `（清空）` clears it; re-importing the same file changes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jingzhun.branches import totals
from jingzhun.branches.models import Branch
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec

SPEC = Spec("branch_roster", (
    Column("village", "村代码", "village_code", kind="village",
           note="12位统计用区划代码，须为您管辖范围内已登记的村 / a registered village in your areas"),
    Column("name", "党组织名称", "branch_name", max_length=120),
    Column("secretary", "书记", "secretary", required=False, max_length=40, note=rules.CLEAR_NOTE),
    Column("members", "党员人数", "party_members", kind="int", required=False, low=0, high=100_000,
           note=rules.CLEAR_NOTE),
))
ROLES = frozenset({"officer"})
FIELDS = ("name", "secretary", "members")
DEFAULTS: dict[str, Any] = {"secretary": "", "members": 0}


@dataclass
class Checked:
    problems: Problems
    rows: dict[str, list[int]] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    stored: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return self.rows


@dataclass
class Plan:
    insert: list[Branch] = field(default_factory=list)
    update: list[Branch] = field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.insert or self.update)

    def counts(self) -> dict[str, int]:
        return {"inserted": len(self.insert), "updated": len(self.update), "unchanged": self.unchanged}

    def areas(self) -> Iterable[str]:
        return [b.village_id for b in (*self.insert, *self.update)]


def _cell(stored: Any, text: str, key: str) -> Any:
    if key == "members":
        return rules.merged(stored, text, lambda t: parse.parse_int(t, 0, 100_000))
    if len(text) > 40:
        raise parse.Invalid("最多40个字 / at most 40 characters")
    return rules.merged(stored, text, lambda t: t)


class BranchRoster:
    spec = SPEC
    action = "branch_roster.import"

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        opened = steps.opening(table, SPEC, cell_problems)
        checked = Checked(opened.problems)
        villages = rules.registered_villages(opened.distinct("village"))
        for part in rules.chunks(sorted(villages)):
            for b in Branch.objects.filter(village_id__in=part).values("village_id", *FIELDS):
                checked.stored[b.pop("village_id")] = b
        for row, cells in opened.rows():
            village = cells["village"]
            if not context.scope.covers(village):  # outside: one answer, whether the village exists or not
                checked.problems.add(row, SPEC.header_of("village"), village, rules.OUTSIDE)
            elif village not in villages:
                checked.problems.add(row, SPEC.header_of("village"), village,
                                     "不是已登记的村代码 / not a registered village code")
            elif village in checked.rows:
                checked.problems.add(row, SPEC.header_of("village"), village,
                                     f"与第{checked.rows[village][0]}行重复 / duplicates row {checked.rows[village][0]}")
                checked.rows[village].append(row)
            else:
                checked.rows[village] = [row]
                checked.values[village] = self._values(row, cells, checked.stored.get(village), checked.problems)
        return checked

    @staticmethod
    def _values(row: int, cells: dict[str, str], stored: dict[str, Any] | None, problems: Problems) -> dict[str, Any]:
        base = stored or {"name": "", **DEFAULTS}
        values = {"name": cells["name"][:120] or base["name"]}
        for key in ("secretary", "members"):
            try:
                value = _cell(base[key], cells[key], key)
            except parse.Invalid as exc:
                problems.add(row, SPEC.header_of(key), cells[key], str(exc))
                value = base[key]
            values[key] = DEFAULTS[key] if value is None else value
        return values

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        plan = Plan()
        for village in keep:
            values, stored = checked.values[village], checked.stored.get(village)
            branch = Branch(village_id=village, **values)
            if stored is None:
                plan.insert.append(branch)
            elif stored != values:
                plan.update.append(branch)
            else:
                plan.unchanged += 1
        return plan

    def apply(self, plan: Plan, context: steps.Context) -> None:
        Branch.objects.bulk_create(plan.insert, batch_size=2000)
        if plan.update:
            Branch.objects.bulk_create(plan.update, batch_size=2000, update_conflicts=True, unique_fields=["village"],
                                       update_fields=list(FIELDS))
        # New branches change their counties' totals (totals.py), in this transaction.
        totals.refresh([b.village_id for b in plan.insert])


def import_branch_roster(path: str | Path, *, actor: str, user: object | None = None, ranges: rules.Ranges = None,
                         mode: str = "all") -> steps.Outcome[Plan]:
    """Import a branch roster for the user's villages (officers' areas; none given: the console, everywhere)."""
    return steps.run(BranchRoster(), path, actor=actor, scope=rules.resolve(user, ranges, ROLES), mode=mode, user=user)


def write_blank_template(path: str | Path) -> Path:
    """The blank branch-roster template (`jingzhun template --kind branch_roster`)."""
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "村党组织名册")
