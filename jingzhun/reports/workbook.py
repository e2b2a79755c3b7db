"""The report tables as one XLSX workbook in the official layout of the 建档立卡 statistical reports, one sheet a table:

    title (merged across the table)                              表N
    填报单位：省市县…      统计年度：2020年          单位：户、人
    单位名称 | multi-row header, merged where a heading spans columns or rows
    one row per child area, then 合计 (numbers right-aligned with thousands separators)
    统计口径：… ; 制表人：    审核人：    填报日期：YYYY年M月D日

Headers follow the page's language (`english`); area names are the register's. Aggregate counts only: no name or
ID of a person is in the file, so it is written in memory.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from jingzhun import cells
from jingzhun.areas.models import Area
from jingzhun.reports.tables import Column, Label, Table


@dataclass
class Filled:
    """A table with its figures: one (area, values) row per child area, and the total row's values."""

    table: Table
    rows: list[tuple[Area, list[float]]]
    total: list[float]


def say(label: Label, english: bool) -> str:
    return label[1] if english else label[0]


def values(columns: Sequence[Column], figures: dict[str, int]) -> list[float]:
    """A row's cells: its figures by column, a share as a fraction (0 when its base is 0)."""
    out: list[float] = []
    for col in columns:
        if col.share_of:
            base = figures.get(col.share_of, 0)
            out.append(figures.get(col.key, 0) / base if base else 0.0)
        else:
            out.append(figures.get(col.key, 0))
    return out


def formats(book: Any) -> dict[str, Any]:
    border = {"border": 1, "valign": "vcenter", "font_name": "宋体", "font_size": 10}
    return {
        "title": book.add_format({"bold": True, "font_size": 16, "align": "center", "valign": "vcenter",
                                  "font_name": "宋体"}),
        "form": book.add_format({"align": "right", "font_name": "宋体", "font_size": 10}),
        "info": book.add_format({"font_name": "宋体", "font_size": 10}),
        "info_right": book.add_format({"font_name": "宋体", "font_size": 10, "align": "right"}),
        "head": book.add_format({**border, "bold": True, "align": "center", "text_wrap": True, "bg_color": "#EEEEEE"}),
        "name": book.add_format({**border}),
        "num": book.add_format({**border, "align": "right", "num_format": "#,##0"}),
        "pct": book.add_format({**border, "align": "right", "num_format": "0.0%"}),
        "total_name": book.add_format({**border, "bold": True, "align": "center"}),
        "total_num": book.add_format({**border, "bold": True, "align": "right", "num_format": "#,##0"}),
        "total_pct": book.add_format({**border, "bold": True, "align": "right", "num_format": "0.0%"}),
        "note": book.add_format({"font_name": "宋体", "font_size": 9, "text_wrap": True, "valign": "top"}),
    }


def merge(sheet: Any, r0: int, c0: int, r1: int, c1: int, text: str, fmt: Any) -> None:
    """One cell's text across a box; a one-cell box is written plainly (xlsxwriter refuses a 1×1 merge)."""
    if (r0, c0) == (r1, c1):
        cells.write(sheet, r0, c0, text, fmt)
    else:
        sheet.merge_range(r0, c0, r1, c1, cells.text(text), fmt)


def header(sheet: Any, top: int, columns: Sequence[Column], english: bool, fmt: Any) -> int:
    """The multi-row header from row `top`; returns its number of rows. Equal labels side by side under the
    same parent are one merged cell; a path shorter than the deepest spans down to the last header row."""
    depth = max(len(col.path) for col in columns)
    merge(sheet, top, 0, top + depth - 1, 0, "单位名称" if not english else "Area", fmt)
    for level in range(depth):
        j = 0
        while j < len(columns):
            path = columns[j].path
            if len(path) <= level:
                j += 1
                continue
            k = j
            while k + 1 < len(columns) and columns[k + 1].path[:level + 1] == path[:level + 1]:
                k += 1
            bottom = top + depth - 1 if len(path) == level + 1 else top + level
            merge(sheet, top + level, j + 1, bottom, k + 1, say(path[level], english), fmt)
            j = k + 1
    return depth


def write_sheet(book: Any, fmt: dict[str, Any], filled: Filled, *, unit: str, year: int, english: bool,
                today: date) -> None:
    t, cols = filled.table, filled.table.columns
    last = len(cols)  # the last column's index (column 0 is the area's name)
    sheet = book.add_worksheet(f"{t.number} {say(t.title, english)}"[:31])
    title = f"{say(t.title, english)}, {year}" if english else f"{year}年{say(t.title, english)}"
    merge(sheet, 0, 0, 0, last, title, fmt["title"])
    sheet.set_row(0, 30)
    cells.write(sheet, 1, last, t.number if not english else f"Form {t.number[1:]}", fmt["form"])
    third = max(1, (last + 1) // 3)
    merge(sheet, 2, 0, 2, third - 1, ("Reporting unit: " if english else "填报单位：") + unit, fmt["info"])
    merge(sheet, 2, third, 2, 2 * third - 1, f"Year: {year}" if english else f"统计年度：{year}年", fmt["info"])
    merge(sheet, 2, 2 * third, 2, last, "Unit: households, people" if english else "单位：户、人", fmt["info_right"])
    top = 3
    depth = header(sheet, top, cols, english, fmt["head"])
    r = top + depth
    for area, row in filled.rows:
        cells.write(sheet, r, 0, area.name, fmt["name"])
        for j, (col, v) in enumerate(zip(cols, row, strict=True), start=1):
            sheet.write_number(r, j, v, fmt["pct" if col.share_of else "num"])
        r += 1
    cells.write(sheet, r, 0, "Total" if english else "合计", fmt["total_name"])
    for j, (col, v) in enumerate(zip(cols, filled.total, strict=True), start=1):
        sheet.write_number(r, j, v, fmt["total_pct" if col.share_of else "total_num"])
    merge(sheet, r + 1, 0, r + 1, last, ("Definitions: " if english else "统计口径：") + say(t.note, english), fmt["note"])
    sheet.set_row(r + 1, 42)
    footer(sheet, r + 3, last, english, today, fmt["info"])
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, last, 10)
    sheet.freeze_panes(top + depth, 1)
    sheet.repeat_rows(top, top + depth - 1)
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.print_area(xl_rowcol_to_cell(0, 0) + ":" + xl_rowcol_to_cell(r + 3, last))


def footer(sheet: Any, r: int, last: int, english: bool, today: date, fmt: Any) -> None:
    """制表人 / 审核人 / 填报日期, left blank for the signatures, with today's date."""
    third = max(1, (last + 1) // 3)
    merge(sheet, r, 0, r, third - 1, "Prepared by:" if english else "制表人：", fmt)
    merge(sheet, r, third, r, 2 * third - 1, "Checked by:" if english else "审核人：", fmt)
    when = today.isoformat() if english else f"{today.year}年{today.month}月{today.day}日"
    merge(sheet, r, 2 * third, r, last, ("Date: " if english else "填报日期：") + when, fmt)


def write(tables: Sequence[Filled], *, unit: str, year: int, english: bool, today: date) -> bytes:
    """The workbook of `tables`, in memory."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    fmt = formats(book)
    for filled in tables:
        write_sheet(book, fmt, filled, unit=unit, year=year, english=english, today=today)
    book.close()
    return out.getvalue()
