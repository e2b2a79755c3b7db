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

from jingzhun.tabular.read import FileProblem, detect_encoding

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
    if suffix in (".xlsx", ".xlsm"):
        header, numbers, cells = _from_rows(_xlsx_rows(p))
    elif suffix in (".csv", ".txt"):
        header, numbers, cells = _csv_columns(p)
    else:
        raise FileProblem(f"{p.name}: 只支持 .csv 和 .xlsx / only .csv and .xlsx files are accepted")
    if not header:
        raise FileProblem(f"{p.name}: 文件为空 / the file is empty")
    id_at, found = locate([str(h) for h in header], rule, p.name)
    problems: list[tuple[int, str, str, str]] = []
    ids = _texts(cells[id_at], numbers, True, problems)
    columns = {key: _texts(cells[at], numbers, False, problems) for key, at in found.items()}
    return ListFile(p.name, numbers, ids, columns, problems)


def _texts(column: list[Any], numbers: list[int], is_id: bool, problems: list[tuple[int, str, str, str]]) -> list[str]:
    # Column-wise: a column of text cells (every CSV, most workbooks) is only trimmed; only a column
    # holding numbers or dates pays for converting cell by cell.
    if all(type(v) is str for v in column):
        return [v.strip() for v in column]
    return [_text(v, is_id, n, problems) for v, n in zip(column, numbers)]


Columns = tuple[list[str], list[int], list[list[Any]]]  # header, row numbers, cells by column


def _from_rows(table: list[list[Any]]) -> Columns:
    """Rows (the header first) → columns, blank rows dropped, each row keeping its spreadsheet number."""
    if not table:
        return [], [], []
    header = [str(h) for h in table[0]]
    width = len(header)
    numbers, kept = [], []
    for number, cells in enumerate(table[1:], start=2):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue  # blank lines keep their numbers but are not rows
        numbers.append(number)
        kept.append((list(cells) + [""] * width)[:width])
    return header, numbers, [list(col) for col in zip(*kept)] if kept else [[] for _ in header]


def _csv_columns(path: Path) -> Columns:
    """Arrow's CSV parser (C++), every cell as text. Records, not lines, are numbered: a quoted cell
    with a line break is one row, as a spreadsheet shows it."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    encoding = detect_encoding(path)
    try:
        with path.open("rb") as raw:
            first = raw.readline().decode("utf-8-sig" if encoding.startswith("utf-8") else encoding)
    except UnicodeDecodeError:
        raise FileProblem(f"{path.name}: 既不是 UTF-8 也不是 GBK/GB18030 编码 / not UTF-8 or GBK/GB18030") from None
    header = next(csv.reader([first]), [])
    if not header:
        return [], [], []
    names = [f"c{i}" for i in range(len(header))]
    irregular = False

    def on_invalid_row(row: Any) -> str:
        nonlocal irregular
        irregular = True
        return "skip"

    try:
        data = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           encoding="utf8" if encoding.startswith("utf-8") else encoding),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                             invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise FileProblem(f"{path.name}: CSV 格式错误（列数不一致或引号不配对）/ malformed CSV: {exc}") from None
    if irregular:
        # Blank lines or rows of another width: the csv module numbers them as a spreadsheet would.
        with path.open("r", encoding="utf-8-sig" if encoding.startswith("utf-8") else encoding, newline="") as text:
            return _from_rows([list(r) for r in csv.reader(text)])
    # A blank line arrives as a row of empty cells: dropped, after numbering, so later rows keep theirs.
    import pyarrow.compute as pc

    filled = None
    for n in names:
        has = pc.not_equal(pc.utf8_trim_whitespace(data.column(n)), "")
        filled = has if filled is None else pc.or_(filled, has)
    numbers = pa.array(range(2, data.num_rows + 2), pa.int64())
    if filled is not None and not pc.all(filled).as_py():
        data, numbers = data.filter(filled), numbers.filter(filled)
    return header, numbers.to_pylist(), [data.column(n).to_pylist() for n in names]


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
