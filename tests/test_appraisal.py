"""The appraisal-and-notice workflow: every allowed transition, a sample of forbidden ones (refused
with a clear message, nothing changed), objections reopening review, levels of authority, overdue
boundaries, the printed notice (masked IDs only).

Areas are those of tests/factories.py: 龙山县 433130 → 石牌镇 433130101 → 洗车村 …201, 白岩村 …202;
永顺县 433127 → 灵溪镇 → 司城村 433127102203.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from jingzhun.appraisal import deadlines, notices, workflow
from jingzhun.appraisal.models import Application, Notice, Objection, Step, VillageAppraisal
from jingzhun.appraisal.workflow import TRANSITIONS, StepRefused
from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.crosscheck.actions import decide, import_list
from jingzhun.registry.models import Household, StatusEvent
from tests.factories import COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2, make_areas, resident_id
from tests.test_crosscheck import make_household, write

pytestmark = pytest.mark.django_db

D = dt.date(2020, 3, 1)
HEAD = resident_id("433130", dt.date(1968, 3, 14), 11, True)
WIFE = resident_id("433130", dt.date(1970, 9, 2), 12, False)
OTHER = resident_id("433130", dt.date(1975, 5, 5), 13, True)
FAR = resident_id("433127", dt.date(1966, 6, 6), 14, False)


def user_at(name: str, code: str, role: str = "officer") -> User:
    user = User.objects.create_user(name)
    AreaRole.objects.create(user=user, area_id=code, role=role)
    return user


@pytest.fixture
def setup(db):
    make_areas()
    return {
        "h1": make_household("H1", VILLAGE, [HEAD, WIFE], status="applicant"),
        "h2": make_household("H2", VILLAGE, [OTHER], status="applicant"),
        "h3": make_household("H3", OTHER_VILLAGE, [FAR], status="applicant"),
        "village": user_at("village", VILLAGE),
        "township": user_at("township", TOWNSHIP),
        "county": user_at("county", COUNTY),
        "admin": User.objects.create_superuser("admin"),
    }


def state(app: Application) -> str:
    return Application.objects.get(pk=app.pk).state


def appraise_ok(app: Application, user: User, on: dt.date = D) -> None:
    workflow.appraise(app.pk, held_on=on, attendees=31, votes_for=16, votes_against=10, votes_abstain=5,
                      minutes="经村民代表大会评议，该户因病致贫，符合识别条件。", user=user)


def to_first_notice(s: dict, app: Application, start: dt.date = D) -> Notice:
    appraise_ok(app, s["village"], start)
    workflow.crosscheck(app.pk, on=start, user=s["village"])
    return workflow.publish_notice([app.pk], stage="first", starts_on=start, contact="村委会 0743-1234567",
                                   user=s["village"])


def run_to_announcement(s: dict, app: Application) -> None:
    """Every allowed forward step, at the level each requires, with the dates a real run would have."""
    first = to_first_notice(s, app, D)
    assert (first.starts_on, first.ends_on, first.days) == (D, dt.date(2020, 3, 7), 7)  # 7 days inclusive
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 8), user=s["village"])
    workflow.township_review(app.pk, approve=True, on=dt.date(2020, 3, 10), user=s["township"], opinion="同意")
    workflow.publish_notice([app.pk], stage="second", starts_on=dt.date(2020, 3, 11), contact="镇扶贫站 0743-7654321",
                            user=s["township"])
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 18), user=s["township"])
    workflow.county_review(app.pk, approve=True, on=dt.date(2020, 3, 20), user=s["county"])
    workflow.announce(app.pk, on=dt.date(2020, 3, 25), user=s["county"])


def test_every_forward_step_records_history_and_audit(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    run_to_announcement(s, app)
    steps = list(Step.objects.filter(application=app).values_list("action", "from_state", "to_state", "actor", "on"))
    assert steps == [
        ("apply", "", "applied", "village", D),
        ("appraise", "applied", "appraised", "village", D),
        ("crosscheck", "appraised", "checked", "village", D),
        ("publish_first", "checked", "first_notice", "village", D),
        ("close_first", "first_notice", "township_review", "village", dt.date(2020, 3, 8)),
        ("township_approve", "township_review", "township_approved", "township", dt.date(2020, 3, 10)),
        ("publish_second", "township_approved", "second_notice", "township", dt.date(2020, 3, 11)),
        ("close_second", "second_notice", "county_review", "township", dt.date(2020, 3, 18)),
        ("county_approve", "county_review", "approved", "county", dt.date(2020, 3, 20)),
        ("announce", "approved", "announced", "county", dt.date(2020, 3, 25)),
    ]
    audits = list(AuditEntry.objects.filter(object_type="application", object_id=str(app.pk))
                  .order_by("id").values_list("action", flat=True))
    assert audits == [f"appraisal.{a[0]}" for a in steps]
    # Announcement puts the household in the register as identified in the year, with its event.
    hh = Household.objects.get(pk=s["h1"].pk)
    assert (hh.status, hh.identified_year) == ("poor", 2020)
    assert StatusEvent.objects.filter(household=hh, status="poor", year=2020).count() == 1
    # The event's date is the announcement's, not the day the row was written.
    assert StatusEvent.objects.get(household=hh, status="poor").occurred_on == dt.date(2020, 3, 25)
    vote = VillageAppraisal.objects.get(application=app)
    assert (vote.attendees, vote.votes_for, vote.votes_against, vote.votes_abstain) == (31, 16, 10, 5)


def test_the_transition_table_is_what_the_issue_describes():
    forward = ["apply", "appraise", "crosscheck", "publish_first", "close_first", "township_approve",
               "publish_second", "close_second", "county_approve", "announce"]
    state = ""
    for action in forward:
        assert state in TRANSITIONS[action].sources, action
        state = TRANSITIONS[action].targets[0]
    assert state == "announced"
    assert set(TRANSITIONS["object"].sources) == {"first_notice", "second_notice"}


def test_a_vote_without_majority_rejects_and_a_new_application_may_follow(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    # 15 of 31 present is not more than half.
    workflow.appraise(app.pk, held_on=D, attendees=31, votes_for=15, votes_against=16, votes_abstain=0,
                      minutes="多数代表认为该户有稳定务工收入。", user=s["village"])
    assert state(app) == "rejected"
    again = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    assert again.state == "applied"
    with pytest.raises(StepRefused, match="already has an open"):
        workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    assert Application.objects.filter(household=s["h1"]).count() == 2


def test_exactly_half_is_not_a_majority_and_bad_counts_are_refused(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    for kwargs, match in [
        (dict(attendees=10, votes_for=6, votes_against=5, votes_abstain=0), "more votes than attendees"),
        (dict(attendees=0, votes_for=0, votes_against=0, votes_abstain=0), "nobody attended"),
        (dict(attendees=10, votes_for=-1, votes_against=0, votes_abstain=0), "whole number"),
    ]:
        with pytest.raises(StepRefused, match=match):
            workflow.appraise(app.pk, held_on=D, minutes="记录", user=s["village"], **kwargs)
    with pytest.raises(StepRefused, match="minutes"):
        workflow.appraise(app.pk, held_on=D, attendees=10, votes_for=6, votes_against=4, votes_abstain=0,
                          minutes=" ", user=s["village"])
    assert state(app) == "applied" and not VillageAppraisal.objects.exists()
    workflow.appraise(app.pk, held_on=D, attendees=10, votes_for=5, votes_against=5, votes_abstain=0,
                      minutes="五票赞成五票反对", user=s["village"])
    assert state(app) == "rejected"


@pytest.mark.parametrize("action, call", [
    ("close_first", lambda s, a: workflow.close_notice(a.pk, on=D, user=s["admin"])),
    ("publish_first", lambda s, a: workflow.publish_notice([a.pk], stage="first", starts_on=D, contact="c", user=s["admin"])),
    ("township_approve", lambda s, a: workflow.township_review(a.pk, approve=True, on=D, user=s["admin"])),
    ("county_approve", lambda s, a: workflow.county_review(a.pk, approve=True, on=D, user=s["admin"])),
    ("announce", lambda s, a: workflow.announce(a.pk, on=D, user=s["admin"])),
    ("object", lambda s, a: workflow.object_(a.pk, on=D, reason="有车", user=s["admin"])),
    ("crosscheck", lambda s, a: workflow.crosscheck(a.pk, on=D, user=s["admin"])),
])
def test_forbidden_steps_from_applied_are_refused_and_change_nothing(setup, action, call):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    before_steps, before_audit = Step.objects.count(), AuditEntry.objects.count()
    with pytest.raises(StepRefused) as info:
        call(s, app)
    message = str(info.value)
    if action != "close_first":  # closing picks its action from the notice the application is in
        t = TRANSITIONS[action]
        assert t.zh in message.split(" / ")[0] and t.en in message.split(" / ", 1)[1]
    assert "待民主评议" in message and "'applied'" in message
    assert state(app) == "applied"
    assert (Step.objects.count(), AuditEntry.objects.count()) == (before_steps, before_audit)
    assert not Notice.objects.exists()


def test_forbidden_steps_later_in_the_process(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    to_first_notice(s, app)
    with pytest.raises(StepRefused, match="allowed only from: applied"):
        appraise_ok(app, s["admin"])
    with pytest.raises(StepRefused, match="county_review"):
        workflow.county_review(app.pk, approve=True, on=D, user=s["admin"])
    with pytest.raises(StepRefused, match="township_approved"):
        workflow.publish_notice([app.pk], stage="second", starts_on=D, contact="c", user=s["admin"])
    # The notice is not over until its last day has passed.
    with pytest.raises(StepRefused, match="2020-03-07"):
        workflow.close_notice(app.pk, on=dt.date(2020, 3, 7), user=s["village"])
    assert state(app) == "first_notice"


def test_a_stranger_cannot_tell_an_id_elsewhere_from_no_id(setup):
    """Filing for a household, or stepping an application, of another county gives the very words a
    missing id gives: the workflow is no oracle on ids (the web's forms already answer alike)."""
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    stranger = user_at("stranger", "433127000000")
    missing = Household.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000

    def said(call) -> str:
        with pytest.raises(StepRefused) as info:
            call()
        return str(info.value)

    there = said(lambda: workflow.apply(s["h2"].pk, 2020, applied_by="x", on=D, user=stranger))
    nowhere = said(lambda: workflow.apply(missing, 2020, applied_by="x", on=D, user=stranger))
    assert there == nowhere
    there = said(lambda: workflow.object_(app.pk, on=D, reason="x", user=stranger))
    nowhere = said(lambda: workflow.object_(app.pk + 1000, on=D, reason="x", user=stranger))
    assert there.replace(str(app.pk), "N") == nowhere.replace(str(app.pk + 1000), "N")


def test_levels_of_authority(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    to_first_notice(s, app)
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 8), user=s["village"])
    # A village officer may not take the township's decision; nor may an officer of another county.
    with pytest.raises(StepRefused, match="township-level"):
        workflow.township_review(app.pk, approve=True, on=D, user=s["village"])
    stranger = user_at("stranger", "433127000000")
    with pytest.raises(StepRefused, match="outside your areas"):
        workflow.township_review(app.pk, approve=True, on=D, user=stranger)
    with pytest.raises(StepRefused, match="no role over the household's village") as info:
        workflow.apply(s["h2"], 2020, applied_by="x", on=D, user=stranger)
    assert VILLAGE not in str(info.value)  # the stranger is not told where the household is
    with pytest.raises(StepRefused, match="outside your areas") as info:
        workflow.object_(app.pk, on=D, reason="x", user=stranger)
    assert VILLAGE not in str(info.value) and "township_review" not in str(info.value)
    helper = user_at("helper", VILLAGE, role="helper")
    with pytest.raises(StepRefused):
        workflow.apply(s["h2"], 2020, applied_by="x", on=D, user=helper)
    # A county officer may take a township's step (a higher level covers the lower ones).
    workflow.township_review(app.pk, approve=True, on=D, user=s["county"])
    assert state(app) == "township_approved"


