"""Whose areas an import (roster, visits, attendance) may write in: the importer's, and nothing else.

The rule (security review, "an import takes over another county's household"): a row may insert only into,
and update only an object now in, the importer's areas. For the teams' imports the objects are cadres,
households and village teams, and "now in your areas" means:

- a **village or area code** is in your areas when it lies in one of your roles' code ranges;
- a **household** is in your areas when its *current* village is (a helper: only the households they are
  actively paired with, as `jingzhun.access.household_q` says);
- a **cadre works in your areas** when their home area (帮扶所在区划) or the village of one of their open
  team memberships is in your areas — enough to *refer* to them (a visit, a day of attendance, a successor);
- a **cadre is wholly in your areas** when their home area *and* the village of every open team membership
  are in your areas — needed to *change* them (a roster row that matches their personnel number). A cadre
  stationed in one county and serving on a team in another is changed by an officer holding both.

Refusals never say where an object outside your areas is: "registered outside your areas", no name, no code.

Error values go through `jingzhun.identity.mask_id_like`, the one masking of ID-shaped text in any column.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# The area rule itself is the shared one (jingzhun.tabular.rules); what follows is what it means for cadres,
# households and teams.
from django.db.models import Q

from jingzhun.tabular.rules import OUTSIDE, Ranges, Scope, resolve

__all__ = ["OUTSIDE", "ROSTER_ROLES", "VISIT_ROLES", "Ranges", "Scope", "cadres_working_here", "own_cadre",
           "paired_households", "resolve", "working_here_q"]

# Roles whose areas count for each import. Read-only roles (evaluator, auditor, user administrator) write none.
ROSTER_ROLES = frozenset({"officer"})
VISIT_ROLES = frozenset({"officer", "work_team"})  # plus "helper", narrowed to their own pairs and self


def _parts(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), 5000):
        yield ids[start : start + 5000]


def cadres_working_here(scope: Scope, cadre_ids: Iterable[int]) -> set[int]:
    """Of these cadres, those the importer may refer to: who work in the wide areas (home area, the village
    of an open team membership, or the village of a household they are actively paired with), and a
    helper's own cadre record. Three queries per 5,000 cadres; none when unrestricted."""
    ids = sorted(set(cadre_ids))
    if scope.unrestricted:
        return set(ids)
    from jingzhun.teams.models import Cadre, HelperPair, TeamMembership

    found: set[int] = set()
    own = own_cadre(scope)
    if own is not None and own in ids:
        found.add(own)
    if not scope.wide:
        return found
    for part in _parts(ids):
        found.update(k for k, home in Cadre.objects.filter(pk__in=part).values_list("pk", "home_area_id")
                     if scope.covers(home))
        found.update(k for k, village in TeamMembership.objects.filter(
            cadre_id__in=part, end_date__isnull=True).values_list("cadre_id", "team__village_id") if scope.covers(village))
        found.update(k for k, village in HelperPair.objects.filter(
            cadre_id__in=part, end_date__isnull=True).values_list("cadre_id", "household__village_id")
            if scope.covers(village))
    return found


def working_here_q(scope: Scope) -> Q:
    """The cadres the importer may refer to, as a SQL predicate on `Cadre`: home area or the village of an
    open team membership in the wide areas (`cadres_working_here` without the helper's own record). A
    lookup by personnel number filtered by it never fetches a cadre of another county, so "no such number"
    and "elsewhere" are one answer."""
    if scope.unrestricted:
        return Q()
    from jingzhun.teams.models import TeamMembership

    open_here = TeamMembership.objects.filter(scope.q("team__village_id"), end_date__isnull=True).values("cadre_id")
    return scope.q("home_area_id") | Q(pk__in=open_here)


def paired_households(scope: Scope) -> set[int]:
    """Households actively paired with the scope's user as helper, in their helper areas (empty otherwise)."""
    if not scope.helper or not scope.user_pk:
        return set()
    from jingzhun.teams.models import HelperPair

    rows = HelperPair.objects.filter(cadre__user_id=scope.user_pk, end_date__isnull=True).values_list(
        "household_id", "household__village_id")
    return {pk for pk, village in rows if scope.helper_covers(village)}


def own_cadre(scope: Scope) -> int | None:
    """The scope user's own cadre record, when they are a helper somewhere."""
    if not scope.helper or not scope.user_pk:
        return None
    from jingzhun.teams.models import Cadre

    return Cadre.objects.filter(user_id=scope.user_pk).values_list("pk", flat=True).first()



