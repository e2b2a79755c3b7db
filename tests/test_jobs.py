"""The job queue behind web uploads: a queued import is run by `jingzhun worker`; two workers never take the
same job; a worker killed inside the import's write transaction leaves the register exactly as it was and the
next worker retries the job to the end (or fails it, when it has no attempts left); with no worker running,
through a server restart, the job waits in the queue.

Real processes on the real database (SQLite file or PostgreSQL) throughout: the web request in this process,
the workers and their children as `python -m jingzhun.cli` subprocesses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from jingzhun.jobs import queue
from jingzhun.jobs.models import Job, JobState
from jingzhun.web import uploads
from jingzhun.web.models import Upload, UploadState
from tests.factories import numbered_register, write_csv
from tests.job_support import ROOT, start_worker, stop, worker_env
from tests.locks import holds_sqlite_write_lock

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued(committed_web, settings, tmp_path):
    """upload(rows) → the token of a checked upload, confirmed: its import is queued, no worker running."""
    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    settings.UPLOADS_SYNCHRONOUS = False
    client = committed_web.client("officer_a")

    def upload(rows: list[dict[str, str]], name: str = "queued.csv") -> str:
        path = write_csv(tmp_path / name, rows)
        response = client.post(reverse("web:imports"), {"file": _file(name, path.read_bytes())}, follow=True)
        token = response.redirect_chain[-1][0].rstrip("/").split("/")[-1]
        assert Upload.objects.get(token=token).state == UploadState.CHECKED  # checked by the request itself
        client.post(reverse("web:upload_confirm", args=[token]), {"mode": "all"})
        return token

    upload.client = client  # type: ignore[attr-defined]
    return upload


def _file(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def register(n: int, prefix: str = "Q") -> list[dict[str, str]]:
    return numbered_register(n, prefix)


def snapshot() -> dict[str, object]:
    """Row counts of the register's tables and a checksum of every household and member row."""
    out: dict[str, object] = {}
    with connection.cursor() as cur:
        for table in ("registry_household", "registry_member", "registry_incomerecord", "registry_statusevent",
                      "registry_change", "registry_importbatch", "audit_auditentry"):
            cur.execute(f"SELECT count(*) FROM {table}")
            out[table] = cur.fetchone()[0]
        for name, sql in (("households", "SELECT * FROM registry_household ORDER BY id"),
                          ("members", "SELECT id, household_id, position, name, resident_id_index "
                                      "FROM registry_member ORDER BY id")):
            cur.execute(sql)
            digest = hashlib.sha256()
            for row in cur.fetchall():
                digest.update(repr([bytes(v) if isinstance(v, memoryview) else v for v in row]).encode())
            out[name] = digest.hexdigest()
    return out


def wait_for(predicate, seconds: float, what: str, every: float = 0.01):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting until {what}")


def job_of(token: str) -> Job:
    return Job.objects.get(pk=Upload.objects.get(token=token).job_id)


# --- enqueue → worker → done; a server restart with no worker --------------------------------------------

