"""Help plans (一户一策): read a household's plans, and save one through the plans service (the same rules,
area rule and approval flow as the web's editor)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Path, Router, Schema
from pydantic import Field

from jingzhun.api.auth import user_of
from jingzhun.api.problems import ApiProblem, field_error, not_found
from jingzhun.api.routes.register import visible
from jingzhun.api.text import Short, Text, path_id
from jingzhun.plans import services

router = Router(tags=["help plans"])


class MeasureOut(Schema):
    id: int
    category: str
    category_label: str
    description: str
    amount: str
    cadre: str | None
    due_on: dt.date | None
    status: str
    status_label: str
    done_on: dt.date | None
    result: str


class PlanOut(Schema):
    id: int
    year: int
    goal: str
    drafted_by: str | None
    approved_by: str | None
    approved_at: dt.datetime | None
    updated_at: dt.datetime
    amount: str
    measures: list[MeasureOut]
    uncovered: list[str]
    pending_change: bool


def _plan(p: dict[str, Any]) -> PlanOut:
    return PlanOut(
        id=p["id"], year=p["year"], goal=p["goal"], drafted_by=p["drafted_by"], approved_by=p["approved_by"],
        approved_at=p["approved_at"], updated_at=p["updated_at"], amount=f"{p['amount']:.2f}",
        measures=[MeasureOut(id=m["id"], category=m["category"], category_label=str(m["category_label"]),
                             description=m["description"], amount=f"{m['amount']:.2f}", cadre=m["cadre"],
                             due_on=m["due_on"], status=m["status"], status_label=str(m["status_label"]),
                             done_on=m["done_on"], result=m["result"]) for m in p["measures"]],
        uncovered=[str(u) for u in p["uncovered"]], pending_change=p["pending"] is not None)


@router.get("/households/{household_id}/plans", response=list[PlanOut], summary="帮扶计划 / help plans")
def plans(request: HttpRequest, household_id: int = path_id()) -> list[PlanOut]:
    user = user_of(request, "read")
    return [_plan(p) for p in services.household_plans(visible(user, household_id))]


class MeasureIn(Schema):
    id: Short = Field("", description="已有措施的编号；新措施留空 / an existing measure's id; empty for a new one")
    category: Short
    description: Text = Field(max_length=500)
    amount: Short = ""
    cadre: Short = ""
    due_on: Short = ""
    status: Short = "planned"
    done_on: Short = ""
    result: Text = Field("", max_length=500)


class PlanIn(Schema):
    goal: Text = Field(max_length=1000)
    measures: list[MeasureIn] = Field([], max_length=100)


@router.put("/households/{household_id}/plans/{year}", response=PlanOut, summary="保存帮扶计划 / save a plan")
def save_plan(request: HttpRequest, body: PlanIn, household_id: int = path_id(), year: int = Path(ge=2000, le=2100)) -> PlanOut:
    """Saved by `jingzhun.plans.services.save_plan`, the web editor's own: only where you may write plans; a
    change of an approved plan waits for approval."""
    user = user_of(request, "write", "plan")
    given = [services.MeasureInput(**m.model_dump(), row=i) for i, m in enumerate(body.measures, start=1)]
    try:
        saved = services.save_plan(user, household_id, year, body.goal, given)
    except services.PlanNotFound:
        raise not_found("household") from None
    except services.PlanRefused as exc:
        errors = [field_error(p.field, "plan", p.zh, p.en) for p in exc.problems]
        raise ApiProblem(422, "refused", "计划未保存 / the plan was not saved", errors) from None
    found = next(p for p in services.household_plans(saved.household) if p["id"] == saved.pk)
    return _plan(found)
