"""Export the register in the import template, so export → import → export round-trips exactly.

Rows come out in household-number order, members in their recorded order, household cells on the
head's row only, values in the one canonical spelling the importer accepts (Chinese labels, 是/否,
plain decimals without trailing zeros). The file contains resident IDs in clear, as the template
needs them; every export is an audited action.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection

from jingzhun import cells, crypto
from jingzhun import choices as c
from jingzhun.audit import log as audit
from jingzhun.identity import mask
from jingzhun.registry import template

HOUSEHOLD_DB = {"village": "village_id", "household_number": "number"}
MEMBER_DB_FIELDS = ["name", "relation", "sex", "birth_date", "ethnicity", "education", "schooling", "labour",
                    "migrant_months", "medical_insurance", "pension_insurance", "assistance"]
HOUSEHOLD_FIELDS = [k for k in template.HOUSEHOLD_KEYS if template.BY_KEY[k].level == "household"]
INCOME_FIELDS = [k for k in template.HOUSEHOLD_KEYS if template.BY_KEY[k].level == "income" and k != "income_year"]
NUMERIC_KINDS = ("decimal", "int")


def plain_decimal(value: Any) -> str:
    d = Decimal(str(value)) if not isinstance(value, Decimal) else value
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "") else text


def cell(key: str, value: Any) -> str:
    """The canonical text of one value, as the template spells it."""
    col = template.BY_KEY[key]
    if value is None:
        return ""
    if col.kind == "bool":
        return "是" if value in (True, 1, "1") else "否"
    if col.kind == "enum":
        assert col.enum is not None
        return col.enum.zh(str(value))
    if col.kind == "multi":
        return "、".join(c.CAUSE.zh(code) for code in str(value).split(",") if code)
    if col.kind == "decimal":
        return plain_decimal(value)
    if col.kind == "date":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return str(value)


Scope = tuple[str, str] | list[tuple[str, str]] | None


def _spans(scope: Scope) -> list[tuple[str, str]] | None:
    if scope is None:
        return None
    return [scope] if isinstance(scope, tuple) else list(scope)


def rows(*, scope: Scope = None, year: int | None = None, masked: bool = False) -> Iterator[list[str]]:
    """Template rows (as cell text, in template column order) for the households in `scope` (a code range or
    a list of them). `masked`: resident IDs masked, birth dates as the year alone and health left out, for
    users who may not see them."""
    ids, health = crypto.resident_id_cipher(), crypto.health_cipher()
    hcols = ", ".join(f'h."{HOUSEHOLD_DB.get(k, k)}"' for k in HOUSEHOLD_FIELDS)
    icols = ", ".join(f'i."{k}"' for k in INCOME_FIELDS)
    mcols = ", ".join(f'm."{k}"' for k in MEMBER_DB_FIELDS)
    where, params = [], []  # type: list[str], list[Any]
    spans = _spans(scope)
    if spans is not None:
        where.append("(" + (" OR ".join(["h.village_id BETWEEN %s AND %s"] * len(spans)) or "1 = 0") + ")")
        params += [code for span in spans for code in span]
    # Every household of the area, with or without an income record of the year: one without leaves the
    # income year and amounts empty, which an import reads as "income unchanged".
    if year is not None:
        income_join = "LEFT JOIN registry_incomerecord i ON i.household_id = h.id AND i.year = %s"
        params.insert(0, year)
    else:
        income_join = ("LEFT JOIN registry_incomerecord i ON i.household_id = h.id AND i.year = "
                       "(SELECT MAX(year) FROM registry_incomerecord x WHERE x.household_id = h.id)")
    sql = f"""
        SELECT {hcols}, i.year, {icols}, m.resident_id_cipher, m.health_cipher, {mcols}
        FROM registry_household h {income_join}
        JOIN registry_member m ON m.household_id = h.id
        {"WHERE " + " AND ".join(where) if where else ""}
        ORDER BY h.number, m.position
    """
    n_h, n_i = len(HOUSEHOLD_FIELDS), len(INCOME_FIELDS)
    positions = {col.key: i for i, col in enumerate(template.COLUMNS)}
    with connection.cursor() as cur:
        cur.execute(sql, params)
        while batch := cur.fetchmany(20_000):
            id_texts = [ids.decrypt(r[n_h + 1 + n_i]) for r in batch]
            health_texts = [health.decrypt(r[n_h + 2 + n_i]) for r in batch]
            for r, rid, health_text in zip(batch, id_texts, health_texts):
                out = [""] * len(template.COLUMNS)
                member = dict(zip(MEMBER_DB_FIELDS, r[n_h + 3 + n_i :]))
                if member["relation"] == "head":
                    for key, value in zip(HOUSEHOLD_FIELDS, r[:n_h]):
                        out[positions[key]] = cell(key, value)
                    out[positions["income_year"]] = "" if r[n_h] is None else str(r[n_h])
                    for key, value in zip(INCOME_FIELDS, r[n_h + 1 : n_h + 1 + n_i]):
                        out[positions[key]] = cell(key, value)
                else:
                    out[positions["household_number"]] = r[0]
                for key, value in member.items():
                    out[positions[key]] = cell(key, value)
                status, _, grade = health_text.partition(":")
                out[positions["resident_id"]] = mask(rid) if masked else rid
                if masked and member["birth_date"] is not None:
                    # The mask hides exactly the birth date: beside the full date it would rebuild the ID.
                    out[positions["birth_date"]] = str(member["birth_date"].year if hasattr(member["birth_date"], "year")
                                                       else str(member["birth_date"])[:4])
                out[positions["health"]] = "" if masked else cell("health", status)
                out[positions["disability_grade"]] = "" if masked else grade
                yield out


def write_csv(path: Path, data: Iterator[list[str]], encoding: str = "utf-8") -> int:
    n = 0
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(template.HEADERS)
        for row in data:
            writer.writerow([cells.text(v) for v in row])  # no cell a spreadsheet reads as a formula
            n += 1
    return n


def write_xlsx(path: Path, data: Iterator[list[str]]) -> int:
    """Amounts and counts as numbers (officers sum them); codes, IDs and numbers-as-names as text."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("建档立卡")
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True})
    text = book.add_format({"num_format": "@"})
    sheet.write_row(0, 0, template.HEADERS, head)
    numeric = [col.kind in NUMERIC_KINDS for col in template.COLUMNS]
    n = 0
    for n, row in enumerate(data, start=1):
        for j, value in enumerate(row):
            if value == "":
                continue
            if numeric[j]:
                sheet.write_number(n, j, float(value))
            else:
                sheet.write_string(n, j, value, text)
    for j, col in enumerate(template.COLUMNS):
        sheet.set_column(j, j, max(8, min(24, len(col.header) * 2)), None if numeric[j] else text)
    sheet.freeze_panes(1, 2)
    if n == 0:
        _write_guide(book, head)
    book.close()
    return n


