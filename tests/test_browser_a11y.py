"""Every page, for every kind of user: no serious accessibility violation (axe-core) and no sideways scrolling
on a 390 px phone or a 1,366 px desktop (issue 15).

The pages are discovered, not listed: for each user the walk starts at the home page and the hand list
`EXTRA_URLS` (pages reached only through a form), follows every link of the rendered pages on this site (menu,
lists, tables, buttons), and checks one page of each kind — a kind is a URL pattern (`resolve(...).view_name`)
and its word arguments (the print pages' `card` / `file`), so one household page stands for all. A kind already
checked for one user is not checked again for the next, except each user's home page (their own menu). A new
page reachable from a menu or a link is checked without editing this file; one reached only by a form goes into
`EXTRA_URLS` (or `form_only_urls`, when its address holds a record's id).

The walk runs twice: in Chinese (the browser asks for zh-CN, as an official's does) and in English, chosen as
a user chooses it — the header's language button, once per user, kept by the site's language cookie for every
page after. English words are longer than Chinese ones: a heading, a menu or a button that fits in Chinese may
push a phone page sideways in English. Same pages, same rules, each language a test of its own.

Each page is measured at 1,366 × 768, then at 390 × 844 (resized, not reloaded): the document must not scroll
sideways (a wide table may scroll inside its own container) and axe-core (tests/vendor/axe-core) must report no
violation of impact "serious" or "critical". Script errors on a page count as problems too. Every problem of
every page is gathered and reported at once; screenshots of each page at both sizes are kept in
test-artifacts/screenshots/a11y/ (English: a11y/en/), and the full list of pages and problems in
test-artifacts/a11y-report.json (English: a11y-report-en.json).

The register and its people are the web tests' cast (tests/web_cast.py) with a record of each kind: a help plan,
an upload with errors, an application in its first notice, an exit, a monitoring case, the people pages'
records, the organisation's records, a third-party evaluation with a finding.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page
from playwright.sync_api import Error as PlaywrightError
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from jingzhun.areas.models import AreaRole
from jingzhun.assessment import scoring_runs, snapshots
from jingzhun.identification.run import run
from jingzhun.policy.loading import national
from tests.a11y_support import axe_violations, sideways
from tests.browser_support import SHOTS, new_context
from tests.factories import COUNTY, PROVINCE, VILLAGE, VILLAGE2, household_rows, write_csv
from tests.people_web import add_people
from tests.test_web_pages import application_in_first_notice, evaluation_urls, exit_application, monitoring_case
from tests.web_cast import Web, add_organisation, build_cast

SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
# The path arguments that name a kind of page rather than a record (the print pages' `card` / `file`, the
# forms' action); every other argument (a household, an area, an id, an indicator) is a record of one kind.
KIND_ARGUMENTS = ("kind", "action")
EXPLORE = 3  # records of a kind already checked that are opened for their links only
# JINGZHUN_A11Y_EVERY_USER=1: check every kind of page again for every user (what each role's page holds differs:
# forms, buttons, columns) — about five times longer; for a quiet machine, not for every CI run.
EVERY_USER = os.environ.get("JINGZHUN_A11Y_EVERY_USER") == "1"
A11Y_SHOTS = SHOTS / "a11y"
# The UI's languages (settings.LANGUAGES) → where each walk keeps its screenshots and its report. Chinese is the
# browser's own language; English is chosen with the header's button.
LANGUAGES = {"zh-hans": (A11Y_SHOTS, SHOTS.parent / "a11y-report.json"),
             "en": (A11Y_SHOTS / "en", SHOTS.parent / "a11y-report-en.json")}

# The users walked, in this order: the cast's (tests/web_cast.py) and three more made here. A kind of page is
# checked for the first user who reaches it; put the user with the widest menu first.
USERS = ["root", "officer_p", "officer_a", "township_a", "team_a", "helper_a", "auditor_a", "evaluator_a", "admin_a"]
# Pages reached only through a form (or only by typing), per user; "" is the visitor who is not logged in. The
# phone pages of another app go here too, e.g. "helper_a": ["/m/"]: everything they link to is then walked.
EXTRA_URLS: dict[str, list[str]] = {
    "": ["/login/"],
    "officer_a": ["/households/?q=王", "/households/B102-1/"],  # a name search; a household outside: the 404 page
    "helper_a": ["/dashboard/"],  # a page the helper may not open: the 403 page
    "team_a": ["/m/", "/m/attendance/", "/m/outbox/"],  # the phone app of a work team's member
}
# Never followed: leaving the site's pages (files, the API's JSON, the static files) or logging out. The Django
# admin is walked through its index, one list and one form of it (`kind`).
SKIP = re.compile(r"^/(static/|api/v1/|api/openapi\.json|logout/|i18n/)|\.(xlsx|csv|json|pdf|zip|toml)$")


def kind(path: str) -> str | None:
    """The kind of page at `path`: its URL pattern's name and its `KIND_ARGUMENTS`; None for an address that is
    no page of the site."""
    try:
        match = resolve(path)
    except Resolver404:
        return None
    words = [str(match.kwargs[k]) for k in KIND_ARGUMENTS if k in match.kwargs]
    name = match.view_name
    if name.startswith("admin:"):  # one model's list stands for all lists, one form for all forms
        name = re.sub(r"^admin:\w+?_(changelist|change|add|delete|history)$", r"admin:\1", name)
        words = []
    return ":".join([name, *words])


def form_only_urls(web: Web) -> dict[str, list[str]]:
    """Pages reached through a form whose address holds a record's id, made here."""
    client = web.client("officer_a")
    token = upload_with_errors(client, web)
    return {"officer_a": [reverse("web:upload", args=[token]), *evaluation_urls()]}


