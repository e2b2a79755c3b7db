"""Running one claimed job: in a child process (a worker, or a web request running the job it has just
made), or in this process (`UPLOADS_SYNCHRONOUS` tests).

The child (`jingzhun run_job`) is a fresh interpreter: a reader that aborts in native code on a crafted
file ends that process only, and the worker records how it ended. It dies with its parent (the kernel
sends it SIGKILL when the worker goes: `die_with_parent`), so a killed worker never leaves an import
writing on its own while the next worker retries it; its transaction is rolled back by the database.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

from django.db import connection

from jingzhun import dburl
from jingzhun.jobs import queue
from jingzhun.jobs.models import Job, JobState

SLICE = 0.25  # seconds between looks at a running child (a stop request is noticed within this)
PR_SET_PDEATHSIG = 1


def ending(returncode: int | None) -> str:
    """How a process ended, as people read it: SIGABRT, SIGKILL, exit status 1."""
    if returncode is not None and returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


def child_command(job: Job, worker: str) -> list[str]:
    return [sys.executable, "-m", "jingzhun.cli", "run_job", str(job.pk), "--claim", worker,
            "--parent", str(os.getpid())]


def child_env(job: Job) -> dict[str, str]:
    """This process's environment, with the database this process really uses (a test database too) and
    the settings the job's kind says its child must share."""
    return {**os.environ, "DJANGO_SETTINGS_MODULE": "jingzhun.settings",
            "JINGZHUN_DATABASE_URL": dburl.url_of(connection.settings_dict, connection.vendor),
            **queue.kind(job.kind).env()}


def die_with_parent(parent: int, signal_number: int = signal.SIGKILL) -> None:
    """Be sent `signal_number` when the process that started this one ends (Linux), and end now if it
    already has. Strictly, the kernel watches the parent's *thread* that started the child: a worker and
    `jingzhun serve` start theirs from the main thread, and a web request's thread waits for its child."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal_number), 0, 0, 0)
    if os.getppid() != parent:
        os._exit(75)  # the parent went before the death signal was set


def run_claimed(job: Job, worker: str, stop: Callable[[], bool] = lambda: False) -> str:
    """Run a job `worker` has claimed in a child process, renewing its lease; record how it ended.
    Returns the job's state afterwards (queued again when `stop` asked the worker to stop)."""
    child = subprocess.Popen(child_command(job, worker), env=child_env(job), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    renew_every = queue.lease().total_seconds() / 3
    renewed = time.monotonic()
    while (code := _wait(child)) is None:
        if stop():
            _end(child)
            queue.release(job, worker)
            return JobState.QUEUED
        if time.monotonic() - renewed < renew_every:
            continue
        renewal = _renew(job, worker)
        if renewal is False:
            _end(child)  # reaped meanwhile (its lease ran out): another worker may run it now
            return "lost"
        if renewal:
            renewed = time.monotonic()
    if code == 0:
        queue.finish(job, worker)
        return JobState.DONE
    queue.fail(job, worker, ending(code))
    return JobState.FAILED


def _wait(child: subprocess.Popen[bytes]) -> int | None:
    try:
        return child.wait(timeout=SLICE)
    except subprocess.TimeoutExpired:
        return None


def _end(child: subprocess.Popen[bytes]) -> None:
    child.kill()  # its transaction, if open, is rolled back by the database
    child.wait()


def _renew(job: Job, worker: str) -> bool | None:
    """True or False as `queue.renew` says; None when the database is busy (SQLite: the child's import
    holds the write lock — this worker is alive, which is what a same-host reaper checks anyway)."""
    from django.db import OperationalError

    try:
        return queue.renew(job, worker)
    except OperationalError:
        return None


def run_now(job: Job) -> Job:
    """A web request runs the job it has just queued itself, in a child process, while its user waits
    (a check); if a worker took it first, the request waits for that worker. Returns the finished job."""
    worker = queue.me()
    while True:
        if queue.claim(worker, only=job.pk) is not None:
            run_claimed(job, worker)
        job.refresh_from_db()
        if job.state in (JobState.DONE, JobState.FAILED):
            return job
        queue.reap(ids=[job.pk])
        time.sleep(0.2)


def run_inline(job: Job) -> Job:
    """`UPLOADS_SYNCHRONOUS`: claim and run the job in this process, on this connection (tests)."""
    worker = queue.me()
    if queue.claim(worker, only=job.pk) is None:
        raise RuntimeError(f"job {job.pk} is not queued")
    try:
        queue.kind(job.kind).run(job)
    except BaseException:
        queue.fail(job, worker, "exception")
        raise
    queue.finish(job, worker)
    job.refresh_from_db()
    return job
