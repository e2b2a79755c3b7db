"""Validate a raw register file in DuckDB, set-based: every rule is one SQL predicate over all rows.

Each column of the template becomes a parse expression (text → typed value or NULL) and a list of
(predicate, rule) pairs. Every failing cell becomes one error row: (row, column, value, rule), so
the officer sees every problem at once, not the first. Resident IDs are checked by
`jingzhun.identity.validate_many` before they reach DuckDB and appear in reports only masked.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from jingzhun import choices as c
from jingzhun.identity import RULES as ID_RULES
from jingzhun.registry import template
from jingzhun.registry.template import Column

REQUIRED = "必填 / required"
HEAD_MISMATCH = "与户主行的值不一致（户信息以户主行为准）/ differs from the head's row of this household"


@dataclass(frozen=True)
class Rule:
    column: str  # template key; its header is shown
    predicate: str  # SQL over the wide table `w`, true when the rule is broken
    message: str  # literal text, or an SQL expression when message_is_sql
    value: str | None = None  # SQL for the value shown; default the raw cell
    message_is_sql: bool = False


def q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def raw(key: str) -> str:
    """The trimmed cell as typed, in the wide table `w`."""
    return f'"r_{key}"'


def enum_case(expr: str, enum: c.Enum) -> str:
    whens = " ".join(f"WHEN {q(k)} THEN {q(v)}" for k, v in enum.lookup().items())
    return f"(CASE {expr} {whens} END)"


def parse_expr(col: Column) -> str:
    x = f'r."r_{col.key}"'
    if col.kind in ("text", "village"):
        return x
    if col.kind == "int":
        empty = f"WHEN {x} = '' THEN {col.default} " if col.default is not None else ""
        return f"(CASE {empty}WHEN regexp_full_match({x}, '-?[0-9]{{1,9}}') THEN CAST({x} AS BIGINT) END)"
    if col.kind == "decimal":
        parsed = f"CAST({x} AS DECIMAL(14,2))"
        default = "0" if not col.required else "NULL"
        return (
            f"(CASE WHEN {x} = '' THEN CAST({default} AS DECIMAL(14,2)) "
            f"WHEN regexp_full_match({x}, '-?[0-9]{{1,11}}(\\.[0-9]{{1,2}})?') THEN {parsed} END)"
        )
    if col.kind == "date":
        return f"COALESCE(try_strptime({x}, '%Y-%m-%d'), try_strptime({x}, '%Y/%m/%d'))::DATE"
    if col.kind in ("enum", "bool"):
        assert col.enum is not None
        return enum_case(x, col.enum)
    if col.kind == "multi":
        assert col.enum is not None
        order = {code: i for i, code in enumerate(col.enum.codes)}
        ranked = c.Enum(col.enum.name, tuple((f"{order[code]:02d}{code}", zh, en) for code, zh, en in col.enum.values))
        parts = f"list_filter(list_transform(regexp_split_to_array({x}, '[{template.MULTI_SEPARATORS}]'), s -> trim(s)), s -> s <> '')"
        mapped = f"list_transform({parts}, s -> {enum_case('s', ranked)})"
        return (
            f"(CASE WHEN list_contains({mapped}, NULL) THEN NULL "
            f"ELSE array_to_string(list_transform(list_sort(list_distinct({mapped})), s -> s[3:]), ',') END)"
        )
    if col.kind == "resident_id":
        return "ids.rid"
    raise ValueError(col.kind)


def allowed_values(enum: c.Enum) -> str:
    if len(enum.values) > 20:
        return f"{len(enum.values)}个规定取值之一 / one of {len(enum.values)} listed values"
    return "可选 / allowed: " + "、".join(zh for _, zh, _ in enum.values)


def column_rules(col: Column) -> list[Rule]:
    x, v = raw(col.key), f'"{col.key}"'
    rules: list[Rule] = []
    if col.required:
        rules.append(Rule(col.key, f"{x} = ''", REQUIRED))
    if col.kind == "text" and col.max_length:
        rules.append(Rule(col.key, f"length({x}) > {col.max_length}", f"超过{col.max_length}字 / longer than {col.max_length} characters"))
    if col.kind == "int":
        rules.append(Rule(col.key, f"{x} <> '' AND {v} IS NULL", "应为整数 / must be a whole number"))
    if col.kind == "decimal":
        rules.append(Rule(col.key, f"{x} <> '' AND {v} IS NULL", "应为数字，最多两位小数 / a number with at most 2 decimals"))
    if col.kind in ("int", "decimal") and col.low is not None and col.high is not None:
        rules.append(Rule(col.key, f"{v} IS NOT NULL AND ({v} < {col.low} OR {v} > {col.high})",
                          f"应在 {col.low}–{col.high} 之间 / must be between {col.low} and {col.high}"))
    if col.kind == "date":
        rules.append(Rule(col.key, f"{x} <> '' AND {v} IS NULL", "应为日期 YYYY-MM-DD / must be a date as YYYY-MM-DD"))
    if col.kind in ("enum", "bool") and col.enum is not None:
        rules.append(Rule(col.key, f"{x} <> '' AND {v} IS NULL", "不是有效取值 / not an allowed value; " + allowed_values(col.enum)))
    if col.kind == "multi" and col.enum is not None:
        rules.append(Rule(col.key, f"{x} <> '' AND {v} IS NULL", "含无效取值 / contains a value not allowed; " + allowed_values(col.enum)))
    if col.kind == "village":
        rules.append(Rule(col.key, f"{x} <> '' AND {x} NOT IN (SELECT code FROM villages)",
                          "不是已登记的村代码（或不在您的管辖范围内）/ not a registered village code in your area"))
    if col.kind == "resident_id":
        cases = " ".join(f"WHEN {i + 1} THEN {q(rule)}" for i, rule in enumerate(ID_RULES))
        rules.append(Rule(col.key, f"{x} <> '' AND rid_error > 0", f"CASE rid_error {cases} END",
                          value="masked", message_is_sql=True))
    return rules


def cross_rules() -> list[Rule]:
    """Rules between columns and rows. `is_head` marks the head's row."""
    return [
        Rule("exit_year", "is_head AND status = 'exited' AND exit_year IS NULL",
             "户状态为已脱贫时必填 / required when the status is exited"),
        Rule("status_reason", "is_head AND status IN ('removed', 'returned') AND status_reason = ''",
             "户状态为已清退或返贫时必填 / required when the status is removed or returned"),
        Rule("disability_grade", "health = 'disabled' AND disability_grade IS NULL",
             "健康状况为残疾时必填 / required when the health status is disability"),
        Rule("disability_grade", "health IS NOT NULL AND health <> 'disabled' AND disability_grade IS NOT NULL",
             "仅残疾人填写 / only for a person with a disability"),
        Rule("sex", "rid_error = 0 AND sex IS NOT NULL AND sex <> id_sex",
             "与证件号码第17位不符 / does not agree with the 17th digit of the ID"),
        Rule("birth_date", "rid_error = 0 AND birth_date IS NOT NULL AND birth_date <> id_birth",
             "与证件号码中的出生日期不符 / does not agree with the birth date in the ID"),
        Rule("relation", "heads <> 1 AND first_of_household AND household_number <> ''",
             "'每户须有且仅有一名户主（本户 ' || heads || ' 名）/ a household needs exactly one head (found ' || heads || ')'",
             message_is_sql=True),
        Rule("resident_id", "rid_error = 0 AND first_row < _row",
             "'证件号码与第 ' || first_row || ' 行重复 / the same ID is already on row ' || first_row",
             value="masked", message_is_sql=True),
        Rule("resident_id", "rid_error = 0 AND registered_in IS NOT NULL AND registered_in <> household_number "
             "AND registered_in NOT IN (SELECT household_number FROM file_households)",
             "'此人已在户 ' || registered_in || ' 登记 / already registered in household ' || registered_in",
             value="masked", message_is_sql=True),
    ]


