"""Small filters of the assessment's pages: a key of a mapping, and a figure with "—" for no value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import template

register = template.Library()


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key, "") if isinstance(mapping, Mapping) else ""


@register.filter
def figure(value: Any, digits: int = 2) -> str:
    """A number rounded to `digits` places without trailing zeros; "—" for no value (never 0 in its place)."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{number:,.{int(digits)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def decision_label(code: str) -> str:
    """A decision's name in the active language."""
    from jingzhun.assessment.models import DECISION

    return DECISION.label(code)
