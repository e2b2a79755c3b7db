"""Import a register file: read → validate every row → compare with the database → write in bulk.

Modes: "all" (default) imports nothing when any row is invalid; "valid" imports the households all
of whose rows are valid and reports the rest. Households are matched by household number, so
importing the same file twice changes nothing the second time; a changed file updates what changed
and records each changed field in `registry_change` (sensitive fields: only that they changed).
Members are matched by the blind index of their resident ID and keep their row ids across updates,
including when they move between two households of the same file.

Everything from the first write to the last happens in one database transaction: a failure or a
killed process leaves the register exactly as it was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from jingzhun import crypto, db
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.identity import mask, mask_id_like
from jingzhun.registry import signals, template, validation
from jingzhun.registry.models import ImportBatch
from jingzhun.registry.reading import RawTable, read_any
from jingzhun.tabular import rules, steps
from jingzhun.tabular.problems import Problem
from jingzhun.tabular.rules import Scope

Progress = Callable[[str, float], None]  # (stage, fraction done)

HOUSEHOLD_FIELDS = [k for k in template.HOUSEHOLD_KEYS if template.BY_KEY[k].level == "household" and k != "household_number"]
INCOME_FIELDS = [k for k in template.HOUSEHOLD_KEYS if template.BY_KEY[k].level == "income" and k != "income_year"]
MEMBER_FIELDS = [
    "name", "relation", "sex", "birth_date", "ethnicity", "education", "schooling", "labour",
    "migrant_months", "medical_insurance", "pension_insurance", "assistance",
]
KIND = {col.key: col.kind for col in template.COLUMNS}
DB_COLUMN = {"village": "village_id"}
CENT = Decimal("0.01")
STEP = 2000  # parameters per IN (...) query


ErrorRow = Problem  # the one row-problem type (jingzhun.tabular.problems)
UNRESTRICTED = Scope(None)


@dataclass
class ImportResult:
    file_name: str
    rows: int = 0
    households: int = 0
    errors: list[ErrorRow] = field(default_factory=list)
    rejected_households: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    imported: bool = False
    batch_id: int | None = None
    moved: int = 0  # households whose village changes
    # A check's plan: a sample of the changes an import would make (household, member position, field, old, new)
    preview: list[tuple[str, int | None, str, str, str]] = field(default_factory=list)
    villages: list[str] = field(default_factory=list)  # every village the import writes (or would write) in

    @property
    def ok(self) -> bool:
        return not self.errors


def _noop(stage: str, done: float) -> None:
    pass


def import_register(
    path: str | Path,
    *,
    actor: str = "cli",
    mode: str = "all",
    scope: tuple[str, str] | Sequence[tuple[str, str]] | None = None,
    progress: Progress = _noop,
) -> ImportResult:
    """Validate and import one file. `scope` is the importer's area code range (or ranges): villages
    outside it are rejected like unknown ones. Mode "all" imports nothing if any row is invalid, "valid" imports
    the valid households, "check" only validates."""
    if mode not in ("all", "valid", "check"):
        raise ValueError("mode must be 'all', 'valid' or 'check' (validate only, write nothing)")
    attempts: list[ImportResult] = []  # each attempt's result, as soon as its file is read

    def refused(exc: Exception) -> ImportResult:
        # Still clashing after the last attempt: nothing of the file was written; said in words, as a problem
        # of the whole file (row 0), like the other importers' (`steps.CONFLICT`).
        last = attempts[-1]
        rule = str(exc) if isinstance(exc, ScopeChanged) else steps.CONFLICT
        return ImportResult(file_name=last.file_name, rows=last.rows, households=last.households,
                            errors=[Problem(last.file_name, 0, "", "", rule)])

    # Another write that lands between this import's check and its write (another officer's file or form):
    # the file is read and checked again, and planned on what is stored now (`steps.retried`).
    return steps.retried(lambda: _import_once(path, actor, mode, scope, progress, attempts.append), refused)


def _import_once(path: str | Path, actor: str, mode: str, scope: tuple[str, str] | Sequence[tuple[str, str]] | None,
                 progress: Progress, started: Callable[[ImportResult], None]) -> ImportResult:
    progress("read", 0.0)
    raw, cell_problems = read_any(path)
    file_name = raw.file_name
    result = ImportResult(file_name=file_name, rows=raw.table.num_rows)
    started(result)
    row_no = raw.table.column("_row").to_numpy()
    cells = _cell_columns(raw)
    area_rule = Scope.of_ranges(spans_of(scope))  # the one area rule (jingzhun.tabular.rules)
    masked_problems = [(int(row_no[i]), key, rule) for i, key, rule in _unmask(cells, area_rule)]
    # The digest (hashlib lets go of the GIL on large buffers) is taken while the rows are checked.
    hashing = ThreadPoolExecutor(1)
    digest_of = hashing.submit(_digest, Path(path))
    hashing.shutdown(wait=False)
    progress("read", 1.0)

    progress("validate", 0.0)
    villages = Area.objects.filter(level="village")
    spans = spans_of(scope)
    if spans is not None:
        within = Q(pk__in=[])
        for low, high in spans:
            within |= Q(code__gte=low, code__lte=high)
        villages = villages.filter(within)
    # Into an empty register every valid person is written, so the resident IDs are encrypted
    # together with their blind index, by the same worker processes, while this one validates.
    speculate = mode != "check" and not _has_members()
    ids: list[crypto.Batch] = []

    def index_of(fixed: np.ndarray) -> Callable[[], pa.Array]:
        ids.append(crypto.Batch("resident_id", fixed, index=True, encrypt=speculate))
        return ids[-1].index

    cell_problems += masked_problems
    try:
        checked = validation.check(cells, row_no, set(villages.values_list("code", flat=True)), index_of,
                                   lambda indexes: _registered_people(indexes, area_rule),
                                   lambda numbers: _stored_outside(numbers, area_rule))
        return _after_check(checked, cells, cell_problems, row_no, result, digest_of, ids[0] if speculate else None,
                            actor, mode, progress, spans)
    finally:
        for batch in ids:
            batch.close()


def _after_check(checked: validation.Checked, cells: dict[str, pa.Array], cell_problems: list[tuple[int, str, str]],
                 row_no: np.ndarray, result: ImportResult, digest_of: Future[str], id_ciphers: crypto.Batch | None,
                 actor: str, mode: str, progress: Progress, spans: list[tuple[str, str]] | None = None) -> ImportResult:
    file_name = result.file_name
    for row, key, rule in cell_problems:
        rows = np.flatnonzero(row_no == row)
        checked.problems.add(rows, key, rule, [""] * len(rows))
    bad_households = _bad_households(checked)
    result.errors = _error_rows(checked, cells, row_no, file_name)
    cells.clear()  # what the write needs is in `checked`; the file's text columns can go
    named = np.array([h != "" for h in checked.households], dtype=bool)
    result.households = int(named.sum())
    result.rejected_households = int((bad_households & named).sum())
    progress("validate", 1.0)
    good = named & ~bad_households & (checked.head_row >= 0)
    if mode == "check":
        # The plan an import would carry out (a pure diff: nothing is written), for the page that asks to
        # confirm; and the check is audited, as it names households and people of the register.
        _preview(checked, _plan(checked, good), result)
        audit.record(actor, "import.check", object_type="file", object_id=file_name[:64], file=file_name,
                     sha256=digest_of.result(), rows=result.rows, households=result.households,
                     errors=len(result.errors), areas=result.villages)
    if (result.errors and mode == "all") or mode == "check":
        return result
    _write(checked, good, file_name, digest_of.result(), result, actor, mode, progress, id_ciphers, spans)
    return result


def spans_of(scope: tuple[str, str] | Sequence[tuple[str, str]] | None) -> list[tuple[str, str]] | None:
    if scope is None:
        return None
    return [scope] if isinstance(scope, tuple) and isinstance(scope[0], str) else list(scope)  # type: ignore[list-item, arg-type]


MASKED_ID = rules.MASKED_ID.pattern  # "a masked ID means unchanged" (jingzhun.tabular.rules)
MASKED_UNKNOWN = ("脱敏的证件号码须与本户已登记的同名成员相符 / a masked ID must match a member of this name registered in "
                  "this household")


def _unmask(cells: dict[str, pa.Array], area_rule: Scope) -> list[tuple[int, str, str]]:
    """A masked export imported back: a masked ID that matches the row's stored person (same household, same
    name, same mask) stands for that person, and the cells the masked export left out — the birth date given
    as its year, health and disability grade left empty — mean "unchanged". The stored values are put into
    the cells, so every rule runs as usual and the comparison finds nothing changed. Returns (row index,
    column, rule) for masked IDs that match no one; only households in the importer's areas are looked at."""
    ids = pc.utf8_trim_whitespace(pc.cast(cells.get("resident_id", pa.array([], pa.string())), pa.string()))
    at = np.flatnonzero(pc.fill_null(pc.match_substring_regex(ids, MASKED_ID), False).to_numpy(zero_copy_only=False))
    if not len(at):
        return []
    take = pa.array(at)
    text = {key: pc.cast(cells[key], pa.string()).take(take).to_pylist() if key in cells else [None] * len(at)
            for key in ("household_number", "name", "birth_date", "health", "disability_grade")}
    numbers = sorted({(n or "").strip() for n in text["household_number"]})
    stored: dict[tuple[str, str, str], tuple[str, Any, str]] = {}
    ids_cipher, health_cipher = crypto.resident_id_cipher(), crypto.health_cipher()
    with connection.cursor() as cur:
        for chunk in _chunks(numbers):
            cur.execute("SELECT h.number, h.village_id, m.name, m.resident_id_cipher, m.birth_date, m.health_cipher "
                        "FROM registry_member m JOIN registry_household h ON h.id = m.household_id "
                        f"WHERE h.number IN ({_marks(chunk)})", list(chunk))
            for number, village, name, id_blob, born, health_blob in cur.fetchall():
                if area_rule.covers(village):
                    rid = ids_cipher.decrypt(bytes(id_blob))
                    stored[(number, name, mask(rid))] = (rid, born, health_cipher.decrypt(bytes(health_blob)))
    problems, updates = [], {key: list(pc.cast(cells[key], pa.string()).to_pylist()) if key in cells else None
                             for key in ("resident_id", "birth_date", "health", "disability_grade")}
    for k, row in enumerate(at.tolist()):
        found = stored.get(((text["household_number"][k] or "").strip(), (text["name"][k] or "").strip(),
                            ids[row].as_py()))
        if found is None:
            problems.append((row, "resident_id", MASKED_UNKNOWN))
            continue
        rid, born, health_text = found
        status, _, grade = health_text.partition(":")
        born_text = born.isoformat() if hasattr(born, "isoformat") else str(born)
        fills = {"resident_id": rid}
        given = (text["birth_date"][k] or "").strip()
        if given in ("", born_text[:4]):
            fills["birth_date"] = born_text
        if not (text["health"][k] or "").strip() and not (text["disability_grade"][k] or "").strip():
            fills.update(health=status, disability_grade=grade)
        for key, value in fills.items():
            column = updates[key]
            if column is None:
                column = updates[key] = [None] * len(ids)
            column[row] = value
    for key, column in updates.items():
        if column is not None:
            cells[key] = pa.array(column, pa.string())
    return problems


