"""Set-based writes for the register: whole Arrow tables into the database, never the ORM per row.

`Loader` takes finished tables (final column names, ids already assigned) and lands them inside the
caller's transaction:
- SQLite: DuckDB writes the tables into a private staging SQLite file (C++ speed, no Python per
  value), which is ATTACHed to Django's connection; `INSERT INTO main.t SELECT * FROM staging.t`
  then copies them inside the transaction. The staging file holds only what the register itself
  will hold (ciphertexts, blind indexes), and is deleted afterwards.
- PostgreSQL: Arrow writes CSV, streamed into `COPY ... FROM STDIN`.
Either way a batch lands whole or not at all, including when the process is killed mid-way.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.db import IntegrityError, connection, transaction

from jingzhun import scratch

SQLITE_EXTENSION = "sqlite_scanner"
STAGING_THREADS = 2


class ConcurrentWrite(RuntimeError):
    pass


def _duckdb_sqlite_extension() -> str:
    """DuckDB cannot download extensions here; the PyPI package carries the file for its version."""
    import duckdb
    import duckdb_extension_sqlite_scanner as package

    root = Path(package.__file__).parent / "extensions"
    matches = sorted(root.glob(f"v{duckdb.__version__}/{SQLITE_EXTENSION}.duckdb_extension"))
    if not matches:
        raise RuntimeError(f"no {SQLITE_EXTENSION} extension for DuckDB {duckdb.__version__} under {root}")
    return str(matches[0])


def for_database(table: pa.Table) -> pa.Table:
    """Arrow types both databases take the same way: exact decimals and dates as text, booleans
    kept for PostgreSQL and as 0/1 for SQLite (what Django itself stores)."""
    columns = {}
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_decimal(col.type) or pa.types.is_date(col.type) or pa.types.is_timestamp(col.type):
            col = pc.cast(col, pa.string())
        elif pa.types.is_boolean(col.type) and connection.vendor == "sqlite":
            col = pc.cast(col, pa.int8())
        columns[name] = col
    return pa.table(columns)


STAGING_PREFIX = "jingzhun-stage-"  # one of `jingzhun.scratch.PREFIXES`


SPLIT_ROWS = 500_000  # a staged table this large is written as two halves, on both cores


class Loader:
    """Stage tables before the transaction; `load` them inside it.

    A table may be given as a function that makes it: it is called as late as possible (in the
    order given when staging, else when the table is loaded), so work it waits for (encryption in
    other processes) overlaps with staging or loading the tables before it.

    Tables named in `late` are staged while the transaction runs: everything before it keeps both
    cores busy, while SQLite loads on one and leaves the other idle. ATTACH is impossible inside a
    transaction, so such a table's staging file is made and attached beforehand, holding an empty
    table; a thread of this process fills it (DuckDB writes a file of its own, which Python's SQLite
    then copies in) and `load` waits for that thread. The transaction never reads the file before it
    is filled, and both connections use the same SQLite library, whose locks see each other: DuckDB's
    own SQLite never touches an attached file."""

    def __init__(self, tables: dict[str, pa.Table | Callable[[], pa.Table]], late: Collection[str] = ()):
        self.pending = dict(tables)
        self.late_names = set(late)
        self.late: dict[str, Future[None]] = {}  # table → its filling, under way
        self.late_pool: ThreadPoolExecutor | None = None
        self.tables: dict[str, pa.Table] = {}
        self.tmp: str | None = None
        self.staged = False
        self.schemas: dict[str, list[str]] = {}  # table → the attached staging files holding it, in order
        self.counts: dict[str, int] = {}  # rows of each staged table (whose data is then let go)

    def table(self, name: str) -> pa.Table | None:
        made = self.pending.pop(name, None)
        if made is not None:
            table = made() if callable(made) else made
            if table.num_rows:
                self.tables[name] = for_database(table)
        return self.tables.get(name)

    def __enter__(self) -> Loader:
        # ATTACH is impossible inside a transaction: called within one (a test, a caller's atomic
        # block), SQLite takes the rows through executemany instead — slower, same result.
        anything = any(callable(t) or t.num_rows for t in self.pending.values())
        self.staged = connection.vendor == "sqlite" and anything and not connection.in_atomic_block
        if self.staged:
            scratch.sweep()
            self.tmp = scratch.mkdtemp(STAGING_PREFIX)  # 0700, with an owner lock: swept as soon as a kill ends us
            # Each table (each half of a large one) goes to its own staging file, written by its own
            # DuckDB connection: DuckDB writes a SQLite table on one thread, so two files at once
            # keep both cores busy.
            try:
                with ThreadPoolExecutor(STAGING_THREADS) as pool:
                    # A table already made is split now, so its halves are written side by side; a
                    # table still to be made is made, split and written by a thread, which queues
                    # its second half for the other.
                    jobs: list[Future[Any]] = []
                    numbered = list(enumerate(self.pending))
                    for number, name in numbered:
                        if name in self.late_names:
                            continue
                        if callable(self.pending[name]):
                            jobs.append(pool.submit(self._stage, name, number, pool, jobs))
                        else:
                            jobs += [pool.submit(self._write, name, schema, part) for schema, part in self._split(name, number)]
                    # Meanwhile the late tables' empty files.
                    late = {name: self._placeholder(name, number) for number, name in numbered if name in self.late_names}
                    for job in jobs:  # grows while it is read: a made table's second half comes last
                        job.result()
                connection.ensure_connection()
                with connection.cursor() as cur:
                    for schemas in self.schemas.values():
                        for schema in schemas:
                            # Not allowed inside a transaction.
                            cur.execute(f"ATTACH DATABASE %s AS {schema}", [self._path(schema)])
                self.late_pool = ThreadPoolExecutor(1)
                for name, table in late.items():
                    if table is not None:
                        self.late[name] = self.late_pool.submit(self._fill, name, self.schemas[name][0], table)
            except BaseException:
                self.__exit__()
                raise
        return self

    def _placeholder(self, name: str, number: int) -> pa.Table | None:
        """A late table's staging file, holding the table with no rows (attached now, filled later)."""
        table = self.table(name)
        if table is None:
            return None
        self.schemas[name] = [f"stage{number}_late"]
        self.counts[name] = table.num_rows
        self.tables[name] = table.schema.empty_table()
        with closing(sqlite3.connect(self._path(self.schemas[name][0]))) as con:
            columns = ", ".join('"' + c + '"' for c in table.column_names)
            con.execute(f'CREATE TABLE "{name}" ({columns})')
            con.commit()
        return table

    def _fill(self, name: str, schema: str, table: pa.Table) -> None:
        """Fill a late table's attached staging file, while the transaction runs on."""
        written = self._write(name, f"{schema}_duckdb", table)
        with closing(sqlite3.connect(self._path(schema), isolation_level=None)) as con:
            con.execute("PRAGMA journal_mode = OFF")  # scratch: a crash deletes the folder
            con.execute("ATTACH DATABASE ? AS written", [self._path(written)])
            con.execute(f'INSERT INTO main."{name}" SELECT * FROM written."{name}"')
            con.execute("DETACH DATABASE written")
        os.remove(self._path(written))

    def _path(self, schema: str) -> str:
        assert self.tmp is not None
        return os.path.join(self.tmp, f"{schema}.sqlite3")

    def _split(self, name: str, number: int) -> list[tuple[str, pa.Table]]:
        """The staging files of a table and their rows: a large table in two halves, so two threads
        write it. Only the table's shape is kept: its memory goes back once the halves are written."""
        table = self.table(name)
        if table is None:
            return []
        parts = [table]
        if table.num_rows >= SPLIT_ROWS:
            middle = table.num_rows // 2
            parts = [table.slice(0, middle), table.slice(middle)]
        self.schemas[name] = [f"stage{number}_{k}" for k in range(len(parts))]
        self.counts[name] = table.num_rows
        self.tables[name] = table.schema.empty_table()
        return list(zip(self.schemas[name], parts))

    def _stage(self, name: str, number: int, pool: ThreadPoolExecutor, jobs: list[Future[Any]]) -> None:
        """Make a table given as a function and write it; another thread writes its second half."""
        parts = self._split(name, number)
        jobs.extend(pool.submit(self._write, name, schema, part) for schema, part in parts[1:])
        for schema, part in parts[:1]:
            self._write(name, schema, part)

    def _write(self, name: str, schema: str, table: pa.Table) -> str:
        import duckdb

        con = duckdb.connect(config={"threads": 1})
        try:
            con.execute(f"LOAD '{_duckdb_sqlite_extension()}'")
            con.execute(f"ATTACH '{self._path(schema)}' AS stage (TYPE sqlite)")
            con.register("source", table)
            con.execute(f'CREATE TABLE stage."{name}" AS SELECT * FROM source')
            con.unregister("source")
        finally:
            con.close()
        return schema

    def rows(self, name: str) -> int:
        table = self.table(name)
        return 0 if table is None else self.counts.get(name, table.num_rows)

    def load(self, name: str) -> int:
        table = self.table(name)
        if table is None:
            return 0
        cols = ", ".join(f'"{c}"' for c in table.column_names)
        if self.staged:
            filling = self.late.pop(name, None)
            if filling is not None:
                filling.result()
            with connection.cursor() as cur:
                for schema in self.schemas[name]:  # in order: the rows arrive as they were given
                    cur.execute(f'INSERT INTO main."{name}" ({cols}) SELECT {cols} FROM {schema}."{name}"')
            return self.counts[name]
        if connection.vendor == "sqlite":
            marks = ", ".join(["?"] * len(table.column_names))
            for batch in table.to_batches(50_000):
                rows = zip(*(col.to_pylist() for col in batch.columns))
                connection.connection.executemany(f'INSERT INTO "{name}" ({cols}) VALUES ({marks})', rows)
            return table.num_rows
        copy_csv(name, table)
        return table.num_rows

    def __exit__(self, *exc: object) -> None:
        if self.late_pool is not None:  # a late table still being written, if the load failed before it
            self.late_pool.shutdown(wait=True, cancel_futures=True)
        if self.tmp is not None:
            with connection.cursor() as cur:
                cur.execute("PRAGMA database_list")
                attached = {row[1] for row in cur.fetchall()}
                for schemas in self.schemas.values():
                    for schema in schemas:
                        if schema in attached:
                            cur.execute(f"DETACH DATABASE {schema}")
            shutil.rmtree(self.tmp, ignore_errors=True)


