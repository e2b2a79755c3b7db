"""Read an import file (CSV in UTF-8 or GBK/GB18030, or XLSX) into an Arrow table of strings: the one reader
of every importer, parameterised by the file's `Spec`.

Every cell arrives as text exactly as the officer typed it (trimmed later by the checks), plus `_row`: the
row number a spreadsheet shows (the header is row 1), so every problem can name its place. Columns are
renamed from the Chinese headers (or English aliases) to the spec's keys; unknown columns are dropped.
Within `Limits`, and an XLSX only after `preflight` has looked at it (docs/security.md, "Hostile files").
"""

from __future__ import annotations

import codecs
import contextvars
import datetime as dt
import logging
import os
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from jingzhun.db import scratch
from jingzhun.identity import mask_id_like
from jingzhun.tabular import preflight
from jingzhun.tabular.spec import FileProblem, Spec

__all__ = ["FileProblem", "Limits", "RawTable", "current_limits", "default_limits", "limited",
           "read_any", "read_csv", "read_xlsx"]


@dataclass
class RawTable:
    table: pa.Table  # columns: _row, then the spec's keys present in the file (all strings)
    encoding: str
    file_name: str


@dataclass(frozen=True)
class Limits:
    """What a file may hold before it is refused while reading (docs/security.md, "Hostile files")."""

    rows: int  # rows of the file, the header included (an XLSX also at most Excel's 1,048,576)
    columns: int  # XLSX: cells beyond this column are refused (the template has 47)
    unzipped_bytes: int  # XLSX: the parts a reader opens, unzipped
    shared_strings_bytes: int  # XLSX: the shared-strings part (also bounded by the sheet's size)

    def for_xlsx(self) -> preflight.Limits:
        return preflight.Limits(rows=min(self.rows, preflight.EXCEL_MAX_ROWS),
                                columns=min(self.columns, preflight.EXCEL_MAX_COLUMNS),
                                unzipped_bytes=self.unzipped_bytes, shared_strings_bytes=self.shared_strings_bytes)


_limits: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("import_limits", default=None)
_shown_name: contextvars.ContextVar[str | None] = contextvars.ContextVar("import_file_name", default=None)


def default_limits() -> Limits:
    """The command line's limits (settings `IMPORT_MAX_*`): a million-household register still reads."""
    from django.conf import settings

    return Limits(rows=settings.IMPORT_MAX_ROWS, columns=settings.IMPORT_MAX_COLUMNS,
                  unzipped_bytes=settings.IMPORT_MAX_UNZIPPED_MB << 20,
                  shared_strings_bytes=settings.IMPORT_MAX_SHARED_STRINGS_MB << 20)


def current_limits() -> Limits:
    return _limits.get() or default_limits()


@contextmanager
def limited(limits: Limits, *, file_name: str | None = None) -> Iterator[None]:
    """Read with these limits inside the block (a web upload's are lower than the command line's) and,
    given `file_name`, name the file so in every message and record (a web upload is stored under a
    generated name; the officer knows it by their own)."""
    tokens = _limits.set(limits), _shown_name.set(file_name)
    try:
        yield
    finally:
        _limits.reset(tokens[0])
        _shown_name.reset(tokens[1])


class _NotUtf8(Exception):
    """Arrow met bytes that are not UTF-8 while parsing."""


MAX_HEADER_BYTES = 1 << 16  # the template's header is about 1 KB
BLOCK = 1 << 24  # Arrow's block: a line longer than this cannot be parsed (and no row of the template is)


