"""The one access layer: who may see what, and do what, always as a SQL predicate.

A user holds roles at areas (`AreaRole`). What they may see is the union of their roles' area subtrees:
`scope` adds a predicate on a 12-digit area-code column (a BETWEEN on the indexed code per role), so rows
outside the user's areas are never fetched. A helper (帮扶责任人) sees less: only the households they are
actively paired with, also as a predicate. Never filter after fetching.

What each role may do is the table `ABILITIES`; pages and views ask `may(user, ability)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from jingzhun import access_cache
from jingzhun.areas.models import LEVEL_DEPTH, AreaRole, code_range

NOTHING = Q(pk__in=[])

# Role → what it may do. Seeing the register within one's area is implied by every role; a helper's
# "area" is further narrowed to their own households (see `household_q`).
ABILITIES: dict[str, frozenset[str]] = {
    # "organise": units, links, leadership posts, shortlists and secondments (issue 17) — read and write;
    # "see_organisation": read them only.
    "officer": frozenset({"register", "dashboard", "import", "export", "audit", "pair", "crosscheck", "plan",
                          "approve_plan", "supervise", "evaluate", "assess", "people", "manage_people", "monitor",
                          "screen", "organise", "see_organisation"}),
    # fieldwork: the phone app (jingzhun.mobile) — one's households, visits, attendance, a household's report.
    "work_team": frozenset({"register", "dashboard", "plan", "supervise", "people", "monitor", "fieldwork"}),
    "helper": frozenset({"register", "plan", "monitor", "fieldwork"}),
    # evaluate: open third-party evaluations of one's areas and record findings for their sampled households.
    "evaluator": frozenset({"register", "dashboard", "export", "evaluate", "people"}),
    "auditor": frozenset({"register", "dashboard", "audit", "people", "see_organisation"}),
    "administrator": frozenset({"register", "dashboard", "audit", "administer"}),
}
ALL_ABILITIES = frozenset().union(*ABILITIES.values())

# Who is paired with whom lives in the teams app, which builds on this module: it hands over, at start-up
# (`TeamsConfig.ready`), a function from a user's pk to the ids of the households they are actively paired
# with as helper (a queryset of `household_id` values, used as a subquery). This module never imports an
# app above it; without a source a helper role sees no household at all (nothing is the safe default).
PairSource = Callable[[int], QuerySet]
_pair_source: PairSource | None = None


def register_pair_source(source: PairSource | None) -> PairSource | None:
    """Make `source(user_pk)` the helper's households; returns the one it replaces (tests put it back).
    None unregisters it, and helpers see nothing."""
    global _pair_source
    previous, _pair_source = _pair_source, source
    return previous


@dataclass(frozen=True)
class Grant:
    role: str
    area_code: str
    level: str
    low: str
    high: str


def grants(user: object) -> list[Grant] | None:
    """The user's roles with their code ranges; None means unrestricted (a superuser). Cached on the user
    object for the request, and per process under the user's access stamp when the user was read with it."""
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return []
    if getattr(user, "is_superuser", False):
        return None
    cached = getattr(user, "_jingzhun_grants", None)
    if cached is not None:
        return list(cached)
    # Kept per process under the user's access stamp, read with the user (jingzhun.access_cache).
    kept = access_cache.get(user, "grants")
    if kept is None:
        roles = AreaRole.objects.filter(user_id=getattr(user, "pk", 0)).select_related("area").only(
            "role", "area__code", "area__level")
        kept = tuple(Grant(r.role, r.area.code, r.area.level, *code_range(r.area.code, r.area.level))
                     for r in roles)
        access_cache.put(user, "grants", kept)
    user._jingzhun_grants = kept  # type: ignore[attr-defined]
    return list(kept)


def ranges(user: object, *, roles: frozenset[str] | None = None, ability: str | None = None
           ) -> list[tuple[str, str]] | None:
    """The user's code ranges — of all their roles, of some `roles`, or of the roles that carry `ability`
    (a helper role somewhere must not widen an officer's dashboard) — None means unrestricted."""
    found = grants(user)
    if found is None:
        return None
    return [(g.low, g.high) for g in found
            if (roles is None or g.role in roles)
            and (ability is None or ability in ABILITIES.get(g.role, frozenset()))]


def may(user: object, ability: str) -> bool:
    found = grants(user)
    return found is None or any(ability in ABILITIES.get(g.role, frozenset()) for g in found)


# The appraisal workflow's levels of authority (评议公示): a step is taken by an officer holding the role at
# the step's level or above, over the application's village; the village's own steps (appraisal, check,
# first notice, objections) also by its work team. Helpers, evaluators, auditors and user administrators
# take none: the brief gives approval to officers, and user administration is not a say over households.
STEP_ROLES: dict[str, frozenset[str]] = {
    "village": frozenset({"officer", "work_team"}),
    "township": frozenset({"officer"}),
    "county": frozenset({"officer"}),
    # The assessment's sign-off of figures goes on up (jingzhun.assessment.signoff).
    "city": frozenset({"officer"}),
    "province": frozenset({"officer"}),
}


