"""Area figures: the dashboard, helper and team coverage, supervision alerts, identification runs and
verdicts, pairing runs — each limited by the same rules as its web page (the page's own functions)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from jingzhun.api.auth import user_of
from jingzhun.api.problems import ApiProblem, field_error, not_found
from jingzhun.api.routes.register import visible
from jingzhun.api.text import Short, path_id
from jingzhun.areas.models import LEVEL_DIGITS, Area
from jingzhun.identification import aggregate
from jingzhun.identification.models import IdentificationRun
from jingzhun.teams import coverage as coverage_report
from jingzhun.teams import supervision
from jingzhun.teams.models import PairingProposal, PairingRun
from jingzhun.web import dashboard as web_dashboard
from jingzhun.web.views import identification as web_identification
from jingzhun.web.views import pairing as web_pairing
from jingzhun.web.views import register as web_register
from jingzhun.web.views import teams as web_teams

router = Router(tags=["areas, identification and pairing"])


def _number(x: float | None) -> float | None:
    """JSON has no NaN: a share of nothing is null."""
    return None if x is None or math.isnan(x) else float(x)


class AreaQuery(Schema):
    area: Short = Field("", description="12位区划代码；缺省为您的最大区划 / 12-digit code; default: your widest area")


def _area(user: object, code: str) -> Area:
    if code and not (code.isascii() and code.isdigit() and len(code) == 12):
        raise ApiProblem(422, "area", "区划代码应为12位数字 / an area code has 12 digits",
                         [field_error("area", "digits", "应为12位数字", "12 digits")])
    return web_teams.scoped_area(user, code)


class Figures(Schema):
    households: int
    people: int
    poor_households: int
    poor_people: int
    need_helper: int
    with_helper: int
    population: int
    population_year: int | None
    incidence: float | None
    helper_coverage: float | None
    by_status: dict[str, list[int]]


class ChildFigures(Schema):
    code: str
    name: str
    figures: Figures


class DashboardOut(Schema):
    code: str
    name: str
    level: str
    figures: Figures
    causes: list[tuple[str, int]]
    children: list[ChildFigures]
    poor_villages: int
    poor_villages_with_team: int
    team_coverage: float | None
    visits_30_days: int


def _figures(f: web_dashboard.Figures) -> Figures:
    return Figures(households=f.households, people=f.people, poor_households=f.poor_households,
                   poor_people=f.poor_people, need_helper=f.need_helper, with_helper=f.with_helper,
                   population=f.population, population_year=f.population_year, incidence=_number(f.incidence),
                   helper_coverage=_number(f.helper_coverage),
                   by_status={k: list(v) for k, v in sorted(f.by_status.items())})


@router.get("/dashboard", response=DashboardOut, summary="区划概览 / an area's dashboard figures")
def dashboard(request: HttpRequest, q: Query[AreaQuery]) -> DashboardOut:
    user = user_of(request, "read", "dashboard")
    area = _area(user, q.area)
    board = web_dashboard.build(area)
    return DashboardOut(
        code=area.code, name=area.name, level=area.level, figures=_figures(board.figures), causes=board.causes,
        children=[ChildFigures(code=a.code, name=a.name, figures=_figures(f)) for a, f in board.children],
        poor_villages=board.poor_villages, poor_villages_with_team=board.poor_villages_with_team,
        team_coverage=_number(board.team_coverage), visits_30_days=board.visits_30_days)


class CoverageRow(Schema):
    code: str
    name: str
    poor_villages: int
    villages_without_team: int
    needy_households: int
    households_without_helper: int
    helpers: int
    overloaded_helpers: int


class CoverageOut(Schema):
    root: str
    level: str
    rows: list[CoverageRow]
    total: CoverageRow


def _coverage_row(r: coverage_report.CoverageRow) -> CoverageRow:
    return CoverageRow(**{k: getattr(r, k) for k in CoverageRow.model_fields})


@router.get("/coverage", response=CoverageOut, summary="帮扶与驻村覆盖 / helper and team coverage")
def coverage(request: HttpRequest, q: Query[AreaQuery]) -> CoverageOut:
    user = user_of(request, "read", "dashboard")
    area = _area(user, q.area)
    level = web_dashboard.CHILD_LEVEL.get(area.level, area.level)
    report = coverage_report.coverage_for_user(user, area.code, level)
    return CoverageOut(root=report.root, level=report.level, rows=[_coverage_row(r) for r in report.rows],
                       total=_coverage_row(report.total))


class AlertsQuery(AreaQuery):
    days: int = Field(web_teams.DEFAULT_DAYS, ge=1, le=web_teams.MAX_DAYS)


class AlertOut(Schema):
    kind: str
    label: str
    area: str
    subject: str
    summary: str
    evidence: dict[str, Any]


@router.get("/alerts", response=list[AlertOut], summary="督查预警 / supervision alerts")
def alerts(request: HttpRequest, q: Query[AlertsQuery]) -> list[AlertOut]:
    user = user_of(request, "read", "dashboard")
    area = _area(user, q.area)
    window = supervision.window_for(area.code, user, since=timezone.now() - dt.timedelta(days=q.days))
    return [AlertOut(kind=a.kind, label=str(a.label), area=a.area, subject=a.subject, summary=a.summary,
                     evidence={k: _plain(v) for k, v in a.evidence.items()})
            for a in supervision.alerts(window)[: web_teams.SHOWN_ALERTS]]


def _plain(value: Any) -> Any:
    """Evidence as JSON: numbers and text as they are, anything else (times, decimals) as text."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


class RunOut(Schema):
    id: int
    policy_name: str
    year: int
    area_code: str
    engine: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    totals_visible: bool = Field(description="本批次的总数仅向能看到其全部范围的用户显示 / a run's totals are "
                                             "shown only to users who see all of its area")
    households: int | None
    poor: int | None
    monitored: int | None


