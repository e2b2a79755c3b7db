"""A policy compiled into Ibis expressions over the register's tables: one expression set for every engine.

`identify(rules, tables)` returns one Ibis table with a row per household: its size, net income in fen,
the guarantee, exclusion and deprivation bits, the MPI score in integer points, the status and the reason
codes. The engines (jingzhun.identification.engines) only supply the tables; nothing here knows which
backend runs it.

Exactness, so that every engine gives the same answer:
- Money is compared in integer fen (round(value × 100)); the income test is ``net < line × size`` in
  integers, never a division. SQLite stores decimals as binary floats, so only integers are safe.
- Numeric checks compare scaled integers against the policy value converted exactly (a Fraction): a
  check ``lt 2.5`` on a field with two decimals is ``fen < 250``.
- The MPI score is an integer number of points: each weight scaled to the common denominator of the
  weights and k, as jingzhun.measures.alkire_foster does, so ``score ≥ k`` is an integer comparison.
- A missing value (a household without an income record, an empty identified year) satisfies no check.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import ibis
import ibis.expr.types as ir

from jingzhun.identification import codes
from jingzhun.policy.model import FIELDS, Check, Policy
from jingzhun.registry import template


class PolicyNotRunnable(ValueError):
    """The policy is valid but names something the engine cannot evaluate (an encrypted field)."""


#: Fields stored only encrypted (jingzhun.crypto): no engine can test them in the database.
ENCRYPTED_FIELDS = frozenset({"health", "disability_grade"})


def _fen(value: Decimal | int) -> int:
    cents = Decimal(value) * 100
    if cents != cents.to_integral_value():
        raise PolicyNotRunnable(f"金额精确到分 / amounts are in yuan with at most 2 decimals: {value}")
    return int(cents)


@dataclass(frozen=True)
class Rules:
    """What the expressions need from a policy, with every number made exact."""

    policy: Policy
    year: int
    line_fen: int
    monitoring_fen: int | None
    guarantees: list[tuple[int, str, list[Check]]]  # (bit, name, checks)
    exclusions: list[tuple[int, str, str]]  # (bit, name, action)
    indicators: list[tuple[int, str, int, Check]]  # (bit, name, points, check)
    k_points: int
    denominator: int  # MPI points per unit score (0 without an MPI)
    member_checks: dict[str, tuple[Check, str]] = field(default_factory=dict)  # alias → (check, any|all)


def rules(policy: Policy, year: int | None = None) -> Rules:
    """Exact numbers and fixed bit positions for `policy`; refuses checks on encrypted fields."""
    year = policy.year if year is None else year
    checks: list[tuple[str, Check]] = []
    guarantees = []
    for bit, name in enumerate(codes.GUARANTEE_NAMES):
        g = getattr(policy.guarantees, name)
        if g is not None:
            guarantees.append((bit, name, list(g.require)))
            checks += [(f"guarantees.{name}.require[{i}]", c) for i, c in enumerate(g.require, start=1)]
    exclusions = [(bit, name, getattr(policy.exclusions, name).action)
                  for bit, name in enumerate(codes.EXCLUSION_NAMES) if getattr(policy.exclusions, name) is not None]
    indicators: list[tuple[int, str, int, Check]] = []
    k_points = denominator = 0
    if policy.mpi is not None:
        if len(policy.mpi.indicators) > 62:
            raise PolicyNotRunnable("mpi.indicators: 至多 62 个指标 / at most 62 indicators")
        ws = [ind.weight for ind in policy.mpi.indicators]
        k = Fraction(policy.mpi.k)
        denominator = math.lcm(k.denominator, *(w.denominator for w in ws))
        k_points = k.numerator * (denominator // k.denominator)
        for bit, ind in enumerate(policy.mpi.indicators):
            points = ind.weight.numerator * (denominator // ind.weight.denominator)
            indicators.append((bit, ind.name, points, ind.deprived_when))
            checks.append((f"mpi.indicators[{bit + 1}].deprived_when", ind.deprived_when))
    member_checks: dict[str, tuple[Check, str]] = {}
    for key, check in checks:
        if check.field in ENCRYPTED_FIELDS:
            raise PolicyNotRunnable(
                f"{key}.field: {check.field} 仅以密文保存，识别引擎不能在数据库中判断 / {check.field} is stored "
                "encrypted only; the engine cannot test it in the database")
        if FIELDS[check.field].level == "member":
            member_checks.setdefault(_alias(check), (check, check.members or "any"))
    return Rules(policy, year, _fen(policy.poverty_line),
                 None if policy.monitoring_line is None else _fen(policy.monitoring_line),
                 guarantees, exclusions, indicators, k_points, denominator, member_checks)


def _alias(check: Check) -> str:
    """A stable column name for one member check (the same check in two places is computed once)."""
    text = f"{check.field}|{check.op}|{check.value!r}|{check.members}"
    return "m_" + hashlib.sha1(text.encode()).hexdigest()[:12]


# --------------------------------------------------------------------------- columns the rules read


def _scale(key: str) -> int:
    """Numbers are compared as integers: decimals (two places) in hundredths, integers as they are."""
    col = template.BY_KEY.get(key)
    return 100 if col is not None and col.kind == "decimal" else 1


def needed_columns(r: Rules) -> dict[str, set[str]]:
    """The register columns the rules read, by table (so engines load nothing else)."""
    need: dict[str, set[str]] = {"household": {"id", "village_id"}, "member": {"household_id"},
                                 "income": {"household_id", "year", *r.policy.income.sources, *r.policy.income.subtract},
                                 "hit": {"household_id", "rule", "status"}}
    checks = [c for _, _, cs in r.guarantees for c in cs] + [c for *_, c in r.indicators]
    for c in checks:
        spec = FIELDS[c.field]
        if c.field == "household_size":
            continue
        if c.field == "age":
            need["member"].add("birth_date")
        elif spec.level == "member":
            need["member"].add(c.field)
        elif c.field in template.BY_KEY and template.BY_KEY[c.field].level == "income":
            need["income"].add(c.field)
        else:
            need["household"].add(c.field)
    return need


def _condition(check: Check, value: ir.Value, scale: int) -> ir.BooleanValue:
    """`check` applied to `value` (already scaled to integers when numeric)."""
    spec = FIELDS[check.field]
    op, v = check.op, check.value
    if spec.kind == "number":
        return _numeric(op, v, value, scale)
    if op == "eq":
        return value == v
    if op == "ne":
        return value != v
    if op == "in":
        return value.isin(list(v))
    if op == "not_in":
        return value.notin(list(v))
    raise PolicyNotRunnable(f"{op} 不适用于 {check.field} / {op} does not apply to {check.field}")


def _numeric(op: str, v: Any, value: ir.Value, scale: int) -> ir.BooleanValue:
    """Exact comparison of an integer column with a policy number (read as the decimal written)."""
    x = Fraction(Decimal(str(v))) * scale
    whole = x.denominator == 1
    if op in ("eq", "ne"):
        hit = (value == int(x)) if whole else ibis.literal(False)
        return hit if op == "eq" else ~hit
    if op in ("in", "not_in"):
        targets = []
        for item in v:
            y = Fraction(Decimal(str(item))) * scale
            if y.denominator == 1:
                targets.append(int(y))
        hit = value.isin(targets) if targets else ibis.literal(False)
        return hit if op == "in" else ~hit
    if op == "lt":
        return value < math.ceil(x)
    if op == "le":
        return value <= math.floor(x)
    if op == "gt":
        return value > math.floor(x)
    if op == "ge":
        return value >= math.ceil(x)
    raise ValueError(op)


def fen_of(column: ir.Value) -> ir.IntegerValue:
    """Yuan as whole fen. A decimal of two places or fewer (DuckDB, PostgreSQL, Spark read the register's
    columns so) times 100 is a whole number already: cast, exactly and without the double arithmetic that
    cost DuckDB 2.5 s over 20 M income rows. Otherwise through a double: SQLite holds decimals as doubles
    anyway, and fen up to 10^9 are exact after rounding; Ibis cannot round a decimal of unknown precision."""
    kind = column.type()
    if kind.is_decimal() and kind.scale is not None and kind.scale <= 2:  # type: ignore[attr-defined]
        return (column * 100).cast("int64")
    return (column.cast("float64") * 100).round().cast("int64")


# --------------------------------------------------------------------------- the expression


@dataclass
class Tables:
    """The register as Ibis tables, already restricted to the households in scope."""

    household: ir.Table
    member: ir.Table
    income: ir.Table
    hit: ir.Table | None  # read only when the policy has exclusions


def identify(r: Rules, t: Tables) -> ir.Table:
    """One row per household of `t.household`: the identification result as codes (see codes.py)."""
    policy, year = r.policy, r.year
    # Members: household size and one 0/1 column per member check, aggregated over the household.
    m = t.member
    member_cols: dict[str, Any] = {}
    for alias, (check, _) in r.member_checks.items():
        if check.field == "age":
            value: ir.Value = year - m["birth_date"].year().cast("int64")
        else:
            value = m[check.field]
            if FIELDS[check.field].kind == "number":
                value = value.cast("int64") if _scale(check.field) == 1 else fen_of(value)
        scale = 1 if check.field == "age" else _scale(check.field)
        member_cols[alias] = ibis.ifelse(ibis.coalesce(_condition(check, value, scale), False), 1, 0)
    m = m.select(m_hid=m["household_id"], **member_cols)
    aggs: dict[str, Any] = {"m_size": m.count()}
    for alias, (_, mode) in r.member_checks.items():
        aggs[alias] = m[alias].max() if mode == "any" else m[alias].min()
    members = m.group_by("m_hid").aggregate(**aggs)

    # Income of the year, in fen.
    inc = t.income.filter(t.income["year"] == year)
    income_fields = set(policy.income.sources) | set(policy.income.subtract)
    inc_fields = sorted(needed_columns(r)["income"] - {"household_id", "year"} | income_fields)
    fen = {f: fen_of(inc[f]) for f in inc_fields}
    net = sum((fen[f] for f in policy.income.sources), ibis.literal(0, "int64"))
    for f in policy.income.subtract:
        net = net - fen[f]
    income = inc.select(i_hid=inc["household_id"], i_net=net, **{f"i_{f}": fen[f] for f in inc_fields})

    hh = t.household
    joined = hh.left_join(members, hh["id"] == members["m_hid"]).left_join(income, hh["id"] == income["i_hid"])
    if r.exclusions:
        assert t.hit is not None, "the policy has exclusions: the engine must supply the hit table"
        # A cross-department hit counts until an officer dismisses it.
        h = t.hit.filter(t.hit["status"] != "dismissed")
        hits = h.group_by(x_hid=h["household_id"]).aggregate(
            **{f"x_{name}": ibis.ifelse(h["rule"] == name, 1, 0).max() for _, name, _ in r.exclusions})
        joined = joined.left_join(hits, hh["id"] == hits["x_hid"])

    size = ibis.coalesce(joined["m_size"], 0).cast("int64")
    has_income = joined["i_hid"].notnull()

    def household_value(check: Check) -> tuple[ir.Value, int]:
        if check.field == "household_size":
            return size, 1
        col = template.BY_KEY[check.field]
        if col.level == "income":
            return joined[f"i_{check.field}"], 100  # already in fen
        value = joined[check.field]
        if FIELDS[check.field].kind == "number":
            value = value.cast("int64") if _scale(check.field) == 1 else fen_of(value)
        return value, _scale(check.field)

    def holds(check: Check) -> ir.BooleanValue:
        if FIELDS[check.field].level == "member":
            # Without members, "all" holds vacuously and "any" does not.
            default = 1 if check.members == "all" else 0
            return ibis.coalesce(joined[_alias(check)], default) == 1
        value, scale = household_value(check)
        return ibis.coalesce(_condition(check, value, scale), False)

    zero = ibis.literal(0, "int64")
    guarantee_bits = zero
    for bit, _, checks in r.guarantees:
        met = holds(checks[0])
        for c in checks[1:]:
            met = met & holds(c)
        guarantee_bits = guarantee_bits + ibis.ifelse(met, 0, 1 << bit)

    exclusion_bits = zero
    exclude_mask = review_mask = 0
    for bit, name, action in r.exclusions:
        hit = ibis.coalesce(joined[f"x_{name}"], 0) == 1
        exclusion_bits = exclusion_bits + ibis.ifelse(hit, 1 << bit, 0)
        if action == "exclude":
            exclude_mask |= 1 << bit
        else:
            review_mask |= 1 << bit

    deprivation_bits = zero
    points = zero
    for bit, _, weight, check in r.indicators:
        dep = holds(check)
        deprivation_bits = deprivation_bits + ibis.ifelse(dep, 1 << bit, 0)
        points = points + ibis.ifelse(dep, weight, 0)

    # Two steps: the per-household facts first, the decision from them after, so each fact is written
    # (and computed) once rather than inlined into every expression that uses it.
    facts = joined.select(
        household_id=hh["id"], size=size, has_income=has_income, net_fen=joined["i_net"],
        guarantee_failures=guarantee_bits, exclusions=exclusion_bits, deprivations=deprivation_bits,
        mpi_points=points)
    f = facts
    size, net_fen = f["size"], f["net_fen"]
    excluded = (f["exclusions"] & exclude_mask) != 0 if exclude_mask else ibis.literal(False)
    review = (f["exclusions"] & review_mask) != 0 if review_mask else ibis.literal(False)
    mpi_poor = (f["mpi_points"] >= r.k_points) if r.indicators else ibis.literal(False)
    assessable = f["has_income"] & (size > 0) if policy.income.per_capita else f["has_income"]
    per = size if policy.income.per_capita else ibis.literal(1, "int64")
    below_line = assessable & (net_fen < per * r.line_fen)
    below_monitoring = (assessable & (net_fen >= per * r.line_fen) & (net_fen < per * r.monitoring_fen)
                        if r.monitoring_fen is not None else ibis.literal(False))
    poor = ~excluded & (below_line | (f["guarantee_failures"] > 0) | mpi_poor)
    status = ibis.cases((poor, codes.POOR), (~excluded & below_monitoring, codes.MONITORED), else_=codes.NOT_POOR)
    reasons = (ibis.ifelse(below_line, codes.INCOME_BELOW_LINE, 0)
               + ibis.ifelse(below_monitoring, codes.INCOME_BELOW_MONITORING, 0)
               + ibis.ifelse(f["guarantee_failures"] > 0, codes.GUARANTEE_FAILED, 0)
               + ibis.ifelse(mpi_poor, codes.MPI_POOR, 0)
               + ibis.ifelse(excluded, codes.EXCLUDED, 0)
               + ibis.ifelse(review, codes.REVIEW, 0)
               + ibis.ifelse(f["has_income"], 0, codes.NO_INCOME_RECORD)
               + ibis.ifelse(size > 0, 0, codes.NO_MEMBERS))
    return facts.select(
        household_id=f["household_id"],
        size=size,
        net_fen=net_fen,
        status=status.cast("int64"),
        guarantee_failures=f["guarantee_failures"].cast("int64"),
        exclusions=f["exclusions"].cast("int64"),
        deprivations=f["deprivations"].cast("int64"),
        mpi_points=f["mpi_points"].cast("int64"),
        reasons=reasons.cast("int64"),
    )


#: The columns of `identify`'s result, in order.
RESULT_COLUMNS = ("household_id", "size", "net_fen", "status", "guarantee_failures", "exclusions",
                  "deprivations", "mpi_points", "reasons")