def read_csv(path: Path, spec: Spec, limits: Limits | None = None) -> RawTable:
    """The file parsed as UTF-8 when its start is UTF-8 — Arrow checks every cell as it parses, so
    the rest of the file costs no second pass — else (or when Arrow finds otherwise further on) as
    GB18030, which Arrow transcodes block by block as it reads: no plain copy is ever written.

    Before Arrow sees the file, one pass at memchr speed counts its lines against the row limit (a
    file of blank lines would otherwise become 47 empty cells a line) and looks for NUL bytes, which
    no register cell holds and PostgreSQL cannot store."""
    limits = limits or current_limits()
    _scan_csv(path, limits)
    encoding = _likely_encoding(path)
    if encoding != "gb18030":
        try:
            return _read_text(path, encoding, spec)
        except _NotUtf8:
            encoding = "gb18030"  # a GBK file whose first megabyte happens to be valid UTF-8
    return _read_text(path, encoding, spec)


def _scan_csv(path: Path, limits: Limits) -> None:
    lines, nul_at = 0, -1
    with path.open("rb") as f:
        offset = 0
        while chunk := f.read(1 << 24):
            lines += chunk.count(b"\n")
            if nul_at < 0 and (found := chunk.find(b"\x00")) >= 0:
                nul_at = offset + found
            offset += len(chunk)
            if lines >= limits.rows:
                raise FileProblem(f"{path.name}: 超过 {limits.rows:,} 行（行数上限）/ more than {limits.rows:,} rows "
                                  "(the row limit)")
    if nul_at >= 0:
        row, column = _place_of(path, nul_at)
        raise FileProblem(f"{path.name}: 第{row}行第{column}列含有空字符（NUL）/ row {row}, column {column}: a NUL "
                          "character, which no cell of the template holds (is the file UTF-16?)")


def _place_of(path: Path, offset: int) -> tuple[int, int]:
    """The row (the header is row 1) and column (counted by commas, as a plain reading sees them) of a
    byte of the file, reading at most one 16 MB block at a time."""
    row, column = 1, 1
    with path.open("rb") as f:
        done = 0
        while done < offset and (chunk := f.read(min(1 << 24, offset - done))):
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                row += chunk.count(b"\n")
                column = 1 + chunk.count(b",", newline)
            else:
                column += chunk.count(b",")
            done += len(chunk)
    return row, column


def _likely_encoding(path: Path, sample_bytes: int = 1 << 20) -> str:
    with path.open("rb") as f:
        head = f.read(sample_bytes)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # may end mid-character
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def _header(path: Path, encoding: str) -> list[str]:
    """The header row's cells, read within MAX_HEADER_BYTES (a file that is one long line is refused,
    not read whole into memory)."""
    import csv

    with path.open("rb") as f:
        line = f.readline(MAX_HEADER_BYTES + 1)
    if len(line) > MAX_HEADER_BYTES:
        raise FileProblem(f"{path.name}: 第1行（表头）超过 {MAX_HEADER_BYTES >> 10} KB，没有换行？/ row 1 (the header) "
                          f"is longer than {MAX_HEADER_BYTES >> 10} KB: no line breaks?")
    try:
        text = line.decode("utf-8-sig" if encoding != "gb18030" else encoding)
    except UnicodeDecodeError:
        if encoding == "gb18030":
            raise FileProblem(f"{path.name}: 既不是 UTF-8 也不是 GBK/GB18030 编码 / not UTF-8 or GBK/GB18030") from None
        raise _NotUtf8() from None
    return next(csv.reader([text])) if text.strip("\r\n") else []


def _read_text(path: Path, encoding: str, spec: Spec) -> RawTable:
    names = _header(path, encoding)
    if not names:
        raise FileProblem(f"{path.name}: 文件为空 / the file is empty")
    keys = spec.map_headers(names, path.name)
    # Unknown columns are read too (so the CSV stays rectangular) and dropped afterwards.
    column_names = [k if k is not None else f"_ignored{i}" for i, k in enumerate(keys)]
    arrow_encoding = "gb18030" if encoding == "gb18030" else "utf8"
    table = _parse_csv(path, column_names, path.name, newlines_in_values=False, encoding=arrow_encoding)
    if table is None:
        # A quoted cell with a line break splits the row in the fast parallel parse; only then
        # pay for the serial parser that understands it.
        table = _parse_csv(path, column_names, path.name, newlines_in_values=True, encoding=arrow_encoding)
    assert table is not None
    table = table.select([n for n in column_names if not n.startswith("_ignored")])
    rows = pa.array(np.arange(2, table.num_rows + 2, dtype=np.int64))  # not a Python int per row
    table = table.add_column(0, "_row", rows)
    _refuse_long_cells(table, path.name, spec)
    return RawTable(_drop_empty_rows(table), encoding, path.name)


