"""Import a register file: read → validate every row → compare with the database → write in bulk.

Modes: "all" (default) imports nothing when any row is invalid; "valid" imports the households all
of whose rows are valid and reports the rest. Households are matched by household number, so
importing the same file twice changes nothing the second time; a changed file updates what changed
and records each changed field in `registry_change` (sensitive fields: only that they changed).
Members are matched within their household by the blind index of their resident ID and keep their
row ids across updates.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from django.db import connection, transaction
from django.utils import timezone

from jingzhun import crypto
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.identity import mask, validate_many
from jingzhun.registry import bulk, template, validation
from jingzhun.registry.models import ImportBatch
from jingzhun.registry.reading import RawTable, read_any

Progress = Callable[[str, float], None]  # (stage, fraction done)

HOUSEHOLD_FIELDS = [k for k in template.HOUSEHOLD_KEYS if template.BY_KEY[k].level == "household" and k != "household_number"]
INCOME_FIELDS = [k for k in template.HOUSEHOLD_KEYS if template.BY_KEY[k].level == "income" and k != "income_year"]
MEMBER_FIELDS = [
    "name", "relation", "sex", "birth_date", "ethnicity", "education", "schooling", "labour",
    "migrant_months", "medical_insurance", "pension_insurance", "assistance",
]
BOOL_KINDS = {col.key for col in template.COLUMNS if col.kind == "bool"}
DB_COLUMN = {"village": "village_id"}
DECIMAL_KEYS = {col.key for col in template.COLUMNS if col.kind == "decimal"}
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ErrorRow:
    file: str
    row: int
    column: str
    value: str
    rule: str


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

    @property
    def ok(self) -> bool:
        return not self.errors


def _noop(stage: str, done: float) -> None:
    pass


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> Any:
    row = con.execute(sql).fetchone()
    assert row is not None
    return row[0]


def import_register(
    path: str | Path,
    *,
    actor: str = "cli",
    mode: str = "all",
    scope: tuple[str, str] | None = None,
    progress: Progress = _noop,
) -> ImportResult:
    """Validate and import one file. `scope` is the importer's area code range; villages outside it
    are rejected like unknown ones."""
    if mode not in ("all", "valid"):
        raise ValueError("mode must be 'all' or 'valid'")
    progress("read", 0.0)
    raw, cell_problems = read_any(path)
    result = ImportResult(file_name=raw.file_name, rows=raw.table.num_rows)
    with tempfile.TemporaryDirectory(prefix="jingzhun-duckdb-") as spill:
        con = duckdb.connect(config={"temp_directory": spill, "memory_limit": "2GB", "threads": 2})
        try:
            _stage(con, raw, scope, progress)
            validation.build(con)
            progress("validate", 1.0)
            result.errors = _errors(con, raw.file_name, cell_problems)
            result.households = _scalar(con, "SELECT count(*) FROM file_households")
            bad = _scalar(con, "SELECT count(DISTINCT household_number) FROM errors")
            result.rejected_households = bad
            if result.errors and mode == "all":
                return result
            _write(con, raw, result, actor, mode, progress)
        finally:
            con.close()
    return result


def _stage(con: duckdb.DuckDBPyConnection, raw: RawTable, scope: tuple[str, str] | None, progress: Progress) -> None:
    table = raw.table
    con.register("raw_arrow", table)
    present = set(table.column_names)
    cells = ", ".join(
        (f'trim("{col.key}") AS "r_{col.key}"' if col.key in present else f"'' AS \"r_{col.key}\"")
        for col in template.COLUMNS
    )
    con.execute(f"CREATE TEMP TABLE r AS SELECT _row, {cells} FROM raw_arrow")
    con.unregister("raw_arrow")
    progress("read", 1.0)

    progress("resident IDs", 0.0)
    rows = table.column("_row").to_pylist()
    texts = table.column("resident_id").to_pylist()
    normal, errors = validate_many(texts)
    cipher = crypto.resident_id_cipher()
    ok = (errors == 0).tolist()
    valid_ids = [n for n, good in zip(normal, ok) if good]
    indexes = iter(cipher.index_many(valid_ids))
    index_col = [next(indexes) if good else None for good in ok]
    ids = pa.table({
        "_row": pa.array(rows, pa.int64()),
        "rid_error": pa.array(errors, pa.int8()),
        "masked": pa.array([mask(n) for n in normal], pa.string()),
        "rid_index": pa.array(index_col, pa.binary()),
        "rid_text": pa.array([n if good else None for n, good in zip(normal, ok)], pa.string()),
    })
    con.register("ids_arrow", ids)
    con.execute("""
        CREATE TEMP TABLE ids0 AS
        SELECT _row, rid_error, masked, rid_index, rid_text,
               CASE WHEN rid_error = 0 THEN
                 CASE WHEN CAST(substr(rid_text, 17, 1) AS INT) % 2 = 1 THEN 'male' ELSE 'female' END END AS id_sex,
               CASE WHEN rid_error = 0 THEN strptime(substr(rid_text, 7, 8), '%Y%m%d')::DATE END AS id_birth,
               min(_row) OVER (PARTITION BY rid_index) AS first_row
        FROM ids_arrow
    """)
    con.unregister("ids_arrow")
    registered = _registered_people(con)
    con.register("registered_arrow", registered)
    con.execute("""
        CREATE TEMP TABLE ids AS
        SELECT ids0.* EXCLUDE (rid_text), p.household_number AS registered_in, p.member_id
        FROM ids0 LEFT JOIN registered_arrow p ON p.rid_index = ids0.rid_index
    """)
    con.execute("DROP TABLE ids0")
    con.unregister("registered_arrow")
    progress("resident IDs", 1.0)

    villages = Area.objects.filter(level="village")
    if scope:
        villages = villages.filter(code__gte=scope[0], code__lte=scope[1])
    con.register("villages_arrow", pa.table({"code": pa.array(list(villages.values_list("code", flat=True)), pa.string())}))
    con.execute("CREATE TEMP TABLE villages AS SELECT * FROM villages_arrow")
    con.unregister("villages_arrow")


def _registered_people(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """Members already in the database whose resident ID is in the file: (index, household, id)."""
    out: dict[str, list[Any]] = {"rid_index": [], "household_number": [], "member_id": []}
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM registry_member)")
        if cur.fetchone()[0]:
            wanted = [r[0] for r in con.execute("SELECT rid_index FROM ids0 WHERE rid_index IS NOT NULL").fetchall()]
            step = 2000
            for i in range(0, len(wanted), step):
                chunk = wanted[i : i + step]
                cur.execute(
                    "SELECT m.resident_id_index, h.number, m.id FROM registry_member m "
                    "JOIN registry_household h ON h.id = m.household_id "
                    f"WHERE m.resident_id_index IN ({', '.join(['%s'] * len(chunk))})",
                    chunk,
                )
                for index, number, member_id in cur.fetchall():
                    out["rid_index"].append(bytes(index))
                    out["household_number"].append(number)
                    out["member_id"].append(member_id)
    return pa.table({
        "rid_index": pa.array(out["rid_index"], pa.binary()),
        "household_number": pa.array(out["household_number"], pa.string()),
        "member_id": pa.array(out["member_id"], pa.int64()),
    })


def _errors(con: duckdb.DuckDBPyConnection, file_name: str, cell_problems: list[tuple[int, str, str]]) -> list[ErrorRow]:
    rows = con.execute("SELECT row, col_pos, column_name, coalesce(value, ''), rule FROM errors").fetchall()
    positions = {col.key: i for i, col in enumerate(template.COLUMNS)}
    rows += [(row, positions[key], template.BY_KEY[key].header, "", rule) for row, key, rule in cell_problems]
    rows.sort(key=lambda e: (e[0], e[1], e[4]))
    return [ErrorRow(file_name, r, col, val, rule) for r, _, col, val, rule in rows]


# --- writing ---------------------------------------------------------------------------------


def _write(
    con: duckdb.DuckDBPyConnection, raw: RawTable, result: ImportResult, actor: str, mode: str, progress: Progress
) -> None:
    # Households to import: every household with no error (mode "all" gets here only with none).
    con.execute("""
        CREATE TEMP TABLE good AS
        SELECT household_number FROM file_households
        WHERE household_number NOT IN (SELECT household_number FROM errors WHERE household_number IS NOT NULL)
    """)
    con.execute("""
        CREATE TEMP TABLE hh AS
        SELECT v.* FROM v JOIN good USING (household_number) WHERE v.is_head
    """)
    con.execute("""
        CREATE TEMP TABLE mm AS
        SELECT v.*, ids.rid_index, ids.member_id FROM v JOIN good USING (household_number) JOIN ids USING (_row)
    """)
    existing = _load_existing(con)
    digest = _sha256(raw)
    now = timezone.now()
    now_db = connection.ops.adapt_datetimefield_value(now)
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            file_name=raw.file_name, file_sha256=digest, mode=mode, actor=actor, started_at=now, rows=result.rows,
            rejected_rows=len({e.row for e in result.errors}),
        )
        counts = _apply(con, existing, batch, now_db, progress)
        result.inserted, result.updated, result.unchanged = counts
        ImportBatch.objects.filter(pk=batch.pk).update(
            finished_at=timezone.now(), households_inserted=counts[0], households_updated=counts[1],
            households_unchanged=counts[2],
        )
        audit.record(actor, "import", object_type="import_batch", object_id=str(batch.pk), file=raw.file_name,
                     sha256=digest, inserted=counts[0], updated=counts[1], unchanged=counts[2],
                     rejected_households=result.rejected_households)
    result.imported = True
    result.batch_id = batch.pk


def _sha256(raw: RawTable) -> str:
    # Of the parsed cells, not the bytes: the same register saved as CSV or XLSX has one digest.
    h = hashlib.sha256()
    for batch in raw.table.to_batches(100_000):
        for col in batch.columns:
            for buf in col.buffers():
                if buf is not None:
                    h.update(buf)
    return h.hexdigest()


def _load_existing(con: duckdb.DuckDBPyConnection) -> bool:
    """Copy the database rows of the file's households into DuckDB (tables dh, dm, di)."""
    numbers = [r[0] for r in con.execute("SELECT household_number FROM hh").fetchall()]
    hcols = ["id", "number", *[DB_COLUMN.get(k, k) for k in HOUSEHOLD_FIELDS]]
    mcols = ["id", "household_id", "position", "resident_id_index", "health_cipher", *MEMBER_FIELDS]
    icols = ["household_id", "year", *INCOME_FIELDS]
    homes: list[tuple[Any, ...]] = []
    members: list[tuple[Any, ...]] = []
    incomes: list[tuple[Any, ...]] = []
    with connection.cursor() as cur:
        cur.execute("SELECT EXISTS (SELECT 1 FROM registry_household)")
        if cur.fetchone()[0]:
            step = 2000
            for i in range(0, len(numbers), step):
                chunk = numbers[i : i + step]
                marks = ", ".join(["%s"] * len(chunk))
                cur.execute(f'SELECT {", ".join(hcols)} FROM registry_household WHERE number IN ({marks})', chunk)
                found = cur.fetchall()
                homes.extend(found)
                if not found:
                    continue
                ids = [h[0] for h in found]
                id_marks = ", ".join(["%s"] * len(ids))
                cur.execute(f'SELECT {", ".join(mcols)} FROM registry_member WHERE household_id IN ({id_marks})', ids)
                members.extend(cur.fetchall())
                cur.execute(f'SELECT {", ".join(icols)} FROM registry_incomerecord WHERE household_id IN ({id_marks})', ids)
                incomes.extend(cur.fetchall())
    health = crypto.health_cipher()

    def as_text(key: str, value: Any) -> Any:
        if value is None:
            return None
        if key in BOOL_KINDS:
            return "1" if value else "0"
        if key in DECIMAL_KEYS:
            # SQLite hands NUMERIC columns back as float; repr of a 2-decimal float is exact.
            return Decimal(str(value)).quantize(CENT)
        return value

    hh_rows = {c: [] for c in ["household_id", "household_number", *HOUSEHOLD_FIELDS]}  # type: dict[str, list[Any]]
    for row in homes:
        hh_rows["household_id"].append(row[0])
        hh_rows["household_number"].append(row[1])
        for key, value in zip(HOUSEHOLD_FIELDS, row[2:]):
            hh_rows[key].append(as_text(key, value))
    mm_rows = {c: [] for c in ["member_id", "household_id", "position", "rid_index", "health_text", *MEMBER_FIELDS]}  # type: dict[str, list[Any]]
    for row in members:
        mm_rows["member_id"].append(row[0])
        mm_rows["household_id"].append(row[1])
        mm_rows["position"].append(row[2])
        mm_rows["rid_index"].append(bytes(row[3]))
        mm_rows["health_text"].append(health.decrypt(row[4]))
        for key, value in zip(MEMBER_FIELDS, row[5:]):
            mm_rows[key].append(as_text(key, value))
    ii_rows = {c: [] for c in icols}  # type: dict[str, list[Any]]
    for row in incomes:
        for key, value in zip(icols, row):
            ii_rows[key].append(as_text(key, value))
    types = {k: _arrow_type(k) for k in [*HOUSEHOLD_FIELDS, *MEMBER_FIELDS, *INCOME_FIELDS]}
    types.update({"household_id": pa.int64(), "member_id": pa.int64(), "position": pa.int64(), "year": pa.int64(),
                  "household_number": pa.string(), "rid_index": pa.binary(), "health_text": pa.string()})
    for name, data in (("dh", hh_rows), ("dm", mm_rows), ("di", ii_rows)):
        arrow = pa.table({k: pa.array(v, types[k]) for k, v in data.items()})
        con.register(f"{name}_arrow", arrow)
        con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
        con.unregister(f"{name}_arrow")
    return bool(homes)


