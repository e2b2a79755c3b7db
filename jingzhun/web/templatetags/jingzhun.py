"""Number formats for the pages: thousands separators and percentages, "—" where there is no figure."""

from __future__ import annotations

from django import template

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
