"""A score explained line by line (indicator, rule, target, value with its numerator and denominator, points,
the records behind it), and the ranked table as XLSX (audited before the first row is written)."""

from __future__ import annotations

import importlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from django.utils import translation

from jingzhun import access, cells
from jingzhun.assessment import catalogue, scheme_store, scoring_runs, snapshots
from jingzhun.assessment.models import ScoreResult, ScoringRun
from jingzhun.audit import log as audit
from jingzhun.core.addresses import client_address

# Which records stand behind an indicator (by the module it reads): the page that lists them for the unit's area.
RECORD_PAGES = {"register": "web:households", "teams": "web:alerts", "plans": "web:households",
                "areas": "web:dashboard_area", "evaluation": "evaluation:list"}
RULES = {"target": "按目标值 / target", "rank": "按排名 / rank", "threshold": "达标即满分 / threshold"}
VISIT_CODES = {"visits_per_household", "alerts_per_100", "residence_days_met", "helper_coverage", "team_coverage"}


@dataclass(frozen=True)
class Line:
    code: str
    name: str  # "中文 / English"
    definition: str
    rule: str
    weight: float
    target: float | None
    direction: str
    value: float | None
    numerator: float | None
    denominator: float | None
    points: float
    missing: bool
    reason: str  # why there is no value, when the catalogue says
    records: str  # a link to the page of the records behind it ("" when none)


def _records(code: str, area: str) -> str:
    ind = catalogue.BY_CODE.get(code)
    if ind is None or not ind.available:
        return ""
    if code in VISIT_CODES:
        return reverse("web:alerts") + f"?area={area}"
    page = RECORD_PAGES.get(ind.needs)
    if page == "web:dashboard_area":
        return reverse(page, args=[area])
    return reverse(page) + f"?area={area}" if page else ""


def explainer() -> Any:
    """The app's `explain(unit_type, unit, indicator, year, user=…)` — in `jingzhun.assessment.explain`, or in
    `snapshots` — or None while the app has none (the pages then show "—")."""
    try:
        module = importlib.import_module("jingzhun.assessment.explain")
    except ImportError:
        module = snapshots
    return getattr(module, "explain", None)


def records_behind(run: ScoringRun, result: ScoreResult, code: str, user: object) -> list[tuple[str, str, list[str]]]:
    """(part, kind, ids) of the records counted in the value — numerator, then denominator — for `user` (the
    households listed are theirs only); [] when the app cannot say."""
    explain = explainer()
    if explain is None:
        return []
    try:
        found = explain(run.unit_type, result.unit, code, run.year, user=user)
    except (LookupError, ValueError):
        return []
    out = []
    for part, label in (("numerator", "分子 / numerator"), ("denominator", "分母 / denominator")):
        for records in getattr(found, part, []) or []:
            out.append((label, str(getattr(records, "kind", "")), [str(i) for i in getattr(records, "ids", [])]))
    return out


def _definition(cat: catalogue.Indicator) -> str:
    # Picked here, not by the |lang filter: an English definition may begin with "(", which the filter's
    # "中文 / English" split does not recognise.
    english = (translation.get_language() or "").startswith("en")
    return cat.definition_en if english else cat.definition_zh


def explained(run: ScoringRun, result: ScoreResult, *, with_records: bool = True) -> list[Line]:
    scheme = scheme_store.parse(run.scheme_text, run.scheme_source)
    values = scoring_runs.unit_values(run, result)
    directions = scheme_store.directions()
    out = []
    for ind in scheme.indicators:
        cat = catalogue.BY_CODE.get(ind.code)
        v = values.get(ind.code)
        out.append(Line(
            ind.code, f"{cat.zh} / {cat.en}" if cat else ind.code,
            _definition(cat) if cat else "", RULES[ind.rule], float(ind.weight),
            None if ind.target is None else float(ind.target), ind.direction or directions.get(ind.code, ""),
            v.value if v else None, v.numerator if v else None, v.denominator if v else None,
            float(result.points.get(ind.code, 0.0)), ind.code in result.missing, cat.no_data_reason if cat else "",
            _records(ind.code, result.area_code) if with_records else ""))
    return out


def deduction_labels(run: ScoringRun) -> dict[str, str]:
    """Each deduction kind's name ("中文 / English"): the scheme's, else the violations' own."""
    from jingzhun.assessment import violations

    scheme = scheme_store.parse(run.scheme_text, run.scheme_source)
    return {**violations.BILINGUAL, **{d.kind: f"{d.name_zh} / {d.name_en}" for d in scheme.deductions}}


HEADERS = ["名次", "对象", "名称", "所在区划", "总分", "扣分", "等次", "快照版本", "已审核冻结"]


def write_xlsx(request: HttpRequest, run: ScoringRun, rows: list[tuple[ScoreResult, str]]) -> Any:
    """The ranked table the user may see, with every indicator's points, as XLSX; audited as an export."""
    import xlsxwriter

    user = request.user
    codes = list(rows[0][0].points) if rows else []
    name = f"考核结果-{run.year}-{run.unit_type}-{run.pk}.xlsx"
    spans = access.ranges(user, ability="assess")
    audit.record(user.get_username(), "export", object_type="assessment_run", object_id=str(run.pk),
                 area=run.area_code, areas=sorted({r.area_code for r, _ in rows}), address=client_address(request),
                 rows=len(rows), format="xlsx", scope=None if spans is None else [list(s) for s in spans])
    folder = Path(tempfile.mkdtemp(prefix="jingzhun-assess-"))
    path = folder / name
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet(f"{run.year}年考核结果")
    names = [catalogue.BY_CODE[c].zh if c in catalogue.BY_CODE else c for c in codes]
    cells.write_row(sheet, 0, 0, [*HEADERS, *names])
    for i, (r, label) in enumerate(rows, start=1):
        cells.write_row(sheet, i, 0, [r.rank, r.unit, label, r.area_code, round(r.total, 4), round(r.deducted, 4),
                                      r.grade, r.version, "是" if r.frozen else "否",
                                      *[round(float(r.points.get(c, 0.0)), 4) for c in codes]])
    book.close()
    handle = path.open("rb")  # noqa: SIM115 -- FileResponse closes it after sending
    path.unlink()  # the open handle keeps the bytes until the response is sent
    folder.rmdir()
    return FileResponse(handle, as_attachment=True, filename=name)
