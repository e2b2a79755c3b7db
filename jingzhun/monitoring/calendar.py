"""Working days (工作日) from China's official holiday calendar: weekends off, public holidays off, and the
make-up working days (调休上班) on weekends worked.

The file `jingzhun/data/holidays-cn.csv` (date, kind = holiday | workday, name) holds the years the State
Council General Office's yearly notices on holiday arrangements (国务院办公厅关于部分节假日安排的通知) fixed
and that were checked for this product: 2021–2026. A year the file does not cover counts Monday–Friday only;
`covers(year)` says so, and the pages and the command warn (docs/monitoring.md: adding a year).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

FILE = Path(__file__).resolve().parent.parent / "data" / "holidays-cn.csv"


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # weekend days worked (调休上班)
    years: frozenset[int]

    def covers(self, year: int) -> bool:
        return year in self.years

    def is_working(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: dt.date, days: int) -> dt.date:
        """The day `days` working days after `start` (the day found counts as day 0): the last day within a
        deadline of `days` working days. Overdue from the day after."""
        if days < 0:
            raise ValueError("days must be ≥ 0")
        day, left = start, days
        while left:
            day += dt.timedelta(days=1)
            if self.is_working(day):
                left -= 1
        return day


def read(path: Path = FILE) -> Calendar:
    holidays: set[dt.date] = set()
    workdays: set[dt.date] = set()
    with path.open(encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            try:
                day = dt.date.fromisoformat(row["date"])
            except (KeyError, TypeError, ValueError):
                raise ValueError(f"{path.name} 第 {n} 行：日期无效 / row {n}: not a date: {row!r}") from None
            kind = row.get("kind")
            if kind == "holiday":
                holidays.add(day)
            elif kind == "workday":
                if day.weekday() < 5:
                    raise ValueError(f"{path.name} 第 {n} 行：调休上班日须为周末 / row {n}: a make-up working day "
                                     f"falls on a weekend, {day} does not")
                workdays.add(day)
            else:
                raise ValueError(f"{path.name} 第 {n} 行：类型须为 holiday 或 workday / row {n}: kind must be holiday "
                                 f"or workday, got {kind!r}")
    return Calendar(frozenset(holidays), frozenset(workdays), frozenset(d.year for d in holidays))


@functools.cache
def official() -> Calendar:
    return read()
