"""Uploads, exports and the two languages of the web application, with the cast of tests/web_cast.py."""

from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from jingzhun.appraisal import workflow
from jingzhun.appraisal.models import Application
from jingzhun.audit.models import AuditEntry
from jingzhun.evaluation.models import SampledHousehold
from jingzhun.registry import template
from jingzhun.registry.models import Household, Member
from jingzhun.teams.models import Cadre, Visit, VisitPhoto
from jingzhun.training.models import Course
from jingzhun.web.models import Upload
from tests.factories import COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2, household_rows, write_csv
from tests.people_web import add_people
from tests.report_support import ask as ask_report
from tests.report_support import token_of
from tests.web_cast import HOUSEHOLDS, SEES, add_organisation, evaluation, numbers_in, page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads_here(settings, tmp_path):
    settings.UPLOAD_DIR = str(tmp_path / "uploads")
    settings.UPLOADS_SYNCHRONOUS = True
    settings.REPORT_DIR = str(tmp_path / "reports")


def upload(client: Client, path) -> Upload:
    with open(path, "rb") as f:
        response = client.post(reverse("web:imports"), {"file": SimpleUploadedFile(path.name, f.read())})
    assert response.status_code == 302, response.content.decode()[:500]
    return Upload.objects.get(token=response["Location"].rstrip("/").split("/")[-1])


def bad_file(tmp_path):
    """N1 good (2 people, rows 2–3); N2 with a bad ID on row 5; N3 in the other county (row 6, out of scope)."""
    good = household_rows("N1", VILLAGE2, size=2, seed=60)
    broken = household_rows("N2", VILLAGE, size=2, seed=61)
    broken[1]["resident_id"] = broken[1]["resident_id"][:-1] + ("0" if broken[1]["resident_id"][-1] != "0" else "1")
    foreign = household_rows("N3", OTHER_VILLAGE, size=1, seed=62)
    return write_csv(tmp_path / "新增.csv", good + broken + foreign)


def test_upload_with_errors_shows_the_report_imports_nothing_until_valid_only_is_confirmed(web, tmp_path):
    client = web.client("officer_a")
    before = Household.objects.count()
    item = upload(client, bad_file(tmp_path))
    assert Household.objects.count() == before  # checked, not imported
    shown = page(client, reverse("web:upload", args=[item.token]))
    rows = {(int(r), c) for r, c in re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]+)</td>', shown)}
    assert rows == {(5, "证件号码"), (6, "所在村代码")}
    # The downloadable report holds the same rows.
    report = client.get(reverse("web:upload_report", args=[item.token]))
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(report.streaming_content)))
    cells = book.get_sheet_by_index(0).to_python()
    assert {(int(r[1]), r[2]) for r in cells[1:]} == rows
    # "Import all" is refused while there are errors; "valid only" lands N1 alone.
    client.post(reverse("web:upload_confirm", args=[item.token]), {"mode": "all"})
    assert Household.objects.count() == before
    client.post(reverse("web:upload_confirm", args=[item.token]), {"mode": "valid"})
    assert set(Household.objects.values_list("number", flat=True)) == set(HOUSEHOLDS) | {"N1"}
    assert Member.objects.filter(household__number="N1").count() == 2
    item.refresh_from_db()
    assert item.state == "done" and item.result["inserted"] == 1
    progress = client.get(reverse("web:upload_progress", args=[item.token])).json()
    assert progress["state"] == "done" and progress["done"] == 1.0
    # A second confirm cannot import twice.
    client.post(reverse("web:upload_confirm", args=[item.token]), {"mode": "valid"})
    assert AuditEntry.objects.filter(action="import").count() == 2  # the cast's own import, and this one


def test_a_clean_upload_imports_after_confirmation(web, tmp_path):
    client = web.client("officer_a")
    item = upload(client, write_csv(tmp_path / "ok.csv", household_rows("N9", VILLAGE, size=3, seed=70)))
    assert item.error_count == 0 and not Household.objects.filter(number="N9").exists()
    client.post(reverse("web:upload_confirm", args=[item.token]), {"mode": "all"})
    assert Household.objects.filter(number="N9").exists()


