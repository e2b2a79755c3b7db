"""The rate limit (a fixed one-minute window per token, `tokens.count_request`), counted so that a read commits
once: its count and its audit row in one transaction.

- A write (POST, PUT, ...) is counted at authentication, before any work, as it always was.
- A read is checked at authentication without a write (the window's count so far: at the limit, 429 at once,
  no work done), and counted after: by `counted(request)` in the same transaction as the read's own audit row
  (`GET /households/{id}`), or else by `count_after` around every operation, alone. Either way every
  authenticated request is counted exactly once; a read that finds the window over the limit when it is counted
  (requests racing at the limit) answers 429 and its audit row is rolled back with its count: the data is not
  sent. The limit stays exact; only those racing reads did their work before being refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse

from jingzhun.api import problems, tokens
from jingzhun.api.models import ApiToken

READS = frozenset({"GET", "HEAD", "OPTIONS"})
ATTRIBUTE = "jingzhun_rate"


@dataclass
class Pending:
    token: ApiToken
    now: float
    taken: bool = False


def refused(reset: int) -> problems.ApiProblem:
    limit = tokens.limit_per_minute()
    return problems.ApiProblem(429, "rate-limited", f"每分钟最多{limit}次请求，请{reset}秒后再试 / at most {limit} "
                                                    f"requests a minute: retry in {reset} s",
                               headers={"Retry-After": str(reset)})


def seen(token: ApiToken, now: float) -> int:
    """Requests counted in the token's current window so far (a read: no row is written)."""
    with connection.cursor() as cur:
        cur.execute("SELECT count FROM api_ratewindow WHERE token_id = %s AND minute = %s", [token.pk, int(now // 60)])
        row = cur.fetchone()
    return int(row[0]) if row else 0


def check(request: HttpRequest, token: ApiToken) -> None:
    """At authentication: count a write now; check a read now and leave its count for later. 429 when over."""
    now = time.time()
    reset = 60 - int(now % 60)
    if request.method in READS:
        if seen(token, now) >= tokens.limit_per_minute():
            raise refused(reset)
        setattr(request, ATTRIBUTE, Pending(token, now))
        return
    count, reset = tokens.count_request(token, now)
    if count > tokens.limit_per_minute():
        raise refused(reset)


def take(request: HttpRequest) -> None:
    """Count the request's read, once; 429 when that puts the window over the limit."""
    pending: Pending | None = getattr(request, ATTRIBUTE, None)
    if pending is None or pending.taken:
        return
    pending.taken = True
    count, reset = tokens.count_request(pending.token, pending.now)
    if count > tokens.limit_per_minute():
        raise refused(reset)


@contextmanager
def counted(request: HttpRequest) -> Iterator[None]:
    """The read's count and the writes inside (its audit row) in one transaction: one commit."""
    with transaction.atomic():
        take(request)
        yield


def count_after(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an API view: a read not yet counted by its operation is counted when it has answered."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        try:
            take(request)
        except problems.ApiProblem as exc:
            return problems.of(exc)
        return response

    return wrapped