def _cell_columns(raw: RawTable) -> dict[str, pa.Array]:
    """One contiguous array per column (validation trims them). The file's table is taken out of
    `raw` and released column by column as it is converted, so the file (gigabytes at a million
    households) is never in memory twice."""
    table, raw.table = raw.table, raw.table.slice(0, 0)
    cells = {}
    for name in [n for n in table.column_names if n != "_row"]:
        cells[name] = table.column(name).combine_chunks()
        table = table.drop_columns([name])
    return cells


def _bad_households(checked: validation.Checked) -> np.ndarray:
    """Households with any invalid row — and, until nothing changes, both households of a person
    moving between two households of this file when either is invalid: the move only makes sense
    with both rewritten together (otherwise the person would be in two households, or in none)."""
    bad = np.zeros(len(checked.households), dtype=bool)
    bad_rows = checked.problems.bad_rows(checked.n)
    bad[checked.household_index[bad_rows & (checked.household_index >= 0)]] = True
    position = {h: i for i, h in enumerate(checked.households)} if checked.moves else {}
    changed = bool(checked.moves)
    while changed:
        changed = False
        for row, origin in checked.moves.items():
            own, before = int(checked.household_index[row]), position.get(origin)
            if own < 0 or before is None or bad[own] == bad[before]:
                continue
            bad[own] = bad[before] = changed = True
            checked.problems.add(
                np.array([row]), "resident_id",
                f"此人从户 {origin} 迁入，两户须一并导入，其中一户有错误 / moves from household {origin}; "
                "both households are held back because one of them has errors",
                [validation.mask(checked.id_numbers[row].as_py())])
    return bad


