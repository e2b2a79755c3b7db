"""Cursor pagination: a page is the rows after the cursor in one stable order (a unique column), so rows
added or removed between two requests neither repeat nor vanish from the pages after them, and a page costs
an index range scan, not an OFFSET over the rows before it. The cursor is opaque to clients."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.db.models import QuerySet

from jingzhun.api.problems import ApiProblem, field_error

DEFAULT_LIMIT, MAX_LIMIT = 50, 200


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(str(value).encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str) -> str:
    try:
        value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
        if encode(value) != cursor:  # the decoder skips characters outside its alphabet: only our own cursors
            raise ValueError(cursor)
        return value
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "cursor", "分页游标无效 / invalid cursor", [
            field_error("cursor", "cursor", "分页游标无效，请使用上一页返回的 next_cursor",
                        "invalid cursor: use the next_cursor of the previous page")]) from None


def page(qs: QuerySet, column: str, cursor: str, limit: int, *, numeric: bool = False) -> tuple[list[Any], str | None]:
    """The rows of `qs` after `cursor` in `column` order (a unique column), and the cursor of the next page
    (None after the last)."""
    if cursor:
        after: Any = decode(cursor)
        if numeric:
            if not (after.isascii() and after.isdigit() and len(after) <= 18):
                raise ApiProblem(400, "cursor", "分页游标无效 / invalid cursor")
            after = int(after)
        qs = qs.filter(**{f"{column}__gt": after})
    rows = list(qs.order_by(column)[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode(getattr(rows[-1], column)) if more and rows else None)
