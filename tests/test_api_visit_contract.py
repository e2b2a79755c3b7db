"""The visit API's contract is what the server does.

1. Photos: each at most 2 MB, but a request body at most DATA_UPLOAD_MAX_MEMORY_SIZE (10 MB, refused before any
   operation). The schema states the photos' total (its description, and `x-max-total-base64` for programs),
   the server answers a visit over it with a 422 naming `photos`, and a visit at every bound of the schema
   fits the body limit — so a client built from the schema never meets the body limit's 400.
2. The same visit (same helper, household and time: the visits import's rule) sent again without an
   Idempotency-Key is a 409 naming the visit already recorded; nothing more lands. With a key, as before."""

from __future__ import annotations

import hashlib
import json
from base64 import b64encode

import pytest
from django.test import Client

from jingzhun.audit.models import AuditEntry
from jingzhun.teams.models import Cadre, Visit, VisitPhoto
from jingzhun.teams.visits_import import import_visits
from tests.api_support import api_for, assert_already_recorded

pytestmark = pytest.mark.django_db

VISIT = {"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00", "latitude": 28.5, "longitude": 109.4,
         "notes": "了解家庭收入情况", "measures": ["industry"]}
MiB = 1024 * 1024


def _schema() -> dict:
    return Client().get("/api/openapi.json").json()


def _photos_total(schema: dict) -> int:
    return schema["components"]["schemas"]["VisitIn"]["properties"]["photos"]["x-max-total-base64"]


