"""The exit pipeline (脱贫退出) in the browser: households, villages and counties of an area that may exit
now, and those blocked with what blocks them. The figures are `jingzhun.exits.pipeline`'s, scoped to the
user's areas (the `dashboard` ability); an area outside them is 404. Exit applications are the appraisal
pages' (kind shown there); this page links to them.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.appraisal.models import Application
from jingzhun.exits import pipeline
from jingzhun.policy.exit import exit_rules, shipped_exits
from jingzhun.web.area_param import area_or_everywhere
from jingzhun.web.pages import requires

ABILITY = pipeline.ABILITY


def years() -> list[int]:
    return sorted({int(n.removesuffix(".toml")[-4:]) for n in shipped_exits()}, reverse=True)


def _year(request: HttpRequest) -> int | None:
    text = request.GET.get("year", "").strip()
    shipped = years()
    if not text:
        now = timezone.localdate().year
        return next((y for y in shipped if y <= now), shipped[0])
    return int(text) if text.isascii() and text.isdigit() and int(text) in shipped else None


@requires(ABILITY)
def pipeline_page(request: HttpRequest) -> HttpResponse:
    area = area_or_everywhere(request.user, request.GET.get("area", "").strip(), ABILITY)
    year = _year(request)
    if year is None:
        return render(request, "web/exits.html", {
            "problem": _("Year: one of the years with an exit policy (%(years)s).") % {
                "years": ", ".join(str(y) for y in years())},
            "years": years(), "title": _("Exit")}, status=400)
    rules = exit_rules(year, area.code if area is not None else "")
    found = pipeline.build(rules, request.user, area)
    open_exits = access.scope(Application.objects.filter(kind="exit").exclude(state__in=("rejected", "announced")),
                              request.user, "village_id", ABILITY)
    return render(request, "web/exits.html", {
        "pipeline": found, "area": area, "area_name": area.name if area else _("All areas"), "year": year,
        "years": years(), "open_exits": open_exits.count(), "title": _("Exit"),
    })
