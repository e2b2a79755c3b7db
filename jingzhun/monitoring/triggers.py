"""The monitoring triggers on income and rigid expenses, as one Ibis expression: the one definition, which the
officers' screening (`screening`, compiled to the Django database's own SQL inside its transaction) and the bulk
check on the identification engines (`check`: DuckDB on Parquet or in place, SQLite, PostgreSQL) both run.

For a household with an income record of the year, neither removed nor on the poor list now (poor households are
helped as poor, not monitored):

- `income`: per-capita net income under the monitoring line, ``net < line × size`` in fen (net: the four sources
  less production costs, summed and turned into fen once; size: the household's members);
- `rigid`: rigid expenses (the policy's list: the income record's medical spending, schooling and disaster from
  `RigidExpense`) above zero and above the policy's share of net income, ``rigid × den > num × net``.

Each row also carries what the trigger records: the per-capita income and the line for `income`, the expenses and
the share of net income for `rigid` (integer division truncating toward zero, as SQL's integer `/`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from jingzhun import choices
from jingzhun.identification import compile as ic
from jingzhun.identification import engines
from jingzhun.monitoring import policy

EXCLUDED = (choices.REMOVED, *choices.POOR_NOW)
SOURCES = ("wage_income", "production_income", "property_income", "transfer_income")
SUBTRACT = ("production_costs",)
#: A rigid expense of the policy → (table key, column).
EXPENSES = {"medical": ("income", "medical_expenses"), "schooling": ("rigid_expense", "schooling"),
            "disaster": ("rigid_expense", "disaster")}
#: The columns of `expression`'s result, in order.
COLUMNS = ("hid", "village", "status", "net", "rigid", "size", "income_hit", "rigid_hit", "income_value",
           "income_threshold", "rigid_threshold")
Span = tuple[str, str]


@dataclass
class Tables:
    household: ir.Table
    member: ir.Table
    income: ir.Table
    rigid_expense: ir.Table


def need() -> dict[str, set[str]]:
    """The columns the expression reads, by table key (engines load nothing else)."""
    return {"household": {"id", "village_id", "status"}, "member": {"household_id"},
            "income": {"household_id", "year", *SOURCES, *SUBTRACT, "medical_expenses"},
            "rigid_expense": {"household_id", "year", "schooling", "disaster"}}


def truncated(a: ir.IntegerValue, b: ir.IntegerValue | int) -> ir.IntegerValue:
    """a ÷ b for b > 0, truncated toward zero on every engine (SQL's integer division)."""
    return ibis.ifelse(a >= 0, a // b, -((-a) // b)).cast("int64")


def within(hh: ir.Table, spans: Sequence[Span] | None) -> ir.Table:
    if spans is None:
        return hh
    cond = ibis.literal(False)
    for low, high in spans:
        cond = cond | hh["village_id"].between(low, high)
    return hh.filter(cond)


def net_fen(inc: ir.Table) -> ir.IntegerValue:
    """An income record's net income in fen: the four sources less production costs, summed in yuan and turned
    into fen once."""
    net_yuan = inc[SOURCES[0]]
    for f in SOURCES[1:]:
        net_yuan = net_yuan + inc[f]
    for f in SUBTRACT:
        net_yuan = net_yuan - inc[f]
    return ic.fen_of(net_yuan)


def sizes(member: ir.Table) -> ir.Table:
    """(m_hid, m_size): each household's members, of the households that have any."""
    return member.group_by(m_hid=member["household_id"]).aggregate(m_size=member.count())


def per_capita(net: ir.IntegerValue, size: ir.IntegerValue) -> ir.IntegerValue:
    """Per-capita net income in fen: net ÷ members truncated toward zero (SQL's integer division, so −1,001 fen
    over 2 is −500); null for a household with no members."""
    return ibis.ifelse(size > 0, truncated(net, ibis.greatest(size, 1)), ibis.null("int64"))


def per_capita_by_year(t: Tables, household_id: int, since: int) -> ir.Table:
    """(year, per_capita) of one household's income records of `since` and later: risk elimination's test
    (`monitoring.cases.elimination_blockers`), by the same definition as the income trigger's value."""
    inc = t.income.filter((t.income["household_id"] == household_id) & (t.income["year"] >= since))
    inc = inc.select(i_hid=inc["household_id"], year=inc["year"], net=net_fen(inc))
    members = sizes(t.member.filter(t.member["household_id"] == household_id))
    j = inc.left_join(members, inc["i_hid"] == members["m_hid"])
    size = ibis.coalesce(j["m_size"], 0).cast("int64")
    return j.select(year=j["year"], per_capita=per_capita(j["net"], size)).order_by("year")


def expression(rules: policy.Rules, year: int, t: Tables, spans: Sequence[Span] | None = None) -> ir.Table:
    """One row per household of `t.household` (in `spans` when given) that a trigger finds (see the module)."""
    hh = within(t.household.filter(~t.household["status"].isin(list(EXCLUDED))), spans)
    hh = hh.select(hid=hh["id"], village=hh["village_id"], status=hh["status"])
    inc = t.income.filter(t.income["year"] == year)
    inc = inc.select(i_hid=inc["household_id"], net=net_fen(inc), i_medical=inc["medical_expenses"])
    ex = t.rigid_expense.filter(t.rigid_expense["year"] == year)
    ex = ex.select(e_hid=ex["household_id"], e_schooling=ex["schooling"], e_disaster=ex["disaster"])
    members = sizes(t.member)
    j = (hh.inner_join(inc, hh["hid"] == inc["i_hid"]).left_join(ex, hh["hid"] == ex["e_hid"])
         .left_join(members, hh["hid"] == members["m_hid"]))
    column = {"medical": j["i_medical"], "schooling": j["e_schooling"], "disaster": j["e_disaster"]}
    spent = [ibis.coalesce(column[e], 0) for e in rules.rigid_expenses]
    rigid_yuan = spent[0]
    for s in spent[1:]:
        rigid_yuan = rigid_yuan + s
    f = j.select(hid=j["hid"], village=j["village"], status=j["status"], net=j["net"],
                 rigid=ic.fen_of(rigid_yuan), size=ibis.coalesce(j["m_size"], 0).cast("int64"))
    share = Fraction(rules.rigid_share)
    line_fen = int(rules.line * 100)
    f = f.mutate(income_hit=(f["size"] > 0) & (f["net"] < f["size"] * line_fen),
                 rigid_hit=(f["rigid"] > 0) & (f["rigid"] * share.denominator > f["net"] * share.numerator))
    g = f.filter(f["income_hit"] | f["rigid_hit"])
    return g.select(
        *COLUMNS[:8],
        income_value=per_capita(g["net"], g["size"]),
        income_threshold=ibis.literal(line_fen, "int64"),
        rigid_threshold=truncated(g["net"] * share.numerator, share.denominator))


def unbound() -> Tables:
    """The Django tables as unbound Ibis tables (to compile the expression into the database's own SQL)."""
    types = engines.canonical_types()
    dtypes = {"BIGINT": "int64", "VARCHAR": "string", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp"}

    def table(key: str) -> ir.Table:
        cols = need()[key]
        schema = {c: dtypes.get(types[key][c], types[key][c].lower()) for c in sorted(cols)}
        return ibis.table(schema, name=engines.TABLE_NAMES[key])

    return Tables(table("household"), table("member"), table("income"), table("rigid_expense"))


DIALECTS = {"sqlite": "sqlite", "postgresql": "postgres"}


def sql(rules: policy.Rules, year: int, vendor: str, spans: Sequence[Span] | None) -> str:
    """The expression as SQL of the Django database (`connection.vendor`), reading its tables."""
    return str(ibis.to_sql(expression(rules, year, unbound(), spans), dialect=DIALECTS[vendor]))


def per_capita_sql(household_id: int, since: int, vendor: str) -> str:
    """`per_capita_by_year` as SQL of the Django database (the two integers are its only inputs)."""
    return str(ibis.to_sql(per_capita_by_year(unbound(), int(household_id), int(since)), dialect=DIALECTS[vendor]))


def check(rules: policy.Rules, year: int, *, engine: str = "duckdb", source: engines.Source | None = None,
          span: Span | None = None, threads: int | None = None) -> pa.Table:
    """The households the triggers find, on an identification engine, as Arrow (`COLUMNS`), sorted by household:
    the bulk form of what the screening opens cases for (nothing is written)."""
    with engines.open_session(engine, need(), source=source, span=span, threads=threads) as session:
        t = session.tables
        assert t is not None  # household, member and income are all needed
        tables = Tables(t.household, t.member, t.income, session.raw["rigid_expense"])
        result = session.to_arrow(expression(rules, year, tables))
    return result.sort_by("hid")
