"""Poverty and targeting measures used by Jingzhun (精准).

Pure library: no Django, only numpy and the standard library.

* :func:`deprivations` -- the deprivation matrix of the Alkire--Foster method.
* :func:`alkire_foster` -- the Alkire--Foster counting measures H, A and M0 with the
  censored / uncensored headcount ratios and the contribution of each indicator.
* :func:`fgt` -- the Foster--Greer--Thorbecke index P_alpha.
* :func:`targeting_errors` -- exclusion and inclusion errors of a beneficiary list.
* :func:`coady_grosh_hoddinott` -- the Coady--Grosh--Hoddinott targeting indicator.

Every function that accepts ``population`` treats it as the number of persons a unit
(usually a household) stands for: a unit with population 3 counts exactly as three
identical units with population 1.  See ``docs/measures.md`` for the definitions,
sources and boundary conventions.

References
----------
Alkire, S. and Foster, J. (2011). "Counting and multidimensional poverty measurement".
    Journal of Public Economics 95(7-8), 476-487. doi:10.1016/j.jpubeco.2010.11.006
Foster, J., Greer, J. and Thorbecke, E. (1984). "A class of decomposable poverty
    measures". Econometrica 52(3), 761-766. doi:10.2307/1913475
Coady, D., Grosh, M. and Hoddinott, J. (2004). "Targeting of Transfers in Developing
    Countries: Review of Lessons and Experience". World Bank, Washington, DC.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "AlkireFosterResult",
    "TargetingErrors",
    "alkire_foster",
    "coady_grosh_hoddinott",
    "deprivations",
    "fgt",
    "targeting_errors",
]

#: A weight or a poverty cutoff: exact (Fraction, int, "1/6" string, Decimal) or a float.
Rational = Fraction | int | float | str | Decimal

#: Floats are read as the closest fraction whose denominator is at most this.
FLOAT_DENOMINATOR_LIMIT = 10**6

#: Share of the population (the poorest 40 %) used by the Coady-Grosh-Hoddinott indicator.
CGH_SHARE = Fraction(2, 5)


# --------------------------------------------------------------------------- helpers


def _float_array(x: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must contain only numbers") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or infinity)")
    return arr


def _vector(x: ArrayLike, name: str, n: int | None = None) -> NDArray[np.float64]:
    arr = _float_array(x, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have length {n} (one entry per unit), got {arr.shape[0]}")
    return arr


def _binary(x: ArrayLike, name: str, ndim: int) -> NDArray[np.bool_]:
    arr = _float_array(x, name)
    if arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not np.all((arr == 0) | (arr == 1)):
        raise ValueError(f"{name} must contain only 0/1 (or False/True)")
    return arr == 1


def _population(population: ArrayLike | None, n: int, require_positive: bool = True) -> NDArray[np.float64]:
    """Person weights per unit (ones when ``population`` is None)."""
    if population is None:
        pop = np.ones(n, dtype=np.float64)
    else:
        pop = _vector(population, "population", n)
        if np.any(pop < 0):
            raise ValueError("population must be non-negative")
    if require_positive and not pop.sum() > 0:
        raise ValueError("population must have a positive total (at least one unit with persons)")
    return pop


def _fraction(x: Any, name: str) -> Fraction:
    """Read a weight or cutoff as an exact fraction.

    Fraction, int, Decimal and strings such as ``"1/6"`` or ``"0.25"`` are exact; floats
    become the closest fraction with denominator <= ``FLOAT_DENOMINATOR_LIMIT`` so that
    ``1/6`` typed as a float is read as exactly one sixth.
    """
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number, got a boolean {x!r}")
    try:
        if isinstance(x, numbers.Integral):
            return Fraction(int(x))
        if isinstance(x, (Fraction, Decimal)):
            return Fraction(x)
        if isinstance(x, numbers.Real):
            return Fraction(float(x)).limit_denominator(FLOAT_DENOMINATOR_LIMIT)
        if isinstance(x, str):
            return Fraction(x.strip())
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{name} must be a finite number or fraction, got {x!r}") from exc
    raise TypeError(f"{name} must be a Fraction, int, float, Decimal or str, got {type(x).__name__}")


def _readonly(arr: NDArray[Any]) -> NDArray[Any]:
    arr.setflags(write=False)
    return arr


def _share(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else float("nan")


# --------------------------------------------------------------------------- Alkire-Foster


def deprivations(values: ArrayLike, cutoffs: ArrayLike) -> NDArray[np.int64]:
    """Deprivation matrix g0 of the Alkire--Foster method.

    ``g[i, j] = 1`` when the achievement ``values[i, j]`` of unit i in indicator j is
    STRICTLY below the deprivation cutoff ``cutoffs[j]``, else 0 (Alkire & Foster 2011:
    g0_ij = 1 when y_ij < z_j).  A value exactly at its cutoff is not
    deprived.  Indicators where more is worse must be negated (or recoded) first.

    Args:
        values: n units x d indicators, finite numbers.
        cutoffs: d deprivation cutoffs z_j, finite numbers.

    Returns:
        An (n, d) int64 array of 0/1.

    Source: Alkire, S. and Foster, J. (2011), "Counting and multidimensional poverty
    measurement", Journal of Public Economics 95, 476-487.
    """
    y = _float_array(values, "values")
    if y.ndim != 2:
        raise ValueError(f"values must be 2-dimensional (units x indicators), got shape {y.shape}")
    z = _float_array(cutoffs, "cutoffs")
    if z.ndim != 1:
        raise ValueError(f"cutoffs must be 1-dimensional (one per indicator), got shape {z.shape}")
    if z.shape[0] != y.shape[1]:
        raise ValueError(f"cutoffs has length {z.shape[0]} but values has {y.shape[1]} indicator columns")
    return (y < z).astype(np.int64)


@dataclass(frozen=True, eq=False)
class AlkireFosterResult:
    """Result of :func:`alkire_foster`.  Arrays are read-only; ``==`` is identity.

    Attributes:
        H: headcount ratio q/n -- share of units (persons) identified as poor.
        A: average intensity -- mean deprivation score among the poor (0.0 if nobody is poor).
        M0: adjusted headcount ratio H x A (= mean censored score = sum_j w_j censored_j).
        uncensored: per indicator, share of units (persons) deprived in it.
        censored: per indicator, share of units (persons) that are poor AND deprived in it.
        contributions: per indicator, w_j x censored_j / M0 (sums to 1); all zeros if M0 == 0.
        scores: per unit, weighted deprivation score c_i = sum_j w_j g_ij (uncensored).
        poor: per unit, True when c_i >= k (decided in exact rational arithmetic).
    """

    H: float
    A: float
    M0: float
    uncensored: NDArray[np.float64]
    censored: NDArray[np.float64]
    contributions: NDArray[np.float64]
    scores: NDArray[np.float64]
    poor: NDArray[np.bool_]


def alkire_foster(
    deprived: ArrayLike,
    weights: Sequence[Rational] | NDArray[Any],
    k: Rational,
    population: ArrayLike | None = None,
) -> AlkireFosterResult:
    """Alkire--Foster dual-cutoff counting measures (H, A, M0 and decompositions).

    With deprivation matrix g (n x d, 0/1), weights w_j >= 0 summing to 1 and poverty
    cutoff 0 < k <= 1 (Alkire & Foster 2011, with weights normalised to sum to 1 as in
    the global MPI):

    * score          c_i = sum_j w_j g_ij
    * identification unit i is poor  iff  c_i >= k            (rho_k)
    * H  = q / n                   (headcount ratio, q = number of poor)
    * A  = sum_{i poor} c_i / q    (average intensity among the poor)
    * M0 = H x A = (1/n) sum_i c_i(k), where c_i(k) = c_i if poor else 0
    * uncensored_j = (1/n) sum_i g_ij            (uncensored headcount ratio)
    * censored_j   = (1/n) sum_{i poor} g_ij     (censored headcount ratio, h_j(k));
      M0 = sum_j w_j censored_j
    * contributions_j = w_j censored_j / M0      (sums to 1)

    With ``population`` p_i every sum over units is weighted by p_i and n, q become
    sum p_i and sum_{i poor} p_i: a household's score applies to each of its members.

    Exactness: weights and k are read as fractions (Fraction, int, Decimal and strings
    like ``"1/6"`` exactly; floats as the closest fraction with denominator <= 10**6, so
    ``1/6`` as a float means one sixth).  They are scaled to a common denominator and
    the identification ``c_i >= k`` compares integers, so e.g. 1/6 + 3 x 1/18 is exactly
    1/3 and is poor at k = 1/3.  The weights must sum to exactly 1 after this reading.

    Conventions: A = 0.0 when nobody is poor (so M0 = H x A = 0); contributions are all
    zeros when M0 == 0 (they are undefined there).  The float outputs are rounded once
    computed; only identification is exact.

    Raises:
        ValueError: deprived not a 2-D 0/1 matrix with at least one unit; weights not one
            per indicator, negative or not summing to 1; k outside (0, 1]; population of
            wrong length, negative, non-finite or with zero total.

    Source: Alkire, S. and Foster, J. (2011), "Counting and multidimensional poverty
    measurement", Journal of Public Economics 95, 476-487 (identification rho_k,
    M0 = H x A = mu(g0(k)), decomposition by dimension); normalised weights and censored
    headcount ratios as in Alkire et al. (2015), "Multidimensional Poverty Measurement and
    Analysis", Oxford University Press.
    """
    g = _binary(deprived, "deprived", ndim=2)
    n, d = g.shape
    if n == 0:
        raise ValueError("deprived must contain at least one unit (row)")
    w = [_fraction(x, f"weights[{j}]") for j, x in enumerate(weights)]
    if len(w) != d:
        raise ValueError(f"weights has {len(w)} entries but deprived has {d} indicator columns")
    if any(x < 0 for x in w):
        raise ValueError(f"weights must be non-negative, got weights={[str(x) for x in w]}")
    if sum(w) != 1:
        raise ValueError(
            f"weights must sum to 1, got weights={[str(x) for x in w]} summing to {sum(w)} "
            "(floats are read as fractions with denominator <= 10**6; pass Fractions or '1/6' strings)"
        )
    kf = _fraction(k, "k")
    if not 0 < kf <= 1:
        raise ValueError(f"k must satisfy 0 < k <= 1, got k={kf}")
    pop = _population(population, n)

    # Exact identification: scale everything to the common denominator L.  Since the
    # weights sum to 1 the largest score is L, so int64 is safe while L < 2**62;
    # otherwise fall back to Python integers (object arrays).
    denom = math.lcm(kf.denominator, *(x.denominator for x in w))
    dtype: Any = np.int64 if denom < 2**62 else object
    int_w = np.array([x.numerator * (denom // x.denominator) for x in w], dtype=dtype)
    int_scores = g.astype(dtype) @ int_w
    poor = np.asarray(int_scores >= kf.numerator * (denom // kf.denominator), dtype=np.bool_)
    scores = np.array([s / denom for s in int_scores.tolist()], dtype=np.float64)

    total = float(pop.sum())
    poor_pop = float(pop[poor].sum())
    H = poor_pop / total
    A = float(pop[poor] @ scores[poor]) / poor_pop if poor_pop > 0 else 0.0
    M0 = H * A
    gf = g.astype(np.float64)
    uncensored = (pop @ gf) / total
    censored = ((pop * poor) @ gf) / total
    wf = np.array([float(x) for x in w], dtype=np.float64)
    contributions = wf * censored / M0 if M0 > 0 else np.zeros(d, dtype=np.float64)
    return AlkireFosterResult(
        H=H,
        A=A,
        M0=M0,
        uncensored=_readonly(uncensored),
        censored=_readonly(censored),
        contributions=_readonly(contributions),
        scores=_readonly(scores),
        poor=_readonly(poor),
    )


# --------------------------------------------------------------------------- FGT


def fgt(incomes: ArrayLike, line: float, alpha: float, population: ArrayLike | None = None) -> float:
    """Foster--Greer--Thorbecke poverty index P_alpha.

        P_alpha = (1/N) sum_{i: y_i < z} ((z - y_i) / z) ** alpha

    with poverty line z > 0 and alpha >= 0 (Foster, Greer & Thorbecke 1984).
    alpha = 0 is the headcount ratio, alpha = 1 the poverty gap index, alpha = 2 the
    squared poverty gap (severity).  Poor means STRICTLY below the line: income exactly
    z is not poor.  Only poor units enter the sum, and for them the gap is > 0, so with
    alpha = 0 each contributes gap**0 = 1 (non-poor units never produce a 0**0 term).
    Incomes below zero are allowed and give gaps above 1.

    With ``population`` p_i: P_alpha = sum_{i: y_i < z} p_i gap_i**alpha / sum_i p_i.

    Raises:
        ValueError: no incomes, non-finite incomes, line <= 0, alpha < 0, or a bad population.

    Source: Foster, J., Greer, J. and Thorbecke, E. (1984), "A class of decomposable
    poverty measures", Econometrica 52(3), 761-766.
    """
    y = _vector(incomes, "incomes")
    if y.shape[0] == 0:
        raise ValueError("incomes must contain at least one unit")
    z = float(line)
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"line must be a finite number > 0, got {line!r}")
    a = float(alpha)
    if not (math.isfinite(a) and a >= 0):
        raise ValueError(f"alpha must be a finite number >= 0, got {alpha!r}")
    pop = _population(population, y.shape[0])
    is_poor = y < z
    gaps = (z - y[is_poor]) / z
    return float(pop[is_poor] @ gaps**a / pop.sum())


# --------------------------------------------------------------------------- targeting


@dataclass(frozen=True)
class TargetingErrors:
    """Result of :func:`targeting_errors`; every field is a share in [0, 1] or nan.

    Attributes:
        exclusion_error: eligible and not selected / eligible (under-coverage, E-).
        inclusion_error_of_selected: selected and not eligible / selected (leakage, E+).
        inclusion_error_of_noneligible: selected and not eligible / not eligible.
        coverage: selected / all.
    """

    exclusion_error: float
    inclusion_error_of_selected: float
    inclusion_error_of_noneligible: float
    coverage: float


def targeting_errors(
    eligible: ArrayLike, selected: ArrayLike, population: ArrayLike | None = None
) -> TargetingErrors:
    """Exclusion and inclusion errors of a targeted programme.

    With E = eligible (e.g. truly poor) and S = selected (beneficiaries), counting units,
    or persons when ``population`` is given:

    * exclusion_error                = |E and not S| / |E|
    * inclusion_error_of_selected    = |S and not E| / |S|   (leakage)
    * inclusion_error_of_noneligible = |S and not E| / |not E|
    * coverage                       = |S| / |all|

    A share whose denominator is zero (no eligible, nobody selected, nobody non-eligible,
    no units or no persons) is ``float('nan')``; nothing is raised for that.

    Raises:
        ValueError: eligible/selected not 1-D 0/1 of equal length, or a bad population.

    Source: Coady, D., Grosh, M. and Hoddinott, J. (2004), "Targeting of Transfers in
    Developing Countries: Review of Lessons and Experience", World Bank (inclusion and
    exclusion errors; after Cornia, G. A. and Stewart, F. (1993), "Two errors of targeting",
    Journal of International Development 5(5), 459-496).
    """
    e = _binary(eligible, "eligible", ndim=1)
    s = _binary(selected, "selected", ndim=1)
    if e.shape != s.shape:
        raise ValueError(f"eligible has length {e.shape[0]} but selected has length {s.shape[0]}")
    pop = _population(population, e.shape[0], require_positive=False)

    def persons(mask: NDArray[np.bool_]) -> float:
        return float(pop[mask].sum())

    leak = persons(s & ~e)
    return TargetingErrors(
        exclusion_error=_share(persons(e & ~s), persons(e)),
        inclusion_error_of_selected=_share(leak, persons(s)),
        inclusion_error_of_noneligible=_share(leak, persons(~e)),
        coverage=_share(persons(s), float(pop.sum())),
    )


def coady_grosh_hoddinott(
    welfare: ArrayLike, benefits: ArrayLike, population: ArrayLike | None = None
) -> float:
    """Coady--Grosh--Hoddinott targeting performance indicator.

        CGH = (share of total benefits received by the poorest 40 % of the population) / 0.4

    Units are ranked by ``welfare`` ascending and the poorest 40 % of persons (units when
    ``population`` is None) is cut off.  CGH = 1 is neutral (what a uniform per-person transfer gives),
    above 1 progressive, below 1 regressive.  ``benefits`` are totals per unit.

    Boundary conventions:

    * Straddling unit: a unit whose persons lie partly below the 40 % cut counts with
      its benefit times the share of its persons below the cut (a unit ending exactly
      at the cut counts fully; one starting exactly at it not at all).
    * Ties: units with equal welfare form one group, treated as a single unit with
      their summed persons and benefits, split proportionally if it straddles the cut;
      the result therefore does not depend on the order of tied units.  A group with
      zero persons counts fully when it starts below the cut, else not at all.
    * Total benefits zero: returns ``float('nan')``.

    Raises:
        ValueError: shapes differ, non-finite values, negative benefits, no units, or a bad
            population (negative, wrong length, zero total).

    Source: Coady, D., Grosh, M. and Hoddinott, J. (2004), "Targeting of Transfers in
    Developing Countries: Review of Lessons and Experience", World Bank (e.g. 60 % of
    benefits to the poorest 40 % gives 60/40 = 1.5).
    """
    wel = _vector(welfare, "welfare")
    n = wel.shape[0]
    if n == 0:
        raise ValueError("welfare must contain at least one unit")
    ben = _vector(benefits, "benefits", n)
    if np.any(ben < 0):
        raise ValueError("benefits must be non-negative")
    pop = _population(population, n)
    total_benefits = float(ben.sum())
    if total_benefits == 0:
        return float("nan")

    levels, group = np.unique(wel, return_inverse=True)  # levels ascending
    group_pop = np.bincount(group, weights=pop, minlength=levels.shape[0])
    group_ben = np.bincount(group, weights=ben, minlength=levels.shape[0])
    before = np.concatenate(([0.0], np.cumsum(group_pop)[:-1]))
    cut = float(Fraction(float(pop.sum())) * CGH_SHARE)  # 0.4 x N, rounded once
    with np.errstate(divide="ignore", invalid="ignore"):
        below = np.where(
            group_pop > 0,
            np.clip((cut - before) / group_pop, 0.0, 1.0),
            (before < cut).astype(np.float64),
        )
    share = float(group_ben @ below) / total_benefits
    return share * float(1 / CGH_SHARE)  # x 2.5, exact in binary