def upload_with_errors(client: Client, web: Web) -> str:
    """An upload of two households, one with a bad ID: its page shows the checked rows' report."""
    rows = household_rows("N1", VILLAGE2, size=2, seed=60) + household_rows("N2", VILLAGE, size=2, seed=61)
    rows[3]["resident_id"] = rows[3]["resident_id"][:-1] + ("0" if rows[3]["resident_id"][-1] != "0" else "1")
    path = write_csv(Path(django_settings.UPLOAD_DIR).parent / "新增.csv", rows)
    response = client.post(reverse("web:imports"), {"file": SimpleUploadedFile(path.name, path.read_bytes())})
    assert response.status_code == 302, response.content.decode()[:300]
    return response["Location"].rstrip("/").split("/")[-1]


def records(web: Web) -> None:
    """A record of each kind, so that every kind of page has something to show and link to."""
    for name, kind_, area in [("officer_p", "officer", PROVINCE), ("team_a", "work_team", VILLAGE),
                              ("admin_a", "administrator", COUNTY)]:
        user = User.objects.create_user(name)
        AreaRole.objects.create(user=user, area_id=area, role=kind_)
        web.users[name] = user
    web.users["admin_a"].is_staff = True
    web.users["admin_a"].save()
    add_people()
    add_organisation()
    application_in_first_notice()
    exit_application()
    monitoring_case()
    client = web.client("officer_a")
    year = timezone.localdate().year
    response = client.post(reverse("web:plan", args=["A101-1", year]), {
        "goal": "稳定增收", "measure-1-category": "health", "measure-1-description": "慢病签约服务",
        "measure-1-amount": "100", "measure-1-status": "planned"})
    assert response.status_code in (200, 302)
    assert client.post(reverse("web:pairing"), {"county": COUNTY}).status_code == 302  # a pairing run to review
    # An identification run, and the assessment's 2019 figures scored under two shipped schemes.
    run(national(2019), year=2019, engine="postgres" if connection.vendor == "postgresql" else "sqlite", actor="t")
    snapshots.compute(2019, engine="duckdb")
    for ref in ("file:county-leadership-2016.toml", "file:helper.toml"):
        scoring_runs.run(ref, 2019, actor="t")


@dataclass
class Walk:
    """What the walk has checked: kind → the first address checked (for the user being walked, or for all), and
    every problem found."""
    checked: dict[str, str] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)
    pages: list[dict[str, object]] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)
    explored: Counter[str] = field(default_factory=Counter)
    reached: set[str] = field(default_factory=set)  # every kind checked, for any user
    language: str = "zh-hans"

    @property
    def shots(self) -> Path:
        return LANGUAGES[self.language][0]


@pytest.fixture
def site(browser: Browser, committed_db: None, live_server: LiveServer, settings: Settings, tmp_path: Path) -> Web:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False  # the live server speaks plain HTTP
    settings.UPLOADS_SYNCHRONOUS = True
    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    started = time.monotonic()
    web = build_cast(tmp_path)
    records(web)
    SETUP_SECONDS.append(round(time.monotonic() - started, 1))
    return web


