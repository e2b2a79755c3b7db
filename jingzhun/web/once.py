"""One-time form tokens, for the forms whose second submit must never write again (money paid or allotted, an
election recorded): the page draws each such form with a fresh token (`{% once %}`), and the write claims it in
the write's own transaction. A double click, the browser's resend or a replayed request finds the token taken and
writes nothing; a write that fails gives its token back (the claim rolls back with it), so a corrected form may
be sent again. Tokens are kept for KEEP_DAYS."""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from jingzhun.web.models import FormOnce

FIELD = "once"
KEEP_DAYS = 90


class AlreadySent(Exception):
    """The form was sent before: nothing is written again."""


def new_token() -> str:
    return secrets.token_urlsafe(24)


def claim(request: HttpRequest) -> None:
    """Take the form's token (call inside the write's transaction). ValueError for a form without a usable token,
    AlreadySent for one sent before."""
    token = request.POST.get(FIELD, "")
    if not (16 <= len(token) <= 64) or not token.isascii():
        raise ValueError("表单已失效，请刷新页面后重新填写 / the form has expired: reload the page and fill it in again")
    now = timezone.now()
    try:
        with transaction.atomic():
            FormOnce.objects.create(token=token, user_id=getattr(request.user, "pk", 0) or 0, used_at=now)
    except IntegrityError:
        raise AlreadySent("该表单已提交，未重复记录 / this form was sent already: nothing was recorded twice") from None
    if secrets.randbelow(100) == 0:  # now and then, forget tokens too old to be resent
        FormOnce.objects.filter(used_at__lt=now - dt.timedelta(days=KEEP_DAYS)).delete()
