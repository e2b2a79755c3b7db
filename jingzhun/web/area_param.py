"""The area and year a page is about, read from its query string and held to the user's areas: an area the
user may not see is "not found", whether it exists or not."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from jingzhun import access
from jingzhun.areas.models import Area


def chosen_area(request: HttpRequest, ability: str) -> Area:
    """`?area=` or the user's widest area of the roles carrying `ability` (a superuser: the first province)."""
    code = request.GET.get("area", "").strip()[:12] or access.home_area(request.user, ability)
    if code is None:
        found = Area.objects.filter(level="province").order_by("code").first()
    else:
        found = Area.objects.filter(code=code).first() if code else None
    if found is None or not access.can_see_area(request.user, found.code, ability):
        raise Http404(_("No such area in your scope"))
    return found


def area_or_everywhere(user: object, code: str, ability: str) -> Area | None:
    """The area `code` names (none: the user's home area of `ability`); None for everywhere (an unrestricted
    user without a home area). 404 when the area is not the user's, whether it exists or not."""
    if not code:
        home = access.home_area(user, ability)
        if home is None:
            return None
        code = home
    area = Area.objects.filter(code=code).first() if code and access.can_see_area(user, code, ability) else None
    if area is None:
        raise Http404(_("No such area in your scope"))
    return area


def chosen_year(request: HttpRequest) -> int:
    """`?year=` between 2013 and 2100, else this year."""
    return year_of(request.GET.get("year", ""))


def year_of(text: str) -> int:
    """A year between 2013 and 2100 as typed (a form's field), else this year."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= 4 and 2013 <= int(text) <= 2100:
        return int(text)
    return timezone.localdate().year
