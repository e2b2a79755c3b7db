"""The phone app in a real browser (Debian's Chromium, headless, Playwright) at phone size, 390×844, with the
location permission granted and a fake position: a visit (with a photo resized and hashed on the phone) and a
day's check-in recorded with the network cut, seen queued, sent when it returns, in the database exactly once
— and still once after a forced resend with the same ids; a record the server refuses comes back in Chinese
words and stays until discarded; another county's household cannot be recorded.

The cast is tests/web_cast.py's: helper_a helps A101-1 in 洗车村 and is made here a member of 洗车村's work
team; B102-1 is in another county."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import struct
import zlib
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.test import Client
from playwright.sync_api import Browser, BrowserContext, Page
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from jingzhun.areas.models import AreaRole
from jingzhun.registry.models import Household
from jingzhun.teams.models import Attendance, Cadre, TeamMembership, Visit, VisitPhoto, WorkTeam
from tests.browser_support import shot
from tests.factories import VILLAGE

PHONE = {"width": 390, "height": 844}
POSITION = {"latitude": 28.512345, "longitude": 109.412345, "accuracy": 15.4}
NOT_IN_AREAS = "不在您的管辖区划内"  # the visits import's refusal of a household outside the user's areas


def png(width: int, height: int) -> bytes:
    """A plain PNG of one colour (a photo stand-in larger than the phone keeps)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    row = b"\x00" + b"\x40\x80\x20" * width
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * height, 9)) + chunk(b"IEND", b""))


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's start-of-frame marker."""
    i = 2
    while i < len(data):
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    raise AssertionError("no frame in the JPEG")


@pytest.fixture
def phone(browser: Browser, committed_web, live_server: LiveServer, settings: Settings,
          request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    """A phone-sized context logged in as helper_a, who helps A101-1 and is made a member of 洗车村's work team."""
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    user = committed_web.users["helper_a"]
    AreaRole.objects.create(user=user, area_id=VILLAGE, role="work_team")
    helper = Cadre.objects.get(user=user)  # 周帮扶, who helps A101-1, joins the village's work team
    TeamMembership.objects.create(cadre=helper, team=WorkTeam.objects.get(village_id=VILLAGE), role="member",
                                  start_date=dt.date(2019, 3, 1))
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True,
                                  has_touch=True, geolocation=POSITION, permissions=["geolocation"])
    context.set_default_timeout(20_000)
    host = live_server.url.split("://", 1)[1].split(":")[0]
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                          "domain": host, "path": "/"}])
    problems: list[str] = []
    context.on("weberror", lambda error: problems.append(f"script error: {error.error}"))
    context.on("console", lambda msg: problems.append(msg.text)
               if msg.type == "error" and "Content Security Policy" in msg.text else None)
    failed = request.session.testsfailed
    yield context
    if request.session.testsfailed > failed:
        for n, page in enumerate(context.pages):
            shot(page, f"failed-{request.node.name}-{n}")
    context.close()
    assert not problems, problems


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url}: {width} px wide"


def queued(page: Page) -> str:
    return page.get_attribute("#outbox-count", "data-queued") or ""


def test_records_made_offline_are_sent_once_when_the_network_returns(phone: BrowserContext) -> None:
    household = Household.objects.get(number="A101-1")
    visit_page = phone.new_page()
    visit_page.goto(f"/m/h/{household.pk}/visit/")
    visit_page.wait_for_selector("#place[data-located='1']")
    assert "误差约 15 米" in visit_page.inner_text("#place")
    no_sideways_scroll(visit_page)
    check_in = phone.new_page()
    check_in.goto("/m/attendance/")
    no_sideways_scroll(check_in)

    phone.set_offline(True)
    visit_page.fill("#notes", "入户了解养殖进展，商议扩大规模")
    visit_page.check("input[name=measures][value=industry]")
    visit_page.set_input_files("#photos", files=[{"name": "photo.png", "mimeType": "image/png",
                                                  "buffer": png(3200, 1800)}])
    visit_page.click("#record button[type=submit]")
    visit_page.wait_for_selector("#saved[data-record]")
    visit_page.locator("#outbox-count[data-queued='1']").wait_for()
    check_in.click("#record button[type=submit]")
    check_in.locator("#outbox-count[data-queued='2']").wait_for()
    shot(check_in, "mobile-offline-queued")
    assert "离线" in check_in.inner_text("#net")
    assert Visit.objects.count() == 0 and Attendance.objects.count() == 0

    phone.set_offline(False)  # "online" fires: the pages send what waits
    visit_page.locator("#outbox-count[data-queued='0']").wait_for()
    visit_page.goto("/m/outbox/")
    sent = visit_page.locator("#outbox-list [data-record][data-state=sent]")
    sent.nth(1).wait_for()
    assert sent.count() == 2
    shot(visit_page, "mobile-outbox-sent")
    no_sideways_scroll(visit_page)

    visit = Visit.objects.get()
    assert visit.household_id == household.pk and visit.channel == "phone"
    assert str(visit.latitude) == "28.512345" and str(visit.longitude) == "109.412345"
    assert str(visit.location_accuracy) == "15.4" and visit.measures == "industry"
    photo = VisitPhoto.objects.get(visit=visit)
    data = bytes(photo.data)
    assert hashlib.sha256(data).hexdigest() == photo.sha256 and photo.size == len(data)
    assert jpeg_size(data) == (1600, 900)  # resized on the phone: the long side to 1600 px
    assert Attendance.objects.get().village_id == VILLAGE and Attendance.objects.get().method == "app"

    # Forced resend of both records with their own ids: the stored answers, nothing lands twice.
    statuses = visit_page.evaluate("""async () => {
        const out = [];
        for (const r of await jingzhunOutbox.all()) { out.push((await jingzhunOutbox.resend(r.id)).status); }
        return out; }""")
    assert statuses == [201, 201]
    assert Visit.objects.count() == 1 and Attendance.objects.count() == 1 and VisitPhoto.objects.count() == 1


