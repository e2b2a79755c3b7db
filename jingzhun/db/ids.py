"""Ids handed out before a transaction and checked inside it; PostgreSQL's sequences moved past them after."""

from __future__ import annotations

from django.db import connection


class ConcurrentWrite(RuntimeError):
    pass



def next_id(table: str) -> int:
    with connection.cursor() as cur:
        cur.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
        return int(cur.fetchone()[0])


def check_next_id(table: str, expected: int) -> None:
    """Inside the transaction, with writers locked out: ids handed out beforehand are still free."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f'LOCK TABLE "{table}" IN SHARE ROW EXCLUSIVE MODE')
    if next_id(table) != expected:
        raise ConcurrentWrite(f"{table} changed while this import was prepared; run it again")


def sync_sequence(table: str) -> None:
    """After inserting explicit ids, move PostgreSQL's sequence past them."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), COALESCE((SELECT MAX(id) FROM \"{table}\"), 1))"
        )