def _refuse_long_cells(table: pa.Table, file_name: str, spec: Spec) -> None:
    """A cell longer than Excel's 32,767 characters is no register value: refused, naming its place
    (the check reads each column's offsets only, unless a long cell is there)."""
    import pyarrow.compute as pc

    limit = preflight.EXCEL_MAX_CELL_CHARS
    for name in table.column_names[1:]:
        column = table.column(name)
        longest = pc.max(pc.binary_length(column)).as_py()
        if longest is None or longest <= limit:
            continue
        lengths = pc.utf8_length(column)
        if pc.max(lengths).as_py() <= limit:
            continue
        at = pc.index(pc.greater(lengths, limit), True).as_py()
        row = table.column("_row")[at].as_py()
        header = spec.header_of(name)
        raise FileProblem(f"{file_name}: 第{row}行“{header}”超过 {limit:,} 个字符 / row {row}, column {header}: "
                          f"longer than {limit:,} characters (Excel's limit for a cell)")


def _drop_empty_rows(table: pa.Table) -> pa.Table:
    """Blank lines (and rows of empty cells) are skipped, as they are in XLSX, after numbering so
    the rows below them keep the numbers the officer sees."""
    import pyarrow.compute as pc

    if table.num_columns < 2 or not pc.any(pc.equal(table.column(1), "")).as_py():
        return table  # an empty row has an empty first cell: the common case costs one column
    filled = None
    for name in table.column_names[1:]:
        has = pc.not_equal(table[name], "")
        filled = has if filled is None else pc.or_(filled, has)
    return table if filled is None or pc.all(filled).as_py() else table.filter(filled)


