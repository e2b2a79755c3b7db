"""Party-branch pages: the branches of an area with their first secretary (from the work team) and rating,
weak branches by area, overdue rectifications; officers rate and re-rate here (`service` writes)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun import access
from jingzhun.branches import service
from jingzhun.branches.elections import SPEC as ELECTIONS
from jingzhun.branches.models import ELECTION_KIND, RATING, RERATING, WEAK_REASON, Branch, Election, Rating
from jingzhun.branches.roster import SPEC
from jingzhun.organisation import paging
from jingzhun.web import form_write, roster_export
from jingzhun.web.area_param import chosen_area, chosen_year
from jingzhun.web.pages import requires, requires_download


@requires("people")
def branch_list(request: HttpRequest) -> HttpResponse:
    area, year = chosen_area(request, "people"), chosen_year(request)
    this_year = Prefetch("ratings", queryset=Rating.objects.filter(year=year), to_attr="rated")
    listed = paging.page(request, "page", service.visible(request.user, area.code).order_by("village_id")
                         .prefetch_related(this_year))
    branches = list(listed)
    secretaries = service.first_secretaries([b.village_id for b in branches])
    rows = [{"branch": b, "first_secretary": secretaries.get(b.village_id, ""),
             "rating": b.rated[0] if b.rated else None} for b in branches]  # type: ignore[attr-defined]
    return render(request, "branches/list.html", {
        "area": area, "year": year, "rows": rows, "page": listed,
        "by_area": service.weak_branches(request.user, area.code, year),
        "overdue": paging.page(request, "overdue_page", service.overdue(request.user, timezone.localdate(), area.code)),
        "ratings": RATING.labels(), "reasons": WEAK_REASON.labels(),
        "reratings": {k: v for k, v in RERATING.labels().items() if k}, "election_kinds": ELECTION_KIND.labels(),
        "may_write": access.may(request.user, "manage_people"),
        "may_export": access.may(request.user, "export"),
        "title": _("Party branches"),
    })


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text.strip() else None


def _rate(request: HttpRequest, p: Any, actor: str) -> str:
    service.rate(request.user, int(p["branch"]), int(p["year"]), p["rating"], actor=actor, reason=p.get("reason", ""),
                 detail=p.get("detail", ""), plan=p.get("plan", ""), deadline=_date(p.get("deadline", "")),
                 responsible=p.get("responsible", ""))
    return _("Rating recorded.")


def _elect(request: HttpRequest, p: Any, actor: str) -> str:
    service.elect(request.user, int(p["branch"]), held_on=dt.date.fromisoformat(p["held_on"]), kind=p["kind"],
                  secretary=p.get("secretary", ""), votes=int(p.get("votes") or 0), actor=actor)
    return _("Election recorded.")


def _rerate(request: HttpRequest, p: Any, actor: str) -> str:
    service.rerate(request.user, int(p["rating"]), p["result"], on=dt.date.fromisoformat(p["on"]), actor=actor)
    return _("Re-rating recorded.")


@requires_download("people")
def export_roster(request: HttpRequest) -> Any:  # a FileResponse
    """The area's branches in the roster template's columns, scoped to the user's areas of the export ability."""
    area = chosen_area(request, "export")
    found = access.within_area(access.scope(Branch.objects.all(), request.user, "village_id", "export"),
                               "village_id", area.code).order_by("village_id")
    return roster_export.xlsx(request, kind="branch_roster", name=f"村党组织名册-{area.code}.xlsx",
                              sheet_name="村党组织名册", headers=SPEC.headers, area=area.code,
                              rows=found.values_list("village_id", "name", "secretary", "members"))



@requires_download("people")
def export_elections(request: HttpRequest) -> Any:  # a FileResponse
    """The area's branch elections in the elections template's columns (the type as its label), scoped to the
    user's areas of the export ability: edited and imported back, it changes only what was edited."""
    area = chosen_area(request, "export")
    found = access.within_area(access.scope(Election.objects.all(), request.user, "branch__village_id", "export"),
                               "branch__village_id", area.code).order_by("branch__village_id", "held_on")
    return roster_export.xlsx(
        request, kind="branch_elections", name=f"村党组织选举-{area.code}.xlsx", sheet_name="村党组织选举",
        headers=ELECTIONS.headers, area=area.code,
        rows=([v, d.isoformat(), ELECTION_KIND.zh(k), s, n] for v, d, k, s, n in found.values_list(
            "branch__village_id", "held_on", "kind", "secretary", "votes")))


@require_POST
@requires("manage_people")
def write(request: HttpRequest, action: str) -> HttpResponse:
    handler = {"rate": _rate, "rerate": _rerate, "elect": _elect}.get(action)
    if handler is None:
        raise Http404
    form_write.write(request, handler, claim_once=action == "elect")  # an election must not be recorded twice
    return form_write.back_to(request, "branches:list")
