"""Benchmark the assessment's scoring function (jingzhun.assessment.score) against issue 16's target:
200,000 cadres under a 15-indicator scheme in at most 2 s.

    python bench/bench_assessment_score.py --units 200000 --indicators 15 --runs 5

A seeded synthetic year: every third indicator of each rule (target, threshold, rank), directions alternating,
5% of the values missing (absent key or None), a few unit pairs with identical values (ties), three deduction
kinds counted for a tenth of the units, four grades and a 15% share for the top one. The input is built once
as the ``{unit: {code: value}}`` dicts a caller passes; each run scores all of it (reading the dicts, points,
totals, ranks, grades, the UnitScore objects), so the time is what a caller waits for.

The baseline is the test suite's plain implementation (tests/test_assessment_scoring.py, ``plain_score``),
which reads the rules literally, unit by unit; its rank rule and ranks are quadratic, so it runs on a smaller
slice (``--plain-units``) of the same year, where score() is timed too and both results are compared.
Prints a markdown table with the load average; CPU time is shown beside wall time because the machine is
shared (everything here is single-threaded, so CPU time is what an idle core would take).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_assessment_scoring import plain_score  # noqa: E402

from jingzhun.assessment import score  # noqa: E402

TARGET_S = 2.0
# Minimums set so that about a fifth of the synthetic cadres reach the top grade and the 15% cap decides.
GRADES = [("优秀", 65), ("称职", 55), ("基本称职", 45), ("不称职", 0)]
SHARE = 0.15
DEDUCTIONS = [
    {"kind": "fabricated_visits", "points": 5, "cap": 20},
    {"kind": "residence_below_rule", "points": 3, "cap": 12},
    {"kind": "late_plan", "points": 1, "cap": None},
]


def make_year(units: int, indicators: int, seed: int) -> tuple[dict, list, dict]:
    """(values, indicators, counts) of a synthetic year; see the module's docstring."""
    rng = np.random.default_rng(seed)
    rules = ("target", "threshold", "rank")
    inds = []
    for j in range(indicators):
        rule = rules[j % 3]
        direction = "higher" if j % 2 == 0 else "lower"
        target = None if rule == "rank" else round(float(rng.uniform(0.5, 1.5)), 2)
        inds.append({"code": f"ind{j + 1:02}", "weight": 100 / indicators, "rule": rule, "target": target,
                     "direction": direction})
    codes = [i["code"] for i in inds]
    matrix = np.round(rng.gamma(4.0, 0.25, (units, indicators)), 3).tolist()
    gone = rng.random((units, indicators)) < 0.05
    twins = rng.integers(0, units, (units // 50, 2))
    values: dict[str, dict[str, Any]] = {}
    for u, row in enumerate(matrix):
        values[f"cadre{u:07}"] = dict(zip(codes, row))
    names = list(values)
    for a, b in twins.tolist():
        values[names[b]] = dict(values[names[a]])
    for u, j in np.argwhere(gone).tolist():
        row = values[names[u]]
        if (u + j) % 2:
            row[codes[j]] = None
        else:
            row.pop(codes[j], None)
    counted = rng.choice(units, units // 10, replace=False).tolist()
    counts = {names[u]: {d["kind"]: int(rng.integers(0, 5)) for d in DEDUCTIONS} for u in counted}
    return values, inds, counts


def timed(function: Callable[[], Any], runs: int) -> tuple[list[float], list[float], Any]:
    walls, cpus, result = [], [], None
    for _ in range(runs):
        result = None  # the previous result is freed before the next run, as a caller's would be
        started, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
    return walls, cpus, result


def same(got: dict, want: dict) -> bool:
    for unit, s in got.items():
        w = want[unit]
        if (s.missing, s.rank, s.grade) != (w["missing"], w["rank"], w["grade"]):
            return False
        if abs(s.total - w["total"]) > 1e-9 or abs(s.deducted - w["deducted"]) > 1e-9:
            return False
        if any(abs(p - w["points"][code]) > 1e-9 for code, p in s.points.items()):
            return False
    return list(got) == list(want)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--indicators", type=int, default=15)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--plain-units", type=int, default=1_000)
    parser.add_argument("--plain-runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()

    started = time.perf_counter()
    values, inds, counts = make_year(args.units, args.indicators, args.seed)
    built = time.perf_counter() - started
    kwargs = {"deductions": DEDUCTIONS, "grades": GRADES, "excellent_share": SHARE}
    print("… score, full size", file=sys.stderr, flush=True)
    walls, cpus, result = timed(lambda: score(values, inds, counts=counts, **kwargs), args.runs)
    top = sum(s.grade == GRADES[0][0] for s in result.values())
    missing = sum(bool(s.missing) for s in result.values())
    del result

    small = dict(list(values.items())[: args.plain_units])
    small_counts = {u: c for u, c in counts.items() if u in small}
    print("… score and plain, small slice", file=sys.stderr, flush=True)
    s_walls, s_cpus, s_result = timed(lambda: score(small, inds, counts=small_counts, **kwargs), args.runs)
    p_walls, p_cpus, p_result = timed(
        lambda: plain_score(small, inds, DEDUCTIONS, small_counts, GRADES, SHARE), args.plain_runs)
    agree = same(s_result, p_result)

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nMachine: {os.cpu_count()} cores, load average at the end {load}; seed {args.seed}; "
          f"input built in {built:.1f} s; peak RSS of the process {rss:,.0f} MB\n")
    print("| run | units | indicators | wall per run (s) | median wall (s) | median CPU (s) |")
    print("|---|---:|---:|---|---:|---:|")
    rows = [("score()", args.units, walls, cpus), ("score()", len(small), s_walls, s_cpus),
            ("plain implementation (baseline)", len(small), p_walls, p_cpus)]
    for label, n, w, c in rows:
        print(f"| {label} | {n:,} | {args.indicators} | {', '.join(f'{x:.3f}' for x in w)} "
              f"| {statistics.median(w):.3f} | {statistics.median(c):.3f} |")
    verdict = "within" if statistics.median(walls) <= TARGET_S else "over"
    print(f"\nscore() on {args.units:,} units: median {statistics.median(walls):.2f} s wall, {verdict} the "
          f"{TARGET_S:g} s target; {top:,} units graded {GRADES[0][0]} (cap {SHARE:.0%}), {missing:,} with a "
          f"missing value. On {len(small):,} units score() and the plain implementation agree: {agree}; "
          f"score() is {statistics.median(p_walls) / statistics.median(s_walls):,.0f}× faster there.")


if __name__ == "__main__":
    main()