def test_a_queued_import_waits_through_a_server_restart_and_a_later_worker_runs_it(queued, settings):
    from jingzhun.web.management.commands.serve import sweep_at_start

    token = queued(register(3))
    before = snapshot()  # the check is audited: after it
    job = job_of(token)
    assert (job.kind, job.state, job.attempts) == ("upload.import", JobState.QUEUED, 0)
    shown = queued.client.get(reverse("web:upload_progress", args=[token])).json()
    assert shown["state"] == "running" and shown["stage"] == "queued" and shown["job"] == "queued"

    # No worker for a while, the server restarted (its start-up sweep), long past the lease and the keep time.
    settings.UPLOAD_KEEP_HOURS = 0
    sweep_at_start()
    uploads.sweep(now=time.time() + 48 * 3600)
    upload = uploads.refresh(Upload.objects.get(token=token))
    assert upload.state == UploadState.RUNNING and job_of(token).state == JobState.QUEUED
    assert Path(upload.stored_as).is_file() and snapshot() == before

    done = subprocess.run([sys.executable, "-m", "jingzhun.cli", "worker", "--once"], cwd=ROOT, env=worker_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "1 个任务 / jobs run" in done.stdout, done.stdout
    upload = Upload.objects.get(token=token)
    assert upload.state == UploadState.DONE and upload.result["inserted"] == 3, upload.result
    job = job_of(token)
    assert (job.state, job.attempts) == (JobState.DONE, 1) and job.finished_at is not None
    after = snapshot()
    assert after["registry_household"] == before["registry_household"] + 3  # type: ignore[operator]
    assert after["registry_member"] == before["registry_member"] + 9  # type: ignore[operator]
    assert not Path(upload.stored_as).exists()
    shown = queued.client.get(reverse("web:upload_progress", args=[token])).json()
    assert shown["state"] == "done" and shown["inserted"] == 3


# --- two workers, one job each ------------------------------------------------------------------------------

CLAIMER = r"""
import json, os, sys, time, django
django.setup()
from jingzhun.jobs import queue
go = sys.argv[1]
while not os.path.exists(go):
    time.sleep(0.001)
me, taken = queue.me(), []
while (job := queue.claim(me)) is not None:
    taken.append(job.pk)
    time.sleep(0.001)  # as a worker does between claims (it runs the job): the other gets its turns
print(json.dumps({"me": me, "taken": taken}))
"""


def test_two_workers_never_take_the_same_job(committed_db, tmp_path):
    """Two processes claim from 200 queued jobs, started together: every job is taken exactly once, by the
    process its row names, on its first attempt — and both took some (they did race)."""
    ids = {queue.enqueue("upload.check", {"token": f"t{i}"}).pk for i in range(200)}
    go = tmp_path / "go"
    claimers = [subprocess.Popen([sys.executable, "-c", CLAIMER, str(go)], cwd=ROOT, env=worker_env(),
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    time.sleep(1.5)  # both interpreters up and waiting
    go.touch()
    results = []
    for claimer in claimers:
        out, err = claimer.communicate(timeout=120)
        assert claimer.returncode == 0, err
        results.append(json.loads(out))
    first, second = (set(r["taken"]) for r in results)
    assert first and second, "one process took every job: no race was tested"
    assert not first & second, sorted(first & second)
    assert first | second == ids
    assert len(results[0]["taken"]) + len(results[1]["taken"]) == len(ids)
    for result in results:
        rows = Job.objects.filter(pk__in=result["taken"])
        assert set(rows.values_list("claimed_by", flat=True)) <= {result["me"]}
        assert set(rows.values_list("state", "attempts")) <= {(JobState.RUNNING, 1)}
    print(f"taken: {len(first)} and {len(second)}")


# --- leases ---------------------------------------------------------------------------------------------------

def _running(claimant: str, lease: dt.timedelta, attempts: int = 1) -> Job:
    job = queue.enqueue("upload.import", {"token": "none", "mode": "all"})
    Job.objects.filter(pk=job.pk).update(state=JobState.RUNNING, claimed_by=claimant, attempts=attempts,
                                         lease_until=timezone.now() + lease)
    return job


def test_a_lease_decides_for_another_hosts_worker_and_liveness_for_this_hosts(committed_db):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    here = socket.gethostname()
    jobs = {
        "other host, lease running": _running("elsewhere:12:1.00", dt.timedelta(seconds=30)),
        "other host, lease run out": _running("elsewhere:12:1.00", -dt.timedelta(seconds=1)),
        "this host, alive, lease run out": _running(queue.me(), -dt.timedelta(seconds=1)),
        "this host, process gone, lease running": _running(f"{here}:{gone.pid}:1.00", dt.timedelta(seconds=30)),
        "this host, process gone, last attempt": _running(f"{here}:{gone.pid}:1.00", dt.timedelta(seconds=30), 3),
    }
    reaped = {job.pk: job.state for job in queue.reap()}
    assert {what: reaped.get(job.pk) for what, job in jobs.items()} == {
        "other host, lease running": None,
        "other host, lease run out": JobState.QUEUED,
        "this host, alive, lease run out": None,
        "this host, process gone, lease running": JobState.QUEUED,
        "this host, process gone, last attempt": JobState.FAILED,
    }
    assert queue.reap() == []  # once only
    assert queue.alive(queue.me()) is True and queue.alive(f"{here}:{gone.pid}:1.00") is False
    assert queue.alive("elsewhere:12:1.00") is None


# --- a worker killed inside the import's write transaction ----------------------------------------------------

def in_write_transaction(pid: int) -> bool:
    """Whether process `pid` holds an open write transaction on the test database. SQLite (WAL): the WAL
    write lock, byte 120 of the -shm file, as /proc/locks lists it. PostgreSQL: another session with a
    transaction id that has not asked to commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND "
                        "backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND query NOT ILIKE 'commit%%'")
            return bool(cur.fetchone()[0])
    return holds_sqlite_write_lock(connection.settings_dict["NAME"], pid)


def kill_worker_while_writing(token: str, worker: subprocess.Popen[str]) -> str:
    """Wait until the worker's child is writing (the members are in: inside the import's transaction),
    freeze the child, check that it holds an open write transaction, and SIGKILL the worker — the kernel
    then kills the child too (it dies with its parent). Returns where the import was."""

    def writing():
        p = uploads.read_progress(token)
        return p if p.get("stage") == "write" and 0.6 <= p.get("done", 0) < 1 and p.get("pid") else None

    progress = wait_for(writing, 300, "the import is writing")
    child = psutil.Process(int(progress["pid"]))
    assert child.ppid() == worker.pid
    child.suspend()
    time.sleep(0.05)  # let the database act on anything the child sent just before it froze
    assert in_write_transaction(child.pid), f"frozen at {progress}, outside its write transaction"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    child.wait(timeout=30)  # killed by the kernel with its parent, though frozen
    if connection.vendor == "postgresql":  # the server notices the lost client and rolls back
        wait_for(lambda: not in_write_transaction(child.pid), 30, "the killed transaction ended", every=0.05)
    return f"{progress['stage']} {progress['done']}"


@pytest.mark.slow
@pytest.mark.parametrize("attempts", [3, 1], ids=["retried", "no-attempts-left"])
def test_a_worker_killed_mid_import_leaves_the_register_before_and_the_next_worker_ends_the_job(
        queued, settings, attempts):
    households = 4000
    settings.JOBS_MAX_ATTEMPTS = attempts  # as the web process enqueues the job
    token = queued(register(households))
    before = snapshot()
    first = start_worker()
    where = kill_worker_while_writing(token, first)
    assert snapshot() == before, f"killed at {where}"
    upload, job = Upload.objects.get(token=token), job_of(token)
    assert upload.state == UploadState.RUNNING and (job.state, job.attempts) == (JobState.RUNNING, 1)
    assert Path(upload.stored_as).is_file()

    stop(first)  # dead already: its output only
    second = start_worker("--once")
    out, _ = second.communicate(timeout=600)
    assert second.returncode == 0, out
    upload, job = Upload.objects.get(token=token), job_of(token)
    after = snapshot()
    if attempts > 1:  # retried from the database as it was, to the end, once
        assert (upload.state, job.state, job.attempts) == (UploadState.DONE, JobState.DONE, 2), (upload.result, out)
        assert upload.result["inserted"] == households
        assert after["registry_household"] == before["registry_household"] + households  # type: ignore[operator]
        assert after["registry_member"] == before["registry_member"] + 3 * households  # type: ignore[operator]
        assert after["registry_importbatch"] == before["registry_importbatch"] + 1  # type: ignore[operator]
    else:  # failed cleanly: nothing written, the officer told
        assert (upload.state, job.state) == (UploadState.FAILED, JobState.FAILED), out
        assert "ended unexpectedly" in upload.result["error"] and "worker is gone" in upload.result["error"]
        assert after == before
    assert not Path(upload.stored_as).exists()
    print(f"killed at {where}; then {upload.state}")


@pytest.mark.slow
def test_a_worker_stopped_with_sigterm_gives_its_job_back(queued):
    """A deploy's restart stops the worker mid-import: its child is killed, the job queued again without
    counting the attempt, the register unchanged; the next worker runs it."""
    token = queued(register(1500))
    before = snapshot()
    worker = start_worker()
    wait_for(lambda: uploads.read_progress(token).get("stage") in ("validate", "write"), 300, "the import runs")
    out = stop(worker)
    assert worker.returncode == 0, out
    job = job_of(token)
    assert (job.state, job.attempts, job.claimed_by) == (JobState.QUEUED, 0, ""), out
    now = snapshot()
    if now != before:
        # On a fast machine the import may commit in the moment between the progress read above and the
        # stop reaching its process: then it is whole — never half — and the next worker finds it done.
        assert now["registry_household"] == before["registry_household"] + 1500, now
    done = subprocess.run([sys.executable, "-m", "jingzhun.cli", "worker", "--once"], cwd=ROOT, env=worker_env(),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert Upload.objects.get(token=token).state == UploadState.DONE
    assert (job_of(token).state, job_of(token).attempts) == (JobState.DONE, 1)
