"""SQLite's side of the bulk writes: DuckDB's SQLite extension, the write lock of a deferred transaction,
and the page cache and sort threads an import sets for its own work and gives back after."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection, transaction

SQLITE_EXTENSION = "sqlite_scanner"


def duckdb_sqlite_extension() -> str:
    """DuckDB cannot download extensions here; the PyPI package carries the file for its version."""
    import duckdb
    import duckdb_extension_sqlite_scanner as package

    root = Path(package.__file__).parent / "extensions"
    matches = sorted(root.glob(f"v{duckdb.__version__}/{SQLITE_EXTENSION}.duckdb_extension"))
    if not matches:
        raise RuntimeError(f"no {SQLITE_EXTENSION} extension for DuckDB {duckdb.__version__} under {root}")
    return str(matches[0])



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



def analyze_if_analyzed(table: str) -> Any:
    """A migration step: on SQLite, gather `table`'s statistics again when the database keeps statistics
    (sqlite_stat1). A new index has none, and the planner, trusting the old ones, passes it over (the
    assessment's covering indexes were; without any statistics it takes them)."""

    def run(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "sqlite":
            return
        with schema_editor.connection.cursor() as cur:
            cur.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            if cur.fetchone():
                cur.execute(f'ANALYZE "{table}"')

    return run


def others_committed_since(seen: tuple[int, int] | None) -> bool:
    """Whether another connection committed to the database since `seen` (a `commits_seen()` of this same
    connection). On SQLite this is exact and free (`PRAGMA data_version` changes exactly when another
    connection commits); elsewhere, or on a connection opened since, it is not known: True."""
    return seen is None or commits_seen() != seen


def commits_seen() -> tuple[int, int] | None:
    """This connection and its count of other connections' commits (SQLite), else None."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cur:
        cur.execute("PRAGMA data_version")
        version = int(cur.fetchone()[0])
    return id(connection.connection), version
