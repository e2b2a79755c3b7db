"""An import killed with SIGKILL part-way through writing leaves the database exactly as it was, and
the same import run again afterwards lands whole, once.

The import runs as `jingzhun import FILE --quiet` in a subprocess against a real database that this
test creates and migrates itself (a SQLite file, or a fresh database on the PostgreSQL server the
suite runs on). The kill is aimed at the write transaction, not at a fraction of the wall-clock run
time: reading and validating take most of a run and write nothing, so a kill there would prove
nothing, and wall-clock fractions drift with the machine's load. Instead the kill waits for the
writing to be 40 % done, by a measure that does not depend on load:
- SQLite: the CPU time the import has spent holding the write lock (it begins IMMEDIATE, so the lock
  spans exactly its write transaction), against the CPU time a first, measuring run on a copy of the
  database spent holding it to the end;
- PostgreSQL: the rows its `COPY registry_member` has processed (pg_stat_progress_copy), against the
  number of members the file adds.
The process is then frozen (SIGSTOP), checked to be still inside its uncommitted transaction, and
killed (SIGKILL).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
from django.db import connection

from tests.factories import household_rows, resident_id, write_csv
from tests.locks import holds_sqlite_write_lock

ROOT = Path(__file__).resolve().parent.parent
HOUSEHOLDS = 20_000
EXISTING = 50  # imported first; the big file changes their wage income
SIZES = (3, 4)  # household k has SIZES[k % 2] members
KILL_AT = 0.4  # how much of the writing is done when the import is killed

pytestmark = pytest.mark.slow


def big_register(n: int, *, wage: str = "6000") -> list[dict[str, str]]:
    """n households with distinct numbers and resident IDs (household k's people get region code
    4kkkkk, so no two households share an ID), each valid against the template's rules."""
    rows = []
    for k in range(n):
        household = household_rows(f"K{k:06d}", size=SIZES[k % 2], seed=0)
        household[0]["wage_income"] = wage
        for i, row in enumerate(household):
            birth = dt.date.fromisoformat(row["birth_date"])
            row["resident_id"] = resident_id(f"4{k:05d}", birth, i, row["sex"] == "男")
        rows += household
    return rows


SNAPSHOT = r"""
import hashlib, json, django
django.setup()
from django.db import connection
out = {}
with connection.cursor() as cur:
    for table in ("registry_household", "registry_member", "registry_incomerecord", "registry_statusevent",
                  "registry_change", "registry_importbatch", "audit_auditentry"):
        cur.execute(f"SELECT count(*) FROM {table}")
        out[table] = cur.fetchone()[0]
    summed = (
        ("households_sha256", "SELECT * FROM registry_household ORDER BY id"),
        ("members_sha256", "SELECT id, household_id, position, name, resident_id_index, resident_id_cipher "
                           "FROM registry_member ORDER BY id"),
        ("incomes_sha256", "SELECT * FROM registry_incomerecord ORDER BY id"),
    )
    for name, sql in summed if CHECKSUMS else ():
        cur.execute(sql)
        digest = hashlib.sha256()
        for row in cur.fetchall():
            digest.update(repr([bytes(v) if isinstance(v, memoryview) else v for v in row]).encode())
        out[name] = digest.hexdigest()
    cur.execute("SELECT count(DISTINCT number) FROM registry_household")
    out["distinct_household_numbers"] = cur.fetchone()[0]
    cur.execute("SELECT count(DISTINCT resident_id_index) FROM registry_member")
    out["distinct_people"] = cur.fetchone()[0]
    cur.execute("SELECT count(*) FROM (SELECT household_id, year FROM registry_incomerecord GROUP BY 1, 2) x")
    out["distinct_income_years"] = cur.fetchone()[0]
    cur.execute("SELECT coalesce(sum(wage_income), 0) FROM registry_incomerecord")
    out["wage_total"] = str(int(cur.fetchone()[0]))
    if connection.vendor == "sqlite":
        cur.execute("PRAGMA integrity_check")
        out["integrity"] = cur.fetchone()[0]
print(json.dumps(out))
"""

