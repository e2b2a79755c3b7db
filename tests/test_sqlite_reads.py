"""The sqlite engine's side-by-side reads (`engines.Session.to_arrow_all`): SQLite's results carried into Arrow
in a process of their own (jingzhun.identification.sqlite_reader) or through Python's cursor must be what
Ibis itself reads, type for type and value for value, nulls and in-memory tables included."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from jingzhun.identification import engines

ROWS = [
    (1, "甲村", 1, "2020-01-31", "2020-03-04 05:06:07.123456", 2.5, "430101001001"),
    (2, "it's", 0, "2020-02-29", "2020-03-04 05:06:59", -0.25, "430101001001"),
    (3, None, None, None, None, None, "430101001002"),
    (4, "乙", 1, "2021-12-31", "2021-12-31 15:59:59", 1e9, "430101001002"),
]


@pytest.fixture
def session(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "reads.sqlite3"
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=WAL")  # as Django's databases: the reads must not disturb a WAL file
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, flag BOOL, day DATE, at DATETIME, amount REAL, "
                "village VARCHAR(12))")
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", ROWS)
    con.execute("CREATE TABLE odd (id INTEGER, n INTEGER)")
    con.execute("INSERT INTO odd VALUES (1, 2.5)")  # SQLite keeps a REAL in an INTEGER column
    con.commit()
    backend = ibis.sqlite.connect(str(path))
    try:
        yield engines.Session("sqlite", None, backend, {}, path=str(path)), con
    finally:
        backend.disconnect()
        con.close()


def exprs(backend) -> dict[str, ibis.Table]:  # type: ignore[no-untyped-def]
    t = backend.table("t")
    months = ibis.memtable({"month": [1, 2, 3], "first": [dt.date(2020, m, 1) for m in (1, 2, 3)]})
    return {
        "whole": t,
        "grouped": t.group_by("village").aggregate(n=t.count(), total=t.amount.sum(), latest=t.at.max()),
        "flags": t.select("id", on=(t.amount > 0).fill_null(False), late=t.day > dt.date(2020, 2, 1)),
        "minutes": t.select("id", minute=t.at.cast("string").substr(0, 16)),
        "memtable": t.join(months, t.day.month() == months.month).select("id", "month", "first"),
        "empty": t.filter(t.id < 0).select("id", "name"),
    }


def test_every_read_is_what_ibis_reads(session) -> None:  # type: ignore[no-untyped-def]
    s, _con = session
    asked = exprs(s.backend)
    found = s.to_arrow_all(large=True, exprs=asked)
    assert set(found) == set(asked)
    here = s.to_arrow_all(asked)  # small reads: in this process, one after another
    assert all(here[key].equals(found[key]) for key in asked)
    for key, expr in asked.items():
        expected = expr.to_pyarrow()
        assert found[key].schema == expected.schema, key
        assert found[key].sort_by(found[key].column_names[0]).to_pylist() == \
            expected.sort_by(expected.column_names[0]).to_pylist(), key
    # Independently known: the hand-made rows themselves.
    grouped = {r["village"]: r for r in found["grouped"].to_pylist()}
    assert grouped["430101001001"]["n"] == 2 and grouped["430101001001"]["total"] == 2.25
    assert grouped["430101001002"]["latest"] == dt.datetime(2021, 12, 31, 15, 59, 59)
    assert {r["id"]: r["minute"] for r in found["minutes"].to_pylist()} == {
        1: "2020-03-04 05:06", 2: "2020-03-04 05:06", 3: None, 4: "2021-12-31 15:59"}
    assert sorted(found["memtable"].column("id").to_pylist()) == [1, 2]


def test_a_value_that_does_not_fit_its_type_is_read_the_ibis_way(session) -> None:  # type: ignore[no-untyped-def]
    s, _con = session
    odd = s.backend.table("odd")
    found = s.to_arrow_all(large=True, exprs={"odd": odd, "t": s.backend.table("t").select("id")})
    assert found["odd"].equals(odd.to_pyarrow())
    assert found["t"].num_rows == len(ROWS)


def test_the_reads_leave_the_database_whole_and_writable(session) -> None:  # type: ignore[no-untyped-def]
    s, con = session
    for _ in range(3):
        s.to_arrow_all(large=True, exprs=exprs(s.backend))
    con.execute("INSERT INTO t (id, name) VALUES (5, '丙')")
    con.commit()
    assert con.execute("PRAGMA quick_check").fetchone() == ("ok",)
    again = s.to_arrow_all(large=True, exprs={"n": s.backend.table("t").count().as_table(), "t": s.backend.table("t")})
    assert again["t"].num_rows == 5 and again["n"].column(0).to_pylist() == [5]


def test_the_reader_reports_an_error_per_job(tmp_path: Path) -> None:
    from jingzhun.db.sqlite import duckdb_sqlite_extension
    from jingzhun.identification import sqlite_reader

    path = tmp_path / "r.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE x (a INTEGER)")
        con.execute("INSERT INTO x VALUES (7)")
    errors = sqlite_reader.run(str(path), str(tmp_path), duckdb_sqlite_extension(), 2, [
        {"key": "good", "query": "SELECT a FROM reg.x WHERE a > $1", "params": [1]},
        {"key": "bad", "query": "SELECT nope FROM reg.x", "params": []},
    ])
    assert errors[0] is None and errors[1] and "nope" in errors[1]
    with pa.OSFile(str(tmp_path / "good.arrow"), "rb") as source:
        assert pa.ipc.open_file(source).read_all().column("a").to_pylist() == [7]
