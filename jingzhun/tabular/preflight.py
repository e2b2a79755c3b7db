"""Look inside an XLSX before a parser does: refuse what would take the reading process down.

An XLSX is a zip of XML parts, and the parsers we use (calamine, through fastexcel and python-calamine)
size their grid from the cells' references: one cell at `XFD1048576` in a 15 KB file asks for a
1,048,576 × 16,384 grid (512 GB) and aborts the process in native code, where Python cannot catch it.
A shared-strings part that unzips to gigabytes is read whole. So, with the zip module only and never
more than a few megabytes in memory:

- the zip: the declared sizes of its parts are summed, and every part a reader opens is unzipped as a
  stream and counted (declared sizes can lie: the zip's CRC check at the end of each part catches a lie);
- the first sheet (the one the readers take): its `<dimension>` is compared with the limits, then the
  whole sheet XML is scanned as a stream for every row and cell reference beyond the template's columns
  or the row limit, for more cells than the limits allow, and for a text longer than Excel's cell limit;
- the shared strings: bounded absolutely, and relative to the sheet that refers to them.

The scan is a handful of C-speed searches per 4 MB of XML in the common case — every `<c>` and `<row>`
carrying its `r` reference first, as Excel, WPS and every writer we know write them (about 0.5 s for a
100,000-row sheet of 144 MB). Anything else (references missing or not first, namespace prefixes) is
walked tag by tag, as calamine would place the cells: slower, exact.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 16_384
EXCEL_MAX_CELL_CHARS = 32_767
# The longest run of bytes without a "<" a cell can need: 32,767 characters of up to 6 bytes each
# (an escaped "&quot;"), with room for the tag around it.
MAX_TEXT_RUN = EXCEL_MAX_CELL_CHARS * 6 + 4096
CHUNK = 1 << 22
SMALL_PART = 64 << 20  # workbook, relationships, styles, content types: kilobytes in any real file
MAX_PARTS = 10_000

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


class Refused(ValueError):
    """The file is beyond what may be read; the message names the place and the rule."""


@dataclass(frozen=True)
class Limits:
    rows: int  # sheet rows, the header included
    columns: int
    unzipped_bytes: int  # all parts a reader opens, unzipped
    shared_strings_bytes: int  # absolute cap; also at most SHARED_PER_SHEET × the sheet + 16 MB

    @property
    def cells(self) -> int:
        return self.rows * self.columns


SHARED_PER_SHEET = 4


def column_letters(number: int) -> str:
    """1 → A, 27 → AA, 16384 → XFD."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def column_number(letters: str) -> int:
    number = 0
    for ch in letters.upper():
        number = number * 26 + ord(ch) - 64
    return number


def _at_most(limit: str, symbols: str) -> bytes:
    """A regex for the strings not greater than `limit` in a positional system whose shorter strings are
    always smaller: decimal numbers without leading zeros (`symbols` the digits) or column letters."""
    digits = symbols[0] == "0"
    lead = "[1-9]" if digits else f"[{symbols[0]}-{symbols[-1]}]"
    every = f"[{symbols[0]}-{symbols[-1]}]"
    options = [f"{lead}{every}{{0,{len(limit) - 2}}}"] if len(limit) > 1 else []
    for i, symbol in enumerate(limit):
        below = symbols[1 if digits and i == 0 else 0:symbols.index(symbol)]
        if below:
            tail = f"{every}{{{len(limit) - i - 1}}}" if i < len(limit) - 1 else ""
            options.append(limit[:i] + (f"[{below[0]}-{below[-1]}]" if len(below) > 1 else below) + tail)
    options.append(limit)
    return ("(?:" + "|".join(options) + ")").encode()


