"""Where a run's per-household results go, and how they go away.

SQLite: the bulk `Loader` (a DuckDB-staged file copied in with one `INSERT … SELECT`), inside the
transaction that marks the run finished.

PostgreSQL: the results table is partitioned by run (migration 0002). A run's results are COPied into
a table of their own that no reader sees yet — in two streams on two connections when the caller is not
inside a transaction, so the server parses and stores with both cores — then, in one transaction, the
primary key is built once over the sorted whole, the table is attached as the run's partition and the
run is marked finished. A failure at any point drops the table and the run; readers only ever see a
run's results whole. Discarding a run drops its partition instead of deleting ten million rows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
from django.db import connection, transaction

from jingzhun.identification.models import HouseholdResult, IdentificationRun
from jingzhun.registry.bulk import Loader, copy_csv, for_database, indexes_deferred

TABLE = HouseholdResult._meta.db_table
# Below this many rows one stream is as fast as two (a connection costs milliseconds).
PARALLEL_FROM = 200_000


def partition(run_id: int) -> str:
    return f"{TABLE}_r{int(run_id)}"


def write(run_id: int, table: pa.Table, finished: Callable[[], None], timings: dict[str, float] | None = None) -> None:
    """Land `table` (the result columns without run_id) as run `run_id`'s results and call `finished`
    in the same transaction; all or nothing. Seconds per step go into `timings` when given."""
    timings = {} if timings is None else timings
    start = time.perf_counter()
    table = table.append_column("run_id", pa.array(np.full(table.num_rows, run_id, dtype=np.int64)))
    if connection.vendor != "postgresql":
        with Loader({TABLE: table}) as loader, transaction.atomic():
            with indexes_deferred(TABLE, table.num_rows):
                loader.load(TABLE)
            finished()
        return
    table = for_database(table)
    name = partition(run_id)
    # The CHECK lets ATTACH skip its scan of the whole table; LIKE copies the columns' own checks.
    create = (f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS, '
              f"CHECK (run_id = {int(run_id)}))")
    # A table of that name can only be a leftover (the run id was just handed out): a crash, or a
    # database emptied with its sequences reset. Replace it.
    drop = f'DROP TABLE IF EXISTS "{name}"'
    streams = 2 if table.num_rows >= PARALLEL_FROM and not connection.in_atomic_block else 1
    if streams == 1:
        with transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(drop)
                cur.execute(create)
            copy_csv(name, table)
            _attach(name, run_id)
            finished()
        return
    with connection.cursor() as cur:
        cur.execute(drop)
        cur.execute(create)
    try:
        _copy_in_parallel(name, table, streams)
        timings["copy"] = time.perf_counter() - start
        with transaction.atomic():
            _attach(name, run_id)
            timings["key_and_attach"] = time.perf_counter() - start - timings["copy"]
            finished()
    except BaseException:
        with connection.cursor() as cur:
            cur.execute(drop)
        raise


def _attach(name: str, run_id: int) -> None:
    with connection.cursor() as cur:
        # One sort of the whole run; PostgreSQL may use parallel workers for it.
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute(f'ALTER TABLE "{name}" ADD PRIMARY KEY (run_id, household_id)')
        cur.execute(f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES IN ({int(run_id)})')


def _copy_in_parallel(name: str, table: pa.Table, streams: int) -> None:
    """COPY slices of `table` on `streams` connections of their own, each committed; the table is not
    attached yet, so nobody sees it until `_attach`."""
    step = -(-table.num_rows // streams)
    errors: list[BaseException] = []

    def copy(part: pa.Table) -> None:
        raw: Any = None
        try:
            raw = connection.get_new_connection(connection.get_connection_params())
            copy_csv(name, part, raw)
            raw.commit()
        except BaseException as error:  # noqa: BLE001 — re-raised in the caller's thread
            errors.append(error)
        finally:
            if raw is not None:
                raw.close()

    threads = [threading.Thread(target=copy, args=(table.slice(i * step, step),)) for i in range(streams)]
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
            cur.execute(f'DROP TABLE IF EXISTS "{partition(run_id)}"')
        else:
            cur.execute(f'DELETE FROM "{TABLE}" WHERE run_id = %s', [run_id])
        cur.execute(f'DELETE FROM "{IdentificationRun._meta.db_table}" WHERE id = %s', [run_id])


def latest(household_id: int) -> HouseholdResult | None:
    """The household's result in the most recent finished run that has one (with its run).

    Asked as point lookups on the key — (run, household) for each finished run — because the key leads
    with the run: a query on the household alone would read every result of every run (on SQLite it
    planned as a scan of the whole table)."""
    finished = list(IdentificationRun.objects.filter(finished_at__isnull=False).values_list("id", flat=True))
    if not finished:
        return None
    return (HouseholdResult.objects.filter(run_id__in=finished, household_id=household_id).select_related("run")
            .order_by("-run__started_at", "-run_id").first())
