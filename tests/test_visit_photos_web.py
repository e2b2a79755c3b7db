"""Officers see a visit's phone photos on the web: the household page links the visit, the visit's page shows
thumbnails, each photo is served through the household's scope (404 outside, and for a photo of another visit or
one known only by reference) and audited as `visit.photo_shown`, and no cache may keep it.

The cast (tests/web_cast.py): A101-1 in county A, helped by helper_a; B102-1 in county B. Each has one phone visit
with one photo kept; A101-1's visit also names a photo by reference only (a file's import)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse

from jingzhun.audit.models import AuditEntry
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre, Visit, VisitPhoto
from tests.web_cast import SEES, page

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
OTHER_JPEG = JPEG[:-2] + b"\x01\xff\xd9"
REFERENCE = "ab" * 32  # a file's import names it; no bytes are kept


def phone_visit(number: str, data: bytes) -> Visit:
    household = Household.objects.get(number=number)
    cadre = Cadre.objects.get(name="周帮扶")
    at = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    visit = Visit.objects.create(cadre=cadre, household=household, village_id=household.village_id, visited_at=at,
                                 recorded_at=at, entered_by="helper_a", notes="入户核实", channel="phone")
    VisitPhoto.objects.create(visit=visit, file="photo-1.jpg", sha256=hashlib.sha256(data).hexdigest(), data=data,
                              size=len(data))
    return visit


@pytest.fixture
def photos(web):
    a = phone_visit("A101-1", JPEG)
    VisitPhoto.objects.create(visit=a, file="scan.jpg", sha256=REFERENCE)
    b = phone_visit("B102-1", OTHER_JPEG)
    return web, a, b


def photo_url(number: str, visit: Visit, digest: str) -> str:
    return reverse("web:visit_photo", args=[number, visit.pk, digest])


def test_the_household_page_links_the_visit_and_its_page_shows_the_kept_photos(photos):
    web, a, _b = photos
    client = web.client("officer_a")
    html = page(client, reverse("web:household", args=["A101-1"]))
    assert reverse("web:visit", args=["A101-1", a.pk]) in html and "(1)" in html  # the kept photo only
    html = page(client, reverse("web:visit", args=["A101-1", a.pk]))
    assert html.count("<img ") == 1 and photo_url("A101-1", a, hashlib.sha256(JPEG).hexdigest()) in html
    assert REFERENCE not in html
    assert not AuditEntry.objects.filter(action="visit.photo_shown").exists()  # no photo fetched yet


def test_a_photo_is_served_privately_and_audited_each_time(photos):
    web, a, _b = photos
    client = web.client("helper_a")  # the household's own helper sees it too
    digest = hashlib.sha256(JPEG).hexdigest()
    for _ in range(2):
        response = client.get(photo_url("A101-1", a, digest))
        assert response.status_code == 200 and response.content == JPEG
        assert response["Content-Type"] == "image/jpeg" and response["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    entries = AuditEntry.objects.filter(action="visit.photo_shown").order_by("pk")
    assert [(e.actor, e.object_id, e.area, e.detail) for e in entries] == [
        ("helper_a", str(a.pk), a.village_id, {"sha256": digest})] * 2


@pytest.mark.parametrize("username", list(SEES))
def test_each_user_gets_the_photos_of_their_households_only(photos, username):
    web, a, b = photos
    client = web.client(username)
    for number, visit, data in (("A101-1", a, JPEG), ("B102-1", b, OTHER_JPEG)):
        digest = hashlib.sha256(data).hexdigest()
        allowed = number in SEES[username]
        expected = 200 if allowed else 403 if username == "no_role" else 404
        response = client.get(photo_url(number, visit, digest))
        assert response.status_code == expected, (username, number, response.status_code)
        assert (response.status_code == 200) == allowed
        assert client.get(reverse("web:visit", args=[number, visit.pk])).status_code == expected
    shown = AuditEntry.objects.filter(action="visit.photo_shown").count()
    assert shown == len(SEES[username] & {"A101-1", "B102-1"})


def test_no_photo_through_another_households_address_or_by_reference(photos):
    web, a, b = photos
    client = web.client("root")
    other = hashlib.sha256(OTHER_JPEG).hexdigest()
    # B102-1's photo asked for under A101-1 (which root may see), A101-1's visit under B102-1, a reference only.
    for url in (photo_url("A101-1", b, other), photo_url("A101-1", a, other), photo_url("B102-1", a, other),
                photo_url("A101-1", a, REFERENCE), photo_url("A101-1", a, "not-a-digest"),
                reverse("web:visit", args=["B102-1", a.pk])):
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action="visit.photo_shown").exists()
