"""The page where a user makes and revokes their own API tokens (logged in with their password, as for every
page: a token cannot make tokens). A new token is shown once, on the answer to the form that made it."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from jingzhun.api import tokens
from jingzhun.api.models import SCOPES, ApiToken
from jingzhun.registry import sensitive
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires

# A scope's name on the page, in the user's language (the form sends the code).
SCOPE_LABELS = {"read": gettext_lazy("Read"), "write": gettext_lazy("Write"),
                "reveal": gettext_lazy("Reveal")}


def scope_labels(codes: str) -> str:
    """"read,write" as the page shows it: the scopes' names, joined."""
    return "、".join(str(SCOPE_LABELS.get(c, c)) for c in codes.split(",") if c)


@requires("register")
@require_http_methods(["GET", "POST"])
def tokens_page(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"title": _("API tokens"), "scopes": [(s, SCOPE_LABELS[s]) for s in SCOPES], "days": tokens.DEFAULT_DAYS,
                                  "max_days": tokens.MAX_DAYS, "may_reveal": sensitive.may_reveal(request.user)}
    status = 200
    if request.method == "POST":
        days_text = request.POST.get("days", "").strip()
        try:
            days = int(days_text) if days_text.isascii() and days_text.isdigit() and len(days_text) < 6 else 0
            _token, raw = tokens.create(request.user, request.POST.get("name", ""), request.POST.getlist("scopes"),
                                        days, address=client_address(request))
        except tokens.TokenRefused as exc:
            context["problem"], status = str(exc), 400
        else:
            context["new_token"] = raw
    context["tokens"] = [(t, scope_labels(t.scopes))
                         for t in ApiToken.objects.filter(user_id=request.user.pk or 0).order_by("-created_at")]
    response = render(request, "api/tokens.html", context, status=status)
    return response


@requires("register")
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not tokens.revoke(request.user, pk, address=client_address(request)):
        raise Http404(_("No such token"))
    return redirect("api_tokens")
