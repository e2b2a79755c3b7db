"""Compute and store indicator values as versioned snapshots; read a version; refresh one village.

`compute(year, engine=…, area=None)` measures every unit (in `area`) on an engine and stores the values as a
new version of the period, with the data fingerprint they came from, in one transaction with its audit row.
A version writes only the values that changed (`changes`): an unchanged value's row stays open, so it reads
in the new version as in the old, and a computation over unchanged data writes no value at all.
`refresh(village, year)` recomputes one village, its work teams, the cadres paired there and the village's
ancestors (summed from the stored village parts, so nothing else is read again) as a new version.
`values(unit_type, period, …)` reads a version (the latest by default), limited to the user's areas in SQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from jingzhun import access, db
from jingzhun.areas.models import Area
from jingzhun.assessment import compute as cm
from jingzhun.assessment import evaluated, exprs
from jingzhun.assessment.catalogue import AREA_LEVELS, PARTS, UNIT_TYPES
from jingzhun.assessment.models import Snapshot, Value, VillageParts
from jingzhun.audit.log import record
from jingzhun.identification import engines
from jingzhun.identification.run import area_range, data_fingerprint

VALUE_TABLE = "assessment_value"
PARTS_TABLE = "assessment_villageparts"


class AssessmentError(ValueError):
    pass


def period_key(year: int) -> str:
    return str(int(year))


def scoped(select: str, table: str, span: tuple[str, str] | None, *, via: str = "", column: str) -> tuple[str, list[Any]]:
    """`select` over `table`, limited to the span by `column` (reached through the joins `via`). The whole
    province needs no join and no filter: every row's parents exist (foreign keys), so the join would keep
    every row — the same figures, read from the one table (at 1 M households 3–8× faster on SQLite)."""
    if span is None:
        return f"{select} FROM {table}", []
    return f"{select} FROM {table} {via} WHERE {column} BETWEEN %s AND %s", list(span)


def fingerprint(year: int, span: tuple[str, str] | None) -> tuple[str, dict[str, Any]]:
    """The register's fingerprint (identification's: households, members, incomes, hits) and the counts and
    high-water marks of the other tables the indicators read."""
    base, counts = data_fingerprint(year, span)
    household = "JOIN registry_household h ON h.id = {}.household_id"
    queries = {
        "events": scoped("SELECT COUNT(*), MAX(e.id)", "registry_statusevent e", span, via=household.format("e"),
                         column="h.village_id"),
        "pairs": scoped("SELECT COUNT(*), MAX(p.id), MAX(p.end_date)", "teams_helperpair p", span,
                        via=household.format("p"), column="h.village_id"),
        "visits": scoped("SELECT COUNT(*), MAX(id)", "teams_visit", span, column="village_id"),
        "attendance": scoped("SELECT COUNT(*), MAX(id)", "teams_attendance", span, column="village_id"),
        "memberships": scoped("SELECT COUNT(*), MAX(m.id), MAX(m.end_date)", "teams_teammembership m", span,
                              via="JOIN teams_workteam t ON t.id = m.team_id", column="t.village_id"),
        "cadres": ("SELECT COUNT(*), SUM(CASE WHEN status = 'serving' THEN 1 ELSE 0 END) FROM teams_cadre", []),
        "plans": scoped("SELECT COUNT(*), MAX(p.id), MAX(p.updated_at)", "plans_helpplan p", span,
                        via=household.format("p"), column="h.village_id"),
        "measures": scoped("SELECT COUNT(*), MAX(m.updated_at)", "plans_planmeasure m", span,
                           via="JOIN plans_helpplan p ON p.id = m.plan_id " + household.format("p"),
                           column="h.village_id"),
        "village_records": scoped("SELECT COUNT(*), MAX(id), SUM(population)", "areas_villagerecord", span,
                                  column="village_id"),
    }
    found: dict[str, Any] = {"register": base}
    with connection.cursor() as cur:
        for name, (sql, args) in queries.items():
            cur.execute(sql, args)
            found[name] = [None if v is None else str(v) for v in cur.fetchone()]
    counted = {k: int(v[0]) for k, v in found.items() if k != "register"}
    # The evaluations of the year and their findings (ids, counts and yes/no tallies): a new finding is new data.
    found["evaluations"] = evaluated.fingerprint(year)
    digest = hashlib.sha256(json.dumps(found, sort_keys=True).encode()).hexdigest()
    return digest, {**counts, **counted, "evaluations": len(found["evaluations"])}


def native_engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgres"


def _needs() -> dict[str, set[str]]:
    return {k: set(v) for k, v in exprs.NEEDS.items()}


# --------------------------------------------------------------------------- writing


def _stamped(values: pa.Table, period: str, version: int) -> pa.Table:
    n = values.num_rows
    return values.append_column("period", pa.array([period] * n, pa.string())) \
        .append_column("first_version", pa.array([version] * n, pa.int64())) \
        .append_column("last_version", pa.array([None] * n, pa.int64()))


KEY = ("unit_type", "unit", "indicator")
COMPARED = ("area_code", "numerator", "denominator", "value")


Clause = tuple[str, list[Any]]  # a WHERE clause on the value table and its parameters


def _current(period: str, close: list[Clause]) -> pa.Table:
    """The current rows a computation replaces (matched by any of `close`, one query each so that each can use
    an index): id, key and what is compared."""
    columns = ("id", *KEY, *COMPARED)
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cur:
        for where, params in close:
            cur.execute(f"SELECT {', '.join(columns)} FROM {VALUE_TABLE} WHERE period = %s AND last_version IS NULL "
                        f"AND ({where})", [period, *params])
            rows += cur.fetchall()
    found = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    types = [pa.int64(), *[pa.string()] * 4, *[pa.float64()] * 3]
    return pa.table({c: pa.array(list(v), t) for c, v, t in zip(columns, found, types, strict=True)})


def _replacing(period: str, close: list[Clause]) -> tuple[int, pa.Table]:
    """The next version and the current rows it replaces, read after it is taken: the version is checked again
    inside the writing transaction, so the rows are still the current ones whenever that check passes."""
    version = _next_version(period)
    return version, _current(period, close)


def _same(a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.ChunkedArray:
    """Equal, two nulls counting as equal (a value that stays "no data" is unchanged)."""
    return pc.if_else(pc.is_null(a), pc.is_null(b), pc.fill_null(pc.equal(a, b), False))


def changes(new: pa.Table, old: pa.Table) -> tuple[pa.Table, list[int]]:
    """What a new version writes: the rows of `new` that differ from the current row of their unit and
    indicator in `old` (or have none), and the ids of the `old` rows to close (changed, or gone from `new`).
    An unchanged value stays one open row across versions: a full computation over unchanged data writes
    nothing, and reading any version still finds every value (`at_version`)."""
    if old.num_rows == 0:
        return new, []
    renamed = old.rename_columns([c if c in KEY else f"old_{c}" for c in old.column_names])
    j = new.append_column("new_row", pa.array(np.arange(new.num_rows), pa.int64())).join(
        renamed, keys=list(KEY), join_type="full outer")
    unchanged = pc.and_(pc.is_valid(j.column("new_row")), pc.is_valid(j.column("old_id")))
    for c in COMPARED:
        unchanged = pc.and_(unchanged, _same(j.column(c), j.column(f"old_{c}")))
    changed = pc.invert(unchanged)
    ids = pc.drop_null(pc.filter(j.column("old_id"), changed)).to_pylist()
    rows = pc.drop_null(pc.filter(j.column("new_row"), changed)).to_numpy()
    return new.take(pa.array(np.sort(rows), pa.int64())), ids


def _close(period: str, version: int, ids: list[int], villages: list[str]) -> None:
    """Inside the transaction: end the replaced value rows (`ids`) and the villages' parts at the previous
    version."""
    with connection.cursor() as cur:
        for i in range(0, len(ids), 500):
            some = ids[i:i + 500]
            cur.execute(f"UPDATE {VALUE_TABLE} SET last_version = %s WHERE id IN ({', '.join(['%s'] * len(some))})",
                        [version - 1, *some])
        for i in range(0, len(villages), 500):
            chunk = villages[i:i + 500]
            cur.execute(f"UPDATE {PARTS_TABLE} SET last_version = %s WHERE period = %s AND last_version IS NULL "
                        f"AND village IN ({', '.join(['%s'] * len(chunk))})", [version - 1, period, *chunk])


def _parts_table(measured: cm.Measured, period: str, version: int) -> pa.Table:
    v = measured.units.get("village") or cm.Units([], [], {})
    parts = [json.dumps({p: int(v.parts[p][i]) for p in PARTS}, sort_keys=True) for i in range(len(v.keys))]
    incomes = [np.asarray(measured.incomes.get(code, np.empty(0, np.int64)), dtype="<i8").tobytes() for code in v.keys]
    n = len(v.keys)
    return pa.table({"period": pa.array([period] * n, pa.string()), "village": pa.array(v.keys, pa.string()),
                     "parts": pa.array(parts, pa.string()), "incomes": pa.array(incomes, pa.binary()),
                     "first_version": pa.array([version] * n, pa.int64()),
                     "last_version": pa.array([None] * n, pa.int64())})


def _next_version(period: str) -> int:
    latest = Snapshot.objects.filter(period=period).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


def _store(measured: cm.Measured, *, kind: str, area: str, engine: str, digest: str, counts: dict[str, Any],
           actor: str, started: float, close: list[Clause], areas: list[str],
           current: tuple[int, pa.Table] | None = None) -> Snapshot:
    """The values as a new version: the version is taken before the transaction (the rows carry it, and a large
    load is staged before the transaction begins) and checked inside it, as `db.check_next_id` checks ids.
    `current`: the version and the rows it replaces when read already (`_replacing`)."""
    period = period_key(measured.period.year)
    version, current_rows = _replacing(period, close) if current is None else current
    measured.evaluated = evaluated.values_for(measured.period.year, {t: u.keys for t, u in measured.units.items()})
    written, replaced = changes(cm.values_table(measured), current_rows)
    values = _stamped(written, period, version)
    parts = _parts_table(measured, period, version)
    tables = {VALUE_TABLE: values, PARTS_TABLE: parts}
    units = sum(len(u.keys) for u in measured.units.values())
    with db.load(tables) as loader, db.atomic_writing("assessment_snapshot"):
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("LOCK TABLE assessment_snapshot IN SHARE ROW EXCLUSIVE MODE")
        if _next_version(period) != version:
            raise db.ConcurrentWrite(f"{period} 年的指标正被另一计算写入，请重试 / another computation of {period} "
                                     "was stored meanwhile; run it again")
        _close(period, version, replaced, parts.column("village").to_pylist() if parts.num_rows else [])
        for name, table in tables.items():
            with db.indexes_deferred(name, table.num_rows):
                loader.load(name)
        snap = Snapshot.objects.create(
            period=period, version=version, kind=kind, area_code=area, engine=engine, data_fingerprint=digest,
            data_counts={**counts, "judged_months": measured.period.judged_months}, actor=actor,
            created_at=timezone.now(), seconds=time.perf_counter() - started, units=units, rows=values.num_rows)
        record(actor, f"assessment.{kind}", object_type="assessment_snapshot", object_id=str(snap.pk), area=area,
               areas=areas, period=period, version=version, engine=engine, data_fingerprint=digest, units=units,
               values=values.num_rows)
    return snap


def _span_close(span: tuple[str, str] | None) -> list[Clause]:
    if span is None:
        return [("1 = 1", [])]
    return [("area_code BETWEEN %s AND %s", list(span))]


def compute(year: int, engine: str = "duckdb", area: str | None = None, *, actor: str = "system",
            today: dt.date | None = None, source: engines.Source | None = None,
            threads: int | None = None) -> Snapshot:
    """Every indicator for every unit (in `area`: its areas, work teams and the cadres stationed there) for
    the year, stored as a new version with the data fingerprint it came from, audited."""
    started = time.perf_counter()
    try:
        span = area_range(area)
    except ValueError as e:
        raise AssessmentError(str(e)) from None
    p = cm.period_of(year, today)
    close = _span_close(span)
    ahead: dict[str, Any] = {}

    def read_ahead() -> None:
        # The fingerprint and the rows this version replaces (at 1 M households ≈ 2 s and ≈ 3 s), read while
        # DuckDB's copy of a SQLite register is read in a process of its own rather than before and after it.
        # On two cores they share the CPU with that reading: 1–2 s saved, not 5 (docs/benchmarks.md).
        ahead["fingerprint"] = fingerprint(year, span)
        ahead["current"] = _replacing(period_key(year), close)

    with engines.open_session(engine, _needs(), source=source, threads=threads, meanwhile=read_ahead) as session:
        measured = cm.measure(session, p, span=span)
    digest, counts = ahead["fingerprint"]
    return _store(measured, kind="area" if area else "full", area=area or "", engine=engine, digest=digest,
                  counts=counts, actor=actor, started=started, close=close, areas=[], current=ahead["current"])


def _current_parts(period: str, span: tuple[str, str]) -> tuple[list[str], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The current parts and incomes of every village in `span`: one row of counts per village, gathered into
    one array per part (a village's JSON lacking a part — stored before it existed — counts 0 there)."""
    rows = VillageParts.objects.filter(period=period, last_version__isnull=True,
                                       village__gte=span[0], village__lte=span[1]).order_by("village")
    codes: list[str] = []
    counts: list[list[int]] = []
    incomes: dict[str, np.ndarray] = {}
    for village, text, blob in rows.values_list("village", "parts", "incomes"):
        codes.append(village)
        found = text if isinstance(text, dict) else json.loads(text)
        counts.append([found.get(p, 0) for p in PARTS])
        incomes[village] = np.frombuffer(bytes(blob), dtype="<i8")
    table = np.asarray(counts, dtype=np.int64).reshape(len(codes), len(PARTS))
    return codes, {p: table[:, k].copy() for k, p in enumerate(PARTS)}, incomes


