"""Register uploads through the web: store, check (validate only), then import — each a job in a child process.

A register file is hostile until read: a parser can abort in native code (SIGABRT, no Python exception)
on a crafted workbook, so the check and the import run in a child process (`jingzhun run_job`) with the
web's own, lower reading limits (`reading.limited`), and the process that started it records what became
of it however it ended.

Both are rows in the job queue (`jingzhun.jobs`). The check is run by the request that received the file,
at once, while its user waits for the verdict (a worker takes it over if that server dies first); the
confirmed import is only queued by the request and run by a worker (`jingzhun worker`, started by `jingzhun
serve`), so it survives a server restart: a worker that dies leaves a job whose lease runs out, and the next
worker retries it from the database exactly as it was (the import is all-or-nothing), or fails it.

On disk (docs/security.md, "Files on disk"): one folder per upload under `UPLOAD_DIR` (0700), the file
under a generated name (`upload.csv` / `upload.xlsx`, 0600) — never the user's own name, which the error
report could overwrite — the error report (0600) and the progress file. The uploaded file is deleted when
its import ends (whatever the outcome) or when a check is refused; an upload never confirmed, and any error
report, are deleted `UPLOAD_KEEP_HOURS` after the upload, by `sweep` (at server start and before every
upload).

Progress goes to a small JSON file beside the upload, not to the database: on SQLite the import's own
transaction holds the write lock, and a progress row written inside it would be invisible until commit.
The running child rewrites the file every few seconds with its process id (a heartbeat for people reading
the page); whether the import is alive is the job's lease (`jobs.queue`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import transaction

from jingzhun import access
from jingzhun.identity import mask_id_like
from jingzhun.jobs import queue, runner
from jingzhun.jobs.models import Job, JobState
from jingzhun.registry import reading, template
from jingzhun.registry.importer import ImportResult, import_register
from jingzhun.tabular.report import write_xlsx
from jingzhun.web import upload_kinds
from jingzhun.web.models import Upload, UploadState

SHOWN_ERRORS = 200
SUFFIXES = (".csv", ".xlsx")
BEAT_SECONDS = 5
ORPHAN_SECONDS = 3600  # a folder with no upload row (a check whose web worker was killed) after this long


# --- files ---------------------------------------------------------------------------------------------

def folder() -> Path:
    path = Path(settings.UPLOAD_DIR)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)  # an existing folder made before this rule, or by a wider umask
    return path


def job_folder(token: str) -> Path:
    return folder() / token


def report_path(token: str) -> Path:
    return job_folder(token) / "report.xlsx"


def progress_path(token: str) -> Path:
    return job_folder(token) / "progress.json"


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only the service's user can read, replacing any file of that name atomically."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def read_progress(token: str) -> dict[str, Any]:
    try:
        return dict(json.loads(progress_path(token).read_text()))
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return {}


def _write_progress(token: str, **values: Any) -> None:
    if job_folder(token).is_dir():
        _write_private(progress_path(token), json.dumps(values, ensure_ascii=False).encode())


def web_limits() -> reading.Limits:
    """The reading limits of a web upload (settings `UPLOAD_MAX_*`), never above the command line's."""
    cli = reading.default_limits()
    return reading.Limits(rows=min(settings.UPLOAD_MAX_ROWS, cli.rows), columns=cli.columns,
                          unzipped_bytes=min(settings.UPLOAD_MAX_UNZIPPED_MB << 20, cli.unzipped_bytes),
                          shared_strings_bytes=min(settings.UPLOAD_MAX_UNZIPPED_MB << 20, cli.shared_strings_bytes))


def too_large_message(size: int) -> str:
    limit = settings.UPLOAD_MAX_BYTES
    return (f"文件 {size / 2**20:.1f} MB，超过上传上限 {limit / 2**20:.0f} MB；请按县或乡镇拆分，或由管理员用命令行导入 / "
            f"the file is {size / 2**20:.1f} MB, beyond the upload limit of {limit / 2**20:.0f} MB; split it by county "
            "or township, or ask an administrator to import it from the command line")


