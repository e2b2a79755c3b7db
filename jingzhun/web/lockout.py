"""Login throttling and lockout.

An account is locked after `LOCKOUT_FAILURES` failed logins within `LOCKOUT_MINUTES`, until that window has
passed since the last failure; a locked account is refused even with the right password, so a guesser
learns nothing. A successful login clears the account's failures.

An address (an office behind one NAT address shares it) is never locked out: after `ADDRESS_FAILURES`
failures from it within the window, logins from it for usernames that do not exist are refused before any
password is checked, while a real, unlocked account still logs in with its right password. Guessing at real
accounts is bounded by each account's own lock whatever the address, so an attacker in the same office
(or, behind a proxy, anywhere) can flood invented usernames without locking everyone else out. The refusal
costs the same time as a password check, so it does not tell which usernames exist.

Which address a request came from is `client_address` (`jingzhun.core.addresses`, below every app, so the
register's admin may audit it too); it is re-exported here for the web's callers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from jingzhun import access_cache
from jingzhun.core.addresses import client_address
from jingzhun.web.models import LoginFailure


def _since() -> dt.datetime:
    return timezone.now() - dt.timedelta(minutes=settings.LOCKOUT_MINUTES)


def account_locked(username: str) -> bool:
    return LoginFailure.objects.filter(at__gte=_since(), username=username).count() >= settings.LOCKOUT_FAILURES


def address_throttled(address: str) -> bool:
    return bool(address) and LoginFailure.objects.filter(
        at__gte=_since(), address=address).count() >= settings.LOCKOUT_ADDRESS_FAILURES


def _exists(username: str) -> bool:
    model = get_user_model()
    return model._default_manager.filter(**{model.USERNAME_FIELD: username}).exists()


def locked(username: str, address: str) -> bool:
    """True when this login must be refused before its password is checked: the account is locked, or the
    address is throttled and no such account exists. A real account is never refused for its address."""
    if account_locked(username):
        return True
    return address_throttled(address) and not _exists(username)


def failed(username: str, address: str) -> None:
    LoginFailure.objects.create(username=username[:150], address=address[:64])
    # Old rows are of no use to the lockout; the audit log keeps the history.
    LoginFailure.objects.filter(at__lt=timezone.now() - dt.timedelta(days=1)).delete()


def succeeded(username: str) -> None:
    LoginFailure.objects.filter(username=username).delete()


class LockoutBackend(ModelBackend):
    """ModelBackend that refuses locked accounts (and unknown usernames from a throttled address) before
    checking the password."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None,
                     **kwargs: Any) -> Any:
        if username is not None and locked(username, client_address(request)):
            # As long as a password check: the answer's timing does not say whether the username exists.
            get_user_model()().set_password(password or "")
            raise PermissionDenied("locked")  # stops the backend chain; Django sends user_login_failed
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id: Any) -> Any:
        """The session's user, read with their access stamp in the same query: their grants and permissions
        are then served from the process's cache while the stamp holds (`jingzhun.access_cache`)."""
        model = get_user_model()
        user = access_cache.with_stamp(model._default_manager.filter(pk=user_id)).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        # Django keeps a user's permissions on the user object for the request; they are worked out once per
        # access stamp (two queries) and handed to each request's user from the cache.
        if obj is None and user_obj.is_active and not user_obj.is_anonymous and not hasattr(user_obj, "_perm_cache"):
            kept = access_cache.get(user_obj, "perms")
            if kept is None:
                kept = frozenset(super().get_all_permissions(user_obj))
                access_cache.put(user_obj, "perms", kept)
            user_obj._perm_cache = set(kept)
        return super().get_all_permissions(user_obj, obj)
