import base64
import os

import pytest

# Tests encrypt with a throwaway key of their own; real keys come only from the environment.
os.environ.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


# And the special-fund ledger, append-only the same way (jingzhun/talent/migrations/0002).
AUDIT_TABLES = ("audit_auditentry", "audit_auditarea", "audit_chainhead", "talent_payment")


def _flush_past_the_audit_guards(original):
    """Django's flush after a transactional test empties every table, but the audit tables refuse it
    (PostgreSQL: TRUNCATE; SQLite: DELETE). Lift their guards inside the flush's own transaction only, and
    put them back exactly as they were (SQLite: the triggers' SQL as stored; PostgreSQL: DISABLE/ENABLE), so
    no other connection ever sees the tables unguarded. Tests only: nothing in the application can do this."""

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        guarded = [t for t in AUDIT_TABLES if t in tables]
        if not sql or not guarded:
            return sql
        if self.connection.vendor == "postgresql":
            return [*(f"ALTER TABLE {t} DISABLE TRIGGER USER" for t in guarded), *sql,
                    *(f"ALTER TABLE {t} ENABLE TRIGGER USER" for t in guarded)]
        with self.connection.cursor() as cur:
            marks = ", ".join(["%s"] * len(guarded))
            cur.execute(f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN ({marks})",
                        guarded)
            triggers = cur.fetchall()
        return [*(f"DROP TRIGGER {name}" for name, _ in triggers), *sql, *(text for _, text in triggers)]

    return sql_flush


@pytest.fixture(scope="session", autouse=True)
def _audit_tables_flushable():
    from django.db import connection

    operations = type(connection.ops)  # this run's vendor (JINGZHUN_DATABASE_URL decides)
    original = operations.sql_flush
    operations.sql_flush = _flush_past_the_audit_guards(original)
    yield
    operations.sql_flush = original


@pytest.fixture
def committed_db(transactional_db):
    """A committed (transactional) database; the flush after it empties the audit tables too (above)."""
    yield


@pytest.fixture
def areas(committed_db):
    """The hand-made area tree of tests/factories.py (two counties) in a committed database."""
    from tests.factories import make_areas

    make_areas()


# A real `jingzhun worker` for tests whose uploads are queued; the web tests' cast of users and households;
# the browser tests' Chromium (fixtures shared by several test modules).
from tests.browser_support import browser  # noqa: E402, F401
from tests.job_support import worker  # noqa: E402, F401
from tests.web_cast import committed_web, web  # noqa: E402, F401
