"""Targeting accuracy against a reference welfare column (a survey, or the synthetic province's hidden
true welfare, `true-welfare.csv` of `jingzhun synth`), by area, with the definitions of jingzhun.measures.

Units are households: the reference file may hold households that are not on the register (the synthetic
province's never-registered near-poor), whose size is unknown, so the measures are not person-weighted.
- eligible: the reference says poor (`true_poor` = 1);
- selected: the identification says 贫困 poor (a household not on the register, or not in the run, is
  not selected — missing it is exactly an exclusion error);
- exclusion error, both inclusion errors, coverage: `measures.targeting_errors(eligible, selected)`;
- CGH: `measures.coady_grosh_hoddinott(reference per-capita income, one unit of benefit per selected
  household)`.
A household's area is its registered village, or, for one not on the register, the first 12 digits of its
number when they are a registered area (the register's numbering: village code + sequence).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np

from jingzhun import measures
from jingzhun.areas.models import LEVEL_DIGITS

WELFARE_COLUMNS = ("household_number", "year", "true_income_per_capita", "true_poor")


class WelfareError(ValueError):
    pass


@dataclass(frozen=True)
class Welfare:
    numbers: list[str]
    income: np.ndarray  # per-capita, yuan
    poor: np.ndarray  # bool


def load_welfare(path: Path, year: int) -> Welfare:
    """The reference rows of `year`; any bad row is reported with the file, line and column."""
    numbers: list[str] = []
    income: list[float] = []
    poor: list[bool] = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None or tuple(h.strip() for h in header[:4]) != WELFARE_COLUMNS:
            raise WelfareError(f"{path.name}: 第1行须为 / line 1 must be: {','.join(WELFARE_COLUMNS)}")
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            if len(row) < 4:
                raise WelfareError(f"{path.name}:{line}: 列数不足 / fewer than 4 columns")
            number, row_year, value, flag = (cell.strip() for cell in row[:4])
            if not row_year.isdigit():
                raise WelfareError(f"{path.name}:{line}: year: 须为年份 / must be a year, not {row_year!r}")
            if int(row_year) != year:
                continue
            try:
                amount = Decimal(value)
            except InvalidOperation:
                raise WelfareError(f"{path.name}:{line}: true_income_per_capita: 须为数值 / must be a number, "
                                   f"not {value!r}") from None
            if flag not in ("0", "1"):
                raise WelfareError(f"{path.name}:{line}: true_poor: 须为 0 或 1 / must be 0 or 1, not {flag!r}")
            if number in seen:
                raise WelfareError(f"{path.name}:{line}: household_number: {number} 重复 / listed twice for {year}")
            seen.add(number)
            numbers.append(number)
            income.append(float(amount))
            poor.append(flag == "1")
    if not numbers:
        raise WelfareError(f"{path.name}: 没有 {year} 年的行 / no rows for {year}")
    return Welfare(numbers, np.array(income), np.array(poor, dtype=bool))


@dataclass(frozen=True)
class AreaAccuracy:
    code: str
    households: int
    eligible: int
    selected: int
    exclusion_error: float
    inclusion_error_of_selected: float
    inclusion_error_of_noneligible: float
    coverage: float
    cgh: float


def _villages(numbers: list[str]) -> list[str]:
    """Registered village of each household number; for unregistered ones, the number's area prefix."""
    from jingzhun.areas.models import Area
    from jingzhun.registry.models import Household

    registered: dict[str, str] = {}
    step = 900
    for i in range(0, len(numbers), step):
        registered.update(Household.objects.filter(number__in=numbers[i:i + step]).values_list("number", "village_id"))
    prefixes = {n[:12] for n in numbers if n not in registered}
    known = set(Area.objects.filter(code__in=list(prefixes)).values_list("code", flat=True)) if prefixes else set()
    return [registered.get(n) or (n[:12] if n[:12] in known else "") for n in numbers]


def accuracy(welfare: Welfare, selected_numbers: set[str], level: str = "county") -> list[AreaAccuracy]:
    """One row per area at `level`, plus the whole (code "") first."""
    digits = LEVEL_DIGITS[level]
    villages = _villages(welfare.numbers)
    selected = np.array([n in selected_numbers for n in welfare.numbers], dtype=bool)
    areas = np.array([v[:digits].ljust(12, "0") if v else "" for v in villages])
    out = []
    for code in [""] + sorted(set(areas.tolist()) - {""}):
        mask = np.ones(len(areas), dtype=bool) if code == "" else areas == code
        e, s = welfare.poor[mask], selected[mask]
        t = measures.targeting_errors(e, s)
        cgh = measures.coady_grosh_hoddinott(welfare.income[mask], s.astype(float))
        out.append(AreaAccuracy(code, int(mask.sum()), int(e.sum()), int(s.sum()), t.exclusion_error,
                                t.inclusion_error_of_selected, t.inclusion_error_of_noneligible, t.coverage, cgh))
    return out


def selected_by_run(run_id: int) -> set[str]:
    from jingzhun.identification import codes
    from jingzhun.identification.models import HouseholdResult
    from jingzhun.registry.models import Household

    ids = HouseholdResult.objects.filter(run_id=run_id, status=codes.POOR).values_list("household_id", flat=True)
    return set(Household.objects.filter(id__in=ids).values_list("number", flat=True))


def selected_by_results(results: object) -> set[str]:
    """Household numbers identified poor in an Arrow result table (`run.evaluate`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from jingzhun.identification import codes
    from jingzhun.registry.models import Household

    assert isinstance(results, pa.Table)
    ids = results.filter(pc.equal(results.column("status"), codes.POOR)).column("household_id").to_pylist()
    numbers: set[str] = set()
    for i in range(0, len(ids), 900):
        numbers.update(Household.objects.filter(id__in=ids[i:i + 900]).values_list("number", flat=True))
    return numbers
