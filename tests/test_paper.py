"""Officers' paper: the household card (明白卡) and file (户档案), alone and for a village in bulk.

The expected facts come from the cast (tests/web_cast.py): its households, their first members' names and
sizes, helper_a's pair with A101-1 and the work team of three in 洗车村 (VILLAGE).
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse

from jingzhun.audit.models import AuditEntry
from jingzhun.identity import mask
from jingzhun.registry.models import Household, IncomeRecord, StatusEvent
from tests.factories import OTHER_VILLAGE, VILLAGE, VILLAGE2
from tests.web_cast import HOUSEHOLDS, SEES, numbers_in, page

CARD = "card"
FILE = "file"


def sheets(html: str) -> list[str]:
    """The households printed, one per sheet, in order."""
    return re.findall(r'<section class="sheet" data-household="([^"]+)"', html)


def sheet_of(html: str, number: str) -> str:
    found = re.search(rf'<section class="sheet" data-household="{re.escape(number)}">(.*?)</section>', html, re.S)
    assert found, number
    return found.group(1)


def in_village(village: str, user: str) -> list[str]:
    return sorted(n for n, facts in HOUSEHOLDS.items() if facts[0] == village and n in SEES[user])


def test_a_card_shows_its_household_facts_with_masked_ids_and_birth_years_only(web):
    html = page(web.client("officer_a"), reverse("web:household_paper", args=["A101-1", CARD]))
    assert sheets(html) == ["A101-1"]
    body = sheet_of(html, "A101-1")
    village, size, status, _, cause, head = HOUSEHOLDS["A101-1"]
    assert re.search(rf"<td data-head>{head}</td>", body) and f"{size} 人" in body and status in body and cause in body
    for row in web.rows["A101-1"]:
        clear = row["resident_id"]
        assert clear not in html  # never the clear ID
        assert mask(clear) in body
        # The birth year alone: the full date next to the masked ID would give the ID back.
        assert f"{clear[6:10]}-{clear[10:12]}-{clear[12:14]}" not in html
        assert f"<td>{clear[6:10]}</td>" in body
    # The helper and the work team (with the first secretary as the village's contact).
    assert "<td data-helper>周帮扶</td>" in body and "县农业农村局" in body
    assert body.count("<td>驻村工作队") == 3 and "队员0（第一书记）" in body
    assert html.count('data-id>') == size


def test_a_household_of_another_village_has_no_team_and_says_it_has_no_helper(web):
    body = sheet_of(page(web.client("officer_a"), reverse("web:household_paper", args=["A101-2", CARD])), "A101-2")
    assert "（未结对）" in body and "<td>驻村工作队" not in body and "周帮扶" not in body


def test_the_file_prints_income_with_net_and_per_capita_and_the_events_year(web):
    h = Household.objects.get(number="A101-1")
    IncomeRecord.objects.filter(household=h).delete()
    # Net = 12,000 + 3,000 + 500 + 1,234.56 - 1,000 = 15,734.56; per person over 4 members = 3,933.64.
    IncomeRecord.objects.create(household=h, year=2019, wage_income=Decimal("12000"), production_income=Decimal("3000"),
                                production_costs=Decimal("1000"), property_income=Decimal("500"),
                                transfer_income=Decimal("1234.56"))
    StatusEvent.objects.filter(household=h).delete()
    StatusEvent.objects.create(household=h, status="poor", year=2016, reason="识别", recorded_at="2024-05-01T00:00Z")
    html = page(web.client("officer_a"), reverse("web:household_paper", args=["A101-1", FILE]))
    row = re.search(r'<tr data-income="2019">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells == ["2019", "12,000.00", "3,000.00", "1,000.00", "500.00", "1,234.56", "15,734.56", "3,933.64"]
    assert "<td>2016</td><td>贫困户</td><td>识别</td>" in html and "2024" not in re.sub(r"打印日期.*", "", html)
    # The register's sections in the official order.
    heads = re.findall(r"<h2>([一二三四五六七八九])、", html)
    assert heads == list("一二三四五六七八九")
    assert web.resident_id("A101-1") not in html and mask(web.resident_id("A101-1")) in html


def test_a_village_prints_every_visible_household_one_per_sheet_and_is_audited(web):
    for kind in (CARD, FILE):
        html = page(web.client("officer_a"), reverse("web:village_paper", args=[VILLAGE, kind]))
        assert sheets(html) == in_village(VILLAGE, "officer_a") == ["A101-1", "A101-3"]
        assert "page-break-after: always" in html and "size: A4" in html and "WenQuanYi Micro Hei" in html
        entry = AuditEntry.objects.filter(action=f"print.{kind}").latest("pk")
        assert (entry.actor, entry.area, entry.object_id, entry.detail["count"]) == ("officer_a", VILLAGE, VILLAGE, 2)
    # The audit page names the prints in Chinese, with the count.
    log = page(web.client("officer_a"), reverse("web:audit"))
    assert "打印明白卡" in log and "打印户档案" in log


def test_out_of_area_households_are_never_printed(web):
    b = web.client("officer_b")
    for kind in (CARD, FILE):
        # Another county's village and household: not found, and nothing audited as printed.
        page(b, reverse("web:village_paper", args=[VILLAGE, kind]), 404)
        page(b, reverse("web:household_paper", args=["A101-1", kind]), 404)
        page(web.client("township_a"), reverse("web:village_paper", args=[OTHER_VILLAGE, kind]), 404)
        page(web.client("no_role"), reverse("web:village_paper", args=[VILLAGE, kind]), 403)
    assert not AuditEntry.objects.filter(action__startswith="print.").exists()
    # The township officer prints the villages of their township; the county officer of B only B's.
    township = web.client("township_a")
    assert sheets(page(township, reverse("web:village_paper", args=[VILLAGE2, CARD]))) == ["A101-2"]
    assert numbers_in(page(b, reverse("web:village_paper", args=[OTHER_VILLAGE, CARD]))) == {"B102-1", "B102-2"}
    # A print is a download (it needs "export"): a helper sees their household but prints nothing, not even it.
    for url in (reverse("web:village_paper", args=[VILLAGE, CARD]), reverse("web:household_paper", args=["A101-1", CARD]),
                reverse("web:household_paper", args=["A101-3", CARD])):
        page(web.client("helper_a"), url, 403)
    assert not AuditEntry.objects.filter(action__startswith="print.", actor="helper_a").exists()


def test_junk_codes_and_kinds_are_not_found(web):
    client = web.client("root")
    for url in (reverse("web:village_paper", args=["433130", CARD]), reverse("web:village_paper", args=[VILLAGE, "x"]),
                reverse("web:village_paper", args=["433130000000", CARD]),  # a county, not a village
                reverse("web:household_paper", args=["A101-1", "pdf"]), reverse("web:household_paper", args=["nope", CARD])):
        page(client, url, 404)


def test_the_household_page_and_the_village_dashboard_link_to_the_prints(web):
    client = web.client("officer_a")
    household = page(client, reverse("web:household", args=["A101-1"]))
    assert reverse("web:household_paper", args=["A101-1", CARD]) in household
    assert reverse("web:household_paper", args=["A101-1", FILE]) in household
    board = page(client, reverse("web:dashboard_area", args=[VILLAGE]))
    assert reverse("web:village_paper", args=[VILLAGE, CARD]) in board
    assert reverse("web:village_paper", args=[VILLAGE, FILE]) in board
