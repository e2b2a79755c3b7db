"""Identification benchmark (issue 3 targets).

    python bench/bench_identify.py generate --households 10000000 --out /tmp/ident-10m
    python bench/bench_identify.py duckdb   --data /tmp/ident-10m [--runs 3]     # DuckDB on Parquet, results into SQLite
    python bench/bench_identify.py sqlitedb --data /tmp/ident-1m --db /tmp/ident-1m.sqlite3   # build a 1 M register DB
    python bench/bench_identify.py inplace  --db /tmp/ident-1m.sqlite3 [--engines sqlite,duckdb,spark] [--runs 3]
    python bench/bench_identify.py handsql  --data /tmp/ident-10m [--runs 3]     # Ibis vs hand-written SQL, same rules

The register is generated directly as Parquet with numpy (not through the CSV importer, which is
benchmarked by bench/bench_import.py): household sizes, incomes around the line, housing, water,
schooling and insurance at roughly the synthetic province's rates (jingzhun/demo/synth.py), 0.5 % of
households with a cross-department hit. IDs are consecutive, so the files can be loaded into a
Django SQLite database as they are (`sqlitedb`). The policy is the shipped national 2020 one.
Every timing is the median of --runs runs; the machine and its load are printed.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 1_000_000
SIZES = np.array([0.14, 0.20, 0.17, 0.19, 0.16, 0.09, 0.035, 0.015])
HOUSEHOLDS_PER_VILLAGE = 100


def _dict(codes: list[str], index: np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)), pa.array(codes, pa.string()))


def _choice(rng: np.random.Generator, n: int, codes: list[str], p: list[float]) -> pa.DictionaryArray:
    return _dict(codes, rng.choice(len(codes), size=n, p=np.array(p) / sum(p)))


def _bools(rng: np.random.Generator, n: int, p_true: float) -> pa.Array:
    return pa.array(rng.random(n) < p_true)


def _money(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype(np.int32)).cast(pa.decimal128(14, 2))  # int32 fits 14 digits with 2 decimals


def generate_batch(first_id: int, n: int, first_member: int, seed: int) -> dict[str, pa.Table]:
    rng = np.random.default_rng(seed)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    sizes = rng.choice(np.arange(1, 9), size=n, p=SIZES / SIZES.sum())
    village_no = (ids - 1) // HOUSEHOLDS_PER_VILLAGE
    # 12-digit codes: 43 province, 2-digit city, county, township, village (all synthetic).
    village = np.char.add("43", np.char.zfill((village_no + 1).astype(str), 10))
    stamp = pa.array(np.full(n, np.datetime64("2020-12-31T00:00:00", "us")))
    status = rng.choice(3, size=n, p=[0.30, 0.65, 0.05])  # poor, exited (with an exit year), monitored
    household = pa.table({
        "id": ids, "number": pa.array(np.char.add("H", ids.astype(str))), "village_id": pa.array(village),
        "category": _choice(rng, n, ["general", "dibao", "tekun"], [70, 25, 5]),
        "status": _dict(["poor", "exited", "monitored"], status),
        "identified_year": pa.array(rng.integers(2014, 2021, n)),
        "exit_year": pa.array(np.where(status == 1, 2019, 0), mask=status != 1),
        "status_reason": _dict([""], np.zeros(n)),
        "arable_land_mu": _money(rng.integers(0, 10, n)), "forest_land_mu": _money(rng.integers(0, 30, n)),
        "housing_area_m2": _money(rng.integers(20, 200, n)),
        "housing_grade": _choice(rng, n, ["A", "B", "C", "D"], [30, 60, 8, 2]),
        "drinking_water": _choice(rng, n, ["safe", "basic", "unsafe"], [80, 17, 3]),
        "has_electricity": _bools(rng, n, 0.99), "has_production_power": _bools(rng, n, 0.8),
        "road": _choice(rng, n, ["hardened", "gravel", "dirt", "none"], [60, 25, 12, 3]),
        "distance_to_road_km": _money(rng.integers(0, 10, n)), "sanitary_toilet": _bools(rng, n, 0.7),
        "primary_cause": _choice(rng, n, ["illness", "skills", "capital", "disability", "labour"], [44, 13, 9, 6, 4]),
        "secondary_causes": _dict([""], np.zeros(n)),
        "food_secure": _bools(rng, n, 0.995), "clothing_secure": _bools(rng, n, 0.995),
        "schooling_secured": _bools(rng, n, 0.99), "medical_secured": _bools(rng, n, 0.98),
        "housing_secured": _bools(rng, n, 0.97), "water_secured": _bools(rng, n, 0.98),
        "created_at": stamp, "updated_at": stamp,
    })
    # Per-capita income log-normal around 6,000 yuan: about a quarter under the 4,000 line.
    total = np.exp(rng.normal(np.log(6000), 0.6, n)) * sizes
    production = total * rng.uniform(0.1, 0.4, n)
    transfer = total * rng.uniform(0.05, 0.3, n)
    income = pa.table({
        "id": ids, "household_id": ids, "year": np.full(n, 2020, dtype=np.int64),
        "wage_income": _money(np.round(total - production - transfer)), "production_income": _money(np.round(production * 1.1)),
        "production_costs": _money(np.round(production * 0.1)), "property_income": _money(np.zeros(n)),
        "transfer_income": _money(np.round(transfer)), "medical_expenses": _money(rng.integers(0, 3000, n)),
    })
    m = int(sizes.sum())
    member_hh = np.repeat(ids, sizes)
    starts = np.cumsum(sizes) - sizes
    position = np.arange(m) - np.repeat(starts, sizes) + 1
    mids = np.arange(first_member, first_member + m, dtype=np.int64)
    relation = np.where(position == 1, 0, rng.choice([1, 2, 3, 4], size=m))
    births = (np.datetime64("1940-01-01") + rng.integers(0, 80 * 365, m).astype("timedelta64[D]"))
    index = mids.astype(">i8").view(np.uint8).reshape(-1, 8)
    blind = np.concatenate([np.zeros((m, 8), np.uint8), index], axis=1).reshape(-1)
    member = pa.table({
        "id": mids, "position": position.astype(np.int64), "name": _dict(["某某"], np.zeros(m)),
        "resident_id_cipher": pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), m, [None, pa.py_buffer(blind.tobytes())]).cast(pa.binary()),
        "resident_id_index": pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), m, [None, pa.py_buffer(blind.tobytes())]).cast(pa.binary()),
        "relation": _dict(["head", "spouse", "son", "daughter", "father"], relation),
        "sex": _choice(rng, m, ["male", "female"], [51, 49]), "birth_date": pa.array(births),
        "ethnicity": _dict(["汉族", "苗族", "土家族"], rng.choice(3, m, p=[0.8, 0.1, 0.1])),
        "education": _choice(rng, m, ["illiterate", "primary", "junior", "senior"], [10, 40, 40, 10]),
        "schooling": _choice(rng, m, ["none", "primary", "junior", "senior", "dropout"], [70, 12, 10, 7.7, 0.3]),
        "health_cipher": _dict(["x"], np.zeros(m)).cast(pa.binary()),
        "labour": _choice(rng, m, ["ordinary", "skilled", "weak", "none"], [50, 10, 20, 20]),
        "migrant_months": pa.array(rng.choice([0, 0, 3, 6, 12], m)),
        "medical_insurance": _bools(rng, m, 0.997), "pension_insurance": _bools(rng, m, 0.8),
        "assistance": _choice(rng, m, ["none", "dibao", "tekun"], [85, 13, 2]), "household_id": member_hh,
    })
    hit_hh = ids[rng.random(n) < 0.005]
    k = len(hit_hh)
    hit = pa.table({"household_id": hit_hh,
                    "rule": _choice(rng, k, ["vehicle", "business", "public_payroll", "commercial_housing", "deceased"], [3, 2, 1, 1, 1]),
                    "status": _choice(rng, k, ["pending", "confirmed", "dismissed"], [5, 3, 2])})
    return {"household": household, "member": member, "income": income, "hit": hit}


def generate(households: int, out: Path, seed: int = 1) -> None:
    out.mkdir(parents=True, exist_ok=True)
    writers: dict[str, pq.ParquetWriter] = {}
    first_member = 1
    t = time.perf_counter()
    for b, start in enumerate(range(1, households + 1, BATCH)):
        tables = generate_batch(start, min(BATCH, households + 1 - start), first_member, seed * 1000 + b)
        first_member += tables["member"].num_rows
        for key, table in tables.items():
            if key not in writers:
                writers[key] = pq.ParquetWriter(out / f"{key}.parquet", table.schema)
            writers[key].write_table(table, row_group_size=BATCH)
    for w in writers.values():
        w.close()
    print(f"generated {households:,} households, {first_member - 1:,} members in {time.perf_counter() - t:.1f} s -> {out}")


# --------------------------------------------------------------------------- Django set-up


def django_on(db: Path | str) -> None:
    """Django on a SQLite file, or on a database URL (postgresql://…)."""
    os.environ["JINGZHUN_DATABASE_URL"] = db if isinstance(db, str) else f"sqlite:///{db}"
    os.environ.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def machine() -> str:
    load = os.getloadavg()
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} "
            f"(machine shared with other work), Python {platform.python_version()}")


