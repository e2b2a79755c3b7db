"""Assessment indicators benchmark (issue 16, "Targets").

    python bench/bench_assessment_indicators.py generate --households 1000000 --out /tmp/assess-1m
    python bench/bench_assessment_indicators.py sqlitedb --data /tmp/assess-1m --db /tmp/assess-1m.sqlite3
    python bench/bench_assessment_indicators.py inplace  --db /tmp/assess-1m.sqlite3 [--engines sqlite,duckdb] [--runs 3]
    python bench/bench_assessment_indicators.py refresh  --db /tmp/assess-1m.sqlite3 [--runs 5]
    python bench/bench_assessment_indicators.py parquet  --data /tmp/assess-1m [--runs 3]     # DuckDB on Parquet

The register and the work around it are generated as Parquet with numpy (the importers are benchmarked
elsewhere): a province of 10 cities × 10 counties × 10 townships × (households ÷ 100,000) villages of 100
households each; statuses at roughly the synthetic province's end-of-2020 shares with their status events
(identified, exited 2016–2020, returned in 2020 after exiting in 2018, monitored from 2019); two years of
incomes; eight cadres per village pairing the needy households (a few pairs started in the last weeks, the
2020 exits' pairs ended); a work team of three in every poor village (40 %) and in one village in ten of
the others, a few members leaving mid-year, attendance of 17–26 days a month; about ten visits a year for
every paired household at random times of 2020; a 2020 help plan for each needy household (70 % approved)
with two measures; and a village record of 2020 for each village. Household, member and income rows carry
every column of the register (bench_identify's generator); the other tables the columns the indicators
read, the loader filling the rest with constants.

`inplace` times `jingzhun.assessment.snapshots.compute(2020, engine=…)` on the Django SQLite database
(measuring and storing the new version, audited), with the measuring and storing steps apart; `refresh` adds
a status event to one village's household and times `snapshots.refresh` of that village (its work teams,
its cadres, its ancestors); `parquet` times the same computation with DuckDB reading the Parquet files,
the values stored into a throwaway Django SQLite database. Every timing is the median of --runs runs; the
machine and its load average are printed beside each figure.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import platform
import resource
import statistics
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
sys.path.insert(0, str(ROOT / "bench"))

import bench_identify  # noqa: E402  (the register's full-column household, member and income generator)

BATCH = 1_000_000
PER_VILLAGE = 100
CADRES_PER_VILLAGE = 8
TEAM_SIZE = 3
YEAR = 2020
EPOCH_UTC = dt.datetime(2019, 12, 31, 16, 0)  # 2020-01-01 00:00 in Beijing, as naive UTC (as Django stores it)
STATUSES = ["poor", "exited", "returned", "monitored"]
SHARES = [0.30, 0.57, 0.03, 0.10]
NEEDY = (0, 2, 3)  # poor, returned, monitored: the households a helper is paired with


def village_code(index: np.ndarray, per_township: int) -> np.ndarray:
    township, village = np.divmod(index, per_township)
    county, township = np.divmod(township, 10)
    city, county = np.divmod(county, 10)
    parts = [np.char.zfill((x + 1).astype(str), w) for x, w in ((city, 2), (county, 2), (township, 3), (village, 3))]
    out = np.full(len(index), "43", dtype="<U12")
    for p in parts:
        out = np.char.add(out, p)
    return out


def areas(villages: int, per_township: int) -> pa.Table:
    codes = village_code(np.arange(villages), per_township)
    rows: dict[str, str] = {"430000000000": "province"}
    for code in codes.tolist():
        rows.setdefault(code[:4].ljust(12, "0"), "city")
        rows.setdefault(code[:6].ljust(12, "0"), "county")
        rows.setdefault(code[:9].ljust(12, "0"), "township")
        rows[code] = "village"
    ordered = sorted(rows)
    parent = {"province": None, "city": 2, "county": 4, "township": 6, "village": 9}
    poor = np.arange(villages) % 5 < 2
    poor_of = dict(zip(codes.tolist(), poor.tolist(), strict=True))
    return pa.table({
        "code": ordered, "name": [f"{rows[c]}{c[-4:]}" for c in ordered], "level": [rows[c] for c in ordered],
        "parent_id": [None if parent[rows[c]] is None else c[: parent[rows[c]]].ljust(12, "0") for c in ordered],
        "poor_village": [bool(poor_of.get(c, False)) for c in ordered]})


def _dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Days after 1 January 2020 as dates; None where `null` is true."""
    values = (np.datetime64("2020-01-01") + days.astype("timedelta64[D]")).astype("datetime64[D]")
    return pa.array(values, mask=null)


