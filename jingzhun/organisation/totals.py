"""What the people apps' per-county totals share (training coverage, party-branch ratings): the counties a write
touched, the filter on their codes, and the one command that recounts them all (`jingzhun rebuild_people_totals`,
for data loaded other than through the imports and forms, which recount what they change in their own
transaction). Each app registers its recount here in its `ready()`."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Q

COUNTY_DIGITS = 6
_recounts: dict[str, Callable[[], None]] = {}


def register(name: str, recount_all: Callable[[], None]) -> None:
    _recounts[name] = recount_all


def recount_all() -> list[str]:
    """Recount every registered total (each in its own transaction); the names recounted."""
    for recount in _recounts.values():
        recount()
    return sorted(_recounts)


def county_prefixes(codes: Iterable[str]) -> list[str]:
    """The 6-digit prefixes of the counties holding `codes` (12-digit area codes at county level or below)."""
    return sorted({c[:COUNTY_DIGITS] for c in codes if c and len(c) == 12})


def within_counties(field: str, prefixes: Iterable[str]) -> Q:
    """`field` (a 12-digit area code column) inside any of the counties `prefixes`: ranges, so an index serves."""
    q = Q(pk__in=[])
    for p in prefixes:
        q |= Q(**{f"{field}__gte": p.ljust(12, "0"), f"{field}__lte": p.ljust(12, "9")})
    return q


def lock_counties(county_codes: list[str]) -> None:
    """Hold the counties' area rows until the transaction ends (PostgreSQL `FOR NO KEY UPDATE`, which leaves rows
    referring to them free to be written; SQLite holds its write lock already): two writes recounting the same
    county count one after the other, the second seeing the first's rows, instead of both deleting and inserting
    the same totals."""
    from jingzhun.areas.models import Area

    for part in (county_codes[i:i + 5000] for i in range(0, len(county_codes), 5000)):
        list(Area.objects.select_for_update(no_key=True).filter(code__in=part).values_list("code", flat=True))
