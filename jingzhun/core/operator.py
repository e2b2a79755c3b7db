"""Who a command-line run acts as: a named user (scoped to their areas, like the web) or, by default,
the machine's operator, who — like `jingzhun import` — sees every area. Either way, audit rows name them."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model


@dataclass(frozen=True)
class Operator:
    """The console operator: unrestricted, recorded by the name given with --actor."""

    username: str
    is_authenticated: bool = True
    is_active: bool = True
    is_superuser: bool = True
    pk: int = 0

    def __str__(self) -> str:
        return self.username


def acting_user(username: str | None, actor: str) -> object:
    """The user named by --user, or the operator; a missing user is an error, never a silent fallback."""
    if not username:
        return Operator(actor)
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise LookupError(f"用户 {username} 不存在或已停用 / no active user {username!r}")
    return user
