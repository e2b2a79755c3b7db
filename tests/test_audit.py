"""The audit log cannot be rewritten: the database refuses UPDATE, REPLACE, TRUNCATE and every DELETE but
retention pruning's (an old prefix), no session setting lifts that, and every row is chained to the one
before by a keyed hash that `jingzhun audit verify` walks. Every row carries the areas it touched, and an
officer's audit page shows the rows of their areas and their own actions."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from jingzhun.audit import chain, log, roles
from jingzhun.audit.models import AuditArea, AuditEntry
from tests.factories import COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def clock(days_ago: float):
    """Rows written inside carry a time `days_ago` in the past (the time is sealed, so it cannot be changed
    afterwards): the clock `record` reads is set back, nothing else."""
    real = timezone.now
    then = real() - dt.timedelta(days=days_ago)
    timezone.now = lambda: then  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = real  # type: ignore[assignment]


def verify() -> chain.Report:
    with connection.cursor() as cur:
        return chain.verify(cur)


@contextlib.contextmanager
def guards_lifted():
    """Tamper as someone who owns the database would: SQLite drops the triggers, PostgreSQL disables them
    (the table owner or a superuser can). Put back afterwards, exactly."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no ALTER TABLE with foreign-key checks pending
            for table in ("audit_auditentry", "audit_auditarea", "audit_chainhead"):
                cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            yield cur
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in ("audit_auditentry", "audit_auditarea", "audit_chainhead"):
                cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'audit_%'")
            triggers = cur.fetchall()
            for name, _ in triggers:
                cur.execute(f"DROP TRIGGER {name}")
            yield cur
            for _, sql in triggers:
                cur.execute(sql)


def refused(sql: str, params: list | None = None, match: str = "append-only") -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params or [])


# --------------------------------------------------------------------------- the database refuses


