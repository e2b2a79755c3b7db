"""Authentication for every operation — a personal token (its rate limit), or the logged-in session of a
same-origin page (the phone app under /m/) with Django's CSRF check on every write — and the scope and
ability checks.

An operation names the scope its token must carry (read, write, reveal) and the ability its user's roles
must grant (`jingzhun.access.ABILITIES`, the same table the pages use); what the user then sees is limited
by the same access layer as on the web."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

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


READS = frozenset({"GET", "HEAD", "OPTIONS"})
REVEAL_PERMISSION = "registry.reveal_sensitive"


@dataclass(frozen=True)
class SessionGrant:
    """What a logged-in session may ask of the API: read and write (the roles' abilities still decide each
    operation, and the access layer what is seen), and reveal only with the reveal permission — which the
    reveal service checks again, with its audit row."""

    user: object
    scope_set: frozenset[str]


class SessionAuth(APIKeyCookie):
    """The session cookie of a user logged in through the site's form. A write must carry the CSRF token
    (header X-CSRFToken, as Django's middleware checks it), so another site cannot write through a visitor's
    session. Tried after the token: a request with a valid token never depends on a cookie."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_scheme = "session"

    def __init__(self) -> None:
        super().__init__(csrf=False)  # checked below, only once a session user is found

    def authenticate(self, request: HttpRequest, key: str | None) -> SessionGrant | None:
        user = getattr(request, "user", None)
        if not key or user is None or not user.is_authenticated:
            return None
        if request.method not in READS and check_csrf(request) is not None:
            raise ApiProblem(403, "csrf", "缺少或错误的 CSRF 令牌，请刷新页面后重试 / missing or wrong CSRF token: "
                                          "reload the page and try again")
        scopes = {"read", "write"} | ({"reveal"} if user.has_perm(REVEAL_PERMISSION) else set())
        return SessionGrant(user, frozenset(scopes))


def by_session(request: HttpRequest) -> bool:
    """True when the request came with the site's session rather than a token (the phone app)."""
    return isinstance(getattr(request, "auth", None), SessionGrant)


def user_of(request: HttpRequest, scope: str, ability: str | None = "register") -> object:
    """The request's user, once its token carries `scope` and its roles grant `ability`; 403 otherwise."""
    token: ApiToken | SessionGrant = request.auth  # type: ignore[attr-defined]
    if scope not in token.scope_set:
        raise ApiProblem(403, "scope", f"令牌（或登录会话）没有“{scope}”权限范围 / the token lacks the “{scope}” scope")
    if ability is not None and not access.may(request.user, ability):
        raise ApiProblem(403, "ability", f"您的角色没有此项权限（{ability}）/ your roles do not grant “{ability}”")
    return request.user