def _run(r: IdentificationRun, shown: bool) -> RunOut:
    return RunOut(id=r.pk, policy_name=r.policy_name, year=r.year, area_code=r.area_code, engine=r.engine,
                  started_at=r.started_at, finished_at=r.finished_at, totals_visible=shown,
                  households=r.households if shown else None, poor=r.poor if shown else None,
                  monitored=r.monitored if shown else None)


@router.get("/identification/runs", response=list[RunOut], summary="识别批次 / identification runs")
def identification_runs(request: HttpRequest) -> list[RunOut]:
    from jingzhun import access

    user = user_of(request, "read", "dashboard")
    recent = list(IdentificationRun.objects.filter(finished_at__isnull=False).order_by("-started_at")[:30])
    spans = access.ranges(user, ability="dashboard")
    areas = Area.objects.in_bulk([r.area_code for r in recent if r.area_code], field_name="code")
    return [_run(r, web_identification.whole_run_visible(spans, areas.get(r.area_code), r.area_code)) for r in recent]


class RunArea(Schema):
    code: str
    households: int
    persons: int
    poor_households: int
    monitored_households: int
    incidence: float | None
    P0: float | None
    P1: float | None
    P2: float | None
    H: float | None
    A: float | None
    M0: float | None


class LevelQuery(Schema):
    level: Short = Field("county", description="province | city | county | township | village")


@router.get("/identification/runs/{run_id}/areas", response=list[RunArea], summary="识别结果按区划 / a run by area")
def identification_areas(request: HttpRequest, q: Query[LevelQuery], run_id: int = path_id()) -> list[RunArea]:
    user = user_of(request, "read", "dashboard")
    run = IdentificationRun.objects.filter(pk=run_id, finished_at__isnull=False).first()
    if run is None:
        raise not_found("run")
    if q.level not in LEVEL_DIGITS:
        raise ApiProblem(422, "level", f"level: {q.level}", [field_error(
            "level", "choice", "应为 " + "、".join(LEVEL_DIGITS), "one of " + ", ".join(LEVEL_DIGITS))])
    return [RunArea.model_validate({k: (_number(v) if isinstance(v, float) else v) for k, v in vars(r).items()})
            for r in aggregate.by_area_for(user, run, q.level)]


class Verdict(Schema):
    run_id: int
    policy_name: str
    year: int
    status: str
    reasons: list[str]


@router.get("/households/{household_id}/identification", response={200: Verdict, 204: None},
            summary="一户的识别结论 / a household's verdict")
def verdict(request: HttpRequest, household_id: int = path_id()) -> Any:
    """The latest finished run's verdict on the household, with its reasons ("中文 / English"); 204 when no run
    has one."""
    user = user_of(request, "read")
    found = web_register.household_verdict(visible(user, household_id))
    if found is None:
        return Status(204, None)
    run = found["run"]
    return Status(200, Verdict(run_id=run.pk, policy_name=run.policy_name, year=run.year, status=str(found["status"]),
                        reasons=[str(r) for r in found["reasons"]]))


class PairingRunOut(Schema):
    id: int
    counties: list[str]
    status: str
    created_at: dt.datetime
    households: int
    helpers: int
    new: int
    moved: int
    kept: int
    ended: int
    unpaired: int
    cost_before: int
    cost_after: int
    approved_by: str
    approved_at: dt.datetime | None


class ProposalOut(Schema):
    household_id: int
    household_number: str
    kind: str
    cadre_id: int | None
    cadre_name: str | None
    previous_cadre_name: str | None
    cost: int | None
    reason: str


class PairingRunDetail(PairingRunOut):
    changes: list[ProposalOut]


def _pairing_run(r: PairingRun) -> dict[str, Any]:
    return {"id": r.pk, "counties": list(r.parameters.get("counties", [])), "status": r.status,
            "created_at": r.created_at, **{k: getattr(r, k) for k in (
                "households", "helpers", "new", "moved", "kept", "ended", "unpaired", "cost_before", "cost_after",
                "approved_by", "approved_at")}}


@router.get("/pairing/runs", response=list[PairingRunOut], summary="结对方案 / pairing runs")
def pairing_runs(request: HttpRequest) -> list[PairingRunOut]:
    """The recent runs whose counties are all in the user's pairing areas (as the pairing page lists them)."""
    user = user_of(request, "read", "pair")
    shown = []
    for r in PairingRun.objects.order_by("-created_at")[:50]:
        try:
            web_pairing.visible_run(user, r.pk)
        except Http404:  # not all of its counties are the user's
            continue
        shown.append(PairingRunOut(**_pairing_run(r)))
    return shown


@router.get("/pairing/runs/{run_id}", response=PairingRunDetail, summary="一个结对方案 / one pairing run")
def pairing_run(request: HttpRequest, run_id: int = path_id()) -> PairingRunDetail:
    user = user_of(request, "read", "pair")
    run = web_pairing.visible_run(user, run_id)  # Http404 outside the user's counties
    changes = (PairingProposal.objects.filter(run=run).exclude(kind="kept")
               .select_related("household", "cadre", "previous_pair__cadre").order_by("kind", "household__number")
               [: web_pairing.SHOWN])
    return PairingRunDetail(**_pairing_run(run), changes=[ProposalOut(
        household_id=p.household_id, household_number=p.household.number, kind=p.kind, cadre_id=p.cadre_id,
        cadre_name=p.cadre.name if p.cadre else None,
        previous_cadre_name=p.previous_pair.cadre.name if p.previous_pair else None, cost=p.cost, reason=p.reason)
        for p in changes])
