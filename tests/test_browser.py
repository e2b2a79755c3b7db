"""The web application in a real browser: Debian's Chromium, headless, driven by Playwright (sync API)
against pytest-django's live server on the test database.

Each test builds the same small register (below) and the users it needs; every expected figure, row and
ID is worked out from that table, never read back from the application. One browser per module, a fresh
context (cookies, language) per user. Screenshots of each step go to test-artifacts/screenshots/.

The register (two counties of tests/factories.py):
  龙山县 433130 › 石牌镇 433130101 › 洗车村 …201: XC-01 poor 4 people, XC-02 poor 3, XC-03 exited 2
                                    › 白岩村 …202: BY-01 poor 2
  永顺县 433127 › 灵溪镇 › 司城村 …203:            SC-01 poor 3  (another county: never seen by 龙山县's users)
Rural population (村情 2019): 洗车村 300, 白岩村 200, 司城村 150.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission, User
from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer
from python_calamine import CalamineWorkbook

from jingzhun.areas.models import AreaRole, VillageRecord
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household, Member
from jingzhun.teams import pairing_db
from jingzhun.teams.models import Cadre
from tests import browser_support
from tests.browser_support import cells, log_in, new_context, shot
from tests.factories import (
    COUNTY,
    OTHER_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    household_rows,
    make_areas,
    write_csv,
)

PASSWORD = "Zhen-que 2020!"  # noqa: S105 - a test user's password

# number → (village, members, status as written in the file, seed for distinct resident IDs)
REGISTER = {
    "XC-01": (VILLAGE, 4, "贫困户", 1),
    "XC-02": (VILLAGE, 3, "贫困户", 2),
    "XC-03": (VILLAGE, 2, "已脱贫", 3),
    "BY-01": (VILLAGE2, 2, "贫困户", 4),
    "SC-01": (OTHER_VILLAGE, 3, "贫困户", 5),
}
POPULATION_2019 = {VILLAGE: 300, VILLAGE2: 200, OTHER_VILLAGE: 150}  # 村情: rural population of each village
POOR_NOW = {"贫困户", "返贫"}  # the dashboard's "poor now" (docs/measures.md)
# Unlike every other name in the register, given to the head of XC-02 and of SC-01 (outside 龙山县).
RARE_SURNAME = "欧阳"


def within(code: str, village: str) -> bool:
    """Is the village in the area `code`? (12-digit codes: an area's villages share its non-zero prefix.)"""
    return village.startswith(code.rstrip("0"))


def poor_figures(code: str) -> tuple[int, int]:
    """(poor households, poor people) in an area, counted from REGISTER."""
    poor = [(n, size) for n, (village, size, status, _) in REGISTER.items() if status in POOR_NOW and within(code, village)]
    return len(poor), sum(size for _, size in poor)


def incidence(code: str) -> str:
    """Poor people over the rural population, as the dashboard writes a percentage (one decimal)."""
    population = sum(n for village, n in POPULATION_2019.items() if within(code, village))
    return f"{round(100 * poor_figures(code)[1] / population, 1)}%"


@functools.cache
def password_hash() -> str:
    """The test password hashed once with the site's hasher (Argon2): hashing takes most of a second on a
    busy machine, and logging in still verifies against this real Argon2 hash."""
    return make_password(PASSWORD)


@dataclass
class World:
    rows: dict[str, list[dict[str, str]]]  # household number → its template rows
    users: dict[str, User] = field(default_factory=dict)

    def user(self, name: str, role: str, area: str, *, reveal: bool = False) -> User:
        user = User.objects.create(username=name, password=password_hash())
        AreaRole.objects.create(user=user, area_id=area, role=role)
        if reveal:
            user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive", content_type__app_label="registry"))
        self.users[name] = user
        return user

    def ids(self, number: str) -> list[str]:
        return [r["resident_id"] for r in self.rows[number]]


@pytest.fixture
def world(browser: Browser, committed_db: None, live_server: LiveServer, settings: Settings, tmp_path: Path) -> World:
    # The live server speaks plain HTTP: secure-only cookies would never come back. Uploads import within
    # the request so the page after "import" shows the outcome.
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.UPLOADS_SYNCHRONOUS = True
    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    make_areas()
    for village, population in POPULATION_2019.items():
        VillageRecord.objects.create(village_id=village, year=2019, population=population)
    rows: dict[str, list[dict[str, str]]] = {}
    for number, (village, size, status, seed) in REGISTER.items():
        rows[number] = household_rows(number, village, size=size, seed=seed)
        rows[number][0]["status"] = status
        if status == "已脱贫":
            rows[number][0]["exit_year"] = "2018"
    for number in ("XC-02", "SC-01"):
        rows[number][0]["name"] = RARE_SURNAME + ("春华" if number == "XC-02" else "明远")
    path = write_csv(tmp_path / "register.csv", [r for number in REGISTER for r in rows[number]])
    result = import_register(path, actor="test", mode="all")
    assert not result.errors and result.households == len(REGISTER)
    return World(rows)


Opener = Callable[[str], Page]


@pytest.fixture
def fresh_context(browser: Browser, live_server: LiveServer,
                  request: pytest.FixtureRequest) -> Iterator[Callable[[], BrowserContext]]:
    """fresh_context() → a new browser context (own cookies) on the live server. Script errors and Content
    Security Policy violations on any of its pages fail the test: a chart that throws is a broken page.
    When the test fails, every open page is kept as a screenshot (failed-<test>-<n>.png)."""
    contexts: list[BrowserContext] = []
    problems: list[str] = []
    failed_before = request.session.testsfailed

    def make() -> BrowserContext:
        context = new_context(browser, live_server.url)
        context.on("weberror", lambda error: problems.append(f"script error: {error.error}"))
        context.on("console", lambda msg: problems.append(msg.text)
                   if msg.type == "error" and "Content Security Policy" in msg.text else None)
        contexts.append(context)
        return context

    yield make
    # The call's report is logged before this teardown runs, so a failure has been counted already.
    if request.session.testsfailed > failed_before:
        for n, page in enumerate(p for context in contexts for p in context.pages):
            shot(page, f"failed-{request.node.name}-{n}")
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def open_as(fresh_context: Callable[[], BrowserContext]) -> Opener:
    """open_as(username) → a page logged in through the form, in a fresh browser context."""

    def opener(username: str) -> Page:
        page = fresh_context().new_page()
        log_in(page, username, PASSWORD)
        assert page.locator(f"[data-user='{username}']").count() == 1, f"{username} is not logged in"
        return page

    return opener


def http_status(page: Page, url: str) -> int:
    """Go to `url` and return the HTTP status of the page."""
    response = page.goto(url)
    assert response is not None
    return response.status


def figure(page: Page, name: str) -> str:
    return page.inner_text(f"[data-figure='{name}']").strip()


def charts_drawn(page: Page) -> None:
    """Every chart on the page is drawn by ECharts (data-drawn="1") as an SVG."""
    charts = page.locator("div.chart")
    assert charts.count() >= 3
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart_id = chart.get_attribute("id")
        page.wait_for_selector(f"#{chart_id}[data-drawn='1'] svg")


def test_login_in_chinese_and_wrong_password(world: World, fresh_context: Callable[[], BrowserContext]) -> None:
    world.user("officer_ls", "officer", COUNTY)
    page = fresh_context().new_page()
    page.goto("/")  # not logged in: to the login form
    assert "/login/" in page.url
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.inner_text("h1") == "登录"
    shot(page, "login-1-form")

    log_in(page, "officer_ls", "not the password")
    assert page.inner_text("p.message.error") == "用户名或密码错误，或失败次数过多，请稍后再试。"
    assert page.locator("[data-user]").count() == 0
    shot(page, "login-2-wrong-password")
    assert AuditEntry.objects.filter(actor="officer_ls", action="login_failed").count() == 1

    log_in(page, "officer_ls", PASSWORD)
    assert page.inner_text("[data-user]") == "officer_ls"
    nav = page.locator("header nav a").all_inner_texts()
    assert "统计总览" in nav and "建档立卡" in nav
    assert "Dashboard" not in page.inner_text("header nav")
    shot(page, "login-3-dashboard")
    assert AuditEntry.objects.filter(actor="officer_ls", action="login").count() == 1


def test_dashboard_drills_down_to_a_village(world: World, open_as: Opener) -> None:
    world.user("officer_ls", "officer", COUNTY)
    page = open_as("officer_ls")
    page.goto("/dashboard/")
    for step, (code, name, below) in enumerate([(COUNTY, "龙山县", TOWNSHIP), (TOWNSHIP, "石牌镇", VILLAGE),
                                                (VILLAGE, "洗车村", None)], start=1):
        assert page.inner_text("h1").startswith(name), page.inner_text("h1")
        households, people = poor_figures(code)
        assert figure(page, "poor_households") == str(households), code
        assert figure(page, "poor_people") == str(people), code
        assert figure(page, "incidence") == incidence(code), code
        charts_drawn(page)
        shot(page, f"dashboard-{step}-{code}")
        if below is None:
            assert page.locator("#children").count() == 0  # a village has no areas below
            break
        # The table of areas below lists the children in scope, each with its own poor households.
        links = page.locator("#children a[data-area]")
        shown = dict(zip([links.nth(i).get_attribute("data-area") for i in range(links.count())],
                         [int(r[1]) for r in cells(page, "#children")], strict=True))
        children = {TOWNSHIP} if code == COUNTY else {VILLAGE, VILLAGE2}
        assert shown == {c: poor_figures(c)[0] for c in children}
        page.click(f"#children a[data-area='{below}']")
        page.wait_for_url(f"**/dashboard/{below}/")
    # On a phone the charts are drawn again, to the narrow screen, and nothing runs off its side.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/dashboard/{COUNTY}/")
    charts_drawn(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    widths = page.evaluate("Array.from(document.querySelectorAll('div.chart svg')).map(e => e.getBoundingClientRect().width)")
    assert widths and all(0 < w <= 390 for w in widths), widths
    shot(page, "dashboard-4-phone")
    page.goto(f"/dashboard/{VILLAGE}/")
    # The trail leads back up, and the other county is not reachable.
    assert page.locator("p.trail a").all_inner_texts() == ["龙山县", "石牌镇"]
    assert http_status(page, f"/dashboard/{OTHER_VILLAGE}/") == 404


def test_search_and_masked_household_page(world: World, open_as: Opener) -> None:
    world.user("officer_ls", "officer", COUNTY)
    page = open_as("officer_ls")
    page.click("header nav a[data-page='web:households']")
    page.wait_for_url("**/households/")

    def search(text: str) -> list[str]:
        page.fill("#search-q", text)
        with page.expect_navigation():
            page.press("#search-q", "Enter")
        return page.locator("#households tbody a").all_inner_texts()

    # Name prefix: SC-01's head shares it but lives in another county.
    assert search(RARE_SURNAME) == ["XC-02"]
    shot(page, "search-1-name")
    # A full resident ID of a spouse (not the head): exact, through the blind index.
    assert search(world.ids("XC-01")[1]) == ["XC-01"]
    shot(page, "search-2-resident-id")
    assert search(world.ids("SC-01")[0]) == []  # out of scope: as if unknown
    assert search("BY-01") == ["BY-01"]
    shot(page, "search-3-household-number")

    with page.expect_navigation():
        page.click("#households a:text-is('BY-01')")
    assert page.inner_text("h1").startswith("贫困户 BY-01")
    ids = world.ids("BY-01")
    # Masked on screen: the first 6 and the last 4 characters of the 18 (by hand, not jingzhun.identity.mask).
    assert page.locator("[data-masked-id]").all_inner_texts() == [i[:6] + "*" * 8 + i[-4:] for i in ids]
    content = page.content()
    for number in REGISTER:
        for clear in world.ids(number):
            assert clear not in content
    page.wait_for_selector("#chart-income[data-drawn='1'] svg")  # the income history chart
    shot(page, "search-4-household")


def test_reveal_refused_without_permission_and_granted_with_it(world: World, open_as: Opener) -> None:
    world.user("officer_plain", "officer", COUNTY)
    world.user("officer_reveal", "officer", COUNTY, reveal=True)
    spouse = world.ids("XC-01")[1]
    member = Member.objects.get(household__number="XC-01", position=2)

    for username, allowed in (("officer_plain", False), ("officer_reveal", True)):
        page = open_as(username)
        page.goto("/households/XC-01/")
        link = page.locator("a[data-reveal='2']")
        if allowed:
            assert link.inner_text() == "查看（留痕）"
            with page.expect_navigation():
                link.click()
        else:  # no button for one who may not reveal; the address typed by hand is still refused
            assert link.count() == 0 and page.locator("#members td.masked").count() > 0
            page.goto(f"/members/{member.pk}/reveal/")
        assert AuditEntry.objects.filter(actor=username, action__startswith="reveal").count() == 0  # GET: nothing yet
        shot(page, f"reveal-{username}-1-confirm")
        with page.expect_response(lambda r: r.request.method == "POST" and "/reveal/" in r.url) as answer:
            page.click("#confirm-reveal")
        page.wait_for_load_state()
        shot(page, f"reveal-{username}-2-answer")
        audit = AuditEntry.objects.filter(actor=username, object_type="member", object_id=str(member.pk))
        if allowed:
            assert answer.value.status == 200
            assert page.inner_text("[data-resident-id]") == spouse
            assert list(audit.values_list("action", flat=True)) == ["reveal"]
        else:
            assert answer.value.status == 403
            assert page.locator("#reveal-refused").is_visible()
            assert page.locator("[data-resident-id]").count() == 0 and spouse not in page.content()
            assert list(audit.values_list("action", flat=True)) == ["reveal_denied"]


def test_upload_with_errors_report_and_import_valid(world: World, open_as: Opener, tmp_path: Path) -> None:
    world.user("officer_ls", "officer", COUNTY)
    # Five households; three carry one planted error each (rows: UP-1 2–4, UP-2 5–6, UP-3 7–8, UP-4 9–10, UP-5 11).
    rows = (household_rows("UP-1", VILLAGE, size=3, seed=11) + household_rows("UP-2", VILLAGE, size=2, seed=12)
            + household_rows("UP-3", VILLAGE2, size=2, seed=13) + household_rows("UP-4", OTHER_VILLAGE, size=2, seed=14)
            + household_rows("UP-5", VILLAGE2, size=1, seed=15))
    rows[4]["sex"] = "未知"  # row 6: not an allowed value
    good = rows[5]["resident_id"]
    rows[5]["resident_id"] = good[:-1] + ("0" if good[-1] != "0" else "1")  # row 7: wrong check character
    # Row 9: a village of another county, outside the officer's area.
    planted = {(6, "性别", "不是有效取值"), (7, "证件号码", "校验码错误"), (9, "所在村代码", "不是已登记的村代码")}
    valid = {"UP-1": 3, "UP-5": 1}
    path = write_csv(tmp_path / "乡镇上报.csv", rows)

    page = open_as("officer_ls")
    page.click("header nav a[data-page='web:imports']")
    page.wait_for_url("**/imports/")
    page.set_input_files("input[name=file]", str(path))
    shot(page, "upload-1-form")
    with page.expect_navigation():
        page.click("#upload")
    assert page.inner_text("#error-count") == str(len(planted))
    shown = cells(page, "#errors")
    assert {(int(r[0]), r[1]) for r in shown} == {(row, column) for row, column, _ in planted}
    for row, column, rule in planted:
        assert any(int(r[0]) == row and r[1] == column and rule in r[3] for r in shown), (row, column, rule)
    assert good not in page.content()  # the report shows the bad ID masked, never in clear
    shot(page, "upload-2-report")

    with page.expect_download() as download:
        page.click("#download-report")
    report = tmp_path / "report.xlsx"
    download.value.save_as(report)
    sheet = CalamineWorkbook.from_path(str(report)).get_sheet_by_index(0).to_python()
    table = [(str(r[0]), int(float(str(r[1]))), str(r[2]), str(r[4])) for r in sheet[1:]]  # file, row, column, rule
    assert {(row, column) for _, row, column, _ in table} == {(row, column) for row, column, _ in planted}
    for row, column, rule in planted:
        assert any(r[1] == row and r[2] == column and rule in r[3] for r in table), (row, column, rule)
    assert {r[0] for r in table} == {path.name}
    assert Household.objects.filter(number__startswith="UP-").count() == 0  # checked, nothing imported yet

    with page.expect_navigation():
        page.click("#import-valid")
    assert page.get_attribute("#state", "data-state") == "done"
    assert page.locator("#result").count() == 1
    shot(page, "upload-3-imported")
    landed = {h.number: h.members.count() for h in Household.objects.filter(number__startswith="UP-")}
    assert landed == valid


def test_import_in_background_followed_to_the_end(world: World, open_as: Opener, settings: Settings,
                                                  tmp_path: Path, worker: Callable[..., Any]) -> None:
    """As in production: the import is queued after the confirmation and run by a worker (`jingzhun worker`),
    and the page follows it (progress.js polls and reloads) until it has finished."""
    settings.UPLOADS_SYNCHRONOUS = False
    worker()
    world.user("officer_ls", "officer", COUNTY)
    added = {"NEW-1": 2, "NEW-2": 3}
    path = write_csv(tmp_path / "新增户.csv", household_rows("NEW-1", VILLAGE2, size=2, seed=21)
                     + household_rows("NEW-2", VILLAGE, size=3, seed=22))
    page = open_as("officer_ls")
    page.goto("/imports/")
    page.set_input_files("input[name=file]", str(path))
    with page.expect_navigation():
        page.click("#upload")
    assert page.inner_text("#error-count") == "0" and page.locator("#errors").count() == 0
    with page.expect_navigation():
        page.click("#import-all")
    shot(page, "background-1-confirmed")
    page.wait_for_selector("#state[data-state='done']", timeout=30_000)
    assert page.locator("#result dd").first.inner_text() == str(len(added))  # new households
    shot(page, "background-2-done")
    assert {h.number: h.members.count() for h in Household.objects.filter(number__startswith="NEW-")} == added


def test_language_switch(world: World, open_as: Opener) -> None:
    world.user("officer_ls", "officer", COUNTY)
    page = open_as("officer_ls")
    page.goto("/dashboard/")
    assert "统计总览" in page.inner_text("header nav")
    with page.expect_navigation():
        page.click("[data-lang=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.locator("header nav a").all_inner_texts()
    assert "Dashboard" in nav and "Register" in nav and "统计总览" not in nav
    assert page.inner_text("h1") == "龙山县 · Dashboard"
    assert page.inner_text("#children thead th >> nth=0") == "Area"
    shot(page, "language-1-english")
    page.goto("/households/")  # the choice sticks for the session
    assert page.inner_text("h1") == "Register"
    with page.expect_navigation():
        page.click("[data-lang=zh-hans]")
    assert page.inner_text("h1") == "建档立卡"
    shot(page, "language-2-chinese-again")


def test_helper_sees_only_their_household(world: World, open_as: Opener) -> None:
    helper = world.user("helper_wang", "helper", VILLAGE)
    cadre = Cadre.objects.create(name="王帮扶", unit="县农业农村局", unit_kind="county", rank="staff", home_area_id=VILLAGE,
                                 user=helper)
    pairing_db.pair(Household.objects.get(number="XC-02"), cadre, actor="test", start=dt.date(2019, 3, 1))
    page = open_as("helper_wang")
    # A helper has no dashboard: home is the register, with their one household.
    assert page.url.endswith("/households/")
    # Their menu: the phone app, the register, uploading their visits, the templates, monitoring reports — no
    # dashboard, no audit.
    nav = page.locator("header nav a").all_inner_texts()
    assert nav[:2] == ["建档立卡", "手机应用"] or nav[:2] == ["手机应用", "建档立卡"], nav
    assert {"数据导入", "导入模板"} <= set(nav) and not {"统计总览", "审计日志", "结对帮扶"} & set(nav)
    assert page.locator("#households tbody a").all_inner_texts() == ["XC-02"]
    shot(page, "helper-1-households")
    page.fill("#search-q", "XC-01")  # a neighbour in the same village
    with page.expect_navigation():
        page.press("#search-q", "Enter")
    assert page.locator("#households tbody a").count() == 0
    assert http_status(page, "/households/XC-01/") == 404
    assert http_status(page, "/dashboard/") == 403
    assert http_status(page, "/households/XC-02/") == 200
    assert "王帮扶" in page.inner_text("body")
    shot(page, "helper-2-household")


def test_dashboard_helper_coverage_follows_pairing(world: World, open_as: Opener) -> None:
    world.user("officer_ls", "officer", COUNTY)
    cadre = Cadre.objects.create(name="李帮扶", unit="县教育局", unit_kind="county", rank="staff", home_area_id=VILLAGE)
    pairing_db.pair(Household.objects.get(number="BY-01"), cadre, actor="test", start=dt.date(2019, 3, 1))
    # Poor, returned or monitored households in 龙山县: XC-01, XC-02, BY-01; one of them now has a helper.
    page = open_as("officer_ls")
    page.goto(f"/dashboard/{COUNTY}/")
    shot(page, "coverage-1-county")
    assert figure(page, "helper_coverage") == f"{round(100 / 3, 1)}%"


def test_the_map_colours_the_areas_below_drills_down_and_shows_visits(world: World, open_as: Opener,
                                                                       tmp_path: Path) -> None:
    """Hand-drawn boundaries: 龙山县 109–110 E × 29–30 N, 石牌镇 its west half, 洗车村 and 白岩村 the south and
    north halves of 石牌镇; one visit with coordinates in 洗车村 (and one in 永顺县, never shown to 龙山县)."""
    import json as _json

    from django.utils import timezone as tz

    from jingzhun.maps.load import load_file
    from jingzhun.teams.models import Visit

    squares = {COUNTY: (109, 29, 110, 30), TOWNSHIP: (109, 29, 109.5, 30), VILLAGE: (109, 29, 109.5, 29.5),
               VILLAGE2: (109, 29.5, 109.5, 30), OTHER_VILLAGE: (110, 28, 111, 29)}

    def ring(w: float, s: float, e: float, n: float) -> list[list[float]]:
        return [[w, s], [e, s], [e, n], [w, n], [w, s]]

    features = [{"type": "Feature", "properties": {"code": c}, "geometry": {"type": "Polygon", "coordinates": [ring(*b)]}}
                for c, b in squares.items()]
    path = tmp_path / "b.geojson"
    path.write_text(_json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    load_file(path, source="测试边界", licence="CC0-1.0", actor="test")
    cadre = Cadre.objects.create(name="周帮扶", unit="县农业农村局", unit_kind="county", rank="staff", home_area_id=VILLAGE)
    for number, lat, lon in (("XC-01", 29.25, 109.25), ("SC-01", 28.5, 110.5)):
        h = Household.objects.get(number=number)
        Visit.objects.create(cadre=cadre, household=h, village_id=h.village_id, visited_at=tz.now(), latitude=lat,
                             longitude=lon, recorded_at=tz.now(), entered_by="test")
    world.user("officer_ls", "officer", COUNTY)
    page = open_as("officer_ls")
    page.goto(f"/dashboard/{TOWNSHIP}/")
    page.wait_for_selector("#map[data-drawn='1'] svg")
    assert page.get_attribute("#map", "data-points") == "1"
    assert page.inner_text("#map-source") == "测试边界（CC0-1.0）"
    shot(page, "map-1-township")
    page.goto(f"/dashboard/{COUNTY}/")
    page.wait_for_selector("#map[data-drawn='1'] svg")
    assert page.get_attribute("#map", "data-points") == "1"  # 永顺县's visit is not 龙山县's officer's
    page.check("input[name=map-measure][value=coverage]")
    # A click in the middle of 石牌镇 opens its dashboard.
    page.locator("#map").scroll_into_view_if_needed()
    x, y = page.evaluate("""() => { const box = document.getElementById('map');
        const at = echarts.getInstanceByDom(box).convertToPixel({geoIndex: 0}, [109.25, 29.5]);
        const r = box.getBoundingClientRect(); return [r.left + at[0], r.top + at[1]]; }""")
    page.mouse.click(x, y)
    page.wait_for_url(f"**/dashboard/{TOWNSHIP}/")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/dashboard/{COUNTY}/")
    page.wait_for_selector("#map[data-drawn='1'] svg")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "map-2-phone")


def test_a_missing_chromium_fails_the_browser_tests_never_skips_them(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    # The shared `browser` fixture launches through `launch`: without Debian's Chromium every browser test must
    # fail (CI would otherwise pass with the web application untested). Failed, not Skipped, is what is raised.
    monkeypatch.setattr(browser_support, "CHROMIUM", tmp_path / "chromium")
    with pytest.raises(pytest.fail.Exception, match="chromium is missing"):
        browser_support.launch(cast(Playwright, None))
