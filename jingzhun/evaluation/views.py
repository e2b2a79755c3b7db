"""The evaluation's pages: the list, one evaluation (design, the user's part of the sample, the county rates
with intervals), the field lists (A4 HTML per village, XLSX) and the findings form for one household.
Every query is scoped by village code through access.py in SQL; outside the user's areas is 404."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from jingzhun import access
from jingzhun.audit import log as audit
from jingzhun.evaluation import draw, drawform, fieldlist, findings, results
from jingzhun.evaluation.models import FINDINGS, Evaluation, SampledVillage
from jingzhun.web.pages import requires, requires_download

LIMIT = 500


def _evaluation(request: HttpRequest, pk: int) -> Evaluation:
    found = draw.visible(request.user).filter(pk=pk).first()
    if found is None:
        raise Http404("评估不存在 / no such evaluation")
    return found


@requires("evaluate")
def evaluations(request: HttpRequest) -> HttpResponse:
    return render(request, "evaluation/list.html", {"evaluations": list(draw.visible(request.user)[:200]),
                                                    "may_draw": bool(draw.drawable_areas(request.user, 1))})


@requires("evaluate")
def draw_form(request: HttpRequest) -> HttpResponse:
    """Draw an evaluation: officers whose areas hold the whole evaluated area (the same service as `jingzhun
    evaluation draw`; it applies the rule again). An area outside them is as unknown as a missing one."""
    areas = draw.drawable_areas(request.user)
    if not areas:
        raise PermissionDenied("draw")
    context: dict[str, Any] = {"areas": areas, "problems": [], "values": dict(drawform.DEFAULTS)}
    if request.method != "POST":
        return render(request, "evaluation/draw.html", context)
    posted, problems, values = drawform.read(request.POST)
    context["values"] = values
    if posted is not None:
        try:
            found = draw.draw(name=posted.name, year=posted.year, area_code=posted.area, seed=posted.seed,
                              sizes=posted.sizes, user=request.user, actor=request.user.get_username())
        except (PermissionDenied, ValueError) as exc:
            problems = [str(exc)]
        else:
            return redirect("evaluation:detail", pk=found.pk)
    context["problems"] = problems
    return render(request, "evaluation/draw.html", context, status=400)


@requires("evaluate")
def evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    found = _evaluation(request, pk)
    spans = access.ranges(request.user, ability="evaluate")
    # A county's rates are an aggregate of the whole county's sample: shown to users whose areas hold the county.
    counties = [code for code in results.counties(found)
                if spans is None or any(low <= code and code[:6].ljust(12, "9") <= high for low, high in spans)]
    villages = access.scope(SampledVillage.objects.filter(evaluation=found).select_related("village"), request.user,
                            "village_id", ability="evaluate").order_by("village_id")
    households = draw.households_of(found, request.user).order_by("village_id", "group", "number")
    low, high = found.area.code_range
    whole = spans is None or any(lo <= low and high <= hi for lo, hi in spans)
    rates = [results.county_rates(found, code) for code in counties]
    if whole and len(rates) > 1:  # the whole evaluated area at once, for users holding all of it
        rates.append(results.overall_rates(found))
    return render(request, "evaluation/detail.html", {
        "evaluation": found, "rates": rates,
        "villages": list(villages), "households": list(households[:LIMIT]), "total": households.count(),
        "limit": LIMIT, "policy": results.thresholds(found.year, found.area_id)})


def _audit_print(request: HttpRequest, found: Evaluation, what: str, villages: list[str], rows: int) -> None:
    audit.record(request.user.get_username(), "evaluation.field_list", object_type="evaluation",
                 object_id=str(found.pk), areas=villages, format=what, rows=rows)


@requires_download("evaluate")
def field_list(request: HttpRequest, pk: int, village: str) -> HttpResponse:
    found = _evaluation(request, pk)
    sampled = access.scope(SampledVillage.objects.filter(evaluation=found, village_id=village).select_related(
        "village__parent"), request.user, "village_id", ability="evaluate").first()
    if sampled is None:
        raise Http404("样本村不存在 / no such sampled village")
    rows = fieldlist.rows(draw.households_of(found, request.user).filter(village_id=village))
    _audit_print(request, found, "html", [village], len(rows))
    return render(request, "evaluation/field_list.html", {"evaluation": found, "sampled": sampled, "rows": rows})


@requires_download("evaluate")
def field_list_xlsx(request: HttpRequest, pk: int) -> Any:  # a FileResponse
    found = _evaluation(request, pk)
    households = draw.households_of(found, request.user)
    rows = fieldlist.rows(households)
    _audit_print(request, found, "xlsx", sorted({r.village for r in rows}), len(rows))
    folder = Path(tempfile.mkdtemp(prefix="jingzhun-fieldlist-"))
    path = fieldlist.write_xlsx(rows, folder / "field-list.xlsx")
    handle = path.open("rb")  # noqa: SIM115 -- FileResponse closes it after sending
    path.unlink()  # the open handle keeps the bytes until the response is sent
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=f"evaluation-{found.pk}-field-list.xlsx")


@requires("evaluate")
def findings_form(request: HttpRequest, pk: int, number: str) -> HttpResponse:
    found = _evaluation(request, pk)
    sampled = draw.households_of(found, request.user).filter(number=number).first()
    if sampled is None:
        raise Http404("样本户不存在 / no such sampled household")
    problems = None
    if request.method == "POST":
        cells = {key: request.POST.get(key, "") for key in FINDINGS}
        problems = findings.record(sampled, cells, user=request.user, actor=request.user.get_username())
        if not problems:
            return redirect("evaluation:detail", pk=found.pk)
    return render(request, "evaluation/findings.html", {
        "evaluation": found, "sampled": sampled, "problems": problems.sorted() if problems else [],
        "fields": [(key, findings.SPEC.header_of(key), getattr(sampled, key)) for key in FINDINGS]})


