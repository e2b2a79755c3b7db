"""Hostile import files, made on demand (the large ones are kilobytes zipped, hundreds of megabytes unzipped).

`python -m tests.hostile_files [DIR] [--all]` writes them into DIR (tests/fixtures/hostile/ holds the small
ones, committed; `--all` adds the large ones). Every workbook is a real zip of the XML parts Excel writes, built by hand so that its
cells can be placed where no spreadsheet program would put them.
"""

from __future__ import annotations

import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

from jingzhun.registry import template

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="户成员" sheetId="1" r:id="rId1"/></sheets></workbook>')
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>')
SHEET_START = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet '
               'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dimension}<sheetData>')
SHEET_END = "</sheetData></worksheet>"


def column(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_cell(ref: str | None, value: str) -> str:
    where = f' r="{ref}"' if ref else ""
    return f'<c{where} t="inlineStr"><is><t>{value}</t></is></c>'


def header_row(refs: bool = True) -> str:
    cells = "".join(text_cell(f"{column(j)}1" if refs else None, col.header)
                    for j, col in enumerate(template.COLUMNS, start=1))
    return f'<row r="1">{cells}</row>' if refs else f"<row>{cells}</row>"


def workbook(path: Path, rows: Iterable[str], *, dimension: str = "", shared: Iterable[str] = ()) -> Path:
    """A workbook whose first sheet holds `rows` (row XML, streamed into the zip) and, given `shared`,
    a shared-strings part streamed likewise."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/workbook.xml", WORKBOOK)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            sheet.write(SHEET_START.format(dimension=dim).encode())
            _write_lines(sheet, rows)
            sheet.write(SHEET_END.encode())
        with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
            strings.write(b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
                          b'spreadsheetml/2006/main">')
            _write_lines(strings, (f"<si><t>{s}</t></si>" for s in shared))
            strings.write(b"</sst>")
    return path


def _write_lines(out: object, lines: Iterable[str]) -> None:
    buffer: list[str] = []
    size = 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size > 1 << 20:
            out.write("".join(buffer).encode())  # type: ignore[attr-defined]
            buffer, size = [], 0
    out.write("".join(buffer).encode())  # type: ignore[attr-defined]


# --- the files of the security review --------------------------------------------------------------------

def far_cell(path: Path) -> Path:
    """15 KB: the template's header and one cell at XFD1048576 (calamine asked for a 512 GB grid)."""
    return workbook(path, [header_row(), '<row r="1048576">' + text_cell("XFD1048576", "x") + "</row>"],
                    dimension="A1:XFD1048576")


def far_cell_undeclared(path: Path) -> Path:
    """The same cell, the sheet claiming only the template's range: the claim must not be trusted."""
    return workbook(path, [header_row(), '<row r="1048576">' + text_cell("XFD1048576", "x") + "</row>"],
                    dimension="A1:AU2")


def shared_strings_bomb(path: Path, megabytes: int = 256) -> Path:
    """A one-row sheet whose shared-strings part unzips to `megabytes` (a few hundred KB zipped)."""
    item = "贫" * 20_000  # 60 KB a string
    count = megabytes * (1 << 20) // (len(item.encode()) + 13)
    row = '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return workbook(path, [header_row(), row], dimension="A1:AU2", shared=(item for _ in range(count)))


def many_rows(path: Path, rows: int = 2_000_000, *, refs: bool = True) -> Path:
    """`rows` one-cell rows after the header — past Excel's 1,048,576 — with references, or without
    them (each row and cell then taken as the next)."""
    def lines() -> Iterable[str]:
        yield header_row(refs)
        for r in range(2, rows + 2):
            yield (f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>H</t></is></c></row>' if refs
                   else '<row><c t="inlineStr"><is><t>H</t></is></c></row>')
    return workbook(path, lines())


def wide_row_without_references(path: Path, cells: int = 20_000) -> Path:
    """A row of `cells` cells without references: they are placed one after another, far past the template."""
    return workbook(path, [header_row(), "<row>" + text_cell(None, "x") * cells + "</row>"])


def long_cell(path: Path, characters: int = 10_000_000) -> Path:
    """One cell of 10 million characters (Excel holds 32,767)."""
    return workbook(path, [header_row(), '<row r="2">' + text_cell("A2", "x" * characters) + "</row>"])


def csv_one_long_line(path: Path, megabytes: int = 10) -> Path:
    """10 MB without a line break."""
    path.write_bytes(b"x" * (megabytes << 20))
    return path


SMALL = {"far-cell.xlsx": far_cell, "far-cell-undeclared.xlsx": far_cell_undeclared}

LARGE = {"shared-strings-bomb.xlsx": shared_strings_bomb, "two-million-rows.xlsx": many_rows,
         "wide-row-without-references.xlsx": wide_row_without_references, "long-cell.xlsx": long_cell,
         "one-long-line.csv": csv_one_long_line}

if __name__ == "__main__":
    # python -m tests.hostile_files [DIR] [--all]: the small files (committed), or every one (10 MB and more)
    args = [a for a in sys.argv[1:] if a != "--all"]
    out = Path(args[0] if args else "tests/fixtures/hostile")
    out.mkdir(parents=True, exist_ok=True)
    for name, make in ({**SMALL, **LARGE} if "--all" in sys.argv else SMALL).items():
        print(make(out / name), file=sys.stderr)
