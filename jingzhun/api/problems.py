"""Errors as RFC 9457 problem details: `type`, `title`, `status`, `detail`, and `errors` — each the field, the
rule broken, and the rule in Chinese and English — served as application/problem+json."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Schema
from pydantic import Field

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "/api/docs/problems#"

TITLES = {
    400: "请求有误 / Bad request",
    401: "未认证 / Not authenticated",
    403: "无权限 / Forbidden",
    404: "未找到 / Not found",
    405: "方法不允许 / Method not allowed",
    409: "冲突 / Conflict",
    422: "数据未通过校验 / Validation failed",
    429: "请求过多 / Too many requests",
}


class FieldError(Schema):
    field: str
    rule: str
    zh: str
    en: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] = []
    # An extension member (RFC 9457): a program resending a record needs the id, not words to parse.
    existing_id: int | None = Field(None, description=(
        "409 already-recorded：已录入的那条记录的 id / the id of the record already there"))


class ApiProblem(Exception):
    """Raised anywhere under an operation; the API answers it as a problem document."""

    def __init__(self, status: int, kind: str, detail: str, errors: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None, existing_id: int | None = None):
        super().__init__(detail)
        self.status, self.kind, self.detail = status, kind, detail
        self.errors = errors or []
        self.headers = headers or {}
        self.existing_id = existing_id


def field_error(field: str, rule: str, zh: str, en: str) -> dict[str, str]:
    return {"field": field, "rule": rule, "zh": zh, "en": en}


def bilingual(text: str) -> tuple[str, str]:
    """The project's messages are "中文 / English": split into their two halves (both the same when not)."""
    zh, sep, en = text.partition(" / ")
    return (zh.strip(), en.strip()) if sep else (text, text)


def response(status: int, kind: str, detail: str, errors: list[dict[str, str]] | None = None,
             headers: dict[str, str] | None = None, existing_id: int | None = None) -> HttpResponse:
    body: dict[str, Any] = {"type": TYPE_BASE + kind, "title": TITLES.get(status, str(status)), "status": status,
                            "detail": detail, "errors": errors or []}
    if existing_id is not None:
        body["existing_id"] = existing_id
    answer = JsonResponse(body, status=status, content_type=MEDIA_TYPE, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        answer[name] = value
    return answer


def of(problem: ApiProblem) -> HttpResponse:
    return response(problem.status, problem.kind, problem.detail, problem.errors, problem.headers, problem.existing_id)


def not_found(what: str = "object") -> ApiProblem:
    """Outside the user's scope and non-existent are the same answer: existence is not disclosed."""
    return ApiProblem(404, "not-found", f"没有这个对象，或不在您的管辖范围内 / no such {what} in your scope")


# Pydantic's error types in words (the ones a request can trigger); anything else keeps pydantic's message.
RULES_ZH = {
    "missing": "必填", "int_parsing": "应为整数", "int_type": "应为整数", "float_parsing": "应为数字",
    "decimal_parsing": "应为数字", "string_type": "应为文本", "string_too_long": "过长", "string_too_short": "过短",
    "greater_than_equal": "过小", "less_than_equal": "过大", "greater_than": "过小", "less_than": "过大",
    "datetime_parsing": "应为日期时间（ISO 8601）", "datetime_from_date_parsing": "应为日期时间（ISO 8601）",
    "date_parsing": "应为日期（YYYY-MM-DD）", "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "enum": "不是允许的取值", "literal_error": "不是允许的取值", "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表", "dict_type": "应为对象", "model_attributes_type": "应为对象",
    "json_invalid": "不是有效的 JSON", "too_long": "项数过多", "string_pattern_mismatch": "格式不符",
    "value_error": "取值无效", "extra_forbidden": "不允许的字段",
}


def validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Ninja's (pydantic's) errors as field errors: the field as a dotted path without the part of the
    request it came from (body, query, path)."""
    out = []
    for e in errors:
        loc = [str(p) for p in e.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header"):
            # A body's errors also carry the operation's parameter name ("body", "body", "notes").
            loc = loc[2:] if loc[0] == "body" and len(loc) > 2 else loc[1:]
        field = ".".join(loc)
        kind = str(e.get("type", "invalid"))
        en = str(e.get("msg", kind))
        out.append(field_error(field, kind, RULES_ZH.get(kind, "取值无效") + f"：{field}", en))
    return out


def handler_of(status: int, kind: str) -> Any:
    def handle(request: HttpRequest, exc: Exception) -> HttpResponse:
        return response(status, kind, str(exc) or TITLES.get(status, ""))

    return handle