AREAS = "import django; django.setup(); from tests.factories import make_areas; make_areas()"


class Database:
    """A database of this test's own, on the vendor the suite runs on."""

    def __init__(self, tmp_path: Path, name: str = "kill"):
        self.vendor = connection.vendor
        self.tmp_path = tmp_path
        if self.vendor == "sqlite":
            self.path = tmp_path / f"{name}.sqlite3"
            self.url = f"sqlite:///{self.path}"
        elif self.vendor == "postgresql":
            s = connection.settings_dict
            self.admin = {"host": s["HOST"] or None, "port": s["PORT"] or None, "user": s["USER"] or None,
                          "password": s["PASSWORD"] or None, "dbname": "postgres", "autocommit": True}
            self.name = f"jingzhun_{name}_{uuid.uuid4().hex[:8]}"
            auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
            self.url = f"postgresql://{auth}@{s['HOST']}:{s['PORT']}/{self.name}"
        else:
            pytest.fail(f"no kill test for {self.vendor}")
        self._probe = None

    def env(self) -> dict[str, str]:
        return {**os.environ, "JINGZHUN_DATABASE_URL": self.url, "DJANGO_SETTINGS_MODULE": "jingzhun.settings",
                "PYTHONPATH": str(ROOT)}

    def python(self, code: str) -> str:
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=self.env(), capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def jingzhun(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jingzhun.cli", *args], cwd=ROOT, env=self.env(),
                              capture_output=True, text=True, timeout=300)

    def start_import(self, path: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "jingzhun.cli", "import", str(path), "--quiet"], cwd=ROOT,
                                env=self.env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def _admin(self):
        import psycopg

        return psycopg.connect(**self.admin)

    def create(self) -> None:
        if self.vendor == "postgresql":
            with self._admin() as con:
                con.execute(f'CREATE DATABASE "{self.name}"')
        migrated = self.jingzhun("migrate", "--verbosity", "0")
        assert migrated.returncode == 0, migrated.stderr
        self.python(AREAS)

    def copy(self, name: str) -> Database:
        """Another database with the same content (no process may be using this one)."""
        other = Database(self.tmp_path, name)
        if self.vendor == "sqlite":
            for suffix in ("", "-wal"):
                if Path(f"{self.path}{suffix}").exists():
                    shutil.copyfile(f"{self.path}{suffix}", f"{other.path}{suffix}")
        else:
            with self._admin() as con:
                con.execute(f'CREATE DATABASE "{other.name}" TEMPLATE "{self.name}"')
        return other

    def drop(self) -> None:
        if self._probe is not None:
            self._probe.close()
        if self.vendor == "postgresql":
            with self._admin() as con:
                con.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def snapshot(self, *, checksums: bool = True) -> dict[str, object]:
        """Row counts of every registry table, duplicate checks, and checksums of the rows."""
        return json.loads(self.python(f"CHECKSUMS = {checksums}\n" + SNAPSHOT))

    def in_write_transaction(self) -> bool:
        """True while a session holds a transaction on this database that has begun writing and has
        not yet asked to commit: killing its client then must roll everything back."""
        if self.vendor == "sqlite":
            # The importer begins IMMEDIATE: it holds the write lock from BEGIN to the end of COMMIT.
            probe = sqlite3.connect(self.path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                assert "locked" in str(exc), exc
                return True
            else:
                probe.execute("ROLLBACK")
                return False
            finally:
                probe.close()
        # A transaction id is assigned at the first write. COMMIT is excluded: once the client has
        # sent it (the deferred foreign-key checks then take a while) the server finishes on its own.
        if self._probe is None:
            self._probe = self._admin()
        row = self._probe.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_xid IS NOT NULL "
            "AND query NOT ILIKE 'commit%%'", [self.name]).fetchone()
        return bool(row and row[0])


    def sessions(self) -> int:
        """PostgreSQL: how many sessions are connected to this database (the probe is not: it uses postgres)."""
        if self._probe is None:
            self._probe = self._admin()
        row = self._probe.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [self.name]).fetchone()
        return int(row[0]) if row else 0

    def member_rows_copied(self) -> int | None:
        """PostgreSQL: rows the import's COPY into registry_member has processed so far (None before it starts)."""
        if self._probe is None:
            self._probe = self._admin()
        row = self._probe.execute(
            "SELECT p.tuples_processed FROM pg_stat_progress_copy p JOIN pg_stat_activity a USING (pid) "
            "WHERE p.datname = %s AND a.query LIKE 'COPY \"registry_member\"%%'", [self.name]).fetchone()
        return None if row is None else int(row[0])


