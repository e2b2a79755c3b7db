"""Who may read which audit rows: the one predicate, for the audit page and the admin alike."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from jingzhun import access
from jingzhun.audit.models import AuditArea


def visible(user: object) -> Q | None:
    """The rows `user` may read, as a SQL predicate: a row any of whose areas lies in one of the subtrees of
    the user's roles that carry the audit ability (`code BETWEEN low AND high` on the area rows' (code,
    entry) index), or a row of the user's own doing. None = every row (a superuser). A row without an area
    (system work) is for unrestricted users only, unless it is the user's own."""
    spans = access.ranges(user, ability="audit")
    if spans is None:
        return None
    get_username = getattr(user, "get_username", None)
    mine = Q(actor=get_username()) if get_username is not None and get_username() else Q(pk__in=[])
    if not spans:
        return mine
    inside = AuditArea.objects.filter(entry=OuterRef("pk")).filter(access.area_q(user, "code", ability="audit"))
    return mine | Q(Exists(inside))