def test_rejections_need_a_reason(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    to_first_notice(s, app)
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 8), user=s["village"])
    with pytest.raises(StepRefused, match="reason for rejecting"):
        workflow.township_review(app.pk, approve=False, on=D, user=s["township"], opinion="")
    workflow.township_review(app.pk, approve=False, on=D, user=s["township"], opinion="家庭成员在县城有商铺")
    assert state(app) == "rejected"
    assert Step.objects.filter(application=app).last().reason == "家庭成员在县城有商铺"  # type: ignore[union-attr]


def test_objection_during_first_notice_reopens_village_appraisal(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    notice = to_first_notice(s, app)
    with pytest.raises(StepRefused, match="reason"):
        workflow.object_(app.pk, on=dt.date(2020, 3, 3), reason="", user=s["village"])
    objection = workflow.object_(app.pk, on=dt.date(2020, 3, 3), reason="该户儿子在县城有稳定工作",
                                 raised_by="匿名", user=s["village"])
    assert state(app) == "applied" and objection.notice == notice
    step = Step.objects.filter(application=app).last()
    assert step is not None and (step.action, step.from_state, step.to_state, step.reason) == (
        "object", "first_notice", "applied", "该户儿子在县城有稳定工作")
    # The village appraises again and the notice runs again in full.
    second = to_first_notice(s, app, dt.date(2020, 3, 10))
    assert second.pk != notice.pk and workflow.current_notice(Application.objects.get(pk=app.pk)) == second
    assert VillageAppraisal.objects.filter(application=app).count() == 2


def test_objection_during_second_notice_reopens_township_review(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    to_first_notice(s, app)
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 8), user=s["village"])
    workflow.township_review(app.pk, approve=True, on=dt.date(2020, 3, 9), user=s["township"])
    workflow.publish_notice([app.pk], stage="second", starts_on=dt.date(2020, 3, 10), contact="镇扶贫站",
                            user=s["township"], days=5)
    workflow.object_(app.pk, on=dt.date(2020, 3, 12), reason="有人反映其家中有小轿车", user=s["village"])
    assert state(app) == "township_review"
    assert Objection.objects.get().notice.stage == "second"


