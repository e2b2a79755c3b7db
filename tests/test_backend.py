"""The suite must run on the database the runner asked for: a silent fallback to SQLite would let
the PostgreSQL suite 'pass' without running."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_runs_on_the_expected_database():
    expected = os.environ.get("JINGZHUN_EXPECT_VENDOR")
    if expected is None:
        pytest.fail("run the suite through scripts/run_tests.py (./dev test), which sets JINGZHUN_EXPECT_VENDOR")
    assert connection.vendor == expected
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone()[0] == 1


def test_a_new_sqlite_database_gets_wal_and_16k_pages(tmp_path):
    """The connection settings a new SQLite file is created with (whichever database this run uses):
    16 KiB pages, which must come before WAL writes the first page, and WAL."""
    import sqlite3

    from jingzhun import dburl

    entry = dburl.parse(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    con = sqlite3.connect(entry["NAME"])
    for command in entry["OPTIONS"]["init_command"].split(";"):  # as Django runs them
        if command.strip():
            con.execute(command)
    con.execute("CREATE TABLE t (a)")
    con.commit()
    assert con.execute("PRAGMA page_size").fetchone()[0] == 16384
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    con.close()
