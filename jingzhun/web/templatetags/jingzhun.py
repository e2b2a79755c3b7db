"""Number formats for the pages: thousands separators and percentages, "—" where there is no figure."""

from __future__ import annotations

import re

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def thousands(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{int(str(value)):,}" if str(value).lstrip("-").isdigit() else str(value)


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{100 * value:.{digits}f}%"


# "中文 / English" texts (messages written for both languages at once): the side of the active language.
BILINGUAL = re.compile(r"\s*/\s+(?=[A-Za-z0-9])")


@register.filter
def lang(value: object) -> str:
    text = str(value)
    parts = BILINGUAL.split(text, maxsplit=1)
    if len(parts) == 1:
        return text
    english = (translation.get_language() or "").startswith("en")
    return parts[1] if english else parts[0]


@register.simple_tag
def once() -> str:
    """A one-time token for a form whose write must land once (jingzhun.web.once)."""
    from django.utils.html import format_html

    from jingzhun.web.once import FIELD, new_token

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