@pytest.fixture
def databases(tmp_path):
    made: list[Database] = []

    def make(db: Database) -> Database:
        made.append(db)
        return db

    yield make
    for db in made:
        db.drop()


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def measure_write_cpu(db: Database, path: Path) -> float:
    """SQLite: run the import to the end; the CPU seconds it spent holding the write lock."""
    proc = db.start_import(path)
    process = psutil.Process(proc.pid)
    first = last = None
    while proc.poll() is None:
        try:
            cpu = cpu_seconds(process)
            writing = db.in_write_transaction()
        except psutil.NoSuchProcess:
            break
        if writing:
            first = cpu if first is None else first
            last = cpu
        elif first is not None:
            break  # committed
        time.sleep(0.005)
    stderr = proc.communicate(timeout=120)[1].decode()
    assert proc.returncode == 0, stderr
    assert first is not None and last is not None, "the write transaction was never seen open"
    return last - first


def wait_for(condition, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        assert proc.poll() is None, f"the import ended before {what}"
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.005)


def kill_part_way_through_writing(db: Database, path: Path, *, write_cpu: float = 0.0, new_members: int = 0) -> str:
    """Start the import, wait until KILL_AT of its writing is done, freeze it, check that it is still
    inside its uncommitted transaction, and SIGKILL it. Returns how far it had got."""
    proc = db.start_import(path)
    process = psutil.Process(proc.pid)
    try:
        if db.vendor == "sqlite":
            wait_for(db.in_write_transaction, proc, "its write transaction opened")
            start = cpu_seconds(process)
            wait_for(lambda: cpu_seconds(process) - start >= KILL_AT * write_cpu, proc,
                     f"{KILL_AT:.0%} of the measured {write_cpu:.2f} CPU seconds of writing")
        else:
            wait_for(lambda: (db.member_rows_copied() or 0) >= KILL_AT * new_members, proc,
                     f"{KILL_AT:.0%} of {new_members} members were copied")
        os.kill(proc.pid, signal.SIGSTOP)
        assert proc.poll() is None, "the import finished before the kill"
        time.sleep(0.05)  # let the database act on anything the client sent just before it froze
        assert db.in_write_transaction(), "frozen after it asked to commit: the kill would come too late"
        if db.vendor == "sqlite":
            progress = f"{cpu_seconds(process) - start:.2f} of {write_cpu:.2f} CPU seconds of writing"
        else:
            copied = db.member_rows_copied()
            assert copied is not None and copied < new_members, copied
            progress = f"{copied} of {new_members} members copied"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    if db.vendor == "postgresql":  # the server notices the lost client and rolls back
        deadline = time.monotonic() + 30
        while db.in_write_transaction():
            assert time.monotonic() < deadline, "the killed import's transaction never ended"
            time.sleep(0.05)
    return progress


