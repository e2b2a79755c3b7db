"""The organisation pages that write: build a shortlist, record the decision, resolve a unit review. Each
needs "organise" and the area of what it writes in the user's areas (checked again by the service, which
audits it)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from jingzhun.organisation import review, scope, shortlists
from jingzhun.web.pages import requires

WRITE = scope.WRITE


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text[:18]) if text.isascii() and text.isdigit() else None


@require_POST
@requires(WRITE)
def shortlist_build(request: HttpRequest, code: str) -> HttpResponse:
    area = request.POST.get("area", "").strip()[:12] or code
    if not area.startswith(code[:6]):  # the county's own areas only, whatever the form says
        area = code
    try:
        built = shortlists.build(request.user, request.user.get_username(), area, request.POST.get("post", "")[:32],
                                 timezone.localdate())
    except shortlists.Refused as exc:
        messages.error(request, str(exc))
        return redirect("organisation:county", code=code)
    return redirect("organisation:shortlist", pk=built.pk)


@require_POST
@requires(WRITE)
def shortlist_decide(request: HttpRequest, pk: int) -> HttpResponse:
    cadre = _int(request.POST.get("cadre", ""))
    try:
        shortlists.decide(request.user, request.user.get_username(), pk, cadre or 0,
                          request.POST.get("reason", "")[:500], timezone.localdate())
    except shortlists.Refused as exc:
        messages.error(request, str(exc))
    return redirect("organisation:shortlist", pk=pk)


@require_POST
@requires(WRITE)
def review_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        merge = [n for n in (_int(t) for t in request.POST.getlist("merge")[:50]) if n is not None]
        review.resolve(request.user, request.user.get_username(), pk, request.POST.get("decision", ""),
                       _int(request.POST.get("kept", "")), request.POST.get("note", "")[:200], merge or None)
    except review.Refused as exc:
        messages.error(request, str(exc))
    return redirect("organisation:reviews")
