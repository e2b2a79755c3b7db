"""Text a request may carry: no NUL and nothing that is not encodable (a lone surrogate in JSON) — PostgreSQL
and SQLite refuse them with an error of the database, which must be a 422 here, never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Path
from pydantic import AfterValidator, Field


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能含空字符 / must not contain NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("不是有效的 Unicode 文本 / not valid Unicode text") from None
    return value


def _moment(value: dt.datetime) -> dt.datetime:
    # Converted to Beijing time and back along the way: a year 1 or 9999 with a zone runs out of the calendar
    # (OverflowError, a 500). No visit of this register is that old or that far off.
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValueError(f"年份应在 {EARLIEST_YEAR}–{LATEST_YEAR} 之间 / the year must be between {EARLIEST_YEAR} and "
                         f"{LATEST_YEAR}")
    return value


Text = Annotated[str, AfterValidator(_clean)]
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999
Moment = Annotated[dt.datetime, AfterValidator(_moment)]
Short = Annotated[str, Field(max_length=200), AfterValidator(_clean)]

# An object's id in a path or body: a database integer (a larger number would overflow SQLite's, a 500).
MAX_ID = 2**62


def path_id() -> Any:
    """A path parameter that is an object's id."""
    return Path(..., ge=1, le=MAX_ID)