def test_killed_import_leaves_the_database_unchanged_and_a_rerun_completes(databases, tmp_path):
    sizes = [SIZES[k % 2] for k in range(HOUSEHOLDS)]
    members = sum(sizes)  # 10 000 × 3 + 10 000 × 4 = 70 000
    db = databases(Database(tmp_path))
    db.create()

    # A database with something in it: the first 50 households, at the old wage.
    write_csv(tmp_path / "first.csv", big_register(EXISTING, wage="5000"))
    done = db.jingzhun("import", str(tmp_path / "first.csv"), "--quiet")
    assert done.returncode == 0, done.stderr
    before = db.snapshot()
    assert before["registry_household"] == EXISTING
    assert before["registry_member"] == sum(sizes[:EXISTING])  # 25 × 3 + 25 × 4 = 175

    big = write_csv(tmp_path / "big.csv", big_register(HOUSEHOLDS))

    if db.vendor == "sqlite":
        # Measure once, on a copy: the CPU time the whole write transaction takes.
        write_cpu = measure_write_cpu(databases(db.copy("measure")), big)
        assert write_cpu > 0.05, f"writing took only {write_cpu:.3f} CPU seconds: too short to kill inside"
        progress = kill_part_way_through_writing(db, big, write_cpu=write_cpu)
    else:
        new_members = members - sum(sizes[:EXISTING])  # the 50 existing households keep their members
        progress = kill_part_way_through_writing(db, big, new_members=new_members)
    assert db.snapshot() == before, f"killed after {progress}"

    # The same import again, to the end.
    done = db.jingzhun("import", str(big), "--quiet")
    assert done.returncode == 0, done.stderr
    assert f"新增 {HOUSEHOLDS - EXISTING} 户" in done.stdout and f"更新 {EXISTING} updated" in done.stdout, done.stdout
    final = db.snapshot(checksums=False)
    assert final["registry_household"] == final["distinct_household_numbers"] == HOUSEHOLDS
    assert final["registry_member"] == final["distinct_people"] == members
    assert final["registry_incomerecord"] == final["distinct_income_years"] == HOUSEHOLDS
    assert final["wage_total"] == str(6000 * HOUSEHOLDS)  # the 50 old ones moved from 5000 to 6000
    assert final["registry_change"] == EXISTING  # one wage change each
    assert final["registry_statusevent"] == HOUSEHOLDS  # a first status for each household, once
    assert final["registry_importbatch"] == 2  # the first file and the completed run; none for the killed one
    assert final["audit_auditentry"] == 2
    if db.vendor == "sqlite":
        assert final["integrity"] == "ok"
    print(f"killed after {progress}")


@pytest.mark.django_db(transaction=True)
def test_staging_left_by_a_killed_load_is_swept_by_the_next_one(tmp_path, monkeypatch):
    """A killed load never runs its `finally`, so its staging folder (ciphertexts and blind indexes) would
    stay in the temporary directory; the next staged load deletes such folders once they are a day old."""
    import tempfile

    import pyarrow as pa

    from jingzhun.db import loader as bulk

    monkeypatch.setattr(bulk, "PLAIN_BELOW", 0)  # two rows, staged as a large load is
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old, fresh = tmp_path / (bulk.STAGING_PREFIX + "killed"), tmp_path / (bulk.STAGING_PREFIX + "running")
    for folder in (old, fresh):
        folder.mkdir()
        (folder / "member.sqlite3").write_bytes(b"ciphertexts")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old, (two_days_ago, two_days_ago))
    if connection.vendor == "sqlite":
        with bulk.Loader({"t": pa.table({"a": [1, 2]})}) as loader:
            assert loader.staged  # the staging path ran, and swept first
    else:  # PostgreSQL loads by COPY and stages no files; the sweep is the same function
        from jingzhun.db import scratch

        assert scratch.sweep() == [str(old)]
    assert not old.exists() and fresh.exists()
    assert [p.name for p in tmp_path.glob(bulk.STAGING_PREFIX + "*")] == [fresh.name]  # the load's own folder is gone


