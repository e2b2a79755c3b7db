"""Cross-department hits to confirm or dismiss (the appraisal pages are `jingzhun.web.views.appraisal`). The
logic is the crosscheck app's; these pages show and call it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun.crosscheck import actions
from jingzhun.crosscheck.models import HIT_STATUS, RULE, CrossCheckHit
from jingzhun.registry.models import Member
from jingzhun.web.pages import requires

SHOWN = 200


@requires("crosscheck")
def hits(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "pending")
    qs = actions.visible_hits(request.user)
    if status in HIT_STATUS.codes:
        qs = qs.filter(status=status)
    rows = list(qs.select_related("household", "source_list").order_by("household__number", "rule")[:SHOWN])
    names = _member_names(rows)
    return render(request, "web/hits.html", {
        "rows": [(h, RULE.label(h.rule), HIT_STATUS.label(h.status), names.get((h.household_id, h.member_position), ""),
                  evidence_lines(h.evidence)) for h in rows], "status": status,
        "statuses": HIT_STATUS.labels().items(), "title": _("Cross-department checks"),
    })


def _member_names(hits: list[CrossCheckHit]) -> dict[tuple[int, int], str]:
    """The register's name of each hit's member (one query): the officer compares it with the department's row."""
    wanted = {(h.household_id, h.member_position) for h in hits}
    q = Q(pk__in=[])
    for household, position in wanted:
        q |= Q(household_id=household, position=position)
    return {(m["household_id"], m["position"]): m["name"]
            for m in Member.objects.filter(q).values("household_id", "position", "name")} if wanted else {}


def evidence_lines(evidence: dict) -> list[str]:
    """The department's record behind a hit, a line per matching row of its list: "号牌号码：湘M54293；登记日期：
    2022-09-23（名单第 5 行）". The list's own column names are kept: they are the department's words."""
    lines = []
    for row in (evidence or {}).get("rows", []):
        fields = "；".join(f"{k}：{v}" for k, v in row.items() if k != "行号" and v not in (None, ""))
        lines.append(f"{fields}（名单第 {row['行号']} 行）" if "行号" in row else fields)
    return lines


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
