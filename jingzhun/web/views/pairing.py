"""Re-pairing helpers with households (结对帮扶) for a county: preview the solver's proposal, then approve it.

The preview and the approval are `jingzhun.teams.pairing_db`'s; this page only chooses what goes in (the
needy households and serving cadres of one county, within the user's scope) and shows what comes out.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun import access, choices
from jingzhun.areas.models import Area
from jingzhun.registry.models import Household
from jingzhun.teams import pairing_db
from jingzhun.teams.models import PROPOSAL_KIND, RUN_STATUS, SERVING, Cadre, PairingProposal, PairingRun
from jingzhun.web.pages import requires

SHOWN = 200


def _counties(user: object) -> list[Area]:
    spans = access.ranges(user, ability="pair")
    counties = Area.objects.filter(level="county").order_by("code")
    if spans is None:
        return list(counties)
    # A county whole inside one of the user's areas: pairing is decided county by county.
    return [c for c in counties if any(low <= c.code_range[0] and c.code_range[1] <= high for low, high in spans)]


def visible_run(user: object, pk: int) -> PairingRun:
    run = PairingRun.objects.filter(pk=pk).first()
    counties = run.parameters.get("counties", []) if run else []
    if run is None or not counties or not all(access.can_see_area(user, c.ljust(12, "0"), "pair") for c in counties):
        raise Http404(_("No such pairing run in your scope"))
    return run


@requires("pair")
def pairing_home(request: HttpRequest) -> HttpResponse:
    counties = _counties(request.user)
    if request.method == "POST":
        code = request.POST.get("county", "")
        county = next((c for c in counties if c.code == code), None)
        if county is None:
            raise Http404(_("No such area in your scope"))
        low, high = county.code_range
        households = Household.objects.filter(village_id__gte=low, village_id__lte=high,
                                              status__in=choices.NEEDS_HELPER)
        cadres = Cadre.objects.filter(home_area_id__gte=low, home_area_id__lte=high, status=SERVING)
        try:
            run = pairing_db.preview(households, cadres, actor=request.user.get_username())
        except pairing_db.PairingRefused as exc:
            messages.error(request, str(exc))
            return redirect("web:pairing")
        return redirect("web:pairing_run", pk=run.pk)
    runs = [r for r in PairingRun.objects.order_by("-created_at")[:50]
            if r.parameters.get("counties") and all(access.can_see_area(request.user, c.ljust(12, "0"), "pair")
                                                    for c in r.parameters["counties"])]
    return render(request, "web/pairing.html", {"counties": counties, "runs": runs, "title": _("Pairing")})


@requires("pair")
def pairing_run(request: HttpRequest, pk: int) -> HttpResponse:
    run = visible_run(request.user, pk)
    changes = (PairingProposal.objects.filter(run=run).exclude(kind="kept")
               .select_related("household", "cadre", "previous_pair__cadre").order_by("kind", "household__number")[:SHOWN])
    return render(request, "web/pairing_run.html", {
        "run": run, "changes": [(p, PROPOSAL_KIND.label(p.kind)) for p in changes],
        "status": RUN_STATUS.label(run.status),
        "title": _("Pairing run %(id)s") % {"id": run.pk},
    })


@requires("pair")
@require_POST
def pairing_approve(request: HttpRequest, pk: int) -> HttpResponse:
    run = visible_run(request.user, pk)
    try:
        pairing_db.approve(run, request.user)  # the user, not a name: the approval re-checks their areas
    except (pairing_db.PairingRefused, pairing_db.CapacityExceeded) as exc:
        messages.error(request, str(exc))
    else:  # the approval refreshed the dashboard's figures itself (registry.signals.register_changed)
        messages.success(request, _("Approved: the pairs are in force."))
    return redirect("web:pairing_run", pk=pk)
