"""The exit policy (脱贫退出标准): when a household, a village and a county may leave poverty, for one year
in the nation or one province. A sibling of the identification policy, in its own TOML files
(`jingzhun/policy/data/exit/`), validated the same way (every problem named by file and dotted key).

An exit file names the identification policy it builds on (`policy = "national-2019.toml"`): the income
definition and the guarantees' checks are that file's, so the two cannot drift apart. It may add or
replace guarantees in its own `[guarantees]` table (safe drinking water before it became a named
guarantee, say). See docs/policy.md, "Exit policies".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from jingzhun.policy.loading import DATA_DIR, PolicyError, load_policy, loads_model
from jingzhun.policy.model import AreaCode, Guarantee, Guarantees, Policy, Yuan
from jingzhun.policy.problems import Problem, read_text

EXIT_DIR = DATA_DIR / "exit"
GUARANTEE_NAMES: tuple[str, ...] = tuple(Guarantees.model_fields)
# 西部大开发 12 省区市: 内蒙古、广西、重庆、四川、贵州、云南、西藏、陕西、甘肃、青海、宁夏、新疆.
WEST_PROVINCES = ("15", "45", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65")
# The village-record facts a village condition may test (jingzhun.areas.village_records), and their kinds.
VILLAGE_FIELDS: dict[str, Literal["bool", "number"]] = {
    "hardened_road": "bool", "power_grid": "bool", "tap_water": "bool", "broadband": "bool", "clinic": "bool",
    "school": "bool", "activity_centre": "bool", "households": "number", "population": "number",
    "distance_to_town_km": "number", "collective_income": "number",
}


def _problem(key: str, zh: str, en: str) -> PydanticCustomError:
    return PydanticCustomError("policy", f"{zh} / {en}", {"key": key})


def _fraction(value: Any) -> Fraction:
    """A rate as an exact fraction: "2/100", 0.02 (read as the decimal written) or 2 % as "2%"."""
    try:
        if isinstance(value, str) and value.strip().endswith("%"):
            return Fraction(value.strip()[:-1]) / 100
        if isinstance(value, float):
            return Fraction(repr(value))
        if isinstance(value, int | str) and not isinstance(value, bool):
            return Fraction(value)
    except (ValueError, ZeroDivisionError):
        pass
    raise PydanticCustomError("policy", "须为比例，如 \"2/100\"、\"2%\" 或 0.02 / must be a rate such as \"2/100\", "
                                        "\"2%\" or 0.02")


def _rate(value: Fraction) -> Fraction:
    if not 0 <= value <= 1:
        raise PydanticCustomError("policy", "须在 0 与 1 之间 / must be between 0 and 1")
    return value


Rate = Annotated[Fraction, BeforeValidator(_fraction), AfterValidator(_rate)]
AtThreshold = Literal["exits", "stays"]  # exactly at the threshold: the area (household) exits, or stays


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HouseholdExit(_Strict):
    """贫困户退出: per-capita net income above the line in each of `years_above` consecutive years ending in
    the policy's year, and every guarantee in `guarantees` met in that year."""

    line: Yuan | None = None  # the exit year's line; default: the identification policy's poverty line
    lines: dict[int, Yuan] = {}  # earlier years' lines (years_above > 1); a year not listed takes `line`
    years_above: Annotated[int, Field(ge=1, le=5)] = 1
    at_line: AtThreshold = "stays"  # per-capita income exactly at the line: "stays" — the income must exceed it
    guarantees: list[str] = list(GUARANTEE_NAMES)
    transition_years: Annotated[int, Field(ge=0, le=20)] = 5  # 过渡期: policies continue this many years after the exit

    @model_validator(mode="after")
    def _known(self) -> HouseholdExit:
        for i, name in enumerate(self.guarantees, start=1):
            if name not in GUARANTEE_NAMES:
                raise _problem(f"guarantees[{i}]", f"未知保障 {name!r}；可用：{', '.join(GUARANTEE_NAMES)}",
                               f"unknown guarantee {name!r}; allowed: {', '.join(GUARANTEE_NAMES)}")
        if len(set(self.guarantees)) != len(self.guarantees):
            raise _problem("guarantees", "保障重复", "a guarantee is listed twice")
        return self