def build(con: duckdb.DuckDBPyConnection) -> None:
    """From `r` (raw cells), `ids` (checked resident IDs) and `villages`, create `v` (parsed rows,
    one per file row) and `errors` (one per broken rule and cell)."""
    household_keys = set(template.HOUSEHOLD_KEYS)
    parsed = ", ".join(f'{parse_expr(col)} AS "{col.key}"' for col in template.COLUMNS if col.key != "resident_id")
    con.execute(f"""
        CREATE TEMP TABLE v0 AS
        SELECT r._row, {parsed} FROM r
    """)
    con.execute("""
        CREATE TEMP TABLE v AS
        SELECT v0.*, coalesce(relation = 'head', false) AS is_head,
               count(*) FILTER (WHERE relation = 'head') OVER w AS heads,
               _row = min(_row) OVER w AS first_of_household,
               row_number() OVER (PARTITION BY household_number ORDER BY _row) AS position
        FROM v0 WINDOW w AS (PARTITION BY household_number)
    """)
    con.execute("DROP TABLE v0")
    con.execute("CREATE TEMP TABLE file_households AS SELECT DISTINCT household_number FROM v WHERE household_number <> ''")
    head_cols = ", ".join(f'r."r_{k}" AS "h_{k}"' for k in template.HOUSEHOLD_KEYS if k != "household_number")
    con.execute(f"""
        CREATE TEMP TABLE head_raw AS
        SELECT v.household_number, {head_cols}
        FROM v JOIN r USING (_row) WHERE v.is_head
        QUALIFY row_number() OVER (PARTITION BY v.household_number ORDER BY v._row) = 1
    """)
    raw_cols = ", ".join(f'r."r_{col.key}"' for col in template.COLUMNS)
    con.execute(f"""
        CREATE TEMP TABLE w AS
        SELECT v.*, {raw_cols}, ids.* EXCLUDE (_row), head_raw.* EXCLUDE (household_number)
        FROM v JOIN r USING (_row) JOIN ids USING (_row) LEFT JOIN head_raw USING (household_number)
    """)

    positions = {col.key: i for i, col in enumerate(template.COLUMNS)}
    checks: list[tuple[Column, Rule, str]] = []
    for col in template.COLUMNS:
        for rule in column_rules(col):
            # Household cells are read from the head's row; the household number is on every row.
            guard = "is_head AND " if col.key in household_keys and col.key != "household_number" else ""
            checks.append((col, rule, f"{guard}({rule.predicate})"))
    for rule in cross_rules():
        checks.append((template.BY_KEY[rule.column], rule, rule.predicate))
    # Household columns on the other rows: empty, or exactly the head's value.
    for key in template.HOUSEHOLD_KEYS:
        if key == "household_number":
            continue  # it is what joins a row to its head
        pred = f'NOT is_head AND {raw(key)} <> \'\' AND {raw(key)} IS DISTINCT FROM "h_{key}"'
        checks.append((template.BY_KEY[key], Rule(key, pred, HEAD_MISMATCH), pred))

    parts = []
    for col, rule, pred in checks:
        value = rule.value or raw(col.key)
        message = rule.message if rule.message_is_sql else q(rule.message)
        parts.append(
            f"SELECT _row AS row, {positions[col.key]} AS col_pos, {q(col.header)} AS column_name, "
            f"{value} AS value, {message} AS rule, household_number FROM w WHERE {pred}"
        )
    con.execute("CREATE TEMP TABLE errors AS " + " UNION ALL ".join(parts))