class SizeLimit(FileUploadHandler):
    """First of the upload handlers: a file in a body declared larger than the upload limit, or found larger
    as it arrives, is not read further — the CSRF check parses the form before any view runs, and would
    otherwise write all of it to a temporary file. The form's small fields (the CSRF token) before the file
    are still read; the view then answers with the limit (`views.imports`)."""

    too_large = False

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int, boundary: Any,
                         encoding: str | None = None) -> None:
        self.too_large = content_length > settings.UPLOAD_MAX_BYTES + FORM_MARGIN

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if self.too_large or start + len(raw_data) > settings.UPLOAD_MAX_BYTES:
            if self.request is not None:  # for the view's message: the file is missing for this reason
                self.request.upload_too_large = start + len(raw_data)  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=True)  # the rest of the body is not read
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


FORM_MARGIN = 64 * 1024  # the form around the file: its token, boundaries and headers


# --- store and check -----------------------------------------------------------------------------------

CHECK, IMPORT = "upload.check", "upload.import"  # job kinds, registered by `WebConfig.ready`


def store(user: Any, upload: UploadedFile, kind: str = "register") -> Upload:
    """Save the file and check it against the user's area; nothing is imported yet. A file refused by the
    check (unreadable, beyond the limits, or taking its reading process down) leaves nothing behind. `kind`
    must be one the user may upload (`upload_kinds.offered`)."""
    if kind not in {k.kind for k in upload_kinds.offered(user)}:
        raise ValueError(f"{kind}: 您不能上传这类文件 / you may not upload files of this kind")
    sweep()
    name = mask_id_like(Path(upload.name or "upload").name)  # kept, shown and audited: an ID in it masked
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{name}: 只接受 CSV 或 XLSX 文件 / only CSV or XLSX files are accepted")
    if (upload.size or 0) > settings.UPLOAD_MAX_BYTES:
        raise ValueError(f"{name}: {too_large_message(upload.size or 0)}")
    token = secrets.token_hex(16)
    job_folder(token).mkdir(mode=0o700)
    stored = job_folder(token) / f"upload{suffix}"  # generated: the report or a second upload cannot clash
    row = None
    try:
        fd = os.open(stored, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        with transaction.atomic():
            job = queue.enqueue(CHECK, {"token": token})
            row = Upload.objects.create(token=token, user=user, file_name=name, stored_as=str(stored), job=job,
                                        state=UploadState.CHECKING, kind=kind)
        _run(job)
        row.refresh_from_db()
        if row.state == UploadState.FAILED:
            raise ValueError(row.result.get("error") or f"{name}: 无法读取 / cannot be read")
        return row
    except BaseException:
        if row is not None:
            Upload.objects.filter(pk=row.pk).delete()
            Job.objects.filter(pk=row.job_id or 0).delete()
        shutil.rmtree(job_folder(token), ignore_errors=True)
        raise


def _run(job: Job) -> None:
    """The check, as the user waits for it: in this process in tests, else in a child process."""
    if settings.UPLOADS_SYNCHRONOUS:
        runner.run_inline(job)
    else:
        runner.run_now(job)


def check(token: str, path: Path, file_name: str, user: Any, kind: str = "register") -> dict[str, Any]:
    """The check itself (in the child process, or in this one in tests): the figures for the upload row,
    the error report beside the file, or the problem that makes the file unreadable."""
    if kind != "register":
        return _check_kind(token, path, file_name, user, upload_kinds.kinds()[kind])
    try:
        with reading.limited(web_limits(), file_name=file_name):
            result = import_register(path, actor=user.get_username(), mode="check",
                                     scope=access.ranges(user, ability="import"))
    except reading.FileProblem as exc:
        return {"problem": str(exc)}
    errors = result.errors
    if errors:
        write_xlsx(errors, report_path(token))
        report_path(token).chmod(0o600)
    return {"rows": result.rows, "households": result.households, "error_count": len(errors),
            "rejected_households": result.rejected_households,
            "errors": [[e.row, e.column, e.value, e.rule] for e in errors[:SHOWN_ERRORS]],
            "result": {"plan": plan_shown(result)}}


def _check_kind(token: str, path: Path, file_name: str, user: Any, kind: upload_kinds.UploadKind) -> dict[str, Any]:
    """Another kind's check, through its app's own import function in check mode; the report as the register's."""
    try:
        with reading.limited(web_limits(), file_name=file_name):
            figures = kind.check(path, user)
    except reading.FileProblem as exc:
        return {"problem": str(exc)}
    except PermissionDenied as exc:  # a department list for a user without the cross-check ability anywhere
        return {"problem": str(exc)}
    if figures["error_count"]:
        from jingzhun.tabular.problems import Problem

        write_xlsx([Problem(file_name, r, c, v, rule) for r, c, v, rule in figures["errors"]], report_path(token))
        report_path(token).chmod(0o600)
    return figures


CHANGE_NAMES = {"member_added": "新增成员 / member added", "member_removed": "减少成员 / member removed",
                "position": "成员序号 / member order", "health": "健康状况 / health"}


def plan_shown(result: ImportResult) -> dict[str, Any]:
    """What confirming would do, for the page that asks to confirm: the counts and the first changes, each
    field by its column's name (ID-shaped values masked, though a change never carries an ID)."""
    def name(field: str) -> str:
        return CHANGE_NAMES.get(field) or template.SPEC.header_of(field)

    return {"inserted": result.inserted, "updated": result.updated, "moved": result.moved,
            "unchanged": result.unchanged,
            "changes": [[number, position or "", name(field), mask_id_like(old), mask_id_like(new)]
                        for number, position, field, old, new in result.preview]}


def check_job(job: Job) -> None:
    """The check job: the upload's figures, or its refusal (the file and its folder then go)."""
    upload = Upload.objects.select_related("user").filter(token=job.args["token"]).first()
    if upload is None or upload.state != UploadState.CHECKING:
        return  # done already (a retried job), or the upload was withdrawn
    outcome = check(upload.token, Path(upload.stored_as), upload.file_name, upload.user, upload.kind)
    if "problem" in outcome:
        shutil.rmtree(job_folder(upload.token), ignore_errors=True)
        Upload.objects.filter(pk=upload.pk, state=UploadState.CHECKING).update(
            state=UploadState.FAILED, result={"error": outcome["problem"]})
        return
    Upload.objects.filter(pk=upload.pk, state=UploadState.CHECKING).update(state=UploadState.CHECKED, **outcome)


def check_failed(job: Job, how: str) -> None:
    upload = Upload.objects.filter(token=job.args["token"], state=UploadState.CHECKING).first()
    if upload is None:
        return
    shutil.rmtree(job_folder(upload.token), ignore_errors=True)
    Upload.objects.filter(pk=upload.pk, state=UploadState.CHECKING).update(state=UploadState.FAILED, result={
        "error": f"{upload.file_name}: 无法读取，读取进程异常终止（{how}）/ cannot be read: the process reading it "
                 f"ended abnormally ({how})"})


# --- import --------------------------------------------------------------------------------------------

def start(upload: Upload, user: Any, mode: str) -> None:
    """Queue the import of the checked file (mode "all" or "valid") for a worker; progress in the file."""
    if mode not in ("all", "valid"):
        raise ValueError("mode must be 'all' or 'valid'")
    if not Path(upload.stored_as).is_file():
        raise ValueError("上传的文件已过期删除，请重新上传 / the uploaded file has expired and was deleted; upload it again")
    # Claim the upload and queue its job together, so a double click cannot import twice.
    with transaction.atomic():
        if not Upload.objects.filter(pk=upload.pk, state=UploadState.CHECKED).update(state=UploadState.RUNNING):
            raise ValueError("这个文件已经在导入或已导入 / this upload is already importing or imported")
        job = queue.enqueue(IMPORT, {"token": upload.token, "mode": mode})
        Upload.objects.filter(pk=upload.pk).update(job=job)
    _write_progress(upload.token, stage="queued", done=0.0, state="running", queued=time.time())
    if settings.UPLOADS_SYNCHRONOUS:  # tests: finish before the response, on the request's own connection
        runner.run_inline(job)


def import_job(job: Job) -> None:
    """The import job. Every run first looks for the batch of an earlier run that committed just before its
    worker died or was stopped: then the import is done, and running it again would only add an empty batch or
    be refused. Every run, not only a counted retry: a worker stopped with SIGTERM gives its job back without
    counting the attempt, and its import may have committed in the moment before the stop."""
    upload = Upload.objects.filter(token=job.args["token"]).first()
    if upload is None or upload.state != UploadState.RUNNING:
        return  # recorded already
    batch = _committed_batch(upload)
    if batch is not None:
        _finish(upload, UploadState.DONE, _batch_outcome(batch))
        return
    run_import(upload.pk, job.args["mode"])


def import_failed(job: Job, how: str) -> None:
    """The import's process ended on its own, or its last attempt's worker is gone: failed — or done, if its
    import batch did commit before the process ended."""
    upload = Upload.objects.filter(token=job.args["token"]).first()
    if upload is None:
        return
    if upload.state == UploadState.RUNNING:
        _dead(upload, how)
    else:  # recorded already: only its file may be left
        Path(upload.stored_as).unlink(missing_ok=True)


def run_import(pk: int, mode: str) -> None:
    """The import itself (in the child process, or in this one in tests), with its heartbeat."""
    upload = Upload.objects.select_related("user").get(pk=pk)
    token, beats = upload.token, threading.Event()
    stage: dict[str, Any] = {"stage": "start", "done": 0.0, "started": time.time()}

    def beat() -> None:
        me = _me()
        while not beats.wait(BEAT_SECONDS):
            _write_progress(token, state="running", **stage, **me)

    def progress(name: str, done: float) -> None:
        stage.update(stage=name, done=done)
        _write_progress(token, state="running", **stage, **_me())

    progress("start", 0.0)
    beater = threading.Thread(target=beat, daemon=True, name=f"beat-{token}")
    beater.start()
    try:
        with reading.limited(web_limits(), file_name=upload.file_name):
            outcome, imported = _import(upload, mode, progress)
        state = UploadState.DONE if imported else UploadState.FAILED
    except Exception as exc:  # reported to the user; the import's transaction has rolled back
        message = str(exc).replace(Path(upload.stored_as).name, upload.file_name)
        outcome, state = {"error": f"{type(exc).__name__}: {message}"}, UploadState.FAILED
    finally:
        beats.set()
        beater.join()
    _finish(upload, state, outcome)


def _import(upload: Upload, mode: str, progress: Any) -> tuple[dict[str, Any], bool]:
    """The import of the upload's kind: the register with its progress stages, another kind in one step."""
    if upload.kind != "register":
        imported, outcome = upload_kinds.kinds()[upload.kind].run(Path(upload.stored_as), upload.user, mode)
        return outcome, imported
    result: ImportResult = import_register(upload.stored_as, actor=upload.user.get_username(), mode=mode,
                                           scope=access.ranges(upload.user, ability="import"), progress=progress)
    outcome = {"imported": result.imported, "inserted": result.inserted, "updated": result.updated,
               "unchanged": result.unchanged, "rejected_households": result.rejected_households,
               "errors": len(result.errors), "batch": result.batch_id}
    if not result.imported and result.errors:
        # Refused at the write although the check had passed: another write landed in between (the import
        # checked again, `steps.retried`). The page shows why, from the problems found now.
        outcome["error"] = upload_kinds.refusal(result.errors)
    return outcome, result.imported


def _finish(upload: Upload, state: str, outcome: dict[str, Any]) -> None:
    # The import has ended: the file goes first, so a process killed between the two never leaves an ended
    # upload with its file (a running one without it is recorded from its batch, `_dead`).
    Path(upload.stored_as).unlink(missing_ok=True)
    _write_progress(upload.token, stage="finished", done=1.0, state=state, **outcome)
    Upload.objects.filter(pk=upload.pk, state=UploadState.RUNNING).update(state=state, result=outcome)


def _me() -> dict[str, Any]:
    import psutil

    return {"pid": os.getpid(), "host": socket.gethostname(), "created": psutil.Process().create_time()}


def child_env() -> dict[str, str]:
    """What an upload job's child must share with this process: the upload folder, as this process sees it;
    and it runs its job itself (it is the child)."""
    return {"JINGZHUN_UPLOAD_DIR": str(Path(settings.UPLOAD_DIR).resolve()), "JINGZHUN_UPLOADS_SYNCHRONOUS": "0"}


# --- what became of it ---------------------------------------------------------------------------------

def refresh(upload: Upload) -> Upload:
    """An upload whose job's worker is gone is queued again or failed (`jobs.queue.reap`); one whose job
    failed without its upload hearing of it is told now. Called when its page or progress is read, and at
    server start. Reads only, unless something is to be recorded."""
    if upload.state not in (UploadState.CHECKING, UploadState.RUNNING):
        return upload
    job = Job.objects.filter(pk=upload.job_id).first() if upload.job_id else None
    if job is None or job.state == JobState.DONE:
        # A job ends "done" only after its upload was told; an upload still running with no job of its own
        # (imported under a release before the queue, or its job row lost) has no process left to end it.
        _dead(upload, "进程已不在 / its process is gone")
    elif job.state == JobState.RUNNING:
        queue.reap(ids=[job.pk])
    elif job.state == JobState.FAILED:
        queue.kind(job.kind).failed(job, job.error)
    upload.refresh_from_db()
    return upload


def progress(upload: Upload) -> dict[str, Any]:
    """The progress page's JSON: the upload's state, the progress file, and the job's place in the queue."""
    shown: dict[str, Any] = {"state": upload.state, **read_progress(upload.token)}
    job = Job.objects.filter(pk=upload.job_id).first() if upload.job_id else None
    if job is not None and upload.state == UploadState.RUNNING:
        shown.update(job=job.state, attempt=job.attempts)
        if job.state == JobState.QUEUED:  # waiting for a worker (again, after one died)
            shown.update(stage="queued", done=0.0)
    return shown


def _committed_batch(upload: Upload) -> Any:
    if upload.kind != "register":
        return _committed_audit(upload)
    from jingzhun.registry.models import ImportBatch

    batches = ImportBatch.objects.filter(file_name=upload.file_name, actor=upload.user.get_username(),
                                         started_at__gte=upload.uploaded_at - dt.timedelta(seconds=1),
                                         finished_at__isnull=False)
    stored = Path(upload.stored_as)
    if stored.is_file():
        with stored.open("rb") as f:
            batches = batches.filter(file_sha256=hashlib.file_digest(f, "sha256").hexdigest())
    return batches.order_by("-id").first()


def _committed_audit(upload: Upload) -> dict[str, Any] | None:
    """Another kind's committed import: its audit row (written in the import's own transaction) for this file, by
    this user, since the upload — the outcome the page shows, or None."""
    from jingzhun.audit.models import AuditEntry

    stored = Path(upload.stored_as)
    if not stored.is_file():
        return None
    with stored.open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    action = upload_kinds.kinds()[upload.kind].action
    entry = (AuditEntry.objects.filter(action=action, actor=upload.user.get_username(), at__gte=upload.uploaded_at)
             .order_by("-pk").first())
    if entry is None or entry.detail.get("sha256") != digest:
        return None
    return {"imported": True, **{k: v for k, v in (entry.detail.get("counts") or {}).items()
                                 if isinstance(v, int)}}


def _batch_outcome(batch: Any) -> dict[str, Any]:
    if isinstance(batch, dict):  # another kind's, from its audit row
        return batch
    return {"imported": True, "inserted": batch.households_inserted, "updated": batch.households_updated,
            "unchanged": batch.households_unchanged, "batch": batch.pk}


def _dead(upload: Upload, how: str) -> None:
    batch = _committed_batch(upload)
    if batch is not None:  # the import committed; only the record of it was lost with the process
        _finish(upload, UploadState.DONE, _batch_outcome(batch))
        return
    _finish(upload, UploadState.FAILED, {
        "error": f"导入进程意外终止（{how}），本次导入未写入任何数据，可重新上传 / the import process ended "
                 f"unexpectedly ({how}); nothing of this import was written; upload the file again"})


def sweep(now: float | None = None) -> list[str]:
    """Delete what has outlived its use: uploads never confirmed and error reports after UPLOAD_KEEP_HOURS,
    the file of an import that has ended, folders no upload row refers to; reap imports whose worker is gone.
    An import still queued keeps its file however long it waits for a worker."""
    now = time.time() if now is None else now
    keep = settings.UPLOAD_KEEP_HOURS * 3600
    root = folder()
    gone = []
    uploads = {u.token: u for u in Upload.objects.filter(token__in=[p.name for p in root.iterdir()])}
    for path in root.iterdir():
        try:
            age = now - path.stat().st_mtime
            upload = uploads.get(path.name)
            if upload is None:
                if age > ORPHAN_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
                    gone.append(str(path))
                continue
            if refresh(upload).state in (UploadState.CHECKING, UploadState.RUNNING):
                continue
            if now - upload.uploaded_at.timestamp() > keep:
                shutil.rmtree(path, ignore_errors=True)
                gone.append(str(path))
                if upload.state == UploadState.CHECKED:
                    Upload.objects.filter(pk=upload.pk, state=UploadState.CHECKED).update(
                        state=UploadState.FAILED, result={
                            "error": f"上传后 {settings.UPLOAD_KEEP_HOURS:g} 小时内未确认，文件已删除，请重新上传 / not "
                                     f"confirmed within {settings.UPLOAD_KEEP_HOURS:g} hours of the upload; the file "
                                     "was deleted; upload it again"})
            elif upload.state in (UploadState.DONE, UploadState.FAILED):
                Path(upload.stored_as).unlink(missing_ok=True)
        except OSError:  # removed meanwhile by another server process
            continue
    return gone


