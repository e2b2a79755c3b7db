"""The sample design of a third-party evaluation, as pure NumPy (no database: the draw service, the coverage
test and the benchmark all call it on arrays).

- **Strata**: the counties. Each is drawn on its own, from a generator seeded by (seed, county code), so a
  county's sample does not change when another county is added or dropped.
- **First stage**: villages with probability proportional to size — the households of the village in the frame
  (exited plus never-registered) — without replacement, by systematic PPS from a seeded random start, villages
  in code order (so townships are spread implicitly). A village at least as large as the sampling interval is
  taken with certainty and the interval recomputed over the others, until none is; certainty villages have
  inclusion probability 1 and become strata of their own in the variance (their households are the clusters).
  A non-certainty part of a county gets at least two villages where it has two, so its stratum can have a
  variance.
- **Second stage**: in each drawn village, simple random sampling without replacement within each group —
  exited (已脱贫) and never-registered (非建档立卡) households — of the group's share of the village's
  sample (all of a group smaller than its share), from a generator seeded by (seed, village code, group).
- **Weights**: 1 / (π_village · m_g / N_g) per household.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

EXITED, OTHER = 0, 1  # the frame's groups: exited households and never-registered households
GROUPS = (EXITED, OTHER)


@dataclass(frozen=True)
class Sizes:
    """How large a sample: households per county (the national checks used about 1,000), per drawn village, and
    the share of a village's sample taken from exited households (the rest from never-registered ones)."""

    households_per_county: int = 1000
    households_per_village: int = 20
    exited_share: float = 0.5

    def __post_init__(self) -> None:
        if self.households_per_county < 2 or not 2 <= self.households_per_village <= self.households_per_county:
            raise ValueError("样本量无效 / sizes: households per county ≥ 2 and 2 ≤ households per village ≤ per county")
        if not 0.0 <= self.exited_share <= 1.0:
            raise ValueError("已脱贫户比例应在 0–1 之间 / the exited share must lie in [0, 1]")

    @property
    def villages_per_county(self) -> int:
        return math.ceil(self.households_per_county / self.households_per_village)

    def per_group(self) -> tuple[int, int]:
        exited = round(self.households_per_village * self.exited_share)
        return exited, self.households_per_village - exited


@dataclass(frozen=True)
class Frame:
    """The frame's villages in code order: their codes (as integers), county codes, and households by group."""

    village: np.ndarray  # int64 village codes, ascending
    county: np.ndarray  # int64 county code of each village
    exited: np.ndarray  # exited households in each village
    other: np.ndarray  # never-registered households in each village

    @property
    def size(self) -> np.ndarray:
        return self.exited + self.other


@dataclass(frozen=True)
class Sample:
    """The drawn villages and households. Households are given as (village index into the frame, group, position
    in the village's group — households ordered as the caller ordered them) with their probabilities."""

    villages: np.ndarray  # frame indices of the drawn villages
    village_probability: np.ndarray
    certainty: np.ndarray  # bool per drawn village
    village: np.ndarray  # per household: frame index of its village
    group: np.ndarray
    position: np.ndarray
    probability: np.ndarray  # overall inclusion probability
    weight: np.ndarray

    def __len__(self) -> int:
        return len(self.village)


def systematic_pps(size: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw `n` of the units with positive `size` by systematic PPS in the given order: (indices ascending,
    inclusion probabilities, certainty flags). Certainty units first, iteratively; all units when n ≥ their count."""
    size = np.asarray(size, dtype=float)
    live = size > 0
    certain = np.zeros(len(size), bool)
    left = n
    while left > 0:
        rest = live & ~certain
        count = int(rest.sum())
        if count == 0:
            break
        if left >= count:
            certain |= rest
            left = 0
            break
        if left == 1 and count >= 2:
            left = 2  # one cluster in a stratum has no variance; two do
        interval = size[rest].sum() / left
        big = rest & (size >= interval)
        if not big.any():
            break
        certain |= big
        left -= int(big.sum())
    chosen: np.ndarray = np.flatnonzero(certain)
    probability = np.ones(len(chosen))
    others = np.flatnonzero(live & ~certain)
    if left > 0 and len(others):
        total = size[others].sum()
        interval = total / left
        points = rng.uniform(0.0, interval) + interval * np.arange(left)
        hits = others[np.searchsorted(np.cumsum(size[others]), points, side="right")]
        chosen = np.concatenate([chosen, hits])
        probability = np.concatenate([probability, left * size[hits] / total])
    order = np.argsort(chosen, kind="stable")
    return chosen[order], probability[order], certain[chosen[order]]


def county_generator(seed: int, county: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(county)]))


def village_generator(seed: int, village: int, group: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(village), 1 + int(group)]))


def draw(frame: Frame, sizes: Sizes, seed: int) -> Sample:
    """The sample of every county in the frame (see the module docstring); reproducible from `seed`."""
    picked, pv, cert = [], [], []
    for county in np.unique(frame.county):
        members = np.flatnonzero(frame.county == county)
        idx, prob, sure = systematic_pps(frame.size[members], sizes.villages_per_county,
                                         county_generator(seed, int(county)))
        picked.append(members[idx])
        pv.append(prob)
        cert.append(sure)
    villages = np.concatenate(picked) if picked else np.zeros(0, np.int64)
    village_probability = np.concatenate(pv) if pv else np.zeros(0)
    certainty = np.concatenate(cert) if cert else np.zeros(0, bool)
    return _households(frame, sizes, seed, villages, village_probability, certainty)


def _households(frame: Frame, sizes: Sizes, seed: int, villages: np.ndarray, village_probability: np.ndarray,
                certainty: np.ndarray) -> Sample:
    wanted = sizes.per_group()
    parts: list[tuple[np.ndarray, ...]] = []
    for v, pi in zip(villages.tolist(), village_probability.tolist(), strict=True):
        for group, available in ((EXITED, int(frame.exited[v])), (OTHER, int(frame.other[v]))):
            m = min(wanted[group], available)
            if m == 0:
                continue
            positions = np.sort(village_generator(seed, int(frame.village[v]), group).choice(available, m, replace=False))
            p = pi * m / available
            parts.append((np.full(m, v), np.full(m, group), positions, np.full(m, p)))
    if not parts:
        empty = np.zeros(0, np.int64)
        return Sample(villages, village_probability, certainty, empty, empty, empty, np.zeros(0), np.zeros(0))
    at, kind, position, probability = (np.concatenate(list(col)) for col in zip(*parts, strict=True))
    return Sample(villages, village_probability, certainty, at.astype(np.int64), kind.astype(np.int64),
                  position.astype(np.int64), probability, 1.0 / probability)


def design_labels(frame: Frame, sample: Sample) -> tuple[np.ndarray, np.ndarray]:
    """Each sampled household's stratum and cluster for `estimate_proportion`, as int64 labels. A drawn village
    is a cluster of its county's stratum (county code × 10); the certainty villages of a county form a second
    stratum (county code × 10 + 1) whose clusters are their households: they were not drawn, so they add no
    first-stage variance, and one stratum for all of them keeps two clusters where a village alone might not."""
    sure = np.zeros(len(frame.village), bool)
    sure[sample.villages[sample.certainty]] = True
    certain = sure[sample.village]
    stratum = frame.county[sample.village] * 10 + certain
    cluster = np.where(certain, -1 - np.arange(len(sample)), frame.village[sample.village])
    return stratum, cluster