def _error_rows(checked: validation.Checked, cells: dict[str, pa.Array], row_no: np.ndarray, file_name: str) -> list[ErrorRow]:
    positions = {col.key: i for i, col in enumerate(template.COLUMNS)}
    found: list[tuple[int, int, str, str, str]] = []
    for rows, key, rule, shown in checked.problems.items:
        if shown is None:
            shown = cells[key].take(pa.array(rows)).to_pylist() if key in cells else [""] * len(rows)
        elif isinstance(shown, pa.Array):
            shown = shown.to_pylist()
        rules = rule if isinstance(rule, list) else [rule] * len(rows)
        header = template.BY_KEY[key].header
        for r, value, message in zip(rows.tolist(), shown, rules):
            found.append((int(row_no[r]), positions[key], header, mask_id_like(str(value)), message))
    found.sort(key=lambda e: (e[0], e[1], e[4]))
    return [ErrorRow(file_name, r, header, value, message) for r, _, header, value, message in found]


def _has_members() -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM registry_member)")
        return bool(_first(cur))


def _registered_people(indexes: pa.Array, area_rule: Scope = UNRESTRICTED) -> dict[bytes, tuple[str, bool]]:
    """Which of these people are already in a household in the database: index → (household number,
    whether its village is within `spans`, the importer's areas; None = everywhere)."""
    found: dict[bytes, tuple[str, bool]] = {}
    if not _has_members():
        return found
    with connection.cursor() as cur:
        for chunk in _chunks(indexes.to_pylist()):
            cur.execute(
                "SELECT m.resident_id_index, h.number, h.village_id FROM registry_member m "
                "JOIN registry_household h ON h.id = m.household_id "
                f"WHERE m.resident_id_index IN ({_marks(chunk)})", chunk)
            for index, number, village in cur.fetchall():
                found[bytes(index)] = (number, area_rule.covers(village))
    return found


def _stored_outside(numbers: list[str], area_rule: Scope) -> set[str]:
    """The household numbers among `numbers` registered now in a village outside `spans` (the
    importer's areas); nothing to look up for an unrestricted importer."""
    if area_rule.unrestricted:
        return set()
    outside: set[str] = set()
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM registry_household)")
        if not _first(cur):
            return outside
        for chunk in _chunks(numbers):
            cur.execute(f"SELECT number, village_id FROM registry_household WHERE number IN ({_marks(chunk)})", chunk)
            outside.update(number for number, village in cur.fetchall() if not area_rule.covers(village))
    return outside


