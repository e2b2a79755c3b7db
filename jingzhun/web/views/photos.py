"""A visit's own page with the photos the phone app sent, and each photo served through the household's scope.

Both are "not found" outside the user's households (the household page's rule, `access.households` in SQL), and for
a visit of another household or a photo known only by reference (a file's import names photos it does not carry).

Each photo served is audited (`visit.photo_shown`): photos are taken in people's homes and show them, children
too, and how they live — personal information that PIPL counts as sensitive for a child under 14, and that no one
should browse unseen. The visit's page itself lists only dates and digests and is not audited; a photo is shown
only when its own address is fetched. The bytes go out as the phone sent them (a JPEG of at most 1600 px, checked
against its SHA-256 when it came): the page scales them to thumbnails, and no image decoder in the web process
reads a file a phone sent. Like every logged-in answer, the photo is `Cache-Control: no-store, private`
(`web.middleware`): no shared or browser cache keeps it.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from jingzhun.audit import log as audit
from jingzhun.teams.models import Visit, VisitPhoto
from jingzhun.web.lockout import client_address
from jingzhun.web.pages import requires
from jingzhun.web.views.register import visible_households


@requires("register")
def visit(request: HttpRequest, number: str, visit_id: int) -> HttpResponse:
    household = get_object_or_404(visible_households(request.user).select_related("village"), number=number)
    found = get_object_or_404(Visit.objects.select_related("cadre"), pk=visit_id, household_id=household.pk)
    photos = list(VisitPhoto.objects.filter(visit_id=found.pk, data__isnull=False).order_by("pk")
                  .values("sha256", "size"))
    return render(request, "web/visit.html", {"title": _("Visit"), "h": household, "visit": found, "photos": photos})


@requires("register")
def visit_photo(request: HttpRequest, number: str, visit_id: int, sha256: str) -> HttpResponse:
    household = get_object_or_404(visible_households(request.user).only("pk", "village_id"), number=number)
    data = (VisitPhoto.objects.filter(visit_id=visit_id, visit__household_id=household.pk, sha256=sha256.lower()[:64],
                                      data__isnull=False).values_list("data", flat=True).first())
    if data is None:
        raise Http404(_("No such photo"))
    audit.record(str(request.user), "visit.photo_shown", object_type="visit", object_id=str(visit_id),
                 area=household.village_id, address=client_address(request), sha256=sha256.lower())
    response = HttpResponse(bytes(data), content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="visit-{visit_id}-{sha256[:12]}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
