"""Register uploads through the web: store, check (validate only), then import — each in a child process.

A register file is hostile until read: a parser can abort in native code (SIGABRT, no Python exception)
on a crafted workbook, so the check and the import run in a child process (`jingzhun upload_job`) with
the web's own, lower reading limits (`reading.limited`); the web worker only waits for it (the check) or
follows it (the import), and records what became of it however it ended.

On disk (docs/security.md, "Files on disk"): one folder per upload under `UPLOAD_DIR` (0700), the file
under a generated name (`upload.csv` / `upload.xlsx`, 0600) — never the user's own name, which the error
report could overwrite — the error report (0600) and the progress file. The uploaded file is deleted when
its import ends (whatever the outcome) or when a check is refused; an upload never confirmed, and any error
report, are deleted `UPLOAD_KEEP_HOURS` after the upload, by `sweep` (at server start and before every
upload).

Progress goes to a small JSON file beside the upload, not to the database: on SQLite the import's own
transaction holds the write lock, and a progress row written inside it would be invisible until commit.
The running child rewrites the file every few seconds with its process id and start time (a heartbeat),
so a page that finds an upload "running" whose process is gone — killed, aborted, the machine restarted —
marks it failed, or done if its import batch did commit (`refresh`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db import close_old_connections, connection

from jingzhun import access
from jingzhun.registry import reading
from jingzhun.registry.importer import ImportResult, import_register
from jingzhun.tabular.report import write_xlsx
from jingzhun.web.models import Upload

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


def check_path(token: str) -> Path:
    return job_folder(token) / "check.json"


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

def store(user: Any, upload: UploadedFile) -> Upload:
    """Save the file and check it against the user's area; nothing is imported yet. A file refused by the
    check (unreadable, beyond the limits, or taking its reading process down) leaves nothing behind."""
    sweep()
    name = Path(upload.name or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{name}: 只接受 CSV 或 XLSX 文件 / only CSV or XLSX files are accepted")
    if (upload.size or 0) > settings.UPLOAD_MAX_BYTES:
        raise ValueError(f"{name}: {too_large_message(upload.size or 0)}")
    token = secrets.token_hex(16)
    job_folder(token).mkdir(mode=0o700)
    stored = job_folder(token) / f"upload{suffix}"  # generated: the report or a second upload cannot clash
    try:
        fd = os.open(stored, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        outcome = _run_check(token, stored, name, user)
        if "problem" in outcome:
            raise ValueError(outcome["problem"])
        return Upload.objects.create(
            token=token, user=user, file_name=name, stored_as=str(stored), rows=outcome["rows"],
            households=outcome["households"], error_count=outcome["error_count"],
            rejected_households=outcome["rejected_households"], errors=outcome["errors"])
    except BaseException:
        shutil.rmtree(job_folder(token), ignore_errors=True)
        raise


def check(token: str, path: Path, file_name: str, user: Any) -> dict[str, Any]:
    """The check itself (in the child process, or in this one in tests): the figures for the upload row,
    the error report beside the file, or the problem that makes the file unreadable."""
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
            "errors": [[e.row, e.column, e.value, e.rule] for e in errors[:SHOWN_ERRORS]]}


def _run_check(token: str, path: Path, file_name: str, user: Any) -> dict[str, Any]:
    if settings.UPLOADS_SYNCHRONOUS:
        return check(token, path, file_name, user)
    done = subprocess.run(_job_command("check", token, user, file_name=file_name), env=_child_env(),
                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        return dict(json.loads(check_path(token).read_text()))
    except (FileNotFoundError, ValueError):
        return {"problem": f"{file_name}: 无法读取，读取进程异常终止（{_ending(done.returncode)}）/ cannot be read: the "
                           f"process reading it ended abnormally ({_ending(done.returncode)})"}


def _ending(returncode: int | None) -> str:
    if returncode is not None and returncode < 0:
        try:
            return signal.Signals(-returncode).name
        except ValueError:
            return f"signal {-returncode}"
    return f"exit status {returncode}"


# --- import --------------------------------------------------------------------------------------------

def start(upload: Upload, user: Any, mode: str) -> None:
    """Import the checked file in a child process (mode "all" or "valid"); progress in the file."""
    if mode not in ("all", "valid"):
        raise ValueError("mode must be 'all' or 'valid'")
    if not Path(upload.stored_as).is_file():
        raise ValueError("上传的文件已过期删除，请重新上传 / the uploaded file has expired and was deleted; upload it again")
    # Claim the upload first so a double click cannot import twice.
    if not Upload.objects.filter(pk=upload.pk, state="checked").update(state="running"):
        raise ValueError("这个文件已经在导入或已导入 / this upload is already importing or imported")
    _write_progress(upload.token, stage="start", done=0.0, state="running", started=time.time())
    if settings.UPLOADS_SYNCHRONOUS:  # tests: finish before the response, on the request's own connection
        run_import(upload.pk, mode)
        return
    child = subprocess.Popen(_job_command(mode, upload.token, user), env=_child_env(), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    # A thread of this worker waits for the child (no zombie) and records an abnormal end at once; if this
    # worker goes first, the heartbeat tells the next page (`refresh`).
    threading.Thread(target=_follow, args=(child, upload.pk), daemon=True, name=f"import-{upload.token}").start()


def _follow(child: subprocess.Popen[bytes], pk: int) -> None:
    _, stderr = child.communicate()
    if child.returncode != 0:
        try:
            _fail_if_running(pk, child.returncode, stderr.decode("utf-8", "replace")[-2000:])
        finally:
            close_old_connections()
            connection.close()


def run_import(pk: int, mode: str) -> None:
    """The import itself (in the child process, or in this one in tests), with its heartbeat."""
    upload = Upload.objects.select_related("user").get(pk=pk)
    token, beats = upload.token, threading.Event()
    stage: dict[str, Any] = {"stage": "start", "done": 0.0,
                             "started": read_progress(token).get("started") or time.time()}

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
            result: ImportResult = import_register(upload.stored_as, actor=upload.user.get_username(), mode=mode,
                                                   scope=access.ranges(upload.user, ability="import"),
                                                   progress=progress)
        outcome: dict[str, Any] = {"imported": result.imported, "inserted": result.inserted, "updated": result.updated,
                                   "unchanged": result.unchanged, "rejected_households": result.rejected_households,
                                   "errors": len(result.errors), "batch": result.batch_id}
        state = "done" if result.imported else "failed"
    except Exception as exc:  # reported to the user; the import's transaction has rolled back
        message = str(exc).replace(Path(upload.stored_as).name, upload.file_name)
        outcome, state = {"error": f"{type(exc).__name__}: {message}"}, "failed"
    finally:
        beats.set()
        beater.join()
    _finish(upload, state, outcome)


def _finish(upload: Upload, state: str, outcome: dict[str, Any]) -> None:
    Upload.objects.filter(pk=upload.pk, state="running").update(state=state, result=outcome)
    _write_progress(upload.token, stage="finished", done=1.0, state=state, **outcome)
    Path(upload.stored_as).unlink(missing_ok=True)  # the import has ended: the file is not kept


def _me() -> dict[str, Any]:
    import psutil

    return {"pid": os.getpid(), "host": socket.gethostname(), "created": psutil.Process().create_time()}


# --- the child process ---------------------------------------------------------------------------------

def _job_command(mode: str, token: str, user: Any, *, file_name: str = "") -> list[str]:
    command = [sys.executable, "-m", "jingzhun.cli", "upload_job", mode, token, "--user", str(user.pk)]
    return command + (["--file-name", file_name] if file_name else [])


def _child_env() -> dict[str, str]:
    """This process's environment, with the database this process really uses (a test database too)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "jingzhun.settings", "JINGZHUN_UPLOADS_SYNCHRONOUS": "0",
           "JINGZHUN_UPLOAD_DIR": str(Path(settings.UPLOAD_DIR).resolve())}
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        env["JINGZHUN_DATABASE_URL"] = f"sqlite:///{s['NAME']}"
    elif connection.vendor == "postgresql":
        from urllib.parse import quote, urlencode

        auth = quote(s["USER"] or "", safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
        host = s["HOST"] or ""
        query = {**s.get("OPTIONS", {}), **({"host": host} if host.startswith("/") else {})}  # a socket folder
        where = "" if host.startswith("/") else f"{host}:{s['PORT'] or 5432}"
        env["JINGZHUN_DATABASE_URL"] = (f"postgresql://{auth}@{where}/{quote(s['NAME'])}"
                                        + (f"?{urlencode(query)}" if query else ""))
    return env


# --- what became of it ---------------------------------------------------------------------------------

def refresh(upload: Upload) -> Upload:
    """An upload shown as running whose process is gone becomes failed (or done, when its import had
    committed before the process died). Called when its page or progress is read, and at server start."""
    if upload.state != "running":
        return upload
    progress = read_progress(upload.token)
    if _alive(progress, progress_path(upload.token)):
        return upload
    _fail_if_running(upload.pk, None, "")
    upload.refresh_from_db()
    return upload


def _alive(progress: dict[str, Any], path: Path) -> bool:
    try:
        beat_age = time.time() - path.stat().st_mtime
    except OSError:
        return False
    if progress.get("host") == socket.gethostname() and progress.get("pid"):
        import psutil

        try:
            return bool(abs(psutil.Process(int(progress["pid"])).create_time() - float(progress["created"])) < 1)
        except (psutil.Error, ValueError, KeyError, TypeError):
            return False
    # Another server's process (a shared upload folder), or one that has not beaten yet.
    return beat_age < settings.UPLOAD_HEARTBEAT_SECONDS


def _fail_if_running(pk: int, returncode: int | None, detail: str) -> None:
    from jingzhun.registry.models import ImportBatch

    upload = Upload.objects.filter(pk=pk, state="running").select_related("user").first()
    if upload is None:
        return  # it finished after all (or was recorded by another process)
    started = read_progress(upload.token).get("started") or upload.uploaded_at.timestamp()
    batches = ImportBatch.objects.filter(file_name=upload.file_name, actor=upload.user.get_username(),
                                         started_at__gte=dt.datetime.fromtimestamp(started - 1, tz=dt.UTC),
                                         finished_at__isnull=False)
    stored = Path(upload.stored_as)
    if stored.is_file():
        with stored.open("rb") as f:
            batches = batches.filter(file_sha256=hashlib.file_digest(f, "sha256").hexdigest())
    batch = batches.order_by("-id").first()
    how = _ending(returncode) if returncode is not None else "进程已不在 / its process is gone"
    if batch is not None:  # the import committed; only the record of it was lost with the process
        outcome: dict[str, Any] = {"imported": True, "inserted": batch.households_inserted,
                                   "updated": batch.households_updated, "unchanged": batch.households_unchanged,
                                   "batch": batch.pk}
        _finish(upload, "done", outcome)
        return
    outcome = {"error": f"导入进程意外终止（{how}），本次导入未写入任何数据，可重新上传 / the import process ended "
                        f"unexpectedly ({how}); nothing of this import was written; upload the file again"}
    _finish(upload, "failed", outcome)


def sweep(now: float | None = None) -> list[str]:
    """Delete what has outlived its use: uploads never confirmed and error reports after UPLOAD_KEEP_HOURS,
    the file of an import that has ended, folders no upload row refers to; mark dead imports failed."""
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
            if refresh(upload).state == "running":
                continue
            if now - upload.uploaded_at.timestamp() > keep:
                shutil.rmtree(path, ignore_errors=True)
                gone.append(str(path))
                if upload.state == "checked":
                    Upload.objects.filter(pk=upload.pk, state="checked").update(state="failed", result={
                        "error": f"上传后 {settings.UPLOAD_KEEP_HOURS:g} 小时内未确认，文件已删除，请重新上传 / not "
                                 f"confirmed within {settings.UPLOAD_KEEP_HOURS:g} hours of the upload; the file was "
                                 "deleted; upload it again"})
            elif upload.state in ("done", "failed"):
                Path(upload.stored_as).unlink(missing_ok=True)
        except OSError:  # removed meanwhile by another server process
            continue
    return gone
