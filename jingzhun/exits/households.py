"""The household exit check in bulk (贫困户退出条件): every household on the poor list (poor or returned) of
the area, through the identification engines (Ibis: DuckDB by default; SQLite and PostgreSQL in place).

A household may exit when, in each of the exit policy's income years, its per-capita net income is above
that year's line (`at_line = "exits"`: at least the line), and every guarantee the policy requires is met
in the exit year. The guarantees and the household size are the identification expression's own
(`compile.identify` on the identification policy reduced to the required guarantees); the income years
are one more aggregation over the income table. Money is compared in integer fen, never divided:
``net > line × size``.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun import choices
from jingzhun.exits import codes
from jingzhun.identification import compile as ic
from jingzhun.identification.engines import Source, open_session
from jingzhun.policy.exit import ExitRules
from jingzhun.policy.model import Exclusions, Guarantees, Policy

ENGINE = "duckdb"


def reduced(rules: ExitRules) -> Policy:
    """The identification policy with only the guarantees the exit requires (merged with the exit file's
    own), no exclusions and no MPI: what `compile.identify` needs to give size and guarantee bits."""
    wanted = {name: rules.guarantee(name) for name in rules.exit.household.guarantees}
    return rules.base.model_copy(update={"guarantees": Guarantees(**wanted), "exclusions": Exclusions(), "mpi": None,
                                         "monitoring_line": None})


def line_fen(rules: ExitRules, year: int) -> int:
    return int(rules.line(year) * 100)


def net_yuan(rules: ExitRules, inc: ir.Table) -> ir.NumericValue:
    """The record's net income in yuan: the policy's sources less its deductions, summed in the column's own type
    and turned into fen once (`fen_of`) — the same fen as summing each field's fen, since every field has two
    decimals (exact in a decimal; in SQLite's doubles the sum's error is far below half a fen), at a fifth of the
    conversions (measured: bench/bench_exit.py)."""
    cols = [inc[f] for f in rules.base.income.sources]
    net = cols[0]
    for c in cols[1:]:
        net = net + c
    for f in rules.base.income.subtract:
        net = net - inc[f]
    return net


def income_years(rules: ExitRules, income: ir.Table) -> ir.Table:
    """One row per household with an income record in the policy's years: `y_hid` and `n<k>`, the net income in fen
    of the k-th year (null without a record of it). One pass over the records of those years, grouped once by
    household (a record is unique per household and year: `max` picks it)."""
    years = rules.years()
    inc = income.filter(income["year"].between(years[0], years[-1]))
    net = ic.fen_of(net_yuan(rules, inc))
    by_year = inc.select(y_hid=inc["household_id"], y_year=inc["year"], y_net=net)
    return by_year.group_by("y_hid").aggregate(
        **{f"n{k}": by_year["y_net"].max(where=by_year["y_year"] == y) for k, y in enumerate(years)})


def reads_income(r: ic.Rules) -> bool:
    """Whether a required guarantee tests a field of the income record (identification's own income join is then
    needed; otherwise the exit's income years stand alone and identification is fed no income rows)."""
    fields = ic.needed_columns(r)["income"] - {"household_id", "year"}
    return bool(fields - set(r.policy.income.sources) - set(r.policy.income.subtract))


def expression(rules: ExitRules, t: ic.Tables, r: ic.Rules) -> ir.Table:
    """One row per household of `t.household`: id, village, size, guarantee bits, per-year net income in
    fen, the masks of years not above the line and years without a record, and `eligible`."""
    years = rules.years()
    # Identification's facts (size, guarantee bits) without its income of the year, which the exit does not read
    # unless a guarantee tests an income field: one join fewer over the poor list.
    inc = t.income if reads_income(r) else t.income.filter(ibis.literal(False))
    ident = ic.identify(r, ic.Tables(t.household, t.member, inc, None))
    ident = ident.select("household_id", "size", "guarantee_failures")
    by_year = income_years(rules, t.income)
    hh = t.household.select(v_hid=t.household["id"], village_id=t.household["village_id"])
    j = hh.inner_join(ident, hh["v_hid"] == ident["household_id"]).left_join(
        by_year, hh["v_hid"] == by_year["y_hid"])
    size = j["size"]
    per = size if rules.base.income.per_capita else ibis.literal(1, "int64")
    zero = ibis.literal(0, "int64")
    below, missing = zero, zero
    for k, year in enumerate(years):
        n, limit = j[f"n{k}"], per * line_fen(rules, year)
        above = n >= limit if rules.exit.household.at_line == "exits" else n > limit
        below = below + ibis.ifelse(n.notnull() & ~ibis.coalesce(above, False), 1 << k, 0)
        missing = missing + ibis.ifelse(n.isnull(), 1 << k, 0)
    eligible = (size > 0) & (below == 0) & (missing == 0) & (j["guarantee_failures"] == 0)
    return j.select(household_id=j["household_id"], village_id=j["village_id"], size=size,
                    guarantee_failures=j["guarantee_failures"], below=below.cast("int64"),
                    missing=missing.cast("int64"), eligible=eligible,
                    **{f"n{k}": j[f"n{k}"] for k in range(len(years))})


def check(rules: ExitRules, *, engine: str = ENGINE, span: tuple[str, str] | None = None,
          source: Source | None = None, threads: int | None = None,
          households: Sequence[int] | None = None) -> pa.Table:
    """The exit check of every household on the poor list (of `span`, an area-code range; of the ids in
    `households` when given), as Arrow: household_id, village_id, size, eligible, reasons, below,
    missing, guarantee_failures and `pc_<year>` (per-capita income in fen, rounded down; null when
    missing), sorted by household."""
    r = ic.rules(reduced(rules), rules.year)
    need = ic.needed_columns(r)
    need.pop("hit")
    need["household"] |= {"status"}
    with open_session(engine, need, source=source, span=span, threads=threads) as session:
        t = session.tables
        assert t is not None  # the register's tables are read whenever `need` names them, as it does here
        hh = t.household.filter(t.household["status"].isin(list(choices.POOR_NOW)))
        if households is not None:
            hh = hh.filter(hh["id"].isin([int(i) for i in households]))
        if engine == "duckdb":
            # The poor list read once into the session's memory (a temporary table, gone with the session's
            # connection): the expression reads it four times — the members' and incomes' narrowing, the facts, the
            # village — and a Parquet file or an attached database would be scanned and filtered each time.
            hh = session.backend.create_table("exit_poor_list", obj=hh, temp=True)
        # Members and incomes of the households checked only: the poor list is a part of the register, and
        # the members' aggregation is the cost (measured: bench/bench_exit.py).
        ids = hh.select(c_hid=hh["id"])
        member = t.member.semi_join(ids, t.member["household_id"] == ids["c_hid"])
        income = t.income.semi_join(ids, t.income["household_id"] == ids["c_hid"])
        result = session.to_arrow(expression(rules, ic.Tables(hh, member, income, None), r))
    return finish(rules, result.sort_by("household_id"))


def finish(rules: ExitRules, result: pa.Table) -> pa.Table:
    """Per-capita incomes in fen and the reason bits, from the expression's integers (the same for every
    engine)."""
    size = result.column("size").to_numpy(zero_copy_only=False).astype(np.int64)
    below = result.column("below").to_numpy(zero_copy_only=False).astype(np.int64)
    missing = result.column("missing").to_numpy(zero_copy_only=False).astype(np.int64)
    failures = result.column("guarantee_failures").to_numpy(zero_copy_only=False).astype(np.int64)
    reasons = ((below != 0) * codes.NOT_ABOVE | (missing != 0) * codes.NO_INCOME | (failures != 0) * codes.GUARANTEE
               | (size <= 0) * codes.NO_MEMBERS)
    cols: dict[str, pa.Array] = {
        "household_id": result.column("household_id").cast(pa.int64()),
        "village_id": result.column("village_id").cast(pa.string()),
        "size": pa.array(size), "eligible": result.column("eligible").cast(pa.bool_()),
        "reasons": pa.array(reasons.astype(np.int64)), "below": pa.array(below), "missing": pa.array(missing),
        "guarantee_failures": pa.array(failures),
    }
    divisor = np.maximum(size, 1) if rules.base.income.per_capita else np.ones_like(size)
    for k, year in enumerate(rules.years()):
        n = result.column(f"n{k}").cast(pa.int64())
        valid = pc.is_valid(n).to_numpy(zero_copy_only=False) & (size > 0)
        values = np.floor_divide(pc.fill_null(n, 0).to_numpy(zero_copy_only=False).astype(np.int64), divisor)
        cols[f"pc_{year}"] = pa.array(values, pa.int64(), mask=~valid)
    return pa.table(cols)
