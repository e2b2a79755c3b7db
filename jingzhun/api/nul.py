"""A NUL character anywhere in an API request's JSON body — written as the escape `\\u0000`, so the web's NUL
check of the raw request never sees it — is refused before any operation: a 400 problem document naming the
field. PostgreSQL stores no NUL in text, and a NUL truncates the value in C code along the way; the typed
fields refuse it too (`jingzhun.api.text`), but a field that is not one (an unknown key, a key itself) would
reach the database. Said once here for every write operation, whatever its schema. A body over Django's
size limit gets its problem document here too (Django's own refusal is an HTML page)."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

NUL = "\x00"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _name(key: str) -> str:
    return key.replace(NUL, "\\u0000")


def nul_field(data: Any) -> str | None:
    """The dotted path (as the API's field errors name fields: `measures.0.description`) of the first string
    holding a NUL, a key's or a value's; None when there is none. Walked without recursion: a body nested
    thousands deep is no stack overflow."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                return path or "body"
        elif isinstance(value, dict):
            for key, inner in value.items():
                where = f"{path}.{_name(key)}" if path else _name(key)
                if NUL in key:
                    return where
                stack.append((where, inner))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), inner) for i, inner in enumerate(value))
    return None


def refusal(request: HttpRequest) -> HttpResponse | None:
    """The 400 for an API write whose JSON body holds a NUL, or is over the size limit; None for anything else
    (invalid JSON, a form: the operation answers those as it does)."""
    if request.method not in WRITES or request.content_type in ("multipart/form-data",
                                                                 "application/x-www-form-urlencoded"):
        return None
    try:
        raw = request.body
    except RequestDataTooBig:  # Django's own answer would be an HTML page; the API's are problem documents
        from jingzhun.api import problems

        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return problems.response(400, "too-large", f"请求体超过 {limit:,} 字节 / the request body is larger than "
                                                   f"{limit:,} bytes")
    if b"\\u0000" not in raw:  # the cheap test first: most bodies stop here (a raw NUL is not JSON)
        return None
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    field = nul_field(data)
    if field is None:
        return None
    from jingzhun.api import problems

    return problems.response(400, "nul-character", f"{field}：请求含有空字符（NUL），已拒绝 / {field}: the request "
                             "holds a NUL character and was refused",
                             [problems.field_error(field, "nul-character", f"不能含空字符：{field}",
                                                   "must not contain NUL")])
