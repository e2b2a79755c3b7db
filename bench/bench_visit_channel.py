"""The late-entry and poor-location alerts (`jingzhun.teams.supervision`) with and without the channel index.

    python bench/bench_visit_channel.py --db /tmp/bench/channel.sqlite3 [--visits 1000000] [--phone 10]

Builds (once; reused when the file exists) bench/bench_supervision.py's province with `--households` households and
`--visits` visits, then gives every `--phone`th visit (by id) the phone channel and every `--api`th (50) the API channel, the
rest staying "file" (imported); of the phone visits, one in four has no location and one in four reports worse than
the 100 m limit, and one in five typed visits was entered two days late. Then, for each alert, the province as of
2021-01-01, in the alerts page's 90-day window and over all visits: the median of `--repeat` runs as main queried
(no index, the window's column kept from SQLite's indexes), as this branch queries without the index
`visit_channel_time`, and with it (`BENCH_CHANNEL_INDEX` tries another column list), the rows
found (equal both ways) and SQLite's query plan. Prints wall and process CPU (user + system; SQLite runs in this
process) with the load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

INDEX = "visit_channel_time"
COLUMNS = os.environ.get(  # the migration's index (teams 0009); another column list to try other shapes
    "BENCH_CHANNEL_INDEX", "channel, visited_at, village_id, entered_by, recorded_at, household_id, latitude, "
    "location_accuracy, id")
CREATE = f'CREATE INDEX "{INDEX}" ON "teams_visit" ({COLUMNS})'


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def channels(cur: object, phone: int, api: int) -> None:
    """Phone, API and file visits in fixed shares, with missing and poor locations and late entries."""
    cur.execute(f"""UPDATE teams_visit SET
        channel = CASE WHEN id % {phone} = 0 THEN 'phone' WHEN id % {api} = 1 THEN 'api' ELSE 'file' END,
        location_accuracy = CASE WHEN id % {phone} = 0 AND (id / {phone}) % 4 = 1 THEN NULL
                                 WHEN id % {phone} = 0 AND (id / {phone}) % 4 = 2 THEN 250
                                 WHEN id % {phone} = 0 THEN 20 ELSE NULL END,
        recorded_at = CASE WHEN (id % {phone} = 0 OR id % {api} = 1) AND id % 5 = 0
                           THEN datetime(visited_at, '+2 days') ELSE recorded_at END""")  # type: ignore[attr-defined]


def timed(run: object, repeat: int) -> tuple[float, float, int]:
    walls, cpus, n = [], [], 0
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), cpu()
        n = len(run())  # type: ignore[operator]
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu() - c0)
    return statistics.median(walls), statistics.median(cpus), n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--helpers", type=int, default=20_000)
    parser.add_argument("--phone", type=int, default=10, help="every Nth visit is a phone visit")
    parser.add_argument("--api", type=int, default=50, help="every Nth visit is an API visit")
    parser.add_argument("--db", default="/tmp/jingzhun-bench/channel.sqlite3")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    Path(args.db).parent.mkdir(parents=True, exist_ok=True)
    os.environ["JINGZHUN_DATABASE_URL"] = f"sqlite:///{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    import django

    django.setup()
    from bench_supervision import PROVINCE, fill
    from django.core.management import call_command
    from django.db import connection

    from jingzhun.areas.models import code_range
    from jingzhun.teams import supervision
    from jingzhun.teams.config import SupervisionConfig

    call_command("migrate", verbosity=0)
    fill(args.households, args.visits, args.helpers)
    with connection.cursor() as cur:
        channels(cur, args.phone, args.api)
        cur.execute("ANALYZE")
    as_of = dt.datetime(2021, 1, 1, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    windows = {"90 days (the alerts page's default)": as_of - dt.timedelta(days=90), "all visits": None}
    config = SupervisionConfig()
    print(f"{args.households:,} households, {args.visits:,} visits (every {args.phone}th by phone, every {args.api}th by API),"
          f" SQLite, median of {args.repeat}; load before {loadavg()}\n")
    print("| alert | window | index | wall s | CPU s | alerts |\n|---|---|---|---:|---:|---:|")
    plain = supervision.Window.visit_time
    for state in ("main (no index, window unindexed)", "without", "with"):
        with connection.cursor() as cur:
            cur.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
            if state == "with":
                cur.execute(CREATE)
            cur.execute("ANALYZE")
        # Main's query: the window's column always `+visited_at` (no index on the channel to read it with).
        supervision.Window.visit_time = (  # type: ignore[method-assign]
            (lambda self, column, indexed=False: plain(self, column)) if state.startswith("main") else plain)
        for name in ("late_entry", "poor_location"):
            for label, since in windows.items():
                window = supervision.Window(as_of=as_of, since=since, root=code_range(PROVINCE, "province"))
                check = supervision.CHECKS[name]
                wall, spent, n = timed(lambda check=check, window=window: check(window, config), args.repeat)
                print(f"| {name} | {label} | {state} | {wall:.3f} | {spent:.3f} | {n:,} |", flush=True)
    print(f"\nload after {loadavg()}")
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN SELECT v.entered_by, COUNT(*) FROM teams_visit v WHERE v.channel IN "
                    "('api', 'phone') AND +v.village_id BETWEEN '430000000000' AND '439999999999' "
                    "AND v.visited_at >= '2020-10-03' AND v.visited_at <= '2021-01-01' GROUP BY v.entered_by")
        print("plan (with the index):", [row[-1] for row in cur.fetchall()])


if __name__ == "__main__":
    main()