def refresh(village: str, year: int, *, actor: str = "system", engine: str | None = None,
            today: dt.date | None = None) -> Snapshot:
    """Recompute one village, its work teams, the cadres paired there in the year, and its ancestors (from the
    stored village parts of the others) as a new version. Needs a computed period to start from."""
    started = time.perf_counter()
    area = Area.objects.filter(code=village, level="village").first()
    if area is None:
        raise AssessmentError(f"村 {village} 不存在 / no village {village}")
    period = period_key(year)
    if not Snapshot.objects.filter(period=period).exists():
        raise AssessmentError(f"{period} 年尚未计算，先运行 assess compute / {period} has not been computed yet: run "
                              "assess compute first")
    span = area.code_range
    p = cm.period_of(year, today)
    from jingzhun.teams.models import HelperPair

    cadres = list(HelperPair.objects.filter(household__village_id=village, start_date__lte=p.last)
                  .filter(Q(end_date__isnull=True) | Q(end_date__gte=p.first)).values_list("cadre_id", flat=True)
                  .distinct())
    digest, counts = fingerprint(year, span)
    with engines.open_session(engine or native_engine(), _needs()) as session:
        measured = cm.measure(session, p, span=span, cadres=cadres)
    _ancestors(measured, period, village)
    # One clause per unit type: each reads its units' current rows through the (period, unit_type, unit) index.
    close = [(f"unit_type = %s AND unit IN ({', '.join(['%s'] * len(u.keys))})", [t, *u.keys])
             for t, u in measured.units.items() if u.keys]
    return _store(measured, kind="refresh", area=village, engine=engine or native_engine(), digest=digest,
                  counts=counts, actor=actor, started=started, close=close, areas=[village])


