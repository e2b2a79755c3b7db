"""The assessment's pages: scoring runs (ranked tables, each score explained, XLSX, an A4 result sheet), trends
over years, schemes (shipped and uploaded), the sign-off of townships' figures, cadres' service history, the
promotion shortlist and the accountability flags with their decisions.

Everything is read through the services, which scope in SQL by area through access.py (the roles carrying
"assess"); a run, a unit, a township or a cadre outside the user's areas is 404, the same as one that does not
exist. Writes are POSTs (CSRF-protected), each audited by its service.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from jingzhun import access
from jingzhun.areas.models import LEVEL_DIGITS, Area
from jingzhun.assessment import (
    catalogue,
    decisions,
    flags,
    scheme_store,
    schemes,
    scoring_runs,
    shortlist,
    signoff,
    snapshots,
    units,
    violations,
)
from jingzhun.assessment.models import DECISION, ScoreResult, ScoringRun, Signoff, SignoffStep
from jingzhun.assessment.sheets import deduction_labels, explained, explainer, records_behind, write_xlsx
from jingzhun.teams.supervision import KINDS
from jingzhun.web import once
from jingzhun.web.pages import requires, requires_download

ABILITY = "assess"
SHOWN = 1000  # rows of a ranked table on the page; the XLSX has them all


def _year(request: HttpRequest, default: int | None = None) -> int:
    raw = (request.GET.get("year") or request.POST.get("year") or "").strip()
    # ASCII digits only: "²" passes isdigit() but not int().
    if raw.isascii() and raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= 2100:
        return int(raw)
    return default or timezone.localdate().year - 1


def _run(request: HttpRequest, pk: int) -> ScoringRun:
    found = scoring_runs.visible_runs(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("评分批次不存在 / no such scoring run")
    return found


def _rows(run: ScoringRun, user: object, limit: int | None = None) -> list[tuple[ScoreResult, str]]:
    qs = scoring_runs.results(run, user)
    found = list(qs if limit is None else qs[:limit])
    names = units.names(run.unit_type, [r.unit for r in found])
    return [(r, names[r.unit]) for r in found]


@requires(ABILITY)
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        return _score(request) if request.POST.get("action") == "score" else _upload(request)
    runs = list(scoring_runs.visible_runs(user)[:100])
    return render(request, "assessment/index.html", {
        "runs": runs, "schemes": scheme_store.available(user), "uploads": list(scheme_store.visible(user)[:100]),
        "labels": {k: f"{zh} / {en}" for k, (zh, en) in catalogue.UNIT_LABELS.items()},
        "year": _year(request), "home": access.home_area(user, ability=ABILITY) or ""})


def _score(request: HttpRequest) -> HttpResponse:
    try:
        run = scoring_runs.run(request.POST.get("scheme", ""), _year(request),
                               request.POST.get("area", "").strip() or None, user=request.user,
                               actor=request.user.get_username())
    except (LookupError, ValueError, PermissionError) as exc:
        messages.error(request, str(exc))
        return redirect("assessment:index")
    return redirect("assessment:run", pk=run.pk)


def _upload(request: HttpRequest) -> HttpResponse:
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, "请选择方案文件 / choose a scheme file")
        return redirect("assessment:index")
    try:
        row = scheme_store.upload(request.user, file.name or "", file.read(scheme_store.MAX_BYTES + 1),
                                  actor=request.user.get_username())
    except schemes.SchemeError as exc:
        for line in str(exc).splitlines():
            messages.error(request, line)
        return redirect("assessment:index")
    except PermissionError as exc:
        messages.error(request, str(exc))
        return redirect("assessment:index")
    messages.success(request, f"方案已上传：{row.name_zh} / scheme uploaded: {row.name_en}")
    return redirect("assessment:index")


def _area_name(code: str) -> str:
    if not code:
        return "全部 / everywhere"
    return Area.objects.filter(code=code).values_list("name", flat=True).first() or code


@requires(ABILITY)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    return render(request, "assessment/run.html", {
        "run": run, "rows": _rows(run, request.user, SHOWN), "shown": SHOWN,
        "total": scoring_runs.results(run, request.user).count(), "area_name": _area_name(run.area_code),
        "unit_label": "{} / {}".format(*catalogue.UNIT_LABELS[run.unit_type])})


def _result(request: HttpRequest, run: ScoringRun, unit: str) -> ScoreResult:
    found = scoring_runs.results(run, request.user).filter(unit=unit).first()
    if found is None:
        raise Http404("考核对象不存在 / no such unit")
    return found


@requires(ABILITY)
def unit_detail(request: HttpRequest, pk: int, unit: str) -> HttpResponse:
    run = _run(request, pk)
    result = _result(request, run, unit)
    notes = [n for n in violations.handled_notes(run.year) if _note_of(run.unit_type, result, n)]
    return render(request, "assessment/unit.html", {
        "run": run, "result": result, "name": units.names(run.unit_type, [unit])[unit],
        "lines": explained(run, result), "notes": notes, "area": result.area_code,
        "shown": signoff.shown_version(result.area_code, run.year), "labels": deduction_labels(run),
        "decisions": list(decisions.visible(request.user).filter(unit_type=run.unit_type, unit=unit)),
        "kinds": KINDS})


def _note_of(unit_type: str, result: ScoreResult, note: tuple[str, str, str, int]) -> bool:
    area, kind, subject, _ = note
    if unit_type in catalogue.AREA_LEVELS:
        digits = LEVEL_DIGITS[unit_type]
        return area[:digits] == result.unit[:digits]
    if unit_type == "work_team":
        return area == result.area_code
    return kind == "same_minute" and subject == f"{violations.HELPER_SUBJECT}{result.unit}"


@requires(ABILITY)
def indicator_records(request: HttpRequest, pk: int, unit: str, code: str) -> HttpResponse:
    """The records behind one indicator's value for the unit ("click a visits indicator → the visits")."""
    run = _run(request, pk)
    result = _result(request, run, unit)
    line = next((li for li in explained(run, result) if li.code == code), None)
    if line is None:
        raise Http404("方案中没有该指标 / no such indicator in the scheme")
    return render(request, "assessment/records.html", {
        "run": run, "result": result, "name": units.names(run.unit_type, [unit])[unit], "line": line,
        "available": explainer() is not None,
        "parts": records_behind(run, result, code, request.user)})