def test_pending_hits_block_the_crosscheck_unless_acknowledged(setup, tmp_path):
    s = setup
    import_list(write(tmp_path / "v.csv", ["身份证号", "号牌号码"], [[WIFE, "湘U88888"]]), "vehicle",
                actor="交警", today=D)
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    appraise_ok(app, s["village"])
    with pytest.raises(StepRefused, match="1 pending cross-check hits \\(vehicle\\)"):
        workflow.crosscheck(app.pk, on=D, user=s["village"])
    assert state(app) == "appraised"
    workflow.crosscheck(app.pk, on=D, user=s["village"], acknowledge="车辆为报废车，待交警出具证明，先行公示")
    step = Step.objects.filter(application=app, action="crosscheck").get()
    assert step.detail["acknowledged_pending"] == [step.detail["hits"][0]["id"]]

    # Once decided, a hit no longer blocks; the decision is recorded on the step.
    app2 = workflow.apply(s["h2"], 2020, applied_by="李四", on=D, user=s["village"])
    import_list(write(tmp_path / "b.csv", ["身份证号", "企业名称"], [[OTHER, "某某小卖部"]]), "business",
                actor="市监", today=D)
    appraise_ok(app2, s["village"])
    from jingzhun.crosscheck.models import CrossCheckHit

    hit = CrossCheckHit.objects.get(rule="business")
    decide(hit.pk, "dismissed", "小卖部已于2018年注销", user=s["admin"])
    workflow.crosscheck(app2.pk, on=D, user=s["village"])
    assert Step.objects.get(application=app2, action="crosscheck").detail["hits"] == [
        {"id": hit.pk, "rule": "business", "status": "dismissed"}]