def _part_name(target: str) -> str:
    """A relationship target of xl/workbook.xml as a zip member name."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join("xl", target))


class _Unzipped:
    """One part unzipped as a stream of chunks, refused past `cap` bytes; `size` counts what was read."""

    def __init__(self, stream: IO[bytes], file_name: str, part: str, cap: int, what: tuple[str, str]):
        self.stream, self.file_name, self.part, self.cap, self.what = stream, file_name, part, cap, what
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        while data := self.stream.read(CHUNK):
            self.size += len(data)
            if self.size > self.cap:
                raise Refused(f"{self.file_name}: {self.part} 解压后超过 {self.cap >> 20} MB（{self.what[0]}）/ "
                              f"{self.part} unzips to more than {self.cap >> 20} MB ({self.what[1]})")
            yield data


def check_xlsx(path: Path, limits: Limits) -> None:
    """Refuse (`Refused`) a workbook that reading could not survive or that is beyond the limits."""
    name = path.name
    try:
        with zipfile.ZipFile(path) as book:
            _check_book(book, name, limits)
    except zipfile.BadZipFile as exc:
        raise Refused(f"{name}: 无法读取 Excel 文件，不是有效的 XLSX（zip）/ cannot read the workbook, not a valid "
                      f"XLSX (zip) file: {exc}") from None
    except (EOFError, OSError, RuntimeError, NotImplementedError) as exc:  # damaged or encrypted parts
        raise Refused(f"{name}: 无法读取 Excel 文件 / cannot read the workbook: {exc}") from None


def _check_book(book: zipfile.ZipFile, name: str, limits: Limits) -> None:
    parts = book.infolist()
    if len(parts) > MAX_PARTS:
        raise Refused(f"{name}: 压缩包内有 {len(parts)} 个部件 / the zip holds {len(parts)} parts (at most {MAX_PARTS})")
    declared = sum(p.file_size for p in parts)
    if declared > limits.unzipped_bytes:
        raise Refused(f"{name}: 解压后共 {declared >> 20} MB，超过上限 {limits.unzipped_bytes >> 20} MB / "
                      f"unzips to {declared >> 20} MB, beyond the limit of {limits.unzipped_bytes >> 20} MB")
    members = {p.filename: p for p in parts}
    lower = {p.filename.lower(): p.filename for p in parts}

    def member(part: str) -> str | None:
        return part if part in members else lower.get(part.lower())

    def small(part: str) -> bytes:
        with book.open(part) as f:
            data = b"".join(_Unzipped(f, name, part, SMALL_PART, ("工作簿结构", "workbook structure")))
        if b"<!ENTITY" in data:  # entity expansion is a memory bomb of its own; no workbook needs it
            raise Refused(f"{name}: {part} 含有实体声明 / {part} declares XML entities")
        return data

    unzipped = 0
    # The small parts every reader opens (content types, relationships, workbook, styles): read whole,
    # within their cap. Worksheets other than the first, drawings and images are never opened.
    for part in members:
        low = part.lower()
        if low.endswith((".xml", ".rels")) and not low.startswith(("xl/worksheets/", "xl/drawings/", "xl/charts/",
                                                                   "xl/media/")) and "sharedstrings" not in low:
            unzipped += len(small(part))
    workbook = member("xl/workbook.xml")
    rels_name = member("xl/_rels/workbook.xml.rels")
    if workbook is None or rels_name is None:
        raise Refused(f"{name}: 不是 Excel 工作簿（缺少 xl/workbook.xml）/ not an Excel workbook (no xl/workbook.xml)")
    try:
        first = ET.fromstring(small(workbook)).find(f"{MAIN}sheets/{MAIN}sheet")
        rels = ET.fromstring(small(rels_name))
    except ET.ParseError as exc:
        raise Refused(f"{name}: 工作簿结构损坏 / the workbook's structure is damaged: {exc}") from None
    rid = first.get(f"{REL}id") if first is not None else None
    target = next((r.get("Target", "") for r in rels if r.get("Id") == rid), None)
    sheet = member(_part_name(target)) if target else None
    if sheet is None:
        raise Refused(f"{name}: 找不到第一个工作表 / the workbook's first sheet is missing")
    sheet_size = _scan_sheet(book, sheet, name, limits)
    unzipped += sheet_size
    if unzipped > limits.unzipped_bytes:
        raise Refused(f"{name}: 解压后超过 {limits.unzipped_bytes >> 20} MB / unzips to more than "
                      f"{limits.unzipped_bytes >> 20} MB")
    shared_cap = min(limits.shared_strings_bytes, SHARED_PER_SHEET * sheet_size + (16 << 20),
                     limits.unzipped_bytes - unzipped)
    for part in members:
        if "sharedstrings" in part.lower():  # wherever a reader might look for it
            with book.open(part) as f:
                shared = _Unzipped(f, name, part, max(shared_cap, 0),
                                   ("共享字符串，相对工作表过大", "shared strings, too large for the sheet"))
                for _ in shared:
                    pass
            unzipped += shared.size


def _limit_patterns(limits: Limits) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """Searches for the unusual `<c>` and `<row>` tags: any whose first attribute is not a reference
    within the limits (a cell's column and row, a row's number). Found, a tag is looked at in Python."""
    col_ok = _at_most(column_letters(limits.columns), "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    row_ok = _at_most(str(limits.rows), "0123456789")
    cell = re.compile(rb'<c(?=[\s/>])(?! r="' + col_ok + row_ok + rb'")')
    row = re.compile(rb'<row(?=[\s/>])(?! r="' + row_ok + rb'")')
    return cell, row


_PREFIXED = re.compile(rb"<[\w.-]+:(?:c|row)[\s/>]")
_REF = re.compile(rb'\sr\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_CELL_REF = re.compile(r"\s*([A-Za-z]{1,4})0*([0-9]{1,9})\s*")
_ROW_REF = re.compile(r"\s*0*([0-9]{1,9})\s*")
_TAG = re.compile(rb"<(/?)(?:[\w.-]+:)?(row|c)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ROW_START = re.compile(rb'<row r="([0-9]{1,9})"')
_DIMENSION = re.compile(rb'<(?:[\w.-]+:)?dimension\b[^>]*\bref\s*=\s*["\']([^"\']*)["\']')


class _Sheet:
    """What the scan has seen so far, and the refusals worded with it."""

    def __init__(self, file_name: str, limits: Limits):
        self.file_name, self.limits = file_name, limits
        self.cells = 0
        self.last_row = 0  # the last row reference seen: where a refusal says it happened

    def beyond_column(self, ref: str, column: int) -> Refused:
        last = column_letters(self.limits.columns)
        return Refused(f"{self.file_name}: 单元格 {ref} 超出模板的 {self.limits.columns} 列（最后一列 {last}）/ "
                       f"cell {ref} is beyond the template's {self.limits.columns} columns (the last is {last})")

    def beyond_row(self, row: int) -> Refused:
        return Refused(f"{self.file_name}: 第{row}行超出行数上限 {self.limits.rows:,} 行 / row {row:,} is beyond "
                       f"the limit of {self.limits.rows:,} rows (Excel's own limit is {EXCEL_MAX_ROWS:,})")

    def too_many_cells(self) -> Refused:
        return Refused(f"{self.file_name}: 单元格超过 {self.limits.cells:,} 个（第{self.last_row}行附近）/ more than "
                       f"{self.limits.cells:,} cells ({self.limits.rows:,} rows × {self.limits.columns} columns), "
                       f"near row {self.last_row:,}")

    def cell(self, ref: str) -> tuple[int, int]:
        found = _CELL_REF.fullmatch(ref)
        if found is None:
            raise Refused(f"{self.file_name}: 单元格引用“{ref[:20]}”无效（第{self.last_row}行附近）/ invalid cell "
                          f"reference {ref[:20]!r} near row {self.last_row:,}")
        column, row = column_number(found.group(1)), int(found.group(2))
        if column > self.limits.columns:
            raise self.beyond_column(ref.strip(), column)
        if row > self.limits.rows:
            raise self.beyond_row(row)
        return row, column

    def row(self, ref: str) -> int:
        found = _ROW_REF.fullmatch(ref)
        if found is None:
            raise Refused(f"{self.file_name}: 行号“{ref[:20]}”无效（第{self.last_row}行之后）/ invalid row number "
                          f"{ref[:20]!r} after row {self.last_row:,}")
        row = int(found.group(1))
        if row > self.limits.rows:
            raise self.beyond_row(row)
        return row


def _ref_of(attributes: bytes) -> str | None:
    found = _REF.search(attributes)
    if found is None:
        return None
    return (found.group(1) if found.group(1) is not None else found.group(2)).decode("ascii", "replace")


class _Pieces:
    """The sheet XML in pieces that end just before a "<": no tag is ever cut in two. A run of more
    than MAX_TEXT_RUN bytes without a "<" is a text no cell can hold."""

    def __init__(self, chunks: _Unzipped, state: _Sheet):
        self.chunks, self.state = chunks, state

    def __iter__(self) -> Iterator[bytes]:
        carry = b""
        for data in self.chunks:
            buf = carry + data
            cut = buf.rfind(b"<")
            piece, carry = (buf[:cut], buf[cut:]) if cut > 0 else (b"", buf)
            if len(carry) > MAX_TEXT_RUN or _has_long_run(piece):
                raise self._too_long(buf)
            if piece:
                yield piece
        if carry:
            yield carry

    def _too_long(self, buf: bytes) -> Refused:
        s = self.state
        rows = list(_ROW_START.finditer(buf))  # the row the long text is in, when its tag is at hand
        if rows:
            s.last_row = int(rows[-1].group(1))
        return Refused(f"{s.file_name}: 第{s.last_row}行附近有超过 Excel 单元格上限（{EXCEL_MAX_CELL_CHARS:,} 字符）的内容 / "
                       f"text longer than an Excel cell can hold ({EXCEL_MAX_CELL_CHARS:,} characters) near row "
                       f"{s.last_row:,}")


def _has_long_run(piece: bytes) -> bool:
    """Whether the piece holds a run of MAX_TEXT_RUN bytes without a "<": such a run covers a whole
    aligned window of half that size, and a window is looked at by one memchr (40 per 4 MB piece)."""
    window = MAX_TEXT_RUN // 2
    return any(piece.find(b"<", start, start + window) < 0 for start in range(0, len(piece) - window + 1, window))


def _scan_sheet(book: zipfile.ZipFile, part: str, file_name: str, limits: Limits) -> int:
    """Scan the first sheet; returns its unzipped size."""
    state = _Sheet(file_name, limits)
    odd_cell, odd_row = _limit_patterns(limits)
    with book.open(part) as f:
        chunks = _Unzipped(f, file_name, part, limits.unzipped_bytes, ("工作表", "worksheet"))
        exact = False
        for number, piece in enumerate(_Pieces(chunks, state)):
            if number == 0:
                _check_dimension(piece, state)
            exact = b":" in piece and _PREFIXED.search(piece) is not None
            for pattern, check in ((odd_row, state.row), (odd_cell, state.cell)):
                for found in pattern.finditer(piece):
                    tag = piece[found.start():found.start() + 64]
                    if not tag.startswith((b'<c r="', b'<row r="')):
                        exact = True  # a reference missing, or not first: placed tag by tag below
                        break
                    check(_ref_of(tag) or "")  # refuses a reference beyond the limits
            if exact:
                break
            rows = list(_ROW_START.finditer(piece, max(0, len(piece) - 4096)))
            if rows:
                state.last_row = int(rows[-1].group(1))
            state.cells += piece.count(b'<c r="')
            if state.cells > limits.cells:
                raise state.too_many_cells()
    if exact:  # from the start again, tag by tag
        state = _Sheet(file_name, limits)
        with book.open(part) as f:
            chunks = _Unzipped(f, file_name, part, limits.unzipped_bytes, ("工作表", "worksheet"))
            _walk(_Pieces(chunks, state), state)
    return chunks.size


def _check_dimension(head: bytes, state: _Sheet) -> None:
    """The range the sheet says it covers (a writer's claim, checked before the cells themselves)."""
    found = _DIMENSION.search(head)
    if found is None:
        return
    ref = found.group(1).decode("ascii", "replace")
    end = ref.split(":")[-1]
    cell = _CELL_REF.fullmatch(end)
    if cell is None:
        return  # a malformed claim: the cells decide
    column, row = column_number(cell.group(1)), int(cell.group(2))
    if column > state.limits.columns or row > state.limits.rows:
        last = column_letters(state.limits.columns)
        raise Refused(f"{state.file_name}: 工作表范围 {ref} 超出模板（最多 {state.limits.columns} 列，即 A–{last}；"
                      f"{state.limits.rows:,} 行）/ the sheet's range {ref} is beyond the template "
                      f"({state.limits.columns} columns, A–{last}; {state.limits.rows:,} rows)")


def _walk(pieces: _Pieces, state: _Sheet) -> None:
    """Every `<row>` and `<c>` placed as calamine places them: a reference where there is one, else the
    next row, or the next cell of the row."""
    row, column = 0, 0
    for piece in pieces:
        for found in _TAG.finditer(piece):
            closing, tag, attributes = found.groups()
            if closing:
                continue
            ref = _ref_of(attributes)
            if tag == b"row":
                row = state.row(ref) if ref is not None else row + 1
                if row > state.limits.rows:
                    raise state.beyond_row(row)
                state.last_row, column = row, 0
                continue
            if ref is not None:
                cell_row, column = state.cell(ref)
                row = max(row, cell_row)
            else:
                column += 1
                if column > state.limits.columns:
                    raise state.beyond_column(f"{column_letters(column)}{row}", column)
            state.cells += 1
            if state.cells > state.limits.cells:
                raise state.too_many_cells()
