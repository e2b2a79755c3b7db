"""What the web application does when something happens elsewhere."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from jingzhun.areas.models import AreaRole
from jingzhun.audit import log as audit
from jingzhun.registry.signals import register_changed
from jingzhun.web import lockout, stats


@receiver(register_changed)
def refresh_stats(sender: Any, villages: set[str] | None = None, **kwargs: Any) -> None:
    stats.refresh(villages)


def _address(request: Any) -> str:
    return lockout.client_address(request)  # behind a trusted proxy, the client's, not the proxy's


def _role_areas(username: str) -> list[str]:
    """The area codes of the user's roles: a login, logout or failed login is shown to the officers and
    auditors above those areas (a failed login against an unknown name carries none)."""
    return list(AreaRole.objects.filter(user__username=username).values_list("area_id", flat=True).distinct())


@receiver(user_logged_in)
def audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    lockout.succeeded(user.get_username())
    audit.record(user.get_username(), "login", address=_address(request), areas=_role_areas(user.get_username()))


@receiver(user_logged_out)
def audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit.record(user.get_username(), "logout", address=_address(request),
                     areas=_role_areas(user.get_username()))


@receiver(user_login_failed)
def audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username", ""))[:150]
    lockout.failed(username, _address(request))
    audit.record(username, "login_failed", address=_address(request), areas=_role_areas(username))
