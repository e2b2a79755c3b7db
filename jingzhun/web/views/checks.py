"""Cross-department hits to confirm or dismiss (the appraisal pages are `jingzhun.web.views.appraisal`). The
logic is the crosscheck app's; these pages show and call it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun.crosscheck import actions
from jingzhun.crosscheck.models import HIT_STATUS, RULE
from jingzhun.web.pages import requires

SHOWN = 200


@requires("crosscheck")
def hits(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    qs = actions.visible_hits(request.user)
    if status in HIT_STATUS.codes:
        qs = qs.filter(status=status)
    rows = list(qs.select_related("household", "source_list").order_by("household__number", "rule")[:SHOWN])
    return render(request, "web/hits.html", {
        "rows": [(h, RULE.label(h.rule), HIT_STATUS.label(h.status)) for h in rows], "status": status,
        "statuses": HIT_STATUS.labels().items(), "title": _("Cross-department checks"),
    })


@requires("crosscheck")
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.decide(pk, request.POST.get("status", ""), request.POST.get("reason", ""), user=request.user)
    except actions.DecisionRefused as exc:
        messages.error(request, str(exc))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Decision recorded."))
    return redirect(reverse("web:hits") + "?status=pending")
