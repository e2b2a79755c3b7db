"""Database adapters for helper pairing (结对帮扶): read the register into arrays, solve, preview, approve.

`build_instance` reads households, cadres and active pairs with a handful of set-based queries
(`values_list` over the whole set) and turns them into the dense arrays of `jingzhun.pairing.solve_arrays`.
`preview` solves, compares with the active pairs and stores the proposal as a `PairingRun` with its
`PairingProposal` rows; `approve` writes it in one transaction. See docs/pairing.md, "Database adapters".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from jingzhun import access, choices
from jingzhun.areas.models import LEVEL_DIGITS, Area
from jingzhun.audit import log
from jingzhun.pairing import solve_arrays
from jingzhun.registry.models import Household
from jingzhun.registry.signals import register_changed
from jingzhun.teams.models import SERVING, SKILL, Cadre, HelperPair, PairingProposal, PairingRun

IntArray = npt.NDArray[np.int64]

DEFAULT_CAPACITY = 5
NEEDY_SET = frozenset(choices.NEEDS_HELPER)
SCOPES = ("county", "township")
BATCH = 2000

# Cause of poverty (choices.CAUSE) → the skills that address it. A cause missing here (因婚, 其他) has no
# matching skill: it neither helps nor penalises any helper.
CAUSE_SKILLS: dict[str, tuple[str, ...]] = {
    "illness": ("medicine",),
    "disability": ("medicine", "social"),
    "schooling": ("education",),
    "disaster": ("construction",),
    "land": ("agriculture",),
    "water": ("water",),
    "skills": ("agriculture", "trade"),
    "capital": ("finance",),
    "labour": ("social", "trade"),
    "transport": ("construction",),
    "motivation": ("education", "ecommerce"),
}
_SKILL_BIT = {code: 1 << i for i, code in enumerate(SKILL.codes)}


class PairingRefused(RuntimeError):
    """The run cannot be approved (already approved, or the active pairs changed since the preview)."""


class CapacityExceeded(RuntimeError):
    """A helper would have more active pairs than their rank allows."""


@dataclass(frozen=True)
class CostWeights:
    """Integer weights of the arc cost (see docs/pairing.md, "Database adapters")."""

    distance: int = 100  # per step in the area tree: same village 0, township 1, county 2, other 3
    skill: int = 200  # no skill for any cause; half of it when only a secondary cause is matched
    switch: int = 500  # added to every arc except the household's current pair (continuity)


@dataclass
class Instance:
    """The pairing problem as dense arrays. Households 0..H-1, helpers 0..K-1."""

    household_ids: IntArray  # registry_household.id per household index
    household_area: IntArray  # village code (as int) per household
    household_primary: IntArray  # skill bits addressing the primary cause
    household_secondary: IntArray  # skill bits addressing the secondary causes
    cadre_ids: IntArray  # teams_cadre.id per helper index
    cadre_area: IntArray  # home area code (as int) per helper
    cadre_skills: IntArray  # skill bits per helper
    capacity: IntArray  # remaining capacity per helper (rank capacity − pairs kept outside the instance)
    rank_capacity: IntArray  # capacity by rank per helper
    current_helper: IntArray  # helper index of the household's active pair, or -1
    current_pair: IntArray  # id of the household's active pair (any cadre), or -1
    current_cadre: IntArray  # cadre id of the household's active pair, or -1
    arc_household: IntArray
    arc_helper: IntArray
    arc_cost: IntArray  # cost given to the solver (with the switching penalty)
    arc_base: IntArray  # cost without the switching penalty (distance + skill), for reports
    to_end: list[tuple[int, int, str]] = field(default_factory=list)  # (pair id, household id, reason)
    counties: list[str] = field(default_factory=list)  # 6-digit prefixes this instance touches
    scope_digits: int = 6
    read_pairs: frozenset[int] = frozenset()  # ids of the active pairs read (the set's households or cadres)
    household_set: frozenset[int] = frozenset()  # every household of households_qs
    cadre_set: frozenset[int] = frozenset()  # every cadre of cadres_qs


def _codes(values: Iterable[str]) -> IntArray:
    return np.fromiter((int(v) for v in values), dtype=np.int64)


def _skill_masks(texts: Iterable[str]) -> IntArray:
    return np.fromiter(
        (sum(_SKILL_BIT.get(s, 0) for s in set(t.split(","))) if t else 0 for t in texts), dtype=np.int64
    )


def _cause_mask(causes: Iterable[str]) -> int:
    return sum({_SKILL_BIT[s] for c in causes for s in CAUSE_SKILLS.get(c, ())})


def base_cost(h_area: IntArray, h_primary: IntArray, h_secondary: IntArray, k_area: IntArray, k_skills: IntArray,
              weights: CostWeights) -> IntArray:
    """Distance + skill cost, broadcast over any shapes of households (h_*) and helpers (k_*)."""
    tier = np.where(h_area == k_area, 0,
                    np.where(h_area // 1000 == k_area // 1000, 1, np.where(h_area // 10**6 == k_area // 10**6, 2, 3)))
    primary_hit = (h_primary & k_skills) != 0
    secondary_hit = (h_secondary & k_skills) != 0
    no_cause = (h_primary | h_secondary) == 0
    skill = np.where(primary_hit | no_cause, 0, np.where(secondary_hit, weights.skill // 2, weights.skill))
    return (weights.distance * tier + skill).astype(np.int64)


def build_instance(
    households_qs: QuerySet[Household],
    cadres_qs: QuerySet[Cadre],
    *,
    scope: str = "county",
    capacity_by_rank: Mapping[str, int] | None = None,
    candidates: int | None = 10,
    weights: CostWeights | None = None,
) -> Instance:
    """Read households needing a helper, serving cadres and active pairs; build the arcs.

    A household's candidates are the `candidates` cheapest serving cadres of its own county (or township,
    `scope="township"`); its current helper is always among them when in scope (the switching penalty makes
    it the cheapest). `candidates=None` keeps every cadre in scope. Capacity is `capacity_by_rank[rank]`
    (default 5) minus the cadre's active pairs with households outside `households_qs`, which are kept.
    Four queries whatever the size.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    if candidates is not None and candidates < 1:
        raise ValueError(f"candidates must be at least 1 (or None for all), got {candidates}")
    weights = weights or CostWeights()
    caps = dict(capacity_by_rank or {})
    digits = LEVEL_DIGITS[scope]
    divisor = 10 ** (12 - digits)

    rows = list(households_qs.values_list("id", "village_id", "status", "primary_cause", "secondary_causes")
                .order_by("id"))
    needy = [r for r in rows if r[2] in NEEDY_SET]
    h_ids = np.fromiter((r[0] for r in needy), dtype=np.int64, count=len(needy))
    h_area = _codes(r[1] for r in needy)
    masks: dict[str, int] = {}  # few distinct cause texts: compute each once
    for text in {r[3] for r in needy} | {r[4] for r in needy}:
        masks[text] = _cause_mask(text.split(",")) if text else 0
    h_primary = np.fromiter((masks[r[3]] for r in needy), dtype=np.int64, count=len(needy))
    h_secondary = np.fromiter((masks[r[4]] for r in needy), dtype=np.int64, count=len(needy))
    area_of = {r[0]: r[1] for r in rows}

    all_cadres = list(cadres_qs.values_list("id", "home_area_id", "rank", "skills", "status").order_by("id"))
    cadres = [r for r in all_cadres if r[4] == SERVING]
    k_ids = np.fromiter((r[0] for r in cadres), dtype=np.int64, count=len(cadres))
    k_area = _codes(r[1] for r in cadres)
    k_skills = _skill_masks(r[3] for r in cadres)
    rank_cap = np.fromiter((int(caps.get(r[2], DEFAULT_CAPACITY)) for r in cadres), dtype=np.int64, count=len(cadres))

    # Active pairs of the households in the set; and pairs of these cadres kept outside the set.
    active = list(HelperPair.objects.filter(end_date__isnull=True, household__in=households_qs.values("id"))
                  .values_list("id", "household_id", "cadre_id"))
    outside_pairs = list(HelperPair.objects.filter(end_date__isnull=True, cadre__in=cadres_qs.values("id"))
                         .exclude(household__in=households_qs.values("id")).values_list("id", "cadre_id"))
    outside: dict[int, int] = {}
    for _, cadre_id in outside_pairs:
        outside[cadre_id] = outside.get(cadre_id, 0) + 1
    capacity = np.maximum(rank_cap - np.fromiter((outside.get(int(k), 0) for k in k_ids), dtype=np.int64,
                                                 count=k_ids.size), 0)

    h_index = {int(h): i for i, h in enumerate(h_ids)}
    k_index = {int(k): i for i, k in enumerate(k_ids)}
    current_helper = np.full(h_ids.size, -1, dtype=np.int64)
    current_pair = np.full(h_ids.size, -1, dtype=np.int64)
    current_cadre = np.full(h_ids.size, -1, dtype=np.int64)
    to_end = []
    for pair_id, household_id, cadre_id in active:
        i = h_index.get(household_id)
        if i is None:
            to_end.append((pair_id, household_id, "户状态不再需要帮扶 / household no longer needs a helper"))
            continue
        current_pair[i], current_cadre[i] = pair_id, cadre_id
        current_helper[i] = k_index.get(cadre_id, -1)

    arc_h, arc_k, arc_c, arc_b = _arcs(h_area, h_primary, h_secondary, current_helper, k_area, k_skills, divisor,
                                       candidates, weights)
    # Every county whose active pairs were read: needy households', ended households', all cadres' (serving or not).
    counties = sorted({str(c) for c in np.unique(h_area // 10**6)} | {r[1][:6] for r in all_cadres}
                      | {area_of[h][:6] for _, h, _ in to_end})
    return Instance(
        household_ids=h_ids, household_area=h_area, household_primary=h_primary, household_secondary=h_secondary,
        cadre_ids=k_ids, cadre_area=k_area, cadre_skills=k_skills, capacity=capacity,
        rank_capacity=rank_cap, current_helper=current_helper, current_pair=current_pair,
        current_cadre=current_cadre, arc_household=arc_h, arc_helper=arc_k, arc_cost=arc_c, arc_base=arc_b,
        to_end=to_end, counties=counties, scope_digits=digits,
        read_pairs=frozenset(p for p, _, _ in active) | frozenset(p for p, _ in outside_pairs),
        household_set=frozenset(area_of), cadre_set=frozenset(r[0] for r in all_cadres),
    )


def _arcs(h_area: IntArray, h_primary: IntArray, h_secondary: IntArray, current: IntArray, k_area: IntArray,
          k_skills: IntArray, divisor: int, candidates: int | None, weights: CostWeights,
          max_cells: int = 1 << 21) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Per scope group (county or township): cost every household × cadre pair, in chunks of households,
    and keep each household's `candidates` cheapest. Ties are broken by a fixed pseudo-random order per
    household, so equally good cadres share the load instead of every household choosing the same few.
    Same cost as `base_cost` (held equal by the tests)."""
    h_group, k_group = h_area // divisor, k_area // divisor
    k_order = np.argsort(k_group, kind="stable")
    k_sorted = k_group[k_order]
    h_order = np.argsort(h_group, kind="stable")
    groups, h_start = np.unique(h_group[h_order], return_index=True)
    h_end = np.append(h_start[1:], h_order.size)
    # Per node once, so the household × cadre cells are only equality tests and bit operations.
    h_town, k_town, h_county, k_county = h_area // 1000, k_area // 1000, h_area // 10**6, k_area // 10**6
    h_p, h_s, k_s = h_primary.astype(np.int32), h_secondary.astype(np.int32), k_skills.astype(np.int32)
    h_none = (h_primary | h_secondary) == 0
    rng = np.random.default_rng(0)  # fixed: the same data gives the same candidates
    out: list[tuple[IntArray, IntArray, IntArray, IntArray]] = []
    for g, h_lo, h_hi in zip(groups.tolist(), h_start.tolist(), h_end.tolist(), strict=True):
        hs = h_order[h_lo:h_hi]
        lo, hi = np.searchsorted(k_sorted, g, "left"), np.searchsorted(k_sorted, g, "right")
        ks = k_order[lo:hi]
        if ks.size == 0:
            continue
        keep = ks.size if candidates is None else min(candidates, ks.size)
        bits = max(1, int(ks.size - 1).bit_length())
        rank = rng.permutation(ks.size).astype(np.int64)  # tie-break: XOR with a per-household salt is a
        salt = rng.integers(0, 1 << bits, hs.size)  # bijection, so each row's keys stay distinct
        step = max(1, max_cells // ks.size)
        for start in range(0, hs.size, step):
            hc = hs[start : start + step]
            tier = (3 - (h_county[hc, None] == k_county[None, ks]).astype(np.int32)
                    - (h_town[hc, None] == k_town[None, ks]) - (h_area[hc, None] == k_area[None, ks]))
            fit_p = ((h_p[hc, None] & k_s[None, ks]) != 0) | h_none[hc, None]
            fit_s = (h_s[hc, None] & k_s[None, ks]) != 0
            skill = np.where(fit_p, 0, np.where(fit_s, weights.skill // 2, weights.skill))
            base = weights.distance * tier + skill
            cost = base + np.where(current[hc, None] == ks[None, :], 0, weights.switch)
            if keep < ks.size:
                key = (cost.astype(np.int64) << bits) | (rank[None, :] ^ salt[start : start + step, None])
                pick = np.argpartition(key, keep - 1, axis=1)[:, :keep]
            else:
                pick = np.broadcast_to(np.arange(ks.size), (hc.size, ks.size))
            rows = np.repeat(np.arange(hc.size), keep)
            cols = pick.reshape(-1)
            out.append((hc[rows], ks[cols], cost[rows, cols], base[rows, cols]))
    if not out:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy(), empty.copy(), empty.copy()
    parts = list(zip(*out))
    return tuple(np.concatenate(p).astype(np.int64) for p in parts)  # type: ignore[return-value]


def _active_in(counties: Iterable[str]) -> list[tuple[int, int, int]]:
    """(id, household, cadre) of the active pairs whose household or cadre is in these counties, by id."""
    q = Q()
    for c in counties:
        lo, hi = c.ljust(12, "0"), c.ljust(12, "9")
        q |= Q(household__village_id__gte=lo, household__village_id__lte=hi)
        q |= Q(cadre__home_area_id__gte=lo, cadre__home_area_id__lte=hi)
    if not q:
        return []
    return list(HelperPair.objects.filter(q, end_date__isnull=True).order_by("id")
                .values_list("id", "household_id", "cadre_id"))


def _digest(pairs: list[tuple[int, int, int]]) -> str:
    return hashlib.sha256(np.array(pairs, dtype=np.int64).tobytes()).hexdigest()


def preview(
    households_qs: QuerySet[Household],
    cadres_qs: QuerySet[Cadre],
    *,
    actor: str,
    scope: str = "county",
    capacity_by_rank: Mapping[str, int] | None = None,
    candidates: int | None = 10,
    weights: CostWeights | None = None,
) -> PairingRun:
    """Solve the pairing and store it, with its difference from the active pairs, as a previewed run.

    Nothing about the pairs themselves changes until `approve`.
    """
    weights = weights or CostWeights()
    # The fingerprint is read after the instance; if a pair changed in between, the two disagree: read again.
    for _attempt in range(3):
        inst = build_instance(households_qs, cadres_qs, scope=scope, capacity_by_rank=capacity_by_rank,
                              candidates=candidates, weights=weights)
        snapshot = _active_in(inst.counties)
        relevant = {p for p, h, k in snapshot if h in inst.household_set or k in inst.cadre_set}
        if relevant == inst.read_pairs:
            break
    else:
        raise PairingRefused("结对在计算期间不断变化，请稍后重试 / pairs kept changing while reading: try again")
    n_h = inst.household_ids.size
    if inst.arc_household.size:
        sol = solve_arrays(inst.capacity, inst.arc_household, inst.arc_helper, inst.arc_cost, num_households=n_h)
        helper, arc = sol.helper, sol.arc
    else:
        helper = arc = np.full(n_h, -1, dtype=np.int64)
    assigned = helper >= 0
    safe_arc = np.where(assigned, arc, 0)
    new_cost = np.where(assigned, inst.arc_base[safe_arc], 0) if inst.arc_base.size else np.zeros(n_h, np.int64)
    cadre_of = np.where(assigned, inst.cadre_ids[np.where(assigned, helper, 0)], -1) if inst.cadre_ids.size \
        else np.full(n_h, -1, dtype=np.int64)

    # What the current pairs cost under the same model (pairs to cadres outside the instance: not costed).
    has = inst.current_helper >= 0
    cur = inst.current_helper[has]
    cost_before = int(base_cost(inst.household_area[has], inst.household_primary[has], inst.household_secondary[has],
                                inst.cadre_area[cur], inst.cadre_skills[cur], weights).sum())

    kept = assigned & (helper == inst.current_helper)
    moved = assigned & ~kept & (inst.current_pair >= 0)
    new = assigned & (inst.current_pair < 0)
    ended = ~assigned & (inst.current_pair >= 0)
    unpaired = ~assigned & (inst.current_pair < 0)

    shortfalls = _shortfalls(inst)
    with transaction.atomic():
        run = PairingRun.objects.create(
            actor=actor, status="previewed",
            parameters={"scope": scope, "capacity_by_rank": dict(capacity_by_rank or {}),
                        "default_capacity": DEFAULT_CAPACITY, "candidates": candidates, "weights": asdict(weights),
                        "counties": inst.counties},
            households=n_h, helpers=int(inst.cadre_ids.size), arcs=int(inst.arc_household.size),
            new=int(new.sum()), moved=int(moved.sum()), kept=int(kept.sum()),
            ended=int(ended.sum()) + len(inst.to_end), unpaired=int(unpaired.sum()),
            cost_before=cost_before, cost_after=int(new_cost.sum()), shortfalls=shortfalls,
            fingerprint=_digest(snapshot),
        )
        kinds = np.select([kept, moved, new, ended], ["kept", "moved", "new", "ended"], "unpaired")
        proposals = [
            PairingProposal(
                run=run, household_id=int(h), cadre_id=int(k) if k >= 0 else None,
                previous_pair_id=int(p) if p >= 0 else None, kind=str(kind), cost=int(c) if k >= 0 else None,
                reason="原帮扶人不可用或已满 / previous helper unavailable or at capacity" if kind == "ended" else "",
            )
            for h, k, p, kind, c in zip(inst.household_ids.tolist(), cadre_of.tolist(), inst.current_pair.tolist(),
                                        kinds.tolist(), new_cost.tolist())
        ]
        proposals += [PairingProposal(run=run, household_id=h, previous_pair_id=p, kind="ended", reason=reason)
                      for p, h, reason in inst.to_end]
        PairingProposal.objects.bulk_create(proposals, batch_size=BATCH)
        log.record(actor, "pairing.preview", object_type="pairing_run", object_id=str(run.pk),
                   areas=[c.ljust(12, "0") for c in inst.counties],
                   households=n_h, new=run.new, moved=run.moved, kept=run.kept, ended=run.ended,
                   unpaired=run.unpaired, cost_before=run.cost_before, cost_after=run.cost_after)
    return run


def _shortfalls(inst: Instance) -> list[list[Any]]:
    """Counties whose households needing a helper outnumber the remaining capacity of their cadres."""
    h_county = inst.household_area // 10**6
    k_county = inst.cadre_area // 10**6
    counties, need = np.unique(h_county, return_counts=True)
    short = []
    for county, n in zip(counties.tolist(), need.tolist(), strict=True):
        cap = int(inst.capacity[k_county == county].sum())
        if n > cap:
            short.append((str(county), n, cap, n - cap))
    names = dict(Area.objects.filter(code__in=[c.ljust(12, "0") for c, *_ in short]).values_list("code", "name"))
    return [[c, names.get(c.ljust(12, "0"), ""), n, cap, s] for c, n, cap, s in short]


def check_capacity(cadre_ids: Iterable[int] | QuerySet[Any], capacity_by_rank: Mapping[str, int] | None = None) -> None:
    """Raise CapacityExceeded if any of these cadres has more active pairs than their rank allows."""
    caps = dict(capacity_by_rank or {})
    loads = (HelperPair.objects.filter(end_date__isnull=True, cadre_id__in=cadre_ids)
             .values("cadre_id", "cadre__rank").annotate(n=Count("id")).values_list("cadre_id", "cadre__rank", "n"))
    over = [(k, n, caps.get(rank, DEFAULT_CAPACITY)) for k, rank, n in loads if n > caps.get(rank, DEFAULT_CAPACITY)]
    if over:
        k, n, cap = over[0]
        raise CapacityExceeded(f"帮扶人 {k} 结对 {n} 户，超过上限 {cap} / helper {k} has {n} households, capacity "
                               f"{cap} ({len(over)} helpers over capacity)")


def pair(household: Household, cadre: Cadre, *, actor: str, start: dt.date | None = None,
         capacity_by_rank: Mapping[str, int] | None = None) -> HelperPair:
    """Pair one household by hand, refusing a cadre who is not serving or already at capacity."""
    with transaction.atomic():
        cadre = Cadre.objects.select_for_update().get(pk=cadre.pk)
        if cadre.status != SERVING:
            raise PairingRefused(f"帮扶人 {cadre.pk} 不在岗 / helper {cadre.pk} is not serving")
        created = HelperPair.objects.create(household=household, cadre=cadre, start_date=start or timezone.localdate())
        check_capacity([cadre.pk], capacity_by_rank)
        log.record(actor, "pairing.pair", object_type="helper_pair", object_id=str(created.pk), area=household.village_id,
                   household=household.pk, cadre=cadre.pk)
        register_changed.send(sender=HelperPair, villages={household.village_id})
    return created


def _scope_refusal(run: PairingRun, user: object | None) -> PairingRefused | None:
    """Why the run may not be approved by `user` (None = the console operator), or None when it may.

    The approver's pairing areas (roles with the "pair" ability) must hold every county of the run whole,
    and — where they are now, not where they were at the preview — every household and helper it pairs or
    ends. A household that has since left the run's counties makes the run stale for everyone. The refusal
    names no household, helper or area outside the approver's areas."""
    counties = [str(c) for c in run.parameters.get("counties", [])]
    proposals = PairingProposal.objects.filter(run=run)
    places = set(proposals.values_list("household__village_id", flat=True).distinct())
    if any(not any(v.startswith(c) for c in counties) for v in places):
        return PairingRefused(f"结对批次 {run.pk} 计算后有户已迁出本批次的县，请重新计算 / a household of run {run.pk} "
                              "has moved out of its counties since the preview: preview again")
    if user is None:
        return None
    spans = access.ranges(user, ability="pair")
    if spans is None:
        return None

    def held(code: str) -> bool:
        return any(low <= code <= high for low, high in spans)

    def whole(county: str) -> bool:
        return any(low <= county.ljust(12, "0") and county.ljust(12, "9") <= high for low, high in spans)

    places_k = set(proposals.filter(cadre__isnull=False).values_list("cadre__home_area_id", flat=True).distinct())
    if not counties or not all(whole(c) for c in counties) or not all(held(v) for v in places | places_k):
        return PairingRefused(f"结对批次 {run.pk} 涉及您管辖区划以外的户或帮扶人，您不能审批 / run {run.pk} pairs "
                              "households or helpers outside your areas: you may not approve it")
    return None


def approve(run: PairingRun, actor: str | object, *, today: dt.date | None = None,
            user: object | None = None) -> PairingRun:
    """Write a previewed run: end the moved and ended pairs (today, with the reason), create the new ones.

    `actor` is the approving user (scoped: `_scope_refusal`), or a name for the console operator (the demo,
    scripts), who is unrestricted; `user=` may give the user beside a name to record. One transaction.
    Refused (PairingRefused) when the run is not a preview any more, when the active pairs of its counties
    changed since it was computed, when a household has left its counties, or when it reaches outside the
    user's areas; CapacityExceeded if the result would overload a helper (the transaction is then rolled
    back). A refusal changes nothing.
    """
    if not isinstance(actor, str):
        user, actor = actor, str(getattr(actor, "username", "") or actor)
    elif user is not None and not actor:
        actor = str(getattr(user, "username", "") or user)
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = PairingRun.objects.select_for_update().get(pk=run.pk)
        if locked.status != "previewed":
            raise PairingRefused(f"结对批次 {run.pk} 已审批 / run {run.pk} is {locked.status}, not a preview")
        refusal = _scope_refusal(locked, user)
        if refusal is not None:
            raise refusal
        if _digest(_active_in(locked.parameters.get("counties", []))) != locked.fingerprint:
            raise PairingRefused(f"结对批次 {run.pk} 计算后现有结对已变化，请重新计算 / the active pairs changed "
                                 f"since run {run.pk} was previewed: preview again")
        proposals = PairingProposal.objects.filter(run=locked)
        gone = proposals.filter(kind__in=["moved", "new"]).exclude(cadre__status=SERVING).values_list("cadre_id")
        if gone.exists():
            raise PairingRefused(f"结对批次 {run.pk} 中有帮扶人已不在岗，请重新计算 / a helper of run {run.pk} is no "
                                 f"longer serving: preview again")
        ending = proposals.filter(kind__in=["moved", "ended"], previous_pair__isnull=False)
        reasons = set(ending.values_list("kind", "reason").distinct())
        ended = 0
        for kind, reason in reasons:
            text = f"结对调整（批次 {run.pk}） / re-paired by run {run.pk}" if kind == "moved" else reason
            ended += HelperPair.objects.filter(
                end_date__isnull=True,
                id__in=ending.filter(kind=kind, reason=reason).values("previous_pair_id"),
            ).update(end_date=today, end_reason=text[:200])
        creating = list(proposals.filter(kind__in=["moved", "new"]).values_list("household_id", "cadre_id"))
        HelperPair.objects.bulk_create(
            [HelperPair(household_id=h, cadre_id=k, start_date=today, run=locked) for h, k in creating],
            batch_size=BATCH,
        )
        check_capacity(proposals.filter(cadre__isnull=False).values("cadre_id"),
                       locked.parameters.get("capacity_by_rank"))
        locked.status, locked.approved_by, locked.approved_at = "approved", actor, timezone.now()
        locked.save(update_fields=["status", "approved_by", "approved_at"])
        changed = set(proposals.exclude(kind="kept").values_list("household__village_id", flat=True).distinct())
        log.record(actor, "pairing.approve", object_type="pairing_run", object_id=str(run.pk), areas=changed,
                   created=len(creating), ended=ended)
        # Figures that count pairs (the dashboard's helper coverage) follow in the same transaction.
        register_changed.send(sender=HelperPair, villages=changed)
    run.refresh_from_db()
    return run


# --------------------------------------------------------------------------- explaining and adjusting by hand

TIERS = ("同村 / same village", "同乡镇 / same township", "同县 / same county", "跨县 / another county")


@dataclass(frozen=True)
class CostParts:
    """One pair's cost as the solver counted it (docs/pairing.md): distance tier × weight + skill penalty."""

    tier: int
    distance: int
    fit: str  # "primary", "secondary", "none", "no_cause"
    skill: int

    @property
    def total(self) -> int:
        return self.distance + self.skill

    @property
    def text(self) -> str:
        fits = {"primary": "专长对口主要致贫原因 / skills fit the main cause",
                "secondary": "专长对口其他致贫原因 / skills fit a secondary cause",
                "none": "专长不对口 / no skill fits", "no_cause": "致贫原因无对口专长 / no skill applies"}
        zh, en = TIERS[self.tier].split(" / ")
        fzh, fen = fits[self.fit].split(" / ")
        return (f"距离：{zh} {self.distance}；{fzh} {self.skill}；合计 {self.total} / "
                f"distance: {en} {self.distance}; {fen} {self.skill}; total {self.total}")


def explain(village: str, primary: str, secondary: str, cadre_area: str, cadre_skills: str,
            weights: CostWeights | None = None) -> CostParts:
    """The cost of pairing a household (its village, primary cause, secondary causes) with a helper (home area,
    skills), in the parts `base_cost` adds up — computed by `base_cost` itself, so the two cannot disagree."""
    weights = weights or CostWeights()
    h_area, k_area = _codes([village]), _codes([cadre_area])
    h_p = np.array([_cause_mask([primary])], dtype=np.int64)
    h_s = np.array([_cause_mask(c for c in secondary.split(",") if c)], dtype=np.int64)
    k_s = _skill_masks([cadre_skills])
    distance_only = int(base_cost(h_area, h_p * 0, h_s * 0, k_area, k_s, weights)[0])
    total = int(base_cost(h_area, h_p, h_s, k_area, k_s, weights)[0])
    tier = distance_only // weights.distance if weights.distance else 0
    skill = total - distance_only
    if (h_p[0] | h_s[0]) == 0:
        fit = "no_cause"
    else:
        fit = "primary" if h_p[0] & k_s[0] else "secondary" if h_s[0] & k_s[0] else "none"
    return CostParts(tier, distance_only, fit, skill)


def adjust(household: Household, cadre: Cadre, *, reason: str, user: object, today: dt.date | None = None,
           capacity_by_rank: Mapping[str, int] | None = None) -> HelperPair:
    """Change a household's helper by hand (人工调整): the active pair ends with the reason, the new one starts.

    The officer's pairing areas must hold the household's village and the helper's home area now; the helper must
    be serving and within capacity; a reason is required. One transaction, audited as `pairing.adjust`."""
    reason = (reason or "").strip()
    if not reason:
        raise PairingRefused("须填写调整理由 / the reason for the change is required")
    today = today or timezone.localdate()
    spans = access.ranges(user, ability="pair")

    def held(code: str) -> bool:
        return spans is None or any(low <= code <= high for low, high in spans)

    with transaction.atomic():
        hh = Household.objects.select_for_update().filter(pk=household.pk).first()
        k = Cadre.objects.select_for_update().filter(pk=cadre.pk).first()
        if hh is None or k is None or not held(hh.village_id) or not held(k.home_area_id):
            raise PairingRefused("该户或帮扶人不在您的结对管辖范围内 / the household or helper is outside your areas")
        if k.status != SERVING:
            raise PairingRefused(f"帮扶人 {k.name} 不在岗 / helper {k.name} is not serving")
        current = HelperPair.objects.select_for_update().filter(household=hh, end_date__isnull=True).first()
        if current is not None and current.cadre_id == k.pk:
            raise PairingRefused(f"该户的帮扶人已是 {k.name} / {k.name} is already the household's helper")
        if current is not None:
            current.end_date, current.end_reason = today, f"人工调整：{reason}"[:200]
            current.save(update_fields=["end_date", "end_reason"])
        created = HelperPair.objects.create(household=hh, cadre=k, start_date=today)
        check_capacity([k.pk], capacity_by_rank)
        actor = str(getattr(user, "username", "") or user)
        log.record(actor, "pairing.adjust", object_type="helper_pair", object_id=str(created.pk), area=hh.village_id,
                   areas=[k.home_area_id], household=hh.pk, cadre=k.pk, ended=current.pk if current else None,
                   reason=reason)
        register_changed.send(sender=HelperPair, villages={hh.village_id})
    return created