class VillageCondition(_Strict):
    """A condition on the village's record of the year: ``{field = "hardened_road", op = "eq", value = true}``."""

    label: str
    field: str
    op: Literal["eq", "ne", "lt", "le", "gt", "ge"]
    value: bool | int | float

    @model_validator(mode="after")
    def _consistent(self) -> VillageCondition:
        kind = VILLAGE_FIELDS.get(self.field)
        if kind is None:
            raise _problem("field", f"未知村情字段 {self.field!r}；可用：{', '.join(VILLAGE_FIELDS)}",
                           f"unknown village-record field {self.field!r}; allowed: {', '.join(VILLAGE_FIELDS)}")
        if kind == "bool" and (not isinstance(self.value, bool) or self.op not in ("eq", "ne")):
            raise _problem("value", f"{self.field} 为是/否字段：只能 eq/ne true 或 false",
                           f"{self.field} is yes/no: only eq/ne with true or false")
        if kind == "number" and isinstance(self.value, bool):
            raise _problem("value", f"{self.field} 的取值须为数值", f"{self.field} takes a number")
        return self

    def holds(self, value: Any) -> bool:
        v: Any = self.value if isinstance(self.value, bool) else Decimal(str(self.value))
        x: Any = bool(value) if isinstance(self.value, bool) else Decimal(str(value))
        return {"eq": x == v, "ne": x != v, "lt": x < v, "le": x <= v, "gt": x > v, "ge": x >= v}[self.op]


class AreaExit(_Strict):
    """贫困村 / 贫困县退出: the incidence below the region class's threshold, and the conditions."""

    incidence_below: Rate = Fraction(2, 100)
    west_incidence_below: Rate = Fraction(3, 100)
    west: list[str] = list(WEST_PROVINCES)  # area-code prefixes counted as the west (2 digits: a province)
    at_threshold: AtThreshold = "stays"  # exactly at a threshold: "stays" — the rate must be strictly below
    conditions: list[VillageCondition] = []

    def threshold(self, code: str) -> Fraction:
        return self.west_incidence_below if any(code.startswith(p) for p in self.west) else self.incidence_below

    def below(self, value: Fraction, limit: Fraction) -> bool:
        return value < limit or (self.at_threshold == "exits" and value == limit)

    def above(self, value: Fraction, limit: Fraction) -> bool:
        return value > limit or (self.at_threshold == "exits" and value == limit)


class CountyExit(AreaExit):
    """贫困县退出: also the third-party evaluation's three rates (错退率, 漏评率 below; 群众认可度 above). The one
    place their thresholds live: the evaluation's verdicts read them from here (`jingzhun.evaluation.results`)."""

    wrongly_exited_below: Rate = Fraction(2, 100)
    missed_below: Rate = Fraction(2, 100)
    satisfaction_above: Rate = Fraction(90, 100)
    # Exactly at the satisfaction threshold; unset: as `at_threshold`. "exits": 90 % passes ("群众认可度低于90%的
    # 不得退出", "达到90%以上": 以上 includes the number).
    satisfaction_at_threshold: AtThreshold | None = None
    # Which figure of the evaluation is compared: "point" — the estimate (what the national checks decided on);
    # "bound" — the unfavourable end of the 95 % interval (the upper bound of an error rate, the lower bound of
    # satisfaction), stricter: a county passes only when the sample shows it with 95 % confidence.
    rates_compared: Literal["point", "bound"] = "point"

    def satisfied(self, value: Fraction) -> bool:
        """群众认可度 `value` passes its threshold."""
        at = self.satisfaction_at_threshold or self.at_threshold
        return value > self.satisfaction_above or (at == "exits" and value == self.satisfaction_above)


class ExitPolicy(_Strict):
    name: str = Field(min_length=1)
    year: int = Field(ge=2013, le=2100)
    scope: Literal["national", "province"]
    area: AreaCode | None = None
    source: str = ""
    policy: str = Field(min_length=1)  # the identification policy file: a shipped name or a path beside this file
    guarantees: Guarantees = Guarantees()  # added to (or replacing) the identification policy's
    household: HouseholdExit = HouseholdExit()
    village: AreaExit = AreaExit()
    county: CountyExit = CountyExit()

    @model_validator(mode="after")
    def _consistent(self) -> ExitPolicy:
        if self.scope == "province" and (self.area is None or not self.area.endswith("0" * 10)):
            raise _problem("area", "省级政策须写明省的区划代码（后10位为0）",
                           "a provincial policy needs the province's code (ending in ten zeros)")
        if self.scope == "national" and self.area is not None:
            raise _problem("area", "全国政策不能带 area", "a national policy has no area")
        for year in self.household.lines:
            if not self.year - self.household.years_above < year < self.year:
                raise _problem(f"household.lines.{year}", f"{year} 不在退出年度前 {self.household.years_above - 1} 年之内",
                               f"{year} is not one of the {self.household.years_above - 1} years before the exit year")
        return self


