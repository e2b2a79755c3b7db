"""The map (一张图): loading boundaries (every rule with a bad or hostile file; nothing written when refused), the
scoped data behind the dashboard's map, and the demo's synthetic boundaries (children tile their parent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from shapely.geometry import Point, box, mapping, shape
from shapely.ops import unary_union

from jingzhun.areas.models import Area
from jingzhun.audit.models import AuditEntry
from jingzhun.demo import boundaries as synthetic
from jingzhun.maps import geojson
from jingzhun.maps.geojson import BoundaryProblem
from jingzhun.maps.load import load, load_file
from jingzhun.maps.models import Boundary
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre, Visit
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2
from tests.web_cast import TOWNSHIP_A2, VILLAGE_A3

pytestmark = pytest.mark.django_db

# Hand-drawn boundaries of the cast's areas (lon, lat): 龙山县 is the square 109–110 × 29–30, its two townships
# the west and east halves, 石牌镇's villages its south and north halves; 永顺县 the square 110–111 × 28–29.
SQUARES = {
    COUNTY: (109.0, 29.0, 110.0, 30.0), TOWNSHIP: (109.0, 29.0, 109.5, 30.0), TOWNSHIP_A2: (109.5, 29.0, 110.0, 30.0),
    VILLAGE: (109.0, 29.0, 109.5, 29.5), VILLAGE2: (109.0, 29.5, 109.5, 30.0), VILLAGE_A3: (109.5, 29.0, 110.0, 30.0),
    OTHER_COUNTY: (110.0, 28.0, 111.0, 29.0), OTHER_VILLAGE: (110.0, 28.0, 111.0, 29.0),
}


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def feature(code: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"code": code}, "geometry": geometry}


def squares(codes=SQUARES) -> dict:
    return collection([feature(c, mapping(box(*SQUARES[c]))) for c in codes])


def write(tmp_path: Path, data: object, name: str = "b.geojson") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


SQUARE = [[109.0, 29.0], [110.0, 29.0], [110.0, 30.0], [109.0, 30.0], [109.0, 29.0]]
BAD = [
    ("not json", "{", "not a JSON file"),
    ("NaN", '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "433130000000"},'
     ' "geometry": {"type": "Polygon", "coordinates": [[[NaN, 29], [110, 29], [110, 30], [109, 29]]]}}]}', "NaN"),
    ("not a collection", {"type": "Feature"}, "FeatureCollection"),
    ("no features", collection([]), "non-empty"),
    ("bad code", collection([feature("4331", {"type": "Polygon", "coordinates": [SQUARE]})]), "feature 1"),
    ("twice", collection([feature(COUNTY, {"type": "Polygon", "coordinates": [SQUARE]})] * 2), "given twice"),
    ("a point", collection([feature(COUNTY, {"type": "Point", "coordinates": [109, 29]})]), "Polygon or MultiPolygon"),
    ("open ring", collection([feature(COUNTY, {"type": "Polygon", "coordinates": [SQUARE[:-1] + [[109.5, 29.5]]]})]),
     "not closed"),
    ("three points", collection([feature(COUNTY, {"type": "Polygon", "coordinates": [SQUARE[:2] + [SQUARE[0]]]})]),
     "at least 4 points"),
    ("latitude 95", collection([feature(COUNTY, {"type": "Polygon", "coordinates": [
        [[109.0, 29.0], [110.0, 95.0], [110.0, 30.0], [109.0, 29.0]]]})]), "point 2"),
    ("text point", collection([feature(COUNTY, {"type": "Polygon", "coordinates": [
        [[109.0, 29.0], ["110", 29.0], [110.0, 30.0], [109.0, 29.0]]]})]), "[longitude, latitude]"),
    ("bow tie", collection([feature(COUNTY, {"type": "Polygon", "coordinates": [
        [[109.0, 29.0], [110.0, 30.0], [110.0, 29.0], [109.0, 30.0], [109.0, 29.0]]]})]), "invalid geometry"),
]


@pytest.mark.parametrize(("what", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_file_is_refused_by_name_and_nothing_is_written(tmp_path, areas, what, data, message):
    load_file(write(tmp_path, squares([COUNTY]), "good.geojson"), source="测绘院", licence="CC-BY-4.0", actor="t")
    before = list(Boundary.objects.values_list("area_id", "geometry"))
    with pytest.raises(BoundaryProblem, match=message):
        load_file(write(tmp_path, data), source="测绘院", licence="CC-BY-4.0", actor="t")
    assert list(Boundary.objects.values_list("area_id", "geometry")) == before


def test_hostile_sizes_are_refused_before_they_are_read(tmp_path, areas, monkeypatch):
    path = write(tmp_path, squares([COUNTY]))
    with pytest.raises(BoundaryProblem, match="over the limit"):
        geojson.read(path, max_bytes=100)
    monkeypatch.setattr(geojson, "MAX_RING_POINTS", 4)
    with pytest.raises(BoundaryProblem, match="a ring of 5 points"):
        geojson.read(path)


def test_unknown_areas_and_areas_outside_the_users_import_areas_are_refused(tmp_path, web):
    good = write(tmp_path, squares([COUNTY, TOWNSHIP]))
    with pytest.raises(BoundaryProblem, match="source and licence"):
        load_file(good, source=" ", licence="CC0-1.0", actor="t")
    unknown = write(tmp_path, collection([feature("433130999999", mapping(box(109, 29, 110, 30)))]), "u.geojson")
    with pytest.raises(BoundaryProblem, match="no area 433130999999"):
        load_file(unknown, source="s", licence="CC0-1.0", actor="t")
    mixed = write(tmp_path, squares([COUNTY, OTHER_COUNTY]), "m.geojson")
    with pytest.raises(BoundaryProblem, match="feature 2: area 433127000000 is outside your import areas"):
        load_file(mixed, source="s", licence="CC0-1.0", actor="officer_a", user=web.users["officer_a"])
    assert not Boundary.objects.exists()
    assert load_file(good, source="县测绘队", licence="CC-BY-4.0", actor="officer_a", user=web.users["officer_a"]) == 2
    entry = AuditEntry.objects.get(action="maps.import_boundaries")
    assert entry.area == COUNTY and '"features": 2' in json.dumps(json.loads(entry.detail) if isinstance(
        entry.detail, str) else entry.detail)


def test_the_command_loads_and_reports_refusals_in_words(tmp_path, areas):
    with pytest.raises(CommandError, match="not closed"):
        call_command("import_boundaries", str(write(tmp_path, BAD[7][1])), "--source", "s", "--licence", "l")
    call_command("import_boundaries", str(write(tmp_path, squares([COUNTY, TOWNSHIP]), "ok.geojson")),
                 "--source", "s", "--licence", "CC0-1.0")
    assert set(Boundary.objects.values_list("area_id", flat=True)) == {COUNTY, TOWNSHIP}


def _visit(number: str, lat: float, lon: float) -> None:
    from django.utils import timezone

    household = Household.objects.get(number=number)
    cadre = Cadre.objects.first()
    Visit.objects.create(cadre=cadre, household=household, village_id=household.village_id, visited_at=timezone.now(),
                         latitude=lat, longitude=lon, recorded_at=timezone.now(), entered_by="t")


def test_the_map_data_is_the_users_area_only(tmp_path, web):
    load(geojson.read(write(tmp_path, squares())), source="测绘院", licence="CC-BY-4.0", actor="t")
    _visit("A101-1", 29.2, 109.2)
    _visit("A102-1", 29.5, 109.7)
    _visit("B102-1", 28.5, 110.5)
    county = web.client("officer_a").get(f"/map/{COUNTY}.json").json()
    by_code = {f["properties"]["code"]: f["properties"] for f in county["features"]["features"]}
    assert set(by_code) == {TOWNSHIP, TOWNSHIP_A2}
    # 石牌镇: poor A101-1 (4 people) + A101-2 (3) over 400 + 300 people = 1.0 %; helper: A101-1 of the two poor.
    assert by_code[TOWNSHIP]["incidence"] == 1.0 and by_code[TOWNSHIP]["coverage"] == 50.0
    assert by_code[TOWNSHIP]["poor_people"] == 7 and by_code[TOWNSHIP]["drill"] is True
    assert sorted(county["points"]) == [[109.2, 29.2], [109.7, 29.5]]  # not 永顺县's visit
    assert county["sources"] == [["测绘院", "CC-BY-4.0"]]
    assert web.client("officer_b").get(f"/map/{COUNTY}.json").status_code == 404
    assert web.client("township_a").get(f"/map/{COUNTY}.json").status_code == 404
    assert web.client("helper_a").get(f"/map/{VILLAGE}.json").status_code == 403
    township = web.client("township_a").get(f"/map/{TOWNSHIP}.json").json()
    assert {f["properties"]["code"] for f in township["features"]["features"]} == {VILLAGE, VILLAGE2}
    assert township["points"] == [[109.2, 29.2]]
    village = web.client("township_a").get(f"/map/{VILLAGE}.json").json()  # a village: its own outline
    assert [f["properties"]["drill"] for f in village["features"]["features"]] == [False]


def test_no_boundaries_no_map_data_and_the_page_says_so(web):
    body = web.client("officer_a").get(f"/map/{COUNTY}.json").json()
    assert body["features"]["features"] == [] and body["sources"] == []
    page = web.client("officer_a").get(f"/dashboard/{COUNTY}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="map"' in page and "尚未导入边界" in page


def test_the_demos_synthetic_boundaries_tile_their_parents(web):
    shapes = synthetic.geometries()
    for area in Area.objects.exclude(level="village"):
        kids = [shapes[c] for c in Area.objects.filter(parent_id=area.code).values_list("code", flat=True)]
        if not kids:
            continue
        assert unary_union(kids).symmetric_difference(shapes[area.code]).area < 1e-9, area.code
        for i, a in enumerate(kids):
            assert a.is_valid and a.area > 0
            for b in kids[i + 1:]:
                assert a.intersection(b).area < 1e-9
    # Each village's cell holds its committee office (the point its visits are recorded around).
    from jingzhun.demo.synth_work import village_point

    for code in Area.objects.filter(level="village").values_list("code", flat=True):
        lat, lon = village_point(code)
        assert shapes[code].contains(Point(lon, lat))


def test_simplified_boundaries_stay_valid(tmp_path, web):
    import math

    ring = [[109.5 + 0.4 * math.cos(t / 500 * 2 * math.pi) * (1 + 0.01 * math.sin(t)),
             29.5 + 0.4 * math.sin(t / 500 * 2 * math.pi)] for t in range(500)]
    ring.append(ring[0])
    load(geojson.read(write(tmp_path, collection([feature(TOWNSHIP, {"type": "Polygon", "coordinates": [ring]})]))),
         source="s", licence="CC0-1.0", actor="t")
    body = web.client("officer_a").get(f"/map/{COUNTY}.json").json()
    geom = shape(body["features"]["features"][0]["geometry"])
    assert geom.is_valid and 4 <= len(geom.exterior.coords) < 500
