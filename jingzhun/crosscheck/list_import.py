"""A department list's import in the four steps of the one import subsystem (`jingzhun.tabular.steps`):

- `check`: every ID by the GB 11643 rules (`jingzhun.identity.validate_many`; 15-digit IDs upgraded to 18),
  the rule's required evidence present, dates real and not in the future. A masked ID is refused: it cannot
  stand for one person here (the register's rule that a masked ID means "unchanged" is about a stored
  person the row already names; a department's row names nobody else).
- `plan` (reads, writes nothing): each kept row's ID becomes the register's blind index, matched against the
  members whose household is now in the importer's areas — the hits, with the evidence of every row naming
  the member; a row naming a member of a household elsewhere is only counted (`outside`), nothing of it kept.
- `apply` (inside the transaction `steps.run` opens, with the audit row): the list, one entry per kept row
  (its row number and blind index, for members registered later — `actions.rematch`), the hits.

No clear ID leaves memory: the plan holds blind indexes only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.utils import timezone

from jingzhun import crypto, db
from jingzhun.crosscheck import lists, matching
from jingzhun.crosscheck.models import CrossCheckList
from jingzhun.identity import RULES as ID_RULES
from jingzhun.identity import mask, validate_many
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column

REQUIRED = "必填项为空 / required value is empty"
BAD_DATE = "不是有效日期（如 2020-05-01）/ not a valid date (e.g. 2020-05-01)"
FUTURE_DATE = "日期晚于今天 / the date is in the future"
MASKED_ID = "证件号码已部分隐藏，无法比对；请提供完整号码 / a masked ID cannot be matched: the full number is needed"
NUMBER_CELL = "（数字格式）"  # the value shown for an ID refused because it was typed into a number cell
LIST_TABLE, ENTRY_TABLE = "crosscheck_crosschecklist", "crosscheck_crosscheckentry"



def scope_key(spans: Iterable[Iterable[str]] | None) -> str:
    """The scope as a key of the "same file once" rule: "" for every area, else the ranges' SHA-256."""
    return "" if spans is None else hashlib.sha256(json.dumps([list(s) for s in spans]).encode()).hexdigest()


@dataclass
class Checked:
    problems: Problems
    rows: list[int]  # each row's number as a spreadsheet shows it
    numbers: list[str]  # each row's normalised ID (refused ones are never used)
    evidence: dict[str, list[str]]  # the rule's columns present in the file: key → each row's value

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        """A list's unit is its row."""
        return {i: [row] for i, row in enumerate(self.rows)}


@dataclass
class Plan:
    list_id: int  # the list this import makes (0 in a check: none)
    rule: str
    rows: list[int]  # the kept rows' numbers: one entry each
    indexes: list[bytes]  # their blind indexes, in the same order
    hits: list[tuple[int, int, int, dict[str, Any]]] = field(default_factory=list)  # household, position, row, evidence
    villages: set[str] = field(default_factory=set)  # of the hit households
    outside: int = 0  # rows naming members of households outside the scope
    scope: list[list[str]] | None = None  # the importer's code ranges (None: every area), kept with the list

    @property
    def households(self) -> int:
        return len({household for household, *_ in self.hits})

    def entries(self) -> pa.Table:
        """One entry per kept row: the list, the row number, the blind index (for `actions.rematch`)."""
        return pa.table({"source_list_id": pa.array([self.list_id] * len(self.rows), pa.int64()),
                         "row": pa.array(self.rows, pa.int64()), "id_index": pa.array(self.indexes, pa.binary())})

    def counts(self) -> dict[str, int]:
        return {"rows": len(self.rows), "hits": len(self.hits), "households": self.households,
                "outside": self.outside}

    def areas(self) -> Iterable[str]:
        return self.villages

    def detail(self) -> dict[str, Any]:
        """The audit rows' own part (`steps.run` adds the file, rows, counts and areas): the list made (none
        for a check), the rule, the figures and the scope."""
        made = {"list": self.list_id} if self.list_id else {}
        return {**made, "rule": self.rule, "hits": len(self.hits), "households": self.households,
                "outside": self.outside, "scope": self.scope}


