"""Response headers Django 5.2 does not set itself."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


def content_security_policy(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        # The Django admin uses inline scripts of its own; it keeps its default headers only.
        if not request.path.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        _private(request, response)
        return response

    return middleware


def _private(request: HttpRequest, response: HttpResponse) -> None:
    """A logged-in user's pages and files hold personal data: no browser, proxy or shared-computer cache may
    keep them (`no-store`), whatever the view set (the admin's `no-cache` included)."""
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return  # the stylesheet and scripts are the same for everyone
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        response.headers["Cache-Control"] = "no-store, private"
        response.headers.pop("Expires", None)


def chinese_first(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Simplified Chinese unless the user chose English with the switch (a cookie): the browser's own
    Accept-Language is ignored, so a borrowed office computer set to English still opens in Chinese."""

    def middleware(request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return get_response(request)

    return middleware
