"""Attendance (驻村考勤) from an officer's file: one row per cadre and day in a village, with how the day
was recorded.

A day is recorded once: the same cadre and day twice (in the file, or already stored) is refused, so
re-importing a file changes nothing. The village must be in the importer's areas (a helper: their own
days, in their helper areas); the cadre must work there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.utils import timezone

from jingzhun import db
from jingzhun.areas.models import Area
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec
from jingzhun.teams.models import ATTENDANCE_METHOD, Attendance
from jingzhun.teams.scope import own_cadre
from jingzhun.teams.visits_import import shared
from jingzhun.teams.visits_import.shared import FromRows, Rows

SPEC = Spec("attendance", (
    *shared.cadre_columns("干部编号"),
    Column("village", "村代码", "village_code", kind="village",
           note="12位村代码，须在您的管辖区划内 / a village in your areas"),
    Column("date", "日期", "date", kind="date", note="YYYY-MM-DD，不早于2013年、不晚于今天"),
    Column("method", "记录方式", "method", kind="enum", enum=ATTENDANCE_METHOD),
))


@dataclass
class Checked(FromRows):
    rows: Rows
    cadre: list[int | None]
    village: list[str | None]
    date: list[dt.date | None]
    method: list[str | None]

@dataclass
class Plan:
    days: pa.Table  # the new attendance rows, ids still to hand out

    def counts(self) -> dict[str, int]:
        return {"inserted": self.days.num_rows}

    def areas(self) -> Iterable[str]:
        return set(self.days.column("village_id").to_pylist())


class Days:
    spec = SPEC
    action = "attendance.import"

    def __init__(self, now: dt.datetime):
        self.now = now
        self.today = timezone.localtime(now).date()
        self.recorded: dict[int, int] = {}  # the last check's rows refused as stored already → the day's id

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        rows = Rows.of(SPEC, table, cell_problems)
        cadre = shared.cadre_ids(rows, context.scope)
        checked = Checked(rows, cadre, _villages(rows, cadre, context.scope), rows.parsed("date", self._date),
                          rows.parsed("method", lambda text: parse.parse_choice(text, ATTENDANCE_METHOD)))
        keys = [(k, d) if k is not None and d is not None else None for k, d in zip(cadre, checked.date, strict=True)]
        seen = shared.first_rows(rows, keys, "date", lambda first: f"与第{first}行重复（同一干部同一天）/ duplicates row "
                                                                   f"{first} (one row per cadre and day)")
        # Set on every check: a write that meets another's rows checks again, and its answer is this check's.
        self.recorded = {}
        if seen:
            low, high = min(d for _, d in seen), max(d for _, d in seen)
            for part in rules.chunks(sorted({k for k, _ in seen})):
                stored = Attendance.objects.filter(cadre_id__in=part, date__gte=low, date__lte=high)
                self.recorded.update(shared.refuse_stored(
                    rows, seen, (((k, d), pk) for k, d, pk in stored.values_list("cadre_id", "date", "pk")),
                    "date", already_recorded))
        return checked

    def _date(self, text: str) -> dt.date:
        day = parse.parse_date(text)
        if day > self.today:
            raise parse.Invalid("日期晚于今天 / the date is in the future")
        if day < shared.EARLIEST:
            raise parse.Invalid(shared.BEFORE_EARLIEST)
        return day

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        """The kept rows as new days (a recorded day is never updated)."""
        return Plan(pa.table({
            "cadre_id": pa.array([checked.cadre[i] for i in keep], pa.int64()),
            "village_id": pa.array([checked.village[i] for i in keep], pa.string()),
            "date": pa.array([checked.date[i].isoformat() for i in keep], pa.string()),  # type: ignore[union-attr]
            "method": pa.array([checked.method[i] for i in keep], pa.string()),
            "recorded_at": pa.array([shared.db_datetime(self.now)] * len(keep), pa.string()),
            "entered_by": pa.array([context.actor] * len(keep), pa.string()),
        }))

    def apply(self, plan: Plan, context: steps.Context) -> None:
        first = db.next_id("teams_attendance")
        days = plan.days.add_column(0, "id", pa.array(range(first, first + plan.days.num_rows), pa.int64()))
        shared.insert({"teams_attendance": days}, {"teams_attendance": first}, deferred="teams_attendance")


def already_recorded(day_id: int) -> str:
    """The rule a row breaks when its cadre's day is stored already, naming that day (the API's 409 says it too)."""
    return f"该干部当天已有考勤（考勤 {day_id}）/ already recorded for this cadre and day (attendance {day_id})"


def _villages(rows: Rows, cadre: list[int | None], scope: rules.Scope) -> list[str | None]:
    """Each row's village: in the importer's areas, or a helper's own day in their helper areas. Outside is
    one answer, whether the code exists there or not (`rules.OUTSIDE`)."""
    codes = rows.cells["village"]
    levels: dict[str, str] = {}
    for part in rules.chunks(sorted({code for code in codes if code})):
        levels.update(Area.objects.filter(code__in=part).values_list("code", "level"))
    own = own_cadre(scope)
    village: list[str | None] = [None] * len(rows)
    for i, code in enumerate(codes):
        if not code:
            rows.refuse(i, "village", code, shared.REQUIRED)
        elif not (scope.covers(code) or (scope.helper_covers(code) and own is not None and cadre[i] == own)):
            rows.refuse(i, "village", code, rules.OUTSIDE)
        elif code not in levels:
            rows.refuse(i, "village", code, "没有这个区划代码 / no area with this code")
        elif levels[code] != "village":
            rows.refuse(i, "village", code, "应为村级区划代码 / must be a village")
        else:
            village[i] = code
    return village


def import_attendance(path: str | Path, *, actor: str, ranges: rules.Ranges = None, user: object | None = None,
                      now: dt.datetime | None = None, check: bool = False, mode: str = "all") -> shared.ImportOutcome:
    """Check an attendance file and import its days (modes as `import_visits`). The village and the cadre
    of every row must be in the importer's areas; a helper records only their own days in their own areas."""
    importer = Days(now or timezone.now())
    outcome = shared.run(importer, "attendance", path, actor=actor, ranges=ranges, user=user, check=check, mode=mode)
    outcome.recorded = importer.recorded
    return outcome
