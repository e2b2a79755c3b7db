"""Spreadsheet and CSV cells that can never become formulas (CSV / formula injection).

A name such as ``=HYPERLINK("http://…","点击")`` typed into a register, a department list or a village name
would otherwise reach an officer's Excel as a live formula: XlsxWriter's ``write()`` makes any text that
starts with ``=`` a formula, and Excel, WPS and LibreOffice evaluate a CSV cell that starts with
``= + - @`` (or a tab or carriage return, which some of them skip first).

Every export goes through this module:

- XLSX: `write` / `write_row` — numbers as numbers, everything else as a text cell (``write_string``),
  which no spreadsheet evaluates, whatever it starts with. The text is written unchanged.
- CSV: `text` — a cell that starts with one of those characters and is not a plain number gets a leading
  single quote, OWASP's advice; a spreadsheet shows the rest as text. A number such as ``-800`` or ``+3.5``
  stays as it is: it is a value, not a formula, and officers sum amounts.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

# What spreadsheets treat as the start of a formula; tab and CR because some skip them first.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(value: str) -> bool:
    """True when a spreadsheet could read `value` as a formula (a plain number, even negative, is not)."""
    return value.startswith(FORMULA_START) and NUMBER.fullmatch(value) is None


def text(value: Any) -> str:
    """The CSV cell for `value`: its text, with a leading ' when a spreadsheet would read it as a formula."""
    out = "" if value is None else str(value)
    return "'" + out if is_formula_like(out) else out


def write(sheet: Any, row: int, col: int, value: Any, cell_format: Any = None) -> None:
    """One XLSX cell: numbers as numbers, None as nothing, anything else as text (never a formula)."""
    if value is None or value == "":
        return
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        sheet.write_number(row, col, float(value) if isinstance(value, Decimal) else value, cell_format)
        return
    sheet.write_string(row, col, str(value), cell_format)


def write_row(sheet: Any, row: int, col: int, values: Any, cell_format: Any = None) -> None:
    """`write` for each value of a row, from column `col` on."""
    for j, value in enumerate(values):
        write(sheet, row, col + j, value, cell_format)
