"""Benchmark the exact pairing solver (jingzhun.pairing) on a synthetic county-local instance.

    python bench/bench_pairing.py --households 1000000 --helpers 200000 --candidates 10

The seeded instance is generated once and saved to a temporary .npz; every measurement then runs in a fresh
subprocess that loads it, so each reported peak RSS (ru_maxrss) belongs to that measurement alone: Python,
numpy, OR-Tools, the instance and the solver's working memory.  Prints a
markdown table: exact solve (decomposed), exact solve as one OR-Tools call, greedy baseline on the same
instance, and a national-scale slice with the arithmetic to 30 M households.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jingzhun.pairing import greedy_arrays, solve_arrays  # noqa: E402

NATIONAL_HOUSEHOLDS = 30_000_000
NATIONAL_TARGET_S = 15 * 60
SWEEP_BATCH_ARCS = (1, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20)
CAUSES = 8  # main poverty causes (illness, disability, schooling, disaster, land, water, skills, labour…)


def make_instance(
    households: int, helpers: int, candidates: int, counties: int, seed: int
) -> dict[str, np.ndarray]:
    """County-local synthetic instance.

    Households and helpers live in counties of varying size (helpers roughly proportional to households,
    ±20%, so some counties are short of capacity); each household gets ``candidates`` random helpers of its
    own county (duplicates dropped, so "up to").  Cost 0..1000 = distance (8 per km in a 50 km square)
    + skill misfit (250 unless the helper covers the household's main poverty cause) + noise 0..150;
    70% of households are currently paired with one of their candidates, whose cost is cut to a quarter
    (continuity).  Ids are shuffled so that components are not contiguous ranges.
    """
    rng = np.random.default_rng(seed)
    if helpers < counties:
        raise SystemExit("need at least one helper per county")
    size = rng.lognormal(0.0, 0.5, counties)
    households_per_county = rng.multinomial(households, size / size.sum())
    helper_weight = households_per_county * rng.uniform(0.8, 1.2, counties)
    helpers_per_county = rng.multinomial(helpers - counties, helper_weight / helper_weight.sum()) + 1

    household_county = rng.permutation(np.repeat(np.arange(counties, dtype=np.int32), households_per_county))
    helper_county = rng.permutation(np.repeat(np.arange(counties, dtype=np.int32), helpers_per_county))
    helpers_by_county = np.argsort(helper_county, kind="stable").astype(np.int32)
    first_helper = np.cumsum(helpers_per_county) - helpers_per_county

    household = np.repeat(np.arange(households, dtype=np.int32), candidates)
    county = household_county[household]
    pick = (rng.random(household.size, dtype=np.float32) * helpers_per_county[county]).astype(np.int64)
    pick = np.minimum(pick, helpers_per_county[county] - 1)  # float32 rounding can reach the upper bound
    helper = helpers_by_county[first_helper[county] + pick]
    del county, pick
    key = np.unique(household.astype(np.int64) * helpers + helper)  # drop duplicate draws, sort by household
    household = (key // helpers).astype(np.int32)
    helper = (key % helpers).astype(np.int32)
    del key

    household_xy = rng.uniform(0, 50, (households, 2)).astype(np.float32)
    helper_xy = rng.uniform(0, 50, (helpers, 2)).astype(np.float32)
    distance = np.hypot(*(household_xy[household] - helper_xy[helper]).T)
    cause = rng.integers(0, CAUSES, households, dtype=np.int32)
    skills = (1 << rng.integers(0, CAUSES, helpers)) | (1 << rng.integers(0, CAUSES, helpers))
    misfit = ((skills[helper] >> cause[household]) & 1) == 0
    cost = 8 * distance + 250 * misfit + rng.integers(0, 151, household.size)
    cost = np.minimum(cost, 1000).astype(np.int32)
    del distance, misfit

    # Current pair: one random arc of 70% of households (arcs are sorted by household).
    degree = np.bincount(household, minlength=households)
    first_arc = np.cumsum(degree) - degree
    has_arcs = np.flatnonzero((degree > 0) & (rng.random(households) < 0.7))
    current = first_arc[has_arcs] + (rng.random(has_arcs.size) * degree[has_arcs]).astype(np.int64)
    cost[current] //= 4

    capacity = rng.choice(np.array([5, 3, 8], dtype=np.int32), size=helpers, p=[0.85, 0.10, 0.05])
    return {"capacity": capacity, "household": household, "helper": helper, "cost": cost}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def instance_size(args: argparse.Namespace, which: str) -> tuple[int, int, int]:
    """(households, helpers, counties) of the main instance or the national slice."""
    if which == "slice":
        households, counties = args.slice_counties * args.slice_households, args.slice_counties
    else:
        households, counties = args.households, args.counties
    return households, round(households * args.helpers / args.households), counties


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """One step in this (fresh) process; returns a JSON-able record."""
    path = Path(args.instance)
    which = "slice" if args.worker in ("slice", "generate-slice") else "main"
    households, helpers, counties = instance_size(args, which)
    if args.worker.startswith("generate"):
        started = time.perf_counter()
        instance = make_instance(households, helpers, args.candidates, counties, args.seed)
        np.savez(path, **instance)
        return {"generate_s": time.perf_counter() - started, "peak_rss_mb": peak_rss_mb()}

    # Measurements load the saved instance, so they all see the very same arcs and their peak RSS is
    # libraries + instance + solver, not the generator's temporaries.
    with np.load(path) as saved:
        arrays = (saved["capacity"], saved["household"], saved["helper"], saved["cost"])
    record: dict[str, Any] = {
        "households": households,
        "helpers": helpers,
        "counties": counties,
        "arcs": int(arrays[3].size),
        "loaded_rss_mb": peak_rss_mb(),
        "times_s": [],
        "cpu_s": [],
    }
    if args.worker == "sweep":
        # Batch size trade-off of the decomposed solve (one run each); 1 = every component on its own.
        record["sweep"] = {}
        for batch_arcs in SWEEP_BATCH_ARCS:
            started, cpu = time.perf_counter(), time.process_time()
            solve_arrays(*arrays, num_households=households, batch_arcs=batch_arcs)
            record["sweep"][batch_arcs] = (time.perf_counter() - started, time.process_time() - cpu)
        return record
    runs = 1 if args.worker == "greedy" else args.runs
    for _ in range(runs):
        # CPU time is reported next to wall time: everything here is single-threaded, so on a shared
        # machine CPU time is what the wall time would be on an idle one.
        started, cpu = time.perf_counter(), time.process_time()
        if args.worker == "greedy":
            solution = greedy_arrays(*arrays, num_households=households)
        else:
            solution = solve_arrays(*arrays, num_households=households, decompose=args.worker != "single")
        record["times_s"].append(time.perf_counter() - started)
        record["cpu_s"].append(time.process_time() - cpu)
    record["assigned"] = solution.assigned
    record["cost"] = solution.cost
    record["peak_rss_mb"] = peak_rss_mb()
    return record


def run_worker(mode: str, instance: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, *sys.argv[1:], "--worker", mode, "--instance", str(instance)]
    print(f"… {mode}", file=sys.stderr, flush=True)
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    record: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return record


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--helpers", type=int, default=200_000)
    parser.add_argument("--candidates", type=int, default=10)
    parser.add_argument("--counties", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--slice-counties", type=int, default=50)
    parser.add_argument("--slice-households", type=int, default=36_000, help="households per county")
    parser.add_argument("--skip", nargs="*", default=[], choices=["single", "greedy", "slice"])
    parser.add_argument("--sweep", action="store_true", help="also time a range of batch sizes")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--instance", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    modes = ["exact"] + [m for m in ("single", "greedy") if m not in args.skip]
    with tempfile.TemporaryDirectory() as tmp:
        main_instance, slice_instance = Path(tmp) / "main.npz", Path(tmp) / "slice.npz"
        generated = run_worker("generate", main_instance)
        records = {mode: run_worker(mode, main_instance) for mode in modes}
        sweep = run_worker("sweep", main_instance)["sweep"] if args.sweep else {}
        if "slice" not in args.skip:
            run_worker("generate-slice", slice_instance)
            records["slice"] = run_worker("slice", slice_instance)
    exact = records["exact"]

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nMachine: {os.cpu_count()} cores, load average at the end {load}; seed {args.seed}\n")
    print(
        "| run | households | helpers | arcs | assigned | total cost | wall per run (s) | median wall (s) "
        "| median CPU (s) | peak RSS |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|")
    labels = {
        "exact": "exact, decomposed",
        "single": "exact, one OR-Tools solve",
        "greedy": "greedy baseline",
        "slice": f"exact, national slice ({args.slice_counties} counties)",
    }
    for mode, r in records.items():
        runs = ", ".join(f"{t:.2f}" for t in r["times_s"])
        print(
            f"| {labels[mode]} | {r['households']:,} | {r['helpers']:,} | {r['arcs']:,} | {r['assigned']:,} "
            f"| {r['cost']:,} | {runs} | {statistics.median(r['times_s']):.2f} "
            f"| {statistics.median(r['cpu_s']):.2f} | {r['peak_rss_mb']:,.0f} MB |"
        )
    print(
        f"\nInstance generated once ({generated['generate_s']:.1f} s, generator peak "
        f"{generated['peak_rss_mb']:,.0f} MB) and loaded by each measurement process; RSS with the instance "
        f"loaded, before solving: {exact['loaded_rss_mb']:,.0f} MB (included in the peak RSS column)."
    )
    if "single" in records:
        single = records["single"]
        same = (single["assigned"], single["cost"]) == (exact["assigned"], exact["cost"])
        print(f"Decomposed and single solve reach the same optimum: {same}.")
    if "greedy" in records:
        g = records["greedy"]
        gap = 100 * (g["cost"] - exact["cost"]) / exact["cost"] if exact["cost"] else 0.0
        per_exact = exact["cost"] / max(exact["assigned"], 1)
        per_greedy = g["cost"] / max(g["assigned"], 1)
        print(
            f"Greedy: {g['assigned']:,} assigned vs {exact['assigned']:,} exact "
            f"({exact['assigned'] - g['assigned']:,} households left without a helper by greedy); "
            f"total cost gap {gap:+.2f}% (greedy pays for fewer pairs); "
            f"mean cost per pair {per_greedy:.1f} vs {per_exact:.1f} "
            f"({100 * (per_greedy / per_exact - 1):+.2f}%)."
        )
    if sweep:
        print("\n| batch_arcs | " + " | ".join(sweep) + " |")
        print("|---|" + "---:|" * len(sweep))
        print("| wall (s) | " + " | ".join(f"{wall:.2f}" for wall, _ in sweep.values()) + " |")
        print("| CPU (s) | " + " | ".join(f"{cpu:.2f}" for _, cpu in sweep.values()) + " |")
    if "slice" in records:
        s = records["slice"]
        wall, cpu = statistics.median(s["times_s"]), statistics.median(s["cpu_s"])
        slices = NATIONAL_HOUSEHOLDS / s["households"]
        national_cpu, national_wall = cpu * slices, wall * slices
        verdict = "within" if national_cpu <= NATIONAL_TARGET_S else "over"
        print(
            f"\nNational extrapolation: slice of {s['households']:,} households "
            f"({s['households'] // s['counties']:,} per county on average) solved in {cpu:.2f} s CPU "
            f"({wall:.2f} s wall) = {1e6 * cpu / s['households']:.2f} s CPU per million households. "
            f"30 M households = {slices:.2f} × the slice "
            f"→ {national_cpu:.0f} s ({national_cpu / 60:.1f} min) on one idle core, {verdict} the "
            f"{NATIONAL_TARGET_S // 60} min target (by wall time on this shared machine: "
            f"{national_wall / 60:.1f} min); two processes (e.g. one per province) on 2 cores "
            f"≈ {national_cpu / 120:.1f} min. Peak RSS of the slice {s['peak_rss_mb']:,.0f} MB; a national "
            f"run is fed province by province, so memory stays at that scale."
        )


if __name__ == "__main__":
    main()