@contextmanager
def atomic_writing(table: str) -> Iterator[None]:
    """`transaction.atomic()` that holds the write lock of the main database only, on SQLite.

    This project begins SQLite transactions IMMEDIATE, so that two writers queue instead of one
    failing half-way; but BEGIN IMMEDIATE takes the write lock of every attached database too, and
    a late table's staging file (`Loader`) is written by another connection while the transaction
    runs. So the transaction begins DEFERRED, and its first statement writes (changes nothing in)
    `table` of the main database: the same lock, taken at once, waiting for another writer under
    the same busy timeout."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    sqlite: Any = connection  # the SQLite wrapper, whose BEGIN reads `transaction_mode`
    mode = sqlite.transaction_mode
    sqlite.transaction_mode = None
    try:
        with transaction.atomic():
            sqlite.transaction_mode = mode
            with connection.cursor() as cur:
                cur.execute(f'DELETE FROM main."{table}" WHERE 0')
            yield
    finally:
        sqlite.transaction_mode = mode


def copy_csv(name: str, table: pa.Table, raw: Any = None) -> None:
    """PostgreSQL COPY from Arrow-written CSV: every non-null value quoted, so "" is an empty
    string and an unquoted empty field is NULL; bytea as \\x hex. On `raw` (a psycopg connection)
    when given, else on Django's connection."""
    columns = {}
    for col_name in table.column_names:
        col = table.column(col_name)
        if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            col = pa.array([None if b is None else "\\x" + b.hex() for b in col.to_pylist()], pa.string())
        columns[col_name] = col
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    raw = connection.connection if raw is None else raw
    with raw.cursor() as cur, cur.copy(f'COPY "{name}" ({cols}) FROM STDIN (FORMAT csv)') as copy:
        for batch in pa.table(columns).to_batches(100_000):
            buf = io.BytesIO()
            pacsv.write_csv(batch, buf, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
            copy.write(buf.getvalue())


def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """A parameterised statement (%s placeholders) for each row: for the few rows an update touches."""
    if not rows:
        return
    with connection.cursor() as cur:
        cur.executemany(sql, rows)


def next_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
        return int(cur.fetchone()[0])


def check_next_id(table: str, expected: int) -> None:
    """Inside the transaction, with writers locked out: ids handed out beforehand are still free."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
    if next_id(table) != expected:
        raise ConcurrentWrite(f"{table} changed while this import was prepared; run it again")


def sync_sequence(table: str) -> None:
    """After inserting explicit ids, move PostgreSQL's sequence past them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"
        )


