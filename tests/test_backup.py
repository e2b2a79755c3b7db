"""`jingzhun backup` and `jingzhun restore` on the database this suite runs on (SQLite: the online backup
API; PostgreSQL: pg_dump/pg_restore into a new database of the same server): a restore into a fresh place
is checked for integrity, row counts and checksums per table, the audit chain, and that resident IDs
decrypt with the key; a damaged file, a changed row, a broken chain and a different key are each caught."""

from __future__ import annotations

import base64
import contextlib
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from jingzhun import backup, crypto
from jingzhun.audit import log
from jingzhun.registry.importer import import_register
from tests.factories import VILLAGE, VILLAGE2, household_rows, write_csv

# Two households, six people: every expected figure below is counted from these rows.
HOUSEHOLDS = {"H-1": (VILLAGE, 4, 1), "H-2": (VILLAGE2, 2, 2)}


@pytest.fixture
def register(areas, tmp_path) -> dict[str, list[dict[str, str]]]:
    rows = {number: household_rows(number, village, size=size, seed=seed)
            for number, (village, size, seed) in HOUSEHOLDS.items()}
    result = import_register(write_csv(tmp_path / "register.csv", [r for rs in rows.values() for r in rs]))
    assert result.ok, result.errors
    log.record("tester", "reveal", object_type="member", object_id="1", area=VILLAGE, address="10.0.0.1")
    log.record("tester", "export", areas=[VILLAGE, VILLAGE2], detail_text="二户")
    return rows


@contextlib.contextmanager
def fresh_place(tmp_path: Path):
    """A place to restore into: a new SQLite file, or a new database on this suite's PostgreSQL server."""
    if connection.vendor == "sqlite":
        yield backup.settings_for(str(tmp_path / "restored.sqlite3"))
        return
    import psycopg

    s = connection.settings_dict
    name = f"jingzhun_restore_{uuid.uuid4().hex[:12]}"
    admin = dict(s, NAME="postgres")
    with psycopg.connect(backup._pg_conninfo(admin), password=s["PASSWORD"] or None, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield dict(s, NAME=name)
    finally:
        with psycopg.connect(backup._pg_conninfo(admin), password=s["PASSWORD"] or None, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def connect(db: dict[str, Any]) -> Any:
    if db["ENGINE"].endswith("sqlite3"):
        return sqlite3.connect(db["NAME"])
    return backup._pg_connect(db)


def scalar(db: dict[str, Any], sql: str) -> Any:
    conn = connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def execute(db: dict[str, Any], sql: str) -> None:
    conn = connect(db)
    try:
        conn.execute(sql)
        conn.commit()
    finally:
        conn.close()


def test_a_restore_into_a_fresh_place_matches_the_backup_and_is_usable(register, tmp_path):
    out = tmp_path / "backups" / "jingzhun.backup"
    manifest = backup.backup(out, connection.settings_dict)
    assert out.exists() and backup.manifest_path(out).exists()
    assert manifest["vendor"] == connection.vendor and manifest["audit"]["verified"]
    assert manifest["tables"]["registry_member"]["rows"] == 6 and manifest["tables"]["registry_household"]["rows"] == 2
    # The import's row and the two above.
    assert manifest["tables"]["audit_auditentry"]["rows"] == 3 and manifest["audit"]["rows"] == 3
    with fresh_place(tmp_path) as place:
        found = backup.restore(out, place)
        assert found.ok, found.problems
        assert (found.audit_rows, found.decrypted) == (3, 6)
        assert found.tables == len(manifest["tables"]) and found.rows == sum(
            t["rows"] for t in manifest["tables"].values())
        # Independently of the check: the restored database holds the people imported, their IDs decrypt to
        # the numbers in the register file, and (SQLite) the file is sound.
        conn = connect(place)
        try:
            stored = conn.execute("SELECT h.number, m.position, m.resident_id_cipher FROM registry_member m "
                                  "JOIN registry_household h ON h.id = m.household_id").fetchall()
            if connection.vendor == "sqlite":
                assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
        cipher = crypto.resident_id_cipher()
        assert sorted((n, p, cipher.decrypt(bytes(c))) for n, p, c in stored) == sorted(
            (n, i, row["resident_id"]) for n, rows in register.items() for i, row in enumerate(rows, start=1))


def test_the_commands_back_up_restore_and_refuse_a_changed_restore(register, tmp_path):
    out = tmp_path / "jingzhun.backup"
    call_command("backup", str(out))
    with fresh_place(tmp_path) as place:
        to = place["NAME"] if connection.vendor == "sqlite" else database_url(place)
        call_command("restore", str(out), "--to", to)
        # A changed row of the register and of the audit log in the restored copy: both are caught.
        execute(place, "UPDATE registry_household SET arable_land_mu = arable_land_mu + 1")
        with pytest.raises(CommandError, match="registry_household"):
            call_command("restore", str(out), "--to", to, "--check-only")
        drop = ("DROP TRIGGER audit_no_update" if connection.vendor == "sqlite"
                else "ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        execute(place, drop)
        execute(place, "UPDATE audit_auditentry SET actor = 'someone else' WHERE action = 'reveal'")
        with pytest.raises(CommandError, match="audit chain"):
            call_command("restore", str(out), "--to", to, "--check-only")
        # The target is not empty any more: a second restore into it is refused.
        with pytest.raises(CommandError, match="not empty"):
            call_command("restore", str(out), "--to", to)


def database_url(db: dict[str, Any]) -> str:
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgresql://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def test_a_restore_without_the_right_key_is_refused(register, tmp_path, monkeypatch):
    out = tmp_path / "jingzhun.backup"
    backup.backup(out, connection.settings_dict)
    with fresh_place(tmp_path) as place:
        monkeypatch.setenv(crypto.KEY_ENV, base64.b64encode(os.urandom(32)).decode())
        found = backup.restore(out, place)
    assert not found.ok and found.decrypted == 0
    assert any("decrypted" in p for p in found.problems) and any("audit chain" in p for p in found.problems)


def test_a_damaged_backup_file_is_refused(register, tmp_path):
    out = tmp_path / "jingzhun.backup"
    backup.backup(out, connection.settings_dict)
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    with fresh_place(tmp_path) as place, pytest.raises(backup.BackupError, match="checksum"):
        backup.restore(out, place)


def test_a_backup_of_a_broken_chain_is_written_and_says_so(register, tmp_path):
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT sql FROM sqlite_master WHERE name = 'audit_no_update'")
            trigger = cur.fetchone()[0]
            cur.execute("DROP TRIGGER audit_no_update")
            cur.execute("UPDATE audit_auditentry SET address = '' WHERE action = 'reveal'")
            cur.execute(trigger)
        else:
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
            cur.execute("UPDATE audit_auditentry SET address = '' WHERE action = 'reveal'")
            cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER USER")
    out = tmp_path / "jingzhun.backup"
    with pytest.raises(CommandError, match="audit chain is broken"):
        call_command("backup", str(out))
    assert out.exists() and not backup.read_manifest(out)["audit"]["verified"]
