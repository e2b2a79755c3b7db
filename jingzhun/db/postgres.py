"""PostgreSQL's bulk write: Arrow tables streamed into `COPY ... FROM STDIN` as CSV."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
from django.db import connection


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

