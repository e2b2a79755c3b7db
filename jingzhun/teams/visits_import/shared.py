"""What the visits and the attendance importer share: the file's cells row by row, the cadre a row names
(by the system's cadre number or the organisation department's personnel number), the time rules, the
duplicate rule, the set-based insert and the outcome their callers read."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable, Hashable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.db import connection

from jingzhun import db
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problem, Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec
from jingzhun.teams.models import Cadre
from jingzhun.teams.scope import VISIT_ROLES, cadres_working_here

K = TypeVar("K", bound=Hashable)

EARLIEST = dt.date(2013, 1, 1)  # precise poverty alleviation (精准扶贫) began in 2013
REQUIRED = "必填 / required"
BEFORE_EARLIEST = f"早于{EARLIEST.year}年 / before {EARLIEST.year}"
NO_CADRE = "没有这个干部，或其登记在您的管辖区划以外 / no cadre with this number in your areas (none, or registered outside them)"
NO_PERSONNEL = ("没有这个人员编号的干部，或其登记在您的管辖区划以外 / no cadre with this personnel number in your areas "
                "(none, or registered outside them)")


def cadre_columns(header: str) -> tuple[Column, Column]:
    """The cadre is named by the system's cadre number (its header differs per file) or by the organisation
    department's personnel number (人员编号, as in the roster): either column, or both when they agree."""
    return (Column("cadre", header, "cadre_id", kind="int", required=False, group="cadre",
                   note="系统干部编号；与人员编号二选一，都填须一致 / the system's cadre number, or give the personnel number"),
            Column("personnel", "人员编号", "personnel_number", required=False, group="cadre",
                   note="组织部门人员编号（花名册）/ the roster's personnel number"))


@dataclass
class Rows:
    """The file's cells column by column (trimmed text, "" for a column the file lacks), the spreadsheet's
    row numbers, and every problem found so far. Rows are addressed by their index in the file."""

    spec: Spec
    numbers: list[int]
    cells: dict[str, list[str]]
    problems: Problems

    @classmethod
    def of(cls, spec: Spec, table: RawTable, cell_problems: list[tuple[int, str, str]]) -> Rows:
        problems = steps.cell_problems_of(table.file_name, spec, cell_problems)
        n = table.table.num_rows
        # Trimmed by Arrow, column at a time (Unicode whitespace, the full-width space too): no Python per cell.
        cells = {col.key: pc.utf8_trim_whitespace(pc.fill_null(table.table.column(col.key), "")).to_pylist()
                 if col.key in table.table.column_names else [""] * n for col in spec.columns}
        return cls(spec, [int(r) for r in table.table.column("_row").to_pylist()], cells, problems)

    def __len__(self) -> int:
        return len(self.numbers)

    def refuse(self, i: int, column: str, value: str, rule: str) -> None:
        """Row i breaks a rule in `column` (a key of the spec, or a header as shown)."""
        self.problems.add(self.numbers[i], self.spec.header_of(column), value, rule)

    def parsed(self, key: str, parser: Callable[[str], Any]) -> list[Any]:
        """Each row's value of a required column (None where it is empty or breaks the parser's rule)."""
        values: list[Any] = []
        for i, text in enumerate(self.cells[key]):
            value = None
            if not text:
                self.refuse(i, key, text, REQUIRED)
            else:
                try:
                    value = parser(text)
                except parse.Invalid as exc:
                    self.refuse(i, key, text, str(exc))
            values.append(value)
        return values

    def parsed_optional(self, key: str, parser: Callable[[str], Any]) -> list[Any]:
        """Each row's value of an optional column (None where it is empty or breaks the parser's rule)."""
        values: list[Any] = []
        for i, text in enumerate(self.cells[key]):
            value = None
            try:
                value = parser(text) if text else None
            except parse.Invalid as exc:
                self.refuse(i, key, text, str(exc))
            values.append(value)
        return values

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        """Every row is its own unit: valid-only mode writes the good rows."""
        return {i: [row] for i, row in enumerate(self.numbers)}


class FromRows:
    """What a check of visits or attendance hands `steps.run`: its rows' problems and units."""

    rows: Rows

    @property
    def problems(self) -> Problems:
        return self.rows.problems

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return self.rows.rows_of


