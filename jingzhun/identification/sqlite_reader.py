"""DuckDB reading a SQLite database in a process of its own, the results handed back as Arrow.

DuckDB reads SQLite through its own copy of the SQLite library. Two copies in one process do not see each
other's locks (POSIX locks belong to the process): the copy that opens a WAL database while the other has
it open takes itself for the first connection and truncates the shared-memory file the other has mapped,
and the other's next read of it is a bus error (seen after a large import left a long WAL). In a process
of its own, DuckDB is one more reader of the file, as SQLite means readers to be. Every DuckDB read of
the Django SQLite database goes through here: the engines' tables (`engines.duckdb_register`) and the
sqlite engine's large reads (`engines.Session.to_arrow_all`).

    python -m jingzhun.identification.sqlite_reader DATABASE OUT_DIR EXTENSION READERS < jobs.json

`jobs.json`: a list of {"key", "query", "params"}: DuckDB queries over the database attached as `reg`
(read-only). Each result is written to OUT_DIR/<key>.arrow (Arrow IPC), READERS at a time; the process
prints a JSON list of the errors (None where a job succeeded). It imports neither Django nor the
application: only DuckDB and Arrow.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run(database: str, out: str, extension: str, readers: int, jobs: list[dict[str, Any]]) -> list[str | None]:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect(config={"threads": max(1, readers)})
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"LOAD '{extension}'")
    con.execute(f"ATTACH {database!r} AS reg (TYPE sqlite, READ_ONLY)")

    def one(job: dict[str, Any]) -> str | None:
        cur = con.cursor()
        try:
            table = cur.execute(job["query"], job.get("params") or []).to_arrow_table()
            with pa.OSFile(f"{out}/{job['key']}.arrow", "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            return None
        except duckdb.Error as exc:
            return str(exc)
        finally:
            cur.close()

    try:
        with ThreadPoolExecutor(max(1, readers)) as pool:
            return list(pool.map(one, jobs))
    finally:
        con.close()


def main() -> None:
    database, out, extension, readers = sys.argv[1:5]
    print(json.dumps(run(database, out, extension, int(readers), json.loads(sys.stdin.read()))))


if __name__ == "__main__":
    main()
