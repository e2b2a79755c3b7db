"""The household help plan (一户一策): the edit page (goal and measures in one form, saved in one go) and
the officer's approval. The rules and the writing are `jingzhun.plans.services`'; these views only read
the form, call it and show what it says."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from jingzhun import access, choices
from jingzhun.areas.models import code_range
from jingzhun.plans import services
from jingzhun.plans.models import MEASURE_CATEGORY, MEASURE_STATUS, HelpPlan, PlanMeasure
from jingzhun.registry.models import Household
from jingzhun.teams.models import SERVING, Cadre
from jingzhun.web.pages import requires

NEW_ROWS = 3  # blank rows for new measures under the existing ones
FIELDS = ("id", "category", "description", "amount", "cadre", "due_on", "status", "done_on", "result")
ROW_KEY = re.compile(r"^measure-(\d{1,3})-(\w+)$")


def _row(n: int, m: PlanMeasure | None = None) -> dict[str, Any]:
    if m is None:
        return {"row": n, "id": "", "category": "", "description": "", "amount": "", "cadre": "", "due_on": "",
                "status": "planned", "done_on": "", "result": ""}
    return {"row": n, "id": str(m.pk), "category": m.category, "description": m.description,
            "amount": str(m.amount), "cadre": str(m.cadre_id or ""),
            "due_on": m.due_on.isoformat() if m.due_on else "", "status": m.status,
            "done_on": m.done_on.isoformat() if m.done_on else "", "result": m.result}


def _proposed(rows: list[dict[str, Any]], goal: str, changes: dict[str, Any]) -> str:
    """Lay a pending revision over the form (rows of the measures in force): its content for the measures
    it changes, rows for the measures it adds, its goal. The editor edits the proposal, not the approved
    text, so saving the form unchanged keeps the proposal as it is."""
    by_id = {r["id"]: r for r in rows}
    for m in changes.get("measures", []):
        row = by_id.get(str(m["id"])) if m["id"] else _row(len(rows) + 1)
        if row is None:
            continue
        for k, (_old, new) in m["fields"].items():
            row["cadre" if k == "cadre_id" else k] = "" if new is None else str(new)
        if not m["id"]:
            rows.append(row)
    return changes["goal"][1] if "goal" in changes else goal


def _posted_rows(post: Any) -> list[dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for key in post:
        match = ROW_KEY.match(key)
        if match and match.group(2) in FIELDS:
            found.setdefault(int(match.group(1)), {"row": int(match.group(1))})[match.group(2)] = post.get(key, "")
    rows = []
    for n in sorted(found):
        row = {f: "" for f in FIELDS} | found[n]
        rows.append(row)
    return rows


def _blank(row: dict[str, Any]) -> bool:
    """A new row left empty on the form (its status select always has a value)."""
    return not row["id"] and not any(str(row[f]).strip() for f in FIELDS if f not in ("id", "status"))


def _cadres(user: object, household: Household, assigned: set[int]) -> list[Cadre]:
    """Serving cadres stationed in the household's township (and those already responsible for a measure),
    within what the user may see."""
    low, high = code_range(household.village_id, "township")
    nearby = Cadre.objects.filter(home_area_id__gte=low, home_area_id__lte=high, status=SERVING)
    qs = access.scope(Cadre.objects.filter(pk__in=nearby.values("pk")) | Cadre.objects.filter(pk__in=assigned),
                      user, "home_area_id", ability="plan")
    return list(qs.order_by("name", "pk")[:500])


@requires("plan")
@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, number: str, year: int) -> HttpResponse:
    # Outside what the user may write is "not found", as for every page: existence is not disclosed.
    household = get_object_or_404(services.writable_households(request.user).select_related("village"),
                                  number=number)
    plan = HelpPlan.objects.filter(household=household, year=year).select_related("approved_by").first()
    measures = list(plan.measures.order_by("id")) if plan else []
    problems: list[services.Problem] = []
    goal = plan.goal if plan else ""
    rows = [_row(i, m) for i, m in enumerate(measures, start=1)]
    pending = services.pending_revision(plan) if plan else None
    if pending is not None:
        goal = _proposed(rows, goal, pending.changes)
    rows += [_row(len(rows) + i) for i in range(1, NEW_ROWS + 1)]
    status = 200
    if request.method == "POST":
        goal = request.POST.get("goal", "")
        rows = _posted_rows(request.POST)
        given = [services.MeasureInput(**{f: r[f] for f in FIELDS}, row=r["row"]) for r in rows if not _blank(r)]
        try:
            saved = services.save_plan(request.user, household.pk, year, goal, given)
        except services.PlanNotFound as exc:
            raise Http404(str(exc)) from exc
        except services.PlanRefused as exc:
            problems, status = exc.problems, 400
        else:
            if saved.approved_at is not None and services.pending_revision(saved) is not None:
                messages.success(request, _bilingual("修改已保存，待审核；审核前已审核的计划继续有效",
                                                     "Change saved for approval; until then the approved plan "
                                                     "stays in force."))
            else:
                messages.success(request, _("Plan saved."))
            return redirect("web:household", number=household.number)
    revisions = services.plan_revisions(plan) if plan else []
    assigned = {m.cadre_id for m in measures if m.cadre_id}
    causes = services.household_causes(household)
    live = [m.category for m in measures if m.status != "cancelled"]
    bad_rows = {int(m.group(1)) for p in problems if (m := re.match(r"measures\[(\d+)\]", p.field))}
    return render(request, "web/plan.html", {
        "h": household, "year": year, "plan": plan, "goal": goal, "rows": rows, "bad_rows": bad_rows,
        "problems": problems, "categories": MEASURE_CATEGORY.labels().items(),
        "statuses": MEASURE_STATUS.labels().items(), "cadres": _cadres(request.user, household, assigned),
        "causes": [choices.CAUSE.label(c) for c in causes],
        "uncovered": [choices.CAUSE.label(c) for c in services.uncovered_causes(causes, live)],
        "pending": pending, "revisions": revisions,
        "pending_view": next((r for r in revisions if r["status"] == "pending"), None),
        "can_approve": bool(plan and (plan.approved_at is None or pending is not None)
                            and access.may(request.user, "approve_plan")
                            and services.may_approve_village(request.user, household.village_id)),
        "this_year": timezone.localdate().year,
        "title": _("Help plan %(year)s · %(number)s") % {"year": year, "number": household.number},
    }, status=status)


@requires("approve_plan")
@require_POST
def plan_approve(request: HttpRequest, number: str, year: int) -> HttpResponse:
    found = (access.households(HelpPlan.objects.filter(household__number=number, year=year), request.user,
                               prefix="household__", ability="approve_plan").values_list("pk", flat=True).first())
    if found is None:
        raise Http404(_("No such plan in your scope"))
    reject = request.POST.get("decision") == "reject"  # the same form's other button: turn the change down
    try:
        if reject:
            services.reject_revision(request.user, found)
        else:
            services.approve_plan(request.user, found)
    except services.PlanNotFound as exc:
        raise Http404(str(exc)) from exc
    except services.PlanRefused as exc:
        for p in exc.problems:
            messages.error(request, p.en if _is_english() else p.zh)
    else:
        messages.success(request, _bilingual("修改未通过，已审核的计划继续有效",
                                             "Change rejected; the approved plan stays in force.")
                         if reject else _("Plan approved."))
    return redirect("web:household", number=number)


def _bilingual(zh: str, en: str) -> str:
    return en if _is_english() else zh


def _is_english() -> bool:
    from django.utils import translation

    return (translation.get_language() or "").startswith("en")
