"""Former home of the visits and attendance import, now `jingzhun.teams.visits_import` (two importers on
`jingzhun.tabular`).

What stays here is what `jingzhun.teams.roster_import` still imports from this module until its own port
onto `jingzhun.tabular` lands; each name is now a thin adapter over the shared subsystem (the one reader,
the one `parse_date`). Delete this module when nothing imports it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jingzhun.tabular import parse, rules
from jingzhun.tabular.problems import Problem
from jingzhun.tabular.read import read_any
from jingzhun.tabular.spec import Column, Spec
from jingzhun.tabular.steps import sha256_of
from jingzhun.teams.visits_import import ImportOutcome, import_attendance, import_visits
from jingzhun.teams.visits_import.shared import EARLIEST

__all__ = ["EARLIEST", "Col", "ImportOutcome", "Ranges", "import_attendance", "import_visits", "parse_date",
           "read_file"]

Ranges = rules.Ranges
TEXT_ONLY = frozenset({"household_number", "resident_id"})  # number cells here have lost digits already


@dataclass(frozen=True)
class Col:
    key: str
    header: str
    alias: str
    required: bool = True
    group: str = ""  # columns sharing a group name: at least one of them must be in the file


def read_file(path: str | Path, columns: Sequence[Col]) -> tuple[dict[str, list[str]], list[Problem]]:
    """Columns of trimmed cell text (every column of `columns`, "" where the file lacks it) plus "_row",
    read by the one reader (`jingzhun.tabular.read.read_any`)."""
    spec = Spec("file", tuple(Column(c.key, c.header, c.alias, required=c.required and not c.group, group=c.group,
                                     text_only=c.key in TEXT_ONLY) for c in columns))
    raw, problems = read_any(path, spec)
    table = raw.table
    out: dict[str, list[Any]] = {"_row": table.column("_row").to_pylist()}
    for c in columns:
        out[c.key] = [(v or "").strip() for v in table.column(c.key).to_pylist()] if c.key in table.column_names \
            else [""] * table.num_rows
    errors = [Problem(raw.file_name, row, spec.header_of(key), "", rule) for row, key, rule in problems]
    return out, errors


def parse_date(text: str) -> Any:
    """The one `parse_date`, answering None for a text that is no date (the roster's older contract)."""
    try:
        return parse.parse_date(text)
    except parse.Invalid:
        return None


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    return rules.chunks(items)


def _in_ranges(code: str, ranges: Ranges) -> bool:
    return rules.Scope.of_ranges(ranges).covers(code)


def _sha256(path: str | os.PathLike[str]) -> str:
    return sha256_of(Path(path))