@contextmanager
def indexes_deferred(table: str, adding: int, keep: Collection[str] = ()) -> Iterator[None]:
    """Drop `table`'s secondary indexes (and, on PostgreSQL, its foreign keys) while a large batch
    goes in, and rebuild them after.

    Building an index once is several times faster than keeping it up to date row by row when the
    batch is large compared with the table; on PostgreSQL a foreign key checked row by row costs an
    index probe and a trigger per row, while re-adding it checks the whole table in one join. All
    inside the caller's transaction (PostgreSQL's DDL is transactional too): a crash restores
    indexes and keys with the data, and unique indexes and foreign keys are re-checked when rebuilt,
    so a violation still aborts the whole batch. On PostgreSQL this locks the table against readers
    until commit, which is why it is kept for batches at least as large as the table.

    `keep` names indexes the batch arrives sorted by: appending to those as the rows go in costs
    less than building them again afterwards (1 s against 2.5 s for a million households' members).
    """
    if adding < 50_000:
        yield
        return
    with connection.cursor() as cur:
        cur.execute(f'SELECT COUNT(*) FROM "{table}"')
        if adding < cur.fetchone()[0]:
            yield
            return
        if connection.vendor == "sqlite":
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                        [table])
            indexes = cur.fetchall()
            keys: list[tuple[str, str]] = []
        else:
            # Indexes that back no constraint (constraint indexes go with their constraints).
            cur.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
                [table])
            indexes = cur.fetchall()
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = %s::regclass AND contype = 'f'", [table])
            keys = cur.fetchall()
        if keys:
            # Django's foreign keys are deferred: checks queued by earlier statements of this
            # transaction must run before the table may be altered.
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for name, _ in keys:
            cur.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        indexes = [(name, sql) for name, sql in indexes if name not in keep]
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    yield
    with sorting_on_all_cores(), connection.cursor() as cur:
        for _, sql in indexes:
            cur.execute(sql)
        for name, definition in keys:
            cur.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        if keys:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


