"""Who a command-line run acts as: a named user (scoped to their areas, like the web) or, by default,
the machine's operator, who — like `jingzhun import` — sees every area. Either way, audit rows name them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone


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


def add_operator_arguments(parser: Any) -> None:
    """--user and --actor, as every command that acts for someone takes them (then `acting_user`)."""
    parser.add_argument("--user", help="以该用户身份操作（按其管辖范围）/ act as this user (scoped to their areas)")
    parser.add_argument("--actor", default="cli", help="审计记录中的操作人 / the name recorded in the audit log")


def day_of(text: str | None) -> dt.date:
    """A command's day argument (YYYY-MM-DD); none given: today, in the site's time zone."""
    if not text:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text}: 日期应为 YYYY-MM-DD / a date as YYYY-MM-DD") from None
