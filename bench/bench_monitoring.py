"""Monitoring benchmark (issue 18 targets: the monitoring triggers for 1 M households on SQLite in place ≤ 15 s;
10 M on DuckDB ≤ 15 s).

    python bench/bench_monitoring.py duckdb --households 10000000 [--runs 3]   # the 10 M target, one command
    python bench/bench_monitoring.py build --households 1000000 --db /tmp/mon-1m.sqlite3 [--scale 2]
    python bench/bench_monitoring.py run   --db /tmp/mon-1m.sqlite3 [--runs 3] [--again]

`duckdb` times `jingzhun.monitoring.triggers.check` — the income and rigid triggers over every household, the
same expression the screening compiles into its SQL — on DuckDB over a Parquet register synthesised once into
/tmp/jingzhun-bench/monitoring-<N> (bench/bench_identify.py's households and members, their incomes moved to
2021 and × --scale, schooling expenses for 1 % of households), beside main's hand-written screening query (copied
below, run by DuckDB on the same files) as the baseline, alternating. Wall and process CPU time and the load.

`build` makes the register of bench/bench_identify.py (numpy → Parquet → the Django SQLite database through
DuckDB; about 4.2 M members), moves its income year to 2021 and adds a department signal list (major
illness) naming 0.5 % of households. `run` times `jingzhun.monitoring.screening.screen` — every trigger over
every household, the cases opened, their opening steps, the triggers and the audit row, in one transaction —
from an empty monitoring table each time (emptying it is not timed); with --again, over the cases already
there (every household found a second time: no new case, no new trigger). The machine and its load are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_identify as base  # noqa: E402

YEAR = 2021
CACHE = Path(tempfile.gettempdir()) / "jingzhun-bench"

#: main's screening query before the triggers were one expression (jingzhun/monitoring/screening.py at f7c4885),
#: with its parameters written in for the national 2021 rules (line 6,000 yuan, rigid share 1/2, medical and
#: schooling): the baseline of the `duckdb` benchmark.
MAIN_SQL = """
    SELECT * FROM (
        SELECT h.id AS hid, h.village_id AS village, h.status AS status,
               CAST(ROUND((i.wage_income + i.production_income - i.production_costs + i.property_income
                           + i.transfer_income) * 100) AS BIGINT) AS net,
               CAST(ROUND(({rigid}) * 100) AS BIGINT) AS rigid,
               (SELECT COUNT(*) FROM member m WHERE m.household_id = h.id) AS size
        FROM household h
        JOIN income i ON i.household_id = h.id AND i.year = {year}
        LEFT JOIN rigid_expense e ON e.household_id = h.id AND e.year = {year}
        WHERE h.status NOT IN ('removed', 'poor', 'returned')) b
    WHERE (size > 0 AND net < {line} * size) OR (rigid > 0 AND rigid * {den} > {num} * net)"""


def build(households: int, db: Path, scale: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base.generate(households, Path(tmp))
        base.build_sqlite(Path(tmp), db)
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        # The generator's incomes are 2020's, centred on 6,000 yuan per person (half the households under the
        # 2021 monitoring line: a stress case). --scale 2 centres them near 12,000, about where exited
        # households' incomes were reported in 2021, and a few per cent fall under the line.
        cur.execute("UPDATE registry_incomerecord SET year = %s, wage_income = ROUND(wage_income * %s, 2), "
                    "production_income = ROUND(production_income * %s, 2), "
                    "transfer_income = ROUND(transfer_income * %s, 2)", [YEAR, scale, scale, scale])
        cur.execute("INSERT INTO crosscheck_crosschecklist (id, rule, department, file_name, file_sha256, imported_by, "
                    "imported_at, row_count, hit_count, scope, scope_key, outside_count) VALUES (2, 'major_illness', "
                    "'bench', 'bench-illness', 'bench2', 'bench', '2021-06-30 00:00:00', 0, 0, NULL, '', 0)")
        cur.execute("INSERT INTO crosscheck_crosscheckhit (household_id, member_position, rule, source_list_id, evidence, "
                    "status, reason, decided_by, decided_at, created_at) SELECT id, 1, 'major_illness', 2, '{}', "
                    "'pending', '', '', NULL, '2021-06-30 00:00:00' FROM registry_household WHERE id % 200 = 7")
    print(f"income year {YEAR}, signal list added")


def run(db: Path, runs: int, again: bool) -> None:
    base.django_on(db)
    from django.db import connection

    from jingzhun.monitoring import screening

    print(base.machine())
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM registry_household")
        households = cur.fetchone()[0]
    times, cpus = [], []
    for _ in range(runs):
        with connection.cursor() as cur:
            for table in ("monitoring_trigger", "monitoring_casestep", "monitoring_case")[: 0 if again else 3]:
                cur.execute(f"DELETE FROM {table}")
        load = os.getloadavg()[0]
        t, c = time.perf_counter(), time.process_time()
        result = screening.screen(YEAR, today=dt.date(2021, 9, 16), actor="bench")
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
        print(f"  {households:,} households: found {result.households:,} ({dict(result.found)}), "
              f"{result.new_cases:,} cases, {result.new_triggers:,} triggers in {times[-1]:.2f} s "
              f"(CPU {cpus[-1]:.2f} s; load {load:.1f} → {os.getloadavg()[0]:.1f})", flush=True)
    print(f"screening, SQLite in place: median {statistics.median(times):.2f} s of {runs} "
          f"({', '.join(f'{t:.2f}' for t in times)}), CPU median {statistics.median(cpus):.2f} s")


def cached_register(households: int, scale: float) -> Path:
    """The Parquet register for the `duckdb` benchmark, generated once (bench_identify's households and members;
    incomes of 2021 × `scale`; a rigid-expense table naming 1 % of households)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    out = CACHE / f"monitoring-{households}-x{scale:g}"
    if (out / "done").exists():
        return out
    base.generate(households, out)
    income = pq.read_table(out / "income.parquet")
    income = income.set_column(income.schema.get_field_index("year"), "year",
                               pa.array(np.full(income.num_rows, YEAR, np.int64)))
    for name in ("wage_income", "production_income", "transfer_income"):
        scaled = pc.round(pc.multiply(income[name].cast(pa.float64()), scale)).cast(income.schema.field(name).type)
        income = income.set_column(income.schema.get_field_index(name), name, scaled)
    pq.write_table(income, out / "income.parquet", row_group_size=base.BATCH)
    rng = np.random.default_rng(7)
    ids = np.arange(1, households + 1, dtype=np.int64)
    chosen = ids[rng.random(households) < 0.01]
    money = pa.array(rng.integers(0, 20_000, len(chosen)).astype(np.int32)).cast(pa.decimal128(14, 2))
    pq.write_table(pa.table({"id": np.arange(1, len(chosen) + 1, dtype=np.int64), "household_id": chosen,
                             "year": np.full(len(chosen), YEAR, np.int64), "schooling": money,
                             "disaster": pa.array(np.zeros(len(chosen), np.int32)).cast(pa.decimal128(14, 2)),
                             "recorded_by": pa.array(["bench"] * len(chosen))}), out / "rigid_expense.parquet")
    (out / "done").write_text("ok\n")
    return out