def _digest(path: Path) -> str:
    """The file's SHA-256, as `sha256sum` prints it: what an auditor can check the file against."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _first(cur: Any) -> Any:
    row = cur.fetchone()
    return row[0] if row else None


def _chunks(items: Sequence[Any], step: int = STEP) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), step):
        yield items[i : i + step]


def _marks(chunk: Sequence[Any]) -> str:
    return ", ".join(["%s"] * len(chunk))


# --- comparing with the database ---------------------------------------------------------------


def canonical(key: str, value: Any) -> Any:
    """One spelling per value, so a file cell and a database value compare equal when they mean the same."""
    if value is None:
        return None
    kind = KIND.get(key)
    if kind == "bool":
        return "1" if value in (True, 1, "1") else "0"
    if kind == "decimal":
        # SQLite hands NUMERIC columns back as float; repr of a 2-decimal float is exact.
        return Decimal(str(value)).quantize(CENT)
    if kind == "date":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return value


def pylist(arr: pa.Array) -> list[Any]:
    """Arrow → Python list. Through numpy where that is exact (~9× faster than to_pylist); numpy
    would turn null integers into NaN, so those take the slow road."""
    if arr.null_count == 0 or pa.types.is_string(arr.type):
        return arr.to_numpy(zero_copy_only=False).tolist()
    return arr.to_pylist()


def _column_lists(checked: validation.Checked, keys: Iterable[str], rows: np.ndarray) -> dict[str, list[Any]]:
    """Values of `keys` at `rows`, canonical Python values."""
    take = pa.array(rows)
    out = {}
    for key in keys:
        arr = checked.values[key].take(take)
        kind = KIND[key]
        if kind == "decimal":
            out[key] = [None if v is None else v.quantize(CENT) for v in arr.to_pylist()]
        elif kind == "date":
            out[key] = pylist(pc.cast(arr, pa.string()))
        else:
            out[key] = pylist(arr)
    return out


@dataclass
class Plan:
    """What the write will do, decided before the transaction starts."""

    new_households: np.ndarray  # household indexes (into checked.households)
    household_id: dict[int, int]  # household index → database id, of those already in the database
    update_households: list[int] = field(default_factory=list)  # household indexes whose fields changed
    rewrite_members: list[int] = field(default_factory=list)  # household indexes whose members changed
    replace_income: list[int] = field(default_factory=list)  # household indexes whose income changed
    status_changed: list[int] = field(default_factory=list)
    # household index → the year of its latest stored status event, of the households whose status changes
    # (the year their new status event takes depends on it: `event_years`)
    last_event_year: dict[int, int] = field(default_factory=dict)
    income_year: dict[int, int] = field(default_factory=dict)  # household index → the file's income year
    member_id: dict[bytes, int] = field(default_factory=dict)  # blind index → kept member id
    changes: list[tuple[int, str, int | None, str, str, str]] = field(default_factory=list)
    # every planned household's id, new ones included, as one array (index → id, -1 if none), filled
    # when the new ids are handed out
    id_array: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    village_before: dict[int, str] = field(default_factory=dict)  # household index → its stored village

    def ids(self, households: np.ndarray) -> pa.Array:
        """The database ids of these household indexes (every one planned), without a Python
        object per household: a million of them are looked up for each table of a first load."""
        return pa.array(self.id_array[households])


def _plan(checked: validation.Checked, good: np.ndarray) -> Plan:
    good_idx = np.flatnonzero(good)
    numbers = [checked.households[i] for i in good_idx]
    existing: dict[str, tuple[Any, ...]] = {}
    hcols = ["id", "number", *[DB_COLUMN.get(k, k) for k in HOUSEHOLD_FIELDS]]
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM registry_household)")
        if _first(cur):
            for chunk in _chunks(numbers):
                cur.execute(f"SELECT {', '.join(hcols)} FROM registry_household WHERE number IN ({_marks(chunk)})", chunk)
                for row in cur.fetchall():
                    existing[row[1]] = row
    matched = np.array([checked.households[i] in existing for i in good_idx], dtype=bool)
    village_at = hcols.index("village_id")
    plan = Plan(new_households=good_idx[~matched],
                household_id={int(i): existing[checked.households[i]][0] for i in good_idx[matched]},
                village_before={int(i): existing[checked.households[i]][village_at] for i in good_idx[matched]})
    if not existing:
        return plan
    _compare(checked, good_idx[matched], existing, plan)
    return plan


def _compare(checked: validation.Checked, matched: np.ndarray, existing: dict[str, tuple[Any, ...]], plan: Plan) -> None:
    heads = checked.head_row[matched]
    file_h = _column_lists(checked, [*HOUSEHOLD_FIELDS, "income_year", *INCOME_FIELDS], heads)
    ids = [plan.household_id[int(i)] for i in matched]
    number_of = {plan.household_id[int(i)]: checked.households[i] for i in matched}
    updates, status_changed = set(), set()
    for k, i in enumerate(matched.tolist()):
        db = existing[checked.households[i]]
        for key, old in zip(HOUSEHOLD_FIELDS, db[2:]):
            new = file_h[key][k]
            old = canonical(key, old)
            if new != old:
                updates.add(i)
                plan.changes.append((db[0], checked.households[i], None, key, _text(old), _text(new)))
                if key in ("status", "status_reason", "exit_year"):
                    status_changed.add(i)
    plan.update_households = sorted(updates)
    plan.status_changed = sorted(status_changed)
    plan.last_event_year = _last_event_years(plan, plan.status_changed)

    # Income of the file's year.
    incomes: dict[tuple[int, int], tuple[Any, ...]] = {}
    members: dict[int, list[tuple[Any, ...]]] = {}
    mcols = ["id", "household_id", "position", "resident_id_index", "health_cipher", *MEMBER_FIELDS]
    with connection.cursor() as cur:
        for chunk in _chunks(ids):
            cur.execute(f"SELECT household_id, year, {', '.join(INCOME_FIELDS)} FROM registry_incomerecord "
                        f"WHERE household_id IN ({_marks(chunk)})", chunk)
            for row in cur.fetchall():
                incomes[(row[0], row[1])] = row[2:]
            cur.execute(f"SELECT {', '.join(mcols)} FROM registry_member WHERE household_id IN ({_marks(chunk)})", chunk)
            for row in cur.fetchall():
                members.setdefault(row[1], []).append(row)
    replace = set()
    for k, i in enumerate(matched.tolist()):
        hid, year = plan.household_id[i], file_h["income_year"][k]
        if year is None:  # no income year: the income is left as it is
            continue
        plan.income_year[i] = year
        old_income = incomes.get((hid, year))
        if old_income is None:
            replace.add(i)
            plan.changes.append((hid, checked.households[i], None, "income_year", "", str(year)))
            continue
        for key, old in zip(INCOME_FIELDS, old_income):
            new, old = file_h[key][k], canonical(key, old)
            if new != old:
                replace.add(i)
                plan.changes.append((hid, checked.households[i], None, key, _text(old), _text(new)))
    plan.replace_income = sorted(replace)

    # Members, matched by blind index within the household.
    health = crypto.health_cipher()
    rows_of: dict[int, list[int]] = {}
    in_matched = np.isin(checked.household_index, matched)
    for r in np.flatnonzero(in_matched).tolist():
        rows_of.setdefault(int(checked.household_index[r]), []).append(r)
    all_rows = np.flatnonzero(in_matched)
    file_m = dict(zip(all_rows.tolist(), zip(*_column_lists(checked, [*MEMBER_FIELDS, "health", "disability_grade"],
                                                                 all_rows).values())))
    index_of_row = dict(zip(all_rows.tolist(), checked.id_index.take(pa.array(all_rows)).to_pylist()))
    rewrite = set()
    for db_members in members.values():
        for m in db_members:
            plan.member_id[bytes(m[3])] = m[0]
    for i, rows in rows_of.items():
        hid = plan.household_id[i]
        number = number_of[hid]
        before = {bytes(m[3]): m for m in members.get(hid, [])}
        seen = set()
        for r in rows:
            index = index_of_row[r]
            assert index is not None
            seen.add(index)
            values = file_m[r]
            position = int(checked.position[r])
            old = before.get(index)
            if old is None:
                rewrite.add(i)
                plan.changes.append((hid, number, position, "member_added", "", values[0]))
                continue
            for key, new, prev in zip(MEMBER_FIELDS, values, old[5:]):
                prev = canonical(key, prev)
                if new != prev:
                    rewrite.add(i)
                    plan.changes.append((hid, number, position, key, _text(prev), _text(new)))
            if old[2] != position:
                rewrite.add(i)
                plan.changes.append((hid, number, position, "position", str(old[2]), str(position)))
            health_text = f"{values[-2]}:{'' if values[-1] is None else values[-1]}"
            if health.decrypt(old[4]) != health_text:
                rewrite.add(i)
                plan.changes.append((hid, number, position, "health", "（加密）", "（加密）"))
        for index, old in before.items():
            if index not in seen:
                rewrite.add(i)
                plan.changes.append((hid, number, old[2], "member_removed", old[5], ""))
    plan.rewrite_members = sorted(rewrite)


PREVIEW_CHANGES = 20


def _counts(plan: Plan, result: ImportResult) -> set[int]:
    """The plan's figures into the result; the household indexes it updates."""
    updated = set(plan.update_households) | set(plan.rewrite_members) | set(plan.replace_income)
    result.inserted = len(plan.new_households)
    result.updated = len(updated)
    result.unchanged = len(plan.household_id) - len(updated)
    result.moved = sum(1 for c in plan.changes if c[3] == "village")
    return updated


