"""The map's data for one area: its children's boundaries (simplified for the screen) with their figures, and the
visits with coordinates the user may see. Scoped like the dashboard: an area outside the user's areas is a 404,
and the visits come through the access layer's household rule (a helper: their own households)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import shapely
from django.core.cache import cache
from django.db.models import Max
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.maps.models import Boundary
from jingzhun.teams.models import Visit
from jingzhun.web import dashboard
from jingzhun.web.pages import requires

POINT_DAYS = 90
MAX_POINTS = 5000
SCREEN = 900  # the map's width in pixels, about: simplify to a pixel of it


@requires("dashboard")
def area_map(request: HttpRequest, code: str) -> JsonResponse:
    if not access.can_see_area(request.user, code, "dashboard"):
        raise Http404(_("No such area in your scope"))
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise Http404(_("No such area in your scope"))
    board = dashboard.build(area)
    kids = [(a, f) for a, f in board.children if access.can_see_area(request.user, a.code, "dashboard")]
    shown = kids or [(area, board.figures)]  # a village: its own outline
    shapes = simplified([a.code for a, _f in shown])
    features = []
    for a, f in shown:
        if a.code not in shapes:
            continue
        features.append({"type": "Feature", "geometry": shapes[a.code], "properties": {
            "code": a.code, "name": a.name, "level": a.level,
            "incidence": None if f.incidence is None else round(100 * f.incidence, 2),
            "coverage": None if f.helper_coverage is None else round(100 * f.helper_coverage, 2),
            "poor_people": f.poor_people, "households": f.households, "drill": a.code != area.code}})
    sources = sorted(set(Boundary.objects.filter(area_id__in=[a.code for a, _f in shown])
                         .values_list("source", "licence")))
    return JsonResponse({"area": {"code": area.code, "name": area.name},
                         "features": {"type": "FeatureCollection", "features": features},
                         "points": points(request.user, area), "sources": [list(s) for s in sources]})


def simplified(codes: list[str]) -> dict[str, Any]:
    """Code → GeoJSON geometry simplified to about a pixel of the map of these areas; cached until any of them
    is loaded again."""
    rows = Boundary.objects.filter(area_id__in=codes)
    stamp = rows.aggregate(m=Max("loaded_at"))["m"]
    if stamp is None:
        return {}
    key = f"maps:{':'.join(sorted(codes))[:180]}:{len(codes)}:{stamp.timestamp()}"
    found = cache.get(key)
    if found is None:
        geoms = {code: shape(json.loads(text)) for code, text in rows.values_list("area_id", "geometry")}
        west = min(g.bounds[0] for g in geoms.values())
        east = max(g.bounds[2] for g in geoms.values())
        south = min(g.bounds[1] for g in geoms.values())
        north = max(g.bounds[3] for g in geoms.values())
        tolerance = max(east - west, north - south) / SCREEN
        found = {code: mapping(shapely.simplify(g, tolerance, preserve_topology=True)) for code, g in geoms.items()}
        found = json.loads(json.dumps(found))  # tuples → lists: the cached value is plain JSON
        cache.set(key, found, 3600)
    return found


def points(user: object, area: Area) -> list[list[float]]:
    """[lon, lat] of the recent visits with coordinates in the area, that the user may see; newest first."""
    since = timezone.now() - dt.timedelta(days=POINT_DAYS)
    qs = access.within_area(Visit.objects.filter(latitude__isnull=False, visited_at__gte=since), "village_id", area.code)
    qs = access.households(qs, user, "household__", "register")
    return [[float(lon), float(lat)] for lat, lon in
            qs.order_by("-visited_at").values_list("latitude", "longitude")[:MAX_POINTS]]
