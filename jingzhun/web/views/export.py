"""Export: the register template for the user's area (or a part of it), as XLSX, audited.

Resident IDs and health are in clear only for users with the reveal permission; everyone else gets them
masked (first 6 + last 4) and blank, so a web export never widens what the user could see on screen.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.registry import sensitive
from jingzhun.registry.exporter import export_register
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires_download


@requires_download("register")
def export_xlsx(request: HttpRequest) -> Any:  # a FileResponse
    spans = access.ranges(request.user, ability="export")
    code = request.GET.get("area", "").strip()
    area = Area.objects.filter(code=code).first() if code else None
    if code and (area is None or not access.can_see_area(request.user, code, "export")):
        raise Http404(_("No such area in your scope"))
    if area is not None:
        low, high = area.code_range
        # Intersect the chosen area with the user's own spans (an area inside one of them, or around them).
        spans = [(low, high)] if spans is None else [(max(low, a), min(high, b)) for a, b in spans if a <= high and low <= b]
    masked = not request.user.has_perm(sensitive.REVEAL_PERMISSION)
    folder = Path(tempfile.mkdtemp(prefix="jingzhun-export-"))
    name = f"建档立卡-{area.code if area else 'all'}.xlsx"
    path = folder / name
    export_register(path, actor=request.user.get_username(), scope=spans, masked=masked,
                    address=client_address(request),
                    area=area.code if area else (access.home_area(request.user, "export") or ""))
    handle = open(path, "rb")  # noqa: SIM115 -- FileResponse closes it after sending
    path.unlink()  # the open handle keeps the data until the response is sent; nothing stays on disk
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=name)
