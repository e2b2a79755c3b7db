"""A user's grants and permissions kept per server process, under the user's access stamp.

Every request reads its user anyway (the session's user, a token's user); `with_stamp` reads the user's access
stamp in that same query (`areas.AccessStamp`, which the database's own triggers change with every role,
permission, group or area change). What was worked out for (user, stamp, superuser, active) is then served
from here without a query. Stale answers cannot happen: a change gives a new random stamp, and the next
request, reading the new stamp with its user, finds nothing kept under it. A user object without a stamp (one
not read through `with_stamp`, or a user without a stamp row) is never served from here.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from jingzhun.areas.models import AccessStamp

ATTRIBUTE = "access_stamp"
MAX_ENTRIES = 4096  # least recently used first out: a province's active users, a few entries each

_kept: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_lock = threading.Lock()


def stamp_of(field: str = "pk") -> Subquery:
    """The stamp of the user whose id is `field` of the outer query."""
    return Subquery(AccessStamp.objects.filter(user_id=OuterRef(field)).values("stamp")[:1])


def with_stamp(users: QuerySet) -> QuerySet:
    """Users with their access stamp (the attribute `access_stamp`), in the same query."""
    return users.annotate(**{ATTRIBUTE: stamp_of()})


def _key(user: object, kind: str) -> tuple[Any, ...] | None:
    stamp = getattr(user, ATTRIBUTE, None)
    if not stamp:
        return None
    return (kind, getattr(user, "pk", None), stamp, bool(getattr(user, "is_superuser", False)),
            bool(getattr(user, "is_active", False)))


def get(user: object, kind: str) -> Any:
    """What was kept for the user's current stamp under `kind` ("grants", "perms"); None when nothing."""
    key = _key(user, kind)
    if key is None:
        return None
    with _lock:
        value = _kept.get(key)
        if value is not None:
            _kept.move_to_end(key)
        return value


def put(user: object, kind: str, value: Any) -> None:
    """Keep `value` (immutable) for the user's current stamp; nothing for a user without one."""
    key = _key(user, kind)
    if key is None:
        return
    with _lock:
        _kept[key] = value
        _kept.move_to_end(key)
        while len(_kept) > MAX_ENTRIES:
            _kept.popitem(last=False)


def clear() -> None:
    with _lock:
        _kept.clear()