def _preview(checked: validation.Checked, plan: Plan, result: ImportResult) -> None:
    """What confirming would do: the counts, every village it would write in, and the first changes."""
    updated = _counts(plan, result)
    result.villages = _written_villages(checked, plan, updated)
    result.preview = [(number, position, key, old, new) for _hid, number, position, key, old, new
                      in plan.changes[:PREVIEW_CHANGES]]


def _text(value: Any) -> str:
    return "" if value is None else str(value)[:200]


# --- writing -------------------------------------------------------------------------------------


def _write(checked: validation.Checked, good: np.ndarray, file_name: str, digest: str, result: ImportResult,
           actor: str, mode: str, progress: Progress, id_ciphers: crypto.Batch | None = None,
           spans: list[tuple[str, str]] | None = None) -> None:
    seen = db.commits_seen()  # before the plan reads: a commit by another connection from here on may change it
    plan = _plan(checked, good)
    now = timezone.now()
    stamp = connection.ops.adapt_datetimefield_value(now)
    stamp = stamp if isinstance(stamp, str) else now.isoformat()
    updated = _counts(plan, result)
    written_villages = result.villages = _written_villages(checked, plan, updated)

    # Ids are handed out before the transaction (the tables are staged with them) and checked
    # again inside it, with other writers locked out.
    first = {t: db.next_id(t) for t in ("registry_household", "registry_member", "registry_importbatch")}
    plan.id_array = np.full(len(checked.households), -1, dtype=np.int64)
    plan.id_array[plan.new_households] = first["registry_household"] + np.arange(len(plan.new_households))
    if plan.household_id:  # households already in the database keep theirs
        plan.id_array[np.fromiter(plan.household_id, np.int64)] = np.fromiter(plan.household_id.values(), np.int64)
    batch_id = first["registry_importbatch"]
    member_households = np.concatenate([plan.new_households, np.asarray(plan.rewrite_members, dtype=np.int64)])
    member_rows = np.flatnonzero(np.isin(checked.household_index, member_households))
    income_households = np.concatenate([plan.new_households, np.asarray(plan.replace_income, dtype=np.int64)])
    # A household without an income year gets no income row (see validation: its amounts are empty).
    income_households = income_households[
        checked.values["income_year"].take(pa.array(checked.head_row[income_households])).is_valid()
        .to_numpy(zero_copy_only=False)]
    status_households = np.concatenate([plan.new_households, np.asarray(plan.status_changed, dtype=np.int64)])
    progress("write", 0.0)
    # The members' ciphertexts are computed by worker processes while the other tables are built
    # (and, on PostgreSQL, copied); the member table is made when they are ready.
    members = _MemberTable(checked, plan, member_rows, first["registry_member"], id_ciphers)
    tables: dict[str, pa.Table | Callable[[], pa.Table]] = {
        "registry_member": members,
        "registry_household": _household_table(checked, plan, stamp),
        "registry_incomerecord": _income_table(checked, plan, income_households),
        "registry_statusevent": _status_table(checked, plan, status_households, batch_id, stamp,
                                              timezone.localdate(now).year),
        "registry_change": _change_table(plan, batch_id),
    }
    progress("write", 0.4)
    rejected_rows = int(checked.problems.bad_rows(checked.n).sum())
    # Nothing but inserts (a first load): foreign keys are checked once, as sets, at the end.
    inserts_only = not (plan.update_households or plan.rewrite_members or plan.replace_income)
    # A large page cache keeps the blind-index B-tree in memory while the members go in.
    with (members, db.load(tables, late=LATE_TABLES) as loader, db.ForeignKeysAtEnd(inserts_only) as keys,
          db.atomic_writing("registry_importbatch"), db.page_cache(BULK_CACHE_KIB)):
        del tables
        keys.mark()
        for table, expected in first.items():
            db.check_next_id(table, expected)
        _still_within(plan, spans)
        _still_planned(checked, good, plan, seen)
        if not plan.update_households and loader.staged:
            # Everything the write needs from the parsed file is staged: its columns (half the
            # memory the import holds at a million households) can go before SQLite's cache grows.
            checked.values.clear()
            members.release()
        ImportBatch.objects.create(
            pk=batch_id, file_name=file_name, file_sha256=digest, mode=mode, actor=actor, started_at=now,
            rows=checked.n, rejected_rows=rejected_rows,
            households_inserted=result.inserted, households_updated=result.updated,
            households_unchanged=result.unchanged,
        )
        touched = len(updated) + len(plan.new_households)
        # Which villages changed, when few households did; beyond that listeners redo everything.
        touched_ids = (None if touched > TOUCHED_LISTED else
                       plan.id_array[np.concatenate([np.asarray(sorted(updated), dtype=np.int64), plan.new_households])].tolist())
        villages_before = _villages_of(touched_ids)
        _update_households(checked, plan, stamp)
        _delete_rewritten(plan)
        # Members arrive in (household, position) order, the order of the two indexes kept. Staged
        # (SQLite), they go first while a thread stages the households (LATE_TABLES); PostgreSQL
        # re-adds the members' foreign key when they are in, so there the households go first.
        loads = [("registry_member", len(member_rows), ("member_position_unique", "one_head_per_household")),
                 ("registry_household", len(plan.new_households), ())]
        for (table, adding, keep), done in zip(loads if loader.staged else loads[::-1], (0.6, 0.9)):
            with db.indexes_deferred(table, adding, keep=keep):
                loader.load(table)
            progress("write", done)
        for table in ("registry_incomerecord", "registry_statusevent", "registry_change"):
            with db.indexes_deferred(table, loader.rows(table)):
                loader.load(table)
        for table in ("registry_household", "registry_member", "registry_incomerecord", "registry_statusevent",
                      "registry_change", "registry_importbatch"):
            db.sync_sequence(table)
        ImportBatch.objects.filter(pk=batch_id).update(finished_at=timezone.now())
        if touched:
            villages_after = _villages_of(touched_ids)
            changed = None if villages_before is None or villages_after is None else villages_before | villages_after
            signals.register_changed.send(sender=ImportBatch, villages=changed)
        audit.record(actor, "import", object_type="import_batch", object_id=str(batch_id), file=file_name,
                     sha256=digest, inserted=result.inserted, updated=result.updated, unchanged=result.unchanged,
                     rejected_households=result.rejected_households, areas=written_villages)
        keys.check()
    progress("write", 1.0)
    result.imported = True
    result.batch_id = batch_id


