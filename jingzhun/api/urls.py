from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path

from jingzhun.api import problems, views
from jingzhun.api.main import api


def nothing_here(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem document, not the site's HTML page."""
    return problems.of(problems.not_found("operation"))


urlpatterns = [
    path("tokens/", views.tokens_page, name="api_tokens"),
    path("tokens/<int:pk>/revoke", views.revoke, name="api_token_revoke"),
    path("", api.urls),
    re_path(r"^(?P<rest>.*)$", nothing_here),
]
