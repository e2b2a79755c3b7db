"""A rate over one domain of the sample (the exited households for 错退率, the never-registered for 漏评率,
everyone for 群众认可度), with the design's strata and clusters made estimable: a stratum left with a single
cluster in the domain (a county's certainty stratum with one household of the group, or one drawn village
holding the group) is merged into its county's other stratum (labels from `design.design_labels`: county × 10
+ 0 or 1). Pure NumPy, shared by the results service and the coverage test."""

from __future__ import annotations

import numpy as np

from jingzhun.evaluation.estimate import Proportion, estimate_proportion


def collapsed(strata: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    """The strata with every one-cluster stratum moved into its county's other stratum."""
    strata = np.asarray(strata, dtype=np.int64).copy()
    clusters = np.asarray(clusters, dtype=np.int64)
    pairs = np.unique(np.stack([strata, clusters]), axis=1)
    labels, counts = np.unique(pairs[0], return_counts=True)
    lonely = labels[counts == 1]
    if len(lonely):
        move = np.isin(strata, lonely)
        strata[move] = strata[move] - strata[move] % 10 + (1 - strata[move] % 10)
    return strata


def domain_rate(y: np.ndarray, weights: np.ndarray, strata: np.ndarray, clusters: np.ndarray) -> Proportion | None:
    """The proportion over the given units (already restricted to the domain), or None when there are none or
    the county's sample has a single cluster even after merging (no design-based interval exists)."""
    if len(y) == 0:
        return None
    strata = collapsed(strata, clusters)
    try:
        return estimate_proportion(y, weights=weights, strata=strata, clusters=clusters)
    except ValueError as exc:
        if "one cluster" in str(exc):
            return None
        raise
