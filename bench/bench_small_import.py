"""Small-file import benchmark: the files officers send most — a couple of households — end to end on SQLite.

    python bench/bench_small_import.py --households 20000 --runs 21 [--work /tmp/small-bench] [--profile]

Builds once (reused when the work folder holds it): a synthetic register of `--households` + 2 households
(one year), imported into SQLite but for its last two households, which are written to a 2-household CSV.
Each run copies that register (outside the timing), then times `import_register` of the 2-household CSV:
read, validate, compare with the register, write, audit — everything `jingzhun import` does but Django's
start. The plain path (`jingzhun.db.loader.PLAIN_BELOW` as shipped) and the old staged path (the threshold forced
to 0: every table staged through DuckDB files) alternate run by run in the same process, so a busy
machine weighs on both alike. Prints the medians, every run and the load average, for docs/benchmarks.md.
`--profile` prints a cProfile of one run of each instead.
"""

from __future__ import annotations

import argparse
import base64
import csv
import os
import platform
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def prepare(work: Path, households: int, held: int) -> tuple[Path, Path, Path]:
    """(areas.csv, the rows of the `held` households kept out of the register, the register database
    without them), made once for each size of register and number held out."""
    data = work / f"synth-{households}-{held}"
    rest, base = data / "held.csv", data / "register.sqlite3"
    if not (data / "areas.csv").exists():
        from jingzhun.synth import generate

        generate(data, households=households + held, seed=11, years=[2020], progress=None)
    if not rest.exists():
        split(sorted(data.glob("register-*.csv"))[-1], data / "most.csv", rest, held)
    return data / "areas.csv", rest, base


def split(register: Path, most: Path, rest: Path, held: int) -> None:
    """The register's rows but its last `held` households → `most`; those → `rest`."""
    with register.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    number = header.index("户编号")
    kept_out = set(list(dict.fromkeys(r[number] for r in body))[-held:])
    for path, keep in ((most, lambda r: r[number] not in kept_out), (rest, lambda r: r[number] in kept_out)):
        write_rows(path, header, [r for r in body if keep(r)])


