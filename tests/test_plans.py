"""The household help plan (一户一策) and its measures: database rules, the service's checks and audit rows,
the edit and approval pages for the cast of tests/web_cast.py, and the household page.

Household A101-1 (洗车村, helped by helper_a) has the primary cause 因病 (illness) and the other causes
缺技术、缺资金 (skills, capital) — see tests/factories.py. Every expectation below is worked from that.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from jingzhun.audit.models import AuditEntry
from jingzhun.plans import services
from jingzhun.plans.models import HelpPlan, PlanMeasure, PlanRevision
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre, HelperPair
from tests.test_web_pages import LATIN_ALLOWED, visible_text
from tests.web_cast import HOUSEHOLDS, SEES, page

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year
M = services.MeasureInput


def hh(number: str) -> Household:
    return Household.objects.get(number=number)


def health(**kw) -> services.MeasureInput:
    values = {"category": "health", "description": "大病专项救治", "amount": "3000.50", "due_on": f"{YEAR}-12-31"}
    return M(**(values | kw))


def plan_rows() -> tuple[int, int, int]:
    return HelpPlan.objects.count(), PlanMeasure.objects.count(), AuditEntry.objects.filter(action__startswith="plan.").count()


# --------------------------------------------------------------------------- database rules


def test_one_plan_per_household_and_year_is_a_database_rule(web):
    user = web.users["officer_a"]
    HelpPlan.objects.create(household=hh("A101-1"), year=2020, goal="a", drafted_by=user)
    HelpPlan.objects.create(household=hh("A101-1"), year=2021, goal="b", drafted_by=user)  # another year: fine
    HelpPlan.objects.create(household=hh("A101-2"), year=2020, goal="c", drafted_by=user)  # another household: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpPlan.objects.create(household=hh("A101-1"), year=2020, goal="d", drafted_by=user)


@pytest.mark.parametrize("fields", [
    {"amount": Decimal("-0.01")},
    {"status": "done"},  # done without a completion date
    {"status": "planned", "done_on": dt.date(2020, 5, 1)},  # a completion date while not done
    {"status": "cancelled", "done_on": dt.date(2020, 5, 1)},
    {"category": "lottery"},
    {"status": "finished", "done_on": dt.date(2020, 5, 1)},
])
def test_measure_checks_hold_in_the_database(web, fields):
    plan = HelpPlan.objects.create(household=hh("A101-1"), year=2020, goal="a", drafted_by=web.users["officer_a"])
    values = {"plan": plan, "category": "health", "description": "x", "amount": Decimal("0")} | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanMeasure.objects.create(**values)


def test_done_with_a_date_and_zero_amount_are_accepted_by_the_database(web):
    plan = HelpPlan.objects.create(household=hh("A101-1"), year=2020, goal="a", drafted_by=web.users["officer_a"])
    PlanMeasure.objects.create(plan=plan, category="credit", description="x", amount=Decimal("0"), status="done",
                               done_on=dt.date(2020, 5, 1))


def test_an_approval_needs_both_who_and_when(web):
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpPlan.objects.create(household=hh("A101-1"), year=2020, goal="a", drafted_by=web.users["officer_a"],
                                approved_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        HelpPlan.objects.create(household=hh("A101-1"), year=1999, goal="a", drafted_by=web.users["officer_a"])


# --------------------------------------------------------------------------- the service


@pytest.mark.parametrize(("year", "measure", "field", "words"), [
    (2012, health(), "year", ["年度", "year", "2013"]),
    (YEAR + 2, health(), "year", ["year", str(YEAR + 1)]),
    ("二〇二〇", health(), "year", ["year", "four-digit"]),
    (YEAR, health(amount="-5"), "measures[1].amount", ["计划金额", "measure 1, amount", "≥ 0"]),
    (YEAR, health(amount="12.345"), "measures[1].amount", ["amount", "2 decimals"]),
    (YEAR, health(amount="abc"), "measures[1].amount", ["amount", "not a number"]),
    (YEAR, health(due_on=f"{YEAR - 1}-12-31"), "measures[1].due_on", ["due date", str(YEAR)]),
    (YEAR, health(due_on="31/12/2020"), "measures[1].due_on", ["due date", "not a valid date"]),
    (YEAR, health(status="done"), "measures[1].done_on", ["completion date", "required when the status is done"]),
    (YEAR, health(done_on=f"{YEAR}-01-01"), "measures[1].done_on", ["completion date", "only when the status is done"]),
    (YEAR, health(category="lottery"), "measures[1].category", ["措施类别", "category", "must be one of"]),
    (YEAR, health(description=" "), "measures[1].description", ["description", "required"]),
    (YEAR, health(status="finished"), "measures[1].status", ["status", "must be one of"]),
])
def test_bad_input_names_the_field_and_rule_and_saves_nothing(web, year, measure, field, words):
    before = plan_rows()
    # A good measure first: a bad second one must stop the whole plan, not land half of it.
    good = M(category="training", description="电商培训", amount="0")
    with pytest.raises(services.PlanRefused) as refused:
        services.save_plan(web.users["helper_a"], hh("A101-1").pk, year, "两年内稳定增收", [good, measure])
    fields = [p.field for p in refused.value.problems]
    field = field.replace("measures[1]", "measures[2]")
    assert field in fields, fields
    text = str(next(p for p in refused.value.problems if p.field == field))
    assert all(w in text for w in [w.replace("measure 1", "measure 2") for w in words]), text
    assert plan_rows() == before


def test_an_empty_goal_and_a_cadre_from_another_county_are_refused(web):
    elsewhere = Cadre.objects.create(name="外县干部", unit="永顺县民政局", unit_kind="county", rank="staff",
                                     home_area_id="433127102203")
    with pytest.raises(services.PlanRefused) as refused:
        services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR, "  ", [health(cadre=elsewhere.pk)])
    assert {p.field for p in refused.value.problems} == {"goal", "measures[1].cadre"}
    assert plan_rows() == (0, 0, 0)


def test_a_household_outside_the_scope_is_not_found_and_nothing_is_saved(web):
    for user, number in [("helper_a", "A101-2"), ("officer_b", "A101-1"), ("auditor_a", "A101-1"),
                         ("no_role", "A101-1")]:
        with pytest.raises(services.PlanNotFound):
            services.save_plan(web.users[user], hh(number).pk, YEAR, "目标", [health()])
    assert plan_rows() == (0, 0, 0)


def test_create_then_update_writes_one_audit_row_per_row_written(web):
    helper = web.users["helper_a"]
    plan = services.save_plan(helper, hh("A101-1").pk, YEAR, "两年内稳定增收",
                              [health(), M(category="credit", description="5万元小额信贷", amount="50000")])
    assert (plan.year, plan.goal, plan.drafted_by, plan.approved_at) == (YEAR, "两年内稳定增收", helper, None)
    measures = list(plan.measures.order_by("id"))
    assert [(m.category, m.amount, m.status) for m in measures] == [
        ("health", Decimal("3000.50"), "planned"), ("credit", Decimal("50000.00"), "planned")]
    assert list(AuditEntry.objects.filter(action__startswith="plan.").order_by("id").values_list("action", "actor")) == [
        ("plan.create", "helper_a"), ("plan.measure.add", "helper_a"), ("plan.measure.add", "helper_a")]
    assert AuditEntry.objects.get(action="plan.create").area == "433130101201"
    # The same form again changes nothing and writes nothing.
    same = [health(id=measures[0].pk), M(id=measures[1].pk, category="credit", description="5万元小额信贷",
                                           amount="50000.00")]
    services.save_plan(helper, hh("A101-1").pk, YEAR, "两年内稳定增收", same)
    assert AuditEntry.objects.filter(action__startswith="plan.").count() == 3
    # The loan is paid out: one measure changes, one row.
    same[1] = M(id=measures[1].pk, category="credit", description="5万元小额信贷", amount="50000",
                status="done", done_on=f"{YEAR}-01-01", result="已放款")
    services.save_plan(helper, hh("A101-1").pk, YEAR, "两年内稳定增收", same, today=dt.date(YEAR, 1, 2))
    entry = AuditEntry.objects.get(action="plan.measure.update")
    assert entry.object_id == str(measures[1].pk)
    assert entry.detail["changed"] == {"status": ["planned", "done"], "done_on": [None, f"{YEAR}-01-01"],
                                       "result": ["", "已放款"]}
    assert HelpPlan.objects.count() == 1 and PlanMeasure.objects.count() == 2


def test_a_measure_of_another_plan_cannot_be_changed_through_this_one(web):
    other = services.save_plan(web.users["officer_a"], hh("A101-2").pk, YEAR, "目标", [health()])
    foreign = other.measures.get()
    before = plan_rows()
    with pytest.raises(services.PlanRefused) as refused:
        services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR, "目标", [health(id=foreign.pk)])
    assert [p.field for p in refused.value.problems] == ["measures[1].id"]
    assert plan_rows() == before and foreign.plan_id == other.pk


def test_causes_without_a_live_measure(web):
    # A101-1: illness (primary), skills, capital.
    causes = services.household_causes(hh("A101-1"))
    assert causes == ["illness", "skills", "capital"]
    assert services.uncovered_causes(causes, []) == ["illness", "skills", "capital"]
    assert services.uncovered_causes(causes, ["health"]) == ["skills", "capital"]
    assert services.uncovered_causes(causes, ["health", "training"]) == ["capital"]
    assert services.uncovered_causes(causes, ["production"]) == ["illness"]  # production helps skills and capital
    plan = services.save_plan(web.users["helper_a"], hh("A101-1").pk, YEAR, "目标",
                              [health(), M(category="credit", description="贷款", status="cancelled")])
    with translation.override("zh-hans"):  # labels follow the active language; a page test may have left English on
        shown = services.household_plans(hh("A101-1"))
    assert [p["id"] for p in shown] == [plan.pk]
    assert shown[0]["uncovered"] == ["缺技术", "缺资金"]  # the cancelled loan covers nothing
    assert shown[0]["amount"] == Decimal("3000.50")  # cancelled measures are not counted


# --------------------------------------------------------------------------- approval


def test_approval_by_officers_at_township_level_or_above(web):
    plan = services.save_plan(web.users["helper_a"], hh("A101-1").pk, YEAR, "目标", [health()])
    with pytest.raises(services.PlanNotFound):
        services.approve_plan(web.users["helper_a"], plan.pk)
    with pytest.raises(services.PlanNotFound):
        services.approve_plan(web.users["officer_b"], plan.pk)
    with pytest.raises(services.PlanNotFound):
        services.approve_plan(web.users["auditor_a"], plan.pk)
    from jingzhun.areas.models import AreaRole
    from tests.web_cast import role

    village_officer = role("village_officer", "433130101201", "officer")
    with pytest.raises(services.PlanRefused, match="township or county officer"):
        services.approve_plan(village_officer, plan.pk)
    assert AreaRole.objects.filter(user=village_officer).count() == 1
    approved = services.approve_plan(web.users["township_a"], plan.pk)
    assert approved.approved_by == web.users["township_a"] and approved.approved_at is not None
    with pytest.raises(services.PlanRefused, match="already approved"):
        services.approve_plan(web.users["officer_a"], plan.pk)
    assert AuditEntry.objects.filter(action="plan.approve").count() == 1


def test_a_plan_without_a_live_measure_cannot_be_approved(web):
    plan = services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR, "目标", [health(status="cancelled")])
    with pytest.raises(services.PlanRefused, match="no live measure"):
        services.approve_plan(web.users["officer_a"], plan.pk)


def in_force(number: str = "A101-1") -> tuple:
    """What is in force for the household's plan of YEAR: goal, approver, and each measure's content and progress."""
    plan = HelpPlan.objects.get(household__number=number, year=YEAR)
    return (plan.goal, plan.approved_by_id, [
        (m.category, m.description, m.amount, m.cadre_id, m.due_on, m.status, m.done_on, m.result)
        for m in plan.measures.order_by("id")])


def everything() -> tuple:
    """Every row of every plan table, and the plan audit rows: 'nothing changed' compares these."""
    return (list(HelpPlan.objects.order_by("id").values()), list(PlanMeasure.objects.order_by("id").values()),
            list(PlanRevision.objects.order_by("id").values()),
            list(AuditEntry.objects.filter(action__startswith="plan.").order_by("id").values_list("id", flat=True)))


def approved_then_edited(web) -> tuple[HelpPlan, PlanMeasure, PlanMeasure]:
    """The hand-worked plan: helper_a drafts 大病专项救治 (3000.50) and a loan (50000), officer_a approves it,
    then helper_a edits it: the goal, the health measure's amount 3000.50 → 4000, a training measure added,
    and — progress — the loan paid out."""
    helper = web.users["helper_a"]
    plan = services.save_plan(helper, hh("A101-1").pk, YEAR, "两年内稳定增收",
                              [health(), M(category="credit", description="5万元小额信贷", amount="50000")])
    cure, loan = plan.measures.order_by("id")
    services.approve_plan(web.users["officer_a"], plan.pk)
    services.save_plan(helper, hh("A101-1").pk, YEAR, "三年内稳定脱贫", [
        health(id=cure.pk, amount="4000"),
        M(id=loan.pk, category="credit", description="5万元小额信贷", amount="50000", status="done",
          done_on=f"{YEAR}-01-01", result="已放款"),
        M(category="training", description="电工培训", amount="0"),
    ], today=dt.date(YEAR, 1, 2))
    return plan, cure, loan


def test_an_approved_plans_content_change_waits_for_approval_and_then_both_are_in_the_history(web):
    plan, cure, loan = approved_then_edited(web)
    officer, township, helper = web.users["officer_a"], web.users["township_a"], web.users["helper_a"]
    due = dt.date(YEAR, 12, 31)
    # The approved version stays in force: goal, the 3000.50, no training yet; the loan's progress is saved.
    assert in_force() == ("两年内稳定增收", officer.pk, [
        ("health", "大病专项救治", Decimal("3000.50"), None, due, "planned", None, ""),
        ("credit", "5万元小额信贷", Decimal("50000.00"), None, None, "done", dt.date(YEAR, 1, 1), "已放款")])
    shown = services.household_plans(hh("A101-1"))[0]
    assert shown["goal"] == "两年内稳定增收" and shown["amount"] == Decimal("53000.50")
    assert shown["approved_at"] is not None
    pending = PlanRevision.objects.get(plan=plan, status="pending")
    assert pending.proposed_by == helper and pending.decided_by is None
    assert pending.changes["goal"] == ["两年内稳定增收", "三年内稳定脱贫"]
    assert [(m["id"], m["fields"]) for m in pending.changes["measures"]] == [
        (cure.pk, {"amount": ["3000.50", "4000.00"]}),
        (None, {"category": [None, "training"], "description": [None, "电工培训"], "amount": [None, "0.00"],
                "cadre_id": [None, None], "due_on": [None, None], "status": [None, "planned"],
                "done_on": [None, None], "result": [None, ""]})]
    assert list(AuditEntry.objects.filter(action__startswith="plan.").order_by("id").values_list("action", flat=True))[-2:] == [
        "plan.measure.update", "plan.revision.propose"]  # the loan's progress, then the proposal

    services.approve_plan(township, plan.pk)
    assert in_force() == ("三年内稳定脱贫", township.pk, [
        ("health", "大病专项救治", Decimal("4000.00"), None, due, "planned", None, ""),
        ("credit", "5万元小额信贷", Decimal("50000.00"), None, None, "done", dt.date(YEAR, 1, 1), "已放款"),
        ("training", "电工培训", Decimal("0.00"), None, None, "planned", None, "")])
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", township)
    # The history, newest first: the revision (helper → township_a), the progress, the first draft (→ officer_a).
    history = services.household_plans(hh("A101-1"))[0]["revisions"]
    assert [(r["status"], r["proposed_by"], r["decided_by"]) for r in history] == [
        ("approved", "helper_a", "township_a"), ("progress", "helper_a", None), ("approved", "helper_a", "officer_a")]
    with translation.override("zh-hans"):
        shown = services.household_plans(hh("A101-1"))[0]["revisions"][0]["lines"]
    lines = [(line["what"], line["old"], line["new"]) for line in shown]
    assert lines == [("帮扶目标：", "两年内稳定增收", "三年内稳定脱贫"), ("「大病专项救治」的计划金额：", "3000.50", "4000.00"),
                     ("新增措施（第 3 条）：", "—", "技能培训 · 电工培训 · 0.00 · 计划")]
    assert AuditEntry.objects.filter(action="plan.revision.approve", actor="township_a").count() == 1
    with pytest.raises(services.PlanRefused, match="no change to approve"):
        services.approve_plan(officer, plan.pk)


def test_a_new_proposal_supersedes_the_waiting_one_the_same_writes_nothing_and_going_back_withdraws(web):
    plan, cure, loan = approved_then_edited(web)
    first = PlanRevision.objects.get(status="pending")
    helper, before = web.users["helper_a"], in_force()
    loan_row = M(id=loan.pk, category="credit", description="5万元小额信贷", amount="50000", status="done",
                 done_on=f"{YEAR}-01-01", result="已放款")
    again = [health(id=cure.pk, amount="4000.00"), loan_row, M(category="training", description="电工培训", amount="")]
    rows = everything()
    services.save_plan(helper, hh("A101-1").pk, YEAR, "三年内稳定脱贫", again, today=dt.date(YEAR, 1, 2))
    assert everything() == rows  # the proposal as the editor shows it, saved unchanged: nothing written
    services.save_plan(helper, hh("A101-1").pk, YEAR, "两年内稳定增收", [health(id=cure.pk, amount="4500"), loan_row],
                       today=dt.date(YEAR, 1, 2))
    first.refresh_from_db()
    second = PlanRevision.objects.get(status="pending")
    assert (first.status, first.superseded_by_id) == ("superseded", second.pk)
    assert second.changes == {"measures": [{"id": cure.pk, "row": 1, "description": "大病专项救治",
                                            "fields": {"amount": ["3000.50", "4500.00"]}}]}
    assert in_force() == before
    services.save_plan(helper, hh("A101-1").pk, YEAR, "两年内稳定增收", [health(id=cure.pk), loan_row],
                       today=dt.date(YEAR, 1, 2))
    second.refresh_from_db()
    assert second.status == "withdrawn" and not PlanRevision.objects.filter(status="pending").exists()
    assert in_force() == before
    with pytest.raises(services.PlanRefused, match="no change to approve"):
        services.approve_plan(web.users["officer_a"], plan.pk)


def test_a_rejected_change_leaves_the_approved_plan_in_force(web):
    plan, _, _ = approved_then_edited(web)
    before = in_force()
    revision = services.reject_revision(web.users["township_a"], plan.pk)
    assert (revision.status, revision.decided_by) == ("rejected", web.users["township_a"])
    assert in_force() == before
    with pytest.raises(services.PlanRefused, match="no change"):
        services.reject_revision(web.users["township_a"], plan.pk)


def test_only_an_approver_of_the_households_area_may_approve_a_change_and_nothing_changes_otherwise(web):
    from tests.web_cast import role

    plan, cure, _ = approved_then_edited(web)
    # A helper of another household (A101-2, same village), and an officer of a village (below township).
    helper_b = role("helper_b", "433130101201", "helper")
    HelperPair.objects.create(household=hh("A101-2"), cadre=Cadre.objects.create(
        name="吴帮扶", unit="县水利局", unit_kind="county", rank="staff", home_area_id="433130101201", user=helper_b),
        start_date=dt.date(2019, 3, 1))
    village_officer = role("village_officer", "433130101201", "officer")
    rows = everything()
    for user in ("helper_a", "officer_b", "auditor_a", "no_role"):
        for act in (services.approve_plan, services.reject_revision):
            with pytest.raises(services.PlanNotFound):
                act(web.users[user], plan.pk)
    for act in (services.approve_plan, services.reject_revision):
        with pytest.raises(services.PlanNotFound):
            act(helper_b, plan.pk)
        with pytest.raises(services.PlanRefused, match="township or county officer"):
            act(village_officer, plan.pk)
    # Nor may they edit it: outside their scope, the plan is not found.
    for user in (helper_b, web.users["officer_b"], web.users["auditor_a"]):
        with pytest.raises(services.PlanNotFound):
            services.save_plan(user, hh("A101-1").pk, YEAR, "别人的目标", [health(id=cure.pk, amount="1")])
    assert everything() == rows
    # Through the web: the other household's helper and the other county's officer get "not found".
    for client in (web.client("officer_b"), _client(helper_b)):
        assert client.post(plan_url("A101-1"), form("别人的目标", {"id": str(cure.pk), "category": "health",
                                                                    "description": "大病专项救治", "amount": "1"})
                           ).status_code == 404
        assert client.post(reverse("web:plan_approve", args=["A101-1", YEAR])).status_code in (403, 404)
        assert client.post(reverse("web:plan_approve", args=["A101-1", YEAR]), {"decision": "reject"}
                           ).status_code in (403, 404)
    assert everything() == rows


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_revision_made_against_content_no_longer_in_force_is_refused(web):
    plan, cure, _ = approved_then_edited(web)
    PlanMeasure.objects.filter(pk=cure.pk).update(amount=Decimal("3100"))  # behind the service's back
    rows = everything()
    with pytest.raises(services.PlanRefused, match="has changed since"):
        services.approve_plan(web.users["officer_a"], plan.pk)
    assert everything() == rows


def test_one_pending_revision_per_plan_is_a_database_rule(web):
    plan, _, _ = approved_then_edited(web)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanRevision.objects.create(plan=plan, status="pending", changes={}, proposed_by=web.users["helper_a"],
                                    proposed_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():  # approved without who
        PlanRevision.objects.create(plan=plan, status="approved", changes={}, proposed_by=web.users["helper_a"],
                                    proposed_at=timezone.now())


# --------------------------------------------------------------------------- the pages


def plan_url(number: str, year: int = YEAR) -> str:
    return reverse("web:plan", args=[number, year])


def form(goal: str, *rows: dict[str, str]) -> dict[str, str]:
    data = {"goal": goal}
    for n, row in enumerate(rows, start=1):
        data |= {f"measure-{n}-{k}": v for k, v in ({"id": "", "status": "planned"} | row).items()}
    return data


# Who may open the plan editor of which household: officers and work teams of the area, the active helper.
WRITES = {"officer_a": SEES["officer_a"], "officer_b": SEES["officer_b"], "township_a": SEES["township_a"],
          "helper_a": {"A101-1"}, "auditor_a": None, "no_role": None, "root": set(HOUSEHOLDS)}


@pytest.mark.parametrize("username", list(WRITES))
def test_the_plan_editor_opens_in_scope_is_not_found_outside_and_refused_without_the_ability(web, username):
    client = web.client(username)
    for number in HOUSEHOLDS:
        if WRITES[username] is None:
            page(client, plan_url(number), 403)
        elif number in WRITES[username]:
            assert number in page(client, plan_url(number))
        else:
            page(client, plan_url(number), 404)
            assert client.post(plan_url(number), form("目标", {"category": "health", "description": "x"})
                               ).status_code == 404
    assert HelpPlan.objects.count() == 0


def test_a_helper_drafts_their_households_plan_through_the_form(web):
    client = web.client("helper_a")
    html = page(client, plan_url("A101-1"))
    assert "周帮扶" in html  # the helper is offered as responsible cadre
    cadre = Cadre.objects.get(name="周帮扶")
    response = client.post(plan_url("A101-1"), form(
        "三年内人均纯收入稳定超过扶贫标准",
        {"category": "health", "description": "慢病签约服务", "amount": "1200", "cadre": str(cadre.pk),
         "due_on": f"{YEAR}-10-31"},
        {"category": "", "description": "", "amount": "", "due_on": ""},  # a blank row is ignored
        {"category": "training", "description": "电工培训", "amount": "0"},
    ))
    assert response.status_code == 302 and response["Location"] == reverse("web:household", args=["A101-1"])
    plan = HelpPlan.objects.get(household__number="A101-1", year=YEAR)
    assert [(m.category, m.amount, m.cadre_id) for m in plan.measures.order_by("id")] == [
        ("health", Decimal("1200.00"), cadre.pk), ("training", Decimal("0.00"), None)]
    # The helper cannot approve; an officer of the other county cannot see it.
    assert client.post(reverse("web:plan_approve", args=["A101-1", YEAR])).status_code == 403
    assert web.client("officer_b").post(reverse("web:plan_approve", args=["A101-1", YEAR])).status_code == 404
    assert web.client("officer_b").get(plan_url("A101-1")).status_code == 404
    # The county officer approves.
    response = web.client("officer_a").post(reverse("web:plan_approve", args=["A101-1", YEAR]))
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.approved_by == web.users["officer_a"]


def test_a_bad_row_on_the_form_is_named_and_nothing_is_saved(web):
    client = web.client("officer_a")
    response = client.post(plan_url("A101-1"), form(
        "目标",
        {"category": "health", "description": "大病救治", "amount": "100"},
        {"category": "credit", "description": "小额信贷", "amount": "-50000"},
    ))
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(r'data-field="measures\[2\]\.amount">第 2 条措施 计划金额：须 ≥ 0<', html), html
    assert 'value="-50000"' in html  # what was typed is kept for correction
    assert plan_rows() == (0, 0, 0)


def test_a_get_writes_nothing_and_writes_need_csrf(web):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(web.users["officer_a"])
    assert client.get(plan_url("A101-1")).status_code == 200
    assert client.post(plan_url("A101-1"), form("目标", {"category": "health", "description": "x"})).status_code == 403
    assert plan_rows() == (0, 0, 0)


def household_html(client, number: str = "A101-1") -> str:
    return page(client, reverse("web:household", args=[number]))


def test_household_page_shows_the_plan_in_chinese_and_english(web):
    services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR, "三年内稳定脱贫",
                       [health(), M(category="credit", description="小额信贷", amount="50000", status="cancelled")])
    services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR - 1, "去年的目标", [health(due_on="")])
    client = web.client("officer_a")
    html = household_html(client)
    section = html[html.index('id="plan"'):html.index("</section>", html.index('id="plan"'))]
    assert f"帮扶计划 {YEAR}" in section and "三年内稳定脱贫" in section
    assert "健康扶贫" in section and "扶贫小额信贷" in section and "已取消" in section
    assert "缺技术、缺资金" in visible_text(section)  # the loan was cancelled: capital is uncovered
    assert "去年的目标" in section and "其他年度" in section
    text = visible_text(html).replace("officer_a", "")
    words = {w for w in re.findall(r"[A-Za-z]{2,}", text)} - LATIN_ALLOWED
    assert not {w for w in words if not re.fullmatch(r"[A-Z]\d*|[AB]", w)}, words
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = household_html(client)
    section = visible_text(html[html.index('id="plan"'):html.index("</section>", html.index('id="plan"'))])
    assert f"Help plan {YEAR}" in section and "health" in section and "microcredit" in section
    assert "cancelled" in section and "lack of skills、lack of capital" in section
    assert "Edit plan" in section


def section(html: str) -> str:
    return html[html.index('id="plan"'):html.index("</section>", html.index('id="plan"'))]


def test_the_web_pages_keep_the_approved_plan_in_force_until_a_change_is_approved_and_list_each_change(web):
    helper, officer, township = web.client("helper_a"), web.client("officer_a"), web.client("township_a")
    assert helper.post(plan_url("A101-1"), form(
        "两年内稳定增收", {"category": "health", "description": "大病专项救治", "amount": "3000.50"})).status_code == 302
    cure = PlanMeasure.objects.get()
    assert officer.post(reverse("web:plan_approve", args=["A101-1", YEAR])).status_code == 302
    # The helper raises the amount and adds a loan: saved for approval.
    response = helper.post(plan_url("A101-1"), form(
        "两年内稳定增收", {"id": str(cure.pk), "category": "health", "description": "大病专项救治", "amount": "4000"},
        {"category": "credit", "description": "5万元小额信贷", "amount": "50000"}))
    assert response.status_code == 302
    cure.refresh_from_db()
    assert cure.amount == Decimal("3000.50") and PlanMeasure.objects.count() == 1
    with translation.override("zh-hans"):
        html = household_html(township)
    plan = section(html)
    # In force: the approved 3000.50 in the measures table, no loan there; the change waits, old → new.
    measures = plan[plan.index("plan-measures"):plan.index("</table>", plan.index("plan-measures"))]
    assert "3000.50" in measures and "4000" not in measures and "小额信贷" not in measures
    waiting = visible_text(plan[plan.index('id="plan-pending-'):plan.index("</div>", plan.index('id="plan-pending-'))])
    assert "待审核的修改" in waiting and "helper_a" in waiting
    assert "「大病专项救治」的计划金额：3000.50 → 4000.00" in waiting
    assert "新增措施（第 2 条）：— → 扶贫小额信贷 · 5万元小额信贷 · 50000.00 · 计划" in waiting
    text = visible_text(html).replace("officer_a", "").replace("helper_a", "").replace("township_a", "")
    words = {w for w in re.findall(r"[A-Za-z]{2,}", text)} - LATIN_ALLOWED
    assert not {w for w in words if not re.fullmatch(r"[A-Z]\d*|[AB]", w)}, words
    # The editor shows the proposal (so saving it unchanged keeps it) and offers the approver both decisions.
    editor = page(township, plan_url("A101-1"))
    assert 'name="measure-1-amount" value="4000.00"' in editor and 'value="5万元小额信贷"' in editor
    assert 'id="approve-plan"' in editor and 'id="reject-change"' in editor
    assert 'id="approve-plan"' not in page(helper, plan_url("A101-1"))
    assert township.post(reverse("web:plan_approve", args=["A101-1", YEAR])).status_code == 302
    cure.refresh_from_db()
    assert cure.amount == Decimal("4000.00") and PlanMeasure.objects.count() == 2
    with translation.override("zh-hans"):
        plan = section(household_html(officer))
    assert 'id="plan-pending-' not in plan
    history = plan[plan.index('id="plan-history-'):]
    rows = re.findall(r'<tr data-revision="\d+" data-status="(\w+)">(.*?)</tr>', history, re.S)
    assert [status for status, _ in rows] == ["approved", "approved"]
    newest, first = (" ".join(visible_text(row).split()) for _, row in rows)
    assert "helper_a" in newest and "township_a" in newest and "3000.50 → 4000.00" in newest and "已审核" in newest
    assert "helper_a" in first and "officer_a" in first and "— → 两年内稳定增收" in first
    # In English, the same history in English words.
    township.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = " ".join(visible_text(section(household_html(township))).split())
    assert "Changes (2)" in english and "「大病专项救治」: amount: 3000.50 → 4000.00" in english
    assert "measure added (row 2)" in english and "approved" in english


def test_the_edit_link_is_offered_only_to_those_who_may_write(web):
    assert 'id="edit-plan"' in household_html(web.client("helper_a"))
    assert 'id="edit-plan"' in household_html(web.client("township_a"))
    assert 'id="edit-plan"' not in household_html(web.client("auditor_a"))


def plan_queries(client, number: str = "A101-1") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        household_html(client, number)
    return len(ctx), sum("plans_helpplan" in q["sql"] for q in ctx.captured_queries)


def test_the_household_page_spends_two_queries_on_plans_however_many_plans_and_changes_there_are(web):
    """One query for the plans and their measures, one for their changes (by plan id: it reads no plan)."""
    client = web.client("officer_a")
    household_html(client)  # warm: the session, the user's roles
    without, reads = plan_queries(client)
    assert reads == 1
    services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR, "目标",
                       [health(), M(category="training", description="培训", amount="0")])
    assert plan_queries(client) == (without + 1, 1)
    plan = services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR - 1, "目标", [health(due_on="")])
    services.approve_plan(web.users["officer_a"], plan.pk)
    cure = plan.measures.get()
    for amount in ("1", "2", "3"):  # three proposals, two superseded
        services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR - 1, "目标",
                           [health(id=cure.pk, due_on="", amount=amount)])
    assert PlanRevision.objects.count() == 5
    assert plan_queries(client) == (without + 1, 1)


def test_the_admin_lists_only_the_plans_of_the_users_area_and_changes_nothing(web):
    from django.contrib.auth.models import Permission

    a = services.save_plan(web.users["officer_a"], hh("A101-1").pk, YEAR, "目标", [health()])
    b = services.save_plan(web.users["officer_b"], hh("B102-1").pk, YEAR, "目标", [health()])
    staff = web.users["officer_b"]
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_helpplan", "change_helpplan"]))
    client = web.client("officer_b")
    listing = page(client, reverse("admin:plans_helpplan_changelist"))
    assert "B102-1" in listing and "A101-1" not in listing
    assert client.get(reverse("admin:plans_helpplan_change", args=[a.pk])).status_code == 302  # not found → away
    client.post(reverse("admin:plans_helpplan_change", args=[b.pk]), {"goal": "改"})
    b.refresh_from_db()
    assert b.goal == "目标"
