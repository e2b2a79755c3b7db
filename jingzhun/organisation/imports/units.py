"""The unit roster (单位名录) import: one row per unit, keyed by (单位名称, 单位类别, 所属区划代码); an officer
adds or edits units of their own areas only. The level defaults to the kind's (`units.KIND_LEVEL`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jingzhun.areas.models import Area
from jingzhun.choices import UNIT_KIND
from jingzhun.organisation.imports import base
from jingzhun.organisation.models import UNIT_LEVEL, Unit
from jingzhun.organisation.units import KIND_LEVEL
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.spec import Column, Spec

SPEC = Spec("units", (
    Column("name", "单位名称", "unit_name", max_length=100, note="按单位全称填写 / the unit's full name"),
    Column("kind", "单位类别", "unit_kind", kind="enum", enum=UNIT_KIND),
    Column("area", "所属区划代码", "area_code", kind="area",
           note="12位区划代码，须在您的管辖范围内 / a 12-digit area code in your areas"),
    Column("level", "层级", "level", kind="enum", enum=UNIT_LEVEL, required=False,
           note="留空按单位类别确定 / empty: from the kind"),
))


def need(cells: dict[str, str], key: str) -> str:
    if not cells[key]:
        raise base.RowProblem(key, "必填 / required")
    return cells[key]


def choice(cells: dict[str, str], key: str, enum: Any) -> str:
    try:
        return parse.parse_choice(need(cells, key), enum)
    except parse.Invalid as exc:
        raise base.RowProblem(key, str(exc)) from exc


def area_code(cells: dict[str, str], key: str, known: set[str]) -> str:
    code = need(cells, key)
    if len(code) != 12 or not code.isdigit():
        raise base.RowProblem(key, "区划代码应为12位数字 / an area code has 12 digits")
    return code  # whether it is registered is asked only inside the user's areas (`known_area`)


def known_area(cells: dict[str, str], key: str, known: set[str]) -> None:
    if cells[key] not in known:
        raise base.RowProblem(key, "不是已登记的区划代码 / not a registered area code")


def areas_named(*columns: list[str | None]) -> set[str]:
    named = sorted({(v or "").strip() for col in columns for v in col if v})
    return {c for part in rules.chunks(named) for c in Area.objects.filter(code__in=part).values_list("code", flat=True)}


class Units(base.RowImporter):
    spec = SPEC
    action = "units.import"
    model = Unit
    fields = ("level",)

    def lookups(self, data: dict[str, list[str | None]], scope: rules.Scope) -> dict[str, Any]:
        return {"areas": areas_named(data.get("area", []))}

    def keyed(self, cells: dict[str, str], found: dict[str, Any]) -> tuple[Any, str, dict[str, Any]]:
        name, kind, area = need(cells, "name"), choice(cells, "kind", UNIT_KIND), area_code(cells, "area", found["areas"])
        return (name, kind, area), area, {"name": name, "kind": kind, "area_id": area}

    def load_stored(self, keys: list[Any], checked: base.Checked) -> None:
        for key in list(keys):  # the area is registered: asked here, after the area rule let the row through
            try:
                known_area(checked.cells[key], "area", checked.context["areas"])
            except base.RowProblem as exc:
                checked.problems.add(checked.rows.pop(key), SPEC.header_of(exc.key), key[2], str(exc))
                del checked.cells[key]
        names = sorted({k[0] for k in keys})
        for part in rules.chunks(names):
            for pk, name, kind, area, level in Unit.objects.filter(name__in=part).values_list(
                    "pk", "name", "kind", "area_id", "level"):
                if (name, kind, area) in checked.rows:
                    checked.stored[(name, kind, area)] = {"pk": pk, "level": level}

    def values(self, cells: dict[str, str], stored: dict[str, Any] | None, found: dict[str, Any]) -> dict[str, Any]:
        kind = parse.parse_choice(cells["kind"], UNIT_KIND)
        level = base.merged(stored, cells, "level", lambda t: parse.parse_choice(t, UNIT_LEVEL), KIND_LEVEL[kind][0],
                            required=False)
        return {"level": level}


def import_units(path: str | Path, *, actor: str, user: object | None = None, ranges: rules.Ranges = None,
                 mode: str = "all") -> steps.Outcome[base.Plan]:
    return steps.run(Units(), path, actor=actor, scope=rules.resolve(user, ranges, base.ROLES), mode=mode, user=user)


def write_blank_template(path: str | Path) -> Path:
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "单位名录")
