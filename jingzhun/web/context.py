"""Template context for every page: the navigation the user may see, and their roles."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from jingzhun import access
from jingzhun.web import pages


def layout(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    found = access.grants(user)
    return {"nav": pages.navigation(user),
            "role_summary": None if found is None else [(g.role, g.area_code) for g in found]}
