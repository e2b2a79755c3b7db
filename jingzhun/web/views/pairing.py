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
    weights = pairing_db.CostWeights(**run.parameters.get("weights", {}))
    counties = Area.objects.filter(code__in=[c.ljust(12, "0") for c in run.parameters.get("counties", [])])
    return render(request, "web/pairing_run.html", {
        "run": run, "changes": [(p, PROPOSAL_KIND.label(p.kind), _why(p, weights)) for p in changes],
        "status": RUN_STATUS.label(run.status), "counties": counties.order_by("code"), "weights": weights,
        "title": _("Pairing run %(id)s") % {"id": run.pk},
    })


def _why(p: PairingProposal, weights: pairing_db.CostWeights) -> str:
    """The proposed pair's cost in its parts (distance tier, skills), "" for a household left without a helper."""
    if p.cadre is None:
        return ""
    hh = p.household
    return pairing_db.explain(hh.village_id, hh.primary_cause, hh.secondary_causes, p.cadre.home_area_id,
                              p.cadre.skills, weights).text


@requires("pair")
def pairing_adjust(request: HttpRequest) -> HttpResponse:
    """Change one household's helper by hand, with a reason: the candidates are the serving helpers of its county,
    each with the cost the solver would give the pair."""
    number = (request.POST.get("household") or request.GET.get("household") or "").strip()
    household = access.households(Household.objects.filter(number=number), request.user, ability="pair").first() \
        if number else None
    if number and household is None:
        raise Http404(_("No such household in your scope"))
    candidates: list[tuple[Cadre, pairing_db.CostParts]] = []
    current = None
    if household is not None:
        current = household.helper_pairs.filter(end_date__isnull=True).select_related("cadre").first()
        low, high = Area.objects.get(code=household.village_id[:6].ljust(12, "0")).code_range
        cadres = access.scope(Cadre.objects.filter(home_area_id__gte=low, home_area_id__lte=high, status=SERVING),
                              request.user, "home_area_id", "pair").order_by("name")[:SHOWN]
        candidates = [(k, pairing_db.explain(household.village_id, household.primary_cause, household.secondary_causes,
                                             k.home_area_id, k.skills)) for k in cadres]
        candidates.sort(key=lambda kc: (kc[1].total, kc[0].name))
    if request.method == "POST" and household is not None:
        cadre = next((k for k, _ in candidates if str(k.pk) == request.POST.get("cadre", "")), None)
        try:
            if cadre is None:
                raise pairing_db.PairingRefused(_("Choose a helper from the list."))
            pairing_db.adjust(household, cadre, reason=request.POST.get("reason", ""), user=request.user)
        except (pairing_db.PairingRefused, pairing_db.CapacityExceeded) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The helper was changed."))
            return redirect(f"{request.path}?household={household.number}")
    return render(request, "web/pairing_adjust.html", {
        "household": household, "number": number, "current": current,
        "candidates": [(k, parts.text, parts.total) for k, parts in candidates], "title": _("Adjust a pair by hand")})


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
