"""Imports: upload a register file, read its check on screen, download the report, confirm, follow progress."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun.web import uploads
from jingzhun.web.models import Upload
from jingzhun.web.pages import requires


def _own(request: HttpRequest, token: str) -> Upload:
    upload = Upload.objects.filter(token=token, user_id=int(request.user.pk or 0)).first()
    if upload is None:
        raise Http404(_("No such upload"))
    return upload


def _declared_too_large(request: HttpRequest) -> bool:
    """A body declared larger than the upload limit (and a little room for the form around the file): its
    file is never read (`uploads.SizeLimit` stops the parser, the CSRF check's included)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return declared > settings.UPLOAD_MAX_BYTES + uploads.FORM_MARGIN


@requires("import")
def upload_form(request: HttpRequest) -> HttpResponse:
    if request.method == "POST" and _declared_too_large(request):
        messages.error(request, uploads.too_large_message(int(request.META["CONTENT_LENGTH"])))
        # 413 Content Too Large; the file part of the body was not read (uploads.SizeLimit).
        return render(request, "web/imports.html", {"recent": _recent(request), "title": _("Import")}, status=413)
    if request.method == "POST":
        file = request.FILES.get("file")
        stopped: int | None = getattr(request, "upload_too_large", None)  # set by uploads.SizeLimit
        if file is None and stopped:
            messages.error(request, uploads.too_large_message(stopped))
        elif file is None:
            messages.error(request, _("Choose a CSV or XLSX file to upload."))
        else:
            try:
                upload = uploads.store(request.user, file)
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                return redirect("web:upload", token=upload.token)
    return render(request, "web/imports.html", {"recent": _recent(request), "title": _("Import")})


def _recent(request: HttpRequest) -> list[Upload]:
    return [uploads.refresh(u) for u in Upload.objects.filter(user_id=int(request.user.pk or 0))[:20]]


@requires("import")
def upload_detail(request: HttpRequest, token: str) -> HttpResponse:
    upload = uploads.refresh(_own(request, token))
    return render(request, "web/upload.html", {
        "upload": upload, "progress": uploads.progress(upload), "more_errors": upload.error_count > len(upload.errors),
        "title": _("Import %(file)s") % {"file": upload.file_name},
    })


@requires("import")
@require_POST
def upload_confirm(request: HttpRequest, token: str) -> HttpResponse:
    upload = _own(request, token)
    mode = request.POST.get("mode", "all")
    if mode == "all" and upload.error_count:
        messages.error(request, _("The file has errors: correct them, or import the valid households only."))
    else:
        try:
            uploads.start(upload, request.user, mode)
        except ValueError as exc:
            messages.error(request, str(exc))
    return redirect("web:upload", token=token)


@requires("import")
def upload_progress(request: HttpRequest, token: str) -> JsonResponse:
    upload = uploads.refresh(_own(request, token))
    return JsonResponse(uploads.progress(upload))


@requires("import")
def upload_report(request: HttpRequest, token: str) -> Any:  # a FileResponse (streaming, not an HttpResponse)
    _own(request, token)
    path = uploads.report_path(token)
    if not path.exists():
        raise Http404(_("No report"))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"错误报告-{token[:8]}.xlsx")