def _parse_csv(source: Path, column_names: list[str], file_name: str, *, newlines_in_values: bool,
               encoding: str = "utf8") -> pa.Table | None:
    """Arrow's CSV parser; None from the fast mode (no line breaks inside quotes) when the file
    needs the careful one. A `encoding` other than UTF-8 is transcoded by Arrow as it reads, in memory."""
    bad = False

    def on_invalid_row(row: pacsv.InvalidRow) -> str:
        nonlocal bad
        bad = True
        return "skip"

    try:
        table = pacsv.read_csv(
            source,
            read_options=pacsv.ReadOptions(column_names=column_names, skip_rows=1, encoding=encoding, block_size=BLOCK),
            # Blank lines are kept (as rows of empty cells) so row numbers stay the spreadsheet's.
            parse_options=pacsv.ParseOptions(newlines_in_values=newlines_in_values, ignore_empty_lines=False,
                                             invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in column_names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except UnicodeDecodeError as exc:  # from the transcoding of a file that is not GB18030 either
        raise FileProblem(f"{file_name}: 既不是 UTF-8 也不是 GBK/GB18030 编码 / not UTF-8 or GBK/GB18030 ({exc.reason})") from None
    except pa.ArrowInvalid as exc:
        if "invalid UTF8" in str(exc):
            raise _NotUtf8() from None
        if "straddling" in str(exc) or "block size" in str(exc):
            row = _long_line(source)
            raise FileProblem(f"{file_name}: 第{row}行超过 {BLOCK >> 20} MB，没有换行？/ row {row} is longer than "
                              f"{BLOCK >> 20} MB: no line breaks?") from None
        if not newlines_in_values:
            return None
        raise FileProblem(f"{file_name}: CSV 格式错误（引号不配对？）/ malformed CSV (unbalanced quotes?)") from None
    if bad:
        if not newlines_in_values:
            return None
        # A row with the wrong number of cells cannot be placed in its household safely, so the
        # whole file is refused, even in valid-households-only mode.
        raise FileProblem(f"{file_name}: 行列数不对 / rows with a wrong number of cells: "
                          + _describe_bad_rows(source, len(column_names), "utf-8-sig" if encoding == "utf8" else encoding))
    return table


def _long_line(source: Path) -> int:
    """The number of the first line longer than an Arrow block, reading a block at a time (error path)."""
    row, length = 1, 0
    with source.open("rb") as f:
        while chunk := f.read(BLOCK):
            start = 0
            while (newline := chunk.find(b"\n", start)) >= 0:
                if length + newline - start > BLOCK:
                    return row
                row, length, start = row + 1, 0, newline + 1
            length += len(chunk) - start
            if length > BLOCK:
                return row
    return row


def _describe_bad_rows(source: Path, expected: int, encoding: str = "utf-8-sig") -> str:
    """Which rows have the wrong number of cells, as the officer numbers them (the header is row 1).

    Arrow does not number rows when quoted cells may contain line breaks, so on this error path
    (only) the csv module reads the file again. Cell contents are never shown: they may hold IDs.
    """
    import csv

    found = []
    csv.field_size_limit(BLOCK)  # a long cell is refused later, with its place
    row_number = 1
    with source.open(encoding=encoding, newline="") as f:
        try:
            for row_number, cells in enumerate(csv.reader(f), start=1):
                if row_number > 1 and cells and len(cells) != expected:
                    found.append(f"第{row_number}行 / row {row_number}: {len(cells)} 列，应为 {expected} 列 / columns")
        except csv.Error:  # a cell past the field limit: no line break for megabytes
            row_number += 1
            found.append(f"第{row_number}行 / row {row_number}: 超过 {BLOCK >> 20} MB / longer than {BLOCK >> 20} MB")
    shown = "；".join(found[:20]) + ("……" if len(found) > 20 else "")
    return f"{len(found)} 行 / rows — {shown}"


def _cell_text(value: object, key: str | None, row: int, problems: list[tuple[int, str, str]],
               text_only: frozenset[str] = frozenset()) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if key in text_only:
            # Excel keeps 15 significant digits: an 18-digit ID typed into a number cell is already
            # damaged (and the X check character impossible). Refuse it rather than guess.
            problems.append((row, key, "以数字格式保存，已丢失位数；请将该列设为文本 / stored as a number, digits lost; format as text"))
            return ""
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_xlsx(path: Path, spec: Spec, limits: Limits | None = None) -> tuple[RawTable, list[tuple[int, str, str]]]:
    """The first sheet: the fast reader when every cell is text (as in the template and in exports),
    else cell by cell, so numbers, dates and booleans typed into cells are shown as before.

    Neither reader sees the file before `preflight.check_xlsx` has: a workbook whose cells reach past
    the template's columns or the row limit, or that unzips to more than the limits, would make them
    size memory from its claims and abort the process (docs/security.md)."""
    try:
        preflight.check_xlsx(path, (limits or current_limits()).for_xlsx())
    except preflight.Refused as exc:
        raise FileProblem(str(exc)) from None
    raw = None if _typed_cells_ahead(path) else _read_xlsx_text(path, spec)
    problems: list[tuple[int, str, str]] = []
    if raw is None:
        raw, problems = _read_xlsx_cells(path, spec)
    _refuse_nul(raw.table, path.name, spec)
    _refuse_long_cells(raw.table, path.name, spec)
    return raw, problems  # text cells raise no cell problems: only numbers can have lost digits


def _refuse_nul(table: pa.Table, file_name: str, spec: Spec) -> None:
    """NUL is no character of a register value, and PostgreSQL cannot store it: refused with its place."""
    import pyarrow.compute as pc

    for name in table.column_names[1:]:
        has = pc.match_substring(table.column(name), "\x00")
        if pc.any(has).as_py():
            row = table.column("_row")[pc.index(has, True).as_py()].as_py()
            header = spec.header_of(name)
            raise FileProblem(f"{file_name}: 第{row}行“{header}”含有空字符（NUL）/ row {row}, column {header}: a NUL "
                              "character, which no cell of the template holds")


_TEXT_CELL_TYPES = {b"s", b"str", b"inlineStr"}  # shared string, formula's text result, inline string
_VALUE_CELL = re.compile(rb"<c\b([^>]*)>(?:<f\b[^>]*/>|<f\b[^>]*>[^<]*</f>)?<v>")  # a cell's attributes, if it has a <v>
_CELL_TYPE = re.compile(rb'\bt="(\w+)"')


def _typed_cells_ahead(path: Path) -> bool:
    """Whether the first 64 KB of the first sheet's XML already hold a number, date, boolean or error
    cell, as an officer's own workbook does in its first rows (a year, an amount). A shortcut only,
    past the fast reader, which would find out too, but after parsing the whole sheet (2 s at 100,000
    rows); any doubt (an unusual or damaged file) is left to the readers."""
    import xml.etree.ElementTree as ET

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        with zipfile.ZipFile(path) as book:

            def start(part: str, size: int) -> bytes:  # never more than this decompressed, whatever the file
                with book.open(part) as f:
                    return f.read(size)

            first = ET.fromstring(start("xl/workbook.xml", 1 << 20)).find(f"{main}sheets/{main}sheet")
            rid = first.get(f"{rel}id") if first is not None else None
            rels = ET.fromstring(start("xl/_rels/workbook.xml.rels", 1 << 20))
            target = next(r.get("Target", "") for r in rels if r.get("Id") == rid)
            head = start(target.lstrip("/") if target.startswith("/") else "xl/" + target, 1 << 16)
    except Exception:  # not this function's to judge the file
        return False
    for attributes in _VALUE_CELL.findall(head):
        cell_type = _CELL_TYPE.search(attributes)
        if cell_type is None or cell_type.group(1) not in _TEXT_CELL_TYPES:
            return True
    return False


# fastexcel warns (through logging) about every column it finds no typed cell in; for this reader
# an empty column is normal, so only its errors are of interest.
logging.getLogger("fastexcel.types.dtype").setLevel(logging.ERROR)


def _read_xlsx_text(path: Path, spec: Spec) -> RawTable | None:
    """fastexcel builds the Arrow columns in Rust, without a Python object per cell. None when the
    sheet holds any cell that is not text (or cannot be read): `_read_xlsx_cells` then decides.

    The sheet is read headerless (so the header is row 0, as the officer's row 1, and no leading
    row is skipped) with each column's type guessed from all of its cells, strictly: a column that
    mixes text with numbers, dates or booleans is an error rather than text made from them. Cells that
    guess as null (empty, errors such as #N/A, and texts like "NA") keep their text in a text column.
    """
    import fastexcel

    def load() -> pa.RecordBatch:
        # Eager: the Arrow batch is built with the sheet, a second faster than a lazy sheet's to_arrow().
        return fastexcel.read_excel(str(path)).load_sheet(
            0, header_row=None, skip_rows=0, schema_sample_rows=None, dtype_coercion="strict", eager=True)

    # fastexcel parses without holding the GIL. Meanwhile this thread pays pyarrow's one-time cost of
    # its first conversion of a Python value (it imports pandas, where installed: 0.2–0.5 s), which
    # the steps after the parse, and validation, would otherwise pay after it.
    with ThreadPoolExecutor(1, thread_name_prefix="xlsx-parse") as pool:
        loading = pool.submit(load)
        pa.scalar("")
        try:
            batch = loading.result()
        except fastexcel.FastExcelError:
            return None  # damaged, or a column mixes types: the cell-by-cell reader decides (and words the message)
    if batch.num_rows == 0 or not all(pa.types.is_string(t) or pa.types.is_null(t) for t in batch.schema.types):
        return None  # empty, or a column of numbers, dates or booleans only
    import pyarrow.compute as pc

    columns = [pc.fill_null(col.cast(pa.string()), "") for col in batch.columns]  # empty cells are null
    keys = spec.map_headers([col[0].as_py() for col in columns], path.name)
    data = [col.slice(1) for col in columns]
    # Rows with no cell filled (in any column, known or not) are skipped after numbering, as in
    # `_read_xlsx_cells`.
    filled = None
    for col in data:
        has = pc.not_equal(col, "")
        filled = has if filled is None else pc.or_(filled, has)
    arrays = {"_row": pa.array(np.arange(2, batch.num_rows + 1, dtype=np.int64))}
    arrays.update((key, col) for key, col in zip(keys, data) if key is not None)
    table = pa.table(arrays)
    if filled is not None and not pc.all(filled).as_py():
        table = table.filter(filled)
    return RawTable(table, "xlsx", path.name)


def _read_xlsx_cells(path: Path, spec: Spec) -> tuple[RawTable, list[tuple[int, str, str]]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
        sheet = book.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own types for every kind of damaged file
        raise FileProblem(f"{path.name}: 无法读取 Excel 文件 / cannot read the workbook: {exc}") from None
    if not rows:
        raise FileProblem(f"{path.name}: 文件为空 / the file is empty")
    keys = spec.map_headers([str(v) for v in rows[0]], path.name)
    width = len(keys)
    problems: list[tuple[int, str, str]] = []
    row_numbers, kept = [], []
    for i, values in enumerate(rows[1:], start=2):
        if not any(values) and all(v in (None, "") for v in values):  # any() first: C speed, rarely false
            continue  # Excel leaves formatted-but-empty rows at the end
        row_numbers.append(i)
        kept.append(values if len(values) == width else (list(values) + [""] * width)[:width])
    del rows
    arrays = {"_row": pa.array(row_numbers, type=pa.int64())}
    # Column by column: a column of text cells (the template's own format) goes to Arrow as it is;
    # only a column holding numbers, dates or booleans pays for converting cell by cell.
    for j, column in enumerate(zip(*kept) if kept else [() for _ in keys]):
        key = keys[j]
        if key is None:
            continue
        if set(map(type, column)) - {str}:
            column = tuple(_cell_text(v, key, row, problems, spec.text_only_keys) for v, row in zip(column, row_numbers))
        arrays[key] = pa.array(column, type=pa.string())
    return RawTable(pa.table(arrays), "xlsx", path.name), problems


def read_any(path: str | os.PathLike[str], spec: Spec) -> tuple[RawTable, list[tuple[int, str, str]]]:
    """Read the file within the current limits (`limited`). Every import starts here, so this is where
    the scratch folders of killed imports are swept (`jingzhun.db.scratch`)."""
    scratch.sweep()
    p = Path(path)
    given = _shown_name.get()
    # The name every message, report, batch and audit row carries: an ID in it ("433130…-王小川.csv", a
    # household's file named by its head) shown masked, as every ID is.
    shown = mask_id_like(p.name if given is None else given)
    try:
        raw, problems = _read_any(p, spec)
    except FileProblem as exc:
        text = str(exc) if given is None else str(exc).replace(str(p), shown)
        raise FileProblem(text.replace(p.name, shown)) from None
    raw.file_name = shown
    return raw, problems


def _read_any(p: Path, spec: Spec) -> tuple[RawTable, list[tuple[int, str, str]]]:
    if not p.is_file():
        raise FileProblem(f"{p}: 文件不存在 / no such file")
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(p, spec)
    if suffix in (".csv", ".txt"):
        return read_csv(p, spec), []
    raise FileProblem(f"{p.name}: 只支持 .csv 和 .xlsx / only .csv and .xlsx files are accepted")
