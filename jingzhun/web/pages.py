"""The one way to add a page: register it here (usually from an app's `AppConfig.ready`) and the layout's
navigation shows it to the users whose roles have its ability. Views guard themselves with `requires`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise

from jingzhun import access


@dataclass(frozen=True)
class Page:
    url_name: str
    label: str | Promise
    ability: str
    order: int = 100


PAGES: dict[str, Page] = {}


def register(page: Page) -> None:
    if page.ability not in access.ALL_ABILITIES:
        raise ValueError(f"page {page.url_name}: unknown ability {page.ability!r}")
    PAGES[page.url_name] = page


def navigation(user: object) -> list[dict[str, Any]]:
    return [{"url": _address(p.url_name, get_script_prefix()), "label": p.label, "name": p.url_name}
            for p in sorted(PAGES.values(), key=lambda p: p.order) if access.may(user, p.ability)]


@lru_cache(maxsize=256)
def _address(url_name: str, script_prefix: str) -> str:
    """A page's address, reversed once per script prefix (the layout shows the menu on every page)."""
    return reverse(url_name)


View = Callable[..., HttpResponse]


def _guard(ability: str, allowed: Callable[[Any], bool], denied: str) -> Callable[[View], View]:
    """Log in first; then `allowed(user)`, else 403 (and nothing is fetched)."""
    if ability not in access.ALL_ABILITIES:
        raise ValueError(f"unknown ability {ability!r}")

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise PermissionDenied(denied)
            return view(request, *args, **kwargs)

        return guarded

    return decorate


def requires(ability: str) -> Callable[[View], View]:
    """Log in first; then the user's roles must grant `ability`, else 403 (and nothing is fetched)."""
    return _guard(ability, lambda user: access.may(user, ability), ability)


def requires_download(ability: str) -> Callable[[View], View]:
    """`requires(ability)` for a view that returns a file or a print: the user must also hold "export" on a
    role carrying `ability` (`access.may_download`), else 403. The view scopes its rows the same way
    (`access.download_ranges`). The mark `download_ability` lets the test of every download route check
    that none is left unguarded."""
    guard = _guard(ability, lambda user: access.may_download(user, ability), f"{ability}+{access.EXPORT}")

    def decorate(view: View) -> View:
        guarded = guard(view)
        guarded.download_ability = ability  # type: ignore[attr-defined]
        return guarded

    return decorate
