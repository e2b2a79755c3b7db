"""The rules every import obeys, written once (issue 13 found each importer writing its own, and one of them
letting an officer write outside their areas).

- **The area rule** (`Scope`): a row may insert only into, and update only an object now in, the importer's
  areas; a move needs both ends in them. A refusal never says where an object outside the areas is
  (`OUTSIDE`): no name, no code — a message must not be an oracle.
- **Empty means unchanged** (`merged`): an empty optional cell keeps the stored value; clearing is the
  explicit marker `（清空）` (also `(清空)`, `(clear)`), documented in every template's guide.
- **A masked ID means unchanged** (`is_masked_id`, `masked_matches`): an export made without the reveal
  permission shows IDs as first 6 + last 4; imported back, such an ID stands for the stored person it matches.
- **All or nothing, valid only, or check** (`MODES`, `kept_units`): by default one bad row and nothing
  lands; "valid" imports the units (households, cadres, rows) all of whose rows are valid; "check" writes
  nothing and is audited (a check names what the register holds).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db.models import Q

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.identity import mask
from jingzhun.tabular.parse import Invalid

Ranges = Sequence[tuple[str, str]] | None
T = TypeVar("T")
K = TypeVar("K")

OUTSIDE = "已登记在您的管辖区划以外 / registered outside your areas"
CLEAR_MARKERS = frozenset({"（清空）", "(清空)", "(clear)", "（clear）"})
CLEAR_NOTE = "留空表示不变；填“（清空）”清除 / empty keeps the stored value; “(清空)” clears it"
MODES = ("all", "valid", "check")


@dataclass(frozen=True)
class Scope:
    """Where an import may write. `wide`: code ranges of the roles that count (None = unrestricted, the
    console operator); `helper`: a helper's ranges, where only their own pairs count (the importer decides
    what that means for its objects)."""

    wide: tuple[tuple[str, str], ...] | None
    helper: tuple[tuple[str, str], ...] = ()
    user_pk: int = 0

    @classmethod
    def of_ranges(cls, ranges: Ranges) -> Scope:
        return cls(None if ranges is None else tuple(ranges))

    @classmethod
    def of_user(cls, user: object, roles: frozenset[str], *, helpers: bool = False) -> Scope:
        """The code ranges of the user's roles among `roles` (a superuser: everywhere)."""
        found = access.grants(user)
        if found is None:
            return cls(None)
        wide = tuple((g.low, g.high) for g in found if g.role in roles)
        helper = tuple((g.low, g.high) for g in found if helpers and g.role == "helper")
        return cls(wide, helper, int(getattr(user, "pk", 0) or 0))

    @property
    def unrestricted(self) -> bool:
        return self.wide is None

    @property
    def ranges(self) -> Ranges:
        return self.wide

    def covers(self, code: str | None) -> bool:
        """The code lies in one of the wide ranges."""
        return self.wide is None or (code is not None and any(lo <= code <= hi for lo, hi in self.wide))

    def q(self, field: str) -> Q:
        """The wide ranges as a SQL predicate on the 12-digit code column `field` (everything when
        unrestricted, nothing without a range): a lookup by natural key filters in SQL, so a row outside
        the areas is never fetched and "not found" and "outside" are the same answer."""
        if self.wide is None:
            return Q()
        return access.area_range_q(list(self.wide), field)

    def helper_covers(self, code: str | None) -> bool:
        return code is not None and any(lo <= code <= hi for lo, hi in self.helper)

    def may_move(self, before: str | None, after: str | None) -> bool:
        """An object now at `before` may be written at `after` (an insert when `before` is None)."""
        return (before is None or self.covers(before)) and self.covers(after)

    def works_here(self, home: str, open_villages: Iterable[str]) -> bool:
        return self.covers(home) or any(self.covers(v) for v in open_villages)

    def wholly_here(self, home: str, open_villages: Iterable[str]) -> bool:
        return self.covers(home) and all(self.covers(v) for v in open_villages)


def resolve(user: object | None, ranges: Ranges, roles: frozenset[str], *, helpers: bool = False) -> Scope:
    """The scope of an import called with a user (the web, `--user`) or with bare ranges (older callers);
    both absent = the console operator, unrestricted."""
    if user is not None:
        if ranges is not None:
            raise ValueError("give the user or the ranges, not both")
        return Scope.of_user(user, roles, helpers=helpers)
    return Scope.of_ranges(ranges)


def is_clear(text: str) -> bool:
    return text.strip() in CLEAR_MARKERS


def merged(stored: T | None, text: str, parse: Callable[[str], T], *, required: bool = False) -> T | None:
    """A cell against the stored value: empty keeps it, the clear marker clears it (not for a required
    column), anything else is parsed (raising `Invalid` with the column's rule)."""
    text = text.strip()
    if text == "":
        return stored
    if is_clear(text):
        if required:
            raise Invalid("必填列不能清空 / a required column cannot be cleared")
        return None
    return parse(text)


MASKED_ID = re.compile(r"^\d{6}\*{8}[0-9X]{4}$")


def is_masked_id(text: str) -> bool:
    return bool(MASKED_ID.match(text.strip().upper()))


def masked_matches(text: str, stored_id: str) -> bool:
    """A masked ID stands for the stored person whose ID it masks."""
    return mask(stored_id) == text.strip().upper()


def check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError("mode must be 'all', 'valid' or 'check' (validate only, write nothing)")


def kept_units(rows_of: Mapping[K, Iterable[int]], bad_rows: set[int], mode: str) -> list[K]:
    """The units to write: all of them when no row is bad; in "valid" mode those with no bad row; none in
    "check" mode or when "all" meets a bad row."""
    check_mode(mode)
    if mode == "check" or (mode == "all" and bad_rows):  # a bad row that made no unit (no key) counts too
        return []
    if not bad_rows:  # the usual case: every unit, without a set operation per unit (100,000 rows: 0.2 s)
        return list(rows_of)
    return [unit for unit, rows in rows_of.items() if not bad_rows.intersection(rows)]


def chunks(items: Sequence[Any], step: int = 5000) -> Iterable[Sequence[Any]]:
    """IN (...) lists well under SQLite's and PostgreSQL's parameter limits."""
    for start in range(0, len(items), step):
        yield items[start : start + step]


def registered_villages(codes: Iterable[str]) -> set[str]:
    """Which of a file's village codes the area tree holds as villages (asked in IN lists of `chunks`)."""
    named = sorted(set(codes))
    return {code for part in chunks(named)
            for code in Area.objects.filter(level="village", code__in=part).values_list("code", flat=True)}