def test_uploads_belong_to_their_user_and_need_an_upload_ability(web, tmp_path):
    item = upload(web.client("officer_a"), bad_file(tmp_path))
    for url in [reverse("web:upload", args=[item.token]), reverse("web:upload_report", args=[item.token])]:
        assert web.client("officer_b").get(url).status_code == 404
        # A helper uploads visits of their own (tests/test_web_upload_kinds.py), never someone else's upload.
        assert web.client("helper_a").get(url).status_code == 404
        assert web.client("auditor_a").get(url).status_code == 404


def test_a_file_that_is_not_csv_or_xlsx_is_refused(web):
    client = web.client("officer_a")
    response = client.post(reverse("web:imports"), {"file": SimpleUploadedFile("a.txt", b"hello")}, follow=True)
    assert "只接受 CSV 或 XLSX" in response.content.decode() and not Upload.objects.exists()


# --------------------------------------------------------------------------- export


def exported(client: Client, query: str = "") -> list[list[str]]:
    response = client.get(reverse("web:export") + query)
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    return [[str(c) for c in row] for row in book.get_sheet_by_index(0).to_python()]


def test_export_holds_only_the_users_area_with_masked_ids_without_permission(web):
    rows = exported(web.client("officer_a"))
    assert rows[0][: len(template.HEADERS)] == template.HEADERS
    number, rid = template.HEADERS.index("户编号"), template.HEADERS.index("证件号码")
    assert {r[number] for r in rows[1:]} == SEES["officer_a"]
    clear = {r["resident_id"] for rs in web.rows.values() for r in rs}
    assert not clear & {r[rid] for r in rows[1:]}
    assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", r[rid]) for r in rows[1:])
    entry = AuditEntry.objects.get(action="export", actor="officer_a")
    assert entry.detail["masked"] is True


def test_export_with_permission_has_clear_ids_and_an_area_narrows_it(web):
    user = web.users["officer_a"]
    user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    rows = exported(client, f"?area={VILLAGE}")
    number, rid = template.HEADERS.index("户编号"), template.HEADERS.index("证件号码")
    assert {r[number] for r in rows[1:]} == {"A101-1", "A101-3"}
    assert {r[rid] for r in rows[1:]} == {r["resident_id"] for n in ("A101-1", "A101-3") for r in web.rows[n]}
    assert client.get(reverse("web:export") + f"?area={OTHER_VILLAGE}").status_code == 404


def test_export_needs_the_export_ability(web):
    assert web.client("helper_a").get(reverse("web:export")).status_code == 403
    assert web.client("auditor_a").get(reverse("web:export")).status_code == 403


# --------------------------------------------------------------------------- both languages

# Words allowed in the Chinese UI: the product's name in Latin letters, file formats, units, codes.
LATIN_ALLOWED = {"Jingzhun", "English", "CSV", "XLSX", "PDF", "TOML", "YYYY", "MM", "DD", "ID", "login", "reveal", "import", "probe",
                 "cli"}  # the actor of command-line imports, shown on the audit page (a user name: data)


def visible_text(html: str) -> str:
    html = re.sub(r"<(script|style|code)\b.*?</\1>", " ", html, flags=re.S)  # code: literal file formats
    html = re.sub(r"<[^>]+>", " ", html)
    return html_lib.unescape(html)


def phone_visit_with_photo(number: str) -> int:
    """A phone visit of the household with one photo kept (its page shows a thumbnail); the visit's id."""
    household = Household.objects.get(number=number)
    at = dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)
    cadre = Cadre.objects.filter(name="周帮扶").first() or Cadre.objects.create(
        name="周帮扶", unit="县直", unit_kind="county", rank="staff", home_area_id=household.village_id)
    visit = Visit.objects.create(cadre=cadre, household=household, village_id=household.village_id, visited_at=at,
                                 recorded_at=at, entered_by="王录入", notes="入户核实", channel="phone")
    data = b"\xff\xd8\xff\xe0" + bytes(range(64)) + b"\xff\xd9"
    VisitPhoto.objects.create(visit=visit, file="p.jpg", sha256=hashlib.sha256(data).hexdigest(), data=data,
                              size=len(data))
    return visit.pk


