"""Set-based writes for the register: SQLite executemany or PostgreSQL COPY, never the ORM per row.

Both run inside the caller's transaction (Django's atomic block), so a batch lands whole or not
at all — including when the process is killed mid-way: SQLite's WAL and PostgreSQL's MVCC simply
never see an uncommitted transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection

CHUNK = 20_000


def insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    cols = ", ".join(f'"{c}"' for c in columns)
    n = 0
    if connection.vendor == "postgresql":
        raw = connection.connection  # psycopg 3
        with raw.cursor() as cur, cur.copy(f'COPY "{table}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                n += 1
        return n
    raw = connection.connection  # sqlite3
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(columns))})'
    chunk: list[Sequence[Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            raw.executemany(sql, chunk)
            n += len(chunk)
            chunk = []
    if chunk:
        raw.executemany(sql, chunk)
        n += len(chunk)
    return n


def execute_many(sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """A parameterised statement (%s placeholders) for each row."""
    rows = list(rows)
    if not rows:
        return
    with connection.cursor() as cur:
        cur.executemany(sql, rows)


def next_id(table: str) -> int:
    """The first free id, with the table locked against other writers until commit."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
        cur.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
        return int(cur.fetchone()[0])


def sync_sequence(table: str) -> None:
    """After inserting explicit ids, move PostgreSQL's sequence past them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"
        )


def bool_value(flag: Any) -> Any:
    return flag if connection.vendor == "postgresql" else int(flag)
