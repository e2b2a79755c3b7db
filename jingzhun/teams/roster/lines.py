"""A roster file as lines: each row's cells as typed, as worked on (clear markers taken out, stored values
filled in), and as parsed; and the report that refuses a cell and takes its row out of the rules across rows
when the cell identifies the cadre or the membership."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.teams.roster.spec import KEY_COLUMNS, ROSTER_COLUMNS, H


@dataclass(slots=True)
class Line:
    index: int  # position among the file's rows: the order every rule reads them in
    row: int  # as the spreadsheet numbers it (the header is row 1)
    raw: dict[str, str]  # every column, trimmed; "" where the file lacks the column
    cells: dict[str, str]  # the same, clear markers taken out and a stored value filled into an empty cell
    cleared: set[str] = field(default_factory=set)  # columns whose stored value the row clears
    bad: bool = False  # a cell identifying the cadre or the membership was refused
    codes: dict[str, str] = field(default_factory=dict)  # coded columns → the code ("" when empty or refused)
    skills: str = ""  # skill codes joined by "," in SKILL order
    start: dt.date | None = None
    end: dt.date | None = None

    # Neither can be cleared nor filled in: what the row says, as read.
    pn: str = ""  # 人员编号
    village: str = ""  # 驻村村

    @property
    def successor(self) -> str:
        return self.cells["replaced_by"]


def lines_of(table: RawTable) -> list[Line]:
    import pyarrow.compute as pc

    data = table.table
    rows = data.column("_row").to_pylist()
    keys = [c.key for c in ROSTER_COLUMNS]
    empty = [""] * len(rows)
    # Trimmed in Arrow and handed over through NumPy: seven times faster than `to_pylist` (or a Python
    # call per cell), the most of this step at 10,000 rows.
    columns = [pc.utf8_trim_whitespace(pc.fill_null(data.column(key), "")).to_numpy(zero_copy_only=False).tolist()
               if key in data.column_names else empty for key in keys]
    lines = []
    for i, (row, *values) in enumerate(zip(rows, *columns, strict=True)):
        raw = dict(zip(keys, values, strict=True))
        lines.append(Line(i, row, raw, raw.copy(), pn=raw["personnel_number"], village=raw["village"]))
    return lines


class Report:
    """The file's problems, each at its row and column."""

    def __init__(self, file_name: str) -> None:
        self.problems = Problems(file_name)

    def err(self, line: Line, key: str, value: str, rule: str) -> None:
        self.problems.add(line.row, H[key], value, rule)
        if key in KEY_COLUMNS:
            line.bad = True

    def cell_problems(self, lines: list[Line], found: list[tuple[int, str, str]]) -> None:
        """What the reader refused in a cell (a number that lost digits): the column's problem."""
        by_row = {line.row: line for line in lines}
        for row, key, rule in found:
            line = by_row.get(row)
            if line is None:
                self.problems.add(row, H.get(key, key), "", rule)
            else:
                self.err(line, key, "", rule)