# --------------------------------------------------------------------------- identification runs and pairing approvals
#
# These kills are aimed by hooks, not by measurement: the command runs in a subprocess in which one real
# function of the code under test is wrapped so that, once it has done its work, the process says where it
# is and waits. The test then checks where the database stands (inside an uncommitted transaction, or
# between transactions) and SIGKILLs it. Each point is where a half-done state could be left behind.

HOOKED = r"""
import sys, time, django
django.setup()
from django.db import connection

point, job = sys.argv[1], sys.argv[2:]


def hang(where):
    print("AT", where, flush=True)
    time.sleep(600)


def after(owner, name, where, when=lambda *a, **k: True):
    real = getattr(owner, name)

    def hooked(*a, **k):
        out = real(*a, **k)
        if point == where and when(*a, **k):
            hang(where)
        return out

    setattr(owner, name, hooked)


from jingzhun.identification import run, store
from jingzhun.db import loader as bulk
from jingzhun.teams import pairing_db
from jingzhun.audit import log

store.PARALLEL_FROM = 1  # PostgreSQL: the two-stream path, whose halves are committed before they are attached
real_write = store.write


def write(*a, **k):  # before the results are written (the run's id already taken)
    if point == "before_write":
        hang(point)
    return real_write(*a, **k)


store.write = write
after(bulk.Loader, "load", "results_loaded")  # SQLite: the results are in, inside the transaction
after(store, "_load_halves", "results_loaded")  # PostgreSQL: both halves committed, not attached
after(run, "_finished", "run_recorded")  # the run's row and audit written, not committed
after(pairing_db, "check_capacity", "pairs_written")  # pairs ended and created, run not yet approved
after(log, "record", "approval_recorded", when=lambda actor, action, **k: action == "pairing.approve")
after(pairing_db.register_changed, "send", "dashboards_told")  # the last statement of the approval

if job[0] == "approve":
    from jingzhun.teams.models import PairingRun

    pairing_db.approve(PairingRun.objects.get(status="previewed"), "approver")
else:
    from django.core.management import call_command

    call_command(*job)
print("DONE", flush=True)
"""


def holds_write_lock(db: Database, pid: int) -> bool:
    """Whether process `pid` is inside a write transaction on the database. SQLite (WAL): whether it holds
    the WAL write lock — byte 120 of the -shm file, as the kernel lists it in /proc/locks (a probe's
    BEGIN IMMEDIATE is no witness here: with the results' staging files attached, it answered 'locking
    protocol', and from a fresh connection even took the lock). PostgreSQL: a session with a transaction id."""
    if db.vendor != "sqlite":
        return db.in_write_transaction()
    return holds_sqlite_write_lock(db.path, pid)


