"""Whole Arrow tables into the database inside the caller's transaction, never the ORM per row: `load`.

`load(tables)` takes finished tables (final column names, ids already assigned) and returns the
context manager that lands them; its `load(name)`, called inside the transaction, writes one table.
- Few rows in all (under `PLAIN_BELOW`): written plainly inside the transaction — executemany on
  SQLite, COPY on PostgreSQL (`jingzhun.db.plain`). No staging files, no threads.
- Many rows, SQLite: DuckDB writes the tables into private staging SQLite files (C++ speed, no Python
  per value), which are ATTACHed to Django's connection; `INSERT INTO main.t SELECT * FROM staging.t`
  then copies them inside the transaction. The staging files hold only what the database itself
  will hold (ciphertexts, blind indexes), and are deleted afterwards (`jingzhun.db.scratch`).
- PostgreSQL: Arrow writes CSV, streamed into `COPY ... FROM STDIN`, at any size.
Either way a batch lands whole or not at all, including when the process is killed mid-way.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from typing import Any

import pyarrow as pa
from django.db import connection

from jingzhun.db import scratch
from jingzhun.db.plain import for_database, insert_rows
from jingzhun.db.sqlite import duckdb_sqlite_extension

STAGING_THREADS = 2


STAGING_PREFIX = "jingzhun-stage-"  # one of `jingzhun.db.scratch.PREFIXES`


SPLIT_ROWS = 500_000  # a staged table this large is written as two halves, on both cores


# Below this many rows (all tables together) a load is written plainly. Staging costs about 0.4 s whatever
# the size — a scratch folder, a DuckDB connection and a file per table, their ATTACH, two thread pools —
# while each row costs the whole register import about 9 µs staged and 23 µs written with executemany
# (households, members, incomes, status events). Measured with bench/bench_small_import.py on 2 cores at load average 6–10
# (docs/benchmarks.md): the two cross between 20,000 and 40,000 rows (3,000–6,000 households); set at the
# lower end, since on a quiet machine staging has both cores to itself. A 2-household import: 0.44 s → 0.03 s.
PLAIN_BELOW = 20_000

Tables = dict[str, "pa.Table | Callable[[], pa.Table]"]


def load(tables: Tables, late: Collection[str] = ()) -> Loader:
    """The loader of `tables` (by table name; a table may be given as a function that makes it):
    enter it before the transaction, call its `load(name)` inside it. `late` names tables staged
    while the transaction runs (see `Loader`). Whether the rows are staged or written plainly is
    decided on entering, by the connection and the number of rows."""
    return Loader(tables, late=late)


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
        self.staged = connection.vendor == "sqlite" and not connection.in_atomic_block and self._many_rows()
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

    def _many_rows(self) -> bool:
        """At least `PLAIN_BELOW` rows in all: worth staging. Tables given as functions are made now,
        in order, only while the tables made so far are too few to decide (a small load's are made
        anyway before its transaction; a large load's are left to the staging threads). With the
        threshold at 0, any table at all, unmade ones unseen: every load staged, as before the plain path."""
        if PLAIN_BELOW <= 0:
            return any(callable(t) or t.num_rows for t in self.pending.values())
        counted = sum(t.num_rows for t in self.pending.values() if not callable(t))
        for name in list(self.pending):
            made = self.pending[name]
            if counted >= PLAIN_BELOW:
                break
            if callable(made):
                self.pending[name] = made = made()  # in place: the tables keep their order
                counted += made.num_rows
        return counted >= PLAIN_BELOW

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
            con.execute(f"LOAD '{duckdb_sqlite_extension()}'")
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
        insert_rows(name, table)
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