def write_rows(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def first_households(rest: Path, k: int, out: Path) -> int:
    """The first `k` households of `rest` as a file of their own; returns the rows all tables get
    (a household, its members, an income record and a status event each)."""
    with rest.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    number = header.index("户编号")
    chosen = set(list(dict.fromkeys(r[number] for r in body))[:k])
    members = [r for r in body if r[number] in chosen]
    write_rows(out, header, members)
    return len(members) + 3 * k


def build(areas: Path, most: Path, base: Path, live: Path) -> None:
    """The register without the two households, in `base` (through the real import)."""
    from django.core.management import call_command
    from django.db import connection

    from jingzhun.areas.loading import load_areas
    from jingzhun.registry.importer import import_register

    if base.exists():
        return
    call_command("migrate", verbosity=0)
    load_areas(areas)
    done = import_register(most)
    assert done.imported and not done.errors, done.errors[:3]
    connection.close()
    shutil.copyfile(live, base)


def fresh(base: Path, live: Path) -> None:
    """The live database back to the register without the two households (connection closed first)."""
    from django.db import connection

    connection.close()
    for suffix in ("-wal", "-shm"):
        Path(str(live) + suffix).unlink(missing_ok=True)
    shutil.copyfile(base, live)


def one_run(small: Path, base: Path, live: Path, threshold: int, households: int = 2) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process's threads) of one import into a fresh copy of the register."""
    from jingzhun.db import loader as db
    from jingzhun.registry.importer import import_register

    fresh(base, live)
    shipped = db.PLAIN_BELOW
    db.PLAIN_BELOW = threshold
    try:
        start, cpu = time.perf_counter(), time.process_time()
        result = import_register(small)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    finally:
        db.PLAIN_BELOW = shipped
    assert result.imported and result.inserted == households and not result.errors, (result.inserted, result.errors[:3])
    return seconds, cpu


def crossover(rest: Path, base: Path, live: Path, sizes: list[int], runs: int) -> None:
    """Plain (threshold above the load) against staged (threshold 0) for loads of `sizes` households."""
    print("\n| households | rows (all tables) | plain | staged | load average |\n|---|---|---|---|---|")
    for k in sizes:
        path = live.parent / f"{k}-households.csv"
        rows = first_households(rest, k, path)
        plain, staged = [], []
        load = os.getloadavg()[0]
        for _ in range(runs):
            plain.append(one_run(path, base, live, rows + 1, k)[0])
            staged.append(one_run(path, base, live, 0, k)[0])
        print(f"| {k:,} | {rows:,} | {statistics.median(plain) * 1000:.0f} ms | {statistics.median(staged) * 1000:.0f} ms"
              f" | {load:.1f} → {os.getloadavg()[0]:.1f} |", flush=True)


def profile(small: Path, base: Path, live: Path) -> None:
    import cProfile
    import pstats

    from jingzhun.db import loader as db

    for label, threshold in (("plain", db.PLAIN_BELOW), ("staged (threshold 0)", 0)):
        one_run(small, base, live, threshold)  # warm
        fresh(base, live)
        prof = cProfile.Profile()
        prof.enable()
        one_run(small, base, live, threshold)
        prof.disable()
        print(f"\n=== {label}")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(35)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--work", default="/tmp/jingzhun-small-bench")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--crossover", default="", help="sizes in households, e.g. 100,300,1000: plain against staged")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    key_file = work / "master.key"
    if not key_file.exists():
        key_file.write_text(base64.b64encode(os.urandom(32)).decode())
    os.environ["JINGZHUN_MASTER_KEY"] = key_file.read_text().strip()  # the register's key, for every run
    sizes = [int(k) for k in args.crossover.split(",")] if args.crossover else []
    areas, rest, base = prepare(work, args.households, max([2, *sizes]))
    live = base.parent / "live.sqlite3"
    os.environ["JINGZHUN_DATABASE_URL"] = f"sqlite:///{live}"
    import django

    django.setup()
    build(areas, base.parent / "most.csv", base, live)
    small = base.parent / "2-households.csv"
    first_households(rest, 2, small)
    if args.profile:
        profile(small, base, live)
        return
    from jingzhun.db import loader as db

    shipped = db.PLAIN_BELOW
    for threshold in (shipped, 0):  # warm: imports, the first DuckDB connection
        one_run(small, base, live, threshold)
    if sizes:
        crossover(rest, base, live, sizes, args.runs)
        return
    plain: list[tuple[float, float]] = []
    staged: list[tuple[float, float]] = []
    loads = [os.getloadavg()[0]]
    for _ in range(args.runs):
        plain.append(one_run(small, base, live, shipped))
        staged.append(one_run(small, base, live, 0))
    loads.append(os.getloadavg()[0])
    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}; load average {loads[0]:.2f} → {loads[1]:.2f}\n")
    print(f"2-household import into a register of {args.households:,} households (SQLite), {args.runs} runs each\n")
    print("| path | median (wall) | min | max | median CPU |\n|---|---|---|---|---|")
    for label, runs in ((f"plain (below {shipped:,} rows)", plain), ("staged (threshold forced to 0, the old path)", staged)):
        times = [wall for wall, _ in runs]
        print(f"| {label} | {statistics.median(times) * 1000:.1f} ms | {min(times) * 1000:.1f} ms | "
              f"{max(times) * 1000:.1f} ms | {statistics.median(cpu for _, cpu in runs) * 1000:.1f} ms |")
    print("\nplain runs (ms):", ", ".join(f"{t * 1000:.0f}" for t, _ in plain))
    print("staged runs (ms):", ", ".join(f"{t * 1000:.0f}" for t, _ in staged))


if __name__ == "__main__":
    main()
