"""The four engines, and the one place where they differ: how the register's tables reach Ibis.

- ``duckdb`` (the default batch engine): DuckDB reads the register, from the SQLite file through its
  sqlite scanner in a process of its own (`jingzhun.identification.sqlite_reader`), from PostgreSQL as
  Arrow (Ibis' postgres backend streams it), or from Parquet files (the benchmark). Every column is cast
  to one canonical type derived from the Django models.
- ``sqlite``: Ibis' sqlite backend on the Django database file, in place; a whole computation's large
  reads run in that same reader process, SQLite answering each query (`Session.to_arrow_all`).
- ``postgres``: Ibis' postgres backend on the Django database, in place.
- ``spark``: PySpark in local mode (``local[2]``): the register's needed columns are written as
  Parquet (through DuckDB, as above) and read by Spark. One Spark session per process, shared.

The compiled expressions (jingzhun.identification.compile) are the same for all four.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from jingzhun.identification.compile import Tables

ENGINES = ("duckdb", "sqlite", "postgres", "spark")

#: Table keys of compile.Tables → database tables.
TABLE_NAMES = {"household": "registry_household", "member": "registry_member",
               "income": "registry_incomerecord", "hit": "crosscheck_crosscheckhit"}

#: The cross-department hit table's columns the engine reads (the contract with jingzhun.crosscheck).
HIT_TYPES = {"household_id": "BIGINT", "rule": "VARCHAR", "status": "VARCHAR"}

#: Further tables an app above this one reads through the same engines (key → Django model), registered by
#: that app (`register_table`): this module never imports an app above it (the assessment reads work teams,
#: visits, plans and village records this way).
EXTRA_MODELS: dict[str, Any] = {}


def register_table(key: str, model: Any) -> None:
    """Make `model`'s table readable on every engine as table key `key` (its columns typed from the model)."""
    if key in ("household", "member", "income", "hit"):
        raise ValueError(f"table key {key!r} is the register's own")
    EXTRA_MODELS[key] = model
    TABLE_NAMES[key] = model._meta.db_table


class EngineUnavailable(RuntimeError):
    """The engine cannot run here (wrong database for an in-place engine, Java missing for Spark)."""


def canonical_types() -> dict[str, dict[str, str]]:
    """Table key → column → DuckDB SQL type, from the Django models (the single schema)."""
    from jingzhun.registry.models import Household, IncomeRecord, Member

    out: dict[str, dict[str, str]] = {}
    models = (("household", Household), ("member", Member), ("income", IncomeRecord), *EXTRA_MODELS.items())
    for key, model in models:
        cols: dict[str, str] = {}
        for f in model._meta.concrete_fields:
            target: Any = f.target_field if f.is_relation else f  # type: ignore[attr-defined]
            kind = target.get_internal_type()
            if kind == "BooleanField":
                sql = "BOOLEAN"
            elif kind == "DecimalField":
                sql = f"DECIMAL({target.max_digits}, {target.decimal_places})"
            elif kind == "DateField":
                sql = "DATE"
            elif kind == "DateTimeField":
                sql = "TIMESTAMP"
            elif kind in ("CharField", "TextField"):
                sql = "VARCHAR"
            elif kind == "BinaryField":
                sql = "BLOB"
            else:
                sql = "BIGINT"
            cols[str(f.column)] = sql
        out[key] = cols
    out["hit"] = dict(HIT_TYPES)
    return out


# --------------------------------------------------------------------------- where the register is


@dataclass(frozen=True)
class Database:
    """The Django database: SQLite (a file) or PostgreSQL (connection parameters)."""

    vendor: str
    path: str = ""
    params: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def current(cls) -> Database:
        from django.db import connection

        s = connection.settings_dict
        if connection.vendor == "sqlite":
            return cls("sqlite", path=str(s["NAME"]))
        params = {"host": s.get("HOST") or None, "port": int(s["PORT"]) if s.get("PORT") else None,
                  "user": s.get("USER") or None, "password": s.get("PASSWORD") or None, "database": s["NAME"]}
        return cls(connection.vendor, params=tuple((k, v) for k, v in params.items() if v is not None))


