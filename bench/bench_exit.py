"""Household exit check benchmark (issue 18 targets: 1 M households on SQLite in place ≤ 15 s; 10 M on
DuckDB ≤ 15 s).

    python bench/bench_exit.py generate --households 1000000 --out /tmp/exit-1m [--all-poor]
    python bench/bench_exit.py duckdb   --data /tmp/exit-1m [--runs 3]                 # DuckDB on the Parquet register
    python bench/bench_exit.py sqlitedb --data /tmp/exit-1m --db /tmp/exit-1m.sqlite3   # build a Django SQLite DB
    python bench/bench_exit.py inplace  --db /tmp/exit-1m.sqlite3 [--engines sqlite,duckdb] [--runs 3]

The register is bench/bench_identify.py's generator (30 % of households poor, 65 % exited, 5 % monitored;
incomes around the 2020 line), with a second income year (2019: the 2020 incomes × 0.93) so the 2020
national exit policy's two income years are both there. `--all-poor` puts every household on the poor list
(the worst case: every household is checked). Every timing is the median of --runs runs, with the machine's
load average printed next to it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

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


def bench_duckdb(data: Path, runs: int) -> None:
    import os
    import tempfile

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    os.environ.setdefault("JINGZHUN_DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/bench-exit-unused.sqlite3")
    import django

    django.setup()
    from jingzhun.exits.households import check
    from jingzhun.identification.engines import ParquetFiles
    from jingzhun.policy.exit import exit_rules

    rules = exit_rules(2020)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = check(rules, source=ParquetFiles(str(data)), threads=2)
        times.append(time.perf_counter() - t)
    _report(f"DuckDB on Parquet, {data.name}", times, result.num_rows, pc.sum(result["eligible"]).as_py() or 0)


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
    d.add_argument("--data", type=Path, required=True)
    d.add_argument("--runs", type=int, default=3)
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
        bench_duckdb(args.data, args.runs)
    elif args.cmd == "sqlitedb":
        build_sqlite(args.data, args.db)
    else:
        bench_inplace(args.db, args.engines.split(","), args.runs)


if __name__ == "__main__":
    main()
