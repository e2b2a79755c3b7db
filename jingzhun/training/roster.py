"""Course rosters (培训班学员名册) through the one import subsystem: one row per course and cadre, keyed by
(班次编号, 人员编号), with the attended hours and the outcome. The course must be one organised in the
importer's areas and the cadre one stationed in them — anything else is "not registered in your areas",
whether it exists elsewhere or not (no oracle). The name must match the cadre's, so a mistyped personnel
number cannot credit someone else. An empty optional cell keeps the stored value; re-importing the same
file changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec
from jingzhun.teams.models import Cadre
from jingzhun.training import totals
from jingzhun.training.models import ENROLMENT_STATUS, MAX_TENTHS, Course, Enrolment

SPEC = Spec("course_roster", (
    Column("course", "班次编号", "course_code", max_length=32, text_only=True,
           note="须为您管辖范围内已登记的培训班 / a course organised in your areas"),
    Column("personnel_number", "人员编号", "personnel_number", max_length=32, text_only=True,
           note="干部名册中的人员编号，须为您管辖范围内的干部 / a cadre stationed in your areas"),
    Column("name", "姓名", "name", max_length=40, note="须与人员编号对应 / must match the personnel number"),
    Column("status", "状态", "status", kind="enum", required=False, enum=ENROLMENT_STATUS,
           note="留空表示不变（新学员为已报名）/ empty keeps the stored value (enrolled for a new row)"),
    Column("attended", "出勤学时", "attended_hours", kind="decimal", required=False, low=Decimal(0),
           high=Decimal(MAX_TENTHS) / 10, note="不超过培训班学时，最多1位小数 / at most the course's hours, 1 decimal"),
))
ROLES = frozenset({"officer"})
NOT_HERE_COURSE = "不是您管辖范围内已登记的培训班 / not a course registered in your areas"
NOT_HERE_CADRE = "不是您管辖范围内已登记的干部 / not a cadre registered in your areas"
Key = tuple[int, int]  # (course id, cadre id)


@dataclass
class Checked:
    problems: Problems
    rows: dict[Key, int] = field(default_factory=dict)
    values: dict[Key, dict[str, Any]] = field(default_factory=dict)
    stored: dict[Key, dict[str, Any]] = field(default_factory=dict)
    areas: dict[Key, str] = field(default_factory=dict)
    # Later rows of the same course and cadre: reported, and they make the unit bad (which row is right?).
    repeats: dict[Key, list[int]] = field(default_factory=dict)

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return {key: [row, *self.repeats.get(key, [])] for key, row in self.rows.items()}


class Plan(steps.RowsPlan[Enrolment]):
    """What the import writes (`tabular.steps.RowsPlan`)."""


def _lookups(data: dict[str, list[Any]], scope: rules.Scope) -> tuple[dict[str, Course], dict[str, Cadre]]:
    """The courses and cadres the file names that lie in the scope, fetched in chunks."""
    codes = sorted({(v or "").strip() for v in data.get("course", [])})
    numbers = sorted({(v or "").strip() for v in data.get("personnel_number", [])} - {""})
    # Scoped in SQL: a course or cadre of another county is never fetched, so it is "not in your areas"
    # exactly like a code or number nobody has.
    courses = {c.code: c for part in rules.chunks(codes) for c in Course.objects.filter(scope.q("area_id"),
                                                                                         code__in=part)}
    cadres = {c.personnel_number: c for part in rules.chunks(numbers) for c in Cadre.objects.filter(
        scope.q("home_area_id"), personnel_number__in=part).only("pk", "name", "personnel_number", "home_area_id")}
    return courses, cadres


class CourseRoster:
    spec = SPEC
    action = "course_roster.import"

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        opened = steps.opening(table, SPEC, cell_problems)
        checked = Checked(opened.problems)
        courses, cadres = _lookups(opened.data, context.scope)
        for row, cells in opened.rows():
            found = self._key(row, cells, courses, cadres, checked.problems)
            if found is None:
                continue
            course, cadre = found
            key = (course.pk, cadre.pk)
            if key in checked.rows:
                checked.problems.add(row, SPEC.header_of("personnel_number"), cells["personnel_number"],
                                     f"与第{checked.rows[key]}行重复（同班同人） / duplicates row {checked.rows[key]}")
                checked.repeats.setdefault(key, []).append(row)
                continue
            checked.rows[key], checked.areas[key] = row, cadre.home_area_id
            checked.values[key] = {"course": course, "cadre": cadre, "cells": cells}
        self._stored(checked)
        for unit, held in list(checked.values.items()):
            values = self._values(checked.rows[unit], held, checked.stored.get(unit), checked.problems)
            if values is not None:
                held.update(values)
        return checked

    @staticmethod
    def _key(row: int, cells: dict[str, str], courses: dict[str, Course], cadres: dict[str, Cadre],
             problems: Problems) -> tuple[Course, Cadre] | None:
        course, cadre = courses.get(cells["course"]), cadres.get(cells["personnel_number"])
        if course is None:
            problems.add(row, SPEC.header_of("course"), cells["course"], NOT_HERE_COURSE)
        if cadre is None:
            problems.add(row, SPEC.header_of("personnel_number"), cells["personnel_number"], NOT_HERE_CADRE)
        elif cadre.name != cells["name"]:
            problems.add(row, SPEC.header_of("name"), cells["name"],
                         "姓名与人员编号不符 / the name does not match the personnel number")
            return None
        return (course, cadre) if course is not None and cadre is not None else None

    @staticmethod
    def _stored(checked: Checked) -> None:
        keys = list(checked.values)
        for part in rules.chunks(keys):
            for e in Enrolment.objects.filter(course_id__in={k[0] for k in part}, cadre_id__in={k[1] for k in part}
                                              ).values("course_id", "cadre_id", "status", "attended_tenths"):
                key = (e["course_id"], e["cadre_id"])
                if key in checked.values:
                    checked.stored[key] = {"status": e["status"], "attended_tenths": e["attended_tenths"]}

    @staticmethod
    def _values(row: int, held: dict[str, Any], stored: dict[str, Any] | None, problems: Problems
                ) -> dict[str, Any] | None:
        cells, course = held["cells"], held["course"]
        base = stored or {"status": "enrolled", "attended_tenths": 0}
        try:
            status = rules.merged(base["status"], cells["status"], lambda t: parse.parse_choice(t, ENROLMENT_STATUS),
                                  required=True)
        except parse.Invalid as exc:
            problems.add(row, SPEC.header_of("status"), cells["status"], str(exc))
            return None
        try:
            hours = rules.merged(None, cells["attended"], lambda t: parse.parse_decimal(t, Decimal(0),
                                                                                         Decimal(MAX_TENTHS) / 10, 1))
        except parse.Invalid as exc:
            problems.add(row, SPEC.header_of("attended"), cells["attended"], str(exc))
            return None
        tenths = base["attended_tenths"] if hours is None else int(hours * 10)
        if tenths > course.hours_tenths:
            problems.add(row, SPEC.header_of("attended"), cells["attended"],
                         f"超过培训班学时 {course.hours_tenths / 10:g} / more than the course's {course.hours_tenths / 10:g} hours")
            return None
        return {"status": status, "attended_tenths": tenths}

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        plan = Plan()
        for key in keep:
            held, stored = checked.values[key], checked.stored.get(key)
            values = {"status": held["status"], "attended_tenths": held["attended_tenths"]}
            row = Enrolment(course_id=key[0], cadre_id=key[1], **values)
            if stored is None:
                plan.insert.append(row)
            elif stored != values:
                plan.update.append(row)
            else:
                plan.unchanged += 1
                continue
            plan.touched.append(checked.areas[key])
        return plan

    def apply(self, plan: Plan, context: steps.Context) -> None:
        Enrolment.objects.bulk_create(plan.insert, batch_size=2000)
        if plan.update:
            Enrolment.objects.bulk_create(plan.update, batch_size=2000, update_conflicts=True,
                                          unique_fields=["course", "cadre"], update_fields=["status", "attended_tenths"])
        # The coverage totals of the enrolled cadres' counties, in this transaction (totals.py).
        totals.refresh(plan.touched)


def import_course_roster(path: str | Path, *, actor: str, user: object | None = None, ranges: rules.Ranges = None,
                         mode: str = "all") -> steps.Outcome[Plan]:
    """Import a course roster for the user's areas (officers' areas; none given: the console, everywhere)."""
    return steps.run(CourseRoster(), path, actor=actor, scope=rules.resolve(user, ranges, ROLES), mode=mode, user=user)


def write_blank_template(path: str | Path) -> Path:
    """The blank course-roster template (`jingzhun template --kind course_roster`)."""
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "培训班学员名册")
