"""Drawing an evaluation sample of 30 counties × 1,000 households from a 1 M-household frame (issue 18's target:
≤ 2 s for frame read + draw + store).

    python bench/bench_evaluation_sample.py [--households 1000000] [--db /tmp/bench-eval.sqlite3] [--runs 3]

1. Database (built once, reused when `--db` exists): a migrated Django SQLite database holding a province of
   30 counties, 4 townships and about 1,000 households per village each; 40 % of the frame's households are
   the register's exited households (status 已脱贫, `registry_household`), 60 % never-registered ones
   (`evaluation_framehousehold`), village sizes drawn around 250. Written by plain SQL executemany in one
   transaction per table (the build is not what is timed).
2. Timed, `runs` times each, load average beside every figure:
   - **database**: `jingzhun.evaluation.draw.draw` for the province as the console operator — the frame's
     sizes read by SQL GROUP BY (with the never-registered list's NOT EXISTS against the register), the design
     in NumPy, the drawn villages' households read, the sample (villages and ~30,000 households with their
     probabilities, weights and design labels) stored by bulk_create with its audit row, in one transaction;
   - **arrays only**: `design.draw` on the frame's arrays (what the database path computes between reading
     and writing);
   - **naive**: a per-village loop that materialises every household of the county and draws villages by
     rng.choice (reading every household) — the baseline the design avoids.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROVINCE = "430000000000"
COUNTIES = 30
TOWNSHIPS = 4
EXITED_SHARE = 0.4


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def villages_of(households: int, per_village: int = 250, seed: int = 0) -> tuple[list[str], np.ndarray]:
    """Village codes (30 counties × 4 townships × n) and their sizes, adding up to `households`."""
    rng = np.random.default_rng(seed)
    n = max(COUNTIES * TOWNSHIPS, households // per_village)
    size = rng.integers(per_village // 2, per_village * 3 // 2, n)
    size = np.maximum(1, np.round(size * households / size.sum()).astype(np.int64))
    codes = []
    for i in range(n):
        county, township, village = i % COUNTIES, (i // COUNTIES) % TOWNSHIPS, i // (COUNTIES * TOWNSHIPS)
        codes.append(f"43{county + 1:02d}{21:02d}{101 + township:03d}{201 + village:03d}")
    return codes, size


def not_null_defaults(cur: object, table: str) -> dict[str, object]:
    """A value for every NOT NULL column without a database default, by its declared type."""
    out: dict[str, object] = {}
    for _cid, name, kind, notnull, default, pk in cur.execute(f"PRAGMA table_info({table})").fetchall():  # type: ignore[attr-defined]
        if notnull and default is None and not pk:
            kind = kind.lower()
            out[name] = ("2020-01-01 00:00:00" if "date" in kind else
                         0 if any(k in kind for k in ("int", "bool", "real", "decimal", "numeric")) else "")
    return out


def build(db: Path, households: int) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from jingzhun import choices as c
    from jingzhun.evaluation.models import FrameHousehold
    from jingzhun.registry.models import Household

    call_command("migrate", verbosity=0)
    codes, size = villages_of(households)
    rng = np.random.default_rng(1)
    exited = rng.binomial(size, EXITED_SHARE)
    with transaction.atomic(), connection.cursor() as cur:
        areas = [(PROVINCE, "湖南省", "province", None)]
        for county in sorted({v[:6] for v in codes}):
            areas.append((county + "000000", f"县{county}", "county", PROVINCE))
        for township in sorted({v[:9] for v in codes}):
            areas.append((township + "000", f"乡{township}", "township", township[:6] + "000000"))
        areas += [(v, f"村{v}", "village", v[:9] + "000") for v in codes]
        fill = {k: v for k, v in not_null_defaults(cur, "areas_area").items()
                if k not in ("code", "name", "level", "parent_id")}
        cols = [*fill, "code", "name", "level", "parent_id"]
        cur.executemany(f"INSERT INTO areas_area ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})",
                        [(*fill.values(), *a) for a in areas])
        table = Household._meta.db_table
        fill = {k: v for k, v in not_null_defaults(cur, table).items() if k not in ("number", "village_id", "status")}
        fill["exit_year"] = 2019  # an exited household has its exit year (a CHECK constraint)
        cols = [*fill, "number", "village_id", "status"]
        rows = ((*fill.values(), f"{v}E{i:04d}", v, c.EXITED) for v, n in zip(codes, exited.tolist(), strict=True)
                for i in range(n))
        cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})", rows)
        frame = FrameHousehold._meta.db_table
        cur.executemany(f"INSERT INTO {frame} (number, village_id, head_name) VALUES (%s, %s, '')",
                        ((f"{v}N{i:04d}", v) for v, n in zip(codes, (size - exited).tolist(), strict=True)
                         for i in range(n)))
    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def naive(f: object, sizes: object, seed: int) -> int:
    """A per-village loop that materialises every household of the county and draws villages by rng.choice."""
    rng = np.random.default_rng(seed)
    drawn = 0
    for county in np.unique(f.county):  # type: ignore[attr-defined]
        members = np.flatnonzero(f.county == county)  # type: ignore[attr-defined]
        households = np.concatenate([np.full(int(f.size[v]), v) for v in members])  # type: ignore[attr-defined]
        p = f.size[members] / f.size[members].sum()  # type: ignore[attr-defined]
        chosen = rng.choice(members, min(len(members), sizes.villages_per_county), replace=False, p=p)  # type: ignore[attr-defined]
        for v in chosen:
            mine = np.flatnonzero(households == v)
            drawn += len(rng.choice(mine, min(len(mine), sizes.households_per_village), replace=False))  # type: ignore[attr-defined]
    return drawn


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, default=Path("/tmp/bench-eval.sqlite3"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ["JINGZHUN_DATABASE_URL"] = f"sqlite:///{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    fresh = not args.db.exists()
    # The audit chain's key derives from the master key: one kept beside the database, as bench_web.py does.
    keys = Path(f"{args.db}.keys.env")
    if fresh or not keys.exists():
        from jingzhun.crypto import new_master_key

        keys.write_text(f"JINGZHUN_MASTER_KEY={new_master_key()}\n")
        keys.chmod(0o600)
    os.environ["JINGZHUN_MASTER_KEY"] = keys.read_text().strip().split("=", 1)[1]
    import django

    django.setup()
    from jingzhun.areas.models import Area
    from jingzhun.evaluation import design, draw
    from jingzhun.evaluation.models import Evaluation

    if fresh:
        start = time.perf_counter()
        build(args.db, args.households)
        print(f"built {args.db} in {time.perf_counter() - start:.1f} s  load {load()}")
    area = Area.objects.get(code=PROVINCE)
    sizes = design.Sizes()
    for run in range(args.runs):
        start, cpu = time.perf_counter(), time.process_time()
        found = draw.draw(name=f"bench {run}", year=2020, area_code=PROVINCE, seed=run, sizes=sizes, user=None,
                          actor="bench")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        # CPU seconds of this process (all its threads) beside the wall clock: on a shared machine the wall
        # clock measures the neighbours too.
        print(f"database     run {run}: {found.households.count():>6,} households, {found.villages.count():>5,} "
              f"villages drawn: {seconds:.3f} s (cpu {cpu:.3f} s)  load {load()}")
    start = time.perf_counter()
    frame, _codes = draw.frame_of(area)
    print(f"frame read   {int(frame.size.sum()):>9,} households in {len(frame.village):,} villages: "
          f"{time.perf_counter() - start:.3f} s  load {load()}")
    for name, fn in (("design.draw", lambda s: len(design.draw(frame, sizes, s))), ("naive loop", lambda s: naive(frame, sizes, s))):
        start = time.perf_counter()
        n = fn(1)
        print(f"{name:12s} arrays only, {n:>6,} drawn: {time.perf_counter() - start:.3f} s  load {load()}")
    Evaluation.objects.filter(name__startswith="bench ").delete()  # the database stays as built


if __name__ == "__main__":
    main()
