"""Imports: upload a register file, read its check on screen, download the report, confirm, follow progress."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun.audit import names
from jingzhun.web import upload_kinds, uploads
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


def _page(request: HttpRequest, status: int = 200) -> HttpResponse:
    english = (translation.get_language() or "").startswith("en")
    offered = [(k.kind, names.text(k.label, english), k.template) for k in upload_kinds.offered(request.user)]
    return render(request, "web/imports.html", {"recent": _recent(request), "kinds": offered,
                                                "chosen": request.POST.get("kind") or request.GET.get("kind", "register"),
                                                "title": _("Import")}, status=status)


def _may_upload(request: HttpRequest) -> None:
    """Someone whose roles allow no kind of upload (an auditor, an evaluator) has no import page."""
    if not upload_kinds.offered(request.user):
        raise PermissionDenied("import")


@requires("register")
def upload_form(request: HttpRequest) -> HttpResponse:
    _may_upload(request)
    if request.method == "POST" and _declared_too_large(request):
        messages.error(request, uploads.too_large_message(int(request.META["CONTENT_LENGTH"])))
        # 413 Content Too Large; the file part of the body was not read (uploads.SizeLimit).
        return _page(request, status=413)
    if request.method == "POST":
        file = request.FILES.get("file")
        stopped: int | None = getattr(request, "upload_too_large", None)  # set by uploads.SizeLimit
        if file is None and stopped:
            messages.error(request, uploads.too_large_message(stopped))
        elif file is None:
            messages.error(request, _("Choose a CSV or XLSX file to upload."))
        else:
            try:
                upload = uploads.store(request.user, file, request.POST.get("kind", "register"))
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                return redirect("web:upload", token=upload.token)
    return _page(request)


def _recent(request: HttpRequest) -> list[Upload]:
    return [uploads.refresh(u) for u in Upload.objects.filter(user_id=int(request.user.pk or 0))[:20]]


def _named(figures: dict[str, Any] | None) -> list[tuple[str, Any]]:
    """Another kind's counts by their names (the audit log's names of the same keys), in the page's language."""
    english = (translation.get_language() or "").startswith("en")
    return [(names.text(names.KEYS.get(k, k), english), v) for k, v in (figures or {}).items()
            if isinstance(v, int) and not isinstance(v, bool)]


@requires("register")
def upload_detail(request: HttpRequest, token: str) -> HttpResponse:
    upload = uploads.refresh(_own(request, token))
    kind = upload_kinds.kinds().get(upload.kind)
    return render(request, "web/upload.html", {
        "upload": upload, "progress": uploads.progress(upload), "more_errors": upload.error_count > len(upload.errors),
        "kind_label": kind.label if kind else upload.kind, "register": upload.kind == "register",
        "plan_counts": _named((upload.result.get("plan") or {}).get("counts")), "result_counts": _named(upload.result),
        "title": _("Import %(file)s") % {"file": upload.file_name},
    })


@requires("register")
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


@requires("register")
def upload_progress(request: HttpRequest, token: str) -> JsonResponse:
    upload = uploads.refresh(_own(request, token))
    return JsonResponse(uploads.progress(upload))


@requires("register")
def upload_report(request: HttpRequest, token: str) -> Any:  # a FileResponse (streaming, not an HttpResponse)
    _own(request, token)
    path = uploads.report_path(token)
    if not path.exists():
        raise Http404(_("No report"))
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"错误报告-{token[:8]}.xlsx")