def test_one_notice_is_one_village_and_one_year(setup):
    s = setup
    a1 = workflow.apply(s["h1"], 2020, applied_by="甲", on=D, user=s["admin"])
    a3 = workflow.apply(s["h3"], 2020, applied_by="丙", on=D, user=s["admin"])
    for a in (a1, a3):
        appraise_ok(a, s["admin"])
        workflow.crosscheck(a.pk, on=D, user=s["admin"])
    with pytest.raises(StepRefused, match="one village"):
        workflow.publish_notice([a1.pk, a3.pk], stage="first", starts_on=D, contact="c", user=s["admin"])
    with pytest.raises(StepRefused, match="objection contact"):
        workflow.publish_notice([a1.pk], stage="first", starts_on=D, contact="", user=s["admin"])
    assert not Notice.objects.exists() and state(a1) == "checked"


# --------------------------------------------------------------------------- overdue


def test_overdue_boundaries(setup):
    s = setup
    a1 = workflow.apply(s["h1"], 2020, applied_by="甲", on=D, user=s["admin"])
    to_first_notice(s, a1, D)  # last day 2020-03-07
    a2 = workflow.apply(s["h2"], 2020, applied_by="乙", on=D, user=s["admin"])
    to_first_notice(s, a2, D)
    workflow.close_notice(a2.pk, on=dt.date(2020, 3, 8), user=s["admin"])  # township review since 03-08
    limits = {"township_review": 10, "notice_grace": 0, "applied": 1000}

    def found(today: dt.date) -> dict[int, tuple[str, int]]:
        return {o.application_id: (o.state, o.days_over)
                for o in deadlines.overdue(s["admin"], today=today, overrides=limits)}

    # The notice's last day is not overdue; the day after is (1 day over).
    assert a1.pk not in found(dt.date(2020, 3, 7))
    assert found(dt.date(2020, 3, 8))[a1.pk] == ("first_notice", 1)
    # Township review entered 03-08 with 10 days allowed: 03-18 is exactly 10 days, still in time.
    assert a2.pk not in found(dt.date(2020, 3, 18))
    assert found(dt.date(2020, 3, 19))[a2.pk] == ("township_review", 1)
    # A grace period moves the notice boundary by as many days.
    assert a1.pk not in {o.application_id for o in deadlines.overdue(
        s["admin"], today=dt.date(2020, 3, 9), overrides={**limits, "notice_grace": 2})}
    # Scoped: an officer of the other county sees none of these; an area filter narrows too.
    other = user_at("other", "433127000000")
    assert deadlines.overdue(other, today=dt.date(2020, 5, 1)) == []
    assert deadlines.overdue(s["admin"], today=dt.date(2020, 5, 1), area=VILLAGE2) == []
    assert len(deadlines.overdue(s["admin"], today=dt.date(2020, 5, 1), area=COUNTY)) == 2


