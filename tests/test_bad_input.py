"""Red team (stop 21): bad input is answered with a message naming the field and the rule, nothing is written,
and never with a 500. Each case below was a 500 found by sending hostile values to every form and filter:
a number too large for the column or for decimal arithmetic, an id beyond the database's integer, and digits
that `str.isdigit` accepts but `int` does not (superscripts: "²").
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from jingzhun.plans.models import HelpPlan, PlanMeasure

pytestmark = pytest.mark.django_db

YEAR = 2024


def plan_post(client, **measure: str):
    data = {"goal": "稳定增收", "measure-1-category": "health", "measure-1-description": "慢病签约服务",
            "measure-1-amount": "100", "measure-1-status": "planned"}
    data.update({f"measure-1-{k}": v for k, v in measure.items()})
    return client.post(reverse("web:plan", args=["A101-1", YEAR]), data)


@pytest.mark.parametrize("amount", ["99999999999999999999", "1e309", "1E+40", "10000000000.00"])
def test_a_plan_amount_beyond_the_column_is_refused_by_its_field(web, amount):
    response = plan_post(web.client("officer_a"), amount=amount)
    assert response.status_code == 400
    html = response.content.decode()
    assert "第 1 条措施 计划金额" in html and "不能超过 9999999999.99 元" in html, amount
    assert not HelpPlan.objects.exists() and not PlanMeasure.objects.exists()


@pytest.mark.parametrize("cadre", ["99999999999999999999", "-5", "0"])
def test_a_plan_cadre_id_beyond_any_row_is_refused_by_its_field(web, cadre):
    response = plan_post(web.client("officer_a"), cadre=cadre)
    assert response.status_code == 400
    html = response.content.decode()
    assert "第 1 条措施 责任干部" in html, cadre
    assert not HelpPlan.objects.exists() and not PlanMeasure.objects.exists()


def test_a_plan_amount_at_the_limit_is_kept(web):
    """The boundary itself is a valid amount: the check above refuses only what the column cannot hold."""
    assert plan_post(web.client("officer_a"), amount="9999999999.99").status_code == 302
    assert str(PlanMeasure.objects.get().amount) == "9999999999.99"


@pytest.mark.parametrize("url", ["assessment:index", "assessment:signoff", "assessment:shortlist", "assessment:flags"])
def test_a_year_in_superscript_digits_is_the_default_year_not_an_error(web, url):
    response = web.client("officer_a").get(reverse(url) + "?year=²⁰²⁴")
    assert response.status_code == 200


def test_assessment_posts_with_a_superscript_year_are_not_an_error(web):
    client = web.client("officer_a")
    assert client.post(reverse("assessment:signoff"), {"year": "²", "township": "x", "action": "submit"}).status_code < 500
    assert client.post(reverse("assessment:decide"), {"year": "²", "subject": "flag"}).status_code < 500


def test_the_audit_page_with_a_superscript_cursor_is_its_first_page(web):
    client = web.client("officer_a")
    first = client.get(reverse("web:audit"))
    odd = client.get(reverse("web:audit") + "?before=²")
    assert odd.status_code == 200 and odd.context["rows"] == first.context["rows"]


@pytest.mark.parametrize(("slug", "field"), [("appraise", "held_on"), ("publish", "starts_on")])
def test_an_appraisal_step_dated_9999_is_refused_and_the_application_still_opens(web, slug, field):
    """A step dated 9999-12-31 was stored as the application's state date; its deadline (that date plus the
    days allowed) is no date, and the application's page failed from then on, for everyone."""
    import datetime as dt

    from jingzhun.appraisal import workflow
    from jingzhun.appraisal.models import Application, Step
    from jingzhun.registry.models import Household

    root = web.users["root"]
    app = workflow.apply(Household.objects.get(number="A101-1"), 2020, applied_by="甲", on=dt.date(2020, 1, 2),
                         user=root)
    if slug == "publish":
        workflow.appraise(app.pk, held_on=dt.date(2020, 1, 3), attendees=9, votes_for=9, votes_against=0,
                          votes_abstain=0, minutes="同意", user=root)
        workflow.crosscheck(app.pk, on=dt.date(2020, 1, 4), user=root)
    steps = Step.objects.filter(application=app).count()
    client = web.client("officer_a")
    data = {"held_on": "2020-01-03", "attendees": "9", "votes_for": "9", "votes_against": "0", "votes_abstain": "0",
            "minutes": "同意", "starts_on": "2020-01-05", "days": "7", "contact": "村委会", field: "9999-12-31"}
    response = client.post(reverse("web:application_step", args=[app.pk, slug]), data)
    assert response.status_code == 400 and "须在 1980-01-01 至" in response.content.decode()
    assert Step.objects.filter(application=app).count() == steps
    assert Application.objects.get(pk=app.pk).state_since.year < 2100
    assert client.get(reverse("web:application", args=[app.pk])).status_code == 200
