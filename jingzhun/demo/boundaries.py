"""The demo's boundaries: synthetic, because the demo's areas are (real county names, invented townships and
villages) and a real map of China may not be published without a map review number (docs/map.md).

Every village gets the Voronoi cell of its committee office (`synth_work.village_point`, the point the demo's
visits are recorded around) within the hull of its county's offices; a township is the union of its villages' cells, a
county of its townships', and so up. Children therefore tile their parent exactly, and a village's visits fall
in (or next to) its own cell. Written as a GeoJSON file and loaded through the import command like any
county's boundaries. Source "合成（Jingzhun demo）", licence CC0-1.0."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, mapping
from shapely.ops import unary_union

from jingzhun.areas.models import Area
from jingzhun.demo.synth_work import village_point

SOURCE = "合成（Jingzhun demo）/ synthetic (Jingzhun demo)"
LICENCE = "CC0-1.0"


def geometries() -> dict[str, Any]:
    """Area code → shapely geometry for every area that has villages below it."""
    villages = list(Area.objects.filter(level="village").order_by("code").values_list("code", flat=True))
    by_county: dict[str, list[str]] = defaultdict(list)
    for code in villages:
        by_county[code[:6]].append(code)
    shapes: dict[str, Any] = {}
    for codes in by_county.values():  # each county's villages share out the hull of their offices
        points = [village_point(code)[::-1] for code in codes]  # (lon, lat)
        hull = MultiPoint(points).convex_hull.buffer(0.04, join_style="mitre")
        cells = shapely.voronoi_polygons(MultiPoint(points), extend_to=hull, ordered=True)
        for code, cell in zip(codes, cells.geoms, strict=True):
            shapes[code] = shapely.set_precision(cell.intersection(hull), 1e-6)
    parents = dict(Area.objects.values_list("code", "parent_id"))
    level = list(villages)
    while level:
        children: dict[str, list[Any]] = defaultdict(list)
        for code in level:
            parent = parents.get(code)
            if parent:
                children[parent].append(shapes[code])
        for parent, parts in children.items():
            shapes[parent] = shapely.set_precision(unary_union(parts), 1e-6)
        level = list(children)
    return shapes


def write(path: Path) -> int:
    features = [{"type": "Feature", "properties": {"code": code}, "geometry": mapping(geom)}
                for code, geom in sorted(geometries().items()) if not geom.is_empty]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return len(features)
