"""A proportion and its design-based 95 % interval from a stratified cluster sample (the evaluation's 错退率,
漏评率 and 群众认可度), by the with-replacement ultimate-cluster linearisation — what R's `survey::svymean`
computes for a ratio of means with `svydesign(ids = ~cluster, strata = ~stratum, weights = ~w, nest = TRUE)`.

    estimate  p̂ = Σ w·y / Σ w
    z_i       = w_i · (y_i − p̂) / Σ w                     (the linearised ratio)
    z_hc      = Σ z_i over the units of cluster c of stratum h
    var       = Σ_h n_h / (n_h − 1) · Σ_c (z_hc − z̄_h)²    (n_h clusters in stratum h, z̄_h their mean)
    se        = √var,  df = clusters − strata
    interval  p̂ ± t_{0.975, df} · se, clipped to [0, 1]

Clusters are nested in strata: the same cluster label in two strata is two clusters. Why with replacement:
villages are drawn without replacement, but their joint inclusion probabilities are not known for systematic
PPS; treating the first stage as with replacement is the standard, slightly conservative, approximation while
the sampling fraction of villages is small (certainty villages are their own strata, so they add no
first-stage variance at all — `design.py`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jingzhun.evaluation.student_t import t_quantile


@dataclass(frozen=True)
class Proportion:
    estimate: float
    se: float
    low: float
    high: float
    df: int
    n: int  # units
    clusters: int
    strata: int


def _codes(labels: Any, name: str, n: int) -> np.ndarray:
    """Labels → integer codes 0..k−1 (equal labels, equal codes)."""
    array = np.asarray(labels)
    if array.ndim != 1 or len(array) != n:
        raise ValueError(f"{name} has {len(array) if array.ndim == 1 else 'not one-dimensional'} values, y has {n}: "
                         "unequal lengths")
    try:
        return np.unique(array, return_inverse=True)[1].reshape(-1)
    except TypeError:  # labels of mixed types: equal when equal as Python values
        seen: dict[Any, int] = {}
        return np.array([seen.setdefault(v, len(seen)) for v in array.tolist()], dtype=np.int64)


def estimate_proportion(y: Sequence[float] | np.ndarray, *, weights: Sequence[float] | np.ndarray,
                        strata: Sequence[Any] | np.ndarray, clusters: Sequence[Any] | np.ndarray) -> Proportion:
    """The weighted proportion of `y` (each 0 or 1, or a share between them) with its standard error, degrees of
    freedom and 95 % interval as the module docstring defines. ValueError naming the problem for: no units,
    unequal lengths, a weight ≤ 0 (or not finite), a value outside [0, 1] (or not a number), a stratum with
    only one cluster."""
    values = np.asarray(y, dtype=float)
    if values.ndim != 1 or len(values) == 0:
        raise ValueError("y must be a non-empty list of values")
    n = len(values)
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or len(w) != n:
        raise ValueError(f"weights has {len(w) if w.ndim == 1 else 'not one-dimensional'} values, y has {n}: "
                         "unequal lengths")
    stratum = _codes(strata, "strata", n)
    cluster = _codes(clusters, "clusters", n)
    if not np.all(np.isfinite(w) & (w > 0)):
        raise ValueError(f"weights must be finite and > 0: {int(np.sum(~(np.isfinite(w) & (w > 0))))} are not")
    if not np.all((values >= 0) & (values <= 1)):  # NaN fails both comparisons
        raise ValueError(f"y must lie in [0, 1]: {int(np.sum(~((values >= 0) & (values <= 1))))} values do not")
    # Nested: a cluster is a (stratum, cluster label) pair; `head` is each pair's first unit, `unit_pair` each
    # unit's pair.
    _, head, unit_pair = np.unique(stratum * (int(cluster.max()) + 1) + cluster, return_index=True,
                                   return_inverse=True)
    unit_pair = unit_pair.reshape(-1)
    pair_stratum = stratum[head]
    k_strata = int(stratum.max()) + 1
    n_h = np.bincount(pair_stratum, minlength=k_strata)
    if np.any(n_h < 2):
        raise ValueError(f"{int(np.sum(n_h < 2))} stratum/strata with only one cluster: the variance within a "
                         "stratum needs at least two clusters (collapse strata or draw more clusters)")
    total = float(w.sum())
    p = float(w @ values) / total
    z = w * (values - p) / total
    z_hc = np.bincount(unit_pair, weights=z, minlength=len(head))
    mean_h = np.bincount(pair_stratum, weights=z_hc, minlength=k_strata) / n_h
    dev = z_hc - mean_h[pair_stratum]
    var = float(np.sum((n_h / (n_h - 1.0))[pair_stratum] * dev * dev))
    se = math.sqrt(max(var, 0.0))
    df = len(head) - k_strata
    half = t_quantile(0.975, df) * se
    return Proportion(p, se, max(0.0, p - half), min(1.0, p + half), df, n, len(head), k_strata)
