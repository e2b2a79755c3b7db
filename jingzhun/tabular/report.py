"""The problem report of every importer: (file, row, column, value, rule) as a console table and an XLSX file."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

import xlsxwriter

from jingzhun.tabular.problems import Problem

HEADERS = ["文件 File", "行 Row", "列 Column", "值 Value", "规则 Rule"]


def write_xlsx(errors: Sequence[Problem], path: str | Path) -> Path:
    path = Path(path)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("错误报告")
    bold = book.add_format({"bold": True, "bg_color": "#F2DCDB"})
    text = book.add_format({"num_format": "@"})
    sheet.write_row(0, 0, HEADERS, bold)
    for i, e in enumerate(errors, start=1):
        sheet.write_string(i, 0, e.file)
        sheet.write_number(i, 1, e.row)
        sheet.write_string(i, 2, e.column)
        sheet.write_string(i, 3, e.value, text)
        sheet.write_string(i, 4, e.rule)
    sheet.set_column(0, 0, 24)
    sheet.set_column(2, 3, 22)
    sheet.set_column(4, 4, 80)
    sheet.freeze_panes(1, 0)
    book.close()
    return path


def print_table(errors: Sequence[Problem], limit: int = 200) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*HEADERS, title=f"{len(errors)} 处错误 / errors", show_lines=False)
    for e in errors[:limit]:
        table.add_row(e.file, str(e.row), e.column, e.value, e.rule)
    console = Console(stderr=True)
    console.print(table)
    if len(errors) > limit:
        console.print(f"… 另有 {len(errors) - limit} 处，见报告文件 / {len(errors) - limit} more in the report file")


def refuse(errors: Sequence[Problem], report_path: str | Path | None) -> NoReturn:
    """A command's answer to a file with bad rows: the table, the XLSX report when asked, and an error
    that says nothing was written."""
    from django.core.management import CommandError

    print_table(errors)
    if report_path:
        write_xlsx(errors, report_path)
    raise CommandError(f"{len(errors)} 处错误，未写入任何数据 / errors found, nothing was written")
