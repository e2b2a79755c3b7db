"""A roster as XLSX in its import template's columns (so an export can be edited and imported back), one text
cell per value (never a formula: `jingzhun.cells`), audited as an export before the first row is written and
again when finished. Rosters are small (an area's courses, branches, talent): written to a temporary file and
streamed, nothing left on disk."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest

from jingzhun import cells
from jingzhun.audit import log as audit
from jingzhun.core.addresses import client_address


def xlsx(request: HttpRequest, *, kind: str, name: str, sheet_name: str, headers: Sequence[str],
         rows: Iterable[Sequence[Any]], area: str) -> FileResponse:
    import xlsxwriter

    actor, address = request.user.get_username(), client_address(request)
    audit.record(actor, "export", object_type=kind, object_id=name, area=area, address=address, masked=True)
    folder = Path(tempfile.mkdtemp(prefix="jingzhun-roster-"))
    path = folder / name
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet(sheet_name)
    cells.write_row(sheet, 0, 0, list(headers))
    n = 0
    for n, row in enumerate(rows, start=1):
        cells.write_row(sheet, n, 0, ["" if v is None else str(v) for v in row])
    sheet.set_column(0, len(headers) - 1, 16)
    book.close()
    audit.record(actor, "export.finished", object_type=kind, object_id=name, rows=n, area=area, address=address)
    handle = open(path, "rb")  # noqa: SIM115 -- FileResponse closes it after sending
    path.unlink()
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=name)
