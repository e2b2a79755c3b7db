"""The one access layer: what a user may see is the union of their roles' area subtrees.

Every queryset of area-bound data goes through `scope`, which adds a SQL predicate on the area code
(a BETWEEN on the indexed code column per role), so rows outside the user's areas are never fetched.
Never filter after fetching.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from jingzhun.areas.models import AreaRole, code_range

NOTHING = Q(pk__in=[])


def ranges(user: object) -> list[tuple[str, str]] | None:
    """The user's code ranges; None means unrestricted (a superuser)."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return []
    if getattr(user, "is_superuser", False):
        return None
    roles = AreaRole.objects.filter(user_id=getattr(user, "pk", 0)).select_related("area").only("area__code", "area__level")
    return [code_range(r.area.code, r.area.level) for r in roles]


def area_q(user: object, field: str) -> Q | None:
    """Q restricting `field` (a 12-digit area code column) to the user's subtrees; None = no limit."""
    spans = ranges(user)
    if spans is None:
        return None
    if not spans:
        return NOTHING
    q = Q()
    for low, high in spans:
        q |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return q


def scope(qs: QuerySet, user: object, field: str) -> QuerySet:
    q = area_q(user, field)
    return qs if q is None else qs.filter(q)


def can_see_area(user: object, code: str) -> bool:
    spans = ranges(user)
    return spans is None or any(low <= code <= high for low, high in spans)
