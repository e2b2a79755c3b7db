"""The cards (明白卡) and files (户档案) of a village as one PDF: A4, Chinese text, one household per page (or more),
masked IDs only, scoped and audited as the print pages are.

The PDF is opened with pypdf, a reader independent of the writer (reportlab). The expected facts come from the
cast (tests/web_cast.py).
"""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse

from jingzhun.audit.models import AuditEntry
from jingzhun.identity import mask
from tests.factories import OTHER_VILLAGE, VILLAGE, VILLAGE2
from tests.web_cast import HOUSEHOLDS, page

pypdf = pytest.importorskip("pypdf")

A4 = (595.28, 841.89)  # points, ISO 216


def pdf_of(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"] and "no-store" in response["Cache-Control"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith(b"%PDF-")
    return body


def pages(body: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(body))
    for sheet in reader.pages:
        box = sheet.mediabox
        assert (round(float(box.width), 1), round(float(box.height), 1)) == (round(A4[0], 1), round(A4[1], 1))
    return [sheet.extract_text() for sheet in reader.pages]


def households_per_page(texts: list[str]) -> list[str]:
    """The household each page begins (its heading's 户编号), or "" for a household's continuation page."""
    out = []
    for text in texts:
        found = re.search(r"户编号 (\S+)", text)
        out.append(found.group(1) if found else "")
    return out


@pytest.mark.parametrize("kind", ["card", "file"])
def test_a_village_pdf_holds_each_visible_household_from_a_page_of_its_own_with_masked_ids(web, kind):
    body = pdf_of(web.client("officer_a"), reverse("web:village_paper_pdf", args=[VILLAGE, kind]))
    texts = pages(body)
    starts = [n for n in households_per_page(texts) if n]
    assert starts == ["A101-1", "A101-3"]  # the village's households officer_a sees, by number, each from a new page
    text = "\n".join(texts)
    assert ("扶贫明白卡" if kind == "card" else "贫困户档案") in text
    for number in starts:
        _, size, status, _, cause, head = HOUSEHOLDS[number]
        assert head in text and status in text and cause in text
        for row in web.rows[number]:
            clear = row["resident_id"]
            assert mask(clear) in text
            assert clear not in text and clear.encode() not in body  # never the clear ID, not even in the file's bytes
    # Another village's and another county's households are not in it.
    assert "A101-2" not in text and "B102-1" not in text and "王小川" not in text
    entry = AuditEntry.objects.filter(action=f"print.{kind}").latest("pk")
    assert (entry.actor, entry.area, entry.object_id, entry.detail["count"], entry.detail["format"]) == (
        "officer_a", VILLAGE, VILLAGE, 2, "pdf")


def test_the_card_pdf_carries_the_helper_team_and_members_as_the_page_does(web):
    text = "\n".join(pages(pdf_of(web.client("officer_a"), reverse("web:household_paper_pdf", args=["A101-1", "card"]))))
    assert "户编号 A101-1" in text and "周帮扶" in text and "县农业农村局" in text and "队员0（第一书记）" in text
    assert text.count("驻村工作队") >= 3
    for row in web.rows["A101-1"]:
        assert mask(row["resident_id"]) in text


def test_the_file_pdf_has_the_nine_sections_in_order(web):
    text = "\n".join(pages(pdf_of(web.client("officer_a"), reverse("web:household_paper_pdf", args=["A101-1", "file"]))))
    heads = re.findall(r"([一二三四五六七八九])、", text)
    assert heads == list("一二三四五六七八九")


def test_pdfs_outside_the_users_areas_are_not_found_and_not_audited(web):
    b = web.client("officer_b")
    for kind in ("card", "file"):
        page(b, reverse("web:village_paper_pdf", args=[VILLAGE, kind]), 404)
        page(b, reverse("web:household_paper_pdf", args=["A101-1", kind]), 404)
        page(web.client("township_a"), reverse("web:village_paper_pdf", args=[OTHER_VILLAGE, kind]), 404)
        page(web.client("no_role"), reverse("web:village_paper_pdf", args=[VILLAGE, kind]), 403)
        # A PDF is a download: a helper (no "export") gets none, not even of their own household A101-1.
        page(web.client("helper_a"), reverse("web:household_paper_pdf", args=["A101-3", kind]), 403)
        page(web.client("helper_a"), reverse("web:household_paper_pdf", args=["A101-1", kind]), 403)
        page(web.client("helper_a"), reverse("web:village_paper_pdf", args=[VILLAGE, kind]), 403)
    assert not AuditEntry.objects.filter(action__startswith="print.").exists()
    # The township officer's village PDF holds their township's village.
    township = pages(pdf_of(web.client("township_a"), reverse("web:village_paper_pdf", args=[VILLAGE2, "card"])))
    assert [n for n in households_per_page(township) if n] == ["A101-2"]


def test_a_village_of_no_visible_household_gives_a_one_page_pdf_saying_so(web):
    from jingzhun.registry.models import Household

    Household.objects.filter(village_id=VILLAGE2).delete()
    texts = pages(pdf_of(web.client("officer_a"), reverse("web:village_paper_pdf", args=[VILLAGE2, "card"])))
    assert len(texts) == 1 and "没有可打印的农户" in texts[0]


def test_the_print_page_links_to_its_pdf(web):
    html = page(web.client("officer_a"), reverse("web:village_paper", args=[VILLAGE, "card"]))
    assert f'href="{reverse("web:village_paper_pdf", args=[VILLAGE, "card"])}"' in html
    html = page(web.client("officer_a"), reverse("web:household_paper", args=["A101-1", "file"]))
    assert f'href="{reverse("web:household_paper_pdf", args=["A101-1", "file"])}"' in html


def test_text_that_looks_like_markup_is_printed_as_typed(web):
    from jingzhun.plans.models import HelpPlan, PlanMeasure
    from jingzhun.registry.models import Household

    h = Household.objects.get(number="A101-1")
    # reportlab's Paragraph reads XML-like markup: a user's text must never be taken as markup (a long text goes
    # through a Paragraph, a short one is drawn as it is; both kinds here).
    long = "<font name='Courier'>上门</font> & <b>随访" * 4  # 148 characters: the field holds 200
    plan = HelpPlan.objects.create(household=h, year=2020, goal="<i>稳定增收</i>",
                                   drafted_by=web.users["officer_a"])
    PlanMeasure.objects.create(plan=plan, category="health", description=long, amount=1)
    PlanMeasure.objects.create(plan=plan, category="health", description="<br/>&", amount=2)
    text = "\n".join(pages(pdf_of(web.client("officer_a"), reverse("web:household_paper_pdf", args=["A101-1", "file"]))))
    flat = re.sub(r"\s+", "", text)
    assert "<i>稳定增收</i>" in flat and "<br/>&" in flat and re.sub(r"\s+", "", long)[:40] in flat