# On SQLite, staged by a thread while the transaction loads the members (see `db.load`): the
# transaction runs on one core, and everything before it keeps both busy.
LATE_TABLES = ("registry_household", "registry_incomerecord", "registry_statusevent", "registry_change")
BULK_CACHE_KIB = 512 * 1024
TOUCHED_LISTED = 5000  # more changed households than this: listeners are told "everything changed"


def _written_villages(checked: validation.Checked, plan: Plan, updated: set[int]) -> list[str]:
    """Every village the import writes in — of its new and changed households, and where a moved household
    was before — for the audit row, so each village's officers see the import that touched it."""
    written = np.concatenate([plan.new_households, np.asarray(sorted(updated), dtype=np.int64)])
    villages = set(pc.unique(checked.values["village"].take(pa.array(checked.head_row[written]))).to_pylist())
    villages.update(plan.village_before.get(i, "") for i in updated)
    return sorted(v for v in villages if v)


class ScopeChanged(db.ConcurrentWrite):
    """A household the import updates left the importer's areas between the check and the write."""


class PlanChanged(db.ConcurrentWrite):
    """What the plan compared the file with changed between the plan and the write."""


def _still_planned(checked: validation.Checked, good: np.ndarray, plan: Plan, seen: tuple[int, int] | None) -> None:
    """The plan once more, inside the write's transaction with other writers locked out: a household it
    updates, or leaves as it is, changed since (an officer's decision, another file) must not be written from
    the old comparison — its fields would be overwritten without their change rows and status events. Only
    when the plan matched stored households: new households and people are held by the unique keys."""
    if not plan.household_id or not db.others_committed_since(seen):
        return  # nothing stored to compare, or (SQLite) nobody else committed since the plan: it stands
    again = _plan(checked, good)
    if (again.household_id != plan.household_id or again.village_before != plan.village_before
            or again.changes != plan.changes or again.last_event_year != plan.last_event_year
            or again.member_id != plan.member_id or not np.array_equal(again.new_households, plan.new_households)):
        raise PlanChanged("户在检查后被修改，未导入任何数据 / a household changed after the check; nothing was imported")


