"""The statistical report tables (报表): the whole workbook (five tables) of a county, server-side.

    python bench/bench_reports.py [--households 20000] [--work /tmp/reports-bench] [--runs 3]

Builds the register of bench/bench_print.py (one village, `--households` households of four members through the
real import, pairs, a team, plans), then times `GET /reports/download/?area=<county>&year=2020` as the county's
officer through Django's whole request handler. Prints wall and this process's CPU time (user + system; SQLite
runs in this process) per run, and the load average before and after.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_print import build, cpu, loadavg, setup  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/reports-bench"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    setup(args.work)
    username = build(args.work, args.households)
    from django.contrib.auth.models import User
    from django.test import Client
    from django.urls import reverse

    from tests.factories import COUNTY

    client = Client()
    client.force_login(User.objects.get(username=username))
    print(f"households={args.households} load before {loadavg()}")
    walls, cpus = [], []
    for run in range(args.runs):
        began, spent = time.perf_counter(), cpu()
        response = client.get(reverse("reports:download"), {"area": COUNTY, "year": "2020"})
        walls.append(time.perf_counter() - began)
        cpus.append(cpu() - spent)
        assert response.status_code == 200
        print(f"run {run + 1}: wall {walls[-1]:.2f} s, cpu {cpus[-1]:.2f} s, load {loadavg()}")
    print(f"five tables of a county: median wall {statistics.median(walls):.2f} s, cpu {statistics.median(cpus):.2f} s")
    print(f"load after {loadavg()}")


if __name__ == "__main__":
    main()
