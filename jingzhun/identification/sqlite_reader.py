"""SQLite queries run in a process of their own, their rows carried into Arrow by DuckDB's `sqlite_query`.

The sqlite engine's big reads (`engines.Session.to_arrow_all`) come here. DuckDB hands SQLite's rows to Arrow
in C++, with no Python object per value, and several at once; but its SQLite is a second copy of the library,
and two copies in one process do not see each other's locks on a WAL database (one closing its connection
can remove the shared memory the other has mapped: a bus error). In a process of its own it is one more
reader of the file, as SQLite means readers to be.

    python -m jingzhun.identification.sqlite_reader DATABASE OUT_DIR EXTENSION READERS < jobs.json

`jobs.json`: a list of {"key", "sql", "columns": [[name, DuckDB type], ...]}. Each result is written to
OUT_DIR/<key>.arrow (Arrow IPC); the process prints a JSON list of the errors (None where a job succeeded).
It imports neither Django nor the application: only DuckDB and Arrow.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def _cast(name: str, kind: str) -> str:
    """The column back to its type (the extension hands every column over as text). An integer must be one
    exactly: DuckDB rounds "2.5" to 3, where the Python cursor's reading would refuse it."""
    column = f'"{name}"'
    if kind == "BIGINT":
        return (f"CASE WHEN {column} IS NULL THEN NULL WHEN CAST({column} AS DOUBLE) = CAST({column} AS BIGINT) "
                f"THEN CAST({column} AS BIGINT) ELSE error('not an integer: ' || {column}) END AS {column}")
    return f"CAST({column} AS {kind}) AS {column}"


def run(database: str, out: str, extension: str, readers: int, jobs: list[dict[str, Any]]) -> list[str | None]:
    import duckdb
    import pyarrow as pa

    con = duckdb.connect(config={"threads": 1})
    con.execute(f"LOAD '{extension}'")
    con.execute(f"ATTACH {database!r} AS reg (TYPE sqlite, READ_ONLY)")

    def one(job: dict[str, Any]) -> str | None:
        cur = con.cursor()
        try:
            columns = ", ".join(_cast(name, kind) for name, kind in job["columns"])
            table = cur.execute(f"SELECT {columns} FROM sqlite_query('reg', $1)", [job["sql"]]).to_arrow_table()
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
