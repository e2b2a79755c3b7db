"""Where a run's per-household results go, and how they go away.

SQLite: the bulk `Loader` (a DuckDB-staged file copied in with one `INSERT … SELECT`), inside the
transaction that marks the run finished.

PostgreSQL: the results table is partitioned by run (migration 0002). A run's results are COPied into
tables that no reader sees yet, each given its key after the load (one sort, not ten million index
insertions); then, in one transaction, they are attached as the run's partition and the run is marked
finished. A large run outside a caller's transaction goes as two halves by household, each created,
COPied and keyed on a connection of its own, so the server works on both cores; the run's partition is
then split by household range into those two halves. A failure at any point drops the tables and the
run; readers only ever see a run's results whole. Discarding a run drops its partition instead of
deleting ten million rows.

A run's row is written by `finished`, in the same transaction as its results: a process killed at any
point leaves either no run or a finished one, never one stuck unfinished. Its id is reserved beforehand
(`reserve`: inserted and deleted in one transaction; ids are never handed out twice). The only thing a
killed run can leave is, on PostgreSQL, the halves it had already committed and not yet attached: tables
no reader sees. The next write drops such tables, unless their run still holds its advisory lock (a run
being written right now, in another process).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection, transaction

from jingzhun.db import copy_csv, for_database, load
from jingzhun.db.prepared import Prepared
from jingzhun.identification.models import HouseholdResult, IdentificationRun

TABLE = HouseholdResult._meta.db_table
# Below this many rows one stream is as fast as two (a connection costs milliseconds).
PARALLEL_FROM = 200_000


# Advisory lock class (PostgreSQL) held by the session writing a run's result tables, keyed by run id.
WRITING_LOCK = 0x4A5A  # "JZ"
LEFTOVER = re.compile(rf"^{re.escape(TABLE)}_r(\d+)(?:_[01])?$")


def partition(run_id: int) -> str:
    return f"{TABLE}_r{int(run_id)}"


def reserve(run_row: IdentificationRun) -> int:
    """Give the unsaved `run_row` an id of its own without leaving a row: inserted and deleted in one
    transaction (the sequence, and SQLite's AUTOINCREMENT, never hand an id out twice). `finished` then
    inserts the row with this id, in the results' transaction."""
    table = IdentificationRun._meta.db_table
    with transaction.atomic():
        run_row.save(force_insert=True)
        with connection.cursor() as cur:
            cur.execute(f'DELETE FROM "{table}" WHERE id = %s', [run_row.pk])
    run_row._state.adding = True
    return int(run_row.pk)


def write(run_id: int, table: pa.Table, finished: Callable[[], None], timings: dict[str, float] | None = None) -> None:
    """Land `table` (the result columns without run_id) as run `run_id`'s results and call `finished`
    in the same transaction; all or nothing. Seconds per step go into `timings` when given."""
    timings = {} if timings is None else timings
    start = time.perf_counter()
    table = table.append_column("run_id", pa.array(np.full(table.num_rows, run_id, dtype=np.int64)))
    if connection.vendor != "postgresql":
        # The table's only index is its key, kept as rows arrive in key order (the results are sorted).
        with load({TABLE: table}) as loader, transaction.atomic():
            loader.load(TABLE)
            finished()
        return
    table = for_database(table)
    name = partition(run_id)
    run = int(run_id)
    sweep_leftovers()
    # Tables of these names can only be leftovers (the run id was just handed out): a crash, or a database
    # emptied with its sequences reset. Replace them.
    _drop(run)
    with connection.cursor() as cur:  # held until the run is attached or dropped: `sweep_leftovers` leaves it be
        cur.execute("SELECT pg_advisory_lock(%s, %s)", [WRITING_LOCK, run])
    try:
        _write_postgresql(run, name, table, finished, timings, start)
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s, %s)", [WRITING_LOCK, run])


def sweep_leftovers() -> list[str]:
    """PostgreSQL: drop result tables that no run owns — not attached, and no session writing them (a
    process killed after committing its halves, before attaching them). Returns the tables dropped."""
    with connection.cursor() as cur:
        cur.execute("SELECT relname FROM pg_class WHERE relkind IN ('r', 'p') AND NOT relispartition "
                    "AND relname LIKE %s", [TABLE.replace("_", r"\_") + r"\_r%"])
        found: dict[int, list[str]] = {}
        for (relname,) in cur.fetchall():
            match = LEFTOVER.match(relname)
            if match:
                found.setdefault(int(match.group(1)), []).append(relname)
        dropped = []
        for run, tables in sorted(found.items()):
            cur.execute("SELECT pg_try_advisory_lock(%s, %s)", [WRITING_LOCK, run])
            if not cur.fetchone()[0]:
                continue  # being written by a live session
            try:
                if not IdentificationRun.objects.filter(pk=run).exists():
                    _drop(run)
                    dropped += sorted(tables)
            finally:
                cur.execute("SELECT pg_advisory_unlock(%s, %s)", [WRITING_LOCK, run])
    return dropped


