"""Party-branch elections (村党组织换届选举) through the one import subsystem: one row per election — the village,
the date held, regular or by-election, the secretary elected and the party members present. A row may write
only a branch of a village in the importer's areas (anything else is "registered outside your areas", whether
the village exists or not); the village must have a branch already (the branch roster comes first).

An election is known by its branch and date: the same row again changes nothing, a corrected row updates it.
After the import each touched branch's secretary is the one elected at its latest election — as the one-at-a-
time form does (`service.elect`), but set-based."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jingzhun.branches.models import ELECTION_KIND, Branch, Election
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec

SPEC = Spec("branch_elections", (
    Column("village", "村代码", "village_code", kind="village",
           note="12位统计用区划代码，须为您管辖范围内已有党组织的村 / a village in your areas with a party branch"),
    Column("held_on", "选举日期", "held_on", kind="date", note="YYYY-MM-DD，不晚于今天 / not after today"),
    Column("kind", "类型", "election_kind", kind="enum", enum=ELECTION_KIND),
    Column("secretary", "当选书记", "secretary_elected", max_length=40),
    Column("votes", "参会党员", "members_present", kind="int", required=False, low=0, high=100_000,
           note="人数；留空为0 / a count; empty is 0"),
))
ROLES = frozenset({"officer"})
FIELDS = ("kind", "secretary", "votes")
NO_BRANCH = "该村尚无党组织，请先导入村党组织名册 / the village has no party branch: import the branch roster first"

Key = tuple[int, dt.date]  # (branch, held on)


@dataclass
class Checked:
    problems: Problems
    rows: dict[Key, list[int]] = field(default_factory=dict)
    values: dict[Key, dict[str, Any]] = field(default_factory=dict)
    stored: dict[Key, dict[str, Any]] = field(default_factory=dict)
    villages: dict[int, str] = field(default_factory=dict)  # branch → village

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return self.rows


class Plan(steps.RowsPlan[Election]):
    """What the import writes (`tabular.steps.RowsPlan`)."""


def _branches(data: dict[str, list[Any]], scope: rules.Scope) -> dict[str, int]:
    """Village → branch id, for the villages the file names inside the scope only (no oracle outside)."""
    named = sorted({(v or "").strip() for v in data.get("village", [])} - {""})
    return {village: pk for part in rules.chunks(named)
            for pk, village in Branch.objects.filter(village_id__in=part).values_list("pk", "village_id")
            if scope.covers(village)}


def _parsed(cells: dict[str, str], bad: Any) -> dict[str, Any] | None:
    """The row's values, or None after naming every broken rule."""
    values: dict[str, Any] = {"secretary": cells["secretary"]}
    ok = True
    readers: dict[str, Callable[[str], Any]] = {"held_on": parse.parse_date, "kind": lambda t: parse.parse_choice(t, ELECTION_KIND),
               "votes": lambda t: parse.parse_int(t, 0, 100_000) if t else 0}
    for key, read in readers.items():
        try:
            values[key] = read(cells[key])
        except parse.Invalid as exc:
            bad(key, str(exc))
            ok = False
    if "held_on" in values and values["held_on"] > dt.date.today():
        bad("held_on", "选举日期不能晚于今天 / the election cannot be in the future")
        ok = False
    if not cells["secretary"] or len(cells["secretary"]) > 40:
        bad("secretary", "须填写当选书记，最多40个字 / the secretary elected is required, at most 40 characters")
        ok = False
    return values if ok else None


class BranchElections:
    spec = SPEC
    action = "branch_elections.import"

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        opened = steps.opening(table, SPEC, cell_problems)
        checked = Checked(opened.problems)
        branches = _branches(opened.data, context.scope)
        for row, cells in opened.rows():
            self._row(checked, row, cells, branches, context.scope)
        for part in rules.chunks(sorted({k[0] for k in checked.values})):
            for e in Election.objects.filter(branch_id__in=part).values("pk", "branch_id", "held_on", *FIELDS):
                key = (e["branch_id"], e["held_on"])
                if key in checked.values:
                    checked.stored[key] = e
        return checked

    @staticmethod
    def _row(checked: Checked, row: int, cells: dict[str, str], branches: dict[str, int], scope: rules.Scope) -> None:
        def bad(key: str, rule: str) -> None:
            checked.problems.add(row, SPEC.header_of(key), cells[key], rule)

        village = cells["village"]
        if not scope.covers(village):  # outside: one answer, whether the village exists or not
            bad("village", rules.OUTSIDE)
            return
        if village not in branches:
            bad("village", NO_BRANCH)
        values = _parsed(cells, bad)
        if values is None or village not in branches:
            return
        key = (branches[village], values.pop("held_on"))
        if key in checked.rows:
            first = checked.rows[key][0]
            bad("held_on", f"与第{first}行重复（同村同日） / duplicates row {first} (the same village and date)")
            checked.rows[key].append(row)
            return
        checked.rows[key], checked.values[key] = [row], values
        checked.villages[key[0]] = village

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        plan = Plan()
        for key in keep:
            values, stored = checked.values[key], checked.stored.get(key)
            if stored is None:
                plan.insert.append(Election(branch_id=key[0], held_on=key[1], **values))
            elif {k: stored[k] for k in FIELDS} != values:
                plan.update.append(Election(pk=stored["pk"], branch_id=key[0], held_on=key[1], **values))
            else:
                plan.unchanged += 1
                continue
            plan.touched.append(checked.villages[key[0]])
        return plan

    def apply(self, plan: Plan, context: steps.Context) -> None:
        Election.objects.bulk_create(plan.insert, batch_size=2000)
        Election.objects.bulk_update(plan.update, list(FIELDS), batch_size=1000)
        touched = sorted({e.branch_id for e in (*plan.insert, *plan.update)})
        latest: dict[int, str] = {}
        for part in rules.chunks(touched):
            for branch, secretary in Election.objects.filter(branch_id__in=part).order_by(
                    "branch_id", "-held_on", "-pk").values_list("branch_id", "secretary"):
                latest.setdefault(branch, secretary)
        Branch.objects.bulk_update([Branch(pk=pk, secretary=name) for pk, name in latest.items()], ["secretary"],
                                   batch_size=1000)


def import_branch_elections(path: str | Path, *, actor: str, user: object | None = None,
                            ranges: rules.Ranges = None, mode: str = "all") -> steps.Outcome[Plan]:
    """Import party-branch elections for the user's villages (officers' areas; none given: the console)."""
    return steps.run(BranchElections(), path, actor=actor, scope=rules.resolve(user, ranges, ROLES), mode=mode,
                     user=user)


def write_blank_template(path: str | Path) -> Path:
    """The blank elections template (`jingzhun template --kind branch_elections`)."""
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "村党组织选举")