def bench_duckdb(households: int, runs: int, scale: float) -> None:
    from fractions import Fraction

    from bench_exit import Timer, django_unused

    data = cached_register(households, scale)
    os.environ.setdefault("JINGZHUN_DATABASE_URL", f"sqlite:///{tempfile.gettempdir()}/bench-monitoring-unused.sqlite3")
    django_unused()
    import duckdb

    from jingzhun.identification.engines import ParquetFiles, duckdb_register
    from jingzhun.monitoring import policy, triggers

    rules = policy.rules("430000000000", YEAR)
    share = Fraction(rules.rigid_share)
    expense = {"medical": "i.medical_expenses", "schooling": "COALESCE(e.schooling, 0)",
               "disaster": "COALESCE(e.disaster, 0)"}
    main_sql = MAIN_SQL.format(rigid=" + ".join(expense[e] for e in rules.rigid_expenses), year=YEAR,
                               line=int(rules.line * 100), den=share.denominator, num=share.numerator)

    def baseline() -> tuple[int, int, int]:
        con = duckdb.connect(config={"threads": 2})
        try:
            duckdb_register(con, ParquetFiles(str(data)), triggers.need())
            return con.execute(f"SELECT COUNT(*), SUM(net), SUM(rigid) FROM ({main_sql})").fetchone()

        finally:
            con.close()

    def this_tree() -> tuple[int, int, int]:
        result = triggers.check(rules, YEAR, source=ParquetFiles(str(data)), threads=2)
        return (result.num_rows, sum(result.column("net").to_pylist()), sum(result.column("rigid").to_pylist()))

    print(f"monitoring triggers, DuckDB on Parquet, {data}; {base.machine()}")
    variants = [(Timer("baseline (main's screening query)"), baseline), (Timer("this tree (triggers.check)"), this_tree)]
    answers = set()
    for _ in range(runs):
        for timer, fn in variants:
            answers.add((timer.label, *timer.run(fn)))
    for timer, _ in variants:
        print(timer.summary())
    print("answers (variant, households found, Σ net fen, Σ rigid fen):", sorted(answers))
    if len({a[1:] for a in answers}) != 1:
        raise SystemExit("the variants disagree")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("duckdb")
    d.add_argument("--households", type=int, default=10_000_000)
    d.add_argument("--runs", type=int, default=3)
    d.add_argument("--scale", type=float, default=2.0, help="incomes × this (2: a few per cent under the line)")
    b = sub.add_parser("build")
    b.add_argument("--households", type=int, default=1_000_000)
    b.add_argument("--db", type=Path, required=True)
    b.add_argument("--scale", type=float, default=1.0, help="incomes × this (1: the stress case)")
    r = sub.add_parser("run")
    r.add_argument("--db", type=Path, required=True)
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--again", action="store_true", help="keep the cases: every household found a second time")
    args = parser.parse_args()
    if args.cmd == "duckdb":
        bench_duckdb(args.households, args.runs, args.scale)
    elif args.cmd == "build":
        build(args.households, args.db, args.scale)
    else:
        run(args.db, args.runs, args.again)


if __name__ == "__main__":
    main()
