"""Benchmark the roster import (`jingzhun import_roster`) on SQLite: a file of `--rows` rows, imported into
an empty database and then again (nothing changes), median of `--repeat` runs, wall and CPU time.

    python bench/bench_roster.py --rows 10000
    python bench/bench_roster.py --rows 10000 --root /tmp/main-checkout   # another checkout, side by side

The file: one cadre per row (personnel numbers P00000…), stationed in the three villages of
tests/factories.py in turn; the first three rows are their teams' first secretaries, odd rows members of the
team of their village (start dates spread over March 2019), even rows cadres only. Each `--root` runs in
its own process with its own database file; the machine's load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent


def write_file(path: Path, rows: int) -> None:
    import csv

    from jingzhun.teams.roster_import import HEADERS
    from tests.factories import OTHER_VILLAGE, VILLAGE, VILLAGE2

    villages = [VILLAGE, VILLAGE2, OTHER_VILLAGE]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADERS)
        for k in range(rows):
            v = villages[k % 3]
            cadre = [f"P{k:05d}", f"干部{k}", "龙山县农业农村局", "县直部门", "乡科级", "农业技术、金融", v, "在岗",
                     f"135{k:08d}"]
            if k < 3:
                team = [v, "第一书记", "2019-03-01"]
            elif k % 2:
                team = [v, "队员", f"2019-03-{1 + k % 28:02d}"]
            else:
                team = ["", "", ""]
            out.writerow(cadre + team + ["", "", "", ""])


def measure(rows: int, repeat: int, db: Path) -> None:
    """In this process: a fresh database, the file, then the runs."""
    import datetime as dt
    import statistics
    import time

    import django

    django.setup()
    from django.core.management import call_command

    from jingzhun.teams.models import Cadre, CadreStatusEvent, TeamMembership, WorkTeam
    from jingzhun.teams.roster_import import import_roster
    from tests.factories import make_areas

    call_command("migrate", verbosity=0)
    make_areas()
    path = db.with_suffix(".csv")
    write_file(path, rows)
    today = dt.date(2020, 7, 1)
    times: dict[str, list[tuple[float, float]]] = {"insert": [], "unchanged": []}
    for _ in range(repeat):
        for model in (TeamMembership, WorkTeam, CadreStatusEvent, Cadre):
            model.objects.all().delete()
        for kind in ("insert", "unchanged"):
            wall, cpu = time.perf_counter(), time.process_time()
            out = import_roster(path, actor="bench", today=today)
            times[kind].append((time.perf_counter() - wall, time.process_time() - cpu))
            assert not out.errors and out.changed == (kind == "insert"), out.errors[:3]
    for kind, runs in times.items():
        print(f"| {kind} | {rows:,} | {statistics.median(w for w, _ in runs):.3f} s | "
              f"{statistics.median(c for _, c in runs):.3f} s |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--root", action="append", help="a checkout to measure (default: this one); repeatable")
    parser.add_argument("--db", default="/tmp/bench-roster", help="database files: DB-<n>.sqlite3")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(args.rows, args.repeat, Path(args.child))
        return
    for n, root in enumerate(args.root or [str(HERE)]):
        db = Path(f"{args.db}-{n}.sqlite3")
        db.unlink(missing_ok=True)
        env = {**os.environ, "JINGZHUN_DATABASE_URL": f"sqlite:///{db}", "DJANGO_SETTINGS_MODULE": "jingzhun.settings",
               "PYTHONPATH": root, "JINGZHUN_MASTER_KEY": base64.b64encode(os.urandom(32)).decode()}
        print(f"{root} (load average {', '.join(f'{x:.1f}' for x in os.getloadavg())})\n\n"
              "| import | rows | wall (median) | CPU (median) |\n|---|---|---|---|", flush=True)
        subprocess.run([sys.executable, str(Path(__file__).resolve()), "--rows", str(args.rows), "--repeat",
                        str(args.repeat), "--child", str(db)], cwd=root, env=env, check=True)
        print(flush=True)


if __name__ == "__main__":
    main()
