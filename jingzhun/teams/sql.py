"""The few SQL pieces that differ between SQLite and PostgreSQL, and area scoping as a WHERE clause.

Supervision and coverage queries are plain SQL run on Django's connection, so the aggregation happens in
the database (one GROUP BY over millions of visits) and both backends run the same statements.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection

Ranges = Sequence[tuple[str, str]] | None


def pg() -> bool:
    return connection.vendor == "postgresql"


def area_where(column: str, root: tuple[str, str] | None, ranges: Ranges) -> tuple[str, list[Any]]:
    """`column` (a 12-digit code) inside the root subtree and inside one of the user's ranges.

    `ranges=None` means unrestricted (a superuser or the command line); `[]` means nothing.

    On SQLite the column is written `+column`, which keeps SQLite from range-scanning the area index: its
    planner has no histograms and takes the index even for a whole province, then fetches millions of rows
    in index order, scattered over the table (visits are stored in the order they were entered), which is
    many times slower than reading the table straight through. Aggregations here read most of the rows in
    scope anyway. PostgreSQL chooses from its statistics.
    """
    if not pg():
        column = f"+{column}"
    parts, params = [], []
    if root is not None:
        parts.append(f"{column} BETWEEN %s AND %s")
        params += list(root)
    if ranges is not None:
        if not ranges:
            return "1 = 0", []
        parts.append("(" + " OR ".join(f"{column} BETWEEN %s AND %s" for _ in ranges) + ")")
        params += [v for r in ranges for v in r]
    return (" AND ".join(parts) or "1 = 1"), params


def minute(column: str) -> str:
    # Django keeps SQLite datetimes as UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'; China's offset is whole
    # hours, so the UTC minute is the local minute.
    return f"date_trunc('minute', {column})" if pg() else f"substr({column}, 1, 16)"


def hour(column: str) -> str:
    return f"date_trunc('hour', {column})" if pg() else f"substr({column}, 1, 13)"


def seconds_between(later: str, earlier: str) -> str:
    """Whole seconds from `earlier` to `later` (exact integers: boundaries like "exactly 7 days" hold)."""
    if pg():
        return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS BIGINT)"
    return f"(CAST(strftime('%%s', {later}) AS INTEGER) - CAST(strftime('%%s', {earlier}) AS INTEGER))"


def date_key(column: str) -> str:
    """A date as the integer YYYYMMDD (year arithmetic without calendar functions: + 20000 is two years)."""
    if pg():
        return f"CAST(to_char({column}, 'YYYYMMDD') AS INTEGER)"
    return f"CAST(replace({column}, '-', '') AS INTEGER)"


def id_list(column: str, distinct: bool = False) -> str:
    d = "DISTINCT " if distinct else ""
    return f"string_agg({d}CAST({column} AS TEXT), ',')" if pg() else f"group_concat({d}{column})"


def adapt_dt(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def adapt_date(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


@functools.lru_cache(maxsize=1)
def _local_zone() -> zoneinfo.ZoneInfo:
    # Resolved once: django.utils.timezone.localtime looks the zone up per call (tens of µs — seconds over
    # the hundreds of thousands of rows an alert list can have).
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def to_datetime(value: Any) -> dt.datetime | None:
    """A datetime read by raw SQL (SQLite: UTC text) as an aware datetime in settings.TIME_ZONE."""
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(_local_zone())


def to_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def ids(text: str | None, limit: int | None = None) -> list[int]:
    """A comma-joined id list from `id_list`, as sorted integers."""
    out = sorted(int(x) for x in (text or "").split(",") if x)
    return out if limit is None else out[:limit]


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall())
