"""Every importer in four named steps, and the import as their composition.

    check(table, context) -> Checked      every rule over the rows; Checked.problems, the units' rows
    plan(checked, context) -> Plan         a pure diff against what is stored: inserted, updated, moved,
                                           unchanged (reads the database, writes nothing)
    apply(plan, context) -> None           the writes and the refreshes, inside the transaction `run` opens
                                           for them and their audit row
    run(importer, path, ...) -> Outcome    read → check → (check mode: audited, stop) → plan → apply

`run` holds what is the same for every importer: the reader with the importer's spec, the modes (all or
nothing, valid only, check — `rules.kept_units`), the audit of check runs with the areas they looked at,
the outcome's counts and problems. An importer holds only what is its own: its spec, its rules, its diff and
its writes. A new importer is one module with these three methods (docs/architecture.md, "Importing").
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from django.db import IntegrityError, transaction

from jingzhun.audit import log as audit
from jingzhun.db import ConcurrentWrite
from jingzhun.tabular import rules
from jingzhun.tabular.problems import Problem, Problems
from jingzhun.tabular.read import RawTable, read_any
from jingzhun.tabular.spec import Spec


@dataclass(frozen=True)
class Context:
    """Who imports, where they may write, how, and the file."""

    actor: str
    scope: rules.Scope
    mode: str = "all"
    file_name: str = ""
    sha256: str = ""
    user: object | None = None


class Checked(Protocol):
    problems: Problems

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        """Each unit (a household, a cadre, a row) → its row numbers: what valid-only keeps or drops."""
        ...


class Plan(Protocol):
    def counts(self) -> dict[str, int]:
        """inserted / updated / moved / unchanged (and any other figure the importer reports)."""
        ...

    def areas(self) -> Iterable[str]:
        """Every area code the plan writes in (before and after a move): the audit row's areas."""
        ...

    # Optional, read with `getattr` by `run`:
    #   changed: bool — False when the plan writes nothing: then neither the writes nor their audit row
    #     happen (an importer whose re-import must leave no trace says so);
    #   detail() -> dict — more of the audit rows' detail (check and import), beside what `run` records (its
    #     keys: none of run's own — file, sha256, rows, errors, rejected_rows, counts, areas).


@dataclass
class Opened:
    """The table as an importer's `check` starts from it: the problems found so far (the reader's cell problems,
    each under its column's header), the columns as Python lists by key, and each row's number in the file."""

    spec: Spec
    problems: Problems
    data: dict[str, list[Any]]
    numbers: list[int]

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row's number and its cells by the spec's keys, trimmed; "" for a blank cell or a column the file
        does not have (an optional one)."""
        data, keys = self.data, self.spec.by_key
        for i, row in enumerate(self.numbers):
            yield row, {k: (data[k][i] or "").strip() if k in data else "" for k in keys}

    def distinct(self, key: str) -> set[str]:
        """The column's values, trimmed, each once ("" among them for a blank cell); empty without the column."""
        return distinct(self.data, key)


def distinct(data: dict[str, list[Any]], key: str) -> set[str]:
    """A column's values, trimmed, each once: what an importer looks up in the database before its rows."""
    return {(v or "").strip() for v in data.get(key, [])}


def cell_problems_of(file_name: str, spec: Spec, cell_problems: list[tuple[int, str, str]]) -> Problems:
    """A file's problems, starting with the reader's cell problems (a number or date that did not parse) under
    their columns' headers: the first thing every importer's `check` reports."""
    problems = Problems(file_name)
    for row, key, rule in cell_problems:
        problems.add(row, spec.header_of(key), "", rule)
    return problems


def opening(table: RawTable, spec: Spec, cell_problems: list[tuple[int, str, str]]) -> Opened:
    """The opening every row-at-a-time importer's `check` shares: cell problems into the report, the table as
    Python lists by column, and the row numbers."""
    data = table.table.to_pydict()
    numbers = data.pop("_row")
    return Opened(spec, cell_problems_of(table.file_name, spec, cell_problems), data, numbers)


C = TypeVar("C", bound=Checked)
P = TypeVar("P", bound=Plan)
R = TypeVar("R")
T = TypeVar("T")


@dataclass
class RowsPlan(Generic[R]):
    """The plain plan of an importer that inserts and updates rows of one model: what it writes, how many rows it
    leaves as they were, and the area codes it touches (the audit row's areas). Writes nothing when unchanged."""

    insert: list[R] = field(default_factory=list)
    update: list[R] = field(default_factory=list)
    unchanged: int = 0
    touched: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.insert or self.update)

    def counts(self) -> dict[str, int]:
        return {"inserted": len(self.insert), "updated": len(self.update), "unchanged": self.unchanged}

    def areas(self) -> Iterable[str]:
        return self.touched