SORT_MEMORY_KIB = 4096


@contextmanager
def sorting_on_all_cores() -> Iterator[None]:
    """SQLite builds an index by sorting the table's keys. Its sorter takes the page cache's size as
    its memory: with an import's large cache it sorts every key in one run, on one core. With a few
    MiB it sorts runs on worker threads and merges them: the blind index of 3.4 M members took 5.7 s
    and takes 2.6 s, the name index 3.7 s and 1.9 s (2 cores). So the cache is made small while
    indexes are built (threads allowed) and given back its size after."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA threads")
        threads = int(cur.fetchone()[0])
        cur.execute(f"PRAGMA threads = {min(4, os.cpu_count() or 1)}")
    try:
        with page_cache(SORT_MEMORY_KIB):
            yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA threads = {threads}")


@contextmanager
def page_cache(kib: int) -> Iterator[None]:
    """SQLite: the connection's page cache set to `kib` KiB for the work inside, and given back its
    own size after (a web server keeps its connections: an import must not leave one at 512 MB)."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("PRAGMA cache_size")
        own = int(cur.fetchone()[0])
        cur.execute(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute(f"PRAGMA cache_size = {own}")


class ForeignKeysAtEnd:
    """SQLite only, for a transaction that only inserts: foreign keys checked once over the new rows,
    as sets, instead of one lookup per inserted row.

    SQLite enforces a foreign key by looking the parent up for every row inserted: 3.4 M members
    cost 6.5 s to insert with it and 3.0 s without, while asking whether any of their 1 M distinct
    households is missing takes 0.3 s. Enforcement can only be switched off outside a transaction,
    so `__enter__` does that (before the caller's transaction), `mark` notes every table's last row
    inside it, and `check` — the last thing before the commit — looks up, for every foreign key of
    every table, the distinct values of the rows added since the mark; a missing parent raises
    `IntegrityError`, which rolls the whole transaction back. Rows updated or deleted are not
    covered, which is why only a transaction that inserts (a register's first load) may use this;
    anything else keeps SQLite's own enforcement.

    Most checks need no lookup at all: when the parent's ids have no gaps (its row count equals its
    highest id minus its lowest plus one) and the new values lie between those ends, every value
    has its parent. That is a first load's case (1.5 s of lookups at a million households saved);
    anything else is checked value by value as above. (The ends are integers, and so are the values
    between them as the loads write them: ids from int64 columns. A fractional number written into
    a key column by hand would pass between two ids; no load here writes one.)
    """

    def __init__(self, inserts_only: bool):
        self.active = inserts_only and connection.vendor == "sqlite" and not connection.in_atomic_block
        self.marks: dict[str, int] = {}

    def __enter__(self) -> ForeignKeysAtEnd:
        if self.active:
            connection.ensure_connection()
            with connection.cursor() as cur:
                cur.execute("PRAGMA foreign_keys = OFF")
        return self

    def mark(self) -> None:
        if not self.active:
            return
        with connection.cursor() as cur:
            for table in _tables_with_foreign_keys(cur):
                cur.execute(f'SELECT COALESCE(MAX(rowid), 0) FROM "{table}"')
                self.marks[table] = int(cur.fetchone()[0])

    def check(self) -> None:
        if not self.active:
            return
        with connection.cursor() as cur:
            ranges: dict[tuple[str, str | None], tuple[int, int] | None] = {}
            for table, last in self.marks.items():
                cur.execute(f'PRAGMA foreign_key_list("{table}")')
                for _, _, parent, column, key, *_ in cur.fetchall():
                    if (parent, key) not in ranges:
                        ranges[parent, key] = _gapless_ids(cur, parent, key)
                    if _within(_new_values_span(cur, table, column, last), ranges[parent, key]):
                        continue
                    cur.execute(
                        f'SELECT v FROM (SELECT DISTINCT "{column}" AS v FROM "{table}" '
                        f'WHERE rowid > %s AND "{column}" IS NOT NULL) '
                        f'WHERE NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p."{key or "rowid"}" = v) LIMIT 1',
                        [last])
                    missing = cur.fetchone()
                    if missing is not None:
                        raise IntegrityError(f"FOREIGN KEY constraint failed: {table}.{column} = {missing[0]!r} "
                                             f"has no row in {parent}")

    def __exit__(self, *exc: object) -> None:
        if self.active:
            with connection.cursor() as cur:
                cur.execute("PRAGMA foreign_keys = ON")


def _gapless_ids(cur: Any, table: str, key: str | None) -> tuple[int, int] | None:
    """(lowest, highest) id of `table` when every id between them is there (its row count equals
    the span), keyed by its integer primary key; else None. Counting a table and reading both ends
    of its primary key costs milliseconds."""
    cur.execute(f'PRAGMA table_info("{table}")')
    keys = [(name, kind.upper()) for _, name, kind, _, _, pk in cur.fetchall() if pk]
    if len(keys) != 1 or keys[0][1] != "INTEGER" or key not in (None, keys[0][0]):
        return None  # not the rowid: no cheap count by key
    cur.execute(f'SELECT COUNT(*) FROM "{table}"')
    count = int(cur.fetchone()[0])
    cur.execute(f'SELECT MIN(rowid) FROM "{table}"')
    low = cur.fetchone()[0]
    cur.execute(f'SELECT MAX(rowid) FROM "{table}"')
    high = cur.fetchone()[0]
    return (low, high) if count and high - low + 1 == count else None


def _new_values_span(cur: Any, table: str, column: str, last: int) -> tuple[Any, Any] | None:
    """The lowest and highest value of `column` over the rows added since the mark (None when they
    have no value). A table empty at the mark is read at both ends of its index on the column."""
    where, params = ("", []) if last == 0 else ("WHERE rowid > %s", [last])
    cur.execute(f'SELECT MIN("{column}") FROM "{table}" {where}', params)
    low = cur.fetchone()[0]
    cur.execute(f'SELECT MAX("{column}") FROM "{table}" {where}', params)
    high = cur.fetchone()[0]
    return None if low is None else (low, high)


def _within(span: tuple[Any, Any] | None, ids: tuple[int, int] | None) -> bool:
    """Every value in `span` has its parent: there is none, or they all lie in a gapless id range."""
    if span is None:
        return True
    return (ids is not None and all(isinstance(v, int) for v in span)
            and ids[0] <= span[0] and span[1] <= ids[1])


def _tables_with_foreign_keys(cur: Any) -> list[str]:
    cur.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    tables = [row[0] for row in cur.fetchall()]
    found = []
    for table in tables:
        cur.execute(f'PRAGMA foreign_key_list("{table}")')
        if cur.fetchall():
            found.append(table)
    return found
