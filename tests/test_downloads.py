"""Every download (a workbook, a PDF, a print page) needs the "export" ability besides the ability that reads
it, on the same role: an auditor reads organisation records, the dashboard and households, a helper their own
household, but neither takes any of it away.

The table `DOWNLOADS` lists every download route with an address the cast's county officer may download. The
test walks it for users without "export" (403 or 404, and no file) and for the officer (200: the address is
real, so a refusal is the rule, not a typo). It also fails when a route is added that looks like a download
(its name or path says export, xlsx, csv, pdf, paper, print, sheet or download) or is guarded as one, without
being in the table or in `NOT_DOWNLOADS` with the reason.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from python_calamine import CalamineWorkbook

from tests.factories import COUNTY, VILLAGE
from tests.people_web import add_people
from tests.test_web_access_property import assessment_runs
from tests.web_cast import Web, add_organisation, evaluation

pytestmark = pytest.mark.django_db

Address = Callable[[], str]


def _evaluation_pk() -> int:
    return int(evaluation().pk)


@pytest.fixture(autouse=True)
def _reports_here(settings):  # type: ignore[no-untyped-def]
    """Workbooks built at once, into the folder tests/report_support.py asks them into."""
    from tests.report_support import FOLDER

    settings.REPORT_DIR = FOLDER
    settings.REPORTS_SYNCHRONOUS = True


def _report_token() -> str:
    """The officer of 龙山县's workbook of the county (asked once, as the form does)."""
    from django.contrib.auth.models import User
    from django.test import Client

    from tests.report_support import ask, token_of

    officer = Client()
    officer.force_login(User.objects.get(username="officer_a"))
    response = ask(officer, COUNTY, 2019, ["scale"])
    assert response.status_code == 302, response.status_code
    return token_of(response)


# Route name → the addresses to ask (each one the officer of 龙山县 may download).
DOWNLOADS: dict[str, list[Address]] = {
    "web:export": [lambda: reverse("web:export") + f"?area={COUNTY}"],
    "web:household_paper": [lambda: reverse("web:household_paper", args=["A101-1", "card"])],
    "web:household_paper_pdf": [lambda: reverse("web:household_paper_pdf", args=["A101-1", "file"])],
    "web:village_paper": [lambda: reverse("web:village_paper", args=[VILLAGE, "card"])],
    "web:village_paper_pdf": [lambda: reverse("web:village_paper_pdf", args=[VILLAGE, "card"])],
    "web:yearly_export": [lambda: reverse("web:yearly_export") + f"?year=2019&area={COUNTY}"],
    # The alerts page is a page; with ?format=xlsx it is a workbook.
    "web:alerts": [lambda: reverse("web:alerts") + f"?area={COUNTY}&format=xlsx"],
    "evaluation:field_list": [lambda: reverse("evaluation:field_list", args=[_evaluation_pk(), VILLAGE])],
    "evaluation:field_list_xlsx": [lambda: reverse("evaluation:field_list_xlsx", args=[_evaluation_pk()])],
    "assessment:run_xlsx": [lambda: reverse("assessment:run_xlsx", args=[assessment_runs()["village"]])],
    "assessment:sheet": [lambda: reverse("assessment:sheet", args=[assessment_runs()["village"], VILLAGE])],
    "training:export_roster": [lambda: reverse("training:export_roster") + f"?area={COUNTY}&year=2024"],
    "branches:export_roster": [lambda: reverse("branches:export_roster") + f"?area={COUNTY}"],
    "branches:export_elections": [lambda: reverse("branches:export_elections") + f"?area={COUNTY}"],
    # A workbook the officer asked for (built at once, a county being small): its page, state and file.
    "reports:download": [lambda: reverse("reports:download", args=[_report_token()])],
    "reports:run": [lambda: reverse("reports:run", args=[_report_token()])],
    "reports:status": [lambda: reverse("reports:status", args=[_report_token()])],
    "reports:index": [lambda: reverse("reports:index") + f"?area={COUNTY}"],  # the download's own form
    "organisation:export": [lambda kind=kind: reverse("organisation:export", args=[kind])  # type: ignore[misc]
                            for kind in ("units", "unit_links", "secondments")],
}
# Routes that look like downloads but are not an export of records, with the reason.
NOT_DOWNLOADS = {
    "reports:ask": "a POST that asks for a workbook (guarded as a download: tests/test_report_jobs.py)",
    "web:template_download": "a blank template: headers and the guide, no records",
    "web:upload_report": "the uploader's own file back with its problems (their upload, `_own`), no stored records",
}
LOOKS_LIKE = re.compile(r"export|xlsx|csv|pdf|paper|print|sheet|download", re.IGNORECASE)


