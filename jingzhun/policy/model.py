"""The policy file's schema (pydantic v2): one province (or the nation) and one year.

Every model forbids unknown keys, so a misspelt key is an error rather than a silently ignored
setting. Register fields are named by their template key (jingzhun/registry/template.py, the single
definition of the register's columns) and coded values by their stored code (jingzhun/choices.py), so
a policy cannot refer to a field or a code the register does not have.

Rules that pydantic cannot express by type raise ``PydanticCustomError("policy", ...)`` with a
``key`` in the context: the loader appends it to the error's location, so the message names the
exact key (``guarantees.housing.require[1].value``) and not just the enclosing table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from jingzhun.registry import template

# --------------------------------------------------------------------------- register fields


@dataclass(frozen=True)
class FieldSpec:
    """A register field a check may test."""

    key: str
    level: Literal["household", "member"]
    kind: Literal["enum", "bool", "number"]
    codes: tuple[str, ...] = ()


#: The money fields of the yearly income record, in template order (the same list the importer and
#: exporter derive from the template).
INCOME_FIELDS: tuple[str, ...] = tuple(
    col.key for col in template.COLUMNS if col.level == "income" and col.key != "income_year"
)

_KINDS: dict[str, Literal["enum", "bool", "number"]] = {"enum": "enum", "bool": "bool", "int": "number",
                                                        "decimal": "number"}


def _field_specs() -> dict[str, FieldSpec]:
    specs: dict[str, FieldSpec] = {}
    for col in template.COLUMNS:
        # Text, dates, IDs, the village and the multi-valued cause list have no meaningful comparison in
        # the small operator set; age stands in for the birth date.
        kind = _KINDS.get(col.kind)
        if kind is None:
            continue
        level: Literal["household", "member"] = "member" if col.level == "member" else "household"
        codes = tuple(col.enum.codes) if kind == "enum" and col.enum is not None else ()
        specs[col.key] = FieldSpec(col.key, level, kind, codes)
    # Derived values every evaluator computes from the record: they are what policies actually test
    # (school age, household size) and are not columns of the template.
    specs["household_size"] = FieldSpec("household_size", "household", "number")
    specs["age"] = FieldSpec("age", "member", "number")
    return specs


#: Fields that checks and indicators may test, by template key.
FIELDS: dict[str, FieldSpec] = _field_specs()

Op = Literal["eq", "ne", "in", "not_in", "lt", "le", "gt", "ge"]
_ORDER_OPS = {"lt", "le", "gt", "ge"}
_LIST_OPS = {"in", "not_in"}


def _error(key: str, zh: str, en: str) -> PydanticCustomError:
    return PydanticCustomError("policy", f"{zh} / {en}", {"key": key})


# --------------------------------------------------------------------------- value types


def _fraction(value: Any) -> Fraction:
    """A weight or cutoff as an exact fraction. A TOML float is read as the decimal the officer wrote
    (0.3 → 3/10), not as its binary approximation, so decimal weights sum exactly; "1/6" is exact."""
    if isinstance(value, bool):
        raise PydanticCustomError("policy", "须为分数或小数 / must be a fraction or a decimal, e.g. \"1/6\" or 0.25")
    try:
        if isinstance(value, int):
            return Fraction(value)
        if isinstance(value, float):
            return Fraction(repr(value))
        if isinstance(value, str):
            return Fraction(value.strip())
    except (ValueError, ZeroDivisionError):
        pass
    raise PydanticCustomError("policy", "须为分数或小数 / must be a fraction or a decimal, e.g. \"1/6\" or 0.25")


def _unit_interval(value: Fraction) -> Fraction:
    if not 0 < value <= 1:
        raise PydanticCustomError("policy", "须大于 0 且不大于 1 / must be greater than 0 and at most 1")
    return value


#: An exact number in (0, 1]: MPI weights and the poverty cutoff k.
Share = Annotated[Fraction, BeforeValidator(_fraction), AfterValidator(_unit_interval)]

_AREA_CODE = re.compile(r"[0-9]{12}")


def _area_code(value: str) -> str:
    if not _AREA_CODE.fullmatch(value):
        raise PydanticCustomError("policy", "须为12位统计用区划代码 / must be a 12-digit statistical area code")
    return value


AreaCode = Annotated[str, AfterValidator(_area_code)]


def _income_field(value: str) -> str:
    if value not in INCOME_FIELDS:
        raise PydanticCustomError(
            "policy", "不是收入字段 {value}；可用：{allowed} / not an income field: {value}; allowed: {allowed}",
            {"value": value, "allowed": ", ".join(INCOME_FIELDS)})
    return value


IncomeField = Annotated[str, AfterValidator(_income_field)]

#: Yuan per person per year; a line must be positive.
Yuan = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- checks


class Check(_Strict):
    """One condition on a register field: ``{field = "housing_grade", op = "in", value = ["A", "B"]}``.

    A member-level field must say whether ``any`` member or ``all`` members must satisfy it; a
    household-level field must not.
    """

    field: str
    op: Op
    value: Any
    members: Literal["any", "all"] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Check:
        spec = FIELDS.get(self.field)
        if spec is None:
            raise _error("field", f"未知字段 {self.field!r}（须为模板字段名，见 docs/policy.md）",
                         f"unknown field {self.field!r} (must be a template key, see docs/policy.md)")
        if spec.level == "member" and self.members is None:
            raise _error("members", f"成员字段 {self.field} 须写明 members = \"any\" 或 \"all\"",
                         f"{self.field} is a member field: say members = \"any\" or \"all\"")
        if spec.level == "household" and self.members is not None:
            raise _error("members", f"户字段 {self.field} 不能带 members",
                         f"{self.field} is a household field: members is not allowed")
        if self.op in _ORDER_OPS and spec.kind != "number":
            raise _error("op", f"{self.op} 只能用于数值字段，{self.field} 不是",
                         f"{self.op} applies to numeric fields only; {self.field} is not numeric")
        if self.op in _LIST_OPS:
            if not isinstance(self.value, list) or not self.value:
                raise _error("value", f"{self.op} 的取值须为非空列表", f"{self.op} needs a non-empty list")
            for i, item in enumerate(self.value, start=1):
                _check_value(spec, item, f"value[{i}]")
        else:
            _check_value(spec, self.value, "value")
        return self


def _check_value(spec: FieldSpec, value: Any, key: str) -> None:
    if spec.kind == "enum":
        if isinstance(value, str) and value in spec.codes:
            return
        raise _error(key, f"{value!r} 不是 {spec.key} 的代码；可用：{', '.join(spec.codes)}",
                     f"{value!r} is not a code of {spec.key}; allowed: {', '.join(spec.codes)}")
    if spec.kind == "bool":
        if isinstance(value, bool):
            return
        raise _error(key, f"{spec.key} 的取值须为 true 或 false，而非 {value!r}",
                     f"{spec.key} takes true or false, not {value!r}")
    # TOML has no decimal type: ints and floats are both fine for a numeric field, booleans are not.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return
    raise _error(key, f"{spec.key} 的取值须为数值，而非 {value!r}", f"{spec.key} takes a number, not {value!r}")


class Guarantee(_Strict):
    """A basic guarantee (one of 两不愁三保障 and safe water): met when every check in ``require`` holds."""

    label: str
    require: list[Check] = Field(min_length=1)


class Guarantees(_Strict):
    """The basic guarantees by fixed name, so a misspelt guarantee is an unknown key."""

    food_clothing: Guarantee | None = None  # 不愁吃、不愁穿
    schooling: Guarantee | None = None  # 义务教育有保障
    medical: Guarantee | None = None  # 基本医疗有保障
    housing: Guarantee | None = None  # 住房安全有保障
    water: Guarantee | None = None  # 饮水安全有保障


class Exclusion(_Strict):
    """A cross-department check (比对): a match in the named department's data excludes the household
    (``exclude``) or sends it back to review (``review``)."""

    label: str
    department: str
    action: Literal["exclude", "review"]


class Exclusions(_Strict):
    """The cross-department checks by fixed name (the data sets the 比对 step knows how to match)."""

    vehicle: Exclusion | None = None  # 车辆
    business: Exclusion | None = None  # 工商注册
    public_payroll: Exclusion | None = None  # 财政供养人员
    commercial_housing: Exclusion | None = None  # 商品房
    deceased: Exclusion | None = None  # 死亡


# --------------------------------------------------------------------------- income, MPI


class Income(_Strict):
    """Per-capita net income: the sum of ``sources`` minus ``subtract``, divided by the household
    size when ``per_capita``."""

    sources: list[IncomeField] = Field(min_length=1)
    subtract: list[IncomeField] = []
    per_capita: bool

    @model_validator(mode="after")
    def _disjoint(self) -> Income:
        for name, fields in (("sources", self.sources), ("subtract", self.subtract)):
            if len(set(fields)) != len(fields):
                raise _error(name, "字段重复", "a field is listed twice")
        both = sorted(set(self.sources) & set(self.subtract))
        if both:
            raise _error("subtract", f"{', '.join(both)} 不能既计入又扣除",
                         f"{', '.join(both)} cannot be both added and subtracted")
        return self


class Indicator(_Strict):
    """An Alkire–Foster indicator: a person's household is deprived in it when ``deprived_when`` holds."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    weight: Share
    deprived_when: Check


