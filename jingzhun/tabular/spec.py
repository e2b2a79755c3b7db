"""The column specification of an import file, and the file made of columns.

One `Column` per column: its key (the model's word), its header in Chinese (as written in the template), its
English alias (also accepted), the level it belongs to (for the register: household, income or member), its
kind, whether it is required, its choices or range, and the note shown in the template's guide. A `Spec` is
a file's columns; it maps a file's header to keys and refuses a file without a required column. The template
writer, the guide, the docs and every importer read the same spec.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from jingzhun import choices as c

KINDS = frozenset({"text", "int", "decimal", "date", "datetime", "enum", "multi", "bool", "resident_id", "village",
                   "area"})


class FileProblem(ValueError):
    """The file as a whole cannot be read (wrong type, encoding, missing columns, beyond the limits)."""


@dataclass(frozen=True)
class Column:
    key: str  # the model field (or a derived name)
    header: str  # Chinese header, as written in the template
    alias: str  # English header also accepted on import
    level: str = "row"  # the register: "household", "income" or "member"; other files: "row"
    kind: str = "text"  # one of KINDS
    required: bool = True
    enum: c.Enum | None = None
    low: Decimal | int | None = None
    high: Decimal | int | None = None
    max_length: int | None = None
    note: str = ""
    default: str | None = None  # SQL literal stored when an optional cell is empty
    # A number cell in this column has lost digits already (Excel keeps 15 significant ones): refused, not
    # guessed. Resident IDs, household and personnel numbers.
    text_only: bool = False
    group: str = ""  # columns sharing a group name: at least one of them must be in the file

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key}: unknown kind {self.kind!r}")


def normalise_header(text: str) -> str:
    """A header as compared: no whitespace, full-width brackets, lower case."""
    return "".join(text.split()).replace("(", "（").replace(")", "）").lower()


@dataclass(frozen=True)
class Spec:
    name: str  # what the file is, as the messages say it ("register", "roster", ...)
    columns: tuple[Column, ...]
    extra_headers: dict[str, str] = field(default_factory=dict)  # more accepted spellings → key

    @cached_property
    def by_key(self) -> dict[str, Column]:
        return {col.key: col for col in self.columns}

    @property
    def headers(self) -> list[str]:
        return [col.header for col in self.columns]

    @cached_property
    def lookup(self) -> dict[str, str]:
        """Accepted header spellings (Chinese, English alias, the key; any case or whitespace) → key."""
        table = {}
        for col in self.columns:
            for name in (col.header, col.alias, col.key):
                table[normalise_header(name)] = col.key
        table.update((normalise_header(name), key) for name, key in self.extra_headers.items())
        return table

    def header_of(self, key: str) -> str:
        return self.by_key[key].header if key in self.by_key else key

    def map_headers(self, names: Iterable[str], file_name: str) -> list[str | None]:
        """The key of each header cell (None for a column the spec does not know: it is ignored). A column
        given twice, or a required one missing, refuses the file."""
        keys: list[str | None] = []
        seen: dict[str, str] = {}
        for name in names:
            key = self.lookup.get(normalise_header(str(name)))
            if key is not None and key in seen:
                raise FileProblem(f"{file_name}: 列“{name}”与“{seen[key]}”重复 / column {name!r} duplicates {seen[key]!r}")
            if key is not None:
                seen[key] = str(name)
            keys.append(key)
        missing = [col.header for col in self.columns if col.required and not col.group and col.key not in seen]
        groups: dict[str, list[Column]] = {}
        for col in self.columns:
            if col.group:
                groups.setdefault(col.group, []).append(col)
        for members in groups.values():
            if not any(col.key in seen for col in members):
                missing.append("或".join(col.header for col in members))
        if missing:
            raise FileProblem(f"{file_name}: 缺少必需列 / missing required columns: {'、'.join(missing)}")
        return keys

    @cached_property
    def text_only_keys(self) -> frozenset[str]:
        return frozenset(col.key for col in self.columns if col.text_only)