def _still_within(plan: Plan, spans: list[tuple[str, str]] | None) -> None:
    """The area rule once more, inside the write's transaction with other writers locked out: a
    household moved out of the importer's areas since the check must not be written after all."""
    if spans is None or not plan.household_id:
        return
    outside = " OR ".join(["village_id BETWEEN %s AND %s"] * len(spans))
    flat = [code for span in spans for code in span]
    with connection.cursor() as cur:
        for chunk in _chunks(list(plan.household_id.values()), max(100, STEP - 2 * len(spans))):
            cur.execute(f"SELECT 1 FROM registry_household WHERE id IN ({_marks(chunk)}) AND NOT ({outside})",
                        [*chunk, *flat])
            if cur.fetchone():
                raise ScopeChanged("户已迁出您的管辖范围，未导入任何数据 / a household has left your areas since the "
                                   "check; nothing was imported")


def _villages_of(household_ids: list[int] | None) -> set[str] | None:
    if household_ids is None or len(household_ids) > TOUCHED_LISTED:
        return None
    found: set[str] = set()
    with connection.cursor() as cur:
        for chunk in _chunks(household_ids):
            cur.execute(f"SELECT DISTINCT village_id FROM registry_household WHERE id IN ({_marks(chunk)})", list(chunk))
            found.update(r[0] for r in cur.fetchall())
    return found


def _db_column(checked: validation.Checked, key: str, rows: np.ndarray) -> pa.Array:
    """One column at `rows`, typed for the database: codes as text, amounts as their text ("1234.50",
    what both databases take for an exact decimal), booleans as bool."""
    arr = checked.values[key].take(pa.array(rows))
    if KIND[key] == "decimal":
        # Written once per distinct amount, not once per row: 1.1 s → 0.1 s for a million incomes.
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        return pa.DictionaryArray.from_arrays(arr.indices, pc.cast(arr.dictionary, pa.string())).dictionary_decode()
    return pc.equal(arr, "1") if KIND[key] == "bool" else arr


def _update_households(checked: validation.Checked, plan: Plan, stamp: Any) -> None:
    if not plan.update_households:
        return
    rows = checked.head_row[plan.update_households]
    table = db.for_database(pa.table({k: _db_column(checked, k, rows) for k in HOUSEHOLD_FIELDS}))
    ids = [plan.household_id[i] for i in plan.update_households]
    sets = ", ".join(f'"{DB_COLUMN.get(k, k)}" = %s' for k in HOUSEHOLD_FIELDS)
    columns = [table.column(k).to_pylist() for k in HOUSEHOLD_FIELDS]
    db.execute_many(f"UPDATE registry_household SET {sets}, updated_at = %s WHERE id = %s",
                      [(*values, stamp, hid) for *values, hid in zip(*columns, ids)])


def _delete_rewritten(plan: Plan) -> None:
    with connection.cursor() as cur:
        for chunk in _chunks([plan.household_id[i] for i in plan.rewrite_members]):
            cur.execute(f"DELETE FROM registry_member WHERE household_id IN ({_marks(chunk)})", chunk)
    # Only the file's year is replaced; other years' incomes stay.
    db.execute_many("DELETE FROM registry_incomerecord WHERE household_id = %s AND year = %s",
                      [(plan.household_id[i], plan.income_year[i]) for i in plan.replace_income])


def _household_table(checked: validation.Checked, plan: Plan, stamp: str) -> pa.Table:
    new = plan.new_households
    heads = checked.head_row[new]
    columns: dict[str, Any] = {
        "id": plan.ids(new),
        "number": pa.array([checked.households[i] for i in new.tolist()], pa.string()),
    }
    for key in HOUSEHOLD_FIELDS:
        columns[DB_COLUMN.get(key, key)] = _db_column(checked, key, heads)
    columns["created_at"] = columns["updated_at"] = pa.array([stamp] * len(new), pa.string())
    return pa.table(columns)