def median(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s of {len(times)} ({', '.join(f'{t:.2f}' for t in times)})"


def national() -> Any:
    from jingzhun.policy import national as shipped

    return shipped(2020)


# --------------------------------------------------------------------------- the benchmarks


def bench_duckdb_parquet(data: Path, runs: int) -> None:
    """The batch engine's own store: DuckDB on the Parquet register, results written as a Parquet file
    (the same evaluation as `duckdb`, without the Django database's single SQLite writer)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    os.environ.setdefault("JINGZHUN_DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/bench-ident-unused.sqlite3")
    import django

    django.setup()
    from jingzhun.identification.engines import ParquetFiles
    from jingzhun.identification.run import evaluate

    print(machine())
    total, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        result = evaluate(national(), source=ParquetFiles(str(data)), threads=2)
        with tempfile.TemporaryDirectory() as tmp:
            pq.write_table(result, Path(tmp) / "results.parquet")
            total.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
    print(f"DuckDB, {data.name}, {result.num_rows:,} households, results to Parquet: total {median(total)}; "
          f"process CPU {median(cpu)}; {machine()}")


def bench_duckdb(data: Path, runs: int, db: Path | str) -> None:
    """DuckDB on the Parquet register; results written into the Django database (`jingzhun.db.load`: a staged SQLite
    file copied in, or COPY on PostgreSQL)."""
    django_on(db)
    from jingzhun.identification.engines import ParquetFiles
    from jingzhun.identification.run import run
    from jingzhun.identification.store import discard

    print(machine())
    evaluate, write, total, cpu = [], [], [], []
    for _ in range(runs):
        c = time.process_time()
        outcome = run(national(), engine="duckdb", source=ParquetFiles(str(data)), actor="bench", threads=2)
        cpu.append(time.process_time() - c)
        evaluate.append(outcome.timings["evaluate"])
        write.append(outcome.timings["write"])
        total.append(outcome.timings["total"])
        r = outcome.run
        print(f"  run {r.id}: {r.households:,} households: poor {r.poor:,}, monitored {r.monitored:,}, "
              f"not poor {r.not_poor:,}; evaluate {evaluate[-1]:.2f} s, write {write[-1]:.2f} s, total {total[-1]:.2f} s, "
              f"CPU {cpu[-1]:.2f} s; {machine()}")
        steps = {k: v for k, v in outcome.timings.items() if k.startswith("write.")}
        if steps:
            print("    " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
        # Keep the database at one run's size so each write measures the same thing.
        discard(r.id)
    print(f"DuckDB, {data.name}: evaluate {median(evaluate)}; write {median(write)}; total {median(total)}; "
          f"process CPU {median(cpu)}")


SQLITE_LOAD_ORDER = ("household", "member", "income")


def build_sqlite(data: Path, db: Path) -> None:
    """A Django SQLite database holding the generated register (DuckDB writes through the sqlite scanner)."""
    import duckdb

    if db.exists():
        db.unlink()
    django_on(db)
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
    for key in SQLITE_LOAD_ORDER:
        con.execute(f"INSERT INTO reg.{tables[key]} BY NAME SELECT * FROM read_parquet('{data}/{key}.parquet')")
    con.execute("INSERT INTO reg.crosscheck_crosschecklist (id, rule, department, file_name, file_sha256, imported_by, "
                "imported_at, row_count, hit_count, scope_key, outside_count) VALUES (1, 'vehicle', 'bench', 'bench', 'bench', "
                "'bench', '2020-12-31', 0, 0, '', 0)")
    con.execute("INSERT INTO reg.crosscheck_crosscheckhit (household_id, member_position, rule, source_list_id, evidence, "
                "status, reason, decided_by, decided_at, created_at) SELECT household_id, row_number() OVER (), rule, 1, '{}', "
                "status, CASE WHEN status = 'pending' THEN '' ELSE 'bench' END, CASE WHEN status = 'pending' THEN '' ELSE 'bench' END, "
                f"CASE WHEN status = 'pending' THEN NULL ELSE TIMESTAMP '2020-12-31' END, TIMESTAMP '2020-12-31' FROM read_parquet('{data}/hit.parquet')")
    con.close()
    print(f"built {db} in {time.perf_counter() - t:.1f} s")


def bench_inplace(db: Path, engines: list[str], runs: int, persist: bool) -> None:
    """Identification reading the Django SQLite database: in place, through DuckDB, or through Spark;
    with `persist`, the whole run (results written to the same database, audited)."""
    django_on(db)
    from jingzhun.identification.run import evaluate, run
    from jingzhun.identification.store import discard

    print(machine())
    for engine in engines:
        if engine == "spark":
            from jingzhun.identification.engines import spark_session

            t = time.perf_counter()
            spark_session()
            print(f"  Spark session start {time.perf_counter() - t:.1f} s (once per process, not counted below)")
        times, cpu = [], []
        for _ in range(runs):
            t, c = time.perf_counter(), time.process_time()
            if persist:
                outcome = run(national(), engine=engine, threads=2, actor="bench")
                result = outcome.results
            else:
                result = evaluate(national(), engine=engine, threads=2)
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            if persist:
                print(f"  run {outcome.run.id}: evaluate {outcome.timings['evaluate']:.2f} s, write {outcome.timings['write']:.2f} s")
                discard(outcome.run.id)
        what = "identify and persist" if persist else "identify"
        print(f"{engine} on {db.name} ({result.num_rows:,} households), {what}: {median(times)}; this process's CPU "
              f"{median(cpu)} (Spark's JVM not included); {machine()}")


HAND_SQL = """
WITH m AS (
  SELECT household_id, COUNT(*) AS size,
         MIN(CASE WHEN schooling <> 'dropout' THEN 1 ELSE 0 END) AS all_in_school,
         MIN(CASE WHEN medical_insurance THEN 1 ELSE 0 END) AS all_insured
  FROM member GROUP BY household_id),
i AS (
  SELECT household_id,
         CAST(ROUND(CAST(wage_income AS DOUBLE) * 100) AS BIGINT) + CAST(ROUND(CAST(production_income AS DOUBLE) * 100) AS BIGINT)
         + CAST(ROUND(CAST(property_income AS DOUBLE) * 100) AS BIGINT) + CAST(ROUND(CAST(transfer_income AS DOUBLE) * 100) AS BIGINT)
         - CAST(ROUND(CAST(production_costs AS DOUBLE) * 100) AS BIGINT) AS net
  FROM income WHERE year = 2020),
x AS (
  SELECT household_id,
         MAX(CASE WHEN rule = 'vehicle' THEN 1 ELSE 0 END) AS vehicle, MAX(CASE WHEN rule = 'business' THEN 1 ELSE 0 END) AS business,
         MAX(CASE WHEN rule = 'public_payroll' THEN 1 ELSE 0 END) AS payroll,
         MAX(CASE WHEN rule = 'commercial_housing' THEN 1 ELSE 0 END) AS housing,
         MAX(CASE WHEN rule = 'deceased' THEN 1 ELSE 0 END) AS deceased
  FROM hit WHERE status <> 'dismissed' GROUP BY household_id),
j AS (
  SELECT h.id, COALESCE(m.size, 0) AS size, i.net, i.household_id IS NOT NULL AS has_income,
         (CASE WHEN h.food_secure AND h.clothing_secure THEN 0 ELSE 1 END)
         + (CASE WHEN h.schooling_secured AND COALESCE(m.all_in_school, 1) = 1 THEN 0 ELSE 2 END)
         + (CASE WHEN h.medical_secured AND COALESCE(m.all_insured, 1) = 1 THEN 0 ELSE 4 END)
         + (CASE WHEN h.housing_secured AND h.housing_grade IN ('A', 'B') THEN 0 ELSE 8 END)
         + (CASE WHEN h.water_secured AND h.drinking_water IN ('safe', 'basic') THEN 0 ELSE 16 END) AS g,
         COALESCE(x.vehicle, 0) + 2 * COALESCE(x.business, 0) + 4 * COALESCE(x.payroll, 0)
         + 8 * COALESCE(x.housing, 0) + 16 * COALESCE(x.deceased, 0) AS xb
  FROM household h LEFT JOIN m ON m.household_id = h.id LEFT JOIN i ON i.household_id = h.id
  LEFT JOIN x ON x.household_id = h.id),
k AS (
  SELECT *, has_income AND size > 0 AND net < size * 400000 AS below,
         has_income AND size > 0 AND net >= size * 400000 AND net < size * 600000 AS below_mon,
         (xb & 13) > 0 AS excluded, (xb & 18) > 0 AS review
  FROM j)
SELECT id AS household_id, size, net AS net_fen,
       CASE WHEN NOT excluded AND (below OR g > 0) THEN 1 WHEN NOT excluded AND below_mon THEN 2 ELSE 0 END AS status,
       g AS guarantee_failures, xb AS exclusions, 0 AS deprivations, 0 AS mpi_points,
       (CASE WHEN below THEN 1 ELSE 0 END) + (CASE WHEN below_mon THEN 2 ELSE 0 END) + (CASE WHEN g > 0 THEN 4 ELSE 0 END)
       + (CASE WHEN excluded THEN 16 ELSE 0 END) + (CASE WHEN review THEN 32 ELSE 0 END)
       + (CASE WHEN has_income THEN 0 ELSE 64 END) + (CASE WHEN size > 0 THEN 0 ELSE 128 END) AS reasons
FROM k
"""


def bench_handsql(data: Path, runs: int) -> None:
    """The national 2020 rules compiled by Ibis vs the same rules written by hand, on the same DuckDB
    connection and views; the two results must be identical."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    os.environ.setdefault("JINGZHUN_DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/bench-ident-unused.sqlite3")
    import django

    django.setup()
    import duckdb
    import ibis

    from jingzhun.identification.compile import RESULT_COLUMNS, identify, needed_columns, rules
    from jingzhun.identification.engines import ParquetFiles, _scoped, duckdb_register

    print(machine())
    r = rules(national())
    need = needed_columns(r)
    con = duckdb.connect(config={"threads": 2})
    duckdb_register(con, ParquetFiles(str(data)), need)
    # Materialise the views once so both variants read the same in-memory tables.
    for key in need:
        con.execute(f'CREATE TABLE "{key}_t" AS SELECT * FROM "{key}"')
        con.execute(f'DROP VIEW "{key}"')
        con.execute(f'ALTER TABLE "{key}_t" RENAME TO "{key}"')
    backend = ibis.duckdb.from_connection(con)
    expr = identify(r, _scoped({k: backend.table(k) for k in need}, None))
    sql = ibis.to_sql(expr, dialect="duckdb")
    timings: dict[str, list[float]] = {"ibis (compile + run)": [], "ibis SQL run directly": [], "hand-written SQL": []}
    cpu: dict[str, list[float]] = {name: [] for name in timings}
    results = {}
    variants = {"ibis (compile + run)": lambda: expr.to_pyarrow(),
                "ibis SQL run directly": lambda: con.execute(str(sql)).fetch_arrow_table(),
                "hand-written SQL": lambda: con.execute(HAND_SQL).fetch_arrow_table()}
    for _ in range(runs):
        for name, variant in variants.items():
            t, c = time.perf_counter(), time.process_time()
            results[name] = variant()
            timings[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    results["ibis"], results["hand"] = results["ibis (compile + run)"], results["hand-written SQL"]
    a = results["ibis"].select(list(RESULT_COLUMNS)).sort_by("household_id")
    b = results["hand"].select(list(RESULT_COLUMNS)).sort_by("household_id")
    a = a.cast(pa.schema([(c, pa.int64()) for c in RESULT_COLUMNS]))
    b = b.cast(pa.schema([(c, pa.int64()) for c in RESULT_COLUMNS]))
    assert a.equals(b), "the hand-written SQL and the Ibis expressions disagree"
    print(f"identical results on {a.num_rows:,} households")
    for name, times in timings.items():
        print(f"  {name}: wall {median(times)}; CPU {median(cpu[name])}")
    print(machine())


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--households", type=int, required=True)
    g.add_argument("--out", type=Path, required=True)
    d = sub.add_parser("duckdb")
    d.add_argument("--data", type=Path, required=True)
    d.add_argument("--db", type=Path, default=Path(tempfile.gettempdir()) / "bench-ident-results.sqlite3")
    d.add_argument("--runs", type=int, default=3)
    d.add_argument("--to", choices=["django", "parquet"], default="django")
    d.add_argument("--pg", action="store_true", help="write into a throwaway PostgreSQL (COPY) instead of SQLite")
    s = sub.add_parser("sqlitedb")
    s.add_argument("--data", type=Path, required=True)
    s.add_argument("--db", type=Path, required=True)
    i = sub.add_parser("inplace")
    i.add_argument("--db", type=Path, required=True)
    i.add_argument("--engines", default="sqlite,duckdb,spark")
    i.add_argument("--runs", type=int, default=3)
    i.add_argument("--persist", action="store_true", help="write the results too (a full run)")
    h = sub.add_parser("handsql")
    h.add_argument("--data", type=Path, required=True)
    h.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    if args.cmd == "generate":
        generate(args.households, args.out)
    elif args.cmd == "duckdb" and args.to == "parquet":
        bench_duckdb_parquet(args.data, args.runs)
    elif args.cmd == "duckdb" and args.pg:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
        from run_tests import ThrowawayPostgres

        with ThrowawayPostgres() as url:
            subprocess.run(["psql", url.rsplit("/", 1)[0] + "/postgres", "-qc", "CREATE DATABASE jingzhun"], check=True)
            bench_duckdb(args.data, args.runs, url)
    elif args.cmd == "duckdb":
        bench_duckdb(args.data, args.runs, args.db)
    elif args.cmd == "sqlitedb":
        build_sqlite(args.data, args.db)
    elif args.cmd == "inplace":
        bench_inplace(args.db, args.engines.split(","), args.runs, args.persist)
    else:
        bench_handsql(args.data, args.runs)


if __name__ == "__main__":
    main()
