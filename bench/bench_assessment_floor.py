"""How fast every assessment indicator could be at best, from the raw tables, on this machine (issue 16).

    python bench/bench_assessment_floor.py --data /tmp/assess-10m [--runs 3] [--native]

The data is bench_assessment_indicators.py's (`generate`). Each query below is the cheapest form found of one
input that some shipped indicator cannot do without: it reads only what it must, groups by the key the
indicators need and hands the result over as Arrow, as the real computation does; nothing joins them. So their
sum is a floor: no way of computing every indicator from these tables in one DuckDB on this machine can take
less, whatever it does about combining them (and combining costs more: see the last query, one join of a 10 M
piece with the households). Beside it, in the same run, `jingzhun.assessment.compute.measure` itself.

- `--native`: the tables are first loaded into DuckDB's own in-memory format (not timed), to show the floor
  is not Parquet's decoding.

Cheapest forms: the latest status by `max` over one packed HUGEINT key (year, time recorded, id) — cheaper
than the window and `arg_max` (see docs/benchmarks.md); the same-minute helpers by sorting one BIGINT key
(helper, minute of the year) and comparing neighbours — cheaper than hashing 54 M (helper, minute) groups
and than a window per helper.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench_assessment_indicators import EPOCH_UTC, YEAR, django_on, load, machine  # noqa: E402

START = EPOCH_UTC.isoformat(sep=" ")  # 2020-01-01 00:00 Beijing, as naive UTC
END = EPOCH_UTC.replace(year=YEAR + 1).isoformat(sep=" ")
RECENT = EPOCH_UTC.replace(year=YEAR, month=12, day=1).isoformat(sep=" ")  # the unvisited rule's last 30 days
MONEY = "wage_income + production_income + property_income + transfer_income - production_costs"

#: name → (what needs it, the query)
FLOOR: dict[str, tuple[str, str]] = {
    "size": ("incidence, population, per-capita income",
             "SELECT household_id, count(*) FROM member GROUP BY 1"),
    "incomes": ("mean, median and growth of income",
                f"SELECT household_id, max(CASE WHEN year = {YEAR} THEN {MONEY} END), "
                f"max(CASE WHEN year = {YEAR - 1} THEN {MONEY} END) FROM income "
                f"WHERE year IN ({YEAR - 1}, {YEAR}) GROUP BY 1"),
    "status": ("registered poor, exited, returned, every share of the poor",
               "SELECT household_id, max((year::HUGEINT << 100) + (epoch_us(recorded_at)::HUGEINT << 40) + id) "
               f"FROM event WHERE year <= {YEAR} GROUP BY 1"),
    "pairs": ("helper coverage, paired households, a cadre's households",
              f"SELECT household_id, count(*), min(cadre_id) FROM pair WHERE start_date <= '{YEAR}-12-31' "
              f"AND (end_date IS NULL OR end_date >= '{YEAR}-01-01') GROUP BY 1"),
    "recent": ("unvisited alerts",
               f"SELECT household_id, count(*) FROM visit WHERE visited_at >= '{RECENT}' AND visited_at < '{END}' "
               "GROUP BY 1"),
    "plans": ("help plans approved",
              f"SELECT household_id, count(*) FROM plan WHERE year = {YEAR} AND approved_at IS NOT NULL GROUP BY 1"),
    "measures": ("measures completed on time",
                 "SELECT p.household_id, count(*) FROM measure m JOIN plan p ON m.plan_id = p.id "
                 f"WHERE m.due_on BETWEEN '{YEAR}-01-01' AND '{YEAR}-12-31' AND m.status <> 'cancelled' GROUP BY 1"),
    "visits": ("visits per paired household (by village and by helper)",
               f"SELECT village_id, cadre_id, count(*) FROM visit WHERE visited_at >= '{START}' "
               f"AND visited_at < '{END}' GROUP BY 1, 2"),
    "same_minute": ("supervision alerts: fabricated visits",
                    "SELECT DISTINCT k >> 20 FROM (SELECT k, lag(k) OVER (ORDER BY k) AS before FROM ("
                    f"SELECT (cadre_id << 20) + (epoch(visited_at)::BIGINT // 60 - epoch(TIMESTAMP '{START}')::BIGINT "
                    f"// 60) AS k FROM visit WHERE visited_at >= '{START}' AND visited_at < '{END}')) "
                    "WHERE k = before"),
    "attendance": ("residence days against the 20-day rule",
                   f"SELECT cadre_id, village_id, month(date), count(*) FROM attendance "
                   f"WHERE date BETWEEN '{YEAR}-01-01' AND '{YEAR}-12-31' GROUP BY 1, 2, 3"),
}
#: One join any combination of the per-household pieces needs at least: a piece onto the households' villages.
JOIN = ("size by village (one join of a per-household piece)",
        "SELECT h.village_id, sum(s.n) FROM household h JOIN "
        "(SELECT household_id, count(*) AS n FROM member GROUP BY 1) s ON h.id = s.household_id GROUP BY 1")
TABLES = ("household", "member", "income", "event", "pair", "visit", "plan", "measure", "attendance")


def connect(data: Path, native: bool) -> duckdb.DuckDBPyConnection:
    """The engine's own DuckDB session (`engines._duckdb`: 2 threads, UTC, perfect-hash group-bys) over the
    files, as views or (`native`) loaded as tables."""
    from jingzhun.identification import engines

    con = engines._duckdb(threads=2)
    for key in TABLES:
        source = f"read_parquet('{data / key}.parquet')"
        con.execute(f"CREATE {'TABLE' if native else 'VIEW'} {key} AS SELECT * FROM {source}")
    return con


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> float:
    began = time.perf_counter()
    con.execute(sql).to_arrow_table()
    return time.perf_counter() - began


def measure_itself(data: Path) -> float:
    """`compute.measure` of every unit, DuckDB on the Parquet files, as `bench_assessment_indicators parquet`."""
    from jingzhun.assessment import compute, snapshots
    from jingzhun.identification import engines

    period = compute.period_of(YEAR, dt.date(2021, 6, 1))
    with engines.open_session("duckdb", snapshots._needs(), source=engines.ParquetFiles(str(data)),
                              threads=2) as session:
        began = time.perf_counter()
        compute.measure(session, period)
        return time.perf_counter() - began


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--native", action="store_true")
    p.add_argument("--no-measure", action="store_true", help="time the floor only")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        django_on(Path(tmp) / "results.sqlite3")  # the engines read Django's settings; nothing is stored
        run(args)


def run(args: argparse.Namespace) -> None:
    con = connect(args.data, args.native)
    print(machine(), f"— {args.data.name}, {'DuckDB tables' if args.native else 'Parquet'}; {load()}")
    times: dict[str, list[float]] = {name: [] for name in [*FLOOR, "join"]}
    itself: list[float] = []
    for _ in range(args.runs):
        for name, (_, sql) in FLOOR.items():
            times[name].append(timed(con, sql))
        times["join"].append(timed(con, JOIN[1]))
        if not args.no_measure:
            itself.append(measure_itself(args.data))
    floor = sum(statistics.median(times[name]) for name in FLOOR)
    for name, (needs, _) in [*FLOOR.items(), ("join", JOIN)]:
        m = statistics.median(times[name])
        print(f"  {name:12} {m:6.2f} s  ({', '.join(f'{t:.2f}' for t in times[name])})  — {needs}")
    print(f"floor (sum of the medians above, the join not counted): {floor:.2f} s; {load()}")
    if itself:
        print(f"compute.measure itself (DuckDB on Parquet): median {statistics.median(itself):.2f} s "
              f"({', '.join(f'{t:.2f}' for t in itself)})")


if __name__ == "__main__":
    main()