def walk(client: Client) -> dict[str, str]:
    """Every page a county officer can reach, rendered."""
    member = Member.objects.get(household__number="A101-1", position=1)
    app = application_in_first_notice()
    urls = [reverse("web:dashboard_area", args=[COUNTY]), reverse("web:dashboard_area", args=[VILLAGE]),
            reverse("web:households"), reverse("web:households") + "?q=X", reverse("web:household", args=["A101-1"]),
            reverse("web:reveal", args=[member.pk]), reverse("web:imports"), reverse("web:audit"), reverse("web:templates"),
            reverse("web:coverage"), reverse("web:coverage") + f"?area={VILLAGE}", reverse("web:alerts"),
            reverse("web:pairing"), reverse("web:hits"), reverse("web:applications"), reverse("web:identification"),
            reverse("web:accuracy"), reverse("web:plan", args=["A101-1", timezone.localdate().year]),
            reverse("web:applications") + "?step=first_notice&overdue=1",
            reverse("web:application", args=[app.pk]), reverse("web:overdue"),
            reverse("web:yearly"), reverse("web:yearly") + f"?year=2019&area={VILLAGE}",
            reverse("web:yearly_quotas"), reverse("web:yearly_quotas") + "?policy=file:example-hunan-2020.toml",
            reverse("web:exits"), reverse("web:exits") + f"?year=2019&area={VILLAGE}",
            reverse("web:application", args=[exit_application().pk]),
            reverse("assessment:index"), reverse("assessment:signoff") + "?year=2019", reverse("assessment:shortlist"),
            reverse("assessment:flags") + "?year=2019", reverse("assessment:trends"),
            reverse("api_tokens"),  # the API's tokens page (the menu's)
            reverse("web:household", args=["B102-1"]),  # a 404 page
            # Officers' paper: a household's card and file, and villages' in bulk.
            reverse("web:household_paper", args=["A101-1", "card"]), reverse("web:household_paper", args=["A101-1", "file"]),
            reverse("web:village_paper", args=[VILLAGE, "card"]), reverse("web:village_paper", args=[VILLAGE, "file"]),
            reverse("web:village_paper", args=["433130102201", "card"]),
            # The statistical report tables' page (the workbook itself is tested in tests/test_reports.py).
            reverse("reports:index"), reverse("reports:index") + f"?area={TOWNSHIP}&year=2019",
            # The people pages (issue 17), with a record of each kind (tests/people_web.py).
            reverse("training:courses") + "?year=2024", reverse("talent:pool") + "?year=2024",
            reverse("branches:list") + "?year=2024", reverse("branches:list") + f"?year=2024&area={VILLAGE}"]
    if not Course.objects.exists():
        add_people()
    case = monitoring_case()
    # A report workbook's page, built (its download offered), and a visit's page with a phone photo.
    run = token_of(ask_report(client, COUNTY, 2019, ["scale"]))
    urls += [reverse("reports:run", args=[run])]
    urls += [reverse("web:visit", args=["A101-1", phone_visit_with_photo("A101-1")])]
    urls += [reverse("monitoring:cases"), reverse("monitoring:cases") + "?state=open&kind=unstable",
             reverse("monitoring:case", args=[case]), reverse("monitoring:report"), reverse("monitoring:overdue"),
             reverse("monitoring:county"), reverse("monitoring:county") + "?county=433130000000"]
    ids = add_organisation()  # issue 17's pages, with a record of each kind in the officer's county
    urls += [reverse("organisation:units"), reverse("organisation:cadres"), reverse("organisation:coverage"),
             reverse("organisation:fit"), reverse("organisation:leadership"), reverse("organisation:secondments"),
             reverse("organisation:reviews"), reverse("organisation:county", args=[COUNTY]),
             reverse("organisation:shortlist", args=[ids[COUNTY]["shortlist"]])]
    pages = {url: client.get(url).content.decode() for url in urls}
    # The evaluation is drawn after the audit page is read: its audit row's details are recorded as they are.
    return pages | {url: client.get(url).content.decode() for url in evaluation_urls()}


