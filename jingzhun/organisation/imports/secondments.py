"""Secondments (挂职) import: one row per cadre, destination and start, keyed by (人员编号, 挂职地代码,
开始日期). The destination must be in the importer's areas; the cadre is named by personnel number and the
sending unit by name, kind and area (a secondment comes from elsewhere by nature)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from jingzhun.choices import UNIT_KIND
from jingzhun.organisation.imports import base
from jingzhun.organisation.imports.links import unit_pks
from jingzhun.organisation.imports.units import area_code, areas_named, choice, need
from jingzhun.organisation.models import Secondment
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.spec import Column, Spec
from jingzhun.teams.models import Cadre
from jingzhun.teams.scope import working_here_q

NO_CADRE = ("您的管辖区划内没有这个人员编号的干部（不存在或登记在区划以外）/ no cadre with this personnel number "
            "in your areas (none, or registered outside them)")
FIELDS = ("from_unit_id", "from_area_id", "post", "end_date", "purpose")

SPEC = Spec("secondments", (
    Column("personnel_number", "人员编号", "personnel_number", max_length=32, text_only=True),
    Column("unit_name", "派出单位名称", "unit_name", max_length=100),
    Column("unit_kind", "派出单位类别", "unit_kind", kind="enum", enum=UNIT_KIND),
    Column("unit_area", "派出单位所属区划代码", "unit_area_code", kind="area"),
    Column("from_area", "派出地代码", "from_area_code", kind="area"),
    Column("to_area", "挂职地代码", "to_area_code", kind="area",
           note="12位区划代码，须在您的管辖范围内 / a 12-digit area code in your areas"),
    Column("post", "挂职职务", "post", max_length=60),
    Column("start_date", "开始日期", "start_date", kind="date"),
    Column("end_date", "期满日期", "end_date", kind="date"),
    Column("purpose", "挂职目的", "purpose", required=False, max_length=200, note=rules.CLEAR_NOTE),
))


def day(cells: dict[str, str], key: str) -> dt.date:
    try:
        return parse.parse_date(need(cells, key))
    except parse.Invalid as exc:
        raise base.RowProblem(key, str(exc)) from exc


class Secondments(base.RowImporter):
    spec = SPEC
    action = "secondments.import"
    model = Secondment
    fields = FIELDS
    area_column = "to_area"

    def lookups(self, data: dict[str, list[str | None]], scope: rules.Scope) -> dict[str, Any]:
        # Only the cadres who work in the importer's areas, in SQL: a number of another county's cadre is
        # "not found" exactly like a number nobody has (no oracle on other counties' personnel numbers).
        numbers = sorted({(v or "").strip() for v in data.get("personnel_number", []) if v})
        here = working_here_q(scope)
        cadres = {n: pk for part in rules.chunks(numbers) for n, pk in Cadre.objects.filter(
            here, personnel_number__in=part).values_list("personnel_number", "pk")}
        return {"cadres": cadres, "units": unit_pks(data),
                "areas": areas_named(data.get("to_area", []), data.get("from_area", []))}

    def keyed(self, cells: dict[str, str], found: dict[str, Any]) -> tuple[Any, str, dict[str, Any]]:
        number, to_area = need(cells, "personnel_number"), area_code(cells, "to_area", set())
        start = day(cells, "start_date")
        return (number, to_area, start), to_area, {"cadre_id": number, "to_area_id": to_area, "start_date": start}

    def load_stored(self, keys: list[Any], checked: base.Checked) -> None:
        found = checked.context
        for key in list(keys):
            problem = self._unknown(key, checked.cells[key], found)
            if problem is not None:
                column, message = problem
                checked.problems.add(checked.rows.pop(key), SPEC.header_of(column), checked.cells.pop(key)[column],
                                     message)
                continue
            found["key_values"][key]["cadre_id"] = found["cadres"][key[0]]
        wanted = {(kv["cadre_id"], kv["to_area_id"], kv["start_date"]): key
                  for key, kv in found["key_values"].items() if key in checked.rows}
        for part in rules.chunks(sorted({k[0] for k in wanted})):
            for stored in Secondment.objects.filter(cadre_id__in=part).values("pk", "cadre_id", "to_area_id",
                                                                             "start_date", *FIELDS):
                key = wanted.get((stored["cadre_id"], stored["to_area_id"], stored["start_date"]))
                if key is not None:
                    checked.stored[key] = stored

    @staticmethod
    def _unknown(key: Any, cells: dict[str, str], found: dict[str, Any]) -> tuple[str, str] | None:
        if key[1] not in found["areas"]:
            return "to_area", "不是已登记的区划代码 / not a registered area code"
        if key[0] not in found["cadres"]:
            return "personnel_number", NO_CADRE
        return None

    def values(self, cells: dict[str, str], stored: dict[str, Any] | None, found: dict[str, Any]) -> dict[str, Any]:
        unit = (need(cells, "unit_name"), choice(cells, "unit_kind", UNIT_KIND), area_code(cells, "unit_area", set()))
        if unit not in found["units"]:
            raise base.RowProblem("unit_name", "没有这个单位（名称、类别、区划须与单位名录一致）/ no such unit in the unit roster")
        from_area = area_code(cells, "from_area", set())
        if from_area not in found["areas"]:
            raise base.RowProblem("from_area", "不是已登记的区划代码 / not a registered area code")
        end, start = day(cells, "end_date"), day(cells, "start_date")
        if end < start:
            raise base.RowProblem("end_date", "期满日期早于开始日期 / the term ends before it starts")
        purpose = base.merged(stored, cells, "purpose", lambda t: t[:200], "")
        return {"from_unit_id": found["units"][unit], "from_area_id": from_area, "post": need(cells, "post")[:60],
                "end_date": end, "purpose": purpose}


def import_secondments(path: str | Path, *, actor: str, user: object | None = None, ranges: rules.Ranges = None,
                       mode: str = "all") -> steps.Outcome[base.Plan]:
    return steps.run(Secondments(), path, actor=actor, scope=rules.resolve(user, ranges, base.ROLES), mode=mode,
                     user=user)


def write_blank_template(path: str | Path) -> Path:
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "挂职")
