"""The job queue's operations: enqueue, claim, renew, finish, fail and reap.

A claim is one statement that takes the oldest queued job and marks it running under this worker's name
and a lease — on PostgreSQL the pick is `FOR UPDATE SKIP LOCKED`, so workers on several servers each take
a different job without waiting on one another; on SQLite the statement runs under the database's single
write lock. The `state = 'queued'` condition is repeated in the UPDATE so a job is never taken twice.

A worker names itself host:pid:process-start-time. A running job whose worker is on this host and no
longer alive is reaped at once; one from another host when its lease has run out (the lease is renewed
every third of its length while the job runs). A reaped job is queued again while it has attempts left —
the work it does is all-or-nothing, so a retry starts from the database exactly as it was — and failed
otherwise, with the kind's `failed` hook telling its subject (an upload) what became of it.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.module_loading import import_string

from jingzhun.jobs.models import Job, JobState

GONE = "工作进程已不在 / its worker is gone"


@dataclass(frozen=True)
class Kind:
    """What a kind of job does (in the worker's child process) and how its subject learns it failed, as
    dotted paths imported when first used (registering from an app's `ready()` imports nothing heavy)."""

    run_path: str  # (job) -> None
    failed_path: str  # (job, how it ended) -> None, called once when the job fails for good
    env_path: str = ""  # () -> the environment its child process must share with this one

    def run(self, job: Job) -> None:
        import_string(self.run_path)(job)

    def failed(self, job: Job, how: str) -> None:
        import_string(self.failed_path)(job, how)

    def env(self) -> dict[str, str]:
        return dict(import_string(self.env_path)()) if self.env_path else {}


_KINDS: dict[str, Kind] = {}


def register(name: str, kind: Kind) -> None:
    """Called from an app's `ready()`, so the worker and its child processes know every kind."""
    _KINDS[name] = kind


def kind(name: str) -> Kind:
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"未登记的任务类型 / no job kind {name!r} is registered") from None


def kinds() -> dict[str, Kind]:
    return dict(_KINDS)


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.JOBS_LEASE_SECONDS)


# --- who is working ------------------------------------------------------------------------------------

def me() -> str:
    """This process's name as a claimant: host, process id and start time (a reused pid is not us)."""
    import psutil

    return f"{socket.gethostname()}:{os.getpid()}:{psutil.Process().create_time():.2f}"


def alive(claimant: str) -> bool | None:
    """Whether the claimant process lives: True or False on this host, None for another host's."""
    import psutil

    parts = claimant.rsplit(":", 2)
    if len(parts) != 3:
        return False
    if parts[0] != socket.gethostname():
        return None
    try:
        return abs(psutil.Process(int(parts[1])).create_time() - float(parts[2])) < 0.05
    except (psutil.Error, ValueError):
        return False


# --- the operations ------------------------------------------------------------------------------------

def enqueue(name: str, args: dict[str, object], *, max_attempts: int | None = None) -> Job:
    kind(name)  # refuse a kind no worker could run
    return Job.objects.create(kind=name, args=args,
                              max_attempts=max_attempts or settings.JOBS_MAX_ATTEMPTS)


def claim(worker: str, *, only: int | None = None) -> Job | None:
    """Take the oldest queued job (or job `only`, if it is still queued) for `worker`, in one statement."""
    if not Job.objects.filter(state=JobState.QUEUED).exists():
        return None  # an idle worker only reads: on SQLite a claim would take the write lock every poll
    now = timezone.now()
    table, ops = Job._meta.db_table, connection.ops
    pick = f"SELECT id FROM {table} WHERE state = %s" + (" AND id = %s" if only is not None else "")
    pick += " ORDER BY id LIMIT 1" + (" FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else "")
    sql = (f"UPDATE {table} SET state = %s, claimed_by = %s, lease_until = %s, attempts = attempts + 1, "
           f"started_at = COALESCE(started_at, %s) WHERE state = %s AND id = ({pick}) RETURNING id")
    params: list[Any] = [JobState.RUNNING, worker, ops.adapt_datetimefield_value(now + lease()),
                            ops.adapt_datetimefield_value(now), JobState.QUEUED, JobState.QUEUED]
    if only is not None:
        params.append(only)
    with connection.cursor() as cur:
        cur.execute(sql, params)
        row = cur.fetchone()
    return None if row is None else Job.objects.get(pk=row[0])


def renew(job: Job, worker: str) -> bool:
    """Extend the lease; False when the job is no longer this worker's (reaped meanwhile)."""
    return bool(Job.objects.filter(pk=job.pk, state=JobState.RUNNING, claimed_by=worker)
                .update(lease_until=timezone.now() + lease()))


def release(job: Job, worker: str) -> bool:
    """Give a job back untouched (the worker is stopping): queued again, this attempt not counted."""
    from django.db.models import F

    return bool(Job.objects.filter(pk=job.pk, state=JobState.RUNNING, claimed_by=worker)
                .update(state=JobState.QUEUED, claimed_by="", lease_until=None, attempts=F("attempts") - 1))


def finish(job: Job, worker: str) -> bool:
    return bool(Job.objects.filter(pk=job.pk, state=JobState.RUNNING, claimed_by=worker)
                .update(state=JobState.DONE, lease_until=None, finished_at=timezone.now()))


def fail(job: Job, worker: str, how: str) -> bool:
    """The job ended badly under this worker: failed for good (no retry: its process ended on its own,
    so the same file would end it again), and its subject told."""
    failed = bool(Job.objects.filter(pk=job.pk, state=JobState.RUNNING, claimed_by=worker)
                  .update(state=JobState.FAILED, lease_until=None, finished_at=timezone.now(), error=how))
    if failed:
        kind(job.kind).failed(job, how)
    return failed


def _gone(job: Job, now: dt.datetime) -> bool:
    living = alive(job.claimed_by)
    if living is None:  # another host's worker: only its lease can tell
        return job.lease_until is None or job.lease_until < now
    return not living


def reap(*, ids: list[int] | None = None) -> list[Job]:
    """Running jobs whose worker is gone: queued again while they have attempts left, failed otherwise.
    Reads first and writes only for a job found gone (on SQLite a write waits for the write lock)."""
    now = timezone.now()
    running = Job.objects.filter(state=JobState.RUNNING)
    if ids is not None:
        running = running.filter(pk__in=ids)
    reaped = []
    for job in running:
        if not _gone(job, now):
            continue
        again = job.attempts < job.max_attempts
        how = f"{GONE}（{job.attempts}/{job.max_attempts}）"
        changed = Job.objects.filter(pk=job.pk, state=JobState.RUNNING, claimed_by=job.claimed_by).update(
            state=JobState.QUEUED if again else JobState.FAILED, claimed_by="", lease_until=None, error=how,
            finished_at=None if again else now)
        if not changed:
            continue  # another worker reaped it first
        job.refresh_from_db()
        if not again:
            kind(job.kind).failed(job, how)
        reaped.append(job)
    return reaped
