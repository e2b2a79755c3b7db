"""Assessment schemes (考核方案) as TOML: which indicators a unit type is scored on in a year, with weights,
rules and targets, the deductions, the grades and the share allowed the top grade. Checked by pydantic before
anything is scored, like the identification policies (jingzhun/policy/): a file with any problem yields no
scheme, and every problem names the file, the key (``indicators[3].target``, positions counted from 1 as in the
file) and the rule, in Chinese and English.

The file format is in docs/assessment-scores.md; shipped schemes are in ``data/schemes/``. Pure library: no
database. Indicator codes are checked against the catalogue only when the caller passes its codes
(``known_codes``); an indicator's direction comes from the catalogue (``directions``) unless the file says it.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from jingzhun.assessment.scoring import UnitScore, score
from jingzhun.policy.problems import FileError, Problem, read_text, validated

#: The shipped schemes (package data).
SCHEMES_DIR = Path(__file__).resolve().parent / "data" / "schemes"

UNIT_TYPES = ("county", "township", "village", "work_team", "cadre")

UnitType = Literal["county", "township", "village", "work_team", "cadre"]
Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
Text = Annotated[str, Field(min_length=1)]


def _error(key: str, zh: str, en: str) -> PydanticCustomError:
    return PydanticCustomError("scheme", f"{zh} / {en}", {"key": key})


def _exact(value: Any) -> Fraction:
    """A number as an exact fraction; a TOML float is read as the decimal the officer wrote (12.5 → 25/2,
    0.1 → 1/10), so that weights written as decimals sum exactly to the stated total."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Fraction(value)
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        return Fraction(repr(value))
    raise PydanticCustomError("scheme", "须为数值 / must be a number")


Number = Annotated[Fraction, BeforeValidator(_exact)]


def _shown(number: Fraction) -> str:
    """12 for 12, 12.5 for 25/2, 1/3 for what has no short decimal."""
    if number.denominator == 1:
        return str(number.numerator)
    as_float = float(number)
    return repr(as_float) if Fraction(repr(as_float)) == number else str(number)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Group(_Strict):
    """A named group of indicators (the 2016 assessment's 减贫成效, 精准识别, ...); its weight is the sum of its
    indicators' weights."""

    name_zh: Text
    name_en: Text


class SchemeIndicator(_Strict):
    """One indicator of the scheme; see jingzhun.assessment.scoring for what each rule does."""

    code: Code
    weight: Number
    rule: Literal["target", "rank", "threshold"]
    target: Number | None = None
    direction: Literal["higher", "lower"] | None = None  # None: the catalogue's direction
    group: Code | None = None

    @model_validator(mode="after")
    def _rule_needs(self) -> SchemeIndicator:
        if self.weight <= 0:
            raise _error("weight", f"权重须大于 0，而非 {_shown(self.weight)}",
                         f"the weight must be greater than 0, not {_shown(self.weight)}")
        if self.rule in ("target", "threshold") and self.target is None:
            raise _error("target", f"{self.rule} 规则须写明目标值 target", f"the {self.rule} rule needs a target")
        if self.rule == "target" and self.target is not None and self.target <= 0:
            raise _error("target", f"target 规则的目标值须大于 0，而非 {_shown(self.target)}",
                         f"a target rule needs a target greater than 0, not {_shown(self.target)}")
        if self.rule == "rank" and self.target is not None:
            raise _error("target", "rank 规则按名次计分，不用目标值：请删去 target",
                         "the rank rule scores by position and takes no target: remove it")
        return self


class SchemeDeduction(_Strict):
    """Points lost per occurrence of a finding, up to ``cap`` (no cap when absent)."""

    kind: Code
    name_zh: Text
    name_en: Text
    points: Number
    cap: Number | None = None

    @model_validator(mode="after")
    def _positive(self) -> SchemeDeduction:
        if self.points <= 0:
            raise _error("points", f"每次扣分须大于 0，而非 {_shown(self.points)}",
                         f"points per occurrence must be greater than 0, not {_shown(self.points)}")
        if self.cap is not None and self.cap <= 0:
            raise _error("cap", f"扣分上限须大于 0，而非 {_shown(self.cap)}",
                         f"the cap must be greater than 0, not {_shown(self.cap)}")
        return self


