"""One write of a page's small forms (the branches' and the talent pages'): the handler's write and, for a form
that must never write twice, its one-time token (jingzhun.web.once) in one transaction; the outcome as the page's
message; back to the page, on the area the form was sent from."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from jingzhun.web import once

Handler = Callable[[HttpRequest, Any, str], str]


def write(request: HttpRequest, handler: Handler, *, claim_once: bool) -> None:
    """Run `handler(request, request.POST, username)`; its answer is the success message. Out of the user's areas
    (LookupError): 404. A broken rule: its own words ("中文 / English") or the page's words, nothing written."""
    try:
        # The write first (out of area: 404 as ever), then the form's one-time token, in one transaction: a form
        # sent again finds its token taken and the write rolls back.
        with transaction.atomic():
            done = handler(request, request.POST, request.user.get_username())
            if claim_once:
                once.claim(request)
        messages.success(request, done)
    except once.AlreadySent as exc:
        messages.warning(request, str(exc))
    except LookupError:
        raise Http404(_("No such area in your scope")) from None
    except (KeyError, ValueError) as exc:
        # The rules' own words ("中文 / English"); anything else (a date that is no date) in the page's words.
        text = str(exc) if isinstance(exc, ValueError) and " / " in str(exc) else ""
        messages.error(request, text or _("The form is incomplete or invalid."))
    except IntegrityError:  # the same person twice (blind index), or another stored rule
        messages.error(request, _("Refused: this would duplicate or contradict a stored record."))


def back_to(request: HttpRequest, page: str) -> HttpResponse:
    """The page (a URL name), on the area the form named when that is an area code."""
    area = request.POST.get("area", "").strip()
    suffix = f"?area={area}" if len(area) == 12 and area.isascii() and area.isdigit() else ""
    return redirect(reverse(page) + suffix)
