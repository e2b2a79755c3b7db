from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path

from jingzhun.api import problems, rate, views
from jingzhun.api.main import api


def nothing_here(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any other address under /api/: a problem document, not the site's HTML page."""
    return problems.of(problems.not_found("operation"))


# (No module-level `app_name` here: it would put this module's own names in a namespace.)
operations, api_app, api_namespace = api.urls
for operation in operations:
    # Every operation's read is counted once it has answered, unless the operation counted it with its audit row.
    callback = getattr(operation, "callback", None)
    if callback is not None:
        operation.callback = rate.count_after(callback)

urlpatterns = [
    path("tokens/", views.tokens_page, name="api_tokens"),
    path("tokens/<int:pk>/revoke", views.revoke, name="api_token_revoke"),
    path("", (operations, api_app, api_namespace)),
    re_path(r"^(?P<rest>.*)$", nothing_here),
]
