"""Monitoring pages with the web tests' cast (tests/web_cast.py): who sees which cases, who may take which
step, the self-report form, the overdue list and the county's one list. Expected answers come from the cast's
table of households, never from what the application returns.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from jingzhun.audit.models import AuditEntry
from jingzhun.monitoring import cases
from jingzhun.monitoring.models import Case, CaseStep
from jingzhun.registry.models import Household, Member
from tests.web_cast import A_COUNTY, B_COUNTY, HOUSEHOLDS, numbers_in, page

pytestmark = pytest.mark.django_db

ON = dt.date(2021, 9, 16)


def open_cases() -> dict[str, int]:
    """One case per household of the cast, reported long ago (so every one is overdue), made once."""
    root = User.objects.get(username="root")
    for number in HOUSEHOLDS:
        if not Case.objects.filter(household__number=number).exists():
            cases.report(root, cases.Report(Household.objects.get(number=number).pk, ON, "户主", "家人患病"))
    return dict(Case.objects.values_list("household__number", "pk"))


def test_each_user_sees_the_cases_of_their_areas(web):
    ids = open_cases()
    for name, sees in {"officer_a": A_COUNTY, "officer_b": B_COUNTY, "township_a": {"A101-1", "A101-2", "A101-3"},
                       "helper_a": {"A101-1"}}.items():
        client = web.client(name)
        assert numbers_in(page(client, reverse("monitoring:cases"))) == sees, name
        assert numbers_in(page(client, reverse("monitoring:overdue"))) == sees, name
        for number, pk in ids.items():
            status = 200 if number in sees else 404
            page(client, reverse("monitoring:case", args=[pk]), status)
    # An auditor and a user without a role have no monitoring pages at all.
    for name in ("auditor_a", "no_role"):
        assert web.client(name).get(reverse("monitoring:cases")).status_code == 403


def test_steps_are_refused_outside_the_area_and_below_the_level(web):
    ids = open_cases()
    data = {"on": "2021-09-17", "finding": "属实", "take_in": "0", "kind": ""}
    def written() -> tuple[int, int]:
        return CaseStep.objects.count(), AuditEntry.objects.filter(action__startswith="monitoring.").count()

    before = written()
    url = reverse("monitoring:case_step", args=[ids["B102-1"], "check"])
    assert web.client("officer_a").post(url, data).status_code == 404
    assert web.client("helper_a").post(reverse("monitoring:case_step", args=[ids["A101-1"], "check"]),
                                       data).status_code == 403
    assert web.client("township_a").post(reverse("monitoring:case_step", args=[ids["A101-1"], "approve_elimination"]),
                                         {"on": "2021-10-01"}).status_code == 403
    assert written() == before
    # The township's officer may check a case of their village: not taken in, it closes.
    response = web.client("township_a").post(reverse("monitoring:case_step", args=[ids["A101-1"], "check"]), data)
    assert response.status_code == 302 and Case.objects.get(pk=ids["A101-1"]).state == "dismissed"
    # Bad input: the page again with the rule, nothing saved.
    bad = web.client("officer_a").post(reverse("monitoring:case_step", args=[ids["A101-2"], "check"]),
                                       {**data, "finding": ""})
    assert bad.status_code == 400 and Case.objects.get(pk=ids["A101-2"]).state == "open"


def test_the_self_report_form_keeps_to_the_users_households(web):
    helper = web.client("helper_a")
    form = {"household": "A101-1", "on": "2021-09-16", "reported_by": "王大山", "situation": "住院",
            "schooling": "", "disaster": "3000"}
    response = helper.post(reverse("monitoring:report"), form)
    assert response.status_code == 302 and Case.objects.filter(household__number="A101-1", source="self_report")
    assert helper.post(reverse("monitoring:report"), {**form, "household": "A101-2"}).status_code == 404
    assert web.client("officer_b").post(reverse("monitoring:report"), {**form, "household": "A101-3"}).status_code == 404
    assert not Case.objects.filter(household__number__in=["A101-2", "A101-3"]).exists()
    refused = web.client("officer_a").post(reverse("monitoring:report"), {**form, "household": "A101-3",
                                                                          "disaster": "abc"})
    assert refused.status_code == 400 and not Case.objects.filter(household__number="A101-3").exists()


def test_the_county_list_shows_its_households_once_with_their_reasons(web):
    open_cases()
    Member.objects.filter(household__number="A101-2", position=1).update(assistance="tekun")
    Household.objects.filter(number="A101-3").update(category="dibao")
    html = page(web.client("officer_a"), reverse("monitoring:county") + "?county=433130000000")
    assert numbers_in(html) == A_COUNTY
    assert "低保贫困户" in html and "家庭成员享受特困供养" in html
    assert web.client("officer_b").get(reverse("monitoring:county") + "?county=433130000000").status_code == 404
    assert numbers_in(page(web.client("officer_b"), reverse("monitoring:county"))) == B_COUNTY  # their own county
    # A helper sees their county's list limited to their own household; an unknown code is said, not a 500.
    assert numbers_in(page(web.client("helper_a"), reverse("monitoring:county"))) == {"A101-1"}
    assert "不存在" in page(web.client("officer_a"), reverse("monitoring:county") + "?county=439999000000")


def test_screening_from_the_page_needs_the_screen_ability(web):
    assert web.client("helper_a").post(reverse("monitoring:screen"), {"year": "2021"}).status_code == 403
    response = web.client("officer_a").post(reverse("monitoring:screen"), {"year": "2021"})
    assert response.status_code == 302 and AuditEntry.objects.filter(action="monitoring.screen").count() == 1


def test_the_risk_elimination_notice_prints_in_chinese_and_stays_in_its_area(web):
    import re
    from decimal import Decimal

    from jingzhun.registry.models import IncomeRecord
    from tests.test_monitoring import through_the_workflow
    from tests.test_web_pages import LATIN_ALLOWED, visible_text

    ids = open_cases()
    officer = User.objects.get(username="officer_a")
    case = cases.check(officer, ids["A101-3"], on=ON, finding="属实", take_in=True)
    assert case.application_id is not None
    through_the_workflow(case.application_id, officer, officer, officer, dt.date(2021, 9, 22))
    cases.follow()
    IncomeRecord.objects.create(household_id=case.household_id, year=2022, wage_income=Decimal("50000"))
    cases.propose_elimination(officer, case.pk, on=dt.date(2022, 6, 1), contact="洗车村村委会", review="务工收入稳定")
    html = page(web.client("officer_a"), reverse("monitoring:notice", args=[case.pk]))
    assert "A101-3" in html and "洗车村村委会" in html and "2022-06-07" in html
    words = set(re.findall(r"[A-Za-z]{2,}", visible_text(html).replace("officer_a", ""))) - LATIN_ALLOWED
    assert not {w for w in words if not re.fullmatch(r"[A-Z]\d*|[AB]", w)}, words
    assert 'id="notice-link"' in page(web.client("officer_a"), reverse("monitoring:case", args=[case.pk]))
    assert web.client("officer_b").get(reverse("monitoring:notice", args=[case.pk])).status_code == 404
    assert web.client("officer_a").get(reverse("monitoring:notice", args=[ids["A101-1"]])).status_code == 404