def _ancestors(measured: cm.Measured, period: str, village: str) -> None:
    """The village's ancestors, summed from every village's stored parts with this village's new ones."""
    province = cm.ancestor(village, "province")
    codes, parts, incomes = _current_parts(period, Area(code=province, level="province").code_range)
    mine = measured.units["village"]
    if village in codes:
        i = codes.index(village)
        for p in PARTS:
            parts[p][i] = mine.parts[p][0]
    else:
        codes.append(village)
        for p in PARTS:
            parts[p] = np.append(parts[p], mine.parts[p][0])
    incomes[village] = measured.incomes.get(village, np.empty(0, np.int64))
    v = cm.Units(codes, codes, parts)
    for level in AREA_LEVELS[1:]:
        measured.units[level] = cm.rollup(v, [cm.ancestor(village, level)], level)
    measured.incomes = {code: incomes[code] for code in codes if len(incomes[code])}


# --------------------------------------------------------------------------- reading


def latest_version(period: str) -> int | None:
    return Snapshot.objects.filter(period=period).aggregate(v=Max("version"))["v"]


def at_version(qs: QuerySet[Any], version: int) -> QuerySet[Any]:
    return qs.filter(first_version__lte=version).filter(Q(last_version__isnull=True) | Q(last_version__gte=version))