# --------------------------------------------------------------------------- the printed notice


def test_notice_shows_masked_ids_only(setup, tmp_path):
    s = setup
    a1 = workflow.apply(s["h1"], 2020, applied_by="甲", on=D, user=s["village"])
    a2 = workflow.apply(s["h2"], 2020, applied_by="乙", on=D, user=s["village"])
    for a in (a1, a2):
        appraise_ok(a, s["village"])
        workflow.crosscheck(a.pk, on=D, user=s["village"])
    notice = workflow.publish_notice([a1.pk, a2.pk], stage="first", starts_on=dt.date(2020, 6, 1),
                                     contact="洗车村村委会 0743-1234567", user=s["village"])
    html = notices.render_html(notice, s["village"])
    for clear in (HEAD, WIFE, OTHER):
        assert clear not in html
    assert HEAD[:6] + "********" + HEAD[-4:] in html and OTHER[:6] + "********" + OTHER[-4:] in html
    for text in ("洗车村2020年贫困户识别第一次公示", "H1成员1", "2020年6月1日至2020年6月7日（共7天）",
                 "洗车村村委会 0743-1234567", "洗车村村民委员会", "因病"):
        assert text in html
    # H1 has two members, H2 one: the sizes in the table.
    assert "<td>H1</td><td>H1成员1</td><td>" + HEAD[:6] + "********" + HEAD[-4:] + "</td><td>2</td>" in html
    path = notices.write_xlsx(notice, tmp_path / "n.xlsx", s["village"])
    from python_calamine import CalamineWorkbook

    cells = [str(c) for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python() for c in row]
    assert HEAD not in cells and HEAD[:6] + "********" + HEAD[-4:] in cells
    assert AuditEntry.objects.filter(action="appraisal.notice.print").count() == 2
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        notices.render_html(notice, user_at("other", "433127000000"))


def test_county_rejection_needs_a_reason_and_ends_the_application(setup):
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="张德明", on=D, user=s["village"])
    to_first_notice(s, app)
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 8), user=s["village"])
    workflow.township_review(app.pk, approve=True, on=dt.date(2020, 3, 9), user=s["township"])
    workflow.publish_notice([app.pk], stage="second", starts_on=dt.date(2020, 3, 10), contact="镇扶贫站",
                            user=s["township"])
    workflow.close_notice(app.pk, on=dt.date(2020, 3, 17), user=s["township"])
    with pytest.raises(StepRefused, match="county-level"):
        workflow.county_review(app.pk, approve=False, on=dt.date(2020, 3, 18), user=s["township"], opinion="x")
    with pytest.raises(StepRefused, match="reason for rejecting"):
        workflow.county_review(app.pk, approve=False, on=dt.date(2020, 3, 18), user=s["county"])
    workflow.county_review(app.pk, approve=False, on=dt.date(2020, 3, 18), user=s["county"],
                           opinion="比对发现家庭成员为财政供养人员")
    assert state(app) == "rejected"
    with pytest.raises(StepRefused, match="未通过"):
        workflow.announce(app.pk, on=dt.date(2020, 3, 20), user=s["county"])
    assert Household.objects.get(pk=s["h1"].pk).status == "applicant"


