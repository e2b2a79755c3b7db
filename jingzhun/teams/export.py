"""Alerts as an XLSX workbook for officers: one sheet, Chinese headers, evidence spelled out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

from jingzhun.audit import log
from jingzhun.teams.supervision import KINDS, Alert


def evidence_text(evidence: dict) -> str:
    """The evidence as one line a reader follows: "户编号：4302…；最近走访：2026-10-01 09:30；…"."""
    def shown(value: object) -> str:
        if isinstance(value, (list, tuple)):
            return "、".join(str(v) for v in value)
        return "—" if value is None or value == "" else str(value)
    return "；".join(f"{k}：{shown(v)}" for k, v in evidence.items())

HEADERS = ["序号", "预警类型", "区划代码", "对象", "情况说明", "证据"]


def write_alerts_xlsx(alerts: Sequence[Alert], path: str | Path, *, actor: str, scope: str = "") -> Path:
    """Write the alerts; the export is audited before the file is written (who took what, how many)."""
    path = Path(path)
    counts = {k: sum(a.kind == k for a in alerts) for k in KINDS}
    log.record(actor, "supervision.export", object_type="alerts", object_id=path.name, area=scope,
               rows=len(alerts), counts=counts)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("督查预警")
    bold = book.add_format({"bold": True, "bg_color": "#F2DCDB", "border": 1})
    text = book.add_format({"num_format": "@"})
    sheet.write_row(0, 0, HEADERS, bold)
    for i, a in enumerate(alerts, start=1):
        sheet.write_number(i, 0, i)
        sheet.write_string(i, 1, a.label.split(" / ")[0])
        sheet.write_string(i, 2, a.area, text)
        sheet.write_string(i, 3, a.subject)
        sheet.write_string(i, 4, a.summary)
        sheet.write_string(i, 5, evidence_text(a.evidence))
    sheet.set_column(0, 0, 6)
    sheet.set_column(1, 1, 16)
    sheet.set_column(2, 2, 14)
    sheet.set_column(3, 3, 28)
    sheet.set_column(4, 4, 60)
    sheet.set_column(5, 5, 100)
    sheet.freeze_panes(1, 0)
    summary = book.add_worksheet("汇总")
    summary.write_row(0, 0, ["预警类型", "条数"], bold)
    for j, (kind, label) in enumerate(KINDS.items(), start=1):
        summary.write_string(j, 0, label.split(" / ")[0])
        summary.write_number(j, 1, counts[kind])
    summary.set_column(0, 0, 24)
    book.close()
    return path