class _MemberTable:
    """Members to insert, resident ID and health encrypted; known people keep their ids. Building it
    starts the encryption in worker processes; calling it waits for them and returns the table."""

    def __init__(self, checked: validation.Checked, plan: Plan, rows: np.ndarray, first_id: int,
                 id_ciphers: crypto.Batch | None):
        self.checked, self.plan, self.first_id = checked, plan, first_id
        self.household_id = plan.id_array[checked.household_index[rows]]
        order = np.lexsort((checked.position[rows], self.household_id))
        self.rows = rows = rows[order]
        self.household_id = self.household_id[order]
        take = pa.array(rows)
        self.batches: list[crypto.Batch] = []
        if id_ciphers is not None:
            # Every valid ID was encrypted during validation: pick this table's rows from them.
            valid = np.flatnonzero(checked.id_index.is_valid().to_numpy(zero_copy_only=False))
            at = np.full(checked.n, -1, dtype=np.int64)
            at[valid] = np.arange(len(valid))
            self.id_at: np.ndarray | None = at[rows]
            assert (self.id_at >= 0).all()  # only households whose every row is valid are written
            self.ids = id_ciphers
        else:
            self.id_at = None
            self.ids = self._start(crypto.Batch("resident_id", checked.id_fixed[rows], encrypt=True))
        # Health status and disability grade as one text, "disabled:2", from a handful of distinct ones.
        grade = pc.fill_null(pc.cast(checked.values["disability_grade"].take(take), pa.string()), "")
        health = pc.cast(checked.values["health"].take(take), pa.string())
        text = pc.dictionary_encode(pc.binary_join_element_wise(health, grade, ":"))
        self.health = self._start(crypto.Batch("health", codes=text.indices.to_numpy(zero_copy_only=False),
                                               texts=text.dictionary.to_pylist(), encrypt=True))

    def release(self) -> None:
        self.checked = self.ids = self.health = None  # type: ignore[assignment]

    def _start(self, batch: crypto.Batch) -> crypto.Batch:
        self.batches.append(batch)
        return batch

    def __enter__(self) -> _MemberTable:
        return self

    def __exit__(self, *exc: object) -> None:
        for batch in self.batches:
            batch.close()

    def __call__(self) -> pa.Table:
        checked, plan, rows, first_id = self.checked, self.plan, self.rows, self.first_id
        take = pa.array(rows)
        index = checked.id_index.take(take)
        if plan.member_id:
            ids, next_id = [], first_id
            for blind in index.to_pylist():
                kept = plan.member_id.get(blind)
                if kept is None:
                    kept, next_id = next_id, next_id + 1
                ids.append(kept)
            member_ids = pa.array(ids, pa.int64())
        else:
            member_ids = pa.array(np.arange(first_id, first_id + len(rows), dtype=np.int64))
        id_cipher = self.ids.ciphers()
        if self.id_at is not None:
            id_cipher = id_cipher.take(pa.array(self.id_at))
        columns: dict[str, Any] = {
            "id": member_ids,
            "household_id": pa.array(self.household_id),
            "position": pa.array(checked.position[rows]),
            "resident_id_cipher": id_cipher,
            "resident_id_index": index.cast(pa.binary()),
            "health_cipher": self.health.ciphers(),
        }
        self.ids.close()
        self.health.close()
        for key in MEMBER_FIELDS:
            columns[key] = _db_column(checked, key, rows)
        return pa.table(columns)


def _income_table(checked: validation.Checked, plan: Plan, households: np.ndarray) -> pa.Table:
    heads = checked.head_row[households]
    columns: dict[str, Any] = {
        "household_id": plan.ids(households),
        "year": checked.values["income_year"].take(pa.array(heads)),
    }
    for key in INCOME_FIELDS:
        columns[key] = _db_column(checked, key, heads)
    return pa.table(columns)


def _last_event_years(plan: Plan, households: list[int]) -> dict[int, int]:
    """The year of each household's latest stored status event (households with none are left out)."""
    by_id = {plan.household_id[i]: i for i in households}
    years: dict[int, int] = {}
    with connection.cursor() as cur:
        for chunk in _chunks(list(by_id)):
            cur.execute("SELECT household_id, MAX(year) FROM registry_statusevent "
                        f"WHERE year IS NOT NULL AND household_id IN ({_marks(chunk)}) GROUP BY household_id", chunk)
            years.update((by_id[hid], int(year)) for hid, year in cur.fetchall())
    return years


def event_years(status: pa.Array, exit_year: pa.Array, income_year: pa.Array, last_year: pa.Array,
                this_year: int) -> pa.Array:
    """The year of the status event a file's row records, so that the status at the end of a year (the latest
    event of a year ≤ it: `appraisal.yearly.status_at`, `assessment.exprs.latest_status`) reads the file right.

    The row tells the status at the end of its income year (the file's year; without one, the year of the
    import). An exit is dated its exit year when that comes after the household's latest stored event
    (`last_year`, null for a new household): a poor household that exited in its exit year. When it does not,
    the exit year is an earlier exit the household came back to — monitoring ended (风险消除) or a return to
    poverty ended — and the change is dated the file's year: dated its old exit year it would sort before the
    monitoring it ends, and the household would count as monitored for ever."""
    observed = pc.fill_null(income_year, this_year)
    later = pc.or_kleene(pc.is_null(last_year), pc.greater(exit_year, last_year))
    use_exit = pc.fill_null(pc.and_kleene(pc.equal(status, "exited"), pc.and_kleene(pc.is_valid(exit_year), later)),
                            False)
    return pc.if_else(use_exit, exit_year, observed)


def _status_table(checked: validation.Checked, plan: Plan, households: np.ndarray, batch: int, stamp: str,
                  this_year: int) -> pa.Table:
    heads = pa.array(checked.head_row[households])
    status = checked.values["status"].take(heads)
    # As an array, without a Python object per household: a first load has a million and no stored events.
    stored = np.full(len(checked.households), -1, dtype=np.int64)
    if plan.last_event_year:
        stored[np.fromiter(plan.last_event_year, np.int64)] = np.fromiter(plan.last_event_year.values(), np.int64)
    last_year = stored[households]
    last = pa.array(last_year, pa.int64(), mask=last_year < 0)
    year = event_years(status, pc.cast(checked.values["exit_year"].take(heads), pa.int64()),
                       pc.cast(checked.values["income_year"].take(heads), pa.int64()), last, this_year)
    return pa.table({
        "household_id": plan.ids(households),
        "status": status,
        "year": year,
        "reason": checked.values["status_reason"].take(heads),
        "batch_id": pa.array([batch] * len(households), pa.int64()),
        "recorded_at": pa.array([stamp] * len(households), pa.string()),
    })


def _change_table(plan: Plan, batch: int) -> pa.Table:
    names = ["household_id", "household_number", "member_position", "field", "old_value", "new_value"]
    columns: list[Sequence[Any]] = list(zip(*plan.changes)) if plan.changes else [[] for _ in names]
    types = [pa.int64(), pa.string(), pa.int64(), pa.string(), pa.string(), pa.string()]
    table = {name: pa.array(list(col), t) for name, col, t in zip(names, columns, types)}
    return pa.table({"batch_id": pa.array([batch] * len(plan.changes), pa.int64()), **table})