def _write_guide(book: Any, head: Any) -> None:
    """The blank template's second sheet: what each column takes."""
    guide = book.add_worksheet("填写说明")
    guide.write_row(0, 0, ["列名", "English", "层级 Level", "必填 Required", "取值 Allowed values", "说明 Notes"], head)
    levels = {"household": "户（户主行）", "income": "收入（户主行）", "member": "成员（每行）"}
    for i, col in enumerate(template.COLUMNS, start=1):
        allowed = "、".join(zh for _, zh, _ in col.enum.values) if col.enum else ""
        if col.low is not None:
            allowed = f"{col.low}–{col.high}"
        guide.write_row(i, 0, [col.header, col.alias, levels[col.level], "是" if col.required else "否", allowed, col.note])
    guide.set_column(0, 1, 22)
    guide.set_column(4, 5, 60)


def write_blank_template(path: str | Path) -> Path:
    path = Path(path)
    write_xlsx(path, iter(()))
    return path


def export_register(
    path: str | Path, *, actor: str = "cli", scope: Scope = None, year: int | None = None,
    encoding: str = "utf-8", masked: bool = False, area: str = "", address: str = "",
) -> int:
    path = Path(path)
    writer: Callable[[Path, Iterator[list[str]]], int]
    if path.suffix.lower() == ".xlsx":
        writer = write_xlsx
    else:
        def writer(p: Path, d: Iterator[list[str]]) -> int:
            return write_csv(p, d, encoding)
    # Audited before the first clear ID is written: a crash part-way still leaves the trace.
    # The rows carry every exported area (a span starts at its area's code) and where the export went.
    spans = _spans(scope)
    areas = [low for low, _ in spans or ()]
    audit.record(actor, "export", object_type="register", object_id=path.name, area=area, areas=areas,
                 address=address, scope=[list(s) for s in spans] if spans is not None else None, year=year,
                 masked=masked)
    n = writer(path, rows(scope=scope, year=year, masked=masked))
    audit.record(actor, "export.finished", object_type="register", object_id=path.name, rows=n, area=area,
                 areas=areas, address=address)
    return n
