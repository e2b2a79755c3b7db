"""The area rule for this app's records, in SQL: reading needs "see_organisation", writing "organise"
(`access.ABILITIES`); a record is in a user's areas by its own area column (a unit's area, a link's
village, a holding's county or township, a secondment's destination)."""

from __future__ import annotations

from django.db.models import Q

from jingzhun import access

READ, WRITE = "see_organisation", "organise"


def q(user: object, field: str, *, write: bool = False) -> Q:
    """Q limiting `field` (a 12-digit area code) to the user's areas for reading (or writing)."""
    found = access.area_q(user, field, WRITE if write else READ)
    return Q() if found is None else found


def download_q(user: object, field: str) -> Q:
    """Q limiting `field` to the areas where the user may take the records away: roles carrying both the
    read ability and "export" (`access.download_q`), so an auditor reads them but does not download them."""
    found = access.download_q(user, field, READ)
    return Q() if found is None else found


def covers(user: object, code: str, *, write: bool = False) -> bool:
    return access.can_see_area(user, code, WRITE if write else READ)
