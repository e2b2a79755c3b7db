import base64
import importlib
import os

import pytest

# Tests encrypt with a throwaway key of their own; real keys come only from the environment.
os.environ.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())


@pytest.fixture
def committed_db(transactional_db):
    """A committed (transactional) database. A transactional test leaves audit rows that the flush
    after it cannot delete on SQLite (the append-only triggers refuse): lift the guard for the
    clean-up only, and put it back exactly as the migration defines it."""
    yield
    from django.db import connection

    if connection.vendor == "sqlite":
        guard = importlib.import_module("jingzhun.audit.migrations.0002_append_only")
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER IF EXISTS audit_no_delete")
            cur.execute("DELETE FROM audit_auditentry")
            cur.execute(guard.SQLITE[1])


@pytest.fixture
def areas(committed_db):
    """The hand-made area tree of tests/factories.py (two counties) in a committed database."""
    from tests.factories import make_areas

    make_areas()


# The web tests' cast of users and households (a fixture shared by several test modules).
from tests.web_cast import committed_web, web  # noqa: E402, F401