class Grade(_Strict):
    """A grade (等次) reached by a total of at least ``minimum``."""

    name_zh: Text
    name_en: Text
    minimum: Number


class Scheme(_Strict):
    """One scheme file: the assessment of one unit type in one year."""

    name_zh: Text
    name_en: Text
    unit: UnitType
    year: int = Field(strict=True, ge=2013, le=2100)
    source: str = ""
    total: Number = Fraction(100)
    excellent_share: Number | None = None
    groups: dict[Code, Group] = {}
    indicators: list[SchemeIndicator] = Field(min_length=1)
    deductions: list[SchemeDeduction] = []
    grades: list[Grade] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Scheme:
        _unique([ind.code for ind in self.indicators], "indicators", "code", "指标代码", "indicator code")
        _unique([d.kind for d in self.deductions], "deductions", "kind", "扣分类别", "deduction kind")
        _unique([g.name_zh for g in self.grades], "grades", "name_zh", "等次名称", "grade name")
        weights = sum((ind.weight for ind in self.indicators), Fraction(0))
        if weights != self.total:
            raise _error("indicators", f"权重之和为 {_shown(weights)}，须等于总分 total = {_shown(self.total)}",
                         f"the weights sum to {_shown(weights)}; they must sum to total = {_shown(self.total)}")
        for i, ind in enumerate(self.indicators, start=1):
            if ind.group is not None and ind.group not in self.groups:
                raise _error(f"indicators[{i}].group", f"分组 {ind.group} 未在 [groups] 中声明",
                             f"group {ind.group} is not declared under [groups]")
        for i in range(1, len(self.grades)):
            above, grade = self.grades[i - 1], self.grades[i]
            if grade.minimum >= above.minimum:
                raise _error(f"grades[{i + 1}].minimum",
                             f"等次须从高到低排列：{grade.name_zh} 的最低分 {_shown(grade.minimum)} "
                             f"须低于 {above.name_zh} 的 {_shown(above.minimum)}",
                             f"grades go from the top down: {grade.name_en}'s minimum {_shown(grade.minimum)} "
                             f"must be below {above.name_en}'s {_shown(above.minimum)}")
        if self.excellent_share is not None and not 0 < self.excellent_share <= 1:
            raise _error("excellent_share", f"优秀比例须大于 0 且不大于 1，而非 {_shown(self.excellent_share)}",
                         f"excellent_share must be greater than 0 and at most 1, not {_shown(self.excellent_share)}")
        return self

    # ------------------------------------------------------------------ the arguments of score()

    def scoring_indicators(self, directions: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """The indicators as :func:`score` takes them, each direction the file's or else the catalogue's
        (``directions``: code → "higher" / "lower"); ``ValueError`` naming an indicator with neither."""
        out = []
        for ind in self.indicators:
            direction = ind.direction or (directions or {}).get(ind.code)
            if direction is None:
                raise ValueError(f"指标 {ind.code}：方案和指标目录都没有给出方向 / "
                                 f"indicator {ind.code}: neither the scheme nor the catalogue gives its direction")
            out.append({"code": ind.code, "weight": ind.weight, "rule": ind.rule, "direction": direction,
                        "target": ind.target})
        return out

    def scoring_deductions(self) -> list[dict[str, Any]]:
        return [{"kind": d.kind, "points": d.points, "cap": d.cap} for d in self.deductions]

    def scoring_grades(self) -> list[tuple[str, Fraction]]:
        """``(name_zh, minimum)`` from the top down: grades are stored and scored by their Chinese name."""
        return [(g.name_zh, g.minimum) for g in self.grades]

    def grade(self, name_zh: str | None) -> Grade | None:
        """The grade named ``name_zh`` (a :class:`UnitScore`'s grade), for its English name."""
        return next((g for g in self.grades if g.name_zh == name_zh), None)

    def score(self, values: Mapping[Hashable, Mapping[str, Any]], *,
              counts: Mapping[Hashable, Mapping[str, Any]] | None = None,
              directions: Mapping[str, str] | None = None) -> dict[Hashable, UnitScore]:
        """:func:`jingzhun.assessment.score` under this scheme."""
        return score(values, self.scoring_indicators(directions), deductions=self.scoring_deductions(),
                     counts=counts, grades=self.scoring_grades(), excellent_share=self.excellent_share)


def _unique(items: list[str], key: str, field: str, zh: str, en: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        if item in seen:
            raise _error(f"{key}[{i}].{field}", f"{zh} {item} 出现两次", f"{en} {item} is listed twice")
        seen.add(item)


# --------------------------------------------------------------------------- loading


class SchemeError(FileError):
    """A scheme file that cannot be used; ``problems`` lists every problem found."""

    WHAT = ("考核方案", "scheme")


_ZH = {
    "extra_forbidden": "未知键 / unknown key",
    "missing": "缺少必填项 / missing required key",
    "greater_than_equal": "须不小于 {ge} / must be at least {ge}",
    "less_than_equal": "须不大于 {le} / must be at most {le}",
    "too_short": "不能为空 / must not be empty",
    "literal_error": "取值须为 {expected} / must be one of {expected}",
    "string_pattern_mismatch": "须为小写字母、数字和下划线 / must be lower-case letters, digits and _",
    "string_type": "须为文本 / must be text",
    "int_type": "须为整数 / must be a whole number",
    "int_parsing": "须为整数 / must be a whole number",
    "list_type": "须为列表（[[...]]）/ must be a list ([[...]])",
    "dict_type": "须为表（[...]）/ must be a table ([...])",
    "model_type": "须为表 / must be a table",
}


def _catalogue_problems(scheme: Scheme, known_codes: Collection[str] | Mapping[str, Collection[str]] | None,
                        directions: Mapping[str, str] | None) -> list[Problem]:
    """Codes the catalogue does not have for the scheme's unit type, and indicators with no direction."""
    problems = []
    known = known_codes.get(scheme.unit, ()) if isinstance(known_codes, Mapping) else known_codes
    for i, ind in enumerate(scheme.indicators, start=1):
        if known is not None and ind.code not in known:
            problems.append(Problem(f"indicators[{i}].code",
                                    f"指标目录中没有适用于 {scheme.unit} 的指标 {ind.code} / "
                                    f"the catalogue has no indicator {ind.code} for unit type {scheme.unit}"))
        elif directions is not None and ind.direction is None and ind.code not in directions:
            problems.append(Problem(f"indicators[{i}].direction",
                                    f"指标目录没有给出 {ind.code} 的方向，须写明 direction / "
                                    f"the catalogue gives no direction for {ind.code}: write direction"))
    return problems


def parse_scheme(text: str, name: str = "<string>", *,
                 known_codes: Collection[str] | Mapping[str, Collection[str]] | None = None,
                 directions: Mapping[str, str] | None = None) -> Scheme:
    """Parse and check a scheme given as TOML text; ``name`` names it in messages. ``known_codes``: the
    catalogue's codes, all together or by unit type (``{"county": {...}, "cadre": {...}}``); ``directions``:
    the catalogue's direction of each code. Raises :class:`SchemeError` listing every problem."""
    scheme = validated(text, name, Scheme, SchemeError, _ZH, "scheme")
    problems = _catalogue_problems(scheme, known_codes, directions)
    if problems:
        raise SchemeError(name, problems)
    return scheme


def load_scheme(path: str | Path, *,
                known_codes: Collection[str] | Mapping[str, Collection[str]] | None = None,
                directions: Mapping[str, str] | None = None) -> Scheme:
    """Read and check one scheme file; raises :class:`SchemeError` naming the file and every problem."""
    path = Path(path)
    return parse_scheme(read_text(path, SchemeError), str(path), known_codes=known_codes, directions=directions)


def shipped() -> list[Path]:
    """The shipped scheme files."""
    return sorted(SCHEMES_DIR.glob("*.toml"))