def test_a_refused_record_comes_back_in_chinese_and_stays_until_discarded(phone: BrowserContext) -> None:
    other = Household.objects.get(number="B102-1")  # another county
    page = phone.new_page()
    assert page.goto(f"/m/h/{other.pk}/visit/").status == 404  # no page to record it from
    page.goto("/m/outbox/")
    # A record for it made anyway (a stale phone, a crafted request): the API refuses, nothing is written.
    page.evaluate("""() => jingzhunOutbox.add({kind: "visit", url: "/api/v1/visits", label: "走访 B102-1",
        page: "/m/", form: {}, body: {household_number: "B102-1", visited_at: "2024-05-06T09:30:00+08:00",
        notes: "走访"}}).then(() => jingzhunOutbox.flush())""")
    refused = page.locator("[data-record][data-state=refused]")
    refused.wait_for()
    assert NOT_IN_AREAS in refused.locator("[data-reason]").inner_text()
    assert Visit.objects.count() == 0
    shot(page, "mobile-outbox-refused")
    # Kept across a reload, until the person discards it.
    page.reload()
    page.locator("[data-record][data-state=refused]").wait_for()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("[data-record][data-state=refused] [data-discard]")
    page.locator("#outbox-list [data-record]").first.wait_for(state="detached")
    assert page.locator("#outbox-list [data-record]").count() == 0


def noise_png(side: int, seed: int) -> bytes:
    """A PNG of random pixels: its JPEG stays large (a photo stand-in the phone cannot make small)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    pixels = random.Random(seed).randbytes(side * side * 3)
    rows = b"".join(b"\x00" + pixels[y * side * 3:(y + 1) * side * 3] for y in range(side))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def test_photos_over_the_servers_total_are_not_queued_and_the_page_says_why(phone: BrowserContext, monkeypatch) -> None:
    """The page's bound is the server's one constant (patched here to about 1 MB of JPEG: a second number in
    the script would not follow it); a visit over it is told in the page's words and never queued."""
    from jingzhun.api.routes import work

    monkeypatch.setattr(work, "PHOTOS_TOTAL_BASE64", 4 * 2**20 // 3)
    household = Household.objects.get(number="A101-1")
    page = phone.new_page()
    page.goto(f"/m/h/{household.pk}/visit/")
    assert page.get_attribute("#record", "data-photos-total") == str(4 * 2**20 // 3)
    page.fill("#notes", "拍了四张照片")
    page.set_input_files("#photos", files=[{"name": f"photo-{n}.png", "mimeType": "image/png",
                                            "buffer": noise_png(1600, n)} for n in range(4)])
    page.click("#record button[type=submit]")
    page.wait_for_selector("#saved[data-refused=photos]", timeout=60_000)
    said = page.inner_text("#saved")
    assert said == page.get_attribute("#record", "data-photos-over") and "1 MB" in said
    assert page.get_attribute("#saved", "data-record") is None and queued(page) == "0"
    assert page.evaluate("() => jingzhunOutbox.all().then(rows => rows.length)") == 0
    assert page.is_enabled("#record button[type=submit]")  # to choose other photos and save again
    assert Visit.objects.count() == 0


def test_pages_fit_a_phone(phone: BrowserContext) -> None:
    household = Household.objects.get(number="A101-1")
    page = phone.new_page()
    for url in ("/m/", f"/m/h/{household.pk}/", f"/m/h/{household.pk}/report/", "/m/attendance/", "/m/outbox/"):
        assert page.goto(url).status == 200, url
        no_sideways_scroll(page)
    shot(page, "mobile-outbox")


def test_a_record_left_by_another_user_of_the_phone_is_not_sent_as_this_ones(phone: BrowserContext) -> None:
    page = phone.new_page()
    page.goto("/m/outbox/")
    # Left in the phone's outbox by team_b, who used this phone before: a visit to a household of this user's.
    page.evaluate("""() => new Promise((ok, fail) => {
        const opened = indexedDB.open("jingzhun-outbox", 1);
        opened.onsuccess = () => {
            const tx = opened.result.transaction("records", "readwrite");
            tx.objectStore("records").put({id: "left-by-team-b", user: "team_b", state: "queued", kind: "visit",
                created: "2024-05-06T01:00:00Z", url: "/api/v1/visits", label: "走访 A101-1", page: "/m/",
                body: {household_number: "A101-1", visited_at: "2024-05-06T09:30:00+08:00", notes: "别人的"}});
            tx.oncomplete = () => { opened.result.close(); ok(); };
            tx.onerror = () => fail(tx.error);
        };
        opened.onerror = () => fail(opened.error);
    })""")
    page.evaluate("() => jingzhunOutbox.flush()")
    page.reload()
    page.locator("#send-now").click()
    page.evaluate("() => jingzhunOutbox.flush()")
    assert page.locator("#outbox-list [data-record]").count() == 0  # not this user's to see
    assert Visit.objects.count() == 0
