"""Red team (stop 21): a resident ID never lands in a URL, however it was typed.

An ID copied from a paper form or a chat often comes in groups ("433130 19900101 123X"), with hyphens, or in
full-width digits from a Chinese input method. The register list sends a name or number search back as a GET
(so it pages and bookmarks); an ID typed like that was not recognised as an ID, went back as `?q=433130…` into
the address bar, the server's and the proxy's access logs and the browser's history, and was searched as a name.
The expected IDs are the cast's (tests/web_cast.py); the groupings are written out by hand.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.urls import reverse

from tests.api_support import api_for
from tests.web_cast import numbers_in

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def typings(rid: str) -> list[str]:
    """The same ID as people type it: grouped 6-8-4 by spaces, by hyphens, with a stray space inside, and in
    full-width characters."""
    return [f"{rid[:6]} {rid[6:14]} {rid[14:]}", f"{rid[:6]}-{rid[6:14]}-{rid[14:]}", f"{rid[:9]} {rid[9:]}",
            rid.translate(FULL_WIDTH)]


def digits_of(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def test_an_id_typed_in_groups_or_full_width_is_searched_in_place_not_sent_into_a_link(web):
    client = web.client("officer_a")
    rid = web.resident_id("A101-2", 2)
    for typed in typings(rid):
        response = client.post(reverse("web:households"), {"q": typed, "area": ""})
        assert response.status_code == 200, (typed, response.get("Location"))  # answered in place, no redirect
        html = response.content.decode()
        assert numbers_in(html) == {"A101-2"}, typed  # found through the blind index, as the plain ID is
        links = " ".join(re.findall(r'(?:href|action)="([^"]*)"', html))
        assert rid[6:14] not in digits_of(unicodedata.normalize("NFKC", links)), typed  # no link carries it


def test_an_id_typed_in_groups_in_a_get_is_not_searched_and_dropped_from_the_link(web):
    client = web.client("officer_a")
    rid = web.resident_id("A101-2", 2)
    for typed in typings(rid):
        response = client.get(reverse("web:households"), {"q": typed, "status": "poor"})
        assert response.status_code == 302, typed
        assert response["Location"] == reverse("web:households") + "?status=poor", typed


def test_the_api_refuses_an_id_typed_in_groups_in_the_url(web):
    api = api_for(web.users["officer_a"])
    rid = web.resident_id("A101-2", 2)
    for typed in typings(rid):
        response = api.get("/households", q=typed)
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "q", typed


def test_a_name_or_a_number_still_goes_back_as_a_get(web):
    """What is not an ID keeps its bookmarkable GET: a name, a household number, a 12-digit area code."""
    client = web.client("officer_a")
    for typed in ("王大", "A102-1", "433130101201"):
        response = client.post(reverse("web:households"), {"q": typed})
        assert response.status_code == 302 and "q=" in response["Location"], typed


@pytest.fixture
def uploads_here(settings, tmp_path):
    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    settings.UPLOADS_SYNCHRONOUS = True


def test_an_id_in_an_uploaded_files_name_reaches_no_page_record_or_log_line(web, uploads_here):
    """Officers name a household's file by its head's ID ("433130…-王小川.csv"). The name was kept as given: in
    the upload's row and page, in the audit log's `file` (a log line kept for years), in the error report. It
    is kept masked as every ID shown is (first 6 and last 4), wherever it goes."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from jingzhun.audit.models import AuditEntry
    from jingzhun.web.models import Upload

    rid = web.resident_id("A101-2", 1)
    name = f"{rid}-王小川.csv"
    text = "村代码,年度,户数\n" + "433130101201,2023,12\n"
    client = web.client("officer_a")
    response = client.post(reverse("web:imports"), {"kind": "village_records",
                                                     "file": SimpleUploadedFile(name, text.encode())}, follow=True)
    assert response.status_code == 200
    upload = Upload.objects.get()
    client.post(reverse("web:upload_confirm", args=[upload.token]), {"mode": "all"})
    shown = client.get(reverse("web:upload", args=[upload.token])).content.decode()
    shown += client.get(reverse("web:imports")).content.decode() + client.get(reverse("web:audit")).content.decode()
    kept = " ".join([Upload.objects.get().file_name, *(str(e.detail) + e.object_id for e in AuditEntry.objects.all())])
    assert rid[6:14] not in kept and rid[6:14] not in shown
    assert f"{rid[:6]}********{rid[-4:]}-王小川.csv" in Upload.objects.get().file_name