def kill_at(db: Database, point: str, *job: str, in_transaction: bool) -> None:
    """Run `job` with the hook at `point`, wait until the process is there, check whether it is inside an
    uncommitted write transaction (as `in_transaction` says it must be), SIGKILL it and wait for the
    database to let the transaction go."""
    proc = subprocess.Popen([sys.executable, "-c", HOOKED, point, *job], cwd=ROOT, env=db.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if line.strip() != f"AT {point}":
            proc.kill()
            out, err = proc.communicate(timeout=30)
            pytest.fail(f"never reached {point}: {line}{out}{err}")
        time.sleep(0.05)
        assert holds_write_lock(db, proc.pid) == in_transaction, point
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    deadline = time.monotonic() + 30
    while db.vendor == "postgresql" and db.sessions():  # the server notices the lost client, rolls back, ends
        assert time.monotonic() < deadline, f"the session killed at {point} never ended"
        time.sleep(0.05)


RUNS_SNAPSHOT = r"""
import json, django
django.setup()
from django.db import connection
from jingzhun.identification import store
out = {}
with connection.cursor() as cur:
    for name, sql in (
        ("runs", "SELECT count(*) FROM identification_identificationrun"),
        ("unfinished", "SELECT count(*) FROM identification_identificationrun WHERE finished_at IS NULL"),
        ("results", "SELECT count(*) FROM identification_householdresult"),
        ("results_of_finished", "SELECT count(*) FROM identification_householdresult r "
                                "JOIN identification_identificationrun u ON u.id = r.run_id"),
        ("audited", "SELECT count(*) FROM audit_auditentry WHERE action = 'identification.run'"),
    ):
        cur.execute(sql)
        out[name] = cur.fetchone()[0]
    if connection.vendor == "postgresql":
        cur.execute("SELECT relname, relispartition FROM pg_class WHERE relkind IN ('r', 'p') AND relname LIKE %s",
                    [store.TABLE + "_r%"])
        out["tables"] = sorted(f"{name}{' (attached)' if attached else ''}" for name, attached in cur.fetchall())
print(json.dumps(out))
"""

IDENTIFY = ("identify", "--policy", "national-2020", "--year", "2019")
IDENTIFIED = 2_000  # households


def test_a_killed_identification_run_leaves_no_run_or_a_whole_one(databases, tmp_path):
    """Killed before its results are written, with them loaded, and with its row written but not committed,
    an identification run leaves nothing: no run (and so none stuck as running), no result, no audit row.
    On PostgreSQL the halves it had committed stay invisible, and the next run clears them away; that run
    lands whole."""
    db = databases(Database(tmp_path, "ident"))
    db.create()
    done = db.jingzhun("import", str(write_csv(tmp_path / "register.csv", big_register(IDENTIFIED))), "--quiet")
    assert done.returncode == 0, done.stderr
    empty = {"runs": 0, "unfinished": 0, "results": 0, "results_of_finished": 0, "audited": 0}
    if db.vendor == "postgresql":
        empty["tables"] = []
    assert json.loads(db.python(RUNS_SNAPSHOT)) == empty

    sqlite = db.vendor == "sqlite"
    for point, in_transaction in (("before_write", False), ("results_loaded", sqlite), ("run_recorded", True)):
        kill_at(db, point, *IDENTIFY, in_transaction=in_transaction)
        left = json.loads(db.python(RUNS_SNAPSHOT))
        if point != "before_write" and not sqlite:
            # The two halves were committed on their own connections before the attaching transaction;
            # nobody sees them (not attached). The next write drops them (the final run, below).
            assert [t for t in left.pop("tables") if t.endswith("(attached)")] == [], left
            left["tables"] = []
        assert left == empty, f"killed at {point}: {left}"

    done = db.jingzhun(*IDENTIFY)
    assert done.returncode == 0, done.stderr
    after = json.loads(db.python(RUNS_SNAPSHOT))
    whole = {"runs": 1, "unfinished": 0, "results": IDENTIFIED, "results_of_finished": IDENTIFIED, "audited": 1}
    if not sqlite:
        # Only the finished run's partition (one stream: 2 000 rows), attached: the killed runs' halves are gone.
        run_id = db.python("import django; django.setup()\nfrom jingzhun.identification.models import "
                           "IdentificationRun as R; print(R.objects.get().pk)").strip()
        table = f"identification_householdresult_r{run_id}"
        whole["tables"] = [f"{table} (attached)"]
    assert after == whole


PAIRING_SETUP = r"""
import datetime as dt, django
django.setup()
from jingzhun.registry.models import Household
from jingzhun.teams import pairing_db
from jingzhun.teams.models import Cadre, HelperPair
VILLAGE = "433130101201"
households = list(Household.objects.order_by("id").values_list("id", flat=True))
serving = [Cadre.objects.create(name=f"干部{i}", unit="县直单位", unit_kind="county", rank="staff", home_area_id=VILLAGE)
           for i in range(len(households) // 4)]
recalled = [Cadre.objects.create(name=f"召回{i}", unit="县直单位", unit_kind="county", rank="staff",
                                 home_area_id=VILLAGE, status="recalled") for i in range(20)]
start = dt.date(2019, 3, 1)
# 100 households with a recalled helper (to be moved), 100 with a serving one (kept or moved).
pairs = [HelperPair(household_id=h, cadre=recalled[i // 5], start_date=start) for i, h in enumerate(households[:100])]
pairs += [HelperPair(household_id=h, cadre=serving[i // 4], start_date=start) for i, h in enumerate(households[100:200])]
HelperPair.objects.bulk_create(pairs)
run = pairing_db.preview(Household.objects.all(), Cadre.objects.all(), actor="planner")
print(run.pk, run.new, run.moved, run.kept, run.ended)
"""

PAIRS_SNAPSHOT = r"""
import hashlib, json, django
django.setup()
from django.db import connection
out = {}
with connection.cursor() as cur:
    cur.execute("SELECT id, household_id, cadre_id, start_date, end_date, end_reason, run_id FROM teams_helperpair "
                "ORDER BY id")
    rows = cur.fetchall()
    out["pairs"] = len(rows)
    out["pairs_sha256"] = hashlib.sha256(repr([[str(v) for v in r] for r in rows]).encode()).hexdigest()
    cur.execute("SELECT count(*) FROM teams_helperpair WHERE end_date IS NULL")
    out["active"] = cur.fetchone()[0]
    cur.execute("SELECT status, approved_by FROM teams_pairingrun")
    out["runs"] = [list(r) for r in cur.fetchall()]
    cur.execute("SELECT count(*) FROM audit_auditentry WHERE action = 'pairing.approve'")
    out["audited"] = cur.fetchone()[0]
    # The active pairs against what the preview proposed (kept, moved and new: household → cadre).
    cur.execute("SELECT count(*) FROM teams_pairingproposal p WHERE p.kind IN ('kept', 'moved', 'new') AND NOT EXISTS "
                "(SELECT 1 FROM teams_helperpair h WHERE h.end_date IS NULL AND h.household_id = p.household_id "
                "AND h.cadre_id = p.cadre_id)")
    out["proposed_not_active"] = cur.fetchone()[0]
print(json.dumps(out))
"""

PAIRED = 600  # households needing a helper


def test_a_killed_pairing_approval_leaves_the_pairs_exactly_before_or_after(databases, tmp_path):
    """A pairing approval killed after it has ended and created pairs, after it has recorded the approval,
    and at its last statement leaves every pair, the run and the audit exactly as before; the approval run
    again lands whole: the active pairs are the proposal's."""
    db = databases(Database(tmp_path, "pairing"))
    db.create()
    done = db.jingzhun("import", str(write_csv(tmp_path / "register.csv", big_register(PAIRED))), "--quiet")
    assert done.returncode == 0, done.stderr
    run_id, new, moved, kept, ended = (int(v) for v in db.python(PAIRING_SETUP).split())
    # 100 pairs with recalled helpers must go (moved or ended); the rest are new, kept or moved.
    assert new > 0 and moved > 0 and kept > 0 and moved + ended >= 100, (new, moved, kept, ended)
    before = json.loads(db.python(PAIRS_SNAPSHOT))
    assert before["pairs"] == before["active"] == 200 and before["runs"] == [["previewed", ""]]
    assert before["audited"] == 0 and before["proposed_not_active"] == new + moved

    for point in ("pairs_written", "approval_recorded", "dashboards_told"):
        kill_at(db, point, "approve", in_transaction=True)
        assert json.loads(db.python(PAIRS_SNAPSHOT)) == before, f"killed at {point}"

    done = subprocess.run([sys.executable, "-c", HOOKED, "none", "approve"], cwd=ROOT, env=db.env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "DONE" in done.stdout, done.stderr
    after = json.loads(db.python(PAIRS_SNAPSHOT))
    assert after["runs"] == [["approved", "approver"]] and after["audited"] == 1
    assert after["proposed_not_active"] == 0 and after["active"] == new + moved + kept
    assert after["pairs"] == 200 + new + moved  # the moved pairs ended (kept as history), the new ones added
