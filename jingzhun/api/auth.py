"""Token authentication for every operation, its rate limit, and the scope and ability checks.

An operation names the scope its token must carry (read, write, reveal) and the ability its user's roles
must grant (`jingzhun.access.ABILITIES`, the same table the pages use); what the user then sees is limited
by the same access layer as on the web."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from jingzhun import access
from jingzhun.api import rate, tokens
from jingzhun.api.models import ApiToken
from jingzhun.api.problems import ApiProblem


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = tokens.authenticate(token)
        if found is None:
            return None
        # The rate limit: a write counted now; a read checked now, counted with its audit row (jingzhun.api.rate).
        rate.check(request, found)
        # The request acts as the token's user from here on: the access layer reads request.user.
        request.user = found.user
        return found


def user_of(request: HttpRequest, scope: str, ability: str | None = "register") -> object:
    """The request's user, once its token carries `scope` and its roles grant `ability`; 403 otherwise."""
    token: ApiToken = request.auth  # type: ignore[attr-defined]
    if scope not in token.scope_set:
        raise ApiProblem(403, "scope", f"令牌没有“{scope}”权限范围 / the token lacks the “{scope}” scope")
    if ability is not None and not access.may(request.user, ability):
        raise ApiProblem(403, "ability", f"您的角色没有此项权限（{ability}）/ your roles do not grant “{ability}”")
    return request.user
