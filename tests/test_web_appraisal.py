"""The appraisal-and-notice workflow in the browser (Django's test client), with the cast of tests/web_cast.py
and a village work team (洗车村). Expected steps, dates and periods are worked out by hand from the rules in
docs/appraisal.md: a 7-day notice starting 5 March runs 5–11 March; the vote 16 of 31 passes."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jingzhun.appraisal import workflow
from jingzhun.appraisal.models import Application, Notice, Objection, Step, VillageAppraisal
from jingzhun.audit.models import AuditEntry
from jingzhun.crosscheck.actions import import_list
from jingzhun.crosscheck.models import CrossCheckHit
from jingzhun.registry.models import Household
from tests.factories import COUNTY, VILLAGE
from tests.test_web_pages import visible_text
from tests.web_cast import page, role

pytestmark = pytest.mark.django_db

VOTE = {"held_on": "2021-03-02", "attendees": "31", "votes_for": "16", "votes_against": "10", "votes_abstain": "5",
        "minutes": "经村民代表大会评议，该户因病致贫，符合识别条件。"}


@pytest.fixture
def team(web) -> Client:
    """A member of 洗车村's work team: may take the village's steps there, and nothing above."""
    web.users["team_a"] = role("team_a", VILLAGE, "work_team")
    return web.client("team_a")


def post(client: Client, app: Application | None, slug: str, data: dict[str, str]):
    url = reverse("web:application_new") if app is None else reverse("web:application_step", args=[app.pk, slug])
    return client.post(url, data)


def ok(response) -> None:
    assert response.status_code == 302, (response.status_code, errors(response))


def errors(response) -> list[str]:
    return re.findall(r'<p class="message error" data-field-error>([^<]*)</p>', response.content.decode())


def fresh(app: Application) -> Application:
    return Application.objects.get(pk=app.pk)


def snapshot() -> tuple[int, ...]:
    """Everything a step may write (logging in writes audit rows of its own)."""
    return (Application.objects.count(), Step.objects.count(), AuditEntry.objects.filter(
        action__startswith="appraisal.").count(),
            VillageAppraisal.objects.count(), Notice.objects.count(), Objection.objects.count(),
            *Application.objects.order_by("pk").values_list("pk", flat=True),
            hash(tuple(Application.objects.order_by("pk").values_list("state", "state_since"))))


def file_application(client: Client, number: str = "A101-1") -> Application:
    response = post(client, None, "", {"household": number, "year": "2021", "applied_by": "王大山",
                                       "on": "2021-03-01"})
    ok(response)
    app = Application.objects.get(household__number=number, year=2021)
    assert response["Location"] == reverse("web:application", args=[app.pk])
    return app


def to_first_notice(client: Client, app: Application) -> None:
    ok(post(client, app, "appraise", VOTE))
    ok(post(client, app, "crosscheck", {"on": "2021-03-03"}))
    ok(post(client, app, "publish", {"starts_on": "2021-03-05", "days": "", "contact": "村委会 0743-1234567"}))


def test_one_application_walks_every_step_in_the_browser(web, team):
    app = file_application(team)
    assert fresh(app).state == "applied"
    to_first_notice(team, app)
    notice = Notice.objects.get(stage="first")
    # Days left empty: the configured 7 days, counted inclusively.
    assert (notice.starts_on, notice.ends_on, notice.days) == (dt.date(2021, 3, 5), dt.date(2021, 3, 11), 7)
    html = page(team, reverse("web:application", args=[app.pk]))
    assert "2021-03-05 — 2021-03-11" in html and reverse("appraisal:notice", args=[notice.pk]) in html
    ok(post(team, app, "close", {"on": "2021-03-12"}))
    # The work team's authority ends at the village.
    assert post(team, app, "township", {"decision": "approve", "on": "2021-03-15"}).status_code == 403
    township, county = web.client("township_a"), web.client("officer_a")
    ok(post(township, app, "township", {"decision": "approve", "on": "2021-03-15", "opinion": "同意"}))
    ok(post(township, app, "publish", {"starts_on": "2021-03-16", "days": "5", "contact": "镇扶贫站"}))
    second = Notice.objects.get(stage="second")
    assert (second.starts_on, second.ends_on) == (dt.date(2021, 3, 16), dt.date(2021, 3, 20))
    ok(post(township, app, "close", {"on": "2021-03-21"}))
    # A township officer cannot take the county's decision.
    before = snapshot()
    assert post(township, app, "county", {"decision": "approve", "on": "2021-03-25"}).status_code == 403
    assert snapshot() == before
    ok(post(county, app, "county", {"decision": "approve", "on": "2021-03-25"}))
    ok(post(county, app, "announce", {"on": "2021-03-28"}))

    steps = list(Step.objects.filter(application=app).values_list("action", "from_state", "to_state", "actor", "on"))
    day = lambda d: dt.date(2021, 3, d)  # noqa: E731
    assert steps == [
        ("apply", "", "applied", "team_a", day(1)),
        ("appraise", "applied", "appraised", "team_a", day(2)),
        ("crosscheck", "appraised", "checked", "team_a", day(3)),
        ("publish_first", "checked", "first_notice", "team_a", day(5)),
        ("close_first", "first_notice", "township_review", "team_a", day(12)),
        ("township_approve", "township_review", "township_approved", "township_a", day(15)),
        ("publish_second", "township_approved", "second_notice", "township_a", day(16)),
        ("close_second", "second_notice", "county_review", "township_a", day(21)),
        ("county_approve", "county_review", "approved", "officer_a", day(25)),
        ("announce", "approved", "announced", "officer_a", day(28)),
    ]
    audits = list(AuditEntry.objects.filter(object_type="application", object_id=str(app.pk)).order_by("id")
                  .values_list("action", "actor"))
    assert audits == [(f"appraisal.{a}", who) for a, _f, _t, who, _d in steps]
    vote = VillageAppraisal.objects.get(application=app)
    assert (vote.attendees, vote.votes_for, vote.votes_against, vote.votes_abstain) == (31, 16, 10, 5)
    household = Household.objects.get(number="A101-1")
    assert (household.status, household.identified_year) == ("poor", 2021)
    # The page shows the whole history, both notices, and no step left to take.
    html = page(county, reverse("web:application", args=[app.pk]))
    assert re.findall(r'<tr data-action="(\w+)">', html) == [s[0] for s in steps]
    assert len(re.findall(r"<tr data-notice=", html)) == 2 and 'id="no-steps"' in html
    assert 'data-state="announced"' in html and "已公告" in html


def test_the_page_offers_only_the_steps_the_user_may_take_now(web, team):
    app = file_application(team)
    offered = lambda who: re.findall(r'id="step-(\w+)"', page(web.client(who), reverse(  # noqa: E731
        "web:application", args=[app.pk])))
    assert offered("team_a") == ["appraise"] and offered("officer_a") == ["appraise"]
    assert offered("auditor_a") == []  # sees the application, takes no step
    to_first_notice(team, app)
    assert offered("team_a") == ["close", "object"]
    ok(post(team, app, "close", {"on": "2021-03-12"}))
    assert offered("team_a") == [] and offered("township_a") == ["township"]


def test_an_objection_reopens_review_with_its_reason(web, team):
    app = file_application(team)
    to_first_notice(team, app)
    before = snapshot()
    response = post(team, app, "object", {"on": "2021-03-07", "raised_by": "", "reason": "  "})
    assert response.status_code == 400 and snapshot() == before
    assert errors(response) == ["须填写异议内容"]
    ok(post(team, app, "object", {"on": "2021-03-07", "raised_by": "", "reason": "该户儿子在县城有稳定工作"}))
    assert fresh(app).state == "applied"  # the village appraises again
    last = Step.objects.filter(application=app).last()
    assert last is not None and (last.action, last.from_state, last.to_state, last.reason) == (
        "object", "first_notice", "applied", "该户儿子在县城有稳定工作")
    objection = Objection.objects.get()
    assert (objection.notice.stage, objection.raised_on, objection.recorded_by) == ("first", dt.date(2021, 3, 7),
                                                                                   "team_a")
    assert AuditEntry.objects.filter(action="appraisal.object", object_id=str(app.pk)).get().detail["reason"] == \
        "该户儿子在县城有稳定工作"
    html = page(team, reverse("web:application", args=[app.pk]))
    assert "该户儿子在县城有稳定工作" in html and 'id="step-appraise"' in html
    # During the second notice an objection sends the application back to the township.
    to_first_notice(team, app)
    ok(post(team, app, "close", {"on": "2021-03-12"}))
    township = web.client("township_a")
    ok(post(township, app, "township", {"decision": "approve", "on": "2021-03-15"}))
    ok(post(township, app, "publish", {"starts_on": "2021-03-16", "days": "5", "contact": "镇扶贫站"}))
    ok(post(team, app, "object", {"on": "2021-03-17", "raised_by": "村民甲", "reason": "有人反映其家中有小轿车"}))
    assert fresh(app).state == "township_review"
    assert Objection.objects.order_by("id").last().notice.stage == "second"  # type: ignore[union-attr]


@pytest.mark.parametrize("slug, data, message", [
    ("appraise", {**VOTE, "votes_against": "-1"}, "反对票须为非负整数"),
    ("appraise", {**VOTE, "votes_for": "20", "votes_against": "10", "votes_abstain": "5"}, "超过参会人数 31"),
    ("appraise", {**VOTE, "votes_for": "abc"}, "赞成票：输入整数。"),
    ("appraise", {**VOTE, "minutes": ""}, "须填写会议记录"),
    ("appraise", {**VOTE, "attendees": "0", "votes_for": "0", "votes_against": "0", "votes_abstain": "0"},
     "参会人数不能为0"),
    ("appraise", {**VOTE, "held_on": "2021-02-30"}, "评议日期：输入一个有效的日期。"),
    ("appraise", {**VOTE, "attendees": "99999999999"}, "参会人数不能超过 100,000"),
])
def test_bad_appraisal_input_is_refused_naming_the_field_and_nothing_changes(web, team, slug, data, message):
    app = file_application(team)
    before = snapshot()
    response = post(team, app, slug, data)
    assert response.status_code == 400
    assert any(message in e for e in errors(response)), errors(response)
    assert snapshot() == before and fresh(app).state == "applied"


@pytest.mark.parametrize("days, message", [("0", "公示天数须为正整数"), ("-3", "公示天数须为正整数"),
                                           ("x", "公示天数：输入整数。"), ("100000", "公示天数不能超过 365 天")])
def test_notice_days_must_be_positive(web, team, days, message):
    app = file_application(team)
    ok(post(team, app, "appraise", VOTE))
    ok(post(team, app, "crosscheck", {"on": "2021-03-03"}))
    before = snapshot()
    response = post(team, app, "publish", {"starts_on": "2021-03-05", "days": days, "contact": "村委会"})
    assert response.status_code == 400 and any(message in e for e in errors(response)), errors(response)
    response = post(team, app, "publish", {"starts_on": "2021-03-05", "days": "7", "contact": ""})
    assert response.status_code == 400 and errors(response) == ["须填写异议受理联系方式"]
    assert snapshot() == before and fresh(app).state == "checked"


def test_the_wrong_step_is_a_message_not_a_change(web, team):
    app = file_application(team)
    before = snapshot()
    response = post(team, app, "close", {"on": "2021-03-12"})
    assert response.status_code == 400 and snapshot() == before
    assert "当前环节为“待民主评议”，不能执行“一次公示期满”" in errors(response)[0]
    # In English the same refusal is in English.
    team.post(reverse("set_language"), {"language": "en", "next": "/"})
    response = post(team, app, "close", {"on": "2021-03-12"})
    assert errors(response)[0].startswith("application ") and "close first notice" in errors(response)[0]


def test_the_other_county_gets_404_for_the_page_and_every_action(web, team):
    app = file_application(team)
    stranger = web.client("officer_b")
    before = snapshot()
    assert stranger.get(reverse("web:application", args=[app.pk])).status_code == 404
    for slug in ["appraise", "crosscheck", "publish", "close", "object", "township", "county", "announce"]:
        assert post(stranger, app, slug, VOTE | {"on": "2021-03-03", "decision": "approve",
                                                  "reason": "x"}).status_code == 404, slug
    # Filing for a household of another county: the same answer as for a household that does not exist.
    for number in ["A101-2", "NO-SUCH"]:
        response = post(stranger, None, "", {"household": number, "year": "2021", "applied_by": "x",
                                             "on": "2021-03-01"})
        assert response.status_code == 404 and errors(response) == ["户编号：您的管辖范围内没有该户。"]
    assert snapshot() == before
    assert re.findall(r'data-application="(\d+)"', page(stranger, reverse("web:applications"))) == []
    # The notice of the application cannot be printed from there either.
    to_first_notice(team, app)
    notice = Notice.objects.get()
    assert stranger.get(reverse("appraisal:notice", args=[notice.pk])).status_code == 404
    response = team.get(reverse("appraisal:notice", args=[notice.pk]))
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="appraisal.notice.print", actor="team_a", object_id=str(notice.pk)).exists()


def test_helpers_and_users_without_a_role_get_403_and_auditors_take_no_step(web, team):
    app = file_application(team)
    before = snapshot()
    for who in ["helper_a", "no_role"]:
        client = web.client(who)
        for url in [reverse("web:applications"), reverse("web:overdue"), reverse("web:application", args=[app.pk])]:
            assert client.get(url).status_code == 403, (who, url)
        assert post(client, app, "appraise", VOTE).status_code == 403
        assert post(client, None, "", {"household": "A101-1", "year": "2022", "applied_by": "x",
                                       "on": "2022-03-01"}).status_code == 403
    auditor = web.client("auditor_a")
    page(auditor, reverse("web:application", args=[app.pk]))
    assert post(auditor, app, "appraise", VOTE).status_code == 403
    assert post(auditor, None, "", {"household": "A101-2", "year": "2021", "applied_by": "x",
                                    "on": "2021-03-01"}).status_code == 403
    assert snapshot() == before
    # A user administrator administers accounts; approval is an officer's.
    web.users["admin_a"] = role("admin_a", COUNTY, "administrator")
    page(web.client("admin_a"), reverse("web:application", args=[app.pk]))
    assert post(web.client("admin_a"), app, "appraise", VOTE).status_code == 403
    assert snapshot() == before
    # Logged out: to the login page.
    assert Client().get(reverse("web:application", args=[app.pk])).status_code == 302


def test_filing_twice_in_a_year_or_for_a_wrong_year_is_refused(web, team):
    file_application(team)
    before = snapshot()
    for year in ["99999", "1900"]:
        response = post(team, None, "", {"household": "A101-3", "year": year, "applied_by": "赵一",
                                         "on": "2021-03-02"})
        assert response.status_code == 400 and errors(response)[0].startswith("识别年度须为 2000–2100 之间的年份")
    response = post(team, None, "", {"household": "A101-3", "year": "2021", "applied_by": " ", "on": "2021-03-02"})
    assert response.status_code == 400 and errors(response) == ["须填写申请人"]
    response = post(team, None, "", {"household": "A101-1", "year": "2021", "applied_by": "王大山", "on": "2021-03-02"})
    assert response.status_code == 400 and "已有 2021 年度的在办申请" in errors(response)[0]
    assert snapshot() == before


def test_the_list_filters_by_step_and_overdue_and_links_to_each_application(web):
    officer = web.users["officer_a"]
    today = timezone.localdate()
    old = workflow.apply(Household.objects.get(number="A101-1"), 2020, applied_by="王大山", on=dt.date(2020, 1, 2),
                         user=officer)
    new = workflow.apply(Household.objects.get(number="A101-2"), today.year, applied_by="王小川", on=today, user=officer)
    foreign = workflow.apply(Household.objects.get(number="B102-1"), 2020, applied_by="孙三", on=dt.date(2020, 1, 2),
                   user=web.users["root"])
    client = web.client("officer_a")
    listed = lambda query="": [int(i) for i in re.findall(  # noqa: E731
        r'<tr data-application="(\d+)">', page(client, reverse("web:applications") + query))]
    assert sorted(listed()) == sorted([old.pk, new.pk])
    assert sorted(listed("?step=applied")) == sorted([old.pk, new.pk])
    assert listed("?step=appraised") == []
    assert listed("?overdue=1") == [old.pk]  # applied 30+ days ago and never appraised; the other, today
    html = page(client, reverse("web:applications"))
    assert reverse("web:application", args=[old.pk]) in html and 'id="overdue-count">1<' in html
    # The overdue page: the days over worked out by hand — 30 days allowed for the village appraisal.
    html = page(client, reverse("web:overdue"))
    rows = re.findall(r'<tr data-application="(\d+)">.*?<td class="num">(\d+)</td><td class="num short">(\d+)</td>',
                      html)
    assert rows == [(str(old.pk), "30", str((today - dt.date(2020, 1, 2)).days - 30))]
    assert re.findall(r'<tr data-application="(\d+)">', page(client, reverse("web:overdue") + "?area=433130101202")) \
        == []
    assert "不存在" in page(client, reverse("web:overdue") + "?area=999999999999")
    assert re.findall(r'<tr data-application="(\d+)">', page(web.client("officer_b"), reverse("web:overdue"))) == \
        [str(foreign.pk)]


def test_both_languages_render_the_application_page(web, team):
    app = file_application(team)
    url = reverse("web:application", args=[app.pk])
    html = page(team, url)
    # A date input takes an ISO date (a localised "2021/03/01" would show as empty), today by default.
    assert f'type="date" name="held_on" value="{timezone.localdate().isoformat()}"' in html
    zh = visible_text(html)
    assert "民主评议" in zh and "办理记录" in zh and "待民主评议" in zh
    team.post(reverse("set_language"), {"language": "en", "next": "/"})
    en = visible_text(page(team, url))
    assert "Village democratic appraisal" in en and "History" in en and "awaiting village appraisal" in en
    assert "apply" in en and "提出申请" not in en


def test_a_pending_cross_department_hit_blocks_the_check_until_acknowledged(web, team, tmp_path):
    """A vehicle list names the second member of A101-1: the check stops on it, the page lists it, and an
    acknowledgement with a reason lets the application go on with the hit recorded on the step."""
    path = tmp_path / "vehicles.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["姓名", "身份证号", "号牌号码"])
        writer.writerow(["甲", web.resident_id("A101-1", 2), "湘U12345"])
    import_list(path, "vehicle", actor="交警大队", today=dt.date(2021, 1, 1))
    hit = CrossCheckHit.objects.get(household__number="A101-1")
    app = file_application(team)
    ok(post(team, app, "appraise", VOTE))
    before = snapshot()
    response = post(team, app, "crosscheck", {"on": "2021-03-03", "acknowledge": ""})
    assert response.status_code == 400 and "该户有 1 条待核实的比对命中" in errors(response)[0]
    assert snapshot() == before
    html = page(team, reverse("web:application", args=[app.pk]))
    assert re.findall(r'<tr data-status="(\w+)"><td>(\d+)</td>', html) == [("pending", "2")]
    ok(post(team, app, "crosscheck", {"on": "2021-03-03", "acknowledge": "车辆已于2020年转让，待交警确认"}))
    step = Step.objects.filter(application=app).last()
    assert step is not None and (step.action, step.reason) == ("crosscheck", "车辆已于2020年转让，待交警确认")
    assert step.detail["acknowledged_pending"] == [hit.pk]
    # An auditor sees the application but not the hits, which are for those who decide or take the check.
    url = reverse("web:application", args=[app.pk])
    assert 'id="hits"' not in page(web.client("auditor_a"), url) and 'id="hits"' in page(web.client("officer_a"), url)
