"""The appraisal-and-notice workflow (评议公示) in the browser: the applications list, one page per
application with the steps the user may take now, and the overdue list.

The rules are `jingzhun.appraisal.workflow`'s: these views parse the forms (types only), check where the
user stands, call the workflow and show what it says. The order of the checks is the contract:
out of the user's areas → 404 (existence is not disclosed); in the area but without the level the step
needs → 403; the wrong step or bad input → the page again (400) with the message naming the field and the
rule, and nothing saved (every workflow step is one transaction that refuses before it writes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jingzhun import access
from jingzhun.appraisal import deadlines, kinds, workflow
from jingzhun.appraisal.models import NOTICE_STAGE, STATE, Application
from jingzhun.appraisal.workflow import StepRefused
from jingzhun.crosscheck.actions import visible_hits
from jingzhun.crosscheck.models import HIT_STATUS, RULE
from jingzhun.registry.models import Household
from jingzhun.web.pages import requires

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SHOWN = 200
# Who sees applications: the roles that see their area's figures (officers, work teams, evaluators,
# auditors); a helper sees only their own households and has no appraisal pages.
ABILITY = "dashboard"


def visible_applications(user: object) -> QuerySet[Application]:
    """The applications of the user's areas, as a SQL predicate on the application's village."""
    return access.scope(Application.objects.all(), user, "village_id", ability=ABILITY)


# --------------------------------------------------------------------------- forms: types only


def _today() -> dt.date:
    return timezone.localdate()


def _date(label: StrOrPromise) -> forms.DateField:
    return forms.DateField(label=label, initial=_today,
                           # A date input takes ISO dates whatever the page's language.
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _count(label: StrOrPromise) -> forms.IntegerField:
    # No min_value: that a count is ≥ 0 and within the attendance is the workflow's rule, said once there.
    return forms.IntegerField(label=label)


class ApplyForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), initial=kinds.IDENTIFY, required=False, choices=[
        (kinds.IDENTIFY, gettext_lazy("poverty identification")), (kinds.EXIT, gettext_lazy("exit from poverty")),
        (kinds.MONITOR, gettext_lazy("monitoring identification"))])
    household = forms.CharField(label=gettext_lazy("Household number"), max_length=40)
    year = forms.IntegerField(label=gettext_lazy("Year"), initial=lambda: _today().year)
    applied_by = forms.CharField(label=gettext_lazy("Applicant"), max_length=60, required=False)
    on = _date(gettext_lazy("Date"))
    override = forms.CharField(label=gettext_lazy("Exit only: reason to propose a household the check finds not "
                                                  "eligible"), required=False, max_length=500)


class AppraiseForm(forms.Form):
    held_on = _date(gettext_lazy("Date of the meeting"))
    attendees = _count(gettext_lazy("Attendees"))
    votes_for = _count(gettext_lazy("Votes for"))
    votes_against = _count(gettext_lazy("Votes against"))
    votes_abstain = _count(gettext_lazy("Abstentions"))
    minutes = forms.CharField(label=gettext_lazy("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CrosscheckForm(forms.Form):
    on = _date(gettext_lazy("Date"))
    acknowledge = forms.CharField(label=gettext_lazy("Reason to go on despite pending hits"), required=False)


class NoticeForm(forms.Form):
    starts_on = _date(gettext_lazy("First day"))
    # Empty: the configured period (APPRAISAL_NOTICE_DAYS); whether a number is a valid period is the workflow's.
    days = forms.IntegerField(label=gettext_lazy("Days"), initial=workflow.notice_days, required=False)
    contact = forms.CharField(label=gettext_lazy("Where to object (contact)"), max_length=200, required=False)


class CloseForm(forms.Form):
    on = _date(gettext_lazy("Date"))


class ObjectionForm(forms.Form):
    on = _date(gettext_lazy("Date raised"))
    raised_by = forms.CharField(label=gettext_lazy("Raised by (may be left empty)"), max_length=60, required=False)
    reason = forms.CharField(label=gettext_lazy("Objection"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class VerifyForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Finding"), choices=[
        ("pass", gettext_lazy("verified: may exit")), ("fail", gettext_lazy("not verified"))])
    on = _date(gettext_lazy("Date"))
    findings = forms.CharField(label=gettext_lazy("What the check found"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ConsentForm(forms.Form):
    signed_by = forms.CharField(label=gettext_lazy("Signed by"), max_length=60, required=False)
    signed_on = _date(gettext_lazy("Date signed"))
    document = forms.CharField(label=gettext_lazy("Number of the signed paper"), max_length=120, required=False)


class DeclineForm(forms.Form):
    on = _date(gettext_lazy("Date"))
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=[
        ("approve", gettext_lazy("approve")), ("reject", gettext_lazy("reject"))])
    on = _date(gettext_lazy("Date"))
    opinion = forms.CharField(label=gettext_lazy("Opinion (required to reject)"), required=False)


@dataclass(frozen=True)
class StepForm:
    """One form on the application page: its fields, which transition it takes from the application's
    state (for the level it needs), and the workflow call."""

    title: StrOrPromise
    form: type[forms.Form]
    action: Callable[[Application], str]
    run: Callable[[Application, dict[str, Any], object], object]


def _fixed(action: str) -> Callable[[Application], str]:
    return lambda app: action


STEPS: dict[str, StepForm] = {
    "appraise": StepForm(
        gettext_lazy("Village democratic appraisal"), AppraiseForm, _fixed("appraise"),
        lambda app, d, user: workflow.appraise(
            app.pk, held_on=d["held_on"], attendees=d["attendees"], votes_for=d["votes_for"],
            votes_against=d["votes_against"], votes_abstain=d["votes_abstain"], minutes=d["minutes"], user=user)),
    "crosscheck": StepForm(
        gettext_lazy("Cross-department check"), CrosscheckForm, _fixed("crosscheck"),
        lambda app, d, user: workflow.crosscheck(app.pk, on=d["on"], user=user, acknowledge=d["acknowledge"])),
    "publish": StepForm(
        gettext_lazy("Publish the notice"), NoticeForm,
        lambda app: "publish_second" if app.state == "township_approved" else "publish_first",
        lambda app, d, user: workflow.publish_notice(
            [app.pk], stage="second" if app.state == "township_approved" else "first", starts_on=d["starts_on"],
            contact=d["contact"], days=d["days"], user=user)),
    "close": StepForm(
        gettext_lazy("Close the notice (period over, no objection)"), CloseForm,
        lambda app: "close_second" if app.state == "second_notice" else "close_first",
        lambda app, d, user: workflow.close_notice(app.pk, on=d["on"], user=user)),
    "object": StepForm(
        gettext_lazy("Record an objection"), ObjectionForm, _fixed("object"),
        lambda app, d, user: workflow.object_(app.pk, on=d["on"], reason=d["reason"], raised_by=d["raised_by"],
                                              user=user)),
    "township": StepForm(
        gettext_lazy("Township review"), ReviewForm, _fixed("township_approve"),
        lambda app, d, user: workflow.township_review(app.pk, approve=d["decision"] == "approve", on=d["on"],
                                                      opinion=d["opinion"], user=user)),
    "county": StepForm(
        gettext_lazy("County approval"), ReviewForm, _fixed("county_approve"),
        lambda app, d, user: workflow.county_review(app.pk, approve=d["decision"] == "approve", on=d["on"],
                                                    opinion=d["opinion"], user=user)),
    "verify": StepForm(
        gettext_lazy("Verification by the village committee and work team"), VerifyForm, _fixed("verify"),
        lambda app, d, user: workflow.verify(app.pk, on=d["on"], passed=d["decision"] == "pass",
                                             findings=d["findings"], user=user)),
    "consent": StepForm(
        gettext_lazy("The household's signed consent"), ConsentForm, _fixed("consent"),
        lambda app, d, user: workflow.consent(app.pk, signed_by=d["signed_by"], signed_on=d["signed_on"],
                                              document=d["document"], user=user)),
    "decline": StepForm(
        gettext_lazy("The household does not consent"), DeclineForm, _fixed("decline"),
        lambda app, d, user: workflow.decline(app.pk, on=d["on"], reason=d["reason"], user=user)),
    "announce": StepForm(
        gettext_lazy("Announce"), CloseForm, _fixed("announce"),
        lambda app, d, user: workflow.announce(app.pk, on=d["on"], user=user)),
}

# The workflow's transitions, as the forms that take them (rejecting is the review form's other choice).
FORM_OF = {"appraise": "appraise", "crosscheck": "crosscheck", "publish_first": "publish", "publish_second": "publish",
           "close_first": "close", "close_second": "close", "object": "object", "township_approve": "township",
           "township_reject": "township", "county_approve": "county", "county_reject": "county",
           "announce": "announce", "verify": "verify", "consent": "consent", "decline": "decline"}


def form_errors(form: forms.Form) -> list[str]:
    """Every error of the form as one line naming its field: "参会人数：请输入整数。"."""
    out = [str(e) for e in form.non_field_errors()]
    for name, errors in form.errors.items():
        if name != NON_FIELD_ERRORS:
            label = form.fields[name].label
            out += [_("%(field)s: %(error)s") % {"field": label, "error": e} for e in errors]
    return out


# --------------------------------------------------------------------------- the pages


@requires(ABILITY)
def applications(request: HttpRequest) -> HttpResponse:
    return _list(request, ApplyForm(), 200)


def _list(request: HttpRequest, apply_form: ApplyForm, status: int) -> HttpResponse:
    qs = visible_applications(request.user)
    counts = dict(qs.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    late = deadlines.overdue(request.user, today=_today(), ability=ABILITY)
    step = request.GET.get("step", "")
    kind = request.GET.get("kind", "")
    shown = qs
    if step in STATE.codes:
        shown = shown.filter(state=step)
    if kind in kinds.KIND.codes:
        shown = shown.filter(kind=kind)
    only_late = request.GET.get("overdue") == "1"
    if only_late:
        shown = shown.filter(pk__in=[o.application_id for o in late])
    total = shown.count()
    rows = list(shown.select_related("household", "village").order_by("-state_since", "household__number")[:SHOWN])
    late_ids = {o.application_id for o in late}
    may_apply = access.step_ranges(request.user, "village") != []
    return render(request, "web/applications.html", {
        "counts": [(s, STATE.label(s), counts.get(s, 0)) for s in STATE.codes if counts.get(s)],
        "rows": [(a, kinds.state_label(a.kind, a.state), a.pk in late_ids, kinds.KIND.label(a.kind)) for a in rows],
        "total": total, "shown": len(rows), "kinds": kinds.KIND.labels().items(), "kind": kind,
        "late_total": len(late), "steps": STATE.labels().items(), "step": step, "only_late": only_late,
        "apply_form": apply_form if may_apply else None, "apply_errors": form_errors(apply_form),
        "title": _("Appraisal and notices"),
    }, status=status)


@requires(ABILITY)
@require_POST
def apply(request: HttpRequest) -> HttpResponse:
    form = ApplyForm(request.POST)
    status = 400
    if form.is_valid():
        d = form.cleaned_data
        household = access.households(Household.objects.all(), request.user).filter(number=d["household"].strip()).first()
        if household is None:
            # The same answer for "no such household" and "not yours": numbers cannot be probed.
            form.add_error("household", _("No such household in your areas."))
            status = 404
        elif not workflow.may_step(request.user, household.village_id, "village"):
            raise PermissionDenied("appraisal.apply")
        else:
            try:
                app = workflow.apply(household, d["year"], applied_by=d["applied_by"], on=d["on"], user=request.user,
                                     kind=d["kind"] or kinds.IDENTIFY, override=d["override"])
            except StepRefused as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Application filed."))
                return redirect("web:application", pk=app.pk)
    return _list(request, form, status)


@requires(ABILITY)
def application(request: HttpRequest, pk: int) -> HttpResponse:
    app = get_object_or_404(visible_applications(request.user).select_related("household", "village"), pk=pk)
    return _detail(request, app, None, None, 200)


def _detail(request: HttpRequest, app: Application, slug: str | None, bound: forms.Form | None,
            status: int) -> HttpResponse:
    user = request.user
    allowed = workflow.allowed_actions(app, user)
    slugs = list(dict.fromkeys(FORM_OF[a] for a in allowed))
    actions = []
    for s in slugs:
        form = bound if s == slug and bound is not None else STEPS[s].form()
        actions.append({"slug": s, "title": STEPS[s].title, "form": form,
                        "errors": form_errors(form) if form is bound else []})
    if slug is not None and slug not in slugs and bound is not None:
        # A step no longer allowed from this state (someone else moved the application on): its message.
        actions.insert(0, {"slug": slug, "title": STEPS[slug].title, "form": bound, "errors": form_errors(bound)})
    own = workflow.table(app)
    steps = [(s, own[s.action].label if s.action in own else s.action,
              kinds.state_label(app.kind, s.from_state) if s.from_state else "—", kinds.state_label(app.kind, s.to_state))
             for s in app.steps.order_by("id")]
    notices = [(n, NOTICE_STAGE.label(n.stage)) for n in app.notices.order_by("starts_on", "id")]
    # Hits are for those who decide them (the crosscheck ability) and those who take the check step.
    hits = None
    if access.can_see_area(user, app.village_id, "crosscheck") or workflow.may_step(user, app.village_id, "village"):
        hits = [(h, RULE.label(h.rule), HIT_STATUS.label(h.status)) for h in visible_hits(user).filter(
            household_id=app.household_id).select_related("source_list").order_by("id")]
    current = workflow.current_notice(app)
    due = deadlines.due(app.state, app.state_since, current.ends_on if current else None)
    return render(request, "web/application.html", {
        "app": app, "state": kinds.state_label(app.kind, app.state), "kind": kinds.KIND.label(app.kind),
        "consent": getattr(app, "consent", None) if app.kind == kinds.EXIT else None, "steps": steps, "notices": notices, "current": current,
        "appraisals": app.appraisals.order_by("id"),
        "objections": [(o, NOTICE_STAGE.label(o.notice.stage)) for o in app.objections.select_related("notice")
                       .order_by("id")],
        "hits": hits, "actions": actions, "due": due, "late": due is not None and _today() > due,
        "title": _("Application %(id)s") % {"id": app.pk},
    }, status=status)


@requires(ABILITY)
@require_POST
def step(request: HttpRequest, pk: int, slug: str) -> HttpResponse:
    spec = STEPS.get(slug)
    if spec is None:
        raise Http404(slug)
    app = get_object_or_404(visible_applications(request.user).select_related("household", "village"), pk=pk)
    # The level of the step as the application's kind has it (a step the kind lacks: the workflow says so).
    transition = workflow.table(app).get(spec.action(app)) or kinds.ALL_STEPS[spec.action(app)]
    if not workflow.may_step(request.user, app.village_id, transition.level):
        raise PermissionDenied(f"appraisal.{slug}")
    form = spec.form(request.POST)
    if form.is_valid():
        try:
            spec.run(app, form.cleaned_data, request.user)
        except StepRefused as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Recorded: %(step)s.") % {"step": spec.title})
            return redirect("web:application", pk=app.pk)
    app.refresh_from_db()
    return _detail(request, app, slug, form, 400)


@requires(ABILITY)
def overdue(request: HttpRequest) -> HttpResponse:
    area = request.GET.get("area", "").strip()
    error = ""
    try:
        late = deadlines.overdue(request.user, today=_today(), area=area or None, ability=ABILITY)
    except ValueError as exc:
        late, error = [], str(exc)
    ids = [o.application_id for o in late[:SHOWN]]
    villages = dict(visible_applications(request.user).filter(pk__in=ids).values_list("pk", "village__name"))
    return render(request, "web/overdue.html", {
        "rows": [(o, STATE.label(o.state), villages.get(o.application_id, "")) for o in late[:SHOWN]],
        "total": len(late), "area": area, "error": error, "title": _("Overdue steps"),
    })