def evaluation_urls() -> list[str]:
    """The third-party evaluation's pages: the list, the draw form, one evaluation with its rates (one finding
    recorded, so the intervals show), a village's field list and a household's findings form."""
    found = evaluation()
    SampledHousehold.objects.filter(evaluation=found, number="A101-7").update(satisfied=True, missed_poor=False,
                                                                              recorded_at=timezone.now())
    return [reverse("evaluation:list"), reverse("evaluation:draw"), reverse("evaluation:detail", args=[found.pk]),
            reverse("evaluation:field_list", args=[found.pk, VILLAGE]),
            reverse("evaluation:findings", args=[found.pk, "A101-7"])]


def monitoring_case() -> int:
    """A monitoring case of A101-3 (exited) from its own report: the case page offers the check."""
    from jingzhun.monitoring import cases
    from jingzhun.monitoring.models import Case

    found = Case.objects.filter(household__number="A101-3").first()
    if found is not None:
        return found.pk
    officer = User.objects.get(username="officer_a")
    return cases.report(officer, cases.Report(Household.objects.get(number="A101-3").pk, dt.date(2021, 9, 16),
                                              "赵一", "家人患病住院", disaster="500")).pk
def exit_application() -> Application:
    """An exit of A101-2 proposed (over the check's refusal, with a reason), appraised and verified: its page
    offers the consent forms and shows the kind."""
    found = Application.objects.filter(household__number="A101-2", kind="exit").first()
    if found is not None:
        return found
    officer = User.objects.get(username="officer_a")
    day = dt.date(2020, 11, 2)
    app = workflow.apply(Household.objects.get(number="A101-2"), 2020, applied_by="村两委", on=day, user=officer,
                         kind="exit", override="收入已核实")
    workflow.appraise(app.pk, held_on=day, attendees=31, votes_for=16, votes_against=10, votes_abstain=5,
                      minutes="同意", user=officer)
    workflow.verify(app.pk, on=day, passed=True, findings="核实无误", user=officer)
    return app


def application_in_first_notice() -> Application:
    """An application of A101-1 with a running first notice: the application page then offers two forms
    (close, objection) and lists a vote, a notice and the history."""
    found = Application.objects.filter(household__number="A101-1").first()
    if found is not None:
        return found
    officer = User.objects.get(username="officer_a")
    day = dt.date(2020, 3, 1)
    app = workflow.apply(Household.objects.get(number="A101-1"), 2020, applied_by="王大山", on=day, user=officer)
    workflow.appraise(app.pk, held_on=day, attendees=31, votes_for=16, votes_against=10, votes_abstain=5,
                      minutes="同意", user=officer)
    workflow.crosscheck(app.pk, on=day, user=officer)
    workflow.publish_notice([app.pk], stage="first", starts_on=day, contact="村委会", user=officer)
    return app


