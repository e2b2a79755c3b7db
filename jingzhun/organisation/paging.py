"""Pages of the people lists (training, talent, party branches): 50 rows a page, each list paged on its own query
parameter. A list whose total the page knows already (from the per-county totals) is not counted again; a list
with no cheap total is a window — one row more than shown tells whether a next page exists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest

PER_PAGE = 50
MOST_PAGES = 100_000


class Counted:
    """Rows whose total is known: the paginator takes the total from here instead of a COUNT."""

    def __init__(self, rows: Any, total: int) -> None:
        self.rows, self.total = rows, total

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: Any) -> Any:
        return self.rows[index]


def number_of(request: HttpRequest, param: str) -> int:
    text = request.GET.get(param, "").strip()[:6]
    return max(1, min(MOST_PAGES, int(text))) if text.isascii() and text.isdigit() else 1


def page(request: HttpRequest, param: str, rows: Any, total: int | None = None) -> Page:
    """The page `?<param>=` of `rows` (out of range or not a number: the nearest page); one COUNT, or none when
    `total` is given."""
    found: Any = Counted(rows, total) if total is not None else rows
    return Paginator(found, PER_PAGE).get_page(number_of(request, param))


@dataclass(frozen=True)
class Window:
    """A page of a list not counted: its rows, its number, whether a next page exists."""

    object_list: Sequence[Any]
    number: int
    has_next: bool

    def __iter__(self) -> Any:
        return iter(self.object_list)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def window(request: HttpRequest, param: str, fetch: Callable[[int, int], Sequence[Any]]) -> Window:
    """The page `?<param>=` of a list read by `fetch(offset, limit)`."""
    number = number_of(request, param)
    rows = fetch((number - 1) * PER_PAGE, PER_PAGE + 1)
    return Window(rows[:PER_PAGE], number, len(rows) > PER_PAGE)
