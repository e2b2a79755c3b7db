"""Report workbooks built by the job queue: ask, build (in a worker's child process), read, expire.

A request records what was asked (`ReportFile`) and queues a `report.build` job in one transaction; an identical
request (same area, year, tables and language) while one is building joins it, if the asker may read its file. An
area of at most REPORT_INLINE_HOUSEHOLDS households is built by the request itself, as the same job (`here`): a
county's counting takes less than a worker's poll and its child's start; a province goes to a worker.
The job counts the figures under the asker's own areas, checked again when it runs (a role taken away meanwhile
fails the build), writes the workbook to `REPORT_DIR/<token>/report.xlsx` (0600, folder 0700) and marks the row
done and audits `report.built` in one transaction. A job whose worker is gone is retried or failed by the queue
(`jobs.queue.reap`, here on every look at the row); the row learns of it through `failed`.

Who reads a file (`readable`, in SQL): the user who asked, while a role of theirs with `counts.ABILITY` still holds
its area; or any user with `export` over its area. The figures are the same for every user who may ask for the
area (every household of the area is inside their areas: `chosen_area` admits only an area inside one of them),
so a file shared this way shows no one more than their own request would. Each download is audited
(`report.download`). Files are deleted `REPORT_KEEP_HOURS` after they were built (`sweep`, on every visit to the
reports page and every request).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.jobs import queue, runner
from jingzhun.jobs.models import Job, JobState
from jingzhun.reports import counts
from jingzhun.reports.fill import fill, unit_name
from jingzhun.reports.models import ReportFile, ReportState
from jingzhun.reports.workbook import write

logger = logging.getLogger(__name__)
BUILD = "report.build"  # the job kind, registered by `ReportsConfig.ready`
ORPHAN_SECONDS = 3600  # a folder with no row (its request rolled back) after this long


# --- files ---------------------------------------------------------------------------------------------

def folder() -> Path:
    path = Path(settings.REPORT_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def file_path(token: str) -> Path:
    return folder() / token / "report.xlsx"


def write_private(path: Path, data: bytes) -> None:
    """The workbook, readable by the service's user only, replacing any earlier attempt's atomically."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def expires_at(run: ReportFile) -> dt.datetime | None:
    if run.finished_at is None:
        return None
    return run.finished_at + dt.timedelta(hours=settings.REPORT_KEEP_HOURS)


# --- who may read ----------------------------------------------------------------------------------------

def readable(user: Any) -> QuerySet[ReportFile]:
    """The report files `user` may read: their own, of an area they still see the figures of; any of an area they
    may export."""
    own = access.scope(ReportFile.objects.filter(user_id=getattr(user, "pk", None) or 0), user, "area_id",
                       counts.ABILITY)
    shared = access.scope(ReportFile.objects.all(), user, "area_id", "export")
    return ReportFile.objects.filter(pk__in=(own | shared).values("pk"))


def key_of(area: Area, year: int, tables: list[str], english: bool) -> str:
    return f"{area.code}|{year}|{','.join(tables)}|{'en' if english else 'zh'}"


# --- asking ----------------------------------------------------------------------------------------------

def ask(user: Any, area: Area, year: int, tables: list[str], english: bool) -> ReportFile:
    """The build of these tables for `user` (whose areas the caller has checked hold `area`): one already building
    that the user may read, or a new one queued for a worker; built at once by this process for a small area (a
    county) and when `REPORTS_SYNCHRONOUS` (tests)."""
    sweep()
    key = key_of(area, year, tables, english)
    for running in readable(user).filter(key=key, state=ReportState.BUILDING).order_by("-pk"):
        if refresh(running).state == ReportState.BUILDING:
            return running
    token = secrets.token_hex(16)
    try:
        with transaction.atomic():
            job = queue.enqueue(BUILD, {"token": token}, max_attempts=2)
            run = ReportFile.objects.create(token=token, user=user, area=area, year=year, tables=tables,
                                            english=english, key=key, job=job)
    except IntegrityError:  # the same user's identical request, a moment earlier: join it
        joined = ReportFile.objects.filter(key=key, user=user, state=ReportState.BUILDING).first()
        if joined is None:  # it ended in between: the next click asks anew
            raise
        return joined
    if settings.REPORTS_SYNCHRONOUS or small(user, area):
        here(job)
        run.refresh_from_db()
    return run


def small(user: Any, area: Area) -> bool:
    """Whether the request may build the workbook itself: at most REPORT_INLINE_HOUSEHOLDS households (a county: a
    fraction of a second of counting, less than a worker's poll and its child's start; one index range count)."""
    limit = settings.REPORT_INLINE_HOUSEHOLDS
    return counts.households(user, area)[: limit + 1].count() <= limit