def aware(naive: dt.datetime) -> dt.datetime:
    """A time in a file is local time (settings.TIME_ZONE, Beijing)."""
    return naive.replace(tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def db_datetime(value: dt.datetime) -> str:
    """The text the database column takes for an aware datetime (what Django itself would store)."""
    stored = connection.ops.adapt_datetimefield_value(value)
    return stored if isinstance(stored, str) else value.isoformat()


def first_rows(rows: Rows, keys: Sequence[K | None], column: str, rule: Callable[[int], str]) -> dict[K, int]:
    """The first row of each key; a later row with the same key breaks the rule (given the first row's
    number). The same event twice would count twice in every alert."""
    seen: dict[K, int] = {}
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            rows.refuse(i, column, rows.cells[column][i], rule(rows.numbers[seen[key]]))
        else:
            seen[key] = i
    return seen


def refuse_stored(rows: Rows, seen: dict[K, int], stored: Iterable[tuple[K, int]], column: str,
                  rule: Callable[[int], str]) -> dict[int, int]:
    """Refuse each row whose key is stored already (`stored`: key and the stored record's id; `rule` given
    that id); the refused rows' numbers → those ids (the API names the record already there)."""
    refused: dict[int, int] = {}
    for key, pk in stored:
        if key in seen:
            i = seen[key]
            rows.refuse(i, column, rows.cells[column][i], rule(pk))
            refused[rows.numbers[i]] = pk
    return refused


# The cadre a row names --------------------------------------------------------------------------------------


def _given_cadres(rows: Rows) -> list[int | None]:
    texts, personnel = rows.cells["cadre"], rows.cells["personnel"]
    ids: list[int | None] = []
    for i, text in enumerate(texts):
        ident = None
        if not text and not personnel[i]:
            rows.refuse(i, f"{rows.spec.header_of('cadre')} / {rows.spec.header_of('personnel')}", "",
                        "必填其一 / one of the two is required")
        elif text and not (text.isascii() and text.isdigit() and len(text) <= 18):  # an id fits 64 bits
            rows.refuse(i, "cadre", text, "应为干部编号（整数）/ a cadre number (integer)")
        elif text:
            ident = int(text)
        ids.append(ident)
    return ids


def _known(ids: Sequence[int | None], personnel: Sequence[str], scope: rules.Scope) -> tuple[set[int], dict[str, int]]:
    """The cadres named that the importer may refer to, by number and by personnel number. A cadre outside
    the areas is left out, so it is answered exactly as one that does not exist."""
    known: set[int] = set()
    for part in rules.chunks(sorted({k for k in ids if k is not None})):
        known.update(Cadre.objects.filter(pk__in=part).values_list("pk", flat=True))
    by_number: dict[str, int] = {}
    for part in rules.chunks(sorted({p for p in personnel if p})):
        by_number.update(Cadre.objects.filter(personnel_number__in=part).values_list("personnel_number", "pk"))
    if not scope.unrestricted:
        visible = cadres_working_here(scope, known | set(by_number.values()))
        known &= visible
        by_number = {p: k for p, k in by_number.items() if k in visible}
    return known, by_number


def cadre_ids(rows: Rows, scope: rules.Scope) -> list[int | None]:
    """Each row's cadre (None where the row names none the importer may refer to)."""
    ids = _given_cadres(rows)
    texts, personnel = rows.cells["cadre"], rows.cells["personnel"]
    known, by_number = _known(ids, personnel, scope)
    for i, k in enumerate(ids):
        p = personnel[i]
        if k is not None and k not in known:
            rows.refuse(i, "cadre", texts[i], NO_CADRE)
            ids[i] = None
        elif not p:
            continue
        elif p not in by_number:
            rows.refuse(i, "personnel", p, NO_PERSONNEL)
            ids[i] = None
        elif k is not None and by_number[p] != k:
            rows.refuse(i, "personnel", p, f"与{rows.spec.header_of('cadre')} {k} 不是同一人 / not the same cadre as number {k}")
            ids[i] = None
        elif k is None and not texts[i]:
            ids[i] = by_number[p]
    return ids


# Writing ----------------------------------------------------------------------------------------------------


def insert(tables: dict[str, pa.Table], firsts: dict[str, int], *, deferred: str) -> None:
    """Insert whole tables (their ids handed out from `firsts`, each table's next free id) inside the
    transaction `steps.run` opened: one statement per batch, no ORM per row. `deferred`: the table whose
    indexes are rebuilt after a batch as large as itself (`db.indexes_deferred`)."""
    with db.load(tables) as loader:
        for name, first in firsts.items():
            db.check_next_id(name, first)  # still free, now that writers are locked out
        for name, table in tables.items():
            with db.indexes_deferred(name, table.num_rows) if name == deferred else nullcontext():
                loader.load(name)
            db.sync_sequence(name)


# The outcome its callers read --------------------------------------------------------------------------------


@dataclass
class ImportOutcome:
    """What `import_visits` / `import_attendance` answer (the command, the demo and the tests read it)."""

    kind: str
    file_name: str
    rows: int = 0
    inserted: int = 0
    errors: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # the plan's figures (a check: what an import would do)
    written: bool = False
    # The rows refused as recorded already (a visit's helper, household and time, or a cadre's day, stored):
    # row → the stored id.
    recorded: dict[int, int] = field(default_factory=dict)

    @property
    def imported(self) -> bool:
        return self.written and self.inserted > 0

    @classmethod
    def of(cls, kind: str, outcome: steps.Outcome[Any]) -> ImportOutcome:
        counts = outcome.counts()
        return cls(kind, outcome.file_name, outcome.rows, counts.get("inserted", 0) if outcome.imported else 0,
                   outcome.problems, counts, outcome.imported)


def run(importer: steps.Importer[Any, Any], kind: str, path: Any, *, actor: str, ranges: rules.Ranges,
        user: object | None, check: bool, mode: str) -> ImportOutcome:
    """The composition (`steps.run`) with the teams' scope: officers' and work teams' areas, a helper's own
    pairs and self; neither user nor ranges = the console operator, unrestricted."""
    scope = rules.resolve(user, ranges, VISIT_ROLES, helpers=True)
    outcome = steps.run(importer, path, actor=actor, scope=scope, mode="check" if check else mode, user=user)
    return ImportOutcome.of(kind, outcome)
