"""Reading a GeoJSON file of boundaries, refusing what is not one: every rule a message naming the feature and
the rule ("中文 / English"). Pure (no database): the loader checks the codes against the areas.

Limits against hostile files: the file's size, the features, the points in one ring and in the whole file, and
JSON's NaN / Infinity constants (Python's json accepts them; GeoJSON does not)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

MAX_BYTES = 200 * 1024 * 1024
MAX_FEATURES = 100_000
MAX_RING_POINTS = 500_000
MAX_POINTS = 20_000_000
CODE = re.compile(r"^\d{12}$")


class BoundaryProblem(ValueError):
    """The file is refused; the message names the place and the rule."""


@dataclass(frozen=True)
class Feature:
    code: str
    geometry: dict[str, Any]  # GeoJSON geometry, as given
    bounds: tuple[float, float, float, float]  # west, south, east, north


def _no_constants(name: str) -> float:
    raise BoundaryProblem(f"文件含 {name}，GeoJSON 不允许 / the file holds {name}, which GeoJSON does not allow")


def read(path: Path, *, code_property: str = "code", max_bytes: int = MAX_BYTES) -> list[Feature]:
    size = path.stat().st_size
    if size > max_bytes:
        raise BoundaryProblem(f"文件 {size:,} 字节，超过上限 {max_bytes:,} / the file is {size:,} bytes, over the "
                              f"limit of {max_bytes:,}")
    try:
        with path.open("rb") as f:
            data = json.loads(f.read(), parse_constant=_no_constants)
    except BoundaryProblem:
        raise
    except ValueError as exc:  # a decode error, and a number of over 4,300 digits (Python's own limit)
        raise BoundaryProblem(f"不是 JSON 文件：{str(exc)[:200]} / not a JSON file: {str(exc)[:200]}") from None
    except RecursionError:  # json recurses into nested arrays: a hostile file is a refusal, not a traceback
        raise BoundaryProblem("JSON 嵌套过深 / the JSON is nested too deeply") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise BoundaryProblem("顶层须为 FeatureCollection / the top level must be a FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise BoundaryProblem("features 须为非空列表 / features must be a non-empty list")
    if len(features) > MAX_FEATURES:
        raise BoundaryProblem(f"要素 {len(features):,} 个，超过上限 {MAX_FEATURES:,} / {len(features):,} features, "
                              f"over the limit of {MAX_FEATURES:,}")
    out: list[Feature] = []
    seen: set[str] = set()
    points = 0
    for n, item in enumerate(features, start=1):
        feature, count = _feature(n, item, code_property)
        if feature.code in seen:
            raise BoundaryProblem(f"第{n}个要素：区划代码 {feature.code} 重复 / feature {n}: area code {feature.code} "
                                  f"given twice")
        seen.add(feature.code)
        points += count
        if points > MAX_POINTS:
            raise BoundaryProblem(f"坐标点超过上限 {MAX_POINTS:,} / more than {MAX_POINTS:,} points in the file")
        out.append(feature)
    return out


def _feature(n: int, item: Any, code_property: str) -> tuple[Feature, int]:
    where = f"第{n}个要素 / feature {n}"
    if not isinstance(item, dict) or item.get("type") != "Feature":
        raise BoundaryProblem(f"{where}：须为 Feature / must be a Feature")
    props = item.get("properties") or {}
    code = str(props.get(code_property, "")) if isinstance(props, dict) else ""
    if not CODE.match(code):
        raise BoundaryProblem(f"{where}：属性 {code_property} 须为12位区划代码，得到 {code[:20]!r} / property "
                              f"{code_property} must be a 12-digit area code, got {code[:20]!r}")
    geometry = item.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise BoundaryProblem(f"{where}（{code}）：几何须为 Polygon 或 MultiPolygon / the geometry must be a "
                              f"Polygon or MultiPolygon")
    polygons = geometry.get("coordinates")
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    if not isinstance(polygons, list) or not polygons:
        raise BoundaryProblem(f"{where}（{code}）：没有坐标 / no coordinates")
    count = 0
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise BoundaryProblem(f"{where}（{code}）：多边形须有外环 / a polygon needs its outer ring")
        for ring in polygon:
            count += _ring(where, code, ring)
    geom = shape(geometry)
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise BoundaryProblem(f"{where}（{code}）：几何无效（{reason}）/ invalid geometry ({reason})")
    west, south, east, north = geom.bounds
    return Feature(code, geometry, (west, south, east, north)), count


def _ring(where: str, code: str, ring: Any) -> int:
    if not isinstance(ring, list) or len(ring) < 4:
        raise BoundaryProblem(f"{where}（{code}）：环至少4个点（首尾相同）/ a ring needs at least 4 points "
                              f"(the first repeated last)")
    if len(ring) > MAX_RING_POINTS:
        raise BoundaryProblem(f"{where}（{code}）：一个环 {len(ring):,} 个点，超过上限 {MAX_RING_POINTS:,} / a ring of "
                              f"{len(ring):,} points, over the limit of {MAX_RING_POINTS:,}")
    for k, point in enumerate(ring, start=1):
        if (not isinstance(point, list) or len(point) not in (2, 3)
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in point)):
            raise BoundaryProblem(f"{where}（{code}）第{k}个点：须为 [经度, 纬度] / point {k}: must be "
                                  f"[longitude, latitude]")
        lon, lat = point[0], point[1]
        if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
            raise BoundaryProblem(f"{where}（{code}）第{k}个点：经度须在 ±180、纬度须在 ±90 之内 / point {k}: "
                                  f"longitude within ±180 and latitude within ±90")
    if ring[0][:2] != ring[-1][:2]:
        raise BoundaryProblem(f"{where}（{code}）：环未闭合（首尾点不同）/ the ring is not closed (first and last "
                              f"points differ)")
    return len(ring)