def step_ranges(user: object, level: str) -> list[tuple[str, str]] | None:
    """The code ranges over which the user may take appraisal steps of `level`; None = unrestricted."""
    roles = STEP_ROLES[level]
    found = grants(user)
    if found is None:
        return None
    return [(g.low, g.high) for g in found if g.role in roles and LEVEL_DEPTH[g.level] <= LEVEL_DEPTH[level]]


def may_step(user: object, village: str, level: str) -> bool:
    """True when the user may take an appraisal step of `level` for an application of `village`."""
    spans = step_ranges(user, level)
    return spans is None or any(low <= village <= high for low, high in spans)


def _range_q(spans: list[tuple[str, str]], field: str) -> Q:
    if not spans:
        return NOTHING
    q = Q()
    for low, high in spans:
        q |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return q


def area_range_q(spans: list[tuple[str, str]], field: str) -> Q:
    """Q restricting `field` (a 12-digit area code column) to the code ranges `spans` (none: nothing)."""
    return _range_q(spans, field)


def area_q(user: object, field: str, ability: str | None = None) -> Q | None:
    """Q restricting `field` (a 12-digit area code column) to the user's subtrees (of the roles carrying
    `ability`, when given); None = no limit. Without `ability`, helper roles count: a helper may see their
    village's area facts, not its other households."""
    spans = ranges(user, ability=ability)
    return None if spans is None else _range_q(spans, field)


# Taking data away (a workbook, a PDF, a print) needs the "export" ability besides the ability that reads
# it, on the same role: an auditor who reads organisation records and an evaluator who exports elsewhere
# do not add up to a download. The web's `pages.requires_download` guards every download view with it.
EXPORT = "export"


def download_ranges(user: object, ability: str) -> list[tuple[str, str]] | None:
    """The code ranges of the user's roles carrying both `ability` and "export"; None = unrestricted."""
    found = grants(user)
    if found is None:
        return None
    return [(g.low, g.high) for g in found if {ability, EXPORT} <= ABILITIES.get(g.role, frozenset())]


def may_download(user: object, ability: str) -> bool:
    spans = download_ranges(user, ability)
    return spans is None or bool(spans)


def download_q(user: object, field: str, ability: str) -> Q | None:
    """`area_q` for a download: `field` limited to the ranges of roles carrying `ability` and "export"."""
    spans = download_ranges(user, ability)
    return None if spans is None else _range_q(spans, field)


def can_download_area(user: object, code: str, ability: str) -> bool:
    spans = download_ranges(user, ability)
    return spans is None or any(low <= code <= high for low, high in spans)


def scope(qs: QuerySet, user: object, field: str, ability: str | None = None) -> QuerySet:
    q = area_q(user, field, ability)
    return qs if q is None else qs.filter(q)


def household_q(user: object, prefix: str = "", ability: str | None = None) -> Q | None:
    """Q restricting households (reached through `prefix`, e.g. "household__") to those the user may see:
    in the area subtree of a non-helper role, or actively paired with the user as helper. None = no limit.
    With `ability`, only the roles carrying it count (an auditor's county does not let them edit plans)."""
    found = grants(user)
    if found is None:
        return None
    if ability is not None:
        found = [g for g in found if ability in ABILITIES.get(g.role, frozenset())]
    wide = [(g.low, g.high) for g in found if g.role != "helper"]
    q = _range_q(wide, f"{prefix}village_id") if wide else NOTHING
    helper = [(g.low, g.high) for g in found if g.role == "helper"]
    if helper and _pair_source is not None:
        # A subquery, not a join: a join through every past pair would repeat households.
        own = Q(**{f"{prefix}pk__in": _pair_source(getattr(user, "pk", 0))})
        q |= own & _range_q(helper, f"{prefix}village_id")
    return q


def households(qs: QuerySet, user: object, prefix: str = "", ability: str | None = None) -> QuerySet:
    """`qs` (households, or rows reached from a household through `prefix`) limited to what `user` may see
    (through the roles carrying `ability`, when given)."""
    q = household_q(user, prefix, ability)
    return qs if q is None else qs.filter(q)


def within_area(qs: QuerySet, field: str, code: str) -> QuerySet:
    """`qs` narrowed to the subtree of the registered area `code` (on the 12-digit code column `field`);
    ValueError naming the code when there is no such area. Narrows only: scope to the user first."""
    from jingzhun.areas.models import Area

    area = Area.objects.filter(code=code).only("code", "level").first()
    if area is None:
        raise ValueError(f"区划代码 {code} 不存在 / no area {code}")
    low, high = area.code_range
    return qs.filter(**{f"{field}__gte": low, f"{field}__lte": high})


def can_see_area(user: object, code: str, ability: str | None = None) -> bool:
    spans = ranges(user, ability=ability)
    return spans is None or any(low <= code <= high for low, high in spans)


def home_area(user: object, ability: str | None = None) -> str | None:
    """The widest area the user holds a role at (of the roles carrying `ability`, when given) — the
    dashboard's starting point; None for a superuser, "" for no such role."""
    found = grants(user)
    if found is None:
        return None
    found = [g for g in found if ability is None or ability in ABILITIES.get(g.role, frozenset())]
    if not found:
        return ""
    return min(found, key=lambda g: (LEVEL_DEPTH[g.level], g.area_code)).area_code
