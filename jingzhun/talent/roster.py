"""Talent-pool rosters (人才库名册) through the one import subsystem: one row per person, keyed by the resident
ID — which is kept as a member's is (ciphertext, blind index, mask; never in clear) and matched by its blind
index. The serving area must be in the importer's areas, and so must the stored one of a person already in
the pool (anything else is "registered outside your areas"); a scheme named must be one run in those areas.
An empty optional cell keeps the stored value; re-importing the same file changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jingzhun.areas.models import Area
from jingzhun.crypto import resident_id_cipher
from jingzhun.identity import InvalidResidentID, mask, parse_resident_id
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec
from jingzhun.talent.models import RECRUITED, SPECIALITY, Scheme, Talent

SPEC = Spec("talent_pool", (
    Column("name", "姓名", "name", max_length=40),
    Column("resident_id", "证件号码", "resident_id", kind="resident_id", text_only=True,
           note="18位居民身份证号码，按其识别本人（加密保存）/ the 18-character resident ID; identifies the person"),
    Column("speciality", "专业领域", "speciality", kind="enum", enum=SPECIALITY),
    Column("qualifications", "资质", "qualifications", required=False, max_length=200, note=rules.CLEAR_NOTE),
    Column("area", "服务区划代码", "serving_area", kind="area",
           note="12位统计用区划代码，须在您的管辖范围内 / a 12-digit area code in your areas"),
    Column("recruited", "引进方式", "recruited", kind="enum", enum=RECRUITED),
    Column("scheme", "计划编号", "scheme_code", required=False, max_length=32, text_only=True,
           note="须为您管辖范围内的引进计划；留空表示不变 / a scheme run in your areas; empty keeps the stored one"),
    Column("start_date", "到岗日期", "start_date", kind="date", note="YYYY-MM-DD"),
))
ROLES = frozenset({"officer"})
FIELDS = ("name", "speciality", "qualifications", "area_id", "recruited", "scheme_id", "start_date")
NOT_HERE_SCHEME = "不是您管辖范围内的引进计划 / not a scheme run in your areas"
NOT_AN_AREA = "不是已登记的区划代码 / not a registered area code"


@dataclass
class Checked:
    problems: Problems
    rows: dict[bytes, list[int]] = field(default_factory=dict)
    values: dict[bytes, dict[str, Any]] = field(default_factory=dict)
    stored: dict[bytes, dict[str, Any]] = field(default_factory=dict)
    numbers: dict[bytes, str] = field(default_factory=dict)  # blind index → the ID, only to encrypt it

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return self.rows


class Plan(steps.RowsPlan[Talent]):
    """What the import writes (`tabular.steps.RowsPlan`)."""


@dataclass
class Lookups:
    areas: set[str]
    schemes: dict[str, int]  # code → id, the scheme in the scope only


def _lookups(data: dict[str, list[Any]], scope: rules.Scope) -> Lookups:
    named = sorted({(v or "").strip() for v in data.get("area", [])} - {""})
    areas = {code for part in rules.chunks(named) for code in Area.objects.filter(code__in=part)
             .values_list("code", flat=True)}
    codes = sorted({(v or "").strip() for v in data.get("scheme", [])} - {""})
    schemes = {code: pk for part in rules.chunks(codes) for code, pk in Scheme.objects.filter(
        scope.q("area_id"), code__in=part).values_list("code", "pk")}  # in SQL: elsewhere is "not found"
    return Lookups(areas, schemes)


def _stored(indexes: list[bytes]) -> dict[bytes, dict[str, Any]]:
    found: dict[bytes, dict[str, Any]] = {}
    for part in rules.chunks(indexes):
        for t in Talent.objects.filter(resident_id_index__in=part).values("pk", "resident_id_index", "end_date",
                                                                          *FIELDS):
            found[bytes(t.pop("resident_id_index"))] = t
    return found


class TalentRoster:
    spec = SPEC
    action = "talent_pool.import"

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        opened = steps.opening(table, SPEC, cell_problems)
        checked = Checked(opened.problems)
        found = _lookups(opened.data, context.scope)
        cipher = resident_id_cipher()
        keyed: list[tuple[int, dict[str, str], bytes]] = []
        for row, cells in opened.rows():
            try:
                number = parse_resident_id(cells["resident_id"]).number
            except InvalidResidentID as exc:
                checked.problems.add(row, SPEC.header_of("resident_id"), cells["resident_id"], str(exc))
                continue
            index = cipher.index(number)
            if index in checked.rows:
                first = checked.rows[index][0]
                checked.problems.add(row, SPEC.header_of("resident_id"), cells["resident_id"],
                                     f"与第{first}行重复（同一人）/ duplicates row {first} (the same person)")
                checked.rows[index].append(row)
                continue
            checked.rows[index], checked.numbers[index] = [row], number
            keyed.append((row, cells, index))
        checked.stored = _stored(list(checked.rows))
        for row, cells, index in keyed:
            values = self._values(row, cells, checked.stored.get(index), found, context.scope, checked.problems)
            if values is not None:
                checked.values[index] = values
        return checked

    @staticmethod
    def _values(row: int, cells: dict[str, str], stored: dict[str, Any] | None, found: Lookups, scope: rules.Scope,
                problems: Problems) -> dict[str, Any] | None:
        def bad(key: str, rule: str) -> None:
            problems.add(row, SPEC.header_of(key), cells[key], rule)

        # A person already in the pool elsewhere: one answer for "elsewhere", whatever the row says.
        if stored is not None and not scope.covers(stored["area_id"]):
            bad("resident_id", rules.OUTSIDE)
            return None
        if not scope.covers(cells["area"]):
            bad("area", rules.OUTSIDE)
        elif cells["area"] not in found.areas:
            bad("area", NOT_AN_AREA)
        if cells["scheme"] and cells["scheme"] not in found.schemes:
            bad("scheme", NOT_HERE_SCHEME)
        values = TalentRoster._parsed(cells, bad)
        if values is None or not scope.covers(cells["area"]) or cells["area"] not in found.areas:
            return None
        if cells["scheme"] and cells["scheme"] not in found.schemes:
            return None
        base = stored or {"qualifications": "", "scheme_id": None}
        values["area_id"] = cells["area"]
        values["scheme_id"] = found.schemes[cells["scheme"]] if cells["scheme"] else base["scheme_id"]
        quals = rules.merged(base["qualifications"], cells["qualifications"], lambda t: t[:200])
        values["qualifications"] = quals or ""
        end = stored and stored["end_date"]
        if end and values["start_date"] > end:
            bad("start_date", f"晚于离岗日期 {end} / after the recorded departure on {end}")
            return None
        return values

    @staticmethod
    def _parsed(cells: dict[str, str], bad: Any) -> dict[str, Any] | None:
        values: dict[str, Any] = {"name": cells["name"][:40]}
        ok = True
        for key, enum in (("speciality", SPECIALITY), ("recruited", RECRUITED)):
            try:
                values[key] = parse.parse_choice(cells[key], enum)
            except parse.Invalid as exc:
                bad(key, str(exc))
                ok = False
        try:
            values["start_date"] = parse.parse_date(cells["start_date"])
        except parse.Invalid as exc:
            bad("start_date", str(exc))
            ok = False
        if ok and values["start_date"] > dt.date.today():
            bad("start_date", "到岗日期不能晚于今天 / the start cannot be in the future")
            ok = False
        return values if ok else None

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        plan = Plan()
        cipher = resident_id_cipher()
        for index in keep:
            values, stored = checked.values[index], checked.stored.get(index)
            if stored is None:
                number = checked.numbers[index]
                plan.insert.append(Talent(resident_id_cipher=cipher.encrypt(number), resident_id_index=index,
                                          resident_id_masked=mask(number), **values))
                plan.touched.append(values["area_id"])
            elif {k: stored[k] for k in FIELDS} != values:
                plan.update.append(Talent(pk=stored["pk"], **values))
                plan.touched += [stored["area_id"], values["area_id"]]
            else:
                plan.unchanged += 1
        return plan

    def apply(self, plan: Plan, context: steps.Context) -> None:
        Talent.objects.bulk_create(plan.insert, batch_size=2000)
        # The unique index on the blind index is partial, which ON CONFLICT cannot name: updates by key.
        Talent.objects.bulk_update(plan.update, list(FIELDS), batch_size=1000)


def import_talent(path: str | Path, *, actor: str, user: object | None = None, ranges: rules.Ranges = None,
                  mode: str = "all") -> steps.Outcome[Plan]:
    """Import a talent-pool roster for the user's areas (officers' areas; none given: the console, everywhere)."""
    return steps.run(TalentRoster(), path, actor=actor, scope=rules.resolve(user, ranges, ROLES), mode=mode, user=user)


def write_blank_template(path: str | Path) -> Path:
    """The blank talent-pool template (`jingzhun template --kind talent_pool`)."""
    from jingzhun.tabular.template import write_blank

    return write_blank(SPEC, path, "人才库名册")
