"""The web form that draws an evaluation: its fields read and checked, each problem naming its field and rule
("中文 / English"), then the same service as the command (`draw.draw`), which applies the area rule."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from jingzhun.evaluation import design
from jingzhun.tabular import parse

FIELDS = {  # key → (label, low, high)
    "year": ("评估年度 / year", 2013, 2100),
    "seed": ("随机种子 / seed", 0, 2**31 - 1),
    "households_per_county": ("每县样本户数 / households per county", 2, 100_000),
    "households_per_village": ("每村样本户数 / households per village", 2, 10_000),
}
DEFAULTS = {"year": "", "seed": "", "households_per_county": "1000", "households_per_village": "20",
            "exited_share": "0.5", "name": "", "area": ""}


@dataclass
class Posted:
    area: str
    name: str
    year: int
    seed: int
    sizes: design.Sizes


def read(data: Any) -> tuple[Posted | None, list[str], dict[str, str]]:
    """The posted form as the draw's arguments, or the problems (one per field) and the values to show again."""
    values = {key: str(data.get(key, default)).strip() for key, default in DEFAULTS.items()}
    problems: list[str] = []
    numbers: dict[str, int] = {}
    if not values["area"]:
        problems.append("评估范围：必填 / area: required")
    if len(values["name"]) > 100:
        problems.append("名称：不超过100字 / name: at most 100 characters")
    for key, (label, low, high) in FIELDS.items():
        try:
            numbers[key] = parse.parse_int(values[key], low, high)
        except parse.Invalid as exc:
            problems.append(f"{label}：{exc}")
    try:
        share = float(parse.parse_decimal(values["exited_share"], Decimal(0), Decimal(1), 3))
    except parse.Invalid as exc:
        problems.append(f"已脱贫户比例 / exited share：{exc}")
    if problems:
        return None, problems, values
    try:
        sizes = design.Sizes(numbers["households_per_county"], numbers["households_per_village"], share)
    except ValueError as exc:
        return None, [str(exc)], values
    name = values["name"] or f"{values['area']} {numbers['year']}"
    return Posted(values["area"], name, numbers["year"], numbers["seed"], sizes), [], values
