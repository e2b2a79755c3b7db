"""Register import benchmark (issue: the poverty register).

    python bench/bench_import.py --households 1000000 --runs 3 [--baseline] [--postgres] [--xlsx-rows 100000]

Measures, each import in a fresh child process on a fresh database (so peak RSS is per import):
- `jingzhun import` of a synthetic register (one year) into SQLite: validated, IDs encrypted and
  indexed — median wall time and peak RSS of the runs;
- the baseline in the same run: Django `bulk_create` of the same rows (parsed with the csv module,
  the same encryption and blind index, no validation — a lower bound for the plain-ORM approach);
- the same import into a throwaway PostgreSQL (COPY path);
- parse + validate of an XLSX with `--xlsx-rows` rows (no database write);
- exact lookup of a person by resident ID through the blind index, on the imported database.
Prints a markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(mode: str, db_url: str, data: Path, extra: str = "") -> dict[str, float]:
    """Run one measured step in a fresh process (so its peak RSS is its own); returns its JSON result."""
    env = {**os.environ, "JINGZHUN_DATABASE_URL": db_url, "DJANGO_SETTINGS_MODULE": "jingzhun.settings"}
    done = subprocess.run([sys.executable, __file__, "--child", mode, "--data", str(data), "--extra", extra],
                          env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"child {mode} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child(mode: str, data: Path, extra: str) -> None:
    import resource

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from jingzhun.areas.loading import load_areas

    register = sorted(data.glob("register-*.csv"))[-1]
    if mode in ("import", "baseline"):
        load_areas(data / "areas.csv")
        start = time.perf_counter()
        cpu_start = time.process_time()
        load_start = os.getloadavg()[0]
        if mode == "import":
            from jingzhun.registry.importer import import_register

            result = import_register(register)
            assert result.imported and not result.errors, result.errors[:5]
            rows = result.inserted
        else:
            rows = baseline_bulk_create(register)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # CPU of this process and of the worker processes it started (encryption), which on a
        # shared machine is the steadier figure than wall time.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = time.process_time() - cpu_start + children.ru_utime + children.ru_stime
        print(json.dumps({"seconds": seconds, "households": rows, "peak_rss_mb": peak, "cpu_seconds": cpu,
                          "load": [load_start, os.getloadavg()[0]]}))
    elif mode == "xlsx":
        import numpy as np

        from jingzhun.areas.models import Area
        from jingzhun.crypto import Batch
        from jingzhun.registry import validation
        from jingzhun.registry.reading import read_any

        load_areas(data / "areas.csv")
        villages = set(Area.objects.filter(level="village").values_list("code", flat=True))
        load_start = os.getloadavg()[0]
        start = time.perf_counter()
        raw, _ = read_any(extra)
        import pyarrow.compute as pc

        cells = {n: pc.utf8_trim_whitespace(raw.table.column(n).combine_chunks()) for n in raw.table.column_names
                 if n != "_row"}
        checked = validation.check(cells, raw.table.column("_row").to_numpy(), villages,
                                   lambda fixed: Batch("resident_id", fixed, index=True).index, lambda indexes: {})
        seconds = time.perf_counter() - start
        assert not checked.problems.items, "the benchmark file should be valid"
        print(json.dumps({"seconds": seconds, "rows": int(np.int64(checked.n)), "load": [load_start, os.getloadavg()[0]]}))
    elif mode == "lookup":
        import random

        from jingzhun.crypto import resident_id_cipher
        from jingzhun.registry.models import Member

        cipher = resident_id_cipher()
        ids = [cipher.decrypt(bytes(b)) for b in
               Member.objects.order_by("?").values_list("resident_id_cipher", flat=True)[:1000]]
        random.shuffle(ids)
        times = []
        for rid in ids:
            start = time.perf_counter()
            member = Member.objects.select_related("household").get(resident_id_index=cipher.index(rid))
            times.append(time.perf_counter() - start)
            assert member.household_id
        times.sort()
        print(json.dumps({"median_ms": statistics.median(times) * 1000, "p99_ms": times[int(len(times) * 0.99)] * 1000}))


def baseline_bulk_create(path: Path) -> int:
    """The plain Django way: csv module → model instances → bulk_create, same encryption."""
    import csv
    from decimal import Decimal

    from django.db import transaction

    from jingzhun import choices as c
    from jingzhun.crypto import health_cipher, resident_id_cipher
    from jingzhun.registry import template
    from jingzhun.registry.models import Household, IncomeRecord, Member, StatusEvent

    ids, health = resident_id_cipher(), health_cipher()
    lookups = {col.key: col.enum.lookup() for col in template.COLUMNS if col.enum}
    keys = [col.key for col in template.COLUMNS]
    households, members, incomes, events = [], [], [], []
    by_number: dict[str, Household] = {}
    positions: dict[str, int] = {}

    def value(key: str, text: str) -> object:
        col = template.BY_KEY[key]
        if col.kind == "bool":
            return text == "是"
        if col.kind in ("enum",):
            return lookups[key][text]
        if col.kind == "multi":
            return ",".join(lookups[key][t] for t in text.split("、") if t)
        if col.kind == "decimal":
            return Decimal(text or "0")
        if col.kind == "int":
            return int(text) if text else None
        return text

    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for cells in reader:
            row = dict(zip(keys, cells))
            number = row["household_number"]
            if row["relation"] == "户主":
                h = Household(number=number, village_id=row["village"], **{
                    k: value(k, row[k]) for k in template.HOUSEHOLD_KEYS
                    if template.BY_KEY[k].level == "household" and k not in ("household_number", "village")})
                by_number[number] = h
                households.append(h)
                incomes.append((h, IncomeRecord(year=int(row["income_year"]), **{
                    k: value(k, row[k]) for k in template.HOUSEHOLD_KEYS
                    if template.BY_KEY[k].level == "income" and k != "income_year"})))
                events.append((h, StatusEvent(status=h.status, year=int(row["income_year"]))))
            positions[number] = positions.get(number, 0) + 1
            members.append((number, Member(
                position=positions[number], name=row["name"], resident_id_cipher=ids.encrypt(row["resident_id"]),
                resident_id_index=ids.index(row["resident_id"]), relation=lookups["relation"][row["relation"]],
                sex=lookups["sex"][row["sex"]], birth_date=row["birth_date"], ethnicity=row["ethnicity"],
                education=lookups["education"][row["education"]], schooling=lookups["schooling"][row["schooling"]],
                health_cipher=health.encrypt(f"{lookups['health'][row['health']]}:{row['disability_grade']}"),
                labour=lookups["labour"][row["labour"]], migrant_months=int(row["migrant_months"] or 0),
                medical_insurance=row["medical_insurance"] == "是", pension_insurance=row["pension_insurance"] == "是",
                assistance=lookups["assistance"][row["assistance"]])))
    del c
    from django.utils import timezone

    now = timezone.now()
    with transaction.atomic():
        Household.objects.bulk_create(households, batch_size=2000)  # sets pk on SQLite and PostgreSQL
        for number, m in members:
            m.household = by_number[number]
        Member.objects.bulk_create([m for _, m in members], batch_size=2000)
        for h, i in incomes:
            i.household = h
        IncomeRecord.objects.bulk_create([i for _, i in incomes], batch_size=2000)
        for h, e in events:
            e.household, e.recorded_at = h, now
        StatusEvent.objects.bulk_create([e for _, e in events], batch_size=2000)
    return len(households)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline", action="store_true", help="also run Django bulk_create (slow)")
    parser.add_argument("--postgres", action="store_true", help="also import into a throwaway PostgreSQL")
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--work", default=None, help="directory for data and databases (default: a temp dir)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--extra", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    if args.child:
        run_child(args.child, Path(args.data), args.extra)
        return

    work = Path(args.work or tempfile.mkdtemp(prefix="jingzhun-bench-"))
    data = work / f"synth-{args.households}"
    if not (data / "areas.csv").exists():
        from jingzhun.demo.synth import generate

        start = time.perf_counter()
        generate(data, households=args.households, seed=args.seed, years=[2020], progress=None)
        print(f"synth: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    register = sorted(data.glob("register-*.csv"))[-1]
    member_rows = sum(1 for _ in register.open(encoding="utf-8")) - 1
    results: list[tuple[str, str]] = []

    def sqlite_url(name: str) -> str:
        path = work / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"

    runs = []
    for _ in range(args.runs):
        quiet_window()
        runs.append(child("import", sqlite_url("import"), data))
        print(json.dumps(runs[-1]), file=sys.stderr)
    med = statistics.median(r["seconds"] for r in runs)
    each = ", ".join(f"{r['seconds']:.1f}" for r in runs)
    cpus = ", ".join(f"{r['cpu_seconds']:.1f}" for r in runs)
    loads = ", ".join(f"{r['load'][0]:.1f}→{r['load'][1]:.1f}" for r in runs)
    results.append((f"import {args.households:,} households / {member_rows:,} members → SQLite",
                    f"median {med:.1f} s of {args.runs} ({each}); CPU (with workers) {cpus} s; "
                    f"load average {loads}; peak RSS {max(r['peak_rss_mb'] for r in runs):,.0f} MB"))
    lookup = child("lookup", f"sqlite:///{work / 'import.sqlite3'}", data)
    results.append((f"lookup by resident ID (blind index), {args.households:,} households, 1,000 lookups",
                    f"median {lookup['median_ms']:.2f} ms, p99 {lookup['p99_ms']:.2f} ms"))
    if args.baseline:
        base = child("baseline", sqlite_url("baseline"), data)
        results.append(("baseline: Django bulk_create of the same rows → SQLite (no validation)",
                        f"{base['seconds']:.1f} s; peak RSS {base['peak_rss_mb']:,.0f} MB; "
                        f"import is {base['seconds'] / med:.1f}× faster"))
    if args.postgres:
        sys.path.insert(0, str(ROOT / "scripts"))
        from run_tests import ThrowawayPostgres

        with ThrowawayPostgres() as url:
            subprocess.run(["psql", url.rsplit("/", 1)[0] + "/postgres", "-qc", "CREATE DATABASE jingzhun"], check=True)
            pg = child("import", url, data)
        results.append((f"import {args.households:,} households → PostgreSQL (COPY)",
                        f"{pg['seconds']:.1f} s; peak RSS {pg['peak_rss_mb']:,.0f} MB"))
    if args.xlsx_rows:
        xlsx = work / f"rows-{args.xlsx_rows}.xlsx"
        if not xlsx.exists():
            write_xlsx_sample(register, xlsx, args.xlsx_rows)
        runs = []
        for _ in range(args.runs):
            quiet_window()
            runs.append(child("xlsx", sqlite_url("xlsx"), data, str(xlsx)))
            print(json.dumps(runs[-1]), file=sys.stderr)
        med_x = statistics.median(r["seconds"] for r in runs)
        each = ", ".join(f"{r['seconds']:.2f}" for r in runs)
        loads = ", ".join(f"{r['load'][0]:.1f}→{r['load'][1]:.1f}" for r in runs)
        results.append((f"parse + validate a {args.xlsx_rows:,}-row XLSX (no write)",
                        f"median {med_x:.2f} s of {args.runs} ({each}); load average {loads}"))

    print(f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"{time.strftime('%Y-%m-%d')}\n")
    print("| what | result |\n|---|---|")
    for what, result in results:
        print(f"| {what} | {result} |")


def quiet_window() -> None:
    """On a shared machine: wait while /tmp/QUIET exists (someone else is measuring), unless this
    run is the one that set it (BENCH_HOLDS_QUIET=1: it keeps the others waiting for its duration)."""
    while os.path.exists("/tmp/QUIET") and os.environ.get("BENCH_HOLDS_QUIET") != "1":
        time.sleep(30)


def write_xlsx_sample(register: Path, out: Path, rows: int) -> None:
    """The first `rows` rows of the register (ending at a household boundary) as XLSX."""
    import csv

    import xlsxwriter

    book = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    sheet = book.add_worksheet()
    text = book.add_format({"num_format": "@"})
    with register.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        sheet.write_row(0, 0, header)
        relation = header.index("与户主关系")
        for n, cells in enumerate(reader, start=1):
            if n > rows and cells[relation] == "户主":
                break
            for j, cell in enumerate(cells):
                if cell:
                    sheet.write_string(n, j, cell, text)
    book.close()


if __name__ == "__main__":
    main()