def _stamps(seconds: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Seconds after 2020's first instant (Beijing) as naive UTC timestamps; None where `null` is true."""
    values = (np.datetime64(EPOCH_UTC, "s") + seconds.astype("timedelta64[s]")).astype("datetime64[us]")
    return pa.array(values, mask=null)


class Counters:
    """Running ids of the tables whose rows per household vary."""

    def __init__(self) -> None:
        self.member = self.event = self.visit = self.attendance = self.plan = self.measure = 1


def register_part(rng: np.random.Generator, first: int, n: int, per_township: int, ids: Counters,
                  seed: int) -> tuple[dict[str, pa.Table], np.ndarray, np.ndarray]:
    """Households (every column), members, incomes of 2019 and 2020, and status events."""
    base = bench_identify.generate_batch(first, n, ids.member, seed)
    ids.member += base["member"].num_rows
    hid = np.arange(first, first + n, dtype=np.int64)
    vi = (hid - 1) // PER_VILLAGE
    status = rng.choice(4, size=n, p=SHARES)
    identified = rng.integers(2014, 2020, n)
    exit_year = rng.integers(2016, 2021, n)
    hh = base["household"]
    replace = {"village_id": pa.array(village_code(vi, per_township)),
               "status": pa.array(np.array(STATUSES)[status]),
               "identified_year": pa.array(identified, mask=status == 3),
               "exit_year": pa.array(exit_year, mask=status != 1)}
    for name, column in replace.items():
        hh = hh.set_column(hh.schema.get_field_index(name), name, column)
    inc = base["income"]
    prev = inc.set_column(inc.schema.get_field_index("year"), "year", pa.array(np.full(n, YEAR - 1, np.int64)))
    income = pa.concat_tables([inc, prev])
    income = income.set_column(0, "id", pa.array(np.arange(2 * first - 1, 2 * first - 1 + 2 * n, dtype=np.int64)))
    # Events: identified (all but the monitored), exited, exited 2018 then returned 2020, monitored 2019.
    ev_h = [hid[status != 3], hid[status == 1], hid[status == 2], hid[status == 2], hid[status == 3]]
    ev_y = [identified[status != 3], exit_year[status == 1], np.full((status == 2).sum(), 2018),
            np.full((status == 2).sum(), 2020), np.full((status == 3).sum(), 2019)]
    ev_s = ["poor", "exited", "exited", "returned", "monitored"]
    h_all, y_all = np.concatenate(ev_h), np.concatenate(ev_y)
    s_all = np.concatenate([np.full(len(h), s) for h, s in zip(ev_h, ev_s, strict=True)])
    m = len(h_all)
    recorded = np.datetime64("2014-01-01T00:00:00", "s") + ((y_all - 2014) * 365 * 86400 + rng.integers(0, 86400, m)
                                                             ).astype("timedelta64[s]")
    event = pa.table({"id": np.arange(ids.event, ids.event + m, dtype=np.int64), "household_id": h_all,
                      "status": s_all, "year": y_all.astype(np.int64),
                      "recorded_at": pa.array(recorded).cast(pa.timestamp("us"))})
    ids.event += m
    return {"household": hh, "member": base["member"], "income": income, "event": event}, status, exit_year


def teams_part(rng: np.random.Generator, first: int, n: int, per_township: int, ids: Counters, status: np.ndarray,
               exit_year: np.ndarray) -> dict[str, pa.Table]:
    """Cadres, pairs, work teams, memberships, attendance and visits of the batch's villages."""
    hid = np.arange(first, first + n, dtype=np.int64)
    vi = (hid - 1) // PER_VILLAGE
    villages = np.unique(vi)
    codes = village_code(villages, per_township)
    cadre_ids = (villages[:, None] * CADRES_PER_VILLAGE + np.arange(1, CADRES_PER_VILLAGE + 1)).reshape(-1)
    cadre = pa.table({"id": cadre_ids, "home_area_id": np.repeat(codes, CADRES_PER_VILLAGE),
                      "status": np.full(len(cadre_ids), "serving")})
    needy = np.isin(status, NEEDY)
    left = (status == 1) & (exit_year == YEAR)  # exited in 2020: paired until the exit
    paired = needy | left
    p_h = hid[paired]
    p_c = vi[paired] * CADRES_PER_VILLAGE + 1 + p_h % CADRES_PER_VILLAGE
    late = (rng.random(len(p_h)) < 0.02) & ~left[paired]  # paired in the last weeks of the year
    start = np.where(late, 349, -214)  # 2020-12-15 or 2019-06-01
    pair = pa.table({"id": p_h, "household_id": p_h, "cadre_id": p_c, "start_date": _dates(start),
                     "end_date": _dates(np.full(len(p_h), 273), ~left[paired])})
    # Teams: every poor village (40 %) and one in ten of the others.
    has_team = (villages % 5 < 2) | (villages % 10 == 7)
    tv = villages[has_team]
    team = pa.table({"id": tv + 1, "village_id": village_code(tv, per_township),
                     "start_date": _dates(np.full(len(tv), -365)), "end_date": pa.array([None] * len(tv), pa.date32())})
    m_team = np.repeat(tv + 1, TEAM_SIZE)
    m_cadre = (tv[:, None] * CADRES_PER_VILLAGE + np.arange(1, TEAM_SIZE + 1)).reshape(-1)
    leaves = rng.random(len(m_cadre)) < 0.05
    membership = pa.table({"id": (tv[:, None] * TEAM_SIZE + np.arange(1, TEAM_SIZE + 1)).reshape(-1),
                           "team_id": m_team, "cadre_id": m_cadre, "start_date": _dates(np.full(len(m_cadre), -365)),
                           "end_date": _dates(np.full(len(m_cadre), 181), ~leaves),
                           "role": np.tile(["first_secretary", "team_leader", "member"], len(tv))})
    return {"cadre": cadre, "pair": pair, "team": team, "membership": membership,
            "attendance": attendance(rng, m_cadre, np.repeat(village_code(tv, per_township), TEAM_SIZE), ids),
            "visit": visits(rng, p_h, p_c, village_code((p_h - 1) // PER_VILLAGE, per_township), ids)}


def attendance(rng: np.random.Generator, cadres: np.ndarray, villages: np.ndarray, ids: Counters) -> pa.Table:
    """17–26 days at the village (the first days of each month) for each member and month of the year."""
    month_start = np.array([(dt.date(YEAR, m, 1) - dt.date(YEAR, 1, 1)).days for m in range(1, 13)])
    month_len = np.diff(np.append(month_start, 366))
    days = np.minimum(rng.integers(17, 27, (len(cadres), 12)), month_len)
    k = days.reshape(-1)
    who = np.repeat(np.arange(len(cadres)), 12)
    start = np.tile(month_start, len(cadres))
    offset = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k)
    day = np.repeat(start, k) + offset
    rows = np.repeat(who, k)
    n = len(day)
    out = pa.table({"id": np.arange(ids.attendance, ids.attendance + n, dtype=np.int64), "cadre_id": cadres[rows],
                    "village_id": villages[rows], "date": _dates(day)})
    ids.attendance += n
    return out


def visits(rng: np.random.Generator, households: np.ndarray, cadres: np.ndarray, villages: np.ndarray,
           ids: Counters) -> pa.Table:
    """About ten visits a year for each paired household, by its helper, at random times of the year."""
    k = rng.poisson(10, len(households))
    rows = np.repeat(np.arange(len(households)), k)
    n = len(rows)
    out = pa.table({"id": np.arange(ids.visit, ids.visit + n, dtype=np.int64), "cadre_id": cadres[rows],
                    "household_id": households[rows], "village_id": villages[rows],
                    "visited_at": _stamps(rng.integers(0, 366 * 86400, n))})
    ids.visit += n
    return out


def plans_part(rng: np.random.Generator, first: int, n: int, per_township: int, ids: Counters,
               status: np.ndarray) -> dict[str, pa.Table]:
    hid = np.arange(first, first + n, dtype=np.int64)
    p_h = hid[np.isin(status, NEEDY)]
    k = len(p_h)
    pid = np.arange(ids.plan, ids.plan + k, dtype=np.int64)
    ids.plan += k
    approved = rng.random(k) < 0.7
    plan = pa.table({"id": pid, "household_id": p_h, "year": np.full(k, YEAR, np.int64),
                     "approved_at": _stamps(rng.integers(0, 90 * 86400, k), ~approved),
                     "updated_at": _stamps(rng.integers(0, 90 * 86400, k))})
    mp = np.repeat(pid, 2)
    m = len(mp)
    due = rng.integers(30, 400, m)  # some fall due next year
    state = rng.choice(3, size=m, p=[0.6, 0.3, 0.1])  # done, planned, cancelled
    done = due + rng.integers(-20, 15, m)
    measure = pa.table({"id": np.arange(ids.measure, ids.measure + m, dtype=np.int64), "plan_id": mp,
                        "due_on": _dates(due), "status": np.array(["done", "planned", "cancelled"])[state],
                        "done_on": _dates(done, state != 0),
                        "category": np.full(m, "production")})
    ids.measure += m
    villages = np.unique((hid - 1) // PER_VILLAGE)
    v = len(villages)
    record = pa.table({"id": villages + 1, "village_id": village_code(villages, per_township),
                       "year": np.full(v, YEAR, np.int64), "population": rng.integers(300, 500, v),
                       "hardened_road": rng.random(v) < 0.8, "tap_water": rng.random(v) < 0.7,
                       "clinic": rng.random(v) < 0.75})
    return {"plan": plan, "measure": measure, "village_record": record}


def generate(households: int, out: Path, seed: int = 1) -> None:
    if households % 100_000:
        raise SystemExit("--households must be a multiple of 100,000 (10 × 10 × 10 townships of 100-household villages)")
    villages = households // PER_VILLAGE
    per_township = villages // 1000
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(areas(villages, per_township), out / "area.parquet")
    writers: dict[str, pq.ParquetWriter] = {}
    ids = Counters()
    t = time.perf_counter()
    for b, first in enumerate(range(1, households + 1, BATCH)):
        n = min(BATCH, households + 1 - first)
        rng = np.random.default_rng(seed * 7919 + b)
        tables, status, exit_year = register_part(rng, first, n, per_township, ids, seed * 1000 + b)
        tables |= teams_part(rng, first, n, per_township, ids, status, exit_year)
        tables |= plans_part(rng, first, n, per_township, ids, status)
        for key, table in tables.items():
            if key not in writers:
                writers[key] = pq.ParquetWriter(out / f"{key}.parquet", table.schema)
            writers[key].write_table(table, row_group_size=BATCH)
        print(f"  batch {b + 1}: {first + n - 1:,} households, {time.perf_counter() - t:.0f} s", file=sys.stderr)
    for w in writers.values():
        w.close()
    sizes = {k: pq.ParquetFile(out / f"{k}.parquet").metadata.num_rows for k in writers}
    print(f"generated in {time.perf_counter() - t:.1f} s -> {out}: " + ", ".join(f"{k} {v:,}" for k, v in sizes.items()))


# --------------------------------------------------------------------------- into a Django SQLite database

# Table key → (Django table, the constant columns the loader adds to the generated ones).
LOAD = {
    "household": ("registry_household", ""),
    "member": ("registry_member", ""),
    "income": ("registry_incomerecord", ""),
    "event": ("registry_statusevent", ", '' AS reason"),
    "cadre": ("teams_cadre", ", '干部' AS name, '单位' AS unit, 'county' AS unit_kind, 'staff' AS rank, '' AS skills, "
              "'' AS phone, '' AS personnel_number"),
    "pair": ("teams_helperpair", ", '' AS end_reason"),
    "team": ("teams_workteam", ""),
    "membership": ("teams_teammembership", ", '' AS recall_reason, CASE WHEN end_date IS NULL THEN '' ELSE 'term_end' END AS end_kind"),
    "attendance": ("teams_attendance", ", 'app' AS method, TIMESTAMP '2021-01-01' AS recorded_at, '考勤' AS entered_by"),
    "visit": ("teams_visit", ", '走访' AS notes, '' AS notes_key, 'industry' AS measures, visited_at AS recorded_at, "
              "'帮扶人' AS entered_by"),
    "plan": ("plans_helpplan", ", '目标' AS goal, updated_at AS drafted_at, 1 AS drafted_by_id, "
             "CASE WHEN approved_at IS NULL THEN NULL ELSE 1 END AS approved_by_id"),
    "measure": ("plans_planmeasure", ", '措施' AS description, 0 AS amount, '' AS result, "
                "TIMESTAMP '2020-01-01' AS created_at, TIMESTAMP '2020-12-31' AS updated_at"),
    "village_record": ("areas_villagerecord", ", 100 AS households, TRUE AS power_grid, TRUE AS broadband, "
                       "TRUE AS school, TRUE AS activity_centre, 1 AS distance_to_town_km, 0 AS collective_income"),
}


def django_on(db: Path | str) -> None:
    os.environ["JINGZHUN_DATABASE_URL"] = db if isinstance(db, str) else f"sqlite:///{db}"
    os.environ.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_sqlite(data: Path, db: Path) -> None:
    import duckdb

    if db.exists():
        db.unlink()
    django_on(db)
    from django.contrib.auth.models import User
    from django.db import connection

    User.objects.create(username="bench")  # drafts and approves the plans (id 1)
    connection.close()
    from jingzhun.db import duckdb_sqlite_extension

    t = time.perf_counter()
    con = duckdb.connect(config={"threads": 2})
    con.execute(f"LOAD '{duckdb_sqlite_extension()}'")
    con.execute(f"ATTACH '{db}' AS reg (TYPE sqlite)")
    con.execute("INSERT INTO reg.areas_area BY NAME SELECT *, 'central' AS region_class, '' AS poor_county, "
                f"'' AS contiguous_region, NULL AS exit_year FROM read_parquet('{data}/area.parquet')")
    for key, (table, extra) in LOAD.items():
        s = time.perf_counter()
        con.execute(f"INSERT INTO reg.{table} BY NAME SELECT *{extra} FROM read_parquet('{data}/{key}.parquet')")
        print(f"  {table}: {time.perf_counter() - s:.1f} s", file=sys.stderr)
    con.close()
    import sqlite3

    with sqlite3.connect(db) as raw:
        raw.execute("ANALYZE")
    print(f"built {db} in {time.perf_counter() - t:.1f} s")


# --------------------------------------------------------------------------- the benchmarks


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def median(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s of {len(times)} ({', '.join(f'{t:.2f}' for t in times)})"


def timed_compute(engine: str, **kw: Any) -> dict[str, float]:
    """One computation, its steps apart: fingerprint, measure (the engine), values (Python), store (SQL)."""
    from jingzhun.assessment import compute as cm
    from jingzhun.assessment import snapshots

    steps: dict[str, float] = {}
    original = {"fingerprint": snapshots.fingerprint, "measure": cm.measure, "values_table": cm.values_table}

    def wrap(name: str, fn: Any) -> Any:
        def inner(*a: Any, **k: Any) -> Any:
            s = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                steps[name] = steps.get(name, 0.0) + time.perf_counter() - s
        return inner

    snapshots.fingerprint = wrap("fingerprint", original["fingerprint"])
    cm.measure = wrap("measure", original["measure"])
    cm.values_table = wrap("values", original["values_table"])
    try:
        before = _cpu()
        s = time.perf_counter()
        snap = snapshots.compute(YEAR, engine=engine, today=dt.date(2021, 6, 1), actor="bench", **kw)
        steps["total"] = time.perf_counter() - s
        steps["cpu"] = _cpu() - before
    finally:
        snapshots.fingerprint, cm.measure = original["fingerprint"], original["measure"]
        cm.values_table = original["values_table"]
    steps["store"] = steps["total"] - sum(steps.get(k, 0.0) for k in ("fingerprint", "measure", "values"))
    steps["rows"], steps["units"] = float(snap.rows), float(snap.units)
    return steps


def _cpu() -> float:
    """This process's CPU time, user + system, every thread (SQLite and DuckDB run inside it), and its finished
    children's (the sqlite engine's reads run in one: jingzhun.identification.sqlite_reader)."""
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def report(label: str, runs: list[dict[str, float]]) -> None:
    """The median of the runs, and each run apart: the first computation of a period writes every value, a
    later one only the values that changed (none, when the data did not change)."""
    keys = ("total", "fingerprint", "measure", "values", "store")
    parts = "; ".join(f"{k} {statistics.median([r.get(k, 0.0) for r in runs]):.2f} s" for k in keys[1:])
    each = ", ".join(f"{r['total']:.2f} s wall / {r['cpu']:.2f} s CPU writing {int(r['rows']):,} rows" for r in runs)
    print(f"{label}: total {median([r['total'] for r in runs])} — {parts}; {int(runs[-1]['units']):,} units; "
          f"runs: {each}; {load()}")


def bench_inplace(db: Path, engines: list[str], runs: int) -> None:
    django_on(db)
    from jingzhun.registry.models import Household

    print(machine(), f"— {Household.objects.count():,} households; {load()}")
    for engine in engines:
        report(f"{engine} on {db.name}", [timed_compute(engine, threads=2) for _ in range(runs)])


def bench_refresh(db: Path, runs: int) -> None:
    """A household of one village exits (a new status event), then the village and its ancestors are refreshed."""
    django_on(db)
    from django.utils import timezone

    from jingzhun.assessment import snapshots
    from jingzhun.assessment.models import Snapshot
    from jingzhun.registry.models import Household, StatusEvent

    if not Snapshot.objects.filter(period=str(YEAR)).exists():
        timed_compute("sqlite")
    times, cpu = [], []
    for i in range(runs):
        h = Household.objects.filter(status="poor").order_by("id")[i * 997]
        StatusEvent.objects.create(household=h, status="exited", year=YEAR, recorded_at=timezone.now())
        before = _cpu()
        s = time.perf_counter()
        snap = snapshots.refresh(h.village_id, YEAR, actor="bench", today=dt.date(2021, 6, 1))
        times.append(time.perf_counter() - s)
        cpu.append(_cpu() - before)
        print(f"  village {h.village_id}: version {snap.version}, {snap.units} units, {snap.rows} rows, "
              f"{times[-1]:.2f} s wall, {cpu[-1]:.2f} s CPU; {load()}", file=sys.stderr)
    print(f"refresh of one village and its ancestors on {db.name}: {median(times)}; CPU median "
          f"{statistics.median(cpu):.2f} s (the first run imports the engine's modules); {load()}")


def bench_parquet(data: Path, runs: int) -> None:
    """DuckDB reading the Parquet register; values stored into a throwaway Django SQLite database."""
    with tempfile.TemporaryDirectory() as tmp:
        django_on(Path(tmp) / "results.sqlite3")
        from jingzhun.identification.engines import ParquetFiles

        print(machine(), f"— {pq.ParquetFile(data / 'household.parquet').metadata.num_rows:,} households; {load()}")
        report(f"duckdb on Parquet {data.name}",
               [timed_compute("duckdb", source=ParquetFiles(str(data)), threads=2) for _ in range(runs)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--households", type=int, required=True)
    g.add_argument("--out", type=Path, required=True)
    s = sub.add_parser("sqlitedb")
    s.add_argument("--data", type=Path, required=True)
    s.add_argument("--db", type=Path, required=True)
    i = sub.add_parser("inplace")
    i.add_argument("--db", type=Path, required=True)
    i.add_argument("--engines", default="sqlite,duckdb")
    i.add_argument("--runs", type=int, default=3)
    r = sub.add_parser("refresh")
    r.add_argument("--db", type=Path, required=True)
    r.add_argument("--runs", type=int, default=5)
    q = sub.add_parser("parquet")
    q.add_argument("--data", type=Path, required=True)
    q.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    if args.cmd == "generate":
        generate(args.households, args.out)
    elif args.cmd == "sqlitedb":
        build_sqlite(args.data, args.db)
    elif args.cmd == "inplace":
        bench_inplace(args.db, args.engines.split(","), args.runs)
    elif args.cmd == "refresh":
        bench_refresh(args.db, args.runs)
    else:
        bench_parquet(args.data, args.runs)


if __name__ == "__main__":
    main()
