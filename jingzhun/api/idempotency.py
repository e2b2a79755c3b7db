"""Idempotent writes: a request sent with an `Idempotency-Key` header lands once, however often it is sent.

The key is claimed (a row, unique per user and key) before the write runs; the answer is stored with it. The
same key again with the same request gets the stored answer; with a different request, or while the first
sending is still running, a 409 problem. A write that is refused or fails writes nothing and releases its key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from jingzhun.api.models import IdempotentWrite
from jingzhun.api.problems import ApiProblem

HEADER = "Idempotency-Key"
MAX_KEY = 100


def _key(request: HttpRequest) -> str:
    key = request.headers.get(HEADER, "").strip()
    if len(key) > MAX_KEY or not key.isprintable():
        raise ApiProblem(400, "idempotency-key", f"Idempotency-Key 最长{MAX_KEY}个可见字符 / Idempotency-Key: at most "
                                                 f"{MAX_KEY} printable characters")
    return key


def once(request: HttpRequest, operation: str, payload: Any, write: Callable[[], tuple[int, Any]]
         ) -> tuple[int, Any]:
    """Run `write` (→ status, body) once per key; without a key, every time."""
    key = _key(request)
    if not key:
        return write()
    digest = hashlib.sha256(json.dumps([operation, payload], sort_keys=True, default=str).encode()).hexdigest()
    user_pk: int = getattr(request.user, "pk", 0) or 0
    try:
        with transaction.atomic():
            claim = IdempotentWrite.objects.create(user_id=user_pk, key=key, operation=operation,
                                                   request_sha256=digest, created_at=timezone.now())
    except IntegrityError:
        return _stored(user_pk, key, digest)
    try:
        status, body = write()
    except BaseException:
        # Nothing landed (a refusal writes nothing): the key is free again, so the record, corrected or
        # sent once more when what refused it has changed, can still land.
        IdempotentWrite.objects.filter(pk=claim.pk).delete()
        raise
    IdempotentWrite.objects.filter(pk=claim.pk).update(status=status, body=body)
    return status, body


def _stored(user_pk: int, key: str, digest: str) -> tuple[int, Any]:
    found = IdempotentWrite.objects.filter(user_id=user_pk, key=key).first()
    if found is None or found.status is None:
        raise ApiProblem(409, "idempotency-in-progress", "同一幂等键的请求正在处理 / a request with this "
                                                         "Idempotency-Key is still being processed")
    if found.request_sha256 != digest:
        raise ApiProblem(409, "idempotency-mismatch", "该幂等键已用于另一请求 / this Idempotency-Key was used for "
                                                      "a different request")
    return found.status, found.body