def _jpeg(size: int, seed: int) -> bytes:
    """A JPEG as the server checks one (start and end markers), `size` bytes, different for every seed."""
    filler = (bytes([seed]) + bytes(range(256))) * (size // 257 + 1)
    return b"\xff\xd8\xff" + filler[: size - 5] + b"\xff\xd9"


def _photo(data: bytes, n: int) -> dict:
    return {"file": f"photo-{n}.jpg", "sha256": hashlib.sha256(data).hexdigest(), "jpeg_base64": b64encode(data).decode()}


def test_the_schema_states_the_photos_total_and_a_visit_at_every_bound_fits_the_body_limit(settings):
    schema = _schema()
    total = _photos_total(schema)
    visit_in = schema["components"]["schemas"]["VisitIn"]
    assert total == 8 * MiB
    assert f"{total:,}" in visit_in["properties"]["photos"]["description"]
    operation = schema["paths"]["/api/v1/visits"]["post"]
    assert f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}" in operation["description"]
    # The largest body the schema allows, every string at its maxLength in the characters JSON escapes the
    # longest (a character outside the BMP: 12 bytes as \\ud83d\\ude00), the photos' base64 at their total.
    photo_in = schema["components"]["schemas"]["Photo"]["properties"]
    short = 200
    assert visit_in["properties"]["household_number"]["maxLength"] == short
    wide = "😀"
    photos = visit_in["properties"]["photos"]["maxItems"]
    each = photo_in["jpeg_base64"]["anyOf"][0]["maxLength"]
    assert each * photos > total  # the total, not the items, is the bound that matters
    lengths = [total // photos // 4 * 4] * photos
    lengths[0] += total - sum(lengths)
    assert max(lengths) <= each and sum(lengths) == total
    body = {"household_number": wide * short, "cadre_id": 2**62, "personnel_number": wide * short,
            "visited_at": "2024-05-06T09:30:00.123456+08:00", "latitude": -89.123456789012345,
            "longitude": -179.12345678901234, "location_accuracy": 99999.12345678901,
            "notes": wide * visit_in["properties"]["notes"]["maxLength"],
            "measures": [wide * short] * visit_in["properties"]["measures"]["maxItems"],
            "photos": [{"file": wide * short, "sha256": "a" * 64, "jpeg_base64": "A" * n} for n in lengths]}
    assert len(json.dumps(body, indent=1).encode()) <= settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def test_photos_over_the_total_are_refused_naming_the_rule_and_nothing_lands(web, settings):
    api = api_for(web.users["helper_a"], "read", "write")
    # Four photos of 1.6 MB: each within its 2 MB, the body within 10 MB, the photos over their total.
    photos = [_photo(_jpeg(1_600_000, n), n) for n in range(4)]
    total = sum(len(p["jpeg_base64"]) for p in photos)
    assert 8 * MiB < total and len(json.dumps({**VISIT, "photos": photos})) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    before = AuditEntry.objects.count()
    response = api.post("/visits", {**VISIT, "photos": photos})
    assert response.status_code == 422, response.content[:300]
    problem = response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    assert [e["field"] for e in problem["errors"]] == ["photos"]
    assert "合计" in problem["errors"][0]["zh"] and f"{8 * MiB:,}" in problem["errors"][0]["en"]
    assert Visit.objects.count() == 0 and VisitPhoto.objects.count() == 0 and AuditEntry.objects.count() == before


def test_photos_at_the_total_land(web):
    api = api_for(web.users["helper_a"], "read", "write")
    # Four photos of 1.5 MiB: base64 of exactly 2 MiB each, 8 MiB in all.
    photos = [_photo(_jpeg(3 * MiB // 2, n), n) for n in range(4)]
    assert sum(len(p["jpeg_base64"]) for p in photos) == 8 * MiB
    response = api.post("/visits", {**VISIT, "photos": photos})
    assert response.status_code == 201, response.content[:300]
    assert sorted(p["size"] for p in response.json()["photos"]) == [3 * MiB // 2] * 4
    assert VisitPhoto.objects.filter(visit_id=response.json()["id"], size=3 * MiB // 2).count() == 4


def test_the_same_visit_sent_again_without_a_key_is_a_409_naming_it_and_nothing_more_lands(web):
    api = api_for(web.users["helper_a"], "read", "write")
    first = api.post("/visits", VISIT)
    assert first.status_code == 201, first.content
    visit = first.json()["id"]
    audits = AuditEntry.objects.count()
    # The phone's retry after a lost answer, and the same helper, household and time with other notes: the
    # import's rule is the helper, the household and the time, so both are the visit already recorded.
    for body in (VISIT, {**VISIT, "notes": "补充记录"}):
        assert_already_recorded(api.post("/visits", body), visit, "visited_at", "已录入",
                                (f"走访 {visit}", f"visit {visit}"))
    assert Visit.objects.count() == 1 and AuditEntry.objects.count() == audits
    # An officer entering it for the helper (by the helper's cadre number) meets the same visit.
    officer = api_for(web.users["officer_a"], "read", "write")
    cadre = Cadre.objects.get(user=web.users["helper_a"]).pk
    assert officer.post("/visits", {**VISIT, "cadre_id": cadre}).json()["existing_id"] == visit
    # Another time is another visit.
    other = api.post("/visits", {**VISIT, "visited_at": "2024-05-06T10:30:00+08:00"})
    assert other.status_code == 201 and Visit.objects.count() == 2


def test_a_new_key_for_a_visit_already_recorded_is_the_same_409_and_frees_the_key(web):
    api = api_for(web.users["helper_a"], "read", "write")
    first = api.post("/visits", VISIT, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201
    # The same key again: the stored answer, as before.
    assert api.post("/visits", VISIT, headers={"Idempotency-Key": "k-1"}).json() == first.json()
    again = api.post("/visits", VISIT, headers={"Idempotency-Key": "k-2"})
    assert again.status_code == 409 and again.json()["existing_id"] == first.json()["id"]
    # Nothing landed under k-2, so the key is free for the record it is used for next.
    later = api.post("/visits", {**VISIT, "visited_at": "2024-05-07T09:30:00+08:00"}, headers={"Idempotency-Key": "k-2"})
    assert later.status_code == 201 and Visit.objects.count() == 2


def test_the_file_import_refuses_the_visit_the_api_recorded_with_the_same_rule(web, tmp_path):
    api = api_for(web.users["helper_a"], "read", "write")
    visit = api.post("/visits", VISIT).json()["id"]
    cadre = Cadre.objects.get(user=web.users["helper_a"]).pk
    path = tmp_path / "visits.csv"
    path.write_text(f"帮扶人编号,户编号,走访时间\n{cadre},A101-1,2024-05-06 09:30:00\n", encoding="utf-8")
    outcome = import_visits(path, actor="officer_a", user=web.users["officer_a"])
    assert not outcome.written and Visit.objects.count() == 1
    assert [p.column for p in outcome.errors] == ["走访时间"]
    assert outcome.errors[0].rule.startswith("该走访已录入") and f"visit {visit}" in outcome.errors[0].rule