def values(unit_type: str, period: int | str, area: str | None = None, version: int | None = None, *,
           user: object | None = None, indicators: list[str] | None = None) -> QuerySet[Any]:
    """The values of `unit_type` for the period at `version` (latest when None), in `area`'s subtree, limited to
    `user`'s areas (through the roles carrying "assess") in SQL; None = the system (command line)."""
    if unit_type not in UNIT_TYPES:
        raise AssessmentError(f"未知考核对象类型 {unit_type} / unknown unit type {unit_type}")
    key = period_key(int(period))
    v = latest_version(key) if version is None else version
    qs = Value.objects.filter(period=key, unit_type=unit_type)
    if v is None:
        return qs.none()
    qs = at_version(qs, v)
    if area:
        qs = access.within_area(qs, "area_code", area)
    if indicators:
        qs = qs.filter(indicator__in=indicators)
    if user is not None:
        qs = access.scope(qs, user, "area_code", ability="assess")
    return qs.order_by("unit", "indicator")


def as_table(qs: QuerySet[Any]) -> dict[str, dict[str, float | None]]:
    """{unit: {indicator: value}} of a values() query: what `jingzhun.assessment.score` takes."""
    out: dict[str, dict[str, float | None]] = {}
    for unit, ind, value in qs.values_list("unit", "indicator", "value"):
        out.setdefault(unit, {})[ind] = value
    return out

