"""Pages the web application links to (it owns the URL tree; see `jingzhun.appraisal.urls`)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from jingzhun import access
from jingzhun.appraisal import notices
from jingzhun.appraisal.models import Notice


@login_required
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    """A notice ready to print (masked IDs only); audited as an export. Outside the user's areas it
    does not exist, so notices cannot be probed by number."""
    found = access.scope(Notice.objects.select_related("village__parent__parent"), request.user, "village_id").filter(
        pk=pk).first()
    if found is None:
        raise Http404("公示不存在 / no such notice")
    try:
        return HttpResponse(notices.render_html(found, request.user))
    except PermissionDenied:  # pragma: no cover - the scoped query already excludes it
        raise Http404("公示不存在 / no such notice") from None
