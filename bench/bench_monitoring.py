"""Monitoring benchmark (issue 18 target: the monitoring triggers for 1 M households on SQLite in place ≤ 15 s).

    python bench/bench_monitoring.py build --households 1000000 --db /tmp/mon-1m.sqlite3 [--scale 2]
    python bench/bench_monitoring.py run   --db /tmp/mon-1m.sqlite3 [--runs 3] [--again]

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
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import bench_identify as base  # noqa: E402

YEAR = 2021


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
    times = []
    for _ in range(runs):
        with connection.cursor() as cur:
            for table in ("monitoring_trigger", "monitoring_casestep", "monitoring_case")[: 0 if again else 3]:
                cur.execute(f"DELETE FROM {table}")
        t = time.perf_counter()
        result = screening.screen(YEAR, today=dt.date(2021, 9, 16), actor="bench")
        times.append(time.perf_counter() - t)
        print(f"  {households:,} households: found {result.households:,} ({dict(result.found)}), "
              f"{result.new_cases:,} cases, {result.new_triggers:,} triggers in {times[-1]:.2f} s")
    print(f"screening, SQLite in place: median {statistics.median(times):.2f} s of {runs} "
          f"({', '.join(f'{t:.2f}' for t in times)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build")
    b.add_argument("--households", type=int, default=1_000_000)
    b.add_argument("--db", type=Path, required=True)
    b.add_argument("--scale", type=float, default=1.0, help="incomes × this (1: the stress case)")
    r = sub.add_parser("run")
    r.add_argument("--db", type=Path, required=True)
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--again", action="store_true", help="keep the cases: every household found a second time")
    args = parser.parse_args()
    if args.cmd == "build":
        build(args.households, args.db, args.scale)
    else:
        run(args.db, args.runs, args.again)


if __name__ == "__main__":
    main()