SETUP_SECONDS: list[float] = []  # for the report: how long the records took to make


def logged_in(browser: Browser, live_server: LiveServer, user: User | None, language: str) -> BrowserContext:
    """A context with the user's session, made by Django's test client (the login form is tested elsewhere:
    Argon2 would cost a second per user here), in the language the walk is in."""
    context = new_context(browser, live_server.url)
    if user is not None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    if language != "zh-hans":
        choose_language(context, language)
    return context


def choose_language(context: BrowserContext, language: str) -> None:
    """As a user does it: the language button in the header of the first page (the login page for a visitor).
    The site keeps the choice in its language cookie; the page it comes back to must be in that language."""
    page = context.new_page()
    page.goto("/")
    with page.expect_navigation():
        page.click(f"header form.lang button[data-lang={language}]")
    shown = page.get_attribute("html", "lang") or ""
    assert shown.lower().startswith(language[:2]), f"chose {language}, {page.url} is in {shown!r}"
    page.close()


def shot_name(walk: Walk, user: str, page_kind: str, size: str) -> Path:
    return walk.shots / f"{user or 'visitor'}-{re.sub(r'[^A-Za-z0-9_.-]', '_', page_kind)}-{size}.png"


def measure(page: Page, where: str, user: str, page_kind: str, walk: Walk) -> None:
    """Both sizes: sideways scrolling, axe-core, and a screenshot of each."""
    for size, (width, height) in SIZES.items():
        page.set_viewport_size({"width": width, "height": height})
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        for problem in sideways(page) + axe_violations(page):
            walk.problems.append({"user": user or "visitor", "page": where, "size": f"{width}px", "problem": problem})
        page.screenshot(path=str(shot_name(walk, user, page_kind, size)), full_page=True)


def links(page: Page, base: str) -> list[str]:
    """The site's own addresses linked from the page (path and query, without the fragment)."""
    hrefs: list[str] = page.eval_on_selector_all("a[href]", "els => els.map((a) => a.href)")
    out = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" == base and parts.path:
            out.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return out


def walk_user(context: BrowserContext, base: str, user: str, start: list[str], walk: Walk) -> None:
    """Breadth first from `start`: check each kind of page not checked yet (and every start page)."""
    page = context.new_page()
    if EVERY_USER:
        walk.checked.clear()
        walk.explored.clear()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    queue, seen = list(start), set(start)
    while queue:
        where = queue.pop(0)
        page_kind = kind(urlsplit(where).path)
        if page_kind is None or SKIP.search(urlsplit(where).path):
            continue
        if page_kind in walk.checked and where not in start:
            # Checked already; a few more records of a kind are still opened for their links (an application
            # with a notice links to the notice; the first one found may have none).
            if walk.explored[page_kind] < EXPLORE and resolve(urlsplit(where).path).kwargs:
                walk.explored[page_kind] += 1
                explore(page, where, base, seen, queue)
            continue
        try:
            response = page.goto(where)
        except PlaywrightError as error:  # a download, not a page
            walk.skipped.add(f"{where}: {str(error).splitlines()[0]}")
            continue
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            walk.skipped.add(where)
            continue
        landed = kind(urlsplit(page.url).path) or page_kind  # after a redirect: the page shown
        if landed in walk.checked and where not in start:
            continue
        walk.checked.setdefault(page_kind, where)
        walk.checked.setdefault(landed, where)
        walk.reached |= {page_kind, landed}
        started = time.monotonic()
        measure(page, where, user, page_kind, walk)
        walk.pages.append({"user": user or "visitor", "page": where, "kind": page_kind, "status": response.status,
                           "lang": page.get_attribute("html", "lang"), "seconds": round(time.monotonic() - started, 2)})
        for problem in errors:
            walk.problems.append({"user": user or "visitor", "page": where, "size": "", "problem": problem})
        errors.clear()
        follow(page, base, seen, queue)
    page.close()


def follow(page: Page, base: str, seen: set[str], queue: list[str]) -> None:
    for found in links(page, base):
        if found not in seen:
            seen.add(found)
            queue.append(found)