@requires_download(ABILITY)
def run_xlsx(request: HttpRequest, pk: int) -> Any:
    run = _run(request, pk)
    return write_xlsx(request, run, _rows(run, request.user))


@requires_download(ABILITY)
def run_sheet(request: HttpRequest, pk: int, unit: str) -> HttpResponse:
    run = _run(request, pk)
    result = _result(request, run, unit)
    return render(request, "assessment/sheet.html", {
        "run": run, "result": result, "name": units.names(run.unit_type, [unit])[unit],
        "lines": explained(run, result), "labels": deduction_labels(run), "printed": timezone.localdate()})


@requires(ABILITY)
def trends(request: HttpRequest) -> HttpResponse:
    unit_type = request.GET.get("unit_type", "county")
    unit = request.GET.get("unit", "").strip()
    if unit_type not in catalogue.UNIT_TYPES:
        raise Http404("未知考核对象类型 / unknown unit type")
    area = units.area_of(unit_type, unit) if unit else None
    if unit and (area is None or not access.can_see_area(request.user, area, ability=ABILITY)):
        raise Http404("考核对象不存在 / no such unit")
    scored = []
    values: dict[str, dict[int, Any]] = {}
    years: list[int] = []
    if unit:
        runs = scoring_runs.visible_runs(request.user).filter(unit_type=unit_type)
        scored = list(ScoreResult.objects.filter(run__in=runs, unit=unit).select_related("run").order_by(
            "run__year", "-run__created_at"))
        years = sorted({int(p) for p in snapshots.Snapshot.objects.values_list("period", flat=True).distinct()})
        for year in years:
            shown = signoff.shown_version(area or "", year)
            for v in snapshots.values(unit_type, year, version=shown.version, user=request.user).filter(unit=unit):
                values.setdefault(v.indicator, {})[year] = v.value
    return render(request, "assessment/trends.html", {
        "unit_type": unit_type, "unit": unit, "name": units.names(unit_type, [unit])[unit] if unit else "",
        "scored": scored, "years": years, "unit_types": [(k, f"{zh} / {en}") for k, (zh, en) in
                                                        catalogue.UNIT_LABELS.items()],
        "values": [(c, f"{catalogue.BY_CODE[c].zh} / {catalogue.BY_CODE[c].en}", [values[c].get(y) for y in years])
                   for c in sorted(values) if c in catalogue.BY_CODE]})


# --------------------------------------------------------------------------- sign-off


def _townships(user: object) -> list[Area]:
    return list(access.scope(Area.objects.filter(level="township"), user, "code", ability=ABILITY).order_by("code")[:500])