@dataclass(frozen=True)
class ExitRules:
    """An exit policy with the identification policy it builds on (guarantees merged)."""

    exit: ExitPolicy
    base: Policy
    file: str = ""

    @property
    def year(self) -> int:
        return self.exit.year

    def line(self, year: int) -> Decimal:
        h = self.exit.household
        if year == self.exit.year:
            return h.line if h.line is not None else self.base.poverty_line
        return h.lines.get(year, h.line if h.line is not None else self.base.poverty_line)

    def years(self) -> list[int]:
        """The years whose income counts, oldest first."""
        n = self.exit.household.years_above
        return list(range(self.exit.year - n + 1, self.exit.year + 1))

    def guarantee(self, name: str) -> Guarantee | None:
        return getattr(self.exit.guarantees, name) or getattr(self.base.guarantees, name)


def _base(exit_policy: ExitPolicy, beside: Path | None, file: str) -> Policy:
    for candidate in ([DATA_DIR / exit_policy.policy] + ([beside / exit_policy.policy] if beside else [])):
        if candidate.is_file():
            return load_policy(candidate)
    raise PolicyError(file, [Problem("policy", f"找不到识别政策文件 {exit_policy.policy!r} / no identification policy "
                                               f"file {exit_policy.policy!r} (shipped, or beside this file)")])


def loads_exit(text: str, file: str = "<string>", beside: Path | None = None) -> ExitRules:
    """Parse and validate an exit policy and the identification policy it names; every guarantee it
    requires must be defined in one of them."""
    policy = loads_model(text, file, ExitPolicy)
    rules = ExitRules(policy, _base(policy, beside, file), file)
    missing = [(i, name) for i, name in enumerate(policy.household.guarantees, start=1) if rules.guarantee(name) is None]
    if missing:
        raise PolicyError(file, [Problem(f"household.guarantees[{i}]", f"{name} 在识别政策与本文件中都未定义 / {name} is "
                                                                       "defined neither in the identification policy "
                                                                       "nor in this file") for i, name in missing])
    return rules


def load_exit(path: str | Path) -> ExitRules:
    path = Path(path)
    return loads_exit(read_text(path, PolicyError), str(path), path.parent)


def shipped_exits() -> list[str]:
    return sorted(p.name for p in EXIT_DIR.glob("*.toml"))


def exit_rules_in_force(year: int, area: str = "") -> ExitRules:
    """The exit policy of `year` (as `exit_rules`), or for a year after the last shipped one the latest before it:
    the evaluations after 2020 (巩固脱贫成果后评估) kept the exit's rates and thresholds. LookupError when no shipped
    policy is of `year` or before."""
    try:
        return exit_rules(year, area)
    except LookupError:
        earlier = [int(n.removeprefix("national-").removesuffix(".toml")) for n in shipped_exits()
                   if n.startswith("national-")]
        earlier = [y for y in earlier if y < year]
        if not earlier:
            raise
        return exit_rules(max(earlier), area)


@functools.cache
def exit_rules(year: int, area: str = "") -> ExitRules:
    """The shipped exit policy of `year` for the province of `area` (its file `<province code>-<year>.toml`)
    when there is one, else the national one; LookupError naming the shipped years otherwise."""
    if area:
        provincial = EXIT_DIR / f"{area[:2]}0000000000-{year}.toml"
        if provincial.is_file():
            return load_exit(provincial)
    path = EXIT_DIR / f"national-{year}.toml"
    if not path.is_file():
        years = ", ".join(n.removeprefix("national-").removesuffix(".toml") for n in shipped_exits()
                          if n.startswith("national-"))
        raise LookupError(f"没有 {year} 年的退出标准 / no exit policy for {year}; shipped: {years}")
    return load_exit(path)
