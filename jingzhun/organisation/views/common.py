"""What the organisation pages share: the year asked for, the page of a long list, the signed-in actor."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

PER_PAGE = 50


def year_of(request: HttpRequest) -> int:
    text = request.GET.get("year", "").strip()
    if text.isascii() and text.isdigit() and 2013 <= int(text[:4]) <= 2100 and len(text) == 4:
        return int(text)
    return timezone.localdate().year


def page_of(request: HttpRequest, qs: QuerySet) -> Page:
    """A page of `qs` (50 rows); a page number out of range or not a number is the nearest page."""
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page", "1")[:6])


def days_of(request: HttpRequest, default: int = 90, most: int = 3650) -> int:
    text = request.GET.get("days", "").strip()
    return max(1, min(most, int(text[:6]))) if text.isascii() and text.isdigit() else default
