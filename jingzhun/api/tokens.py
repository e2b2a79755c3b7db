"""Personal access tokens: made by their user (shown once, stored as a digest), with an expiry and scopes,
revoked by their user; authenticated per request and counted in a fixed one-minute window.

Creation and revocation are audited (`api_token.create`, `api_token.revoke`); the token's secret is never
written anywhere but the one answer that shows it."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jingzhun import access, access_cache
from jingzhun.api.models import SCOPES, ApiToken
from jingzhun.audit import log as audit

PREFIX = "jz_"
MAX_DAYS = 366  # a token lives at most a year: a forgotten one stops working by itself
DEFAULT_DAYS = 90


class TokenRefused(ValueError):
    """A token cannot be made as asked (the message is "中文 / English")."""


def digest(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def _scopes(asked: Iterable[str]) -> str:
    given = set(asked)
    unknown = given - set(SCOPES)
    if unknown:
        raise TokenRefused(f"未知的权限范围 {sorted(unknown)} / unknown scopes {sorted(unknown)}")
    if not given:
        raise TokenRefused("至少选择一项权限范围 / choose at least one scope")
    return ",".join(s for s in SCOPES if s in given)


def create(user: object, name: str, scopes: Iterable[str], days: int = DEFAULT_DAYS, *, address: str = ""
           ) -> tuple[ApiToken, str]:
    """A new token for `user`: the row and the token itself (the only time it exists in clear)."""
    name = name.strip()
    if not name or len(name) > 80:
        raise TokenRefused("名称须为1–80字 / the name must be 1–80 characters")
    if not 1 <= days <= MAX_DAYS:
        raise TokenRefused(f"有效期须为1–{MAX_DAYS}天 / valid for 1–{MAX_DAYS} days")
    if not getattr(user, "is_active", False):
        raise TokenRefused("用户已停用 / the user is inactive")
    scope_text = _scopes(scopes)
    raw = PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():  # a token exists only with its audit row
        token = ApiToken.objects.create(user_id=getattr(user, "pk", 0), name=name, prefix=raw[:10], digest=digest(raw),
                                        scopes=scope_text, created_at=now, expires_at=now + dt.timedelta(days=days))
        audit.record(str(user), "api_token.create", object_type="api_token", object_id=str(token.pk), address=address,
                     area=access.home_area(user) or "", name=name, scopes=scope_text,
                     expires_at=token.expires_at.isoformat())
    return token, raw


def revoke(user: object, pk: int, *, address: str = "") -> bool:
    """Revoke one of `user`'s own tokens; False when they have no such live token (nothing happens)."""
    with transaction.atomic():  # the revocation and its audit row land together
        token = (ApiToken.objects.select_for_update()
                 .filter(pk=pk, user_id=getattr(user, "pk", 0) or 0, revoked_at__isnull=True).first())
        if token is None:
            return False
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(str(user), "api_token.revoke", object_type="api_token", object_id=str(token.pk), address=address,
                     area=access.home_area(user) or "", name=token.name)
    return True


def authenticate(raw: str) -> ApiToken | None:
    """The live token `raw` is, with its (active) user loaded; None for anything else — unknown, expired,
    revoked, or its user inactive — all answered alike."""
    if not raw.startswith(PREFIX) or len(raw) > 200:
        return None
    # The user's access stamp in the same query: grants and permissions then come from the process's cache.
    token = (ApiToken.objects.select_related("user").filter(digest=digest(raw))
             .annotate(user_access_stamp=access_cache.stamp_of("user_id")).first())
    if token is None or token.revoked_at is not None or token.expires_at <= timezone.now():
        return None
    setattr(token.user, access_cache.ATTRIBUTE, token.user_access_stamp)  # type: ignore[attr-defined]
    if not token.user.is_active:
        return None
    return token


def limit_per_minute() -> int:
    return int(getattr(settings, "API_RATE_PER_MINUTE", 600))


def count_request(token: ApiToken, now: float | None = None) -> tuple[int, int]:
    """Count one request in the token's current minute: (requests so far this minute, seconds until the next
    window). One upsert statement; the token's older windows go when a new minute opens."""
    now = time.time() if now is None else now
    minute = int(now // 60)
    with connection.cursor() as cur:
        cur.execute("INSERT INTO api_ratewindow (token_id, minute, count) VALUES (%s, %s, 1) "
                    "ON CONFLICT (token_id, minute) DO UPDATE SET count = api_ratewindow.count + 1 RETURNING count",
                    [token.pk, minute])
        count = int(cur.fetchone()[0])
        if count == 1:
            cur.execute("DELETE FROM api_ratewindow WHERE token_id = %s AND minute < %s", [token.pk, minute])
    return count, 60 - int(now % 60)
