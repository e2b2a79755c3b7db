"""A blank template from a spec: the header row (text columns, so IDs and codes keep their digits) and a
填写说明 sheet saying what each column takes — written from the same `Spec` the importer reads with."""

from __future__ import annotations

from pathlib import Path

from jingzhun.tabular.spec import Column, Spec

GUIDE_HEADERS = ["列名", "English", "必填 Required", "取值 Allowed values", "说明 Notes"]


def guide_row(col: Column) -> list[str]:
    allowed = "、".join(zh for _, zh, _ in col.enum.values) if col.enum else ""
    if col.low is not None:
        allowed = f"{col.low}–{col.high}"
    return [col.header, col.alias, "是" if col.required else "否", allowed, col.note]


def write_blank(spec: Spec, path: str | Path, sheet_name: str) -> Path:
    import xlsxwriter

    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True})
    text = book.add_format({"num_format": "@"})
    sheet = book.add_worksheet(sheet_name)
    sheet.write_row(0, 0, spec.headers, head)
    for j, col in enumerate(spec.columns):
        sheet.set_column(j, j, max(10, min(24, len(col.header) * 3)), text)
    sheet.freeze_panes(1, 1)
    guide = book.add_worksheet("填写说明")
    guide.write_row(0, 0, GUIDE_HEADERS, head)
    for i, col in enumerate(spec.columns, start=1):
        guide.write_row(i, 0, guide_row(col))
    guide.set_column(0, 2, 18)
    guide.set_column(3, 4, 70)
    book.close()
    return path
