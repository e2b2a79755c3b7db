"""Monitoring in the browser: the cases list with filters, a case page with its steps, the self-report form,
the overdue list, the county's one list, and the screening run.

The rules are `jingzhun.monitoring.cases`' and `screening`'s: these views parse forms (types only), check
where the user stands and show what the services say. Out of the user's areas → 404 (existence is not
disclosed); in the area without the level a step needs → 403; the wrong step or bad input → the page again
(400) with the message, nothing saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from jingzhun import access
from jingzhun.monitoring import calendar, cases, layered, overdue, screening
from jingzhun.monitoring.kinds import ACTION, KIND, SOURCE, STATE, TRIGGER
from jingzhun.monitoring.models import Case
from jingzhun.registry.models import Household
from jingzhun.web.pages import requires

SHOWN = 200
ABILITY = "monitor"


def visible_cases(user: object) -> QuerySet[Case]:
    """The cases of the households the user may see (a helper: their own), in SQL."""
    qs = access.households(Case.objects.all(), user, prefix="household__", ability=ABILITY)
    return access.scope(qs, user, "village_id", ABILITY)


def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, initial=timezone.localdate,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class ReportForm(forms.Form):
    household = forms.CharField(label=gettext_lazy("Household number"), max_length=40)
    on = _date(gettext_lazy("Date"))
    reported_by = forms.CharField(label=gettext_lazy("Reported by"), max_length=60, required=False)
    situation = forms.CharField(label=gettext_lazy("What happened"), widget=forms.Textarea, required=False)
    schooling = forms.CharField(label=gettext_lazy("Schooling expenses (yuan)"), required=False, max_length=20)
    disaster = forms.CharField(label=gettext_lazy("Disaster expenses (yuan)"), required=False, max_length=20)


class CheckForm(forms.Form):
    on = _date(gettext_lazy("Date"))
    finding = forms.CharField(label=gettext_lazy("Finding"), widget=forms.Textarea, required=False)
    take_in = forms.ChoiceField(label=gettext_lazy("Result"), choices=[
        ("1", gettext_lazy("Go on to the decision")), ("0", gettext_lazy("Not taken in"))])
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), required=False,
                             choices=[("", "—"), *((c, zh) for c, zh, _en in KIND.values)])


class EliminateForm(forms.Form):
    on = _date(gettext_lazy("Date"))
    review = forms.CharField(label=gettext_lazy("Review"), widget=forms.Textarea, required=False)
    contact = forms.CharField(label=gettext_lazy("Objections to"), max_length=200, required=False)


class ObjectForm(forms.Form):
    on = _date(gettext_lazy("Date"))
    reason = forms.CharField(label=gettext_lazy("Objection"), widget=forms.Textarea, required=False)


class ApproveForm(forms.Form):
    on = _date(gettext_lazy("Date"))


# action → (form, level of the step, states it is offered in)
STEPS: dict[str, tuple[type[forms.Form], str, tuple[str, ...]]] = {
    "check": (CheckForm, "village", ("open",)),
    "propose_elimination": (EliminateForm, "village", ("monitored",)),
    "object_elimination": (ObjectForm, "village", ("elimination",)),
    "approve_elimination": (ApproveForm, "county", ("elimination",)),
}


@requires(ABILITY)
def case_list(request: HttpRequest) -> HttpResponse:
    cases.follow()
    qs = visible_cases(request.user)
    chosen = {k: request.GET.get(k, "").strip() for k in ("state", "kind", "source", "area", "q")}
    error = ""
    for key, enum in (("state", STATE), ("kind", KIND), ("source", SOURCE)):
        if chosen[key] in enum.codes:
            qs = qs.filter(**{key: chosen[key]})
    if chosen["q"]:
        qs = qs.filter(household__number__icontains=chosen["q"])
    if chosen["area"]:
        try:
            qs = access.within_area(qs, "village_id", chosen["area"])
        except ValueError as exc:
            qs, error = qs.none(), str(exc)
    total = qs.count()
    rows = [(c, STATE.label(c.state), KIND.label(c.kind), SOURCE.label(c.source))
            for c in qs.select_related("household", "village").order_by("-opened_on", "-id")[:SHOWN]]
    return render(request, "monitoring/cases.html", {
        "rows": rows, "total": total, "chosen": chosen, "error": error, "title": _("Monitoring"),
        "states": STATE.labels(), "kinds": KIND.labels(), "sources": SOURCE.labels(),
        "may_screen": access.may(request.user, "screen"), "year": timezone.localdate().year - 1,
    })


def _visible(request: HttpRequest, pk: int) -> Case:
    case = visible_cases(request.user).select_related("household", "village").filter(pk=pk).first()
    if case is None:
        raise Http404("监测案件不存在 / no such case")
    return case


@requires(ABILITY)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cases.follow([pk])
    return _render_case(request, _visible(request, pk))


def _render_case(request: HttpRequest, case: Case, *, form_for: str = "", bound: forms.Form | None = None,
                 error: str = "", status: int = 200) -> HttpResponse:
    offered = [(action, bound if action == form_for and bound is not None else form())
               for action, (form, level, states) in STEPS.items()
               if case.state in states and access.may_step(request.user, case.village_id, level)]
    today = timezone.localdate()
    return render(request, "monitoring/case.html", {
        "case": case, "state": STATE.label(case.state), "kind": KIND.label(case.kind),
        "source": SOURCE.label(case.source), "title": _("Monitoring case"),
        "triggers": [(t, TRIGGER.label(t.code), SOURCE.label(t.source)) for t in case.triggers.order_by("id")],
        "steps": [(s, ACTION.label(s.action)) for s in case.steps.order_by("id")], "offered": offered, "error": error,
        "blockers": cases.elimination_blockers(case, today) if case.state == "monitored" else [],
        "overdue": case.pk in {o.case_id for o in overdue.overdue(request.user, today=today)
                               } if case.state in ("open", "checked") else False,
    }, status=status)


@require_POST
@requires(ABILITY)
def case_step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    case = _visible(request, pk)
    if action not in STEPS:
        raise Http404("没有该操作 / no such step")
    form_class, level, _states = STEPS[action]
    if not access.may_step(request.user, case.village_id, level):
        raise PermissionDenied(level)
    form = form_class(request.POST)
    if not form.is_valid():
        return _render_case(request, case, form_for=action, bound=form, status=400)
    data = form.cleaned_data
    try:
        if action == "check":
            cases.check(request.user, pk, on=data["on"], finding=data["finding"], take_in=data["take_in"] == "1",
                        kind=data["kind"])
        elif action == "propose_elimination":
            cases.propose_elimination(request.user, pk, on=data["on"], contact=data["contact"], review=data["review"])
        elif action == "object_elimination":
            cases.object_elimination(request.user, pk, on=data["on"], reason=data["reason"])
        else:
            cases.approve_elimination(request.user, pk, on=data["on"])
    except cases.CaseRefused as exc:
        return _render_case(request, case, form_for=action, bound=form, error=str(exc), status=400)
    messages.success(request, "已办理 / done")
    return redirect("monitoring:case", pk=pk)


@requires(ABILITY)
def report(request: HttpRequest) -> HttpResponse:
    form = ReportForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = access.households(Household.objects.all(), request.user, ability=ABILITY).filter(
            number=data["household"].strip()).first()
        if household is None:
            raise Http404("户不存在或不在您的管辖范围 / no such household in your areas")
        try:
            case = cases.report(request.user, cases.Report(household.pk, data["on"], data["reported_by"],
                                                           data["situation"], data["schooling"], data["disaster"]))
        except cases.CaseRefused as exc:
            error = str(exc)
        else:
            messages.success(request, "已受理申报 / report received")
            return redirect("monitoring:case", pk=case.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "monitoring/report.html", {"form": form, "error": error, "title": _("Self-report")},
                  status=status)


@requires(ABILITY)
def overdue_list(request: HttpRequest) -> HttpResponse:
    area = request.GET.get("area", "").strip()
    today = timezone.localdate()
    error = ""
    try:
        late = overdue.overdue(request.user, today=today, area=area or None)
    except ValueError as exc:
        late, error = [], str(exc)
    return render(request, "monitoring/overdue.html", {
        "rows": [(o, STATE.label(o.state)) for o in late[:SHOWN]], "total": len(late), "area": area,
        "error": error, "title": _("Overdue monitoring cases"),
        "soon": overdue.due_soon(request.user, today=today, within=calendar.official().add(today, 2)),
        "uncovered": not calendar.official().covers(today.year),
    })


@requires(ABILITY)
def county(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("county", "").strip() or _home_county(request.user)
    error, rows = "", []
    if code:
        if not _overlaps(request.user, code):
            raise Http404("区域不在您的管辖范围 / not in your areas")
        try:
            rows = layered.county_list(request.user, code)
        except ValueError as exc:
            error = str(exc)
    return render(request, "monitoring/county.html", {
        "rows": rows[:SHOWN * 5], "total": len(rows), "county": code, "error": error,
        "title": _("Everyone the county must help"),
    })


def _overlaps(user: object, code: str) -> bool:
    """The area and the user's areas share a subtree (a village team's or helper's county does: its list
    then holds their own part of it); an area elsewhere does not exist for them."""
    from jingzhun.areas.models import Area

    spans = access.ranges(user, ability=ABILITY)
    area = Area.objects.filter(code=code).only("code", "level").first()
    if spans is None or area is None:
        return spans is None or bool(spans)  # an unknown code: the list says so
    low, high = area.code_range
    return any(lo <= high and low <= hi for lo, hi in spans)


def _home_county(user: object) -> str:
    home = access.home_area(user, ABILITY)
    return home[:6] + "000000" if home else ""


@require_POST
@requires("screen")
def screen(request: HttpRequest) -> HttpResponse:
    try:
        year = int(request.POST.get("year", ""))
        if not 2021 <= year <= timezone.localdate().year:
            raise ValueError
    except ValueError:
        messages.error(request, "年度无效 / not a valid year")
        return redirect("monitoring:cases")
    try:
        result = screening.screen(year, today=timezone.localdate(), actor=request.user.get_username(),
                                  user=request.user)
    except (PermissionError, LookupError) as exc:
        messages.error(request, str(exc))
        return redirect("monitoring:cases")
    messages.success(request, f"排查发现 {result.households} 户，新立案 {result.new_cases} 件 / "
                              f"{result.households} households found, {result.new_cases} new cases")
    return redirect("monitoring:cases")



@requires(ABILITY)
def notice(request: HttpRequest, pk: int) -> HttpResponse:
    """The risk-elimination notice as published, ready to print: the household's number and village, the
    review, the period and where objections go (no names, no IDs)."""
    case = _visible(request, pk)
    published = case.notices.order_by("-id").first()
    if published is None:
        raise Http404("该案件没有风险消除公示 / no notice for this case")
    review = case.steps.filter(action="propose_elimination").order_by("-id").values_list("reason", flat=True).first()
    return render(request, "monitoring/notice.html", {
        "case": case, "notice": published, "review": review or "", "kind": KIND.label(case.kind),
        "title": _("Risk elimination notice"),
    })