class MPI(_Strict):
    """A multidimensional index: weights sum to exactly 1; poor when the weighted deprivation score ≥ k."""

    k: Share
    indicators: list[Indicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights(self) -> MPI:
        names = [ind.name for ind in self.indicators]
        if len(set(names)) != len(names):
            raise _error("indicators", "指标名称重复", "two indicators have the same name")
        total = sum((ind.weight for ind in self.indicators), Fraction(0))
        if total != 1:
            raise _error("indicators", f"权重之和为 {total}（≈{float(total):.6f}），须恰好等于 1",
                         f"the weights sum to {total} (≈{float(total):.6f}); they must sum to exactly 1 "
                         "(write thirds and sixths as \"1/3\", \"1/6\")")
        return self


# --------------------------------------------------------------------------- the policy


class Policy(_Strict):
    """One policy file: the rules of identification for one year in the nation or one province."""

    name: str = Field(min_length=1)
    year: int = Field(ge=2013, le=2100)
    scope: Literal["national", "province"]
    area: AreaCode | None = None
    source: str = ""
    poverty_line: Yuan
    monitoring_line: Yuan | None = None
    income: Income
    guarantees: Guarantees
    exclusions: Exclusions = Exclusions()
    mpi: MPI | None = None
    quotas: dict[AreaCode, Annotated[int, Field(ge=0)]] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Policy:
        if self.scope == "province":
            if self.area is None:
                raise _error("area", "省级政策须写明省的区划代码", "a provincial policy needs the province's area code")
            if not self.area.endswith("0" * 10):
                raise _error("area", "省的区划代码后10位须为0", "a province's code ends in ten zeros")
        elif self.area is not None:
            raise _error("area", "全国政策不能带 area", "a national policy has no area")
        if self.monitoring_line is not None and self.monitoring_line < self.poverty_line:
            raise _error("monitoring_line", "监测线不能低于贫困线",
                         "the monitoring line cannot be below the poverty line")
        if self.area is not None:
            for code in self.quotas:
                if code[:2] != self.area[:2]:
                    raise _error(f"quotas.{code}", f"{code} 不在本省 {self.area} 内",
                                 f"{code} is outside the province {self.area}")
        return self