@pytest.mark.django_db
def test_update_is_refused_by_the_database():
    entry = log.record("tester", "login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(actor="someone else")
    assert AuditEntry.objects.get(pk=entry.pk).actor == "tester"


@pytest.mark.django_db
def test_delete_is_refused_by_the_database():
    entry = log.record("tester", "login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    refused("DELETE FROM audit_auditentry")  # SQLite's truncate optimisation must not skip the trigger
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_a_row_cannot_be_overwritten_by_insert_or_replace_or_upsert():
    entry = log.record("tester", "reveal", object_id="42")
    columns = "id, at, actor, role, area, action, object_type, object_id, detail, address, prev_hash, hash"
    values = [entry.pk, timezone.now(), "forger", "", "", "nothing", "", "", "{}", "", entry.prev_hash, entry.hash]
    marks = ", ".join(["%s"] * 12)
    if connection.vendor == "sqlite":
        # REPLACE deletes the row in the way without firing delete triggers: it must be refused on insert.
        refused(f"INSERT OR REPLACE INTO audit_auditentry ({columns}) VALUES ({marks})", values)
        refused(f"REPLACE INTO audit_auditentry ({columns}) VALUES ({marks})", values)
    refused(f"INSERT INTO audit_auditentry ({columns}) VALUES ({marks}) ON CONFLICT (id) DO UPDATE SET "
            f"actor = excluded.actor, action = excluded.action", values)
    row = AuditEntry.objects.get(pk=entry.pk)
    assert (row.actor, row.action, row.object_id) == ("tester", "reveal", "42")


@pytest.mark.django_db
def test_truncate_is_refused_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (DELETE without WHERE is refused above)")
    log.record("tester", "login", area=VILLAGE)
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as in a transaction of its own
    for table in ("audit_auditentry", "audit_auditarea", "audit_chainhead"):
        refused(f"TRUNCATE {table} CASCADE")
    assert AuditEntry.objects.count() == 1 and AuditArea.objects.count() == 1


@pytest.mark.django_db
def test_no_session_setting_lifts_the_guard():
    entry = log.record("tester", "login")
    if connection.vendor == "postgresql":
        # 0002's trigger honoured this transaction-local setting: any session could empty the log.
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL jingzhun.audit_prune = 'on'")
            cur.execute("DELETE FROM audit_auditentry")
    else:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute("PRAGMA recursive_triggers = ON")
            cur.execute("DELETE FROM audit_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


@pytest.mark.django_db
def test_the_database_lets_only_an_old_prefix_go():
    with clock(400):
        oldest = log.record("tester", "old-1")
    recent = log.record("tester", "recent", area=VILLAGE)
    with clock(300):
        old_after_recent = log.record("tester", "old-2")
    # Old, but a younger row precedes it: deleting it would cut the chain in the middle.
    refused("DELETE FROM audit_auditentry WHERE id = %s", [old_after_recent.pk])
    refused("DELETE FROM audit_auditentry WHERE id = %s", [recent.pk])
    refused("DELETE FROM audit_auditarea WHERE entry_id = %s", [recent.pk])
    refused("DELETE FROM audit_chainhead")
    # Even the oldest row, past the floor and first, goes only through the command: not beyond the anchor.
    refused("DELETE FROM audit_auditentry WHERE id = %s", [oldest.pk])
    refused("DELETE FROM audit_auditarea")
    # Moving the anchor by hand lets the database delete it — and breaks the head's seal, which needs the key.
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE audit_chainhead SET anchor_id = %s, anchor_hash = %s", [oldest.pk, oldest.hash])
        cur.execute("DELETE FROM audit_auditentry WHERE id = %s", [oldest.pk])
    report = verify()
    assert not report.ok and "seal" in report.problem
    assert AuditEntry.objects.count() == 2


# --------------------------------------------------------------------------- retention pruning


@pytest.mark.django_db
def test_prune_deletes_the_prefix_older_than_the_retention_period_and_the_chain_still_holds():
    with clock(400):
        log.record("tester", "old", area=VILLAGE)
    with clock(181):
        just_old = log.record("tester", "just-old", area=VILLAGE)
    with clock(179):
        log.record("tester", "recent", area=VILLAGE)
    assert log.prune(180) == 2
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == ["audit.prune", "recent"]
    assert AuditArea.objects.count() == 1  # the pruned rows' areas went with them
    pruned = AuditEntry.objects.get(action="audit.prune")
    assert pruned.detail["deleted"] == 2 and pruned.detail["retention_days"] == 180
    assert (pruned.detail["anchor_id"], pruned.detail["anchor_hash"]) == (just_old.pk, just_old.hash)
    report = verify()
    assert report.ok and report.rows == 2, report.problem


@pytest.mark.django_db
def test_prune_stops_at_the_first_row_to_keep():
    with clock(400):
        first = log.record("tester", "old-1")
    log.record("tester", "recent")
    with clock(300):
        log.record("tester", "old-2")
    assert log.prune(180) == 1
    assert not AuditEntry.objects.filter(pk=first.pk).exists()
    assert sorted(AuditEntry.objects.values_list("action", flat=True)) == ["audit.prune", "old-2", "recent"]
    assert verify().ok


@pytest.mark.django_db
def test_guard_is_back_after_pruning():
    log.prune(365)
    entry = log.record("tester", "login")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db
def test_retention_below_the_floor_is_refused_and_nothing_is_deleted():
    with clock(400):
        log.record("tester", "old")
    with pytest.raises(ValueError, match="retention_days.*180"):
        log.prune(90)
    with pytest.raises(CommandError, match="180"):
        call_command("audit", "prune", "--days", "90")
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["old"]


@pytest.mark.django_db
def test_the_prune_command_is_audited():
    with clock(400):
        log.record("tester", "old")
    call_command("audit", "prune", "--days", "200")
    entry = AuditEntry.objects.get(action="audit.prune")
    assert entry.actor == "audit prune" and entry.detail["deleted"] == 1 and verify().ok
    call_command("prune_audit", "--days", "200")  # the old name still works
    assert AuditEntry.objects.filter(action="audit.prune").count() == 2 and verify().ok


# --------------------------------------------------------------------------- the chain


@pytest.mark.django_db
def test_a_clean_chain_verifies_and_every_row_is_linked_to_the_one_before():
    rows = [log.record("tester", "probe", object_id=str(i), area=VILLAGE, areas=[VILLAGE2], n=i, share=0.5,
                       big=1e20, nested={"k": [1, 2.0, "三"]}) for i in range(5)]
    assert rows[0].prev_hash == chain.GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    report = verify()
    assert report.ok and report.rows == 5
    out = []
    call_command("audit", "verify", stdout=Writer(out))
    assert "5" in "".join(out)


class Writer:
    def __init__(self, into: list[str]):
        self.into = into

    def write(self, text: str) -> None:
        self.into.append(text)

    def flush(self) -> None:
        pass


@pytest.mark.django_db
@pytest.mark.parametrize("change", [
    "UPDATE audit_auditentry SET detail = '{\"rows\": 99}' WHERE id = %s",
    "UPDATE audit_auditentry SET actor = 'someone else' WHERE id = %s",
    "DELETE FROM audit_auditarea WHERE entry_id = %s",
    "INSERT INTO audit_auditarea (entry_id, code) VALUES (%s, '433127102203')",
])
def test_verify_finds_a_changed_row(change):
    rows = [log.record("tester", "probe", object_id=str(i), area=VILLAGE, rows=i) for i in range(3)]
    with guards_lifted() as cur:
        cur.execute(change, [rows[1].pk])
    report = verify()
    assert not report.ok and report.broken_id == rows[1].pk and report.rows == 1
    with pytest.raises(CommandError, match=f"row {rows[1].pk}"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_verify_finds_a_removed_row_and_a_removed_end():
    rows = [log.record("tester", "probe", object_id=str(i)) for i in range(4)]
    with guards_lifted() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE id = %s", [rows[1].pk])
    assert verify().broken_id == rows[2].pk
    with guards_lifted() as cur:
        cur.execute("DELETE FROM audit_auditentry WHERE id >= %s", [rows[1].pk])
    # The first row alone is a valid chain — but the sealed head still records row 4.
    report = verify()
    assert not report.ok and "end" in report.problem


@pytest.mark.django_db
def test_verify_finds_a_row_added_behind_the_heads_back():
    rows = [log.record("tester", "probe", object_id=str(i)) for i in range(2)]
    with connection.cursor() as cur:  # INSERT is allowed (appending is): but not without the key
        cur.execute("INSERT INTO audit_auditentry (at, actor, role, area, action, object_type, object_id, detail, "
                    "address, prev_hash, hash) VALUES (%s, 'forger', '', '', 'login', '', '', '{}', '', %s, %s)",
                    [timezone.now(), rows[1].hash, "f" * 64])
    forged = AuditEntry.objects.get(actor="forger")
    report = verify()
    assert not report.ok and report.broken_id == forged.pk and report.rows == 2


@pytest.mark.django_db
def test_a_chain_recomputed_without_the_key_does_not_verify():
    """Someone with the database but not JINGZHUN_MASTER_KEY rewrites a row and re-seals every row and the
    head with a key of their own: the chain is consistent, but not with the real key."""
    for i in range(3):
        log.record("tester", "probe", object_id=str(i), area=VILLAGE)
    forged_key = chain._key(base64.b64encode(os.urandom(32)).decode())
    with guards_lifted() as cur:
        cur.execute("UPDATE audit_auditentry SET actor = 'nobody' WHERE object_id = '1'")
        rows = list(chain.read_rows(cur))
        prev = chain.GENESIS
        for row in rows:
            seal = chain.seal(forged_key, prev_hash=prev, at=row.at, actor=row.actor, role=row.role, area=row.area,
                              areas=row.areas, action=row.action, object_type=row.object_type,
                              object_id=row.object_id, address=row.address, detail=row.detail)
            cur.execute("UPDATE audit_auditentry SET prev_hash = %s, hash = %s WHERE id = %s", [prev, seal, row.id])
            prev = seal
        cur.execute("UPDATE audit_chainhead SET last_hash = %s, seal = %s", [
            prev, chain.seal_head(forged_key, rows[-1].id, prev, 0, chain.GENESIS)])
    with connection.cursor() as cur:
        assert chain.verify(cur, k=forged_key).ok  # consistent under the forger's key…
    assert not verify().ok  # …not under the real one


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_do_not_fork_the_chain():
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(15):
                log.record(f"worker-{worker}", "probe", object_id=str(i))
        except BaseException as exc:  # noqa: BLE001 -- reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = verify()
    assert report.ok and report.rows == 60, report.problem
    assert len(set(AuditEntry.objects.values_list("prev_hash", flat=True))) == 60  # no two share a parent


@pytest.mark.django_db(transaction=True)
def test_the_verify_command_exits_non_zero_on_a_broken_chain(tmp_path):
    for i in range(3):
        log.record("tester", "probe", object_id=str(i))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jingzhun.settings", "PYTHONPATH": str(ROOT),
           "JINGZHUN_DATABASE_URL": database_url()}

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "jingzhun.cli", "audit", "verify"], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    done = run()
    assert done.returncode == 0 and "3" in done.stdout, done.stderr
    with guards_lifted() as cur:
        cur.execute("UPDATE audit_auditentry SET object_id = 'x' WHERE object_id = '1'")
    done = run()
    assert done.returncode != 0 and "row" in done.stderr, done.stdout


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgresql://{s['USER']}{password}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_migration_chains_the_rows_written_before_it():
    call_command("migrate", "audit", "0002", verbosity=0)
    try:
        with connection.cursor() as cur:
            for i, area in enumerate([VILLAGE, "", OTHER_VILLAGE]):
                cur.execute("INSERT INTO audit_auditentry (at, actor, role, area, action, object_type, object_id, "
                            "detail, address) VALUES (%s, 'old', '', %s, 'login', '', %s, %s, '')",
                            [timezone.now() - dt.timedelta(days=3 - i), area, str(i), '{"n": 1.0}'])
    finally:
        call_command("migrate", "audit", verbosity=0)
    report = verify()
    assert report.ok and report.rows == 3, report.problem
    assert sorted(AuditArea.objects.values_list("code", flat=True)) == sorted([VILLAGE, OTHER_VILLAGE])
    refused("UPDATE audit_auditentry SET actor = 'x'")


# --------------------------------------------------------------------------- PostgreSQL roles


@pytest.mark.django_db
def test_the_application_role_can_append_but_not_rewrite():
    """The production setup (`jingzhun audit grants`): the audit tables belong to their own role; the role
    the application connects as may read and append, and nothing else — it cannot even disable the
    triggers, not being the owner."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no roles: its file's owner can do anything (the keyed chain still shows it)")
    entry = log.record("tester", "login", area=VILLAGE)
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as after `migrate`, in a transaction of its own
        cur.execute("CREATE ROLE jz_test_app NOLOGIN")
        cur.execute("GRANT USAGE ON SCHEMA public TO jz_test_app")
        for sql in roles.grants("jz_test_app", "jz_test_audit"):
            cur.execute(sql)
        cur.execute("SET ROLE jz_test_app")
    try:
        appended = log.record("app", "login", area=VILLAGE)
        assert AuditEntry.objects.filter(pk=appended.pk).exists()
        for sql in ["TRUNCATE audit_auditentry CASCADE", "TRUNCATE audit_chainhead",
                    f"DELETE FROM audit_auditentry WHERE id = {entry.pk}", "UPDATE audit_auditentry SET actor = 'x'",
                    "DELETE FROM audit_auditarea", "DELETE FROM audit_chainhead",
                    "ALTER TABLE audit_auditentry DISABLE TRIGGER USER", "DROP TRIGGER audit_no_update ON audit_auditentry"]:
            refused(sql, match="permission denied|must be owner")
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET ROLE")
    assert verify().ok
    with pytest.raises(ValueError, match="role"):
        roles.grants("app; DROP TABLE x")


# --------------------------------------------------------------------------- areas and who sees what


@pytest.mark.django_db
def test_a_row_carries_every_area_it_touched():
    entry = log.record("importer", "import", object_id="7", areas=[VILLAGE2, OTHER_VILLAGE, VILLAGE2, ""])
    assert sorted(AuditArea.objects.filter(entry=entry).values_list("code", flat=True)) == [OTHER_VILLAGE, VILLAGE2]
    assert entry.area == ""


def audit_page(web, username: str, **query: str) -> str:
    """The audit page's rows (the action filter's list of names is left out: "appraisal.township_approve" is not
    a row of user township_a)."""
    import re

    response = web.client(username).get(reverse("web:audit"), query)
    assert response.status_code == 200
    return re.sub(r"<select.*?</select>", "", response.content.decode(), flags=re.S)


@pytest.mark.django_db
def test_officers_see_the_rows_of_their_areas_and_their_own_actions(web):
    # An import that wrote a village in each county, a system job with no area, officer_b's own action
    # with no area, and a row of a township elsewhere.
    log.record("cli", "import", object_id="both-counties", areas=[VILLAGE2, OTHER_VILLAGE])
    log.record("system", "import", object_id="no-area")
    log.record("officer_b", "import", object_id="b-own")
    log.record("x", "import", object_id="township-a", area=TOWNSHIP)
    log.record("township_a", "import", object_id="t-own")
    seen = {user: {tag for tag in ("both-counties", "no-area", "b-own", "township-a", "t-own")
                   if tag in audit_page(web, user, action="import")}
            for user in ("officer_a", "officer_b", "auditor_a", "township_a", "root")}
    # (A county officer's page and a township officer's take different plans: both are checked here.)
    assert seen == {
        "officer_a": {"both-counties", "township-a"},
        "auditor_a": {"both-counties", "township-a"},
        "township_a": {"both-counties", "township-a", "t-own"},
        "officer_b": {"both-counties", "b-own"},
        "root": {"both-counties", "no-area", "b-own", "township-a", "t-own"},
    }
    # The areas shown to an officer are their own: officer_b sees the row by 司城村, not 白岩村's code.
    html = audit_page(web, "officer_b", action="import")
    assert OTHER_VILLAGE in html and VILLAGE2 not in html


@pytest.mark.django_db
def test_a_login_carries_the_users_role_areas_and_is_seen_above_them(web, settings):
    from django.test import Client

    user = web.users["township_a"]
    user.set_password("correct horse battery")
    user.save()
    assert Client().post(reverse("web:login"), {"username": "township_a", "password": "correct horse battery"}
                         ).status_code == 302
    assert Client().post(reverse("web:login"), {"username": "township_a", "password": "wrong"}).status_code == 200
    login = AuditEntry.objects.get(action="login", actor="township_a")
    failed = AuditEntry.objects.get(action="login_failed", actor="township_a")
    for entry in (login, failed):
        assert list(AuditArea.objects.filter(entry=entry).values_list("code", flat=True)) == [TOWNSHIP]
        assert entry.address == "127.0.0.1"
    # The county's officer and auditor see the township officer's logins; the other county's do not.
    assert "township_a" in audit_page(web, "officer_a", action="login")
    assert "township_a" in audit_page(web, "auditor_a", action="login_failed")
    assert "township_a" not in audit_page(web, "officer_b", action="login")


@pytest.mark.django_db
def test_an_export_carries_its_area_and_the_clients_address(web):
    response = web.client("officer_a").get(reverse("web:export"), {"area": TOWNSHIP}, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    for action in ("export", "export.finished"):
        entry = AuditEntry.objects.get(action=action, actor="officer_a")
        assert entry.address == "10.1.2.3"
        assert list(AuditArea.objects.filter(entry=entry).values_list("code", flat=True)) == [TOWNSHIP]
    # A whole-scope export carries every exported area: officer_a's county.
    web.client("officer_a").get(reverse("web:export"), REMOTE_ADDR="10.1.2.4")
    entry = AuditEntry.objects.get(action="export", address="10.1.2.4")
    assert set(AuditArea.objects.filter(entry=entry).values_list("code", flat=True)) == {COUNTY}
    assert "10.1.2.3" in audit_page(web, "township_a", action="export")
    assert "10.1.2.3" not in audit_page(web, "officer_b", action="export")


@pytest.mark.django_db
def test_the_admin_list_follows_the_same_rule(web):
    from django.contrib.auth.models import Permission

    log.record("cli", "import", object_id="in-a", area=VILLAGE)
    log.record("cli", "import", object_id="in-b", area=OTHER_VILLAGE)
    log.record("system", "import", object_id="no-area")
    officer = web.users["officer_b"]
    officer.is_staff = True
    officer.save()
    officer.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    response = web.client("officer_b").get(reverse("admin:audit_auditentry_changelist"))
    assert response.status_code == 200
    shown = [(e.action, e.object_id) for e in response.context["cl"].result_list]
    imports = {object_id for action, object_id in shown if action == "import"}
    # in-b is officer_b's county's; so is the cast's own register import (batch 1), which wrote 司城村 too.
    assert imports == {"in-b", "1"}
    assert ("login", "") in shown  # officer_b's own login (force_login above), by the actor rule


@pytest.mark.django_db
def test_a_row_with_thousands_of_areas_is_chained_like_any_other():
    """An import of a province touches thousands of villages: written in batches, sealed over all of them."""
    codes = [f"433130{t:03d}{v:03d}" for t in range(101, 113) for v in range(201, 301)]  # 1,200 villages
    entry = log.record("cli", "import", object_id="big", areas=codes)
    log.record("cli", "login")
    assert AuditArea.objects.filter(entry=entry).count() == 1200
    report = verify()
    assert report.ok and report.rows == 2, report.problem


@pytest.mark.django_db
def test_the_grants_command_prints_the_roles_sql():
    out: list[str] = []
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("audit", "grants", "--app-role", "jingzhun")
        return
    call_command("audit", "grants", "--app-role", "jingzhun", stdout=Writer(out))
    text = "".join(out)
    assert "ALTER TABLE audit_auditentry OWNER TO jingzhun_audit;" in text
    assert "GRANT SELECT, INSERT ON audit_auditentry, audit_auditarea TO jingzhun;" in text
