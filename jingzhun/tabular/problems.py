"""One row-problem type for every importer: the file, the row (as a spreadsheet numbers it, the header is row
1), the column (its header as the officer sees it), the value refused and the rule, "中文 / English".

Whatever column a value was typed into, an ID-shaped run in it is masked before it is kept, shown or written
to a report (issue 13: an ID typed into the wrong column used to land in clear in the upload's error list).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from jingzhun.identity import mask_id_like


@dataclass(frozen=True)
class Problem:
    file: str
    row: int
    column: str
    value: str
    rule: str


def problem(file: str, row: int, column: str, value: object, rule: str) -> Problem:
    """A problem with its value (and rule, which may quote a cell) masked where they hold an ID-shaped run."""
    text = "" if value is None else str(value)
    return Problem(file, int(row), column, mask_id_like(text[:500]), mask_id_like(rule))


@dataclass
class Problems:
    """The problems of one file, in the order found; sorted by place when read."""

    file: str
    found: list[Problem] = field(default_factory=list)

    def add(self, row: int, column: str, value: object, rule: str) -> None:
        self.found.append(problem(self.file, row, column, value, rule))

    def extend(self, problems: Iterable[Problem]) -> None:
        self.found.extend(problem(p.file, p.row, p.column, p.value, p.rule) for p in problems)

    @property
    def rows(self) -> set[int]:
        return {p.row for p in self.found}

    def sorted(self, column_order: dict[str, int] | None = None) -> list[Problem]:
        order = column_order or {}
        return sorted(self.found, key=lambda p: (p.row, order.get(p.column, len(order)), p.column, p.rule))

    def __bool__(self) -> bool:
        return bool(self.found)

    def __len__(self) -> int:
        return len(self.found)