def _write_postgresql(run: int, name: str, table: pa.Table, finished: Callable[[], None], timings: dict[str, float],
                      start: float) -> None:
    if table.num_rows < PARALLEL_FROM or connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cur:
                # The CHECK lets ATTACH skip its scan of the whole table; LIKE copies the columns' checks.
                cur.execute(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                            f"CHECK (run_id = {run}))")
                copy_csv(name, table)
                cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
                cur.execute(f'ALTER TABLE "{name}" ADD PRIMARY KEY (run_id, household_id)')
                cur.execute(f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES IN ({run})')
            finished()
        return
    try:
        split = _split(table)
        _load_halves(run, table, split)
        timings["copy_and_key"] = time.perf_counter() - start
        with transaction.atomic(), connection.cursor() as cur:
            # The run's partition is itself split by household at `split`; each half arrived with its key
            # and a CHECK implying its bounds, so the ATTACHes scan nothing and the run's key only adopts
            # the halves' indexes.
            # (No CHECK of its own: a partitioned table's checks must be on each half under the same name;
            # the halves' own CHECKs already imply run_id = run.)
            cur.execute(f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS) '
                        f"PARTITION BY RANGE (household_id)")
            cur.execute(f'ALTER TABLE "{name}" ATTACH PARTITION "{name}_0" FOR VALUES FROM (MINVALUE) TO ({split})')
            cur.execute(f'ALTER TABLE "{name}" ATTACH PARTITION "{name}_1" FOR VALUES FROM ({split}) TO (MAXVALUE)')
            cur.execute(f'ALTER TABLE "{name}" ADD PRIMARY KEY (run_id, household_id)')
            cur.execute(f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES IN ({run})')
            timings["attach"] = time.perf_counter() - start - timings["copy_and_key"]
            finished()
    except BaseException:
        _drop(run)
        raise


def _drop(run: int) -> None:
    name = partition(run)
    with connection.cursor() as cur:
        cur.execute(f'DROP TABLE IF EXISTS "{name}", "{name}_0", "{name}_1"')


def _split(table: pa.Table) -> int:
    """The household id that halves the rows: the lower half below it, the upper from it on."""
    ids = table.column("household_id").to_numpy()
    middle = len(ids) // 2
    return int(np.partition(ids, middle)[middle])


def _load_halves(run: int, table: pa.Table, split: int) -> None:
    """Each half of the run's rows (by household, at `split`) into a table of its own, on a connection of
    its own: created, COPied and keyed there and committed, so the server parses, stores and sorts on two
    cores at once. Nobody sees these tables until they are attached."""
    name = partition(run)
    ids = table.column("household_id")
    below = pc.less(ids, split)
    halves = [(f"{name}_0", table.filter(below), f"household_id < {split}"),
              (f"{name}_1", table.filter(pc.invert(below)), f"household_id >= {split}")]
    errors: list[BaseException] = []

    def load(leaf: str, part: pa.Table, bound: str) -> None:
        raw: Any = None
        try:
            raw = connection.get_new_connection(connection.get_connection_params())
            with raw.cursor() as cur:
                cur.execute(f'CREATE TABLE "{leaf}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
                            f"CHECK (run_id = {run} AND {bound}))")
            copy_csv(leaf, part, raw)
            with raw.cursor() as cur:
                cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
                cur.execute(f'ALTER TABLE "{leaf}" ADD PRIMARY KEY (run_id, household_id)')
            raw.commit()
        except BaseException as error:  # noqa: BLE001 — re-raised in the caller's thread
            errors.append(error)
        finally:
            if raw is not None:
                raw.close()

    threads = [threading.Thread(target=load, args=half) for half in halves]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def discard(run_id: int) -> None:
    """Remove a run and its results: its partition dropped on PostgreSQL, two statements on SQLite (the
    ORM's cascade would load every result)."""
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            _drop(run_id)
        else:
            cur.execute(f'DELETE FROM "{TABLE}" WHERE run_id = %s', [run_id])
        cur.execute(f'DELETE FROM "{IdentificationRun._meta.db_table}" WHERE id = %s', [run_id])


# Asked on every household page: compiled once (jingzhun.db.prepared).
FINISHED_RUNS = Prepared(lambda: IdentificationRun.objects.filter(finished_at__isnull=False).values("id"))


def latest(household_id: int) -> HouseholdResult | None:
    """The household's result in the most recent finished run that has one (with its run).

    Asked as point lookups on the key — (run, household) for each finished run — because the key leads
    with the run: a query on the household alone would read every result of every run (on SQLite it
    planned as a scan of the whole table)."""
    finished = [r["id"] for r in FINISHED_RUNS()]
    if not finished:
        return None
    return (HouseholdResult.objects.filter(run_id__in=finished, household_id=household_id).select_related("run")
            .order_by("-run__started_at", "-run_id").first())
