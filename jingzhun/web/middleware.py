"""Response headers Django 5.2 does not set itself, and the requests refused before any view."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


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


NUL = "\x00"
FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def no_nul_characters(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Refuse (400) a request whose address, query or form fields hold a NUL character. No field of the site takes
    one, PostgreSQL stores none in text (a query or write with one was a 500 there, not on SQLite), and a NUL
    truncates the value in C code along the way. Said once here, before any view. A form's fields are read as the
    CSRF check reads them a step later (a file upload's parts through the same handlers, the size limit first);
    a file's content is not a field; an API request's JSON body is decoded and walked (`jingzhun.api.nul`)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        fields = [request.path, *(f"{k}{v}" for k, values in request.GET.lists() for v in values)]
        if request.method == "POST" and request.content_type in FORMS:
            fields += [f"{k}{v}" for k, values in request.POST.lists() for v in values]
        if request.path.startswith("/api/"):
            from jingzhun.api import nul

            # A JSON body's strings, decoded (the escape \u0000 is not a NUL byte on the wire).
            refused = nul.refusal(request)
            if refused is not None:
                return refused
        if any(NUL in text for text in fields):
            text = "请求含有空字符（NUL），已拒绝 / the request holds a NUL character and was refused"
            if request.path.startswith("/api/"):  # the API answers every refusal as a problem document
                from jingzhun.api import problems

                return problems.response(400, "nul-character", text)
            return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
        return get_response(request)

    return middleware
