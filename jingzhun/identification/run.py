"""Run an identification: compile the policy, evaluate it on an engine, write the results in bulk as a
new versioned run, audit it."""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from django.db import connection
from django.utils import timezone

from jingzhun.audit.log import record
from jingzhun.identification import codes, store
from jingzhun.identification.compile import RESULT_COLUMNS, Rules, identify, needed_columns, rules
from jingzhun.identification.engines import Database, ParquetFiles, Source, open_session
from jingzhun.identification.models import IdentificationRun
from jingzhun.policy.model import INCOME_FIELDS, Policy


class RunError(ValueError):
    pass


def policy_json(policy: Policy) -> dict[str, Any]:
    return policy.model_dump(mode="json")


def policy_sha256(policy: Policy) -> str:
    """SHA-256 of the policy's canonical content (sorted keys, exact fractions as text): the same rules
    give the same digest whatever the file's layout or comments."""
    text = json.dumps(policy_json(policy), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def area_range(code: str | None) -> tuple[str, str] | None:
    """The code range of a registered area, or a message naming the code."""
    if not code:
        return None
    from jingzhun.areas.models import Area

    area = Area.objects.filter(code=code).first()
    if area is None:
        raise RunError(f"--area {code}: 区划不存在 / no such area")
    return area.code_range


def data_fingerprint(year: int, span: tuple[str, str] | None) -> tuple[str, dict[str, Any]]:
    """Counts, high-water marks (ids, the households' last update, the last hit decision) and the income
    sums of what the run reads: cheap at ten million rows, unlike a digest of every value. A re-import,
    an edited household (its `updated_at`), a new or changed income record or a decided hit changes it;
    a raw SQL edit that bypasses `updated_at` may not."""
    params: list[str | int] = list(span) if span else []
    where = "WHERE h.village_id BETWEEN %s AND %s" if span else ""
    # The whole province joins nothing: every row's household exists (a foreign key), so the join would keep
    # every row — the same figures from the one table (at 1 M households several times faster on SQLite).
    join = "JOIN registry_household h ON h.id = {}.household_id " if span else ""
    queries: dict[str, tuple[str, list[str | int]]] = {
        "households": (f"SELECT COUNT(*), MAX(h.id), MAX(h.updated_at) FROM registry_household h {where}", params),
        "members": (f"SELECT COUNT(*), MAX(m.id) FROM registry_member m {join.format('m')}{where}", params),
        # Incomes are edited in place without a timestamp: their sums stand in for one.
        "incomes": ("SELECT COUNT(*), MAX(i.id), " + ", ".join(f"SUM(i.{f})" for f in INCOME_FIELDS)
                    + f" FROM registry_incomerecord i {join.format('i')}{where or 'WHERE 1 = 1'} AND i.year = %s",
                    [*params, year]),
        "hits": ("SELECT COUNT(*), MAX(x.id), MAX(x.decided_at), SUM(CASE WHEN x.status = 'dismissed' THEN 1 ELSE 0 END) "
                 f"FROM crosscheck_crosscheckhit x {join.format('x')}{where}", params),
    }
    counts: dict[str, Any] = {}
    with connection.cursor() as cur:
        for name, (sql, args) in queries.items():
            cur.execute(sql, args)
            counts[name] = [None if v is None else str(v) for v in cur.fetchone()]
    text = json.dumps(counts, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest(), {k: int(v[0]) for k, v in counts.items()}


def finish(result: pa.Table, r: Rules) -> pa.Table:
    """Per-capita income from the integer net income: fen rounded down (so a per-capita income shown
    below the line is exactly an income-poor household), in yuan. Done here, once, for every engine."""
    net = result.column("net_fen")
    size = result.column("size").to_numpy(zero_copy_only=False).astype(np.int64)
    has = pc.is_valid(net).to_numpy(zero_copy_only=False)
    netv = pc.fill_null(net, 0).to_numpy(zero_copy_only=False).astype(np.int64)
    if r.policy.income.per_capita:
        per = np.floor_divide(netv, np.maximum(size, 1))
        valid = has & (size > 0)
    else:
        per, valid = netv, has
    cols = {c: result.column(c) for c in RESULT_COLUMNS if c != "net_fen"}
    cols["net_income"] = pa.array(netv / 100, pa.float64(), mask=~has)
    cols["per_capita_income"] = pa.array(per / 100, pa.float64(), mask=~valid)
    cols["per_capita_fen"] = pa.array(per, pa.int64(), mask=~valid)
    return pa.table(cols)


def evaluate(policy: Policy, *, year: int | None = None, engine: str = "duckdb", span: tuple[str, str] | None = None,
             source: Source | None = None, threads: int | None = None, ordered: bool = True) -> pa.Table:
    """The per-household results as an Arrow table (sorted by household unless `ordered` is false),
    without writing anything; of the households in `span` (an area-code range) when given."""
    r = rules(policy, year)
    need = needed_columns(r)
    if not r.exclusions:
        need.pop("hit")
    with open_session(engine, need, source=source, span=span, threads=threads) as session:
        assert session.tables is not None  # the register's tables are always needed
        result = session.to_arrow(identify(r, session.tables))
    result = result.select(list(RESULT_COLUMNS)).cast(pa.schema([(c, pa.int64()) for c in RESULT_COLUMNS]))
    return finish(result.sort_by("household_id") if ordered else result, r)


@dataclass
class Outcome:
    run: IdentificationRun
    results: pa.Table
    timings: dict[str, float] = field(default_factory=dict)


def files_fingerprint(source: ParquetFiles) -> tuple[str, dict[str, Any]]:
    """A register held as Parquet files: their names, sizes and modification times."""
    stats = {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in sorted(Path(source.directory).glob("*.parquet"))}
    return hashlib.sha256(json.dumps(stats, sort_keys=True).encode()).hexdigest(), {"files": len(stats)}


def run(policy: Policy, *, year: int | None = None, engine: str = "duckdb", area: str | None = None,
        actor: str = "system", threads: int | None = None, source: Source | None = None) -> Outcome:
    """Identify every household (in `area`), write the results as a new run, audit it.

    The register is the Django database's unless `source` says otherwise (the benchmark's Parquet
    files); the results always go to the Django database."""
    r = rules(policy, year)
    span = area_range(area)
    started = timezone.now()
    t0 = time.perf_counter()
    source = Database.current() if source is None else source
    fingerprint, counts = (files_fingerprint(source) if isinstance(source, ParquetFiles)
                           else data_fingerprint(r.year, span))
    # PostgreSQL sorts while it builds the run's key anyway; SQLite's key is kept up to date as rows
    # arrive, which is cheapest in key order. (Sorting 10 M results costs 1–2 s.)
    results = evaluate(policy, year=r.year, engine=engine, span=span, source=source, threads=threads,
                       ordered=connection.vendor != "postgresql")
    t1 = time.perf_counter()
    by_status = {codes.STATUS_KEYS[s]: 0 for s in codes.STATUS_KEYS}
    for item in pc.value_counts(results.column("status")).to_pylist():
        by_status[codes.STATUS_KEYS[item["values"]]] = item["counts"]
    # The run's row is written in the transaction that lands its results (`_finished`): a run killed or
    # failed before that commit leaves no row, so no run is ever left "running". Its id is taken first.
    run_row = IdentificationRun(
        policy_name=policy.name, policy_year=policy.year, policy_scope=policy.scope, policy_area=policy.area or "",
        policy_sha256=policy_sha256(policy), policy=policy_json(policy), year=r.year, area_code=area or "",
        data_fingerprint=fingerprint, data_counts=counts, engine=engine, actor=actor, started_at=started,
        mpi_denominator=r.denominator, households=results.num_rows, **by_status)
    store.reserve(run_row)
    t2 = t1
    steps: dict[str, float] = {}

    def finished() -> None:
        nonlocal t2
        t2 = time.perf_counter()
        _finished(run_row, t2 - t0, actor, area, policy, r.year, engine, fingerprint, results.num_rows, by_status)

    try:
        store.write(run_row.id, results.drop_columns(["per_capita_fen"]), finished, steps)
    except BaseException:
        store.discard(run_row.pk)
        raise
    return Outcome(run_row, results, {"evaluate": t1 - t0, "write": t2 - t1, "total": t2 - t0,
                                      **{f"write.{k}": v for k, v in steps.items()}})


def _finished(run_row: IdentificationRun, seconds: float, actor: str, area: str | None, policy: Policy, year: int,
              engine: str, fingerprint: str, households: int, by_status: dict[str, int]) -> None:
    run_row.finished_at = timezone.now()
    run_row.seconds = seconds
    run_row.save(force_insert=True)  # inside the results' transaction: the run appears whole, or not at all
    detail: dict[str, Any] = dict(policy=policy.name, policy_sha256=run_row.policy_sha256, year=year, engine=engine,
                                  data_fingerprint=fingerprint, households=households, **by_status)
    record(actor, "identification.run", object_type="identification_run", object_id=str(run_row.id), area=area or "",
           **detail)
