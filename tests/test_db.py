"""jingzhun.db's `load`: few rows are written plainly inside the transaction (no staging folder, no DuckDB,
no thread), many are staged on SQLite; both ways land the same rows, in the same order, with the same ids.
Row counts and thresholds are set by each test, so what is expected is known from the test alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from django.db import connection, transaction

from jingzhun import crypto, db
from jingzhun.db import loader, scratch
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household, ImportBatch
from tests.factories import VILLAGE2, household_rows, two_households, write_csv

# The loads run their own transactions (staging is impossible inside one): a committed database.
pytestmark = pytest.mark.django_db(transaction=True)

TABLE = "test_db_rows"


@pytest.fixture
def rows_table():
    with connection.cursor() as cur:
        cur.execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, name varchar(20), amount numeric(9, 2))")
    yield TABLE
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE {TABLE}")


def numbered(n: int, start: int = 1) -> pa.Table:
    return pa.table({"id": pa.array(range(start, start + n), pa.int64()),
                     "name": [f"第{k}行" for k in range(start, start + n)],
                     "amount": pa.array([Decimal(k) / 4 for k in range(start, start + n)], pa.decimal128(9, 2))})


def stored() -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(f"SELECT id, name, amount FROM {TABLE} ORDER BY id")
        return [(i, name, Decimal(str(amount)).quantize(Decimal("0.01"))) for i, name, amount in cur.fetchall()]


def expected(n: int) -> list[tuple[Any, ...]]:
    return [(k, f"第{k}行", (Decimal(k) / 4).quantize(Decimal("0.01"))) for k in range(1, n + 1)]


def no_staging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staging made impossible: a load that tried to make its folder or its threads would fail."""
    def refused(*args: object, **kwargs: object) -> None:
        raise AssertionError("a small load must not stage")

    monkeypatch.setattr(scratch, "mkdtemp", refused)
    monkeypatch.setattr(loader, "ThreadPoolExecutor", refused)


def test_a_load_below_the_threshold_is_written_plainly(rows_table, monkeypatch):
    monkeypatch.setattr(loader, "PLAIN_BELOW", 5)
    no_staging(monkeypatch)
    with db.load({TABLE: numbered(4)}) as rows, transaction.atomic():
        assert not rows.staged
        assert rows.rows(TABLE) == 4
        assert rows.load(TABLE) == 4
    assert stored() == expected(4)


def test_a_load_at_the_threshold_is_staged_on_sqlite_and_copied_on_postgresql(rows_table, monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(loader, "PLAIN_BELOW", 5)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with db.load({TABLE: numbered(5)}) as rows, transaction.atomic():
        assert rows.staged == (connection.vendor == "sqlite")
        folders = [p for p in tmp_path.iterdir() if p.name.startswith(loader.STAGING_PREFIX)]
        assert len(folders) == (1 if rows.staged else 0)
        assert rows.load(TABLE) == 5
    assert stored() == expected(5)
    assert list(tmp_path.iterdir()) == []  # the staging folder went with the load


def test_tables_given_as_functions_count_and_are_made_once(rows_table, monkeypatch):
    """Made tables too few to decide: the functions are called (once) to count their rows. Two made rows
    and three from a function reach a threshold of 5 (staged on SQLite); with 6 they do not."""
    made: list[int] = []

    def later() -> pa.Table:
        made.append(3)
        return numbered(3, start=3)

    for threshold, staged in ((5, connection.vendor == "sqlite"), (6, False)):
        monkeypatch.setattr(loader, "PLAIN_BELOW", threshold)
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {TABLE}")
        made.clear()
        with db.load({TABLE: numbered(2), "second": later}) as rows, transaction.atomic():
            assert rows.staged == staged
            rows.load(TABLE)
            assert made == ([3] if connection.vendor == "sqlite" else [])  # PostgreSQL never counts
            assert rows.rows("second") == 3
        assert made == [3]
        assert stored() == expected(2)


def test_a_two_household_import_stages_nothing(areas, tmp_path, monkeypatch):
    """The files officers send most — a couple of households — go in without a staging folder,
    DuckDB or a thread of the loader (benchmark: bench/bench_small_import.py)."""
    no_staging(monkeypatch)
    result = import_register(write_csv(tmp_path / "two.csv", two_households()))
    assert result.imported and result.inserted == 2, result.errors
    assert sorted(Household.objects.values_list("number", flat=True)) == ["H1", "H2"]


REGISTER_TABLES = ("registry_household", "registry_member", "registry_incomerecord", "registry_statusevent",
                   "registry_change", "registry_importbatch")
# Written anew on every import (clock, random nonces): compared through what they mean, or not at all.
VARYING = {"created_at", "updated_at", "recorded_at", "started_at", "finished_at", "resident_id_cipher",
           "health_cipher", "file_name", "file_sha256"}
AUTO_IDS = {"registry_incomerecord", "registry_statusevent", "registry_change"}  # the database's, never reused


def register_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the register's tables, ordered by id, without what varies between two runs (and the
    ids the database hands out itself); the members' health as its clear text."""
    health = crypto.health_cipher()
    out = {}
    with connection.cursor() as cur:
        for table in REGISTER_TABLES:
            columns = [c.name for c in connection.introspection.get_table_description(cur, table)]
            cur.execute(f'SELECT * FROM "{table}" ORDER BY id')
            rows = []
            for row in cur.fetchall():
                values = dict(zip(columns, row))
                if "health_cipher" in values:
                    values["health"] = health.decrypt(bytes(values["health_cipher"]))
                varying = VARYING | ({"id"} if table in AUTO_IDS else set())
                rows.append(tuple(_plain(values[c]) for c in sorted(values) if c not in varying))
            out[table] = rows
    return out


