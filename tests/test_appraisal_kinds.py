"""One engine, several kinds of application (identify, exit, monitor): each follows its own table, the
one-open rule holds per kind, a kind's missing step is refused, and announcing does what the kind does.

Areas and households as in tests/test_appraisal.py.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from jingzhun.appraisal import kinds, notices, workflow
from jingzhun.appraisal.models import Application, Consent, Notice, Step
from jingzhun.appraisal.workflow import StepRefused
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.models import Household, IncomeRecord, StatusEvent
from tests import test_appraisal
from tests.factories import VILLAGE, resident_id
from tests.test_appraisal import D, appraise_ok, run_to_announcement, state
from tests.test_crosscheck import make_household

pytestmark = pytest.mark.django_db
setup = test_appraisal.setup  # the fixture: areas, applicants and officers at each level


POOR_HEAD = resident_id("433130", dt.date(1961, 2, 3), 21, True)


def poor(setup: dict, number: str = "P1") -> Household:
    """A poor household of one person that meets the exit conditions of 2020 and 2021 (well above the line,
    every guarantee met)."""
    hh = make_household(number, VILLAGE, [POOR_HEAD], status="poor")
    Household.objects.filter(pk=hh.pk).update(identified_year=2016)
    for year in (2019, 2020, 2021):
        IncomeRecord.objects.create(household=hh, year=year, wage_income=Decimal(9000), production_income=0,
                                    production_costs=0, property_income=0, transfer_income=0, medical_expenses=0)
    return Household.objects.get(pk=hh.pk)


def exit_to_consent(s: dict, app: Application) -> None:
    appraise_ok(app, s["village"])
    workflow.verify(app.pk, on=D, passed=True, findings="人均纯收入 5,200 元，两不愁三保障均已实现。", user=s["village"])
    workflow.consent(app.pk, signed_by="张德明", signed_on=D, document="洗车村退出认可书 2020-07", user=s["village"])


def run_exit(s: dict, app: Application, transition_years: int | None = None) -> Notice:
    exit_to_consent(s, app)
    notice = workflow.publish_notice([app.pk], stage="first", starts_on=D, contact="村委会 0743-1234567",
                                     user=s["village"])
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 8), user=s["village"])
    workflow.township_review(app.pk, approve=True, on=dt.date(2020, 3, 10), user=s["township"])
    workflow.announce(app.pk, on=dt.date(2020, 3, 20), user=s["county"], transition_years=transition_years)
    return notice


def test_the_kinds_tables_use_the_one_rule_and_shared_states():
    from jingzhun.appraisal.models import STATE

    for kind in kinds.KIND.codes:
        for action, t in kinds.steps(kind).items():
            assert t.level in ("village", "township", "county"), (kind, action)
            assert set(t.sources) - {""} <= set(STATE.codes) and set(t.targets) <= set(STATE.codes)
    assert kinds.steps("monitor") is kinds.steps("identify")
    with pytest.raises(ValueError, match="kind must be one of identify, exit, monitor"):
        kinds.steps("removal")


def test_an_exit_runs_its_own_steps_and_the_household_exits_with_its_policies_kept(setup):
    s = setup
    hh = poor(s)
    app = workflow.apply(hh, 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    notice = run_exit(s, app, transition_years=5)
    assert list(Step.objects.filter(application=app).values_list("action", flat=True)) == [
        "apply", "appraise", "verify", "consent", "publish_first", "close_first", "township_approve", "announce"]
    hh.refresh_from_db()
    assert (hh.status, hh.exit_year, hh.identified_year) == ("exited", 2020, 2016)
    assert Application.objects.get(pk=app.pk).policies_until == 2025
    assert StatusEvent.objects.get(household=hh, year=2020).status == "exited"
    assert notice.kind == "exit"
    assert notices.context(notice)["title"] == "洗车村2020年贫困户退出公示"
    consent = Consent.objects.get(application=app)
    assert (consent.signed_by, consent.document) == ("张德明", "洗车村退出认可书 2020-07")
    assert AuditEntry.objects.filter(action="appraisal.consent", object_id=str(app.pk)).count() == 1


def test_the_transition_period_follows_the_setting(setup, settings):
    settings.EXIT_TRANSITION_YEARS = 3
    s = setup
    app = workflow.apply(poor(s), 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    run_exit(s, app)
    assert Application.objects.get(pk=app.pk).policies_until == 2023


def test_an_exit_cannot_skip_the_consent_nor_take_identification_steps(setup):
    s = setup
    app = workflow.apply(poor(s), 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    appraise_ok(app, s["village"])
    with pytest.raises(StepRefused, match="has no step cross-department check"):
        workflow.crosscheck(app.pk, on=D, user=s["village"])
    workflow.verify(app.pk, on=D, passed=True, findings="核实通过", user=s["village"])
    before = (Step.objects.count(), Notice.objects.count(), AuditEntry.objects.count())
    with pytest.raises(StepRefused, match="allowed only from: consented"):
        workflow.publish_notice([app.pk], stage="first", starts_on=D, contact="村委会", user=s["village"])
    for signed_by, document in (("", "认可书 1"), ("张德明", " ")):
        with pytest.raises(StepRefused, match="须填写"):
            workflow.consent(app.pk, signed_by=signed_by, signed_on=D, document=document, user=s["village"])
    assert (Step.objects.count(), Notice.objects.count(), AuditEntry.objects.count()) == before
    assert state(app) == "verified" and not Consent.objects.filter(application=app).exists()


def test_a_household_that_does_not_consent_ends_the_exit(setup):
    s = setup
    hh = poor(s)
    app = workflow.apply(hh, 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    appraise_ok(app, s["village"])
    workflow.verify(app.pk, on=D, passed=True, findings="核实通过", user=s["village"])
    workflow.decline(app.pk, on=D, reason="户主认为收入尚不稳定", user=s["village"])
    assert state(app) == "rejected"
    assert Household.objects.get(pk=hh.pk).status == "poor"
    # A rejected exit may be followed by another of the same year.
    workflow.apply(hh, 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")


def test_one_open_application_per_household_year_and_kind(setup):
    s = setup
    hh = poor(s)
    workflow.apply(hh, 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    with pytest.raises(StepRefused, match="already has an open exit application for 2020"):
        workflow.apply(hh, 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    workflow.apply(hh, 2020, applied_by="户主", on=D, user=s["village"], kind="monitor")  # another kind: allowed
    with pytest.raises(StepRefused, match="the kind must be one of"):
        workflow.apply(hh, 2020, applied_by="户主", on=D, user=s["village"], kind="removal")


def test_a_monitoring_application_takes_the_identification_steps_and_announces_monitored(setup):
    s = setup
    hh = s["h1"]
    Household.objects.filter(pk=hh.pk).update(status="exited", exit_year=2019, identified_year=2015)
    app = workflow.apply(hh, 2021, applied_by="张德明", on=D, user=s["village"], kind="monitor")
    run_to_announcement(s, app)
    hh.refresh_from_db()
    assert (hh.status, hh.exit_year, hh.identified_year) == ("monitored", 2019, 2015)
    notice = Notice.objects.filter(applications=app, stage="first").get()
    assert notices.context(notice)["title"] == "洗车村2021年监测对象识别第一次公示"


def test_an_exit_of_a_household_that_is_not_poor_is_refused_at_announcement(setup):
    s = setup
    hh = poor(s)
    app = workflow.apply(hh, 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    exit_to_consent(s, app)
    workflow.publish_notice([app.pk], stage="first", starts_on=D, contact="村委会", user=s["village"])
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 8), user=s["village"])
    workflow.township_review(app.pk, approve=True, on=dt.date(2020, 3, 10), user=s["township"])
    Household.objects.filter(pk=hh.pk).update(status="removed")
    with pytest.raises(StepRefused, match="not poor: it cannot exit"):
        workflow.announce(app.pk, on=dt.date(2020, 3, 20), user=s["county"])
    assert state(app) == "approved" and Household.objects.get(pk=hh.pk).status == "removed"


def test_an_exit_the_register_already_holds_may_be_given_its_procedure_but_no_other(setup):
    s = setup
    hh = poor(s)
    Household.objects.filter(pk=hh.pk).update(status="exited", exit_year=2020)
    with pytest.raises(StepRefused, match="not on the poor list"):
        workflow.apply(hh.pk, 2021, applied_by="村两委", on=D, user=s["village"], kind="exit")
    app = workflow.apply(hh.pk, 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    run_exit(s, app)
    hh.refresh_from_db()
    assert (hh.status, hh.exit_year) == ("exited", 2020)
    assert Application.objects.get(pk=app.pk).policies_until == 2025


def test_the_quota_counts_only_identification_applications(setup):
    from jingzhun.appraisal import yearly
    from tests.factories import COUNTY

    s = setup
    workflow.apply(s["h1"], 2020, applied_by="甲", on=D, user=s["village"])
    workflow.apply(s["h2"], 2020, applied_by="乙", on=D, user=s["village"], kind="monitor")
    (line,) = yearly.quota_report({COUNTY: 5}, 2020, s["county"])
    assert (line.identified, line.pending, line.proposed) == (0, 1, 1)


def test_an_exit_waiting_for_the_households_consent_is_overdue_from_day_sixteen(setup):
    from jingzhun.appraisal import deadlines

    s = setup
    app = workflow.apply(poor(s), 2020, applied_by="村两委", on=D, user=s["village"], kind="exit")
    appraise_ok(app, s["village"])
    workflow.verify(app.pk, on=D, passed=True, findings="核实通过", user=s["village"])
    day15, day16 = D + dt.timedelta(days=15), D + dt.timedelta(days=16)
    assert not deadlines.overdue(s["county"], today=day15)
    (late,) = deadlines.overdue(s["county"], today=day16)
    assert (late.application_id, late.state, late.days_over) == (app.pk, "verified", 1)
    assert deadlines.due("verified", D) == day15
