"""Pages never 500 on stored data, numbers from the query string are bounded, and scoped answers: notices
like households, admin lists and run totals within the user's areas, no personal page kept in a cache."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jingzhun.appraisal import workflow
from jingzhun.appraisal.models import Application, Notice
from jingzhun.identification.models import IdentificationRun
from jingzhun.registry.models import Household, ImportBatch, StatusEvent
from tests.factories import COUNTY, VILLAGE
from tests.web_cast import page

pytestmark = pytest.mark.django_db

ODD_NUMBERS = ["A/101-1", "..", "50%/x?y#z", "户 1\\2"]


def _rename(old: str, new: str) -> Household:
    Household.objects.filter(number=old).update(number=new)
    return Household.objects.get(number=new)


def test_household_numbers_with_slashes_and_dots_break_no_page(web):
    """Numbers are free text in the officers' files; stored straight into the database, every list that
    links to the household still answers, and each link opens its household."""
    root = User.objects.get(username="root")
    for old, new in zip(["A101-1", "A101-2", "A101-3", "A102-1"], ODD_NUMBERS, strict=True):
        h = _rename(old, new)
        StatusEvent.objects.create(household=h, status="exited", year=2020, recorded_at=timezone.now())
        workflow.apply(h, 2020, applied_by="甲", on=dt.date(2020, 3, 1), user=root)
    client = web.client("officer_a")
    page(client, reverse("web:applications"))
    for url in (reverse("web:households"),):
        html = page(client, url)
        for number in ODD_NUMBERS:
            link = reverse("web:household", args=[number])
            assert f'href="{link}"' in html, (url, number)
    # The yearly difference lists A/101-1 (poor in 2019, exited in 2020) among others.
    html = page(client, reverse("web:yearly") + "?year=2020")
    assert f'href="{reverse("web:household", args=["A/101-1"])}"' in html
    for a in Application.objects.all():  # the application page links to its household too
        page(client, reverse("web:application", args=[a.pk]))
    for number in ODD_NUMBERS:
        link = reverse("web:household", args=[number])
        assert "/" not in link[len("/households/"):-1] and not link.endswith("/../")
        html = page(client, link)
        assert "<h1>" in html and number in html
        year = timezone.localdate().year
        assert client.get(reverse("web:plan", args=[number, year])).status_code in (200, 403)
    assert page(web.client("officer_b"), reverse("web:households"))  # other users' lists too
    assert client.get(reverse("web:household", args=["no/such"])).status_code == 404


def test_an_overflowing_days_is_clamped_not_a_traceback(web):
    client = web.client("officer_a")
    for days in (str(10**20), "9" * 5000, "²", "-5", "abc"):
        response = client.get(reverse("web:alerts") + f"?days={days}")
        assert response.status_code == 200, days
    html = page(client, reverse("web:alerts") + f"?days={10**20}")
    assert 'name="days" value="3650"' in html


@pytest.mark.parametrize("year", ["²⁰²⁰", "٢٠٢٠", "9" * 30])
def test_odd_digits_in_a_year_are_a_400_with_a_message(web, year):
    response = web.client("officer_a").get(reverse("web:yearly") + f"?year={year}")
    assert response.status_code == 400
    response = web.client("officer_a").get(reverse("web:yearly_quotas") + f"?policy=run:{'٣' * 3}")
    assert response.status_code == 404


def _notice(number: str) -> Notice:
    root = User.objects.get(username="root")
    app = workflow.apply(Household.objects.get(number=number), 2020, applied_by="甲", on=dt.date(2020, 3, 1),
                         user=root)
    notice = Notice.objects.create(village_id=VILLAGE, stage="first", year=2020, starts_on=dt.date(2020, 3, 2),
                                   ends_on=dt.date(2020, 3, 8), days=7, contact="村委会", published_by="root")
    notice.applications.add(app)
    return notice


def test_a_helper_opens_only_notices_of_their_paired_households(web):
    """helper_a helps A101-1; A101-3 lives in the same village but is not theirs."""
    theirs, other = _notice("A101-1"), _notice("A101-3")
    helper = web.client("helper_a")
    assert helper.get(reverse("appraisal:notice", args=[theirs.pk])).status_code == 200
    assert helper.get(reverse("appraisal:notice", args=[other.pk])).status_code == 404
    assert web.client("officer_a").get(reverse("appraisal:notice", args=[other.pk])).status_code == 200
    assert web.client("officer_b").get(reverse("appraisal:notice", args=[other.pk])).status_code == 404


def test_the_admin_lists_import_batches_of_the_user_only(web):
    """The cast's register was imported by "cli" (the whole test province): a county officer with the
    admin's view permission does not see it; their own batch they do; a superuser sees both."""
    officer = web.users["officer_b"]
    officer.is_staff = True
    officer.save()
    officer.user_permissions.set(Permission.objects.filter(codename__startswith="view_"))
    ImportBatch.objects.create(file_name="永顺县.xlsx", file_sha256="0" * 64, mode="all", actor="officer_b",
                               started_at=timezone.now())
    everyone = ImportBatch.objects.exclude(actor="officer_b").values_list("pk", flat=True)
    assert everyone
    client = Client()
    client.force_login(officer)
    html = page(client, reverse("admin:registry_importbatch_changelist"))
    shown = set(re.findall(r'/admin/registry/importbatch/(\d+)/change/', html))
    assert shown == {str(ImportBatch.objects.get(actor="officer_b").pk)}
    for pk in everyone:
        assert client.get(reverse("admin:registry_importbatch_change", args=[pk])).status_code == 302  # not found
    html = page(web.client("root"), reverse("admin:registry_importbatch_changelist"))
    assert len(set(re.findall(r'/admin/registry/importbatch/(\d+)/change/', html))) == ImportBatch.objects.count()


