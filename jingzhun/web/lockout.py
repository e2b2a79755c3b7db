"""Login throttling and lockout.

An account is locked after `LOCKOUT_FAILURES` failed logins within `LOCKOUT_MINUTES`, until that window
has passed since the last failure; an address is throttled the same way after `ADDRESS_FAILURES` (higher,
because an office shares one address). A locked login is refused even with the right password, so a
guesser learns nothing. A successful login clears the account's failures.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jingzhun.web.models import LoginFailure


def _since() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.LOCKOUT_MINUTES)


def locked(username: str, address: str) -> bool:
    recent = LoginFailure.objects.filter(at__gte=_since())
    return (recent.filter(username=username).count() >= settings.LOCKOUT_FAILURES
            or bool(address) and recent.filter(address=address).count() >= settings.LOCKOUT_ADDRESS_FAILURES)


def address_of(request: Any) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def failed(username: str, address: str) -> None:
    LoginFailure.objects.create(username=username[:150], address=address[:64])
    # Old rows are of no use to the lockout; the audit log keeps the history.
    LoginFailure.objects.filter(at__lt=timezone.now() - dt.timedelta(days=1)).delete()


def succeeded(username: str) -> None:
    LoginFailure.objects.filter(username=username).delete()


class LockoutBackend(ModelBackend):
    """ModelBackend that refuses locked accounts and addresses before checking the password."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        if username is not None and locked(username, address_of(request)):
            raise PermissionDenied("locked")  # stops the backend chain; Django sends user_login_failed
        return super().authenticate(request, username=username, password=password, **kwargs)
