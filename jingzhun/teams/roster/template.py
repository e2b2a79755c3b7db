"""The roster's blank template (the header row as text columns, and a 填写说明 sheet) and its column guide,
both written from the one spec."""

from __future__ import annotations

from pathlib import Path

from jingzhun.tabular.spec import Column
from jingzhun.teams.roster.spec import HEADERS, ROSTER_COLUMNS

GUIDE_HEADERS = ["列名", "English", "必填 Required", "取值 Allowed values", "说明 Notes"]


def _guide_row(c: Column) -> tuple[str, str, str, str, str]:
    allowed = "、".join(zh for _, zh in c.enum.choices) if c.enum else ""
    required = "是" if c.required else ("有驻村村时必填" if c.key in ("role", "start") else "否")
    return (c.header, c.alias, required, allowed, c.note)


def guide_rows() -> list[tuple[str, str, str, str, str]]:
    """The column guide as rows (header, alias, required, allowed values, notes), for docs and tests."""
    return [_guide_row(c) for c in ROSTER_COLUMNS]


def write_blank_template(path: str | Path) -> Path:
    """The roster template: the header row (as text columns) and a sheet that says what each column takes."""
    import xlsxwriter

    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True})
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet("干部名册")
    sheet.write_row(0, 0, HEADERS, head)
    for j, c in enumerate(ROSTER_COLUMNS):
        sheet.set_column(j, j, max(10, min(24, len(c.header) * 3)), text)
    sheet.freeze_panes(1, 2)
    guide = book.add_worksheet("填写说明")
    guide.write_row(0, 0, GUIDE_HEADERS, head)
    for i, row in enumerate(guide_rows(), start=1):
        guide.write_row(i, 0, list(row))
    guide.set_column(0, 2, 18)
    guide.set_column(3, 4, 70)
    book.close()
    return path