def _run(area: str, households: int) -> IdentificationRun:
    now = timezone.now()
    return IdentificationRun.objects.create(
        policy_name="国家标准 / national", policy_year=2020, policy_scope="national", policy_sha256="0" * 64,
        policy={}, year=2020, area_code=area, data_fingerprint="0" * 64, engine="duckdb", actor="root",
        started_at=now, finished_at=now, households=households, poor=households // 3, monitored=7)


def test_run_totals_are_shown_only_to_users_who_see_the_whole_run(web):
    county, everything = _run(COUNTY, 987654), _run("", 123456789)
    officer = page(web.client("officer_a"), reverse("web:identification"))
    assert "987,654" in officer and "123,456,789" not in officer
    township = page(web.client("township_a"), reverse("web:identification"))
    assert "987,654" not in township and "329,218" not in township and "123,456,789" not in township
    assert f'data-run="{county.pk}"' in township  # listed, its page counts within the township
    root = page(web.client("root"), reverse("web:identification"))
    assert "987,654" in root and "123,456,789" in root and everything.pk


def test_personal_pages_and_exports_are_never_cached(web):
    client = web.client("officer_a")
    for url in (reverse("web:household", args=["A101-1"]), reverse("web:households"), reverse("web:export")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store, private", url
    assert web.client("root").get(reverse("admin:index"))["Cache-Control"] == "no-store, private"


def test_no_template_carries_inline_script_the_csp_would_block():
    """The site's CSP allows scripts from itself only (settings.CONTENT_SECURITY_POLICY: script-src 'self'): an
    inline handler (onclick=…) or an inline <script> would silently not run in the browser."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "jingzhun"
    found = []
    for path in [*root.rglob("templates/**/*.html"), *root.rglob("jinja2/**/*.html")]:
        text = path.read_text(encoding="utf-8")
        # A data block (<script type="application/json">) is not run, so the CSP has nothing to block.
        if re.search(r"\son[a-z]+\s*=", text) or re.search(
                r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>", text):
            found.append(str(path.relative_to(root)))
    assert found == []
