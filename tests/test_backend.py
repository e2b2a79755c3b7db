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
