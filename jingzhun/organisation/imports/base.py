"""What the organisation app's three imports (units, unit–village links, secondments) share, on the one
import subsystem (`jingzhun.tabular.steps`): one row per record, a natural key, the area rule on the record's
area (`rules.Scope`, the `OUTSIDE` answer whatever lies there), empty optional cells keep the stored value,
a plan that is a pure diff, writes in bulk. Each import supplies its spec, how a row names its record
(`keyed`), its values (`values`) and its model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Spec

ROLES = frozenset({"officer"})
BATCH = 1000


class RowProblem(ValueError):
    """A cell's problem: the key of its column and the rule."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass
class Checked:
    problems: Problems
    rows: dict[Any, int] = field(default_factory=dict)  # key → row number
    cells: dict[Any, dict[str, str]] = field(default_factory=dict)
    area: dict[Any, str] = field(default_factory=dict)  # key → the area the row writes in
    stored: dict[Any, dict[str, Any]] = field(default_factory=dict)  # key → stored values (with "pk")
    context: dict[str, Any] = field(default_factory=dict)  # lookups the importer read once

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return {key: [row] for key, row in self.rows.items()}


@dataclass
class Plan:
    insert: list[Any] = field(default_factory=list)
    update: list[Any] = field(default_factory=list)
    unchanged: int = 0
    written_areas: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"inserted": len(self.insert), "updated": len(self.update), "unchanged": self.unchanged}

    def areas(self) -> Iterable[str]:
        return self.written_areas


class RowImporter:
    spec: Spec
    action: str
    model: Any
    fields: tuple[str, ...]  # the fields a row sets (besides the key's)

    def lookups(self, data: dict[str, list[str | None]], scope: rules.Scope) -> dict[str, Any]:
        """What the rows refer to, read once for the whole file (areas, units, cadres); what only the
        importer's areas may refer to is filtered by `scope` in SQL."""
        return {}

    def keyed(self, cells: dict[str, str], found: dict[str, Any]) -> tuple[Any, str, dict[str, Any]]:
        """The row's key, the area it writes in, and the key's field values; raises RowProblem."""
        raise NotImplementedError

    def load_stored(self, keys: list[Any], checked: Checked) -> None:
        raise NotImplementedError

    def values(self, cells: dict[str, str], stored: dict[str, Any] | None, found: dict[str, Any]) -> dict[str, Any]:
        """The row's field values merged over the stored ones; raises RowProblem or parse.Invalid."""
        raise NotImplementedError

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        opened = steps.opening(table, self.spec, cell_problems)
        checked = Checked(opened.problems)
        checked.context = self.lookups(opened.data, context.scope)
        keyed: dict[Any, dict[str, Any]] = {}
        for row, cells in opened.rows():
            try:
                key, area, key_values = self.keyed(cells, checked.context)
            except RowProblem as exc:
                checked.problems.add(row, self.spec.header_of(exc.key), cells.get(exc.key, ""), str(exc))
                continue
            if not context.scope.covers(area):  # the area rule: one answer, whatever is stored there
                checked.problems.add(row, self.spec.header_of(self.area_column), cells.get(self.area_column, ""),
                                     rules.OUTSIDE)
                continue
            if key in checked.rows:
                checked.problems.add(row, self.spec.header_of(self.area_column), cells.get(self.area_column, ""),
                                     f"与第{checked.rows[key]}行重复 / duplicates row {checked.rows[key]}")
                continue
            checked.rows[key], checked.cells[key], checked.area[key] = row, cells, area
            keyed[key] = key_values
        checked.context["key_values"] = keyed
        self.load_stored(list(checked.rows), checked)
        for key, cells in checked.cells.items():
            self._values(checked, key, cells, checked.problems)
        return checked

    area_column = "area"

    def _values(self, checked: Checked, key: Any, cells: dict[str, str], problems: Problems) -> dict[str, Any] | None:
        try:
            return self.values(cells, checked.stored.get(key), checked.context)
        except RowProblem as exc:
            problems.add(checked.rows[key], self.spec.header_of(exc.key), cells.get(exc.key, ""), str(exc))
        except parse.Invalid as exc:
            problems.add(checked.rows[key], "", "", str(exc))
        return None

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        plan = Plan()
        for key in keep:
            values = self._values(checked, key, checked.cells[key], Problems(""))
            if values is None:
                continue
            stored = checked.stored.get(key)
            record = self.model(**checked.context["key_values"][key], **values)
            if stored is None:
                plan.insert.append(record)
            elif any(values[f] != stored[f] for f in self.fields):
                record.pk = stored["pk"]
                plan.update.append(record)
            else:
                plan.unchanged += 1
                continue
            plan.written_areas.append(checked.area[key])
        return plan

    def apply(self, plan: Plan, context: steps.Context) -> None:
        self.model.objects.bulk_create(plan.insert, batch_size=BATCH)
        self.model.objects.bulk_update(plan.update, list(self.fields), batch_size=BATCH)


def merged(stored: dict[str, Any] | None, cells: dict[str, str], key: str, parser: Any, default: Any,
           *, required: bool = False) -> Any:
    """A cell over the stored value (`rules.merged`), with the column's key on its problem."""
    try:
        value = rules.merged(None if stored is None else stored[key], cells[key], parser, required=required)
    except parse.Invalid as exc:
        raise RowProblem(key, str(exc)) from exc
    return default if value is None else value
