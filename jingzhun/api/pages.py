"""The API's navigation entry: a user's own tokens page (registered from `ApiConfig.ready`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jingzhun.web import pages


def register_pages() -> None:
    # Everyone who may read the register may make a token to read it through the API (docs/api.md).
    pages.register(pages.Page("api_tokens", _("API tokens"), "register", 85))
