"""Benchmark the supervision alerts and the coverage report on a synthetic register in SQLite.

    python bench/bench_supervision.py --households 1000000 --visits 6000000 --db /tmp/bench/sup.sqlite3

Builds (once; reused when the file exists) a province of 10 counties × 10 townships × 10 villages with
`--households` households (80 % poor, 10 % monitored, 10 % exited; ids village by village, as imports
create them), 200 k helpers each paired with needy households of their own village (5 per helper), a 3-member work team per village with attendance for every
member on 18–25 days of each month of 2020, and `--visits` visits spread over 2020 (random times, random
coordinates with one shared point, mostly unique notes with a few copied ones, one bulk late entry).
The fill is plain SQL (recursive CTEs) with the indexes dropped and rebuilt, not the ORM.

Then times each alert query (`jingzhun.teams.supervision`), the team rules and the coverage report by
county, as of 2021-01-01, and prints a markdown table: median of `--repeat` runs, and the rows returned.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROVINCE = "430000000000"
EPOCH_2020 = 1577808000  # 2020-01-01 00:00 Beijing time, as a Unix time


def fill(households: int, visits: int, helpers: int) -> None:
    from django.db import connection

    from jingzhun.db import next_id

    if next_id("registry_household") > 1:
        print(f"reusing the existing register ({next_id('registry_household') - 1} households)", file=sys.stderr)
        return
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode = OFF")
        cur.execute("PRAGMA synchronous = OFF")
        cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
                    "('registry_household', 'teams_visit', 'teams_helperpair', 'teams_cadre', 'teams_attendance')")
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        _areas(cur)
        cur.execute("SELECT COUNT(*) FROM vidx")
        nv = cur.fetchone()[0]
        per = helpers // nv  # helpers per village

        def helper_of(h: str) -> str:
            return f"(({h} - 1) * {nv} / {households}) * {per} + (({h} - 1) % {per}) + 1"

        cur.execute(f"""
            INSERT INTO registry_household (id, number, village_id, category, status, identified_year, exit_year,
                status_reason, arable_land_mu, forest_land_mu, housing_area_m2, housing_grade, drinking_water,
                has_electricity, has_production_power, road, distance_to_road_km, sanitary_toilet, primary_cause,
                secondary_causes, food_secure, clothing_secure, schooling_secured, medical_secured, housing_secured,
                water_secured, created_at, updated_at)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {households})
            SELECT i, 'H' || i, (SELECT code FROM vidx WHERE idx = (i - 1) * {nv} / {households}), 'general',
                   CASE WHEN i % 10 = 0 THEN 'exited' WHEN i % 10 = 1 THEN 'monitored' ELSE 'poor' END, 2014,
                   CASE WHEN i % 10 = 0 THEN 2019 END, '', 0, 0, 0, 'B', 'safe', 1, 0, 'gravel', 0, 0, 'illness', '',
                   1, 1, 1, 1, 1, 1, '2020-01-01 00:00:00', '2020-01-01 00:00:00'
            FROM n""")
        cur.execute(f"""
            INSERT INTO teams_cadre (id, name, unit, unit_kind, rank, skills, home_area_id, status, phone,
                                     personnel_number)
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {helpers})
            SELECT i, '干部' || i, '单位', 'county', 'staff', '', (SELECT code FROM vidx WHERE idx = (i - 1) / {per}),
                   'serving', '', '' FROM n""")
        # Needy household i → one of the helpers of its own village, in turn.
        cur.execute(f"""
            INSERT INTO teams_helperpair (household_id, cadre_id, start_date, end_date, end_reason, run_id)
            SELECT id, {helper_of('id')}, '2019-06-01', NULL, '', NULL FROM registry_household
            WHERE status IN ('poor', 'monitored')""")
        # Teams: 3 members per village, drawn from the village's helpers (cadres 1..3 × villages).
        cur.execute("INSERT INTO teams_workteam (id, village_id, start_date, end_date) "
                    "SELECT idx + 1, code, '2019-01-01', NULL FROM vidx")
        cur.execute(f"""
            INSERT INTO teams_teammembership (cadre_id, team_id, role, start_date, end_date, end_kind, recall_reason,
                                              replaced_by_id)
            SELECT v.idx * {per} + 1 + r.k, v.idx + 1, CASE r.k WHEN 0 THEN 'first_secretary' ELSE 'member' END,
                   '2019-01-01', NULL, '', '', NULL
            FROM vidx v, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2) r""")
        cur.execute("""
            INSERT INTO teams_attendance (cadre_id, village_id, date, method, recorded_at, entered_by)
            WITH RECURSIVE d(day) AS (SELECT 0 UNION ALL SELECT day + 1 FROM d WHERE day < 365)
            SELECT m.cadre_id, t.village_id, date('2020-01-01', '+' || d.day || ' days'), 'app',
                   '2021-01-01 00:00:00', '考勤'
            FROM teams_teammembership m JOIN teams_workteam t ON t.id = m.team_id, d
            WHERE CAST(strftime('%d', date('2020-01-01', '+' || d.day || ' days')) AS INTEGER)
                  <= 18 + (m.cadre_id + d.day / 31) % 8""")
        # Visits: household h spread pseudo-randomly, by its helper, at a pseudo-random second of 2020 (deterministic: the same file every time); entered within
        # a day. Every 997th visit shares one point; every 1009th carries one of 50 copied notes; 500 visits are
        # entered together by one clerk on 20 December,
        # for visits of November.
        cur.execute(f"""
            INSERT INTO teams_visit (id, cadre_id, household_id, village_id, visited_at, latitude, longitude, notes,
                                     notes_key, measures, recorded_at, entered_by)
            WITH RECURSIVE n(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM n WHERE j < {visits}),
            v AS (SELECT j, ((j * 7919) % {households}) + 1 AS h, {EPOCH_2020} + (j * 2654435761) % 31000000 AS t FROM n)
            SELECT j, {helper_of('h')}, h, (SELECT code FROM vidx WHERE idx = (h - 1) * {nv} / {households}),
                   CASE WHEN j <= 500 THEN datetime(1604160000 + j * 3600, 'unixepoch') ELSE datetime(t, 'unixepoch') END,
                   CASE WHEN j % 997 = 0 THEN 28.5 ELSE 28 + ((j * 48271) % 1000003) / 1000000.0 END,
                   CASE WHEN j % 997 = 0 THEN 109.5 ELSE 109 + ((j * 69621) % 999983) / 1000000.0 END,
                   '走访记录', CASE WHEN j % 1009 = 0 THEN 'copied' || (j % 50) ELSE lower(hex(randomblob(16))) END,
                   'industry',
                   CASE WHEN j <= 500 THEN '2020-12-20 10:00:00' ELSE datetime(t + (j * 40503) % 86400, 'unixepoch') END,
                   CASE WHEN j <= 500 THEN '补录员' ELSE '帮扶人' END
            FROM v""")
        for _, sql in indexes:
            cur.execute(sql)
        cur.execute("ANALYZE")
    print(f"filled in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def fill_pg(households: int, visits: int, helpers: int) -> None:
    """The same register as `fill`, written with PostgreSQL's generate_series."""
    from django.db import connection

    from jingzhun.db import next_id

    if next_id("registry_household") > 1:
        print(f"reusing the existing register ({next_id('registry_household') - 1} households)", file=sys.stderr)
        return
    t0 = time.perf_counter()
    tables = ("registry_household", "teams_visit", "teams_helperpair", "teams_cadre", "teams_attendance",
              "teams_teammembership")
    with connection.cursor() as cur:
        cur.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) "
                    "AND indexname NOT IN (SELECT conname FROM pg_constraint)", [list(tables)])
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        _areas(cur)
        cur.execute("SELECT COUNT(*) FROM vidx")
        nv = cur.fetchone()[0]
        per = helpers // nv

        def helper_of(h: str) -> str:
            return f"((({h} - 1)::bigint * {nv} / {households}) * {per} + (({h} - 1) % {per}) + 1)"

        cur.execute(f"""
            INSERT INTO registry_household (id, number, village_id, category, status, identified_year, exit_year,
                status_reason, arable_land_mu, forest_land_mu, housing_area_m2, housing_grade, drinking_water,
                has_electricity, has_production_power, road, distance_to_road_km, sanitary_toilet, primary_cause,
                secondary_causes, food_secure, clothing_secure, schooling_secured, medical_secured, housing_secured,
                water_secured, created_at, updated_at)
            SELECT i, 'H' || i, x.code, 'general',
                   CASE WHEN i % 10 = 0 THEN 'exited' WHEN i % 10 = 1 THEN 'monitored' ELSE 'poor' END, 2014,
                   CASE WHEN i % 10 = 0 THEN 2019 END, '', 0, 0, 0, 'B', 'safe', true, false, 'gravel', 0, false,
                   'illness', '', true, true, true, true, true, true, '2020-01-01', '2020-01-01'
            FROM generate_series(1, {households}) i JOIN vidx x ON x.idx = (i - 1)::bigint * {nv} / {households}""")
        cur.execute(f"""
            INSERT INTO teams_cadre (id, name, unit, unit_kind, rank, skills, home_area_id, status, phone)
            SELECT i, '干部' || i, '单位', 'county', 'staff', '', x.code, 'serving', ''
            FROM generate_series(1, {helpers}) i JOIN vidx x ON x.idx = (i - 1) / {per}""")
        cur.execute(f"""
            INSERT INTO teams_helperpair (household_id, cadre_id, start_date, end_date, end_reason, run_id)
            SELECT id, {helper_of('id')}, '2019-06-01', NULL, '', NULL FROM registry_household
            WHERE status IN ('poor', 'monitored')""")
        cur.execute("INSERT INTO teams_workteam (id, village_id, start_date, end_date) "
                    "SELECT idx + 1, code, '2019-01-01', NULL FROM vidx")
        cur.execute(f"""
            INSERT INTO teams_teammembership (cadre_id, team_id, role, start_date, end_date, end_kind, recall_reason,
                                              replaced_by_id)
            SELECT v.idx * {per} + 1 + k, v.idx + 1, CASE k WHEN 0 THEN 'first_secretary' ELSE 'member' END,
                   '2019-01-01', NULL, '', '', NULL
            FROM vidx v, generate_series(0, 2) k""")
        cur.execute("""
            INSERT INTO teams_attendance (cadre_id, village_id, date, method, recorded_at, entered_by)
            SELECT m.cadre_id, t.village_id, DATE '2020-01-01' + d, 'app', '2021-01-01', '考勤'
            FROM teams_teammembership m JOIN teams_workteam t ON t.id = m.team_id, generate_series(0, 365) d
            WHERE EXTRACT(DAY FROM DATE '2020-01-01' + d) <= 18 + (m.cadre_id + d / 31) % 8""")
        cur.execute(f"""
            INSERT INTO teams_visit (id, cadre_id, household_id, village_id, visited_at, latitude, longitude, notes,
                                     notes_key, measures, recorded_at, entered_by)
            SELECT j, {helper_of('h')}, h, x.code,
                   CASE WHEN j <= 500 THEN to_timestamp(1604160000 + j * 3600) ELSE to_timestamp(t) END,
                   CASE WHEN j % 997 = 0 THEN 28.5 ELSE 28 + ((j * 48271) % 1000003) / 1000000.0 END,
                   CASE WHEN j % 997 = 0 THEN 109.5 ELSE 109 + ((j * 69621) % 999983) / 1000000.0 END,
                   '走访记录', CASE WHEN j % 1009 = 0 THEN 'copied' || (j % 50) ELSE md5(j::text) END, 'industry',
                   CASE WHEN j <= 500 THEN TIMESTAMPTZ '2020-12-20 10:00:00+08'
                        ELSE to_timestamp(t + (j * 40503) % 86400) END,
                   CASE WHEN j <= 500 THEN '补录员' ELSE '帮扶人' END
            FROM (SELECT j::bigint AS j, ((j::bigint * 7919) % {households}) + 1 AS h,
                         {EPOCH_2020} + (j::bigint * 2654435761) % 31000000 AS t
                  FROM generate_series(1, {visits}) j) v
            JOIN vidx x ON x.idx = (h - 1) * {nv} / {households}""")
        for _, sql in indexes:
            cur.execute(sql)
        for t in tables:
            cur.execute(f"ANALYZE {t}")
        for t in ("registry_household", "teams_visit", "teams_cadre", "teams_workteam"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))")
    print(f"filled in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def _areas(cur: object) -> None:
    areas = [(PROVINCE, "省", "province", None, False), ("430100000000", "市", "city", PROVINCE, False)]
    villages = []
    for c in range(1, 11):
        county = f"4301{c:02d}000000"
        areas.append((county, f"县{c}", "county", "430100000000", False))
        for t in range(1, 11):
            town = f"4301{c:02d}{t:03d}000"
            areas.append((town, f"镇{c}-{t}", "township", county, False))
            for v in range(1, 11):
                code = f"4301{c:02d}{t:03d}{v:03d}"
                areas.append((code, f"村{c}-{t}-{v}", "village", town, True))
                villages.append(code)
    cur.executemany("INSERT INTO areas_area (code, name, level, parent_id, region_class, poor_county, "  # type: ignore[attr-defined]
                    "contiguous_region, poor_village) VALUES (%s, %s, %s, %s, 'central', '', '', %s)", areas)
    cur.execute("CREATE TEMP TABLE vidx (idx INTEGER PRIMARY KEY, code TEXT)")  # type: ignore[attr-defined]
    cur.executemany("INSERT INTO vidx VALUES (%s, %s)", list(enumerate(villages)))  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=6_000_000)
    parser.add_argument("--helpers", type=int, default=200_000)
    parser.add_argument("--db", default="/tmp/jingzhun-bench/supervision.sqlite3")
    parser.add_argument("--pg", help="a PostgreSQL URL (an empty database) instead of the SQLite file --db")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.helpers % 1000 or args.helpers < 3000:
        raise SystemExit("--helpers must be a multiple of the 1000 villages, at least 3000 (3 team members each)")
    if args.pg:
        os.environ["JINGZHUN_DATABASE_URL"] = args.pg
    else:
        Path(args.db).parent.mkdir(parents=True, exist_ok=True)
        os.environ["JINGZHUN_DATABASE_URL"] = f"sqlite:///{args.db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from jingzhun.areas.models import code_range
    from jingzhun.teams import coverage, rules, supervision
    from jingzhun.teams.config import SupervisionConfig

    call_command("migrate", verbosity=0)
    (fill_pg if args.pg else fill)(args.households, args.visits, args.helpers)
    from django.db import connection

    with connection.cursor() as cur:  # what autovacuum / a nightly ANALYZE leaves behind in production
        cur.execute("VACUUM ANALYZE" if args.pg else "ANALYZE")
    bj = zoneinfo.ZoneInfo("Asia/Shanghai")
    window = supervision.Window(as_of=dt.datetime(2021, 1, 1, tzinfo=bj), root=code_range(PROVINCE, "province"),
                                first_month=dt.date(2020, 12, 1), last_month=dt.date(2020, 12, 1))
    config = SupervisionConfig()
    checks = {name: (lambda f=f: f(window, config)) for name, f in supervision.CHECKS.items()}
    checks["team rules (size, term, recall)"] = lambda: (
        rules.team_size(dt.date(2020, 12, 31), window.root) + rules.term(window.root) + rules.recall(window.root))
    checks["residence, all 12 months of 2020"] = lambda: rules.residence(dt.date(2020, 1, 1), dt.date(2020, 12, 1))
    checks["coverage by county"] = lambda: coverage.coverage(PROVINCE, "county", as_of=dt.date(2020, 12, 31)).rows
    checks["coverage by village"] = lambda: coverage.coverage(PROVINCE, "village", as_of=dt.date(2020, 12, 31)).rows
    where = "PostgreSQL" if args.pg else f"SQLite {args.db}"
    print(f"\n{args.households:,} households, {args.visits:,} visits, {args.helpers:,} helpers — {where}, "
          f"median of {args.repeat}\n")
    print("| check | median s | runs s | rows |\n|---|---:|---|---:|")
    total = 0.0
    for name, run in checks.items():
        times, n = [], 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            n = len(run())
            times.append(time.perf_counter() - t0)
        med = statistics.median(times)
        total += med if name in supervision.CHECKS else 0
        print(f"| {name} | {med:.2f} | {', '.join(f'{t:.2f}' for t in times)} | {n:,} |", flush=True)
    print(f"| **all alerts (`supervise`)** | **{total:.2f}** | | |")


if __name__ == "__main__":
    main()
