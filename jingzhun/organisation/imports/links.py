"""Unit–village links by year (部门联点) import: one row per unit, village and year with the commitments and
what was delivered. Money in 元 with at most two decimals, stored in integer fen. The unit is named by its
name, kind and area (any registered unit: units are public bodies); the village must be in the importer's
areas."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from jingzhun.choices import UNIT_KIND
from jingzhun.organisation.imports import base
from jingzhun.organisation.imports.units import area_code, areas_named, choice, need
from jingzhun.organisation.models import Unit, UnitVillageLink
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.spec import Column, Spec

MONEY = ("funds_pledged_fen", "funds_delivered_fen")
COUNTS = ("projects_pledged", "people_pledged", "projects_delivered", "people_delivered")
FIELDS = (*MONEY, *COUNTS)
MAX_YUAN = Decimal(10**11)

SPEC = Spec("unit_links", (
    Column("unit_name", "单位名称", "unit_name", max_length=100),
    Column("unit_kind", "单位类别", "unit_kind", kind="enum", enum=UNIT_KIND),
    Column("unit_area", "单位所属区划代码", "unit_area_code", kind="area"),
    Column("village", "村代码", "village_code", kind="village",
           note="12位统计用区划代码，须为您管辖范围内已登记的村 / a registered village in your areas"),
    Column("year", "年度", "year", kind="int", low=2013, high=2100),
    Column("funds_pledged_fen", "承诺资金（元）", "funds_pledged_yuan", kind="decimal", required=False, low=0,
           high=MAX_YUAN, note=rules.CLEAR_NOTE),
    Column("projects_pledged", "承诺项目数", "projects_pledged", kind="int", required=False, low=0, high=10_000),
    Column("people_pledged", "承诺派出人数", "people_pledged", kind="int", required=False, low=0, high=10_000),
    Column("funds_delivered_fen", "到位资金（元）", "funds_delivered_yuan", kind="decimal", required=False, low=0,
           high=MAX_YUAN),
    Column("projects_delivered", "完成项目数", "projects_delivered", kind="int", required=False, low=0, high=10_000),
    Column("people_delivered", "实际派出人数", "people_delivered", kind="int", required=False, low=0, high=10_000),
))


def fen(text: str) -> int:
    """元 with at most two decimals → integer fen."""
    return int(parse.parse_decimal(text, Decimal(0), MAX_YUAN, 2) * 100)


def count(text: str) -> int:
    return parse.parse_int(text, 0, 10_000)


def unit_pks(data: dict[str, list[str | None]]) -> dict[tuple[str, str, str], int]:
    names = sorted({(v or "").strip() for v in data.get("unit_name", []) if v})
    found = {}
    for part in rules.chunks(names):
        for pk, name, kind, area, merged in Unit.objects.filter(name__in=part).values_list(
                "pk", "name", "kind", "area_id", "merged_into_id"):
            found[(name, kind, area)] = merged or pk
    return found


class Links(base.RowImporter):
    spec = SPEC
    action = "unit_links.import"
    model = UnitVillageLink
    fields = FIELDS
    area_column = "village"

    def lookups(self, data: dict[str, list[str | None]], scope: rules.Scope) -> dict[str, Any]:
        villages = areas_named(data.get("village", []))
        return {"units": unit_pks(data), "villages": villages}

    def keyed(self, cells: dict[str, str], found: dict[str, Any]) -> tuple[Any, str, dict[str, Any]]:
        village = area_code(cells, "village", found["villages"])
        unit = (need(cells, "unit_name"), choice(cells, "unit_kind", UNIT_KIND), area_code(cells, "unit_area", set()))
        try:
            year = parse.parse_int(need(cells, "year"), 2013, 2100)
        except parse.Invalid as exc:
            raise base.RowProblem("year", str(exc)) from exc
        return (unit, village, year), village, {"unit_id": unit, "village_id": village, "year": year}

    def load_stored(self, keys: list[Any], checked: base.Checked) -> None:
        units, villages = checked.context["units"], checked.context["villages"]
        for key in list(keys):
            unit, village, year = key
            if village not in villages:
                checked.problems.add(checked.rows[key], SPEC.header_of("village"), village,
                                     "不是已登记的村代码 / not a registered village code")
            elif unit not in units:
                checked.problems.add(checked.rows[key], SPEC.header_of("unit_name"), unit[0],
                                     "没有这个单位（名称、类别、区划须与单位名录一致）/ no such unit in the unit roster")
            else:
                checked.context["key_values"][key]["unit_id"] = units[unit]
                continue
            del checked.rows[key], checked.cells[key]
        wanted = {(kv["unit_id"], kv["village_id"], kv["year"]): key
                  for key, kv in checked.context["key_values"].items() if key in checked.rows}
        for part in rules.chunks(sorted({k[1] for k in wanted})):
            for stored in UnitVillageLink.objects.filter(village_id__in=part).values("pk", "unit_id", "village_id",
                                                                                    "year", *FIELDS):
                key = wanted.get((stored["unit_id"], stored["village_id"], stored["year"]))
                if key is not None:
                    checked.stored[key] = stored

    def values(self, cells: dict[str, str], stored: dict[str, Any] | None, found: dict[str, Any]) -> dict[str, Any]:
        out = {k: base.merged(stored, cells, k, fen, 0) for k in MONEY}
        out.update({k: base.merged(stored, cells, k, count, 0) for k in COUNTS})
        return out


def import_links(path: str | Path, *, actor: str, user: object | None = None, ranges: rules.Ranges = None,
                 mode: str = "all") -> steps.Outcome[base.Plan]:
    return steps.run(Links(), path, actor=actor, scope=rules.resolve(user, ranges, base.ROLES), mode=mode, user=user)


def write_blank_template(path: str | Path) -> Path:
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "单位联系村")