def here(job: Job) -> None:
    """The same job, run by this process while its user waits (the worker's code, without its child: a report reads
    no file from outside). A worker that claimed it first builds it; a build that fails fails its row (`failed`)."""
    try:
        runner.run_inline(job)
    except Exception:  # recorded on the job and the row by `queue.fail`; the page says so
        logger.exception("report build %s", job.pk)


# --- the job ---------------------------------------------------------------------------------------------

def build_job(job: Job) -> None:
    """Build the workbook under the asker's areas as they are now; record it done and audit it together."""
    run = ReportFile.objects.select_related("user", "area").filter(token=job.args["token"]).first()
    if run is None or run.state != ReportState.BUILDING:
        return  # recorded already (a retried job), or swept
    if not access.can_see_area(run.user, run.area_id, counts.ABILITY):
        _fail(run, "申请人已无权查看该区划的统计数据 / the user who asked may no longer see this area's figures")
        return
    with translation.override("en" if run.english else "zh-hans"):
        body = write(fill(run.user, run.area, run.year, run.tables), unit=unit_name(run.area), year=run.year,
                     english=run.english, today=timezone.localdate())
    write_private(file_path(run.token), body)
    with transaction.atomic():
        if ReportFile.objects.filter(pk=run.pk, state=ReportState.BUILDING).update(
                state=ReportState.DONE, finished_at=timezone.now(), size=len(body)):
            audit.record(run.user.get_username(), "report.built", object_type="report", object_id=str(run.pk),
                         area=run.area_id, year=run.year, tables=run.tables)


def build_failed(job: Job, how: str) -> None:
    run = ReportFile.objects.filter(token=job.args["token"], state=ReportState.BUILDING).first()
    if run is not None:
        _fail(run, f"生成报表的进程异常终止（{how}），请重新申请 / the process building the report ended abnormally "
                   f"({how}); ask for it again")


def _fail(run: ReportFile, message: str) -> None:
    shutil.rmtree(folder() / run.token, ignore_errors=True)
    ReportFile.objects.filter(pk=run.pk, state=ReportState.BUILDING).update(
        state=ReportState.FAILED, finished_at=timezone.now(), error=message)


def child_env() -> dict[str, str]:
    """What a build's child process must share with this one: the report folder as this process sees it."""
    return {"JINGZHUN_REPORT_DIR": str(Path(settings.REPORT_DIR).resolve()), "JINGZHUN_REPORTS_SYNCHRONOUS": "0"}


# --- what became of it -----------------------------------------------------------------------------------

def refresh(run: ReportFile) -> ReportFile:
    """A build whose worker is gone is queued again or failed (`jobs.queue.reap`); one whose job ended without the
    row hearing of it is failed now. Reads only, unless something is to be recorded."""
    if run.state != ReportState.BUILDING:
        return run
    job = Job.objects.filter(pk=run.job_id).first() if run.job_id else None
    if job is None or job.state == JobState.DONE:
        # A job ends "done" only after its row was; a building row whose job is done or gone has no process left.
        _fail(run, "生成报表的进程已不在，请重新申请 / the process building the report is gone; ask for it again")
    elif job.state == JobState.RUNNING:
        queue.reap(ids=[job.pk])
    elif job.state == JobState.FAILED:
        build_failed(job, job.error)
    run.refresh_from_db()
    return run


def status(run: ReportFile) -> dict[str, Any]:
    """The run page's JSON (read by web/progress.js): "running" while building, with the job's place."""
    shown: dict[str, Any] = {"state": "running" if run.state == ReportState.BUILDING else run.state}
    job = Job.objects.filter(pk=run.job_id).first() if run.job_id else None
    if job is not None and run.state == ReportState.BUILDING:
        shown.update(stage="queued" if job.state == JobState.QUEUED else "build", done=0.0)
    return shown


def sweep(now: dt.datetime | None = None) -> int:
    """Delete the files built more than REPORT_KEEP_HOURS ago (their rows say expired) and folders no row names."""
    now = now or timezone.now()
    old = ReportFile.objects.filter(state=ReportState.DONE,
                                    finished_at__lt=now - dt.timedelta(hours=settings.REPORT_KEEP_HOURS))
    gone = 0
    for run in old.only("pk", "token"):
        shutil.rmtree(folder() / run.token, ignore_errors=True)
        gone += ReportFile.objects.filter(pk=run.pk, state=ReportState.DONE).update(state=ReportState.EXPIRED)
    root = folder()
    names = {p.name for p in root.iterdir()}
    known = set(ReportFile.objects.filter(token__in=names).values_list("token", flat=True))
    for name in names - known:
        path = root / name
        try:
            if now.timestamp() - path.stat().st_mtime > ORPHAN_SECONDS:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:  # removed meanwhile by another process
            continue
    return gone