def routes(resolver: URLResolver | None = None, namespace: str = "", prefix: str = "") -> Iterator[tuple[str, str, object]]:
    """(name with its namespace, path, view) of every named URL pattern."""
    for item in (resolver or get_resolver()).url_patterns:
        if isinstance(item, URLResolver):
            inner = f"{namespace}:{item.namespace}" if namespace and item.namespace else item.namespace or namespace
            yield from routes(item, inner or "", prefix + str(item.pattern))
        elif isinstance(item, URLPattern) and item.name:
            yield (f"{namespace}:{item.name}" if namespace else item.name), prefix + str(item.pattern), item.callback


def test_every_download_route_is_in_the_table():
    found = {name for name, path, view in routes()
             if not name.startswith(("admin:", "api:")) and (LOOKS_LIKE.search(name) or LOOKS_LIKE.search(path)
                                                            or hasattr(view, "download_ability"))}
    assert found - set(NOT_DOWNLOADS) - {"web:alerts"} == set(DOWNLOADS) - {"web:alerts"}, (
        "a download route must be guarded (pages.requires_download) and listed here")


def test_every_download_view_is_guarded_as_one():
    views = {name: view for name, _path, view in routes()}
    for name in DOWNLOADS:
        if name == "web:alerts":  # a page; its workbook checks "export" over the area itself (tests/test_web.py)
            continue
        assert getattr(views[name], "download_ability", None), name


def _prepare() -> None:
    add_people()
    add_organisation()
    assessment_runs()
    evaluation()


def _body(response) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("username", ["auditor_a", "helper_a", "no_role"])
def test_no_download_without_the_export_ability(web: Web, username: str):
    """The auditor reads all of 龙山县 and the helper their household A101-1; neither may download any of it."""
    _prepare()
    refused = web.client(username)
    officer = web.client("officer_a")
    for name, addresses in DOWNLOADS.items():
        for address in addresses:
            url = address()
            assert officer.get(url).status_code == 200, (name, url)  # a real address: the refusal is the rule
            response = refused.get(url)
            assert response.status_code in (403, 404), (username, name, url, response.status_code)
            assert "attachment" not in response.get("Content-Disposition", ""), (username, name)


def test_export_held_elsewhere_does_not_add_to_reading_here(web: Web):
    """An evaluator exports but does not read organisation records; an auditor reads them but does not export:
    holding both roles over the county still gives no organisation workbook (the abilities must meet on one
    role), while the officer of the other county is refused 龙山县's reports."""
    from jingzhun.areas.models import AreaRole

    _prepare()
    AreaRole.objects.create(user=web.users["evaluator_a"], area_id=COUNTY, role="auditor")
    both = web.client("evaluator_a")
    for kind in ("units", "unit_links", "secondments"):
        assert both.get(reverse("organisation:export", args=[kind])).status_code == 403, kind
    other = web.client("officer_b")
    from tests.report_support import ask

    assert ask(other, COUNTY, 2019, ["scale"]).status_code == 404
    assert other.get(reverse("reports:download", args=[_report_token()])).status_code == 404
    mine = other.get(reverse("organisation:export", args=["units"]))
    assert mine.status_code == 200
    grid = CalamineWorkbook.from_filelike(io.BytesIO(_body(mine))).get_sheet_by_index(0).to_python()
    names = {row[0] for row in grid}
    assert "永顺县林业局" in names and "龙山县水利局" not in names  # their own county's unit (tests/web_cast.py)