def explore(page: Page, where: str, base: str, seen: set[str], queue: list[str]) -> None:
    """Open a page only for its links (no measuring)."""
    try:
        response = page.goto(where)
    except PlaywrightError:
        return
    if response is not None and "text/html" in (response.headers.get("content-type") or ""):
        follow(page, base, seen, queue)


# Kinds the walk must reach: if discovery broke (a menu no longer rendered, links no longer followed), the
# test would otherwise pass on a handful of pages. Not the list of pages checked — that is discovered.
MUST_REACH = {"web:home", "web:login", "web:dashboard_area", "web:households", "web:household", "web:plan",
              "web:household_paper:card", "web:household_paper:file", "web:village_paper:card", "web:imports",
              "web:upload", "web:templates", "web:audit", "web:coverage", "web:alerts", "web:pairing", "web:hits",
              "web:applications", "web:application", "web:exits", "web:yearly", "web:identification",
              "web:identification_run", "web:pairing_run", "appraisal:notice", "assessment:run", "assessment:unit",
              "monitoring:cases", "monitoring:case", "evaluation:list", "evaluation:detail", "evaluation:findings",
              "assessment:index", "training:courses", "talent:pool", "branches:list", "organisation:units",
              "organisation:shortlist", "api_tokens", "reports:index", "mobile:home", "mobile:household",
              "mobile:visit", "mobile:report", "mobile:attendance", "mobile:outbox"}


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_is_accessible_and_fits_a_phone_and_a_desktop(site: Web, browser: Browser,
                                                                   live_server: LiveServer, language: str) -> None:
    started = time.monotonic()
    extra = form_only_urls(site)
    walk = Walk(language=language)
    walk.shots.mkdir(parents=True, exist_ok=True)
    for user in ["", *USERS]:
        context = logged_in(browser, live_server, site.users[user] if user else None, language)
        try:
            start = ([] if not user else ["/"]) + EXTRA_URLS.get(user, []) + extra.get(user, [])
            walk_user(context, live_server.url, user, start, walk)
        finally:
            context.close()
    LANGUAGES[language][1].write_text(json.dumps({"setup_seconds": SETUP_SECONDS[-1:], "explored": sum(walk.explored.values()),
                                  "walk_seconds": round(time.monotonic() - started, 1), "pages": walk.pages, "problems": walk.problems, "skipped": sorted(walk.skipped)},
                                 ensure_ascii=False, indent=1), encoding="utf-8")
    missing = {k for k in MUST_REACH if not any(c == k or c.startswith(k + ":") for c in walk.reached)}
    assert not missing, f"the walk never reached {sorted(missing)}; it checked {sorted(walk.reached)}"
    assert not walk.problems, f"{len(walk.problems)} problem(s) on {len({p['page'] for p in walk.problems})} " \
        "page(s):\n" + "\n".join(f"{p['user']} {p['page']} {p['size']}: {p['problem']}" for p in walk.problems)


# The two measures themselves, on pages whose answers are known by construction: a page that cannot fail would
# pass the walk above whatever the site does.
BROKEN = """<!doctype html><html><head><meta charset="utf-8"><title>t</title></head><body style="margin: 0"><main>
<div style="width: 2000px">宽</div><p style="color: #bbb; background: #fff">浅灰色的字</p>
<form><input name="q"></form></main></body></html>"""
FITTING = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title></head><body><main>
<h1>表</h1><div style="overflow-x: auto" tabindex="0" role="region" aria-label="表">
<table><tr><td style="min-width: 3000px">很宽的表在自己的容器里滚动</td></tr></table></div>
<form><label>姓名 <input name="q"></label></form></main></body></html>"""


@pytest.mark.parametrize("size", list(SIZES))
def test_the_measures_find_what_they_should_and_nothing_else(browser: Browser, size: str) -> None:
    context = browser.new_context(viewport=dict(zip(("width", "height"), SIZES[size], strict=True)))
    try:
        page = context.new_page()
        page.set_content(BROKEN)
        wide = sideways(page)
        assert len(wide) == 1 and "2000 px of content" in wide[0] and "div (right edge 2000 px" in wide[0], wide
        found = {line.split()[2] for line in axe_violations(page)}
        assert found == {"color-contrast", "label", "html-has-lang"}, found
        page.set_content(FITTING)
        assert sideways(page) == [] and axe_violations(page) == []
    finally:
        context.close()
