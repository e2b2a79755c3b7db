"""SQLite's foreign keys checked once over a first load's new rows, as sets, instead of once per row."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, connection

LOOK_UP_BELOW = 10_000  # new rows of a table checked value by value, without trying the ranges first


class ForeignKeysAtEnd:
    """SQLite only, for a transaction that only inserts: foreign keys checked once over the new rows,
    as sets, instead of one lookup per inserted row.

    SQLite enforces a foreign key by looking the parent up for every row inserted: 3.4 M members
    cost 6.5 s to insert with it and 3.0 s without, while asking whether any of their 1 M distinct
    households is missing takes 0.3 s. Enforcement can only be switched off outside a transaction,
    so `__enter__` does that (before the caller's transaction), `mark` notes every table's last row
    inside it, and `check` — the last thing before the commit — looks up, for every foreign key of
    every table, the distinct values of the rows added since the mark; a missing parent raises
    `IntegrityError`, which rolls the whole transaction back. Rows updated or deleted are not
    covered, which is why only a transaction that inserts (a register's first load) may use this;
    anything else keeps SQLite's own enforcement.

    Most checks need no lookup at all: when the parent's ids have no gaps (its row count equals its
    highest id minus its lowest plus one) and the new values lie between those ends, every value
    has its parent. That is a first load's case (1.5 s of lookups at a million households saved);
    anything else is checked value by value as above. (The ends are integers, and so are the values
    between them as the loads write them: ids from int64 columns. A fractional number written into
    a key column by hand would pass between two ids; no load here writes one.) A table with few new
    rows (under `LOOK_UP_BELOW`) is looked up at once: a handful of index probes cost less than
    counting its parents, and tables with no new row are not looked at.
    """

    def __init__(self, inserts_only: bool):
        self.active = inserts_only and connection.vendor == "sqlite" and not connection.in_atomic_block
        self.marks: dict[str, int] = {}

    def __enter__(self) -> ForeignKeysAtEnd:
        if self.active:
            connection.ensure_connection()
            with connection.cursor() as cur:
                cur.execute("PRAGMA foreign_keys = OFF")
        return self

    def mark(self) -> None:
        if not self.active:
            return
        with connection.cursor() as cur:
            self.marks = _last_rows(cur, _tables_with_foreign_keys(cur))

    def check(self) -> None:
        if not self.active:
            return
        with connection.cursor() as cur:
            now = _last_rows(cur, list(self.marks))
            ranges: dict[tuple[str, str | None], tuple[int, int] | None] = {}
            for table, last in self.marks.items():
                if now[table] == last:
                    continue  # no row added since the mark (most tables; all but a few for a small load)
                # Rowids run on from the mark, so at most this many rows are new. A few are looked up at
                # once: proving them by ranges would count every parent table (a million households).
                few = now[table] - last < LOOK_UP_BELOW
                cur.execute(f'PRAGMA foreign_key_list("{table}")')
                for _, _, parent, column, key, *_ in cur.fetchall():
                    if not few and (parent, key) not in ranges:
                        ranges[parent, key] = _gapless_ids(cur, parent, key)
                    if not few and _within(_new_values_span(cur, table, column, last), ranges[parent, key]):
                        continue
                    cur.execute(
                        f'SELECT v FROM (SELECT DISTINCT "{column}" AS v FROM "{table}" '
                        f'WHERE rowid > %s AND "{column}" IS NOT NULL) '
                        f'WHERE NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p."{key or "rowid"}" = v) LIMIT 1',
                        [last])
                    missing = cur.fetchone()
                    if missing is not None:
                        raise IntegrityError(f"FOREIGN KEY constraint failed: {table}.{column} = {missing[0]!r} "
                                             f"has no row in {parent}")

    def __exit__(self, *exc: object) -> None:
        if self.active:
            with connection.cursor() as cur:
                cur.execute("PRAGMA foreign_keys = ON")


def _gapless_ids(cur: Any, table: str, key: str | None) -> tuple[int, int] | None:
    """(lowest, highest) id of `table` when every id between them is there (its row count equals
    the span), keyed by its integer primary key; else None. Counting a table and reading both ends
    of its primary key costs milliseconds."""
    cur.execute(f'PRAGMA table_info("{table}")')
    keys = [(name, kind.upper()) for _, name, kind, _, _, pk in cur.fetchall() if pk]
    if len(keys) != 1 or keys[0][1] != "INTEGER" or key not in (None, keys[0][0]):
        return None  # not the rowid: no cheap count by key
    cur.execute(f'SELECT COUNT(*) FROM "{table}"')
    count = int(cur.fetchone()[0])
    cur.execute(f'SELECT MIN(rowid) FROM "{table}"')
    low = cur.fetchone()[0]
    cur.execute(f'SELECT MAX(rowid) FROM "{table}"')
    high = cur.fetchone()[0]
    return (low, high) if count and high - low + 1 == count else None


def _new_values_span(cur: Any, table: str, column: str, last: int) -> tuple[Any, Any] | None:
    """The lowest and highest value of `column` over the rows added since the mark (None when they
    have no value). A table empty at the mark is read at both ends of its index on the column."""
    where, params = ("", []) if last == 0 else ("WHERE rowid > %s", [last])
    cur.execute(f'SELECT MIN("{column}") FROM "{table}" {where}', params)
    low = cur.fetchone()[0]
    cur.execute(f'SELECT MAX("{column}") FROM "{table}" {where}', params)
    high = cur.fetchone()[0]
    return None if low is None else (low, high)


def _within(span: tuple[Any, Any] | None, ids: tuple[int, int] | None) -> bool:
    """Every value in `span` has its parent: there is none, or they all lie in a gapless id range."""
    if span is None:
        return True
    return (ids is not None and all(isinstance(v, int) for v in span)
            and ids[0] <= span[0] and span[1] <= ids[1])


def _tables_with_foreign_keys(cur: Any) -> list[str]:
    """Every table with a foreign key, in the schema's order: one query, not a PRAGMA per table."""
    cur.execute("SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' "
                "AND EXISTS (SELECT 1 FROM pragma_foreign_key_list(m.name))")
    return [row[0] for row in cur.fetchall()]


def _last_rows(cur: Any, tables: list[str]) -> dict[str, int]:
    """Each table's highest rowid (0 when empty), read in one statement: a load that writes a handful of
    tables would otherwise pay a query for each of the fifty the schema has, twice."""
    if not tables:
        return {}
    cur.execute(" UNION ALL ".join(f"SELECT '{t}', COALESCE(MAX(rowid), 0) FROM \"{t}\"" for t in tables))
    return {name: int(last) for name, last in cur.fetchall()}

