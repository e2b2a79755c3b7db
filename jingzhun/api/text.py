"""Text a request may carry: no NUL and nothing that is not encodable (a lone surrogate in JSON) — PostgreSQL
and SQLite refuse them with an error of the database, which must be a 422 here, never a 500."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field


def _clean(value: str) -> str:
    if "\x00" in value:
        raise ValueError("不能含空字符 / must not contain NUL")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("不是有效的 Unicode 文本 / not valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_clean)]
Short = Annotated[str, Field(max_length=200), AfterValidator(_clean)]
