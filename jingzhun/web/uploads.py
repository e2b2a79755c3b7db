"""Register uploads through the web: store, check (validate only), then import in the background.

Progress goes to a small JSON file beside the upload, not to the database: on SQLite the import's own
transaction holds the write lock, and a progress row written inside it would be invisible until commit.
A file is seen at once by every server process.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import close_old_connections, connection

from jingzhun import access
from jingzhun.registry.importer import ImportResult, import_register
from jingzhun.registry.report import write_xlsx
from jingzhun.web.models import Upload

SHOWN_ERRORS = 200
SUFFIXES = (".csv", ".xlsx")


def folder() -> Path:
    path = Path(settings.UPLOAD_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(user: Any, upload: UploadedFile) -> Upload:
    """Save the file and check it against the user's area; nothing is imported yet."""
    name = Path(upload.name or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"{name}: 只接受 CSV 或 XLSX 文件 / only CSV or XLSX files are accepted")
    token = secrets.token_hex(16)
    # Kept under the user's own file name: the error report names the file they know.
    named = folder() / token / name
    named.parent.mkdir()
    with open(named, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    result = import_register(named, actor=user.get_username(), mode="check", scope=access.ranges(user, ability="import"))
    write_xlsx(result.errors, report_path(token))
    return Upload.objects.create(
        token=token, user=user, file_name=name, stored_as=str(named), rows=result.rows, households=result.households,
        error_count=len(result.errors), rejected_households=result.rejected_households,
        errors=[[e.row, e.column, e.value, e.rule] for e in result.errors[:SHOWN_ERRORS]],
    )


def report_path(token: str) -> Path:
    return folder() / token / "report.xlsx"


def progress_path(token: str) -> Path:
    return folder() / token / "progress.json"


def read_progress(token: str) -> dict[str, Any]:
    try:
        return dict(json.loads(progress_path(token).read_text()))
    except (FileNotFoundError, ValueError):
        return {}


def _write_progress(token: str, **values: Any) -> None:
    tmp = progress_path(token).with_suffix(".tmp")
    tmp.write_text(json.dumps(values, ensure_ascii=False))
    os.replace(tmp, progress_path(token))


def start(upload: Upload, user: Any, mode: str) -> None:
    """Import the checked file in a background thread (mode "all" or "valid"); progress in the file."""
    if mode not in ("all", "valid"):
        raise ValueError("mode must be 'all' or 'valid'")
    # Claim the upload first so a double click cannot import twice.
    if not Upload.objects.filter(pk=upload.pk, state="checked").update(state="running"):
        raise ValueError("这个文件已经在导入或已导入 / this upload is already importing or imported")
    _write_progress(upload.token, stage="start", done=0.0, state="running")
    args = (upload.pk, upload.token, upload.stored_as, user.get_username(), mode, access.ranges(user, ability="import"))
    if settings.UPLOADS_SYNCHRONOUS:  # tests: finish before the response, on the request's own connection
        _run(*args)
        return
    threading.Thread(target=_run, args=args, daemon=True, name=f"import-{upload.token}").start()


def _run(pk: int, token: str, path: str, actor: str, mode: str, scope: Any) -> None:
    def progress(stage: str, done: float) -> None:
        _write_progress(token, stage=stage, done=done, state="running")

    try:
        result: ImportResult = import_register(path, actor=actor, mode=mode, scope=scope, progress=progress)
        outcome: dict[str, Any] = {"imported": result.imported, "inserted": result.inserted, "updated": result.updated,
                   "unchanged": result.unchanged, "rejected_households": result.rejected_households,
                   "errors": len(result.errors), "batch": result.batch_id}
        state = "done" if result.imported else "failed"
    except Exception as exc:  # reported to the user; the import's transaction has rolled back
        outcome, state = {"error": f"{type(exc).__name__}: {exc}"}, "failed"
    Upload.objects.filter(pk=pk).update(state=state, result=outcome)
    _write_progress(token, stage="finished", done=1.0, state=state, **outcome)
    if not settings.UPLOADS_SYNCHRONOUS:
        close_old_connections()
        connection.close()