class ListImport:
    """The import of one department's list for one rule (`department`: the list's source, as recorded)."""

    action = "crosscheck.import"

    def __init__(self, rule: str, department: str, today: dt.date):
        self.rule, self.department, self.today = rule, department, today
        self.spec = lists.SPECS[rule]
        self.loader: db.Loader | None = None  # the staged entries, while `prepare` holds them

    # --- check ---------------------------------------------------------------------------------------

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        cells = {name: pc.utf8_trim_whitespace(table.table.column(name)).to_pylist()
                 for name in table.table.column_names if name != "_row"}
        checked = Checked(Problems(table.file_name), table.table.column("_row").to_pylist(), [],
                          {col.key: cells[col.key] for col in lists.EVIDENCE[self.rule] if col.key in cells})
        flagged = set()
        for row, key, rule in cell_problems:  # an ID in a number cell: its digits are lost already
            checked.problems.add(row, self.spec.header_of(key), NUMBER_CELL, rule)
            flagged.add(row)
        checked.numbers = self._ids(cells[lists.ID_KEY], checked.rows, flagged, checked.problems)
        for col in lists.EVIDENCE[self.rule]:
            if col.key in checked.evidence:
                self._column(col, checked.evidence[col.key], checked.rows, checked.problems)
        return checked

    def _ids(self, ids: list[str], rows: list[int], flagged: set[int], problems: Problems) -> list[str]:
        numbers, codes = validate_many(ids, today=self.today)
        for i in np.flatnonzero(codes).tolist():
            if ids[i] == "":
                if rows[i] not in flagged:
                    problems.add(rows[i], lists.ID_HEADER, "", REQUIRED)
            elif rules.is_masked_id(ids[i]):
                problems.add(rows[i], lists.ID_HEADER, ids[i], MASKED_ID)
            else:  # the report never shows a clear ID: the masked form is enough to find the row
                problems.add(rows[i], lists.ID_HEADER, mask(ids[i]), ID_RULES[int(codes[i]) - 1])
        return numbers

    def _column(self, col: Column, values: list[str], rows: list[int], problems: Problems) -> None:
        """Required cells present; dates real, not in the future, and rewritten as YYYY-MM-DD."""
        seen: dict[str, tuple[str, str]] = {}  # a list's dates repeat: each distinct text parsed once
        for i, value in enumerate(values):
            if value == "":
                if col.required:
                    problems.add(rows[i], col.header, "", REQUIRED)
                continue
            if col.kind != "date":
                continue
            if value not in seen:
                seen[value] = self._date(value)
            day, broken = seen[value]
            if broken:
                problems.add(rows[i], col.header, value, broken)
            else:
                values[i] = day

    def _date(self, text: str) -> tuple[str, str]:
        """The date as YYYY-MM-DD and "", or "" and the rule it breaks."""
        try:
            day = parse.parse_date(text, lenient=True)
        except parse.Invalid:
            return "", BAD_DATE
        return ("", FUTURE_DATE) if day > self.today else (day.isoformat(), "")

    # --- plan ----------------------------------------------------------------------------------------

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        kept = sorted(keep)
        indexes = crypto.index_many_fixed("resident_id", [checked.numbers[i] for i in kept], 18) if kept else []
        wide = context.scope.wide
        # The list's id handed out now, outside the transaction, as the register import does (0: a check).
        plan = Plan(0 if context.mode == "check" else db.next_id(LIST_TABLE), self.rule, [checked.rows[i] for i in kept], indexes,
                    scope=None if wide is None else [list(s) for s in wide])
        found = matching.match(indexes, context.scope)
        by_member: dict[matching.Member, list[int]] = defaultdict(list)  # member → positions in `kept`
        for at, index in enumerate(indexes):
            if index in found.found:
                by_member[found.found[index]].append(kept[at])
            elif index in found.elsewhere:
                plan.outside += 1
        for member, positions in sorted(by_member.items(), key=lambda item: (item[0].household, item[0].position)):
            plan.hits.append((member.household, member.position, checked.rows[positions[0]],
                              self._evidence(checked, positions)))
            plan.villages.add(member.village)
        return plan

    def _evidence(self, checked: Checked, positions: list[int]) -> dict[str, Any]:
        """The rule's columns of the rows naming one member (a person may own two cars); never the ID."""
        out = []
        for i in positions:
            item: dict[str, Any] = {"行号": checked.rows[i]}
            for col in lists.EVIDENCE[self.rule]:
                values = checked.evidence.get(col.key)
                if values is not None and values[i] != "":
                    item[col.header] = values[i]
            out.append(item)
        return {"rows": out}

    # --- apply ---------------------------------------------------------------------------------------

    @contextmanager
    def prepare(self, plan: Plan, context: steps.Context) -> Iterator[None]:
        """The entries staged before the transaction `steps.run` opens (SQLite: a staging file, attached
        beforehand; PostgreSQL: nothing to do, COPY runs in `apply`)."""
        try:
            with db.load({ENTRY_TABLE: plan.entries()}) as self.loader:
                yield
        finally:
            self.loader = None

    def apply(self, plan: Plan, context: steps.Context) -> None:
        db.check_next_id(LIST_TABLE, plan.list_id)  # the id handed out while planning is still free
        CrossCheckList.objects.create(
            pk=plan.list_id, rule=self.rule, department=self.department, file_name=context.file_name,
            file_sha256=context.sha256, imported_by=context.actor, imported_at=timezone.now(),
            row_count=len(plan.rows), hit_count=len(plan.hits), scope=plan.scope, scope_key=scope_key(plan.scope),
            outside_count=plan.outside)
        db.sync_sequence(LIST_TABLE)
        if self.loader is not None:
            self.loader.load(ENTRY_TABLE)
        else:  # applied without `prepare`: loaded inside the transaction (executemany, or COPY)
            with db.load({ENTRY_TABLE: plan.entries()}) as loader:
                loader.load(ENTRY_TABLE)
        matching.insert_hits(plan.list_id, self.rule, plan.hits)
