"""A small roster (a course's trainees, a county's party branches) uploaded on its own page and checked or
imported at once through its importer (`jingzhun.tabular.steps.run` behind it) with the user's own areas —
rosters are hundreds of rows, not the register's millions, so no queue. The outcome waits in the session
for the page to show it once (`web/roster_report.html`)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jingzhun.tabular.spec import FileProblem

MAX_UPLOAD = 5 * 1024 * 1024
SHOWN = 200
MODES = ("check", "all", "valid")
Importer = Callable[..., Any]  # import_x(path, *, actor, user, mode) -> steps.Outcome


def handle(request: HttpRequest, importer: Importer, key: str) -> None:
    """Run the posted file through `importer` as the user; keep the outcome under `key` for the page."""
    upload = request.FILES.get("file")
    mode = request.POST.get("mode", "check")
    suffix = Path(getattr(upload, "name", "") or "").suffix.lower()
    if upload is None or (upload.size or 0) > MAX_UPLOAD or mode not in MODES or suffix not in (".csv", ".xlsx"):
        messages.error(request, _("Choose a CSV or XLSX file of at most 5 MB."))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"roster{suffix}"
        with path.open("wb") as f:
            for chunk in upload.chunks():
                f.write(chunk)
        try:
            outcome = importer(path, actor=request.user.get_username(), user=request.user, mode=mode)
        except FileProblem as exc:
            messages.error(request, str(exc))
            return
    request.session[key] = {
        "mode": mode, "imported": outcome.imported, "counts": outcome.counts(),
        "problems": [[p.row, p.column, p.value, p.rule] for p in outcome.problems[:SHOWN]],
        "total": len(outcome.problems)}


def report(request: HttpRequest, key: str) -> dict[str, Any] | None:
    """The last upload's outcome (once), its counts named in the page's language."""
    found = request.session.pop(key, None)
    if found is None:
        return None
    names = {"inserted": _("Inserted"), "updated": _("Updated"), "unchanged": _("Unchanged")}
    return {**found, "counts": [(names.get(k, k), v) for k, v in found["counts"].items()]}
