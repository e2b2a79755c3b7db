"""The API: one NinjaAPI under /api/v1/, token-authenticated, its OpenAPI 3.1 schema at /api/openapi.json and
its reference page at /api/docs (Swagger UI served from the application's own static files, so the site's
Content-Security-Policy — scripts from 'self' only — holds for it too)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from jingzhun.api import problems
from jingzhun.api.auth import SessionAuth, TokenAuth
from jingzhun.api.routes import areas, monitoring, plans, register, work

PROBLEM_STATUSES = (400, 401, 403, 404, 409, 422, 429)
V = "/api/v1"
# OpenAPI links: where an answer's ids lead (clients and the stateful schema test follow them).
# (from path, method, status) → [(link name, to path, method, {parameter: runtime expression})]
LINKS: dict[tuple[str, str, str], list[tuple[str, str, str, dict[str, str]]]] = {
    (f"{V}/households", "get", "200"): [
        (f"{what}", f"{V}/households/{{household_id}}{tail}", "get", {"household_id": "$response.body#/items/0/id"})
        for what, tail in (("household", ""), ("visits", "/visits"), ("plans", "/plans"),
                           ("identification", "/identification"))],
    (f"{V}/households/{{household_id}}", "get", "200"): [
        ("reveal", f"{V}/members/{{member_id}}/reveal", "post", {"member_id": "$response.body#/members/0/id"}),
        ("plans", f"{V}/households/{{household_id}}/plans", "get", {"household_id": "$response.body#/id"})],
    (f"{V}/visits", "post", "201"): [
        ("visits", f"{V}/households/{{household_id}}/visits", "get", {"household_id": "$response.body#/household_id"})],
    (f"{V}/identification/runs", "get", "200"): [
        ("areas", f"{V}/identification/runs/{{run_id}}/areas", "get", {"run_id": "$response.body#/0/id"})],
    (f"{V}/pairing/runs", "get", "200"): [
        ("run", f"{V}/pairing/runs/{{run_id}}", "get", {"run_id": "$response.body#/0/id"})],
}


class Api(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Ninja's schema, with every operation's problem answers documented as application/problem+json
        (what they are served as) and the 401/429 every token-authenticated operation can answer."""
        schema = super().get_openapi_schema(*args, **kwargs)
        ref = {"$ref": "#/components/schemas/Problem"}
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = problems.Problem.model_json_schema(
            ref_template="#/components/schemas/{model}")
        nested = schema["components"]["schemas"]["Problem"].pop("$defs", {})
        schema["components"]["schemas"].update(nested)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                answers = operation["responses"] = {str(k): v for k, v in operation.get("responses", {}).items()}
                for status in PROBLEM_STATUSES:
                    answers[str(status)] = {"description": problems.TITLES[status],
                                            "content": {problems.MEDIA_TYPE: {"schema": ref}}}
        _link(schema)
        return schema


def _link(schema: dict[str, Any]) -> None:
    paths = schema.get("paths", {})
    for (path, method, status), links in LINKS.items():
        answer = paths.get(path, {}).get(method, {}).get("responses", {}).get(status)
        if answer is None:
            continue
        answer["links"] = {name: {"operationId": paths[to][verb]["operationId"], "parameters": parameters}
                           for name, to, verb, parameters in links if to in paths and verb in paths[to]}


def _problem_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(problems.ApiProblem)
    def on_problem(request: HttpRequest, exc: problems.ApiProblem) -> HttpResponse:
        return problems.of(exc)

    @api.exception_handler(ValidationError)
    def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return problems.response(422, "validation", "请求未通过校验 / the request is not valid",
                                 problems.validation_errors(list(exc.errors)))

    @api.exception_handler(AuthenticationError)
    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problems.response(401, "token", "缺少令牌，或令牌无效、已过期、已撤销 / missing, invalid, expired or "
                                               "revoked token", headers={"WWW-Authenticate": "Bearer"})

    @api.exception_handler(HttpError)
    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problems.response(exc.status_code, "http", str(exc))

    @api.exception_handler(Http404)
    def on_missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problems.of(problems.not_found())

    @api.exception_handler(PermissionDenied)
    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return problems.response(403, "forbidden", str(exc) or problems.TITLES[403])


def build() -> NinjaAPI:
    api = Api(title="精准 Jingzhun API", version="1", description=(
        "贫困户登记、帮扶与监测的接口 / the poverty register, its help and monitoring work. "
        "令牌：Authorization: Bearer jz_…（在 /api/tokens/ 创建）/ tokens: made at /api/tokens/. docs/api.md."),
        auth=[TokenAuth(), SessionAuth()], urls_namespace="api", openapi_url="/openapi.json", docs_url="/docs",
        # No deep links in the reference: Swagger UI puts them as links inside the operations' toggle buttons,
        # a control inside a control that screen readers cannot operate (axe: nested-interactive).
        docs=Swagger(settings={"deepLinking": False}))
    _problem_handlers(api)
    for router in (register.router, work.router, plans.router, areas.router, monitoring.router):
        api.add_router("/v1/", router)
    return api


api = build()
