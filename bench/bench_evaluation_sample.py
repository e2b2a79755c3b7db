"""Drawing an evaluation sample of 30 counties × 1,000 households from a 1 M-household frame (issue 18's target:
≤ 2 s for frame read + draw + store). This script times the DRAW on the frame's arrays (design.draw: systematic
PPS per county, SRS per village) against a naive baseline (one rng.choice over every village's households, i.e.
reading every household); the database part (frame counts by SQL GROUP BY, the drawn villages' rows, bulk store)
is not timed here yet. Prints the load average beside each figure.

    python bench/bench_evaluation_sample.py [households]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from jingzhun.evaluation import design


def frame(households: int, counties: int = 30, per_village: int = 250) -> design.Frame:
    rng = np.random.default_rng(0)
    villages = households // per_village
    size = rng.integers(per_village // 2, per_village * 3 // 2, villages)
    county = 430000000000 + (np.arange(villages) * counties // villages) * 1_000_000
    code = county + 101_000 + np.arange(villages) % 10_000
    other = (size * 0.15).astype(np.int64)
    return design.Frame(code, county, size - other, other)


def naive(f: design.Frame, sizes: design.Sizes, seed: int) -> int:
    """A per-village loop that materialises every household of the county and draws villages by rng.choice."""
    rng = np.random.default_rng(seed)
    drawn = 0
    for county in np.unique(f.county):
        members = np.flatnonzero(f.county == county)
        households = np.concatenate([np.full(int(f.size[v]), v) for v in members])  # every household read
        p = f.size[members] / f.size[members].sum()
        chosen = rng.choice(members, min(len(members), sizes.villages_per_county), replace=False, p=p)
        for v in chosen:
            mine = np.flatnonzero(households == v)
            drawn += len(rng.choice(mine, min(len(mine), sizes.households_per_village), replace=False))
    return drawn


def main() -> None:
    households = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    f = frame(households)
    sizes = design.Sizes()
    for name, fn in (("design.draw", lambda: len(design.draw(f, sizes, 1))), ("naive loop", lambda: naive(f, sizes, 1))):
        start = time.perf_counter()
        n = fn()
        seconds = time.perf_counter() - start
        load = Path("/proc/loadavg").read_text().split()[:3]
        print(f"{name:12s} {int(f.size.sum()):>9,} households in frame, {n:>6,} drawn: {seconds:.3f} s  load {' '.join(load)}")


if __name__ == "__main__":
    main()
