"""Benchmark a department list's import (`jingzhun.crosscheck.actions.import_list`) on a small register.

    JINGZHUN_DATABASE_URL=sqlite:////tmp/bench-lists.sqlite3 python bench/bench_crosscheck.py --rows 10000

A fresh (empty) database gets the test areas and a register of `--households` households (3 members each, imported
with the register import); a vehicle list of `--rows` rows is written (one row in ten is a register member,
the rest valid IDs of people outside the register), and imported `--runs` times, each a different file
(one plate differs, so it is not "already imported"). Uses only the public `import_list`, so the same script
measures the code before and after a change (run it from each tree). Prints the median, the runs and the
load average.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--households", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    os.environ.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())  # a throwaway key
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from jingzhun.crosscheck.actions import import_list
    from tests.factories import VILLAGE, household_rows, make_areas, resident_id, write_csv

    make_areas()
    tmp = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    rows = [r for n in range(args.households) for r in household_rows(f"433130101201{n:06d}", VILLAGE, seed=0)]
    for n, row in enumerate(rows):  # the factory's IDs repeat across households: give each person their own
        born = dt.date(1950, 1, 1) + dt.timedelta(days=n)
        row["birth_date"] = born.isoformat()
        row["resident_id"] = resident_id("433130", born, n % 499, row["sex"] == "男")
    call_command("import", str(write_csv(tmp / "register.csv", rows)), verbosity=0)
    members = [r["resident_id"] for r in rows]
    today = dt.date(2024, 6, 30)
    times = []
    for run in range(args.runs):
        path = tmp / f"vehicles-{run}.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["姓名", "身份证号", "号牌号码", "车辆类型", "登记日期", "联系电话"])
            for i in range(args.rows):
                rid = members[i % len(members)] if i % 10 == 0 else resident_id(
                    "110101", dt.date(1950, 1, 1) + dt.timedelta(days=i % 20000), i % 499, bool(i % 2))
                w.writerow([f"车主{i}", rid, f"湘U{i:05d}" if i else f"湘U{run}", "小型轿车", "2019-05-01",
                            "13800000000"])
        load = os.getloadavg()[0]
        start = time.perf_counter()
        result = import_list(path, "vehicle", actor="bench", today=today)
        times.append(time.perf_counter() - start)
        print(f"run {run + 1}: {times[-1]:.3f} s, {result.rows} rows, {result.hits} hits, load {load:.2f}",
              flush=True)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"median {statistics.median(times):.3f} s over {args.runs} runs of {args.rows:,} rows; "
          f"load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
