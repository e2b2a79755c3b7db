"""The cell parsers every importer shares: one `parse_date`, one of each. A parser takes the cell's trimmed
text (never empty: "empty" is the importer's rule, see `rules.unchanged_if_empty`) and returns the value or
raises `Invalid` with the rule's words, "中文 / English"."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from jingzhun import choices as c


class Invalid(ValueError):
    """The cell breaks its column's rule; the message is the rule, as the report shows it."""


def parse_date(text: str) -> dt.date:
    """YYYY-MM-DD (or YYYY/MM/DD), a real calendar date."""
    parts = text.replace("/", "-").split("-")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise Invalid("应为日期 YYYY-MM-DD / must be a date as YYYY-MM-DD")
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise Invalid("不是有效日期 / not a real calendar date") from None


# Fractions of a second: a workbook's date-time cell can carry them (Excel stores times as fractions of a day).
DATETIME = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")


def parse_datetime(text: str) -> dt.datetime:
    """YYYY-MM-DD HH:MM[:SS[.ffffff]] (naive: the importer decides the time zone)."""
    found = DATETIME.match(text)
    if not found:
        raise Invalid("应为日期时间 YYYY-MM-DD HH:MM / must be a date and time as YYYY-MM-DD HH:MM")
    *fields, fraction = found.groups()
    year, month, day, hour, minute, second = (int(g or 0) for g in fields)
    try:
        return dt.datetime(year, month, day, hour, minute, second, int((fraction or "0").ljust(6, "0")))
    except ValueError:
        raise Invalid("不是有效的日期时间 / not a real date and time") from None


def parse_int(text: str, low: int | None = None, high: int | None = None) -> int:
    if not text.lstrip("-").isdigit() or not text.isascii() or len(text) > 10:
        raise Invalid("应为整数 / must be a whole number")
    value = int(text)
    if low is not None and high is not None and not low <= value <= high:
        raise Invalid(f"应在 {low}–{high} 之间 / must be between {low} and {high}")
    return value


def parse_decimal(text: str, low: Decimal | None = None, high: Decimal | None = None, places: int = 2) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not text.isascii() or -value.as_tuple().exponent > places:  # type: ignore[operator]
        raise Invalid(f"应为数字，最多{places}位小数 / a number with at most {places} decimals")
    if low is not None and high is not None and not low <= value <= high:
        raise Invalid(f"应在 {low}–{high} 之间 / must be between {low} and {high}")
    return value


def parse_choice(text: str, enum: c.Enum) -> str:
    """A coded value: its Chinese label, English label or code → the code."""
    code = enum.lookup().get(text)
    if code is None:
        raise Invalid(f"应为：{'、'.join(zh for _, zh, _ in enum.values)} / must be one of: "
                      f"{', '.join(code for code, _, _ in enum.values)}")
    return code


MULTI_SEPARATORS = re.compile(r"[,，、;；]")


def parse_multi(text: str, enum: c.Enum) -> list[str]:
    """Several coded values in one cell, separated by 、 , ， ; or ；: the codes, in the enum's order, each
    once. Unknown values are named in the rule."""
    lookup = enum.lookup()
    given = [part.strip() for part in MULTI_SEPARATORS.split(text) if part.strip()]
    unknown = [part for part in given if part not in lookup]
    if unknown:
        raise Invalid(f"未知取值：{'、'.join(unknown)}；应为：{'、'.join(zh for _, zh, _ in enum.values)} / unknown: "
                      f"{', '.join(unknown)}; must be among: {', '.join(code for code, _, _ in enum.values)}")
    codes = {lookup[part] for part in given}
    return [code for code in enum.codes if code in codes]
