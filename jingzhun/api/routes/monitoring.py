"""The household's own report of a hardship (农户自主申报), through `jingzhun.monitoring.cases.report` — the
service the web's self-report form calls: the household in the user's areas (a helper: their own pairs), the
audit row, and a case opened or the report added to the case the household already has. Sent with an
`Idempotency-Key`, a report sent twice (a phone resending after a lost answer) lands once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status
from pydantic import Field

from jingzhun.api import idempotency
from jingzhun.api.auth import user_of
from jingzhun.api.problems import ApiProblem, bilingual, field_error
from jingzhun.api.text import MAX_ID, Short, Text
from jingzhun.monitoring import cases

router = Router(tags=["monitoring"])


class ReportIn(Schema):
    household_id: int = Field(ge=1, le=MAX_ID)
    on: dt.date = Field(description="申报日期，不晚于今天 / the day of the report, not in the future")
    reported_by: Short = Field(description="提出申报的家庭成员 / the household member who asked")
    situation: Text = Field(max_length=cases.MAX_TEXT, description="申报事由 / what happened")
    schooling: Decimal = Field(Decimal(0), ge=0, lt=cases.MAX_EXPENSE, decimal_places=2,
                               description="教育支出（元）/ schooling expenses, yuan")
    disaster: Decimal = Field(Decimal(0), ge=0, lt=cases.MAX_EXPENSE, decimal_places=2,
                              description="灾害损失支出（元）/ disaster expenses, yuan")


class ReportOut(Schema):
    case_id: int
    household_id: int
    state: str
    kind: str


# The service's refusals name their field in Chinese; the API's field for each.
FIELD_OF = {"申报人": "reported_by", "申报事由": "situation", "教育支出": "schooling", "灾害损失支出": "disaster",
            "申报日期": "on", "户": "household_id", "已清退": "household_id"}


def _field(message: str) -> str:
    return next((f for zh, f in FIELD_OF.items() if zh in message), "")


@router.post("/monitoring/reports", response={201: ReportOut}, summary="农户自主申报 / a household's own report")
def report(request: HttpRequest, body: ReportIn) -> Status[Any]:
    """Open a monitoring case from the household's own report (or add it to the open case): the household
    in your areas (a helper: one of your own pairs); refused reports write nothing."""
    user = user_of(request, "write", "monitor")

    def write() -> tuple[int, Any]:
        form = cases.Report(body.household_id, body.on, body.reported_by, body.situation, body.schooling,
                            body.disaster)
        try:
            case = cases.report(user, form)
        except cases.CaseRefused as exc:
            zh, en = bilingual(str(exc))
            raise ApiProblem(422, "refused", str(exc), [field_error(_field(zh), "monitoring", zh, en)]) from None
        return 201, ReportOut(case_id=case.pk, household_id=case.household_id, state=case.state,
                              kind=case.kind).model_dump(mode="json")

    return Status(*idempotency.once(request, "monitoring-report", body.model_dump(mode="json"), write))