def test_every_page_in_chinese_has_no_untranslated_words(web):
    client = web.client("officer_a")
    client.post(reverse("web:reveal", args=[Member.objects.get(household__number="A101-1", position=1).pk]))
    pages = walk(client)
    # Then a help plan, and a refused save of it: the plan section, the editor and its messages. (After the walk:
    # the audit page shows the rows' recorded details as they are, field names included.)
    year = timezone.localdate().year
    client.post(reverse("web:plan", args=["A101-1", year]), {
        "goal": "稳定增收", "measure-1-category": "health", "measure-1-description": "慢病签约服务",
        "measure-1-amount": "100", "measure-1-status": "planned"})
    refused = client.post(reverse("web:plan", args=["A101-1", year]), {
        "goal": "", "measure-1-category": "credit", "measure-1-description": "贷款", "measure-1-amount": "-1",
        "measure-1-status": "done"}).content.decode()
    assert refused.count("data-field=") == 3
    pages["refused plan"] = refused
    for url in (reverse("web:household", args=["A101-1"]), reverse("web:plan", args=["A101-1", year])):
        pages[url + " (with a plan)"] = client.get(url).content.decode()
        assert "慢病签约服务" in pages[url + " (with a plan)"]
    pages["login"] = Client().get(reverse("web:login")).content.decode()
    # A token made, and one refused: the page showing the new token (itself Latin letters: data) and the refusal.
    made = client.post(reverse("api_tokens"), {"name": "省平台", "days": "30", "scopes": ["read"]}).content.decode()
    pages["token made"] = re.sub(r"jz_[A-Za-z0-9_-]+", "", made)
    pages["token refused"] = client.post(reverse("api_tokens"), {"name": "", "days": "999"}).content.decode()
    for url, html in pages.items():
        text = visible_text(html).replace("officer_a", "")  # the user name, as typed by the administrator
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN_ALLOWED
        words -= {w for w in words if re.fullmatch(r"[A-Z]\d*|[AB]", w)}
        assert not words, (url, sorted(words))


def test_the_phone_apps_pages_in_chinese_have_no_untranslated_words(web):
    """The phone app (/m/) walked by a helper who is also a member of the village's work team."""
    from jingzhun.areas.models import AreaRole
    from jingzhun.teams.models import Cadre, TeamMembership, WorkTeam

    user = web.users["helper_a"]
    AreaRole.objects.create(user=user, area_id=VILLAGE, role="work_team")
    TeamMembership.objects.create(cadre=Cadre.objects.get(user=user), team=WorkTeam.objects.get(village_id=VILLAGE),
                                  role="member", start_date=dt.date(2019, 3, 1))
    client = web.client("helper_a")
    pk = Member.objects.get(household__number="A101-1", position=1).household_id
    other = Member.objects.get(household__number="B102-1", position=1).household_id
    urls = [reverse("mobile:home"), reverse("mobile:household", args=[pk]), reverse("mobile:visit", args=[pk]),
            reverse("mobile:report", args=[pk]), reverse("mobile:attendance"), reverse("mobile:outbox"),
            reverse("mobile:household", args=[other])]  # a 404 page
    for url in urls:
        text = visible_text(client.get(url).content.decode()).replace("helper_a", "")
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN_ALLOWED
        words -= {w for w in words if re.fullmatch(r"[A-Z]\d*|[AB]", w)}
        assert not words, (url, sorted(words))


def test_every_page_renders_in_english(web):
    client = web.client("officer_a")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    pages = walk(client)
    assert "Dashboard" in pages[reverse("web:dashboard_area", args=[COUNTY])]
    assert "Poverty incidence" in pages[reverse("web:dashboard_area", args=[COUNTY])]
    assert "Household number" in pages[reverse("web:households")]
    assert "Members" in pages[reverse("web:household", args=["A101-1"])]
    assert "Not found" in pages[reverse("web:household", args=["B102-1"])]
    assert "Share of exited households" in pages[reverse("evaluation:draw")]
    assert "Wrongly exited" in next(html for url, html in pages.items() if re.fullmatch(r"/evaluation/\d+/", url))
    # Coded values follow the language too.
    assert "poor" in visible_text(pages[reverse("web:households")]) and "贫困户" not in visible_text(
        pages[reverse("web:households")])


def test_chinese_is_the_default(web):
    html = page(web.client("officer_a"), reverse("web:households"))
    assert "户编号" in html and 'lang="zh-CN"' in html and numbers_in(html) == SEES["officer_a"]


def test_a_browser_asking_for_english_still_gets_chinese_until_the_user_switches(web):
    client = web.client("officer_a")
    html = client.get(reverse("web:households"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "户编号" in html and "Household number" not in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("web:households"), HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "Household number" in html
