"""What a department's list looks like: the resident-ID column and, per rule, the evidence columns.

Departments send their own layouts, so headers are matched by a few accepted spellings (Chinese
first, English aliases). Only the columns named here are read; anything else in the file (addresses
of people who are not in the register, phone numbers, ...) is never stored.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jingzhun.registry.reading import FileProblem, detect_encoding

ID_HEADERS = ("证件号码", "身份证号", "身份证号码", "公民身份号码", "居民身份证号码", "resident_id", "id_number")


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the canonical Chinese header, used in reports and evidence
    aliases: tuple[str, ...]
    required: bool = False
    kind: str = "text"  # "text" or "date"


NAME = Column("name", "姓名", ("姓名", "name"))

#: Per rule (the policy's [exclusions.<key>]), the evidence columns of a list.
RULE_COLUMNS: dict[str, tuple[Column, ...]] = {
    "vehicle": (
        NAME,
        Column("plate", "号牌号码", ("号牌号码", "车牌号", "车牌号码", "plate"), required=True),
        Column("vehicle_type", "车辆类型", ("车辆类型", "vehicle_type")),
        Column("registered_on", "登记日期", ("登记日期", "初次登记日期", "registered_on"), kind="date"),
    ),
    "business": (
        NAME,
        Column("business_name", "市场主体名称", ("市场主体名称", "企业名称", "字号名称", "名称", "business_name"), required=True),
        Column("credit_code", "统一社会信用代码", ("统一社会信用代码", "credit_code")),
        Column("registered_on", "成立日期", ("成立日期", "登记日期", "registered_on"), kind="date"),
    ),
    "public_payroll": (
        NAME,
        Column("employer", "工作单位", ("工作单位", "单位名称", "employer"), required=True),
        Column("post", "职务", ("职务", "岗位", "post")),
    ),
    "commercial_housing": (
        NAME,
        Column("property_address", "房屋坐落", ("房屋坐落", "房屋地址", "property_address"), required=True),
        Column("registered_on", "登记日期", ("登记日期", "购房日期", "registered_on"), kind="date"),
    ),
    "deceased": (
        NAME,
        Column("death_date", "死亡日期", ("死亡日期", "death_date"), required=True, kind="date"),
    ),
}

#: The resident-ID column's header in reports.
ID_HEADER = "证件号码"


def _norm(header: str) -> str:
    return "".join(str(header).split()).lower()


@dataclass
class ListFile:
    """A list as text cells: `ids` and each evidence column by key, with the spreadsheet row numbers."""

    file_name: str
    rows: list[int]
    ids: list[str]
    columns: dict[str, list[str]]
    problems: list[tuple[int, str, str, str]]  # cells the reader already knows are bad


def locate(headers: list[str], rule: str, file_name: str) -> tuple[int, dict[str, int]]:
    """The position of the ID column and of each evidence column present; missing required ones fail."""
    wanted = {_norm(h) for h in ID_HEADERS}
    normalised = [_norm(h) for h in headers]
    id_at = [i for i, h in enumerate(normalised) if h in wanted]
    if not id_at:
        raise FileProblem(f"{file_name}: 缺少证件号码列（{'、'.join(ID_HEADERS[:5])}）/ no resident-ID column")
    if len(id_at) > 1:
        raise FileProblem(f"{file_name}: 证件号码列重复 / more than one resident-ID column")
    found: dict[str, int] = {}
    for col in RULE_COLUMNS[rule]:
        aliases = {_norm(a) for a in col.aliases}
        at = [i for i, h in enumerate(normalised) if h in aliases]
        if len(at) > 1:
            raise FileProblem(f"{file_name}: 列“{col.header}”重复 / column {col.header!r} appears twice")
        if at:
            found[col.key] = at[0]
        elif col.required:
            raise FileProblem(f"{file_name}: 缺少必需列“{col.header}” / missing required column {col.header!r}")
    return id_at[0], found


def _text(value: object, is_id: bool, row: int, problems: list[tuple[int, str, str, str]]) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if is_id:
            # Excel keeps 15 significant digits: an 18-digit ID in a number cell is already damaged.
            problems.append((row, ID_HEADER, "（数字格式）",
                             "以数字格式保存，已丢失位数；请将该列设为文本 / stored as a number, digits lost; format as text"))
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def read(path: str | Path, rule: str) -> ListFile:
    p = Path(path)
    if not p.is_file():
        raise FileProblem(f"{p}: 文件不存在 / no such file")
    suffix = p.suffix.lower()
    table: list[list[Any]]
    if suffix in (".xlsx", ".xlsm"):
        table = _xlsx_rows(p)
    elif suffix in (".csv", ".txt"):
        encoding = detect_encoding(p)
        with p.open("r", encoding="utf-8-sig" if encoding.startswith("utf-8") else encoding, newline="") as f:
            table = [list(r) for r in csv.reader(f)]
    else:
        raise FileProblem(f"{p.name}: 只支持 .csv 和 .xlsx / only .csv and .xlsx files are accepted")
    if not table:
        raise FileProblem(f"{p.name}: 文件为空 / the file is empty")
    id_at, found = locate([str(h) for h in table[0]], rule, p.name)
    problems: list[tuple[int, str, str, str]] = []
    rows: list[int] = []
    ids: list[str] = []
    columns: dict[str, list[str]] = {key: [] for key in found}
    for number, cells in enumerate(table[1:], start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue  # blank lines keep their numbers but are not rows
        cells = list(cells) + [""] * (len(table[0]) - len(cells))
        rows.append(number)
        ids.append(_text(cells[id_at], True, number, problems))
        for key, at in found.items():
            columns[key].append(_text(cells[at], False, number, problems))
    return ListFile(p.name, rows, ids, columns, problems)


def _xlsx_rows(path: Path) -> list[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        rows: list[list[Any]] = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python(
            skip_empty_area=False)
        return rows
    except Exception as exc:  # calamine raises its own types for every kind of damaged file
        raise FileProblem(f"{path.name}: 无法读取 Excel 文件 / cannot read the workbook: {exc}") from None


def parse_date(text: str) -> dt.date | None:
    """2020-05-01, 2020/5/1, 2020.5.1 or 20200501; None when it is none of these."""
    s = text.strip()
    if len(s) == 8 and s.isdigit():
        s = f"{s[:4]}-{s[4:6]}-{s[6:]}"
    for sep in ("/", "."):
        s = s.replace(sep, "-")
    parts = s.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
