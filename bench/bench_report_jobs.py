"""The report workbook of a whole province (five tables) built as the worker builds it, on an existing web database.

    set -a; . /tmp/wb21/web.sqlite3.keys.env; set +a
    cp /tmp/wb21/web.sqlite3 /tmp/rj/web.sqlite3          # never the original: this migrates and writes
    python bench/bench_report_jobs.py --db /tmp/rj/web.sqlite3 [--year 2020] [--runs 2]

Migrates the copy, then per run asks for the workbook of the province as a superuser (`reports.build.ask`), which
queues the `report.build` job and, with REPORTS_SYNCHRONOUS, runs it in this process exactly as a worker's child
runs it (the area rule, the five tables' counts, the XLSX, the private file, the row and the audit). Prints wall and
this process's CPU (user + system; SQLite runs in this process) per run and per table, and the load average.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True, help="a copy of the web database (it is migrated and written)")
    parser.add_argument("--year", type=int, default=2020)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    if Path(args.db).resolve() == Path("/tmp/wb21/web.sqlite3"):
        raise SystemExit("copy the database first: this benchmark migrates and writes it")
    os.environ["JINGZHUN_DATABASE_URL"] = f"sqlite:///{Path(args.db).resolve()}"
    os.environ["JINGZHUN_REPORTS_SYNCHRONOUS"] = "1"
    os.environ["JINGZHUN_REPORT_DIR"] = tempfile.mkdtemp(prefix="bench-reports-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from jingzhun.areas.models import Area
    from jingzhun.registry.models import Household
    from jingzhun.reports import build
    from jingzhun.reports.fill import fill
    from jingzhun.reports.tables import TABLES

    call_command("migrate", verbosity=0)
    user = User.objects.filter(username="bench-reports").first() or User.objects.create_superuser(
        "bench-reports", "", None)
    province = Area.objects.filter(level="province").order_by("code").first()
    assert province is not None
    print(f"{Household.objects.count():,} households; province {province.code}; year {args.year}; "
          f"load before {loadavg()}")
    for code in TABLES:  # each table's counts alone (by child and the total), no workbook
        t0, c0 = time.perf_counter(), cpu()
        fill(user, province, args.year, [code])
        print(f"  {code}: wall {time.perf_counter() - t0:.2f} s, CPU {cpu() - c0:.2f} s", flush=True)
    walls, cpus = [], []
    for run in range(args.runs):
        t0, c0 = time.perf_counter(), cpu()
        done = build.ask(user, province, args.year, list(TABLES), False)
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
        assert done.state == "done", (done.state, done.error)
        print(f"run {run + 1}: the job (five tables, XLSX {done.size:,} bytes, audited): wall {walls[-1]:.2f} s, "
              f"CPU {cpus[-1]:.2f} s, load {loadavg()}", flush=True)
    print(f"median: wall {statistics.median(walls):.2f} s, CPU {statistics.median(cpus):.2f} s; load after {loadavg()}")
    county(user, args.year)


def county(user: object, year: int) -> None:
    """The small case end to end: a county's workbook as the request builds it (under REPORT_INLINE_HOUSEHOLDS), and
    queued for `jingzhun worker --once` (a new process: its start-up, the claim, the child `run_job` and the build),
    timed from the ask to the row done."""
    import subprocess

    from django.conf import settings
    from django.db.models import Count

    from jingzhun.areas.models import Area
    from jingzhun.registry.models import Household
    from jingzhun.reports import build
    from jingzhun.reports.tables import TABLES

    code = (Household.objects.values("village__parent__parent").annotate(n=Count("pk")).order_by("-n")
            .values_list("village__parent__parent", flat=True).first())
    area = Area.objects.get(code=code)
    n = Household.objects.filter(village__parent__parent=area).count()
    settings.REPORTS_SYNCHRONOUS = False
    t0, c0 = time.perf_counter(), cpu()
    run = build.ask(user, area, year, list(TABLES), False)  # at most REPORT_INLINE_HOUSEHOLDS: the request builds it
    print(f"a county ({area.name}, {n:,} households) built by the request: {run.state} in wall "
          f"{time.perf_counter() - t0:.2f} s, CPU {cpu() - c0:.2f} s; load {loadavg()}")
    settings.REPORT_INLINE_HOUSEHOLDS = 0
    t0 = time.perf_counter()
    run = build.ask(user, area, year, list(TABLES), False)
    env = {**os.environ, "JINGZHUN_REPORTS_SYNCHRONOUS": "0"}
    subprocess.run([sys.executable, "-m", "jingzhun.cli", "worker", "--once"], env=env, check=True,
                   capture_output=True, cwd=Path(__file__).resolve().parent.parent)
    run.refresh_from_db()
    wall = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"a county ({area.name}, {n:,} households) through a new worker process: {run.state} in wall {wall:.2f} s, "
          f"CPU of the worker and its child {children.ru_utime + children.ru_stime:.2f} s; load {loadavg()}")


if __name__ == "__main__":
    main()