@dataclass(frozen=True)
class ParquetFiles:
    """The register as Parquet files ``<dir>/<table key>.parquet`` (benchmarks, exports)."""

    directory: str


Source = Database | ParquetFiles


@dataclass
class Session:
    """Ibis tables of the register on one engine, and how to fetch a result."""

    engine: str
    tables: Tables | None  # the register's tables limited to the span (None without members and incomes)
    backend: Any
    raw: dict[str, ir.Table] = field(default_factory=dict)  # every needed table, as read (not limited)
    path: str = ""  # the SQLite file (the sqlite engine reads it on several connections at once)

    def to_arrow(self, expr: ir.Table) -> pa.Table:
        if self.engine == "sqlite":
            return sqlite_arrow(self.backend, expr)
        return expr.to_pyarrow()

    def to_arrow_all(self, exprs: dict[str, ir.Table], *, large: bool = False) -> dict[str, pa.Table]:
        """Several results. On SQLite, which runs a query on one core, `large` ones (millions of rows read, as a
        whole province's) are read `SQLITE_READERS` at a time in a process of their own (`_read_apart`: it
        costs about 0.4 s to start, which a one-village refresh does not recover); the other engines run
        each query on all their cores already. Everything Ibis does happens here, in this thread."""
        if self.engine != "sqlite" or not self.path or len(exprs) < 2 or not large:
            return {key: self.to_arrow(expr) for key, expr in exprs.items()}
        reads = {key: _SqliteRead.of(self.backend, expr) for key, expr in exprs.items()}
        found = _read_apart(self.path, reads)
        # What a thread could not read into its types goes the Ibis way, here.
        return {key: exprs[key].to_pyarrow() if table is None else table for key, table in found.items()}


#: Connections the sqlite engine reads on at once (`Session.to_arrow_all`): the machines we run on have two
#: cores or more.
SQLITE_READERS = max(1, min(4, os.cpu_count() or 1))


def _sqlite_column(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    """One column of SQLite's values as `kind`: booleans arrive as 0/1, dates and times as ISO text."""
    if pa.types.is_boolean(kind):
        return pa.array(values, pa.int64()).cast(kind)
    if pa.types.is_date32(kind) or pa.types.is_timestamp(kind):
        return pa.array(values, pa.string()).cast(kind)
    return pa.array(values, kind)


def _sqlite_plain(kind: pa.DataType) -> bool:
    return (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
            or pa.types.is_string(kind) or pa.types.is_date32(kind)
            or (pa.types.is_timestamp(kind) and kind.tz is None))


def _sqlite_table(rows: list[tuple[Any, ...]], target: pa.Schema) -> pa.Table | None:
    """Rows as an Arrow table of `target`'s types, None when a value does not fit its column's type."""
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(target)
    try:
        arrays = [_sqlite_column(values, f.type) for values, f in zip(columns, target, strict=True)]
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return None
    return pa.Table.from_arrays(arrays, schema=target)


@dataclass(frozen=True)
class _SqliteRead:
    """One query to read on a connection of its own (`Session.to_arrow_all`): its SQL, the Arrow types of its
    result, and the rows of the in-memory tables it reads (they live in one connection: copied to the new one)."""

    sql: str
    target: pa.Schema
    memtables: tuple[tuple[str, pa.Table], ...]

    @classmethod
    def of(cls, backend: Any, expr: ir.Table) -> _SqliteRead:
        from ibis.expr import operations as ops

        memtables = tuple((m.name, m.data.to_pyarrow(m.schema)) for m in expr.op().find(ops.InMemoryTable))
        return cls(backend.compile(expr), expr.as_table().schema().to_pyarrow(), memtables)

    def by_cursor(self, path: str) -> pa.Table | None:
        """The result through Python's sqlite3 (the in-memory tables copied to its connection first); None when
        a value does not fit its type."""
        import sqlite3

        if not all(_sqlite_plain(f.type) for f in self.target):
            return None

        con = sqlite3.connect(path)
        try:
            for name, data in self.memtables:
                names = ", ".join(f'"{c}"' for c in data.column_names)
                con.execute(f'CREATE TEMP TABLE "{name}" ({names})')
                values = [[v.isoformat() if hasattr(v, "isoformat") else v for v in row.values()]
                          for row in data.to_pylist()]
                con.executemany(f'INSERT INTO temp."{name}" VALUES ({", ".join("?" * data.num_columns)})', values)
            return _sqlite_table(con.execute(self.sql).fetchall(), self.target)
        finally:
            con.close()


def _duckdb_type(kind: pa.DataType) -> str:
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind):
        return "DOUBLE"
    if pa.types.is_date32(kind):
        return "DATE"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMP"
    return "VARCHAR"


