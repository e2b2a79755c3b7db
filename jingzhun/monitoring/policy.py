"""Monitoring policy (防止返贫监测政策): the monitoring line by province and year, the triggers, the deadlines
and risk elimination, read from `jingzhun/policy/data/monitoring/monitoring-*.toml` and validated by pydantic.

`monitoring-national.toml` holds the national guidance; a province's file (``province = "34"``) overrides
what it states and inherits the rest, so a province that only sets its deadlines keeps the national lines.
Figures and their sources: docs/policy.md, "Monitoring".
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jingzhun.monitoring.kinds import EXPENSE
from jingzhun.policy import DATA_DIR, PolicyError, Problem

YEARS = (2021, 2026)
#: The shipped files: a folder of their own, so the identification policies' list (`policy.available`) never
#: reads them.
FOLDER = DATA_DIR / "monitoring"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Line(_Strict):
    line: Decimal = Field(gt=0, le=1_000_000)  # yuan per person per year
    source: str = Field(min_length=1)
    certain: bool  # false: no source found for the exact figure (docs/policy.md says so)


class Deadlines(_Strict):
    check_days: int = Field(ge=1, le=60)  # working days from the day found to the check (核实)
    decide_days: int = Field(ge=1, le=120)  # working days from the day found to the decision (认定)


class Screening(_Strict):
    rigid_share: Decimal = Field(gt=0, le=10)  # rigid expenses above this share of net income trigger
    rigid_expenses: tuple[str, ...] = Field(min_length=1)


class Elimination(_Strict):
    stable_months: int = Field(ge=1, le=60)  # months monitored with income above the line (K)
    notice_days: int = Field(ge=1, le=60)


class File(_Strict):
    name: str
    province: str | None = Field(default=None, pattern=r"^\d{2}$")
    deadlines: Deadlines | None = None
    screening: Screening | None = None
    elimination: Elimination | None = None
    lines: dict[int, Line] = Field(default_factory=dict)


@dataclass(frozen=True)
class Rules:
    """The rules in force for one province and year: the national file overlaid by the province's."""

    province: str  # "" for the nation
    year: int
    line: Decimal
    line_source: str
    line_certain: bool
    check_days: int
    decide_days: int
    rigid_share: Decimal
    rigid_expenses: tuple[str, ...]
    stable_months: int
    notice_days: int
    files: tuple[str, ...]


def parse(text: str, name: str) -> File:
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError, and an integer of over 4,300 digits (Python's limit)
        raise PolicyError(name, [Problem("", f"TOML 语法错误 / TOML syntax error: {exc}")]) from None
    except RecursionError:  # tomllib recurses into nested arrays and tables: a hostile file is no traceback
        raise PolicyError(name, [Problem("", "TOML 嵌套过深 / the TOML is nested too deeply")]) from None
    try:
        found = File.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(name, [Problem(".".join(str(p) for p in e["loc"]), f"取值无效 / invalid: {e['msg']}")
                                 for e in exc.errors(include_url=False)]) from None
    problems = [Problem("screening.rigid_expenses", f"未知支出 {e!r} / unknown expense; 可用 / allowed: "
                        f"{', '.join(EXPENSE.codes)}")
                for e in (found.screening.rigid_expenses if found.screening else ()) if e not in EXPENSE.codes]
    problems += [Problem(f"lines.{y}", f"年度须在 {YEARS[0]}–{YEARS[1]} / year must be {YEARS[0]}–{YEARS[1]}")
                 for y in found.lines if not YEARS[0] <= y <= YEARS[1]]
    if found.deadlines and found.deadlines.decide_days < found.deadlines.check_days:
        problems.append(Problem("deadlines.decide_days", "认定期限不能短于核实期限 / the decision cannot be due "
                                "before the check"))
    if problems:
        raise PolicyError(name, problems)
    return found


@functools.cache
def files(folder: Path = FOLDER) -> dict[str, tuple[str, File]]:
    """Province code ("" for the nation) → (file name, file), of every shipped monitoring file."""
    out: dict[str, tuple[str, File]] = {}
    for path in sorted(folder.glob("monitoring-*.toml")):
        found = parse(path.read_text(encoding="utf-8"), path.name)
        key = found.province or ""
        if key in out:
            raise PolicyError(path.name, [Problem("province", f"与 {out[key][0]} 重复 / the same as {out[key][0]}")])
        out[key] = (path.name, found)
    if "" not in out:
        raise PolicyError(str(folder), [Problem("", "缺少 monitoring-national.toml / no national monitoring file")])
    name, national = out[""]
    missing = [Problem(part, "全国文件须包含此节 / the national file must have this section")
               for part in ("deadlines", "screening", "elimination") if getattr(national, part) is None]
    if missing:
        raise PolicyError(name, missing)
    return out


def rules(area_code: str, year: int, folder: Path = FOLDER) -> Rules:
    """The rules for an area (any code; its first two digits name the province) in `year`."""
    shipped = files(folder)
    national_name, national = shipped[""]
    province = area_code[:2]
    own_name, own = shipped.get(province, ("", None))
    layers = [national] + ([own] if own is not None else [])
    line = next((f.lines[year] for f in reversed(layers) if year in f.lines), None)
    if line is None:
        raise LookupError(f"没有 {year} 年的监测范围 / no monitoring line for {year} ({province})")

    def part(name: str):  # type: ignore[no-untyped-def]
        return next(getattr(f, name) for f in reversed(layers) if getattr(f, name) is not None)

    deadlines, screening, elimination = part("deadlines"), part("screening"), part("elimination")
    return Rules(province if own is not None else "", year, line.line, line.source, line.certain,
                 deadlines.check_days, deadlines.decide_days, screening.rigid_share, screening.rigid_expenses,
                 elimination.stable_months, elimination.notice_days,
                 tuple(n for n in (national_name, own_name) if n))


def provinces(folder: Path = FOLDER) -> list[str]:
    """The provinces with a file of their own."""
    return sorted(k for k in files(folder) if k)
