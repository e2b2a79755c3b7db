"""The compact encoding of one household's result, and its rendering into words.

A result row stores bits and small integers, not sentences: at ten million households the words would
be most of the table. The bits are positions in fixed lists (the guarantee and exclusion names in the
order of the policy schema, the MPI indicators in the order of the policy file), and the run keeps the
policy it used, so any earlier run renders the same words later even after the policy file changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jingzhun.policy.model import Exclusions, Guarantees

#: Status codes as stored (small integers keep a ten-million-row result table small).
NOT_POOR, POOR, MONITORED = 0, 1, 2
STATUS_LABELS = {NOT_POOR: "非贫困 / not poor", POOR: "贫困 / poor", MONITORED: "监测对象 / monitored"}
STATUS_KEYS = {NOT_POOR: "not_poor", POOR: "poor", MONITORED: "monitored"}

#: Bit i of `guarantee_failures` / `exclusions` is the i-th name here (the schema's field order).
GUARANTEE_NAMES: tuple[str, ...] = tuple(Guarantees.model_fields)
EXCLUSION_NAMES: tuple[str, ...] = tuple(Exclusions.model_fields)

# Reason codes (bits of `reasons`).
INCOME_BELOW_LINE = 1
INCOME_BELOW_MONITORING = 2
GUARANTEE_FAILED = 4
MPI_POOR = 8
EXCLUDED = 16
REVIEW = 32
NO_INCOME_RECORD = 64
NO_MEMBERS = 128


def bits(mask: int) -> list[int]:
    return [i for i in range(mask.bit_length()) if mask >> i & 1]


def yuan(value: Decimal | int | float) -> str:
    """3512 → "3,512"; 3512.5 → "3,512.50" (whole yuan without decimals, as officers write them)."""
    d = Decimal(str(value))
    return f"{d:,.0f}" if d == d.to_integral_value() else f"{d:,.2f}"


def render(policy: dict[str, Any], *, per_capita_income: Decimal | None, size: int, reasons: int,
           guarantee_failures: int, exclusions: int, deprivations: int, mpi_points: int,
           mpi_denominator: int) -> list[str]:
    """The reasons for one household's status, each "中文 / English", from its stored codes.

    `policy` is the run's stored policy (``Policy.model_dump(mode="json")``)."""
    out: list[str] = []
    line = Decimal(str(policy["poverty_line"]))
    per = "人均纯收入" if policy["income"]["per_capita"] else "家庭纯收入"
    per_en = "per-capita income" if policy["income"]["per_capita"] else "household net income"
    if reasons & NO_INCOME_RECORD:
        out.append("缺少该年度收入记录，未作收入判断 / no income record for the year: income not assessed")
    if reasons & NO_MEMBERS:
        out.append("户内没有登记成员，未作人均收入判断 / no registered members: per-capita income not assessed")
    if per_capita_income is not None:
        income = yuan(per_capita_income)
        if reasons & INCOME_BELOW_LINE:
            out.append(f"{per} {income} 元，低于贫困线 {yuan(line)} 元 / {per_en} {income} yuan is below the line of {yuan(line)}")
        elif reasons & INCOME_BELOW_MONITORING:
            mon = yuan(Decimal(str(policy["monitoring_line"])))
            out.append(f"{per} {income} 元，不低于贫困线 {yuan(line)} 元但低于监测线 {mon} 元 / {per_en} {income} yuan "
                       f"is at or above the line of {yuan(line)} but below the monitoring line of {mon}")
        elif not reasons & (NO_INCOME_RECORD | NO_MEMBERS):
            out.append(f"{per} {income} 元，不低于贫困线 {yuan(line)} 元 / {per_en} {income} yuan is not below the line of {yuan(line)}")
    for i in bits(guarantee_failures):
        name = GUARANTEE_NAMES[i]
        label = (policy["guarantees"].get(name) or {}).get("label", name)
        out.append(f"未达到：{label} / not met: {label}")
    if reasons & MPI_POOR or deprivations:
        indicators = (policy.get("mpi") or {}).get("indicators", [])
        labels = [indicators[i]["label"] for i in bits(deprivations) if i < len(indicators)]
        k = policy["mpi"]["k"]
        score = f"{mpi_points}/{mpi_denominator}" if mpi_denominator else "0"
        verdict = "达到" if reasons & MPI_POOR else "未达到"
        verdict_en = "at or above" if reasons & MPI_POOR else "below"
        out.append(f"多维贫困得分 {score}，{verdict}临界值 {k}（{'；'.join(labels)}） / multidimensional score {score} is "
                   f"{verdict_en} the cutoff k = {k} ({'; '.join(labels)})")
    for i in bits(exclusions):
        name = EXCLUSION_NAMES[i]
        rule = (policy.get("exclusions") or {}).get(name) or {"label": name, "action": "exclude"}
        if rule["action"] == "exclude":
            out.append(f"比对排除：{rule['label']} / excluded by the cross-department check: {rule['label']}")
        else:
            out.append(f"比对待复核：{rule['label']} / sent to review by the cross-department check: {rule['label']}")
    return out
