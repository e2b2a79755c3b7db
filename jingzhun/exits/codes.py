"""A household exit check's result as codes, and its words (中文 / English).

Bits of `reasons`; `below` and `missing` are masks over the income years (bit k: the k-th year of
`ExitRules.years()`, oldest first); `guarantee_failures` has the bits of `identification.codes.GUARANTEE_NAMES`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jingzhun.identification.codes import GUARANTEE_NAMES, bits, yuan
from jingzhun.policy.exit import ExitRules

NOT_ABOVE = 1  # a year's per-capita income is not above its line
NO_INCOME = 2  # a year has no income record
GUARANTEE = 4  # a required guarantee is not met
NO_MEMBERS = 8  # nobody registered in the household: no per-capita income


def reasons_of(below: int, missing: int, guarantee_failures: int, size: int) -> int:
    return ((NOT_ABOVE if below else 0) | (NO_INCOME if missing else 0) | (GUARANTEE if guarantee_failures else 0)
            | (NO_MEMBERS if size <= 0 else 0))


def words(rules: ExitRules, row: dict[str, Any]) -> list[str]:
    """Why the household may not exit yet (empty when it may), from one result row: `size`, `below`,
    `missing`, `guarantee_failures` and the per-capita incomes `pc_<year>` in fen (None when missing)."""
    out: list[str] = []
    per, per_en = ("人均纯收入", "per-capita net income") if rules.base.income.per_capita else ("家庭纯收入", "net income")
    if row["size"] <= 0:
        out.append("户内没有登记成员，无法计算人均纯收入 / no registered members: no per-capita income")
    at = "不低于" if rules.exit.household.at_line == "exits" else "高于"
    at_en = "at least" if rules.exit.household.at_line == "exits" else "above"
    for k, year in enumerate(rules.years()):
        line = yuan(rules.line(year))
        if row["missing"] >> k & 1:
            out.append(f"缺少{year}年收入记录 / no income record for {year}")
        elif row["below"] >> k & 1 and row["size"] > 0:
            income = yuan(Decimal(row[f"pc_{year}"]) / 100)
            out.append(f"{year}年{per} {income} 元，未{at}退出标准 {line} 元 / {per_en} in {year} is {income} yuan, "
                       f"not {at_en} the exit line of {line}")
    for i in bits(row["guarantee_failures"]):
        g = rules.guarantee(GUARANTEE_NAMES[i])
        label = g.label if g is not None else GUARANTEE_NAMES[i]
        out.append(f"未达到：{label.split(' / ')[0]} / not met: {label.split(' / ')[-1]}")
    return out
