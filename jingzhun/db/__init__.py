"""Database plumbing shared by every app that writes or rolls up many rows: the one way in.

    from jingzhun import db

    first = db.next_id("teams_visit")                       # ids handed out before the transaction
    with db.load({"teams_visit": table}) as loader, transaction.atomic():
        db.check_next_id("teams_visit", first)              # still free, other writers locked out
        with db.indexes_deferred("teams_visit", table.num_rows):
            loader.load("teams_visit")                      # plainly when small, staged when large
        db.sync_sequence("teams_visit")

Modules, one job each: `loader` (`load`: plain below `PLAIN_BELOW` rows, DuckDB-staged on SQLite above),
`plain` (executemany / COPY, Arrow types for the database), `postgres` (COPY), `sqlite` (DuckDB's SQLite
extension, the write lock, page cache and sort threads), `ids`, `indexes`, `foreign_keys`, and `scratch`
(the private folders staging and exports use, and the sweep that removes a killed process's). Apps use
the names below, never a module's private ones.
"""

from jingzhun.db.foreign_keys import ForeignKeysAtEnd
from jingzhun.db.ids import ConcurrentWrite, check_next_id, next_id, sync_sequence
from jingzhun.db.indexes import indexes_deferred
from jingzhun.db.loader import Loader, load
from jingzhun.db.plain import execute_many, for_database
from jingzhun.db.postgres import copy_csv
from jingzhun.db.sqlite import (
                                atomic_writing,
                                commits_seen,
                                duckdb_sqlite_extension,
                                others_committed_since,
                                page_cache,
                                sorting_on_all_cores,
)

__all__ = [
    "ConcurrentWrite", "ForeignKeysAtEnd", "Loader", "atomic_writing", "check_next_id", "commits_seen", "copy_csv",
    "duckdb_sqlite_extension", "execute_many", "for_database", "indexes_deferred", "load", "next_id",
    "others_committed_since", "page_cache", "sorting_on_all_cores", "sync_sequence",
]
