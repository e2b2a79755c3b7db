"""Rows written plainly, inside the caller's transaction: Arrow types both databases take, executemany on
SQLite, COPY on PostgreSQL, and a parameterised statement per row for the few rows an update touches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection

from jingzhun.db.postgres import copy_csv

BATCH_ROWS = 50_000  # rows per executemany: Python lists of one batch at a time


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



def insert_rows(name: str, table: pa.Table) -> None:
    """`table` (final column names, typed by `for_database`) into `name`: executemany on SQLite's own
    connection (no Django cursor wrapper per row), COPY on PostgreSQL."""
    if connection.vendor != "sqlite":
        copy_csv(name, table)
        return
    cols = ", ".join(f'"{c}"' for c in table.column_names)
    marks = ", ".join(["?"] * len(table.column_names))
    for batch in table.to_batches(BATCH_ROWS):
        rows = zip(*(col.to_pylist() for col in batch.columns))
        connection.connection.executemany(f'INSERT INTO "{name}" ({cols}) VALUES ({marks})', rows)


def execute_many(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """A parameterised statement (%s placeholders) for each row: for the few rows an update touches."""
    if not rows:
        return
    with connection.cursor() as cur:
        cur.executemany(sql, rows)