def test_an_exited_household_announced_again_has_returned(setup):
    s = setup
    hh = make_household("E1", VILLAGE, [resident_id("433130", dt.date(1980, 1, 1), 15, True)], status="exited")
    app = workflow.apply(hh, 2020, applied_by="王五", on=D, user=s["admin"])
    run_to_announcement(s, app)
    hh.refresh_from_db()
    assert hh.status == "returned" and hh.exit_year == 2019
    assert StatusEvent.objects.get(household=hh).status == "returned"
    # The dashboard's roll-up for the village moved with it (register_changed, in the same transaction).
    from jingzhun.web.models import AreaStat

    counts = {s: n for s, n in AreaStat.objects.filter(area_code=VILLAGE).values_list("status", "households") if n}
    assert counts.get("returned") == 1 and "exited" not in counts, counts


def test_the_crosscheck_step_matches_an_applicant_registered_after_the_list(setup, tmp_path):
    s = setup
    late = resident_id("433130", dt.date(1985, 7, 7), 16, False)
    import_list(write(tmp_path / "p.csv", ["身份证号", "工作单位"], [[late, "龙山县林业局"]]), "public_payroll",
                actor="人社", today=D)
    hh = make_household("H9", VILLAGE, [late], status="applicant")
    app = workflow.apply(hh, 2020, applied_by="赵六", on=D, user=s["village"])
    appraise_ok(app, s["village"])
    with pytest.raises(StepRefused, match="public_payroll"):
        workflow.crosscheck(app.pk, on=D, user=s["village"])
    # The refusal changed nothing in the application, but the hit it found stays for an officer to decide.
    assert state(app) == "appraised"
    from jingzhun.crosscheck.models import CrossCheckHit

    assert CrossCheckHit.objects.filter(household=hh, rule="public_payroll", status="pending").count() == 1


def test_notice_view_for_the_web_app(setup, rf):
    from django.contrib.auth.models import AnonymousUser
    from django.http import Http404

    from jingzhun.appraisal import views

    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="甲", on=D, user=s["village"])
    notice = to_first_notice(s, app)
    request = rf.get("/")
    request.user = s["village"]
    page = views.notice(request, notice.pk).content.decode()
    assert HEAD not in page and HEAD[:6] + "********" + HEAD[-4:] in page
    request.user = user_at("other", "433127000000")
    with pytest.raises(Http404):
        views.notice(request, notice.pk)
    request.user = AnonymousUser()
    assert views.notice(request, notice.pk).status_code == 302  # to the login page


def test_a_household_that_moved_away_is_not_stepped_on_by_the_old_villages_officers(setup):
    """Applied in 洗车村, the household has since moved to 司城村 (another county): the old township's and
    county's officers may take no step on it — least of all announce it, which writes the household —
    and nothing changes; an officer holding both counties may."""
    s = setup
    app = workflow.apply(s["h1"], 2020, applied_by="户主本人", on=D, user=s["village"])
    Household.objects.filter(pk=s["h1"].pk).update(village_id=OTHER_VILLAGE)
    steps_before, audit_before = Step.objects.count(), AuditEntry.objects.count()
    for who in ("village", "township", "county"):
        with pytest.raises(StepRefused):
            appraise_ok(app, s[who])
    with pytest.raises(StepRefused):
        workflow.county_review(app.pk, approve=False, on=D, user=s["county"], opinion="x")
    assert state(app) == "applied" and not VillageAppraisal.objects.exists()
    assert (Step.objects.count(), AuditEntry.objects.count()) == (steps_before, audit_before)
    appraise_ok(app, user_at("city", "433100000000"))
    assert state(app) == "appraised"


def test_the_household_page_dates_status_changes_by_the_event_not_the_write(setup, client):
    """An announced change shows its announcement day; a change the register's file brought shows its year
    (the file has no day) — never the day the row was written — and the history runs in the events' order."""
    s = setup
    hh = s["h1"]
    StatusEvent.objects.create(household=hh, status="exited", year=2019, reason="", recorded_at=timezone.now())
    app = workflow.apply(hh, 2020, applied_by="张德明", on=D, user=s["village"])
    run_to_announcement(s, app)
    StatusEvent.objects.create(household=hh, status="poor", year=2016, reason="", recorded_at=timezone.now())
    client.force_login(s["county"])
    with translation.override("zh-hans"):
        page = client.get(f"/households/{hh.number}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    history = page[page.index("六、状态变化"):]
    history = history[:history.index("</ul>")]
    assert timezone.now().date().isoformat() not in history
    assert history.index("2016年度") < history.index("2019年度") < history.index("2020-03-25")
