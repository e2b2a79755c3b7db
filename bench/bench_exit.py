"""Household exit check benchmark (issue 18 targets: 1 M households on SQLite in place ≤ 15 s; 10 M on
DuckDB ≤ 15 s).

    python bench/bench_exit.py duckdb   --households 10000000 [--runs 3] [--baseline main]  # the 10 M target, one command
    python bench/bench_exit.py generate --households 1000000 --out /tmp/exit-1m [--all-poor]
    python bench/bench_exit.py duckdb   --data /tmp/exit-1m [--runs 3]                 # DuckDB on a given Parquet register
    python bench/bench_exit.py sqlitedb --data /tmp/exit-1m --db /tmp/exit-1m.sqlite3   # build a Django SQLite DB
    python bench/bench_exit.py inplace  --db /tmp/exit-1m.sqlite3 [--engines sqlite,duckdb] [--runs 3]

The register is bench/bench_identify.py's generator (30 % of households poor, 65 % exited, 5 % monitored;
incomes around the 2020 line), with a second income year (2019: the 2020 incomes × 0.93) so the 2020
national exit policy's two income years are both there. `--all-poor` puts every household on the poor list
(the worst case: every household is checked). Every timing is the median of --runs runs, with the machine's
load average printed next to it.

`duckdb --households N` synthesises the register once into /tmp/jingzhun-bench/exit-<N> (kept for the next run)
and times the check there. `--baseline REF` times the check as git REF has it (its jingzhun/exits/households.py,
loaded beside this tree's) in the same run, alternating with this tree's, so both see the same machine. Every
run reports wall time and process CPU time (user + system of every thread: DuckDB's workers are threads of this
process), and the load average before and after.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_identify as bi  # noqa: E402  (the register's generator and the Django set-up)


def generate(households: int, out: Path, all_poor: bool) -> None:
    bi.generate(households, out)
    t = time.perf_counter()
    income = pq.read_table(out / "income.parquet")
    earlier = income.set_column(income.schema.get_field_index("id"), "id", pc.add(income["id"], households))
    earlier = earlier.set_column(earlier.schema.get_field_index("year"), "year",
                                 pa.array([2019] * earlier.num_rows, pa.int64()))
    for name in ("wage_income", "production_income", "transfer_income"):
        scaled = pc.round(pc.multiply(earlier[name].cast(pa.float64()), 0.93)).cast(earlier.schema.field(name).type)
        earlier = earlier.set_column(earlier.schema.get_field_index(name), name, scaled)
    pq.write_table(pa.concat_tables([earlier, income]), out / "income.parquet", row_group_size=bi.BATCH)
    if all_poor:
        hh = pq.read_table(out / "household.parquet")
        status = pa.DictionaryArray.from_arrays(pa.array([0] * hh.num_rows, pa.int32()), pa.array(["poor"]))
        hh = hh.set_column(hh.schema.get_field_index("status"), "status", status)
        hh = hh.set_column(hh.schema.get_field_index("exit_year"), "exit_year", pa.nulls(hh.num_rows, pa.int64()))
        pq.write_table(hh, out / "household.parquet", row_group_size=bi.BATCH)
    print(f"second income year (2019){' and every household poor' if all_poor else ''} in "
          f"{time.perf_counter() - t:.1f} s")


def build_sqlite(data: Path, db: Path) -> None:
    """A Django SQLite database holding the register (areas, households, members, incomes: what the exit
    check reads; the identification benchmark's builder also loads hits)."""
    import duckdb

    if db.exists():
        db.unlink()
    bi.django_on(db)
    from django.db import connection

    connection.close()
    from jingzhun.db import duckdb_sqlite_extension

    t = time.perf_counter()
    con = duckdb.connect(config={"threads": 2})
    con.execute(f"LOAD '{duckdb_sqlite_extension()}'")
    con.execute(f"ATTACH '{db}' AS reg (TYPE sqlite)")
    villages = con.execute(f"SELECT DISTINCT village_id FROM read_parquet('{data}/household.parquet')").fetchall()
    con.execute("BEGIN")
    con.execute("INSERT INTO reg.areas_area (code, name, level, parent_id, region_class, poor_county, contiguous_region, "
                "poor_village, exit_year) VALUES ('430000000000', '湖南省', 'province', NULL, 'central', '', '', 0, NULL)")
    con.executemany("INSERT INTO reg.areas_area (code, name, level, parent_id, region_class, poor_county, contiguous_region, "
                    "poor_village, exit_year) VALUES (?, '村', 'village', '430000000000', 'central', '', '', 0, NULL)", villages)
    con.execute("COMMIT")
    tables = {"household": "registry_household", "member": "registry_member", "income": "registry_incomerecord"}
    for key in bi.SQLITE_LOAD_ORDER:
        con.execute(f"INSERT INTO reg.{tables[key]} BY NAME SELECT * FROM read_parquet('{data}/{key}.parquet')")
    con.close()
    print(f"built {db} in {time.perf_counter() - t:.1f} s")


def _report(label: str, times: list[float], rows: int, eligible: int) -> None:
    print(f"{label}: {rows:,} households on the poor list checked, {eligible:,} eligible; "
          f"median {statistics.median(times):.2f} s of {len(times)} ({', '.join(f'{t:.2f}' for t in times)}); "
          f"{bi.machine()}")


CACHE = Path(tempfile.gettempdir()) / "jingzhun-bench"


def cached_register(households: int) -> Path:
    """The synthetic register of `households` households as Parquet, generated once and kept under /tmp."""
    out = CACHE / f"exit-{households}"
    if not (out / "done").exists():
        generate(households, out, all_poor=False)
        (out / "done").write_text("ok\n")
    return out


class Timer:
    """Wall and process CPU time (user + system, every thread) of the runs of one variant, with the load."""

    def __init__(self, label: str) -> None:
        self.label, self.walls, self.cpus, self.loads = label, [], [], []  # type: ignore[var-annotated]

    def run(self, fn: Callable[[], Any]) -> Any:
        before = os.getloadavg()[0]
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        self.walls.append(time.perf_counter() - t)
        self.cpus.append(time.process_time() - c)
        self.loads.append((before, os.getloadavg()[0]))
        print(f"  {self.label}: wall {self.walls[-1]:.2f} s, CPU {self.cpus[-1]:.2f} s, load {before:.1f} → "
              f"{self.loads[-1][1]:.1f}", flush=True)
        return result

    def summary(self) -> str:
        return (f"{self.label}: wall median {statistics.median(self.walls):.2f} s "
                f"({', '.join(f'{w:.2f}' for w in self.walls)}), CPU median {statistics.median(self.cpus):.2f} s "
                f"({', '.join(f'{c:.2f}' for c in self.cpus)}), load {self.loads[0][0]:.1f} → {self.loads[-1][1]:.1f}")


def module_at(ref: str, path: str, name: str) -> ModuleType:
    """The module `path` as git `ref` has it, loaded under `name` (its imports are this tree's)."""
    root = Path(__file__).resolve().parent.parent
    text = subprocess.run(["git", "show", f"{ref}:{path}"], cwd=root, check=True, capture_output=True,
                          text=True).stdout
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    exec(compile(text, f"{ref}:{path}", "exec"), module.__dict__)  # noqa: S102  (our own repository's code)
    sys.modules[name] = module
    return module


def django_unused() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    os.environ.setdefault("JINGZHUN_DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/bench-exit-unused.sqlite3")
    import django

    django.setup()


def bench_duckdb(data: Path, runs: int, baseline: str | None = None) -> None:
    django_unused()
    from jingzhun.exits import households
    from jingzhun.identification.engines import ParquetFiles
    from jingzhun.policy.exit import exit_rules

    rules = exit_rules(2020)
    variants = [(Timer("this tree"), households.check)]
    if baseline:
        old = module_at(baseline, "jingzhun/exits/households.py", "bench_exit_baseline")
        variants.insert(0, (Timer(f"baseline ({baseline})"), old.check))
    print(f"exit check, DuckDB on Parquet, {data}; {bi.machine()}")
    answers = []
    for _ in range(runs):
        for timer, check in variants:
            result = timer.run(lambda check=check: check(rules, source=ParquetFiles(str(data)), threads=2))
            answers.append((timer.label, result.num_rows, pc.sum(result["eligible"]).as_py() or 0,
                            pc.sum(result["reasons"]).as_py()))
    for timer, _ in variants:
        print(timer.summary())
    print("answers (variant, households checked, eligible, Σ reason codes):", sorted(set(answers)))
    if len({a[1:] for a in answers}) != 1:
        raise SystemExit("the variants disagree")


def bench_inplace(db: Path, engines: list[str], runs: int) -> None:
    bi.django_on(db)
    from jingzhun.exits.households import check
    from jingzhun.policy.exit import exit_rules

    rules = exit_rules(2020)
    for engine in engines:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            result = check(rules, engine=engine, threads=2)
            times.append(time.perf_counter() - t)
        _report(f"{engine} on {db.name}", times, result.num_rows, pc.sum(result["eligible"]).as_py() or 0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--households", type=int, required=True)
    g.add_argument("--out", type=Path, required=True)
    g.add_argument("--all-poor", action="store_true")
    d = sub.add_parser("duckdb")
    d.add_argument("--data", type=Path, help="a Parquet register (default: synthesised once under /tmp)")
    d.add_argument("--households", type=int, default=10_000_000)
    d.add_argument("--runs", type=int, default=3)
    d.add_argument("--baseline", help="also time the check as this git ref has it (e.g. main), alternating")
    s = sub.add_parser("sqlitedb")
    s.add_argument("--data", type=Path, required=True)
    s.add_argument("--db", type=Path, required=True)
    i = sub.add_parser("inplace")
    i.add_argument("--db", type=Path, required=True)
    i.add_argument("--engines", default="sqlite,duckdb")
    i.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    if args.cmd == "generate":
        generate(args.households, args.out, args.all_poor)
    elif args.cmd == "duckdb":
        bench_duckdb(args.data or cached_register(args.households), args.runs, args.baseline)
    elif args.cmd == "sqlitedb":
        build_sqlite(args.data, args.db)
    else:
        bench_inplace(args.db, args.engines.split(","), args.runs)


if __name__ == "__main__":
    main()