class Importer(Protocol[C, P]):
    spec: Spec
    action: str  # the audit action of an import ("visits.import"); a check is "<kind>.check"

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: Context) -> C: ...

    def plan(self, checked: C, keep: list[Any], context: Context) -> P: ...

    def apply(self, plan: P, context: Context) -> None: ...


@dataclass
class Outcome(Generic[P]):
    file_name: str
    rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    plan: P | None = None
    imported: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return self.plan.counts() if self.plan is not None else {}


def _prepared(importer: Any, plan: Any, context: Context) -> AbstractContextManager[Any]:
    """What an importer readies before the transaction, when it has `prepare(plan, context)` (optional, a
    context manager around the transaction): the staging of its bulk tables, which SQLite cannot attach
    inside a transaction (`jingzhun.db.load`); its `apply` then loads them."""
    prepare = getattr(importer, "prepare", None)
    return prepare(plan, context) if callable(prepare) else nullcontext()


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


ATTEMPTS = 3
CONFLICT = ("同时有其他写入保存了相同的记录，本次未写入任何数据；请重新导入 / other writes saved the same records at the "
            "same moment: nothing was written; import again")


def retried(attempt: Callable[[], T], refused: Callable[[Exception], T]) -> T:
    """`attempt` — checks, then a write transaction — up to ATTEMPTS times; `refused(the last error)` after that.

    The checks run before the write transaction: another write that landed in between (a phone's record,
    another officer's file or form) took the ids this one prepared or the same keys (IntegrityError), or changed
    what its plan read (ConcurrentWrite). Nothing of this one landed. Check again: the checks now see those rows,
    and refuse the rows they clash with or plan the write on what is stored now. Every importer retries so, the
    register's (`jingzhun.registry.importer`) and those `run` composes."""
    for n in range(1, ATTEMPTS + 1):
        try:
            return attempt()
        except (IntegrityError, ConcurrentWrite) as exc:
            if n == ATTEMPTS:
                return refused(exc)
    raise AssertionError("unreachable")


def run(importer: Importer[C, P], path: str | Path, *, actor: str, scope: rules.Scope, mode: str = "all",
        user: object | None = None) -> Outcome[P]:
    """Read, check, and — unless the mode says otherwise — plan and apply. Nothing is written when a
    row is bad in "all" mode, or ever in "check" mode; "valid" writes the units with no bad row."""
    rules.check_mode(mode)
    path = Path(path)
    raw, cell_problems = read_any(path, importer.spec)
    context = Context(actor, scope, mode, raw.file_name, sha256_of(path), user)
    return retried(lambda: _checked_and_applied(importer, raw, cell_problems, context),
                   lambda exc: Outcome(raw.file_name, raw.table.num_rows,
                                       [Problem(raw.file_name, 0, "", "", CONFLICT)]))


def _checked_and_applied(importer: Importer[C, P], raw: RawTable, cell_problems: list[tuple[int, str, str]],
                         context: Context) -> Outcome[P]:
    actor, mode = context.actor, context.mode
    checked = importer.check(raw, cell_problems, context)
    order = {col.header: i for i, col in enumerate(importer.spec.columns)}
    outcome: Outcome[P] = Outcome(raw.file_name, raw.table.num_rows, checked.problems.sorted(order))
    keep = rules.kept_units(checked.rows_of, checked.problems.rows, mode)
    if mode == "check":
        # A check names what the register holds (and what it does not): it is an access, and audited. Its
        # plan (what an import would do with the valid units) is what the upload page shows before confirming.
        plan = importer.plan(checked, rules.kept_units(checked.rows_of, checked.problems.rows, "valid"), context)
        outcome.plan = plan
        kind = importer.action.rsplit(".", 1)[0]
        audit.record(actor, f"{kind}.check", object_type=kind, object_id=context.file_name[:64],
                     file=context.file_name, sha256=context.sha256, rows=outcome.rows,
                     errors=len(outcome.problems), areas=sorted(set(plan.areas())), **_detail(plan))
        return outcome
    if not keep:
        return outcome
    plan = importer.plan(checked, keep, context)
    if not getattr(plan, "changed", True):
        outcome.plan, outcome.imported = plan, True  # the register holds the file already: nothing to write
        return outcome
    # One transaction: the writes and their audit row land together or not at all.
    with _prepared(importer, plan, context), transaction.atomic():
        importer.apply(plan, context)
        audit.record(actor, importer.action, object_type=importer.action.rsplit(".", 1)[0],
                     object_id=context.file_name[:64], file=context.file_name, sha256=context.sha256,
                     rows=outcome.rows, rejected_rows=len(checked.problems.rows), areas=sorted(set(plan.areas())),
                     counts=plan.counts(), **_detail(plan))
    outcome.plan, outcome.imported = plan, True
    return outcome


def _detail(plan: Plan) -> dict[str, Any]:
    """The importer's own part of its audit rows' detail (`Plan.detail`, optional)."""
    detail = getattr(plan, "detail", None)
    return dict(detail()) if callable(detail) else {}