def _plain(value: Any) -> Any:
    """One spelling for both databases' values (memoryview, float/Decimal amounts, dates as text)."""
    if isinstance(value, memoryview | bytes):
        return bytes(value)
    if isinstance(value, float | Decimal):
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def imports(tmp_path) -> None:
    """A first load, then a file that changes, moves, adds and removes: every kind of write."""
    first = two_households() + household_rows("H3", size=2, seed=3)
    assert import_register(write_csv(tmp_path / "first.csv", first)).imported
    second = [dict(r) for r in two_households()]
    for row in second:
        if row["household_number"] == "H1" and row["relation"] == "户主":
            row["wage_income"], row["housing_grade"] = "7000", "C级"
    second = [r for r in second if r["name"] != "张小军" or r["household_number"] != "H2"]  # a member leaves
    second += household_rows("H4", VILLAGE2, size=4, seed=4)  # a new household
    result = import_register(write_csv(tmp_path / "second.csv", second))
    assert result.imported and result.inserted == 1 and result.updated == 2, (result.inserted, result.updated)


def test_plain_and_staged_imports_leave_the_same_register(areas, tmp_path, monkeypatch):
    """The same two imports, once below the threshold and once staged (threshold 0, as any large load
    on SQLite): every table holds the same rows, with the same ids."""
    tables = {}
    for threshold in (10**9, 0):
        monkeypatch.setattr(loader, "PLAIN_BELOW", threshold)
        imports(tmp_path)
        tables[threshold] = register_rows()
        assert ImportBatch.objects.count() == 2
        with connection.cursor() as cur:
            for table in ("registry_change", "registry_statusevent", "registry_incomerecord", "registry_member",
                          "registry_household", "registry_importbatch"):
                cur.execute(f'DELETE FROM "{table}"')
    assert tables[10**9] == tables[0]
    assert [len(tables[0][t]) for t in REGISTER_TABLES[:3]] == [4, 12, 4]


def test_few_new_rows_are_looked_up_without_counting_their_parents(areas, tmp_path):
    """ForeignKeysAtEnd over a small load: the new rows' parents are probed by value — a missing one is
    still refused — and no parent table is counted (a million households would be); tables without a
    new row are not looked at."""
    from django.db import IntegrityError
    from django.test.utils import CaptureQueriesContext

    from jingzhun.registry.models import IncomeRecord

    assert import_register(write_csv(tmp_path / "two.csv", two_households())).imported
    household = Household.objects.get(number="H1")
    with CaptureQueriesContext(connection) as seen, db.ForeignKeysAtEnd(inserts_only=True) as keys, \
            transaction.atomic():
        keys.mark()
        IncomeRecord.objects.create(household=household, year=2031)
        keys.check()
    assert IncomeRecord.objects.filter(year=2031).count() == 1
    if connection.vendor == "sqlite":
        checks = [q["sql"] for q in seen.captured_queries if "COUNT(" in q["sql"].upper() or "PRAGMA foreign_key_list" in q["sql"]]
        assert checks == ['PRAGMA foreign_key_list("registry_incomerecord")']
    with pytest.raises(IntegrityError), db.ForeignKeysAtEnd(inserts_only=True) as keys, transaction.atomic():
        keys.mark()
        IncomeRecord.objects.create(household_id=household.id + 1000, year=2032)
        keys.check()
    assert not IncomeRecord.objects.filter(year=2032).exists()


def test_commits_by_another_connection_are_seen_and_this_ones_are_not(rows_table):
    """`others_committed_since`: on SQLite, this connection's own commits leave it False and another
    connection's commit makes it True (SQLite's data_version); elsewhere it is always True (not known)."""
    import sqlite3

    seen = db.commits_seen()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (id, name, amount) VALUES (1, 'own', 1)")
    if connection.vendor != "sqlite":
        assert seen is None and db.others_committed_since(seen)
        return
    assert not db.others_committed_since(seen)
    other = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        other.execute(f"INSERT INTO {TABLE} (id, name, amount) VALUES (2, 'other', 2)")
        other.commit()
    finally:
        other.close()
    assert db.others_committed_since(seen)