@requires(ABILITY)
def signoff_page(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    if request.method == "POST":
        _signoff_step(request, year)
        return redirect(reverse("assessment:signoff") + f"?year={year}")
    towns = _townships(request.user)
    found = {s.township: s for s in Signoff.objects.filter(period=snapshots.period_key(year),
                                                           township__in=[t.code for t in towns])}
    steps = SignoffStep.objects.filter(signoff__in=found.values()).order_by("at", "id")
    rows = [(t, found.get(t.code), signoff.shown_version(t.code, year)) for t in towns]
    return render(request, "assessment/signoff.html", {
        "year": year, "rows": rows, "steps": list(steps), "levels": signoff.APPROVAL_LEVELS,
        "latest": snapshots.latest_version(snapshots.period_key(year))})


def _signoff_step(request: HttpRequest, year: int) -> None:
    township, action = request.POST.get("township", ""), request.POST.get("action", "")
    level = request.POST.get("level", "")
    try:
        if action == "submit":
            signoff.submit(request.user, township, year)
        elif action == "approve":
            signoff.approve(request.user, township, year, level)
        elif action == "return":
            signoff.send_back(request.user, township, year, level, request.POST.get("reason", ""))
        else:
            raise signoff.SignoffError("未知操作 / unknown action")
    except signoff.NotFound as exc:
        raise Http404(str(exc)) from None
    except signoff.SignoffError as exc:
        messages.error(request, str(exc))
        return
    messages.success(request, "已记录 / recorded")


# --------------------------------------------------------------------------- cadres, shortlist, flags, decisions


@requires(ABILITY)
def cadre_history(request: HttpRequest, pk: int) -> HttpResponse:
    found = shortlist.histories(request.user, cadre=pk)
    if not found:
        raise Http404("干部不存在 / no such cadre")
    history = found[0]
    return render(request, "assessment/cadre.html", {
        "history": history, "required": shortlist.required_years(),
        "decisions": list(decisions.visible(request.user).filter(unit_type="cadre", unit=str(pk)))})


@requires(ABILITY)
def shortlist_page(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    rows = shortlist.shortlist(request.user)
    taken = _decided(request.user, "cadre", year)
    return render(request, "assessment/shortlist.html", {
        "year": year, "rows": [(h, taken.get(str(h.cadre.pk), [])) for h in rows],
        "required": shortlist.required_years(), "top": shortlist.top_grades(), "choices": DECISION.values})


@requires(ABILITY)
def flags_page(request: HttpRequest) -> HttpResponse:
    year = _year(request)
    found = flags.flags(year, request.user)
    named: dict[str, dict[str, str]] = {}
    for f in found:
        named.setdefault(f.run.unit_type, {})[f.result.unit] = ""
    names = {t: units.names(t, keys) for t, keys in named.items()}
    decided = {t: _decided(request.user, t, year) for t in named}
    rows = [(f, names[f.run.unit_type][f.result.unit], decided[f.run.unit_type].get(f.result.unit, []))
            for f in found]
    return render(request, "assessment/flags.html", {
        "year": year, "rows": rows, "labels": violations.BILINGUAL, "choices": DECISION.values,
        "no_data": [violations.BILINGUAL[k] for k in violations.NO_DATA_YET]})


def _decided(user: object, unit_type: str, year: int) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for d in decisions.visible(user).filter(unit_type=unit_type, year=year):
        out.setdefault(d.unit, []).append(d)
    return out


@requires(ABILITY)
def decide(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        raise Http404("须提交表单 / a form must be posted")
    post = request.POST
    subject = post.get("subject", "")
    back = reverse("assessment:shortlist" if subject == "shortlist" else "assessment:flags")
    try:
        on = dt.date.fromisoformat(post.get("on", "")) if post.get("on") else None
        # The decision, then the form's one-time token, in one transaction: a double click or a resent form
        # finds the token taken and records no second warning or promotion (out of area: 404 as ever).
        with transaction.atomic():
            decisions.decide(request.user, subject=subject, unit_type=post.get("unit_type", ""),
                             unit=post.get("unit", ""), year=_year(request), decision=post.get("decision", ""),
                             reason=post.get("reason", ""), on=on, actor=request.user.get_username())
            once.claim(request)
    except decisions.NotFound as exc:
        raise Http404(str(exc)) from None
    except once.AlreadySent as exc:
        messages.warning(request, str(exc))
        return redirect(f"{back}?year={_year(request)}")
    except ValueError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "处理决定已记录 / decision recorded")
    return redirect(f"{back}?year={_year(request)}")

