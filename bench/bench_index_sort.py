"""How SQLite's index builds depend on the sorter's memory and worker threads (issue: the poverty register).

    python bench/bench_index_sort.py /tmp/bw/import.sqlite3 [--runs 1]

On a database the import benchmark filled (any register database works), drops and rebuilds the
member table's two secondary indexes inside a transaction that is rolled back, under each setting:
the page cache size (which SQLite's sorter takes as its memory) and `PRAGMA threads`. The database
is left as it was. Prints a markdown table of median seconds for docs/benchmarks.md; the import
uses the last column's setting (`jingzhun.db.sqlite.SORT_MEMORY_KIB`, threads = cores).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import time

INDEXES = ("person_in_one_household", "member_name")
# (cache size in KiB, worker threads): the import's page cache with and without threads, then smaller sort memories.
SETTINGS = [(524_288, 0), (524_288, 2), (65_536, 2), (16_384, 2), (4_096, 2)]


def rebuild_seconds(con: sqlite3.Connection, index: str, cache_kib: int, threads: int) -> float:
    (sql,) = con.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", [index]).fetchone()
    con.execute("BEGIN")
    try:
        con.execute(f'DROP INDEX "{index}"')
        con.execute(f"PRAGMA threads = {threads}")
        con.execute(f"PRAGMA cache_size = -{cache_kib}")
        start = time.perf_counter()
        con.execute(sql)
        return time.perf_counter() - start
    finally:
        con.execute("ROLLBACK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    con = sqlite3.connect(args.database, isolation_level=None)
    members = con.execute("SELECT COUNT(*) FROM registry_member").fetchone()[0]
    head = " | ".join(f"{kib // 1024} MB, {t or 1} thread{'s' if t > 1 else ''}" for kib, t in SETTINGS)
    print(f"{members:,} members, {os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}\n")
    print(f"| index | {head} |\n|---|" + "---:|" * len(SETTINGS))
    for index in INDEXES:
        cells = [statistics.median(rebuild_seconds(con, index, kib, threads) for _ in range(args.runs))
                 for kib, threads in SETTINGS]
        print(f"| {index} | " + " | ".join(f"{s:.2f} s" for s in cells) + " |")


if __name__ == "__main__":
    main()
