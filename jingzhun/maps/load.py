"""Loading boundaries: every feature's area must exist (and, for a user, lie in their import areas); the whole
file lands or nothing does; one audit row names the source, the licence and the areas."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.maps.geojson import BoundaryProblem, Feature, read
from jingzhun.maps.models import CRS, Boundary


def load_file(path: Path, *, source: str, licence: str, crs: str = "WGS-84", actor: str, user: object = None,
              code_property: str = "code") -> int:
    return load(read(path, code_property=code_property), source=source, licence=licence, crs=crs, actor=actor,
                user=user)


def load(features: Sequence[Feature], *, source: str, licence: str, crs: str = "WGS-84", actor: str,
         user: object = None) -> int:
    """Replace the boundaries of the features' areas. Returns the number loaded."""
    source, licence = source.strip(), licence.strip()
    if not source or not licence:
        raise BoundaryProblem("须写明边界的来源和许可 / the boundaries' source and licence must be given")
    if crs not in dict(CRS):
        raise BoundaryProblem(f"坐标系须为 {' 或 '.join(dict(CRS))} / the coordinate system must be one of "
                              f"{', '.join(dict(CRS))}")
    codes = [f.code for f in features]
    parents = dict(Area.objects.filter(code__in=codes).values_list("code", "parent_id"))
    known = set(parents)
    for n, f in enumerate(features, start=1):
        if f.code not in known:
            raise BoundaryProblem(f"第{n}个要素：区划代码 {f.code} 不存在 / feature {n}: no area {f.code}")
        if user is not None and not access.can_see_area(user, f.code, "import"):
            raise BoundaryProblem(f"第{n}个要素：区划 {f.code} 不在您的导入范围内 / feature {n}: area {f.code} is "
                                  f"outside your import areas")
    now = timezone.now()
    rows = [Boundary(area_id=f.code, geometry=json.dumps(f.geometry, separators=(",", ":")), crs=crs,
                     west=f.bounds[0], south=f.bounds[1], east=f.bounds[2], north=f.bounds[3], source=source,
                     licence=licence, loaded_at=now) for f in features]
    with transaction.atomic():
        Boundary.objects.filter(area_id__in=codes).delete()
        Boundary.objects.bulk_create(rows, batch_size=2000)
        tops = sorted(c for c in known if parents[c] not in known)[:50]  # the file's highest areas
        audit.record(actor, "maps.import_boundaries", object_type="boundaries", area=tops[0] if len(tops) == 1 else "",
                     areas=tops, features=len(rows), source=source, licence=licence, crs=crs)
    return len(rows)