def _arrow_type(key: str) -> pa.DataType:
    kind = template.BY_KEY[key].kind if key in template.BY_KEY else "text"
    return {
        "int": pa.int64(),
        "decimal": pa.decimal128(14, 2),
        "date": pa.date32(),
    }.get(kind, pa.string())


def _changes_sql(left: str, right: str, keys: Sequence[str], join: str, label: str) -> str:
    """One row per field whose value differs between two relations joined on `join`."""
    parts = []
    for key in keys:
        parts.append(
            f"SELECT {label}, '{key}' AS field, CAST(d.\"{key}\" AS VARCHAR) AS old_value, "
            f"CAST(f.\"{key}\" AS VARCHAR) AS new_value "
            f"FROM {left} f JOIN {right} d ON {join} WHERE f.\"{key}\" IS DISTINCT FROM d.\"{key}\""
        )
    return " UNION ALL ".join(parts)


def _apply(con: duckdb.DuckDBPyConnection, existing: bool, batch: ImportBatch, now: Any, progress: Progress) -> tuple[int, int, int]:
    con.execute("""
        CREATE TEMP TABLE matched AS
        SELECT hh.household_number, dh.household_id FROM hh JOIN dh USING (household_number)
    """)
    # Field-level differences, household and income (for the file's year) and members.
    con.execute(f"""
        CREATE TEMP TABLE hchanges AS
        {_changes_sql("hh", "dh", HOUSEHOLD_FIELDS, "f.household_number = d.household_number",
                      "d.household_id, d.household_number, CAST(NULL AS BIGINT) AS position")}
    """)
    con.execute(f"""
        CREATE TEMP TABLE ichanges AS
        {_changes_sql("(SELECT hh.*, m.household_id FROM hh JOIN matched m USING (household_number))", "di",
                      INCOME_FIELDS, "f.household_id = d.household_id AND f.income_year = d.year",
                      "d.household_id, f.household_number, CAST(NULL AS BIGINT) AS position")}
        UNION ALL
        SELECT m.household_id, hh.household_number, NULL, 'income_year', NULL, CAST(hh.income_year AS VARCHAR)
        FROM hh JOIN matched m USING (household_number)
        WHERE NOT EXISTS (SELECT 1 FROM di WHERE di.household_id = m.household_id AND di.year = hh.income_year)
    """)
    con.execute("""
        CREATE TEMP TABLE fm AS
        SELECT mm.*, mm.health || ':' || coalesce(CAST(mm.disability_grade AS VARCHAR), '') AS health_text,
               m.household_id
        FROM mm JOIN matched m USING (household_number)
    """)
    member_keys = [*MEMBER_FIELDS, "position"]
    con.execute(f"""
        CREATE TEMP TABLE mchanges AS
        {_changes_sql("fm", "dm", member_keys, "f.rid_index = d.rid_index AND f.household_id = d.household_id",
                      "d.household_id, f.household_number, f.position")}
        UNION ALL
        SELECT d.household_id, f.household_number, f.position, 'health', '(加密)', '(加密)'
        FROM fm f JOIN dm d ON f.rid_index = d.rid_index AND f.household_id = d.household_id
        WHERE f.health_text <> d.health_text
        UNION ALL
        SELECT f.household_id, f.household_number, f.position, 'member_added', NULL, f.name
        FROM fm f WHERE NOT EXISTS (SELECT 1 FROM dm d WHERE d.rid_index = f.rid_index AND d.household_id = f.household_id)
        UNION ALL
        SELECT d.household_id, m.household_number, d.position, 'member_removed', d.name, NULL
        FROM dm d JOIN matched m USING (household_id)
        WHERE NOT EXISTS (SELECT 1 FROM fm f WHERE f.rid_index = d.rid_index AND f.household_id = d.household_id)
    """)
    changed_households = [r[0] for r in con.execute("SELECT DISTINCT household_id FROM hchanges").fetchall()]
    changed_members = [r[0] for r in con.execute("SELECT DISTINCT household_id FROM mchanges").fetchall()]
    changed_income = [r[0] for r in con.execute("SELECT DISTINCT household_id FROM ichanges").fetchall()]
    all_changed = set(changed_households) | set(changed_members) | set(changed_income)
    matched_count = _scalar(con, "SELECT count(*) FROM matched")
    inserted = _scalar(con, "SELECT count(*) FROM hh") - matched_count

    # New household ids, and ids for members: kept when the person was already in this household
    # or moves here from another household of this file; new otherwise.
    first_household = bulk.next_id("registry_household")
    con.execute(f"""
        CREATE TEMP TABLE hid AS
        SELECT household_number, household_id FROM matched
        UNION ALL
        SELECT household_number, {first_household} - 1 + row_number() OVER (ORDER BY household_number)
        FROM hh WHERE household_number NOT IN (SELECT household_number FROM matched)
    """)
    first_member = bulk.next_id("registry_member")
    rewrite = ", ".join(str(h) for h in changed_members) or "NULL"
    con.execute(f"""
        CREATE TEMP TABLE member_rows AS
        SELECT mm.*, hid.household_id,
               coalesce(mm.member_id,
                        {first_member} - 1 + row_number() OVER (PARTITION BY mm.member_id IS NULL ORDER BY mm._row)) AS id
        FROM mm JOIN hid USING (household_number)
        WHERE hid.household_id NOT IN (SELECT household_id FROM matched) OR hid.household_id IN ({rewrite})
    """)

    progress("write", 0.0)
    with connection.cursor() as cur:
        if changed_members:
            # Members of households whose membership changed are rewritten with their kept ids; the
            # people who moved between households of this file are deleted first, then re-inserted.
            moved = [r[0] for r in con.execute("SELECT member_id FROM member_rows WHERE member_id IS NOT NULL").fetchall()]
            for i in range(0, len(changed_members), 2000):
                chunk = changed_members[i : i + 2000]
                cur.execute(f"DELETE FROM registry_member WHERE household_id IN ({', '.join(['%s'] * len(chunk))})", chunk)
            for i in range(0, len(moved), 2000):
                chunk = moved[i : i + 2000]
                cur.execute(f"DELETE FROM registry_member WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
        if changed_households:
            sets = ", ".join(f'"{DB_COLUMN.get(k, k)}" = %s' for k in HOUSEHOLD_FIELDS)
            rows = con.execute(f"""
                SELECT {", ".join(f'hh."{k}"' for k in HOUSEHOLD_FIELDS)}, m.household_id
                FROM hh JOIN matched m USING (household_number)
                WHERE m.household_id IN (SELECT household_id FROM hchanges)
            """).fetchall()
            bulk.execute_many(
                f"UPDATE registry_household SET {sets}, updated_at = %s WHERE id = %s",
                [(*_db_values(HOUSEHOLD_FIELDS, r[:-1]), now, r[-1]) for r in rows],
            )
        if changed_income:
            ids = ", ".join(str(h) for h in changed_income)
            years = con.execute(f"SELECT DISTINCT income_year FROM hh JOIN matched USING (household_number) WHERE household_id IN ({ids})").fetchall()
            for (year,) in years:
                cur.execute(f"DELETE FROM registry_incomerecord WHERE year = %s AND household_id IN ({ids})", [year])

    hcols = ["id", "number", *[DB_COLUMN.get(k, k) for k in HOUSEHOLD_FIELDS], "created_at", "updated_at"]
    bulk.insert("registry_household", hcols, _household_rows(con, now))
    progress("write", 0.3)
    bulk.insert("registry_member", _MEMBER_COLUMNS, _member_rows(con))
    progress("write", 0.8)
    income_ids = ", ".join(str(h) for h in changed_income) or "NULL"
    bulk.insert("registry_incomerecord", ["household_id", "year", *INCOME_FIELDS], _rows(con, f"""
        SELECT hid.household_id, hh.income_year, {", ".join(f'hh."{k}"' for k in INCOME_FIELDS)}
        FROM hh JOIN hid USING (household_number)
        WHERE hid.household_id NOT IN (SELECT household_id FROM matched) OR hid.household_id IN ({income_ids})
    """, lambda r: r))
    bulk.insert("registry_statusevent", ["household_id", "status", "year", "reason", "batch_id", "recorded_at"], _rows(con, """
        SELECT hid.household_id, hh.status,
               CASE WHEN hh.status = 'exited' THEN hh.exit_year ELSE hh.income_year END,
               hh.status_reason
        FROM hh JOIN hid USING (household_number)
        WHERE hid.household_id NOT IN (SELECT household_id FROM matched)
           OR hid.household_id IN (SELECT household_id FROM hchanges WHERE field IN ('status', 'status_reason', 'exit_year'))
    """, lambda r: (*r, batch.pk, now)))
    bulk.insert("registry_change", ["batch_id", "household_id", "household_number", "member_position", "field",
                                    "old_value", "new_value"], _rows(con, """
        SELECT * FROM hchanges UNION ALL SELECT * FROM ichanges UNION ALL SELECT * FROM mchanges
    """, lambda r: (batch.pk, r[0], r[1], r[2], r[3], _clip(r[4]), _clip(r[5]))))
    for table in ("registry_household", "registry_member", "registry_incomerecord", "registry_statusevent", "registry_change"):
        bulk.sync_sequence(table)
    progress("write", 1.0)
    return inserted, len(all_changed), matched_count - len(all_changed)


_MEMBER_COLUMNS = ["id", "household_id", "position", "resident_id_cipher", "resident_id_index", "health_cipher",
                   *MEMBER_FIELDS]


def _clip(value: Any) -> str:
    return "" if value is None else str(value)[:200]


def _db_values(keys: Sequence[str], row: Sequence[Any]) -> list[Any]:
    out = []
    for key, value in zip(keys, row):
        if key in BOOL_KINDS:
            value = bulk.bool_value(value == "1")
        elif value is not None and template.BY_KEY[key].kind == "decimal":
            value = str(value)
        elif key == "identified_year" or key == "exit_year":
            value = None if value is None else int(value)
        out.append(value)
    return out


def _rows(con: duckdb.DuckDBPyConnection, sql: str, shape: Callable[[tuple[Any, ...]], Sequence[Any]]) -> Iterator[Sequence[Any]]:
    cur = con.execute(sql)
    while batch := cur.fetchmany(20_000):
        for row in batch:
            yield shape(row)


def _household_rows(con: duckdb.DuckDBPyConnection, now: Any) -> Iterator[Sequence[Any]]:
    sql = f"""
        SELECT hid.household_id, hh.household_number, {", ".join(f'hh."{k}"' for k in HOUSEHOLD_FIELDS)}
        FROM hh JOIN hid USING (household_number)
        WHERE hid.household_id NOT IN (SELECT household_id FROM matched)
        ORDER BY hid.household_id
    """
    return _rows(con, sql, lambda r: (r[0], r[1], *_db_values(HOUSEHOLD_FIELDS, r[2:]), now, now))


def _member_rows(con: duckdb.DuckDBPyConnection) -> Iterator[Sequence[Any]]:
    """Members to insert, with the resident ID and health encrypted batch by batch.

    The plain resident ID is re-read from the raw cells here (it is not kept in DuckDB's tables
    after validation) and leaves this function only as ciphertext.
    """
    ids_cipher, health_cipher = crypto.resident_id_cipher(), crypto.health_cipher()
    cur = con.execute(f"""
        SELECT m.id, m.household_id, m.position, r.r_resident_id, m.rid_index,
               m.health || ':' || coalesce(CAST(m.disability_grade AS VARCHAR), ''),
               {", ".join(f'm."{k}"' for k in MEMBER_FIELDS)}
        FROM member_rows m JOIN r USING (_row)
        ORDER BY m.id
    """)
    bool_value = bulk.bool_value
    bool_positions = [i for i, k in enumerate(MEMBER_FIELDS) if k in BOOL_KINDS]
    while batch := cur.fetchmany(50_000):
        normal, _ = validate_many([row[3] for row in batch])
        id_blobs = ids_cipher.encrypt_many(normal)
        health_blobs = health_cipher.encrypt_many([row[5] for row in batch])
        for row, id_blob, health_blob in zip(batch, id_blobs, health_blobs):
            rest = list(row[6:])
            for i in bool_positions:
                rest[i] = bool_value(rest[i] == "1")
            yield (row[0], row[1], row[2], id_blob, row[4], health_blob, *rest)