def _sqlite_query_cast(name: str, kind: str) -> str:
    """A column of `sqlite_query` back to its type (the extension hands every column over as text). An
    integer must be one exactly: DuckDB rounds "2.5" to 3, where the Python cursor's reading refuses it."""
    column = f'"{name}"'
    if kind == "BIGINT":
        return (f"CASE WHEN {column} IS NULL THEN NULL WHEN CAST({column} AS DOUBLE) = CAST({column} AS BIGINT) "
                f"THEN CAST({column} AS BIGINT) ELSE error('not an integer: ' || {column}) END AS {column}")
    return f"CAST({column} AS {kind}) AS {column}"


def read_in_child(path: str, queries: dict[str, tuple[str, list[Any]]], *,
                  meanwhile: Any = None) -> dict[str, pa.Table | str]:
    """DuckDB queries over the SQLite database at `path` (attached as `reg`), run by
    `jingzhun.identification.sqlite_reader` in a process of its own, `SQLITE_READERS` at a time: each
    result, or the error DuckDB gave for it. `meanwhile` (a function) runs here while the child reads."""
    import json
    import shutil
    import subprocess
    import sys

    from jingzhun.db import scratch
    from jingzhun.db.sqlite import duckdb_sqlite_extension

    out = scratch.mkdtemp("jingzhun-read-")
    try:
        jobs = [{"key": key, "query": sql, "params": params} for key, (sql, params) in queries.items()]
        child = subprocess.Popen(
            [sys.executable, "-m", "jingzhun.identification.sqlite_reader", path, out, duckdb_sqlite_extension(),
             str(SQLITE_READERS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert child.stdin is not None and child.stdout is not None
        try:
            child.stdin.write(json.dumps(jobs))
            child.stdin.close()
            if meanwhile is not None:
                meanwhile()
            answer = child.stdout.read()
        finally:
            if child.wait() != 0:
                raise RuntimeError(f"jingzhun.identification.sqlite_reader exited with {child.returncode}")
        found: dict[str, pa.Table | str] = {}
        for key, error in zip(queries, json.loads(answer), strict=True):
            if error is None:
                with pa.memory_map(f"{out}/{key}.arrow") as source:
                    found[key] = pa.ipc.open_file(source).read_all()
            else:
                found[key] = error
        return found
    finally:
        shutil.rmtree(out, ignore_errors=True)


def _read_apart(path: str, reads: dict[str, _SqliteRead]) -> dict[str, pa.Table | None]:
    """The reads' results: those of plain types by SQLite in a process of its own (`read_in_child`, carried
    into Arrow by DuckDB's `sqlite_query`), the others here, through Python's sqlite3, meanwhile. None where a
    value did not fit its type (the caller reads it the Ibis way)."""
    apart = {k: r for k, r in reads.items() if not r.memtables and all(_sqlite_plain(f.type) for f in r.target)}
    here: dict[str, pa.Table | None] = {}

    def read_here() -> None:
        here.update({k: r.by_cursor(path) for k, r in reads.items() if k not in apart})

    queries = {k: (f"SELECT {', '.join(_sqlite_query_cast(f.name, _duckdb_type(f.type)) for f in r.target)} "
                   "FROM sqlite_query('reg', $1)", [r.sql]) for k, r in apart.items()}
    found: dict[str, pa.Table | None] = {}
    for key, result in read_in_child(path, queries, meanwhile=read_here).items():
        # A value DuckDB could not cast: Python's cursor reads it (or, failing that, Ibis).
        found[key] = apart[key].by_cursor(path) if isinstance(result, str) else result.cast(apart[key].target)
    return {**found, **here}


def sqlite_arrow(backend: Any, expr: ir.Table) -> pa.Table:
    """The result of `expr` on Ibis' SQLite backend as Arrow. Ibis builds a pandas DataFrame from the cursor
    and converts it (at a million rows of two columns 1–2 s beyond the query itself); here the cursor's rows
    are transposed straight into Arrow arrays of the expression's types. A type this does not know, or a
    value that does not fit its column's type, goes the Ibis way."""
    target = expr.as_table().schema().to_pyarrow()
    if not all(_sqlite_plain(f.type) for f in target):
        return expr.to_pyarrow()
    backend._run_pre_execute_hooks(expr)
    table = _sqlite_table(backend.con.execute(backend.compile(expr)).fetchall(), target)
    return expr.to_pyarrow() if table is None else table


def _scoped(tables: dict[str, ir.Table], span: tuple[str, str] | None) -> Tables | None:
    """The tables limited to the households whose village lies in `span`, a (low, high) area-code range."""
    if not {"household", "member", "income"} <= set(tables):
        return None
    hh = tables["household"]
    if span is None:
        return Tables(hh, tables["member"], tables["income"], tables.get("hit"))
    hh = hh.filter(hh["village_id"].between(*span))
    ids = hh.select(sid=hh["id"])

    def within(t: ir.Table) -> ir.Table:
        return t.semi_join(ids, t["household_id"] == ids["sid"])

    hit = tables.get("hit")
    return Tables(hh, within(tables["member"]), within(tables["income"]), None if hit is None else within(hit))


def _select_sql(key: str, columns: set[str], source_table: str) -> str:
    types = canonical_types()[key]
    unknown = sorted(columns - set(types))
    if unknown:
        raise KeyError(f"{TABLE_NAMES[key]} has no column {', '.join(unknown)}")
    return ", ".join(f'CAST("{c}" AS {types[c]}) AS "{c}"' for c in sorted(columns)) + f" FROM {source_table}"


def _duckdb(threads: int | None = None) -> Any:
    import duckdb

    config: dict[str, Any] = {}
    if threads:
        config["threads"] = threads
    con = duckdb.connect(config=config)
    # PostgreSQL's timestamps arrive with their zone; cast to plain TIMESTAMP they must stay in UTC, as SQLite
    # stores them, whatever the machine's zone.
    con.execute("SET TimeZone = 'UTC'")
    # A GROUP BY on one integer key whose range (from the statistics) fits in 2^24, as household and cadre
    # ids of up to 16 M households, indexes an array instead of hashing: counting 35 M members by household
    # took 0.8 s instead of 3.7 s (10 M households, 2 cores). The array is allocated whole, 2^24 rows at
    # most per thread; DuckDB's default stops at 2^12.
    con.execute("SET perfect_ht_threshold = 24")
    return con


def duckdb_register(con: Any, source: Source, need: dict[str, set[str]], *,
                    meanwhile: Callable[[], None] | None = None) -> None:
    """Tables (views) of the needed columns in DuckDB connection `con`, with canonical types. `meanwhile` (a
    function) runs while a process of its own reads them (SQLite), else first."""
    if meanwhile is not None and not (isinstance(source, Database) and source.vendor == "sqlite"):
        meanwhile()
    if isinstance(source, ParquetFiles):
        for key, cols in need.items():
            path = Path(source.directory) / f"{key}.parquet"
            con.execute(f'CREATE VIEW "{key}" AS SELECT {_select_sql(key, cols, f"read_parquet({str(path)!r})")}')
        return
    if source.vendor == "sqlite":
        # Read by DuckDB in a process of its own (`read_in_child`: never DuckDB's SQLite in this one).
        found = read_in_child(source.path, {key: (f"SELECT {_select_sql(key, cols, f'reg.{TABLE_NAMES[key]}')}", [])
                                            for key, cols in need.items()}, meanwhile=meanwhile)
        for key, table in found.items():
            if isinstance(table, str):
                raise RuntimeError(f"{TABLE_NAMES[key]}: {table}")
            con.register(key, table)
        return
    # PostgreSQL: DuckDB has no postgres scanner here; the columns stream as Arrow through Ibis.
    pg = ibis.postgres.connect(**dict(source.params))
    try:
        for key, cols in need.items():
            table = pg.table(TABLE_NAMES[key]).select(*sorted(cols)).to_pyarrow()
            con.register(f"_arrow_{key}", table)
            con.execute(f'CREATE TABLE "{key}" AS SELECT {_select_sql(key, cols, f"_arrow_{key}")}')
            con.unregister(f"_arrow_{key}")
    finally:
        pg.disconnect()


# --------------------------------------------------------------------------- Spark


_SPARK: Any = None


def spark_session() -> Any:
    """The process's Spark session in local mode with two cores; started once (a start costs seconds)."""
    global _SPARK
    if _SPARK is None:
        if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
            raise EngineUnavailable("Spark 需要 Java（未找到 java）/ Spark needs Java: no java on PATH and no JAVA_HOME")
        from pyspark.sql import SparkSession

        _SPARK = (SparkSession.builder.master("local[2]").appName("jingzhun-identify")
                  .config("spark.ui.enabled", "false")
                  .config("spark.ui.showConsoleProgress", "false")
                  .config("spark.sql.shuffle.partitions", "4")
                  .config("spark.sql.session.timeZone", "UTC")
                  .config("spark.driver.memory", os.environ.get("JINGZHUN_SPARK_MEMORY", "2g"))
                  .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                  .getOrCreate())
        _SPARK.sparkContext.setLogLevel("ERROR")
    return _SPARK


# --------------------------------------------------------------------------- sessions


@contextmanager
def open_session(engine: str, need: dict[str, set[str]], *, source: Source | None = None,
                 span: tuple[str, str] | None = None, threads: int | None = None,
                 meanwhile: Callable[[], None] | None = None) -> Iterator[Session]:
    """The register's needed columns as Ibis tables on `engine`. `meanwhile` (a function: the caller's own reads
    of the database) runs before the session is handed over: while DuckDB's copy of a SQLite register is read
    in a process of its own, else first."""
    if engine not in ENGINES:
        raise ValueError(f"engine: 须为 {', '.join(ENGINES)} 之一 / must be one of {', '.join(ENGINES)}, not {engine!r}")
    source = Database.current() if source is None else source
    if engine == "duckdb":
        con = _duckdb(threads)
        try:
            duckdb_register(con, source, need, meanwhile=meanwhile)
            backend = ibis.duckdb.from_connection(con)
            raw = {k: backend.table(k) for k in need}
            yield Session(engine, _scoped(raw, span), backend, raw)
        finally:
            con.close()
        return
    if engine in ("sqlite", "postgres"):
        vendor = "sqlite" if engine == "sqlite" else "postgresql"
        if not isinstance(source, Database) or source.vendor != vendor:
            raise EngineUnavailable(f"engine {engine}: 登记库不是 {vendor} / the register is not in {vendor}")
        if meanwhile is not None:
            meanwhile()
        backend = (ibis.sqlite.connect(source.path) if engine == "sqlite"
                   else ibis.postgres.connect(**dict(source.params)))
        try:
            tables = {k: backend.table(TABLE_NAMES[k]).select(*sorted(cols)) for k, cols in need.items()}
            yield Session(engine, _scoped(tables, span), backend, tables,
                          path=source.path if engine == "sqlite" else "")
        finally:
            backend.disconnect()
        return
    # Spark: the needed columns as Parquet (DuckDB writes them with the canonical types), read by Spark.
    spark = spark_session()
    tmp = tempfile.mkdtemp(prefix="jingzhun-spark-")
    try:
        con = _duckdb(threads)
        duckdb_register(con, source, need, meanwhile=meanwhile)
        paths = {}
        for key in need:
            paths[key] = os.path.join(tmp, f"{key}.parquet")
            con.execute(f"COPY \"{key}\" TO {paths[key]!r} (FORMAT parquet)")
        con.close()
        backend = ibis.pyspark.connect(spark)
        tables = {key: backend.read_parquet(path, table_name=f"jz_{key}_{os.getpid()}") for key, path in paths.items()}
        yield Session(engine, _scoped(tables, span), backend, tables)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
