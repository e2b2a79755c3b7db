"""The blank import templates, downloadable from the web: every kind an app registers (jingzhun.core.blanks)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from jingzhun.core import blanks
from jingzhun.web.pages import requires


@requires("register")
def template_list(request: HttpRequest) -> HttpResponse:
    rows = [(kind, blank.default_name, blank.label) for kind, blank in blanks.kinds().items()]
    return render(request, "web/templates.html", {"rows": rows, "title": _("Import templates")})


@requires("register")
def template_download(request: HttpRequest, kind: str) -> Any:  # a FileResponse
    """A blank template holds no data (headers and a column guide), so every signed-in role may take one."""
    blank = blanks.kinds().get(kind)
    if blank is None:
        raise Http404(_("No such template"))
    folder = Path(tempfile.mkdtemp(prefix="jingzhun-template-"))
    path = blanks.write(kind, folder / blank.default_name)
    handle = open(path, "rb")  # noqa: SIM115 -- FileResponse closes it after sending
    path.unlink()  # the open handle keeps the data until the response is sent
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=blank.default_name)
