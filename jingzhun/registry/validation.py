"""Validate a register file column by column, vectorised: every rule runs over whole Arrow columns.

Two techniques keep a 3.5 M-row file to seconds:
- Columns with few distinct values (codes, dates, small integers) are dictionary-encoded; each
  distinct text is parsed once by the scalar parser in `parsers`, and the result is broadcast to
  the rows by index. Those parsers are the one definition of each rule.
- Columns with many distinct values (amounts, names) are checked with Arrow compute kernels.
Rules between rows (one head per household, the head's row holds the household, no person twice)
use numpy over integer group indices.

The result is the parsed table (typed, codes instead of labels) and every broken rule as an error
(row, column, value, rule); resident IDs are only ever shown masked.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun import choices as c
from jingzhun.crypto import INDEX_BYTES
from jingzhun.identity import RULES as ID_RULES
from jingzhun.identity import mask, validate_array
from jingzhun.registry import template
from jingzhun.registry.template import Column
from jingzhun.tabular import parse

REQUIRED = "必填 / required"
# Text read again by the rules between rows, after the columns are checked.
LATER = {"resident_id", "household_number", "exit_year", "status_reason", "disability_grade"}
HEAD_MISMATCH = "与户主行的值不一致（户信息以户主行为准）/ differs from the head's row of this household"
DECIMAL_PATTERN = r"^-?[0-9]{1,11}(\.[0-9]{1,2})?$"
INT_PATTERN = r"^-?[0-9]{1,9}$"
AMOUNT = pa.decimal128(14, 2)


Invalid = parse.Invalid  # a cell's text breaks a rule; the message is the rule (one type for every importer)


@dataclass
class Problems:
    """Broken rules, kept as row-index arrays until the report is built."""

    items: list[tuple[np.ndarray, str, list[str] | str, pa.Array | list[str] | None]] = field(default_factory=list)

    def add(self, rows: np.ndarray, key: str, rule: list[str] | str, values: pa.Array | list[str] | None = None) -> None:
        if len(rows):
            self.items.append((rows, key, rule, values))

    def pin(self, key: str, text: pa.Array) -> None:
        """Keep the cells the report will show for `key`'s problems, so its text column can go."""
        self.items = [(rows, k, rule, text.take(pa.array(rows)) if k == key and shown is None else shown)
                      for rows, k, rule, shown in self.items]

    def bad_rows(self, n: int) -> np.ndarray:
        bad = np.zeros(n, dtype=bool)
        for rows, *_ in self.items:
            bad[rows] = True
        return bad


# --- scalar parsers: one per kind, applied to each distinct text ------------------------------


def allowed_values(enum: c.Enum) -> str:
    if len(enum.values) > 20:
        return f"{len(enum.values)}个规定取值之一 / one of {len(enum.values)} listed values"
    return "可选 / allowed: " + "、".join(zh for _, zh, _ in enum.values)


def enum_parser(enum: c.Enum) -> Callable[[str], str]:
    table = enum.lookup()
    message = "不是有效取值 / not an allowed value; " + allowed_values(enum)

    def parse(text: str) -> str:
        try:
            return table[text]
        except KeyError:
            raise Invalid(message) from None

    return parse


def multi_parser(enum: c.Enum) -> Callable[[str], str]:
    table, order = enum.lookup(), {code: i for i, code in enumerate(enum.codes)}
    message = "含无效取值 / contains a value not allowed; " + allowed_values(enum)

    def parse(text: str) -> str:
        for sep in template.MULTI_SEPARATORS[1:]:
            text = text.replace(sep, template.MULTI_SEPARATORS[0])
        parts = {p.strip() for p in text.split(template.MULTI_SEPARATORS[0])} - {""}
        try:
            codes = {table[p] for p in parts}
        except KeyError:
            raise Invalid(message) from None
        return ",".join(sorted(codes, key=order.__getitem__))

    return parse


def int_parser(col: Column) -> Callable[[str], int]:
    low = None if col.low is None else int(col.low)
    high = None if col.high is None else int(col.high)

    def parse_one(text: str) -> int:
        return parse.parse_int(text, low, high)

    return parse_one


parse_date = parse.parse_date


def village_parser(villages: set[str]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in villages:
            raise Invalid("不是已登记的村代码（或不在您的管辖范围内）/ not a registered village code in your area")
        return text

    return parse


def coded(arr: pa.Array) -> pa.DictionaryArray:
    """A text column as codes into its distinct texts, each trimmed of surrounding spaces and
    listed once. Columns of codes, dates and small numbers have a few thousand distinct texts at
    most: trimming those, not millions of cells, is what makes them cheap."""
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    encoded = arr if pa.types.is_dictionary(arr.type) else pc.dictionary_encode(arr)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    trimmed = pc.dictionary_encode(pc.utf8_trim_whitespace(encoded.dictionary.cast(pa.string())))
    remap = trimmed.indices.to_numpy(zero_copy_only=False)
    if not np.array_equal(remap, np.arange(len(remap))):
        indices = remap[indices]  # " 是" and "是" were two texts and are one now
    narrow = np.int8 if len(remap) <= 127 else np.int16 if len(remap) <= 32767 else np.int32
    return pa.DictionaryArray.from_arrays(pa.array(indices.astype(narrow, copy=False)), trimmed.dictionary)


def trimmed(arr: pa.Array) -> pa.Array:
    """A text column without surrounding spaces, empty where null."""
    return pc.utf8_trim_whitespace(pc.fill_null(arr.cast(pa.string()), ""))


def empty_cells(arr: pa.Array) -> np.ndarray:
    """Which cells are empty, from the offsets (or the codes) alone: no pass over the text."""
    if pa.types.is_dictionary(arr.type):
        empty = pc.equal(arr.dictionary, "").to_numpy(zero_copy_only=False)
        if not empty.any():
            return np.zeros(len(arr), dtype=bool)
        return empty[arr.indices.to_numpy(zero_copy_only=False)]
    if pa.types.is_string(arr.type) and not arr.null_count:
        offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
        return np.diff(offsets) == 0
    return pc.fill_null(pc.equal(arr, ""), True).to_numpy(zero_copy_only=False)


def is_code(arr: pa.DictionaryArray, code: str) -> np.ndarray:
    """Which rows of a parsed coded column hold `code` (False where empty or invalid)."""
    match = pc.fill_null(pc.equal(arr.dictionary, code), False).to_numpy(zero_copy_only=False)
    return match[arr.indices.to_numpy(zero_copy_only=False)]


def by_distinct(arr: pa.DictionaryArray, parse: Callable[[str], Any], value_type: pa.DataType) -> tuple[pa.Array, np.ndarray, list[str]]:
    """Parse each distinct text (of a `coded` column) once. Returns row values (null where invalid
    or empty), a per-row rule number (0 = fine, k = rules[k-1]) and the rules."""
    values, codes, rules = [], [], []  # type: list[Any], list[int], list[str]
    for text in arr.dictionary.to_pylist():
        if text == "":
            values.append(None)
            codes.append(0)
            continue
        try:
            values.append(parse(text))
            codes.append(0)
        except Invalid as exc:
            values.append(None)
            if str(exc) not in rules:
                rules.append(str(exc))
            codes.append(rules.index(str(exc)) + 1)
    distinct = pa.array(values, type=value_type)
    # Nearly always every text is fine: then no per-row rule numbers to spread.
    per_row = (np.asarray(codes, dtype=np.int16)[arr.indices.to_numpy(zero_copy_only=False)] if rules
               else np.zeros(0, dtype=np.int16))
    if pa.types.is_string(value_type):
        # Codes stay dictionary-encoded: 1–4 bytes a row instead of a string each, which at millions
        # of rows and dozens of coded columns is the difference of a gigabyte.
        return pa.DictionaryArray.from_arrays(arr.indices, distinct), per_row, rules
    return distinct.take(arr.indices), per_row, rules


# --- the file ---------------------------------------------------------------------------------


@dataclass
class Checked:
    n: int
    values: dict[str, Any]  # key → pa.Array (typed) per row
    problems: Problems
    household_index: np.ndarray  # per row: index into `households` (-1 when the number is empty)
    households: list[str]  # distinct household numbers
    head_row: np.ndarray  # per household: its head's row (-1 when none)
    position: np.ndarray  # per row: 1-based order within the household
    id_numbers: pa.Array  # normalised resident IDs (the text where invalid), strings
    id_index: pa.Array  # blind index (16-byte fixed-size binary), null where the ID is invalid
    id_fixed: np.ndarray  # (n, 18) uint8: each valid ID as bytes, zeros elsewhere (what the cipher takes)
    moves: dict[int, str]  # row → the household (in this file) the person is registered in now


def _arrow_type(col: Column) -> pa.DataType:
    return {"int": pa.int64(), "date": pa.date32()}.get(col.kind, pa.string())


CODED_KINDS = {"enum", "bool", "multi", "int", "date", "village"}  # few distinct texts: parsed once each


def check_columns(raw: dict[str, pa.Array], n: int, villages: set[str], problems: Problems) -> dict[str, Any]:
    """Every column's own rules. The cells arrive as typed; each column is trimmed here and put
    back into `raw` trimmed (coded columns as codes), for the rules between columns."""
    values: dict[str, Any] = {}

    def prepared(col: Column) -> pa.Array:
        arr = raw.get(col.key)
        if arr is None:
            arr = pa.nulls(n, pa.string())  # a column the file does not have: empty cells
        if col.kind in CODED_KINDS:
            return coded(arr)
        return arr if col.kind == "resident_id" else trimmed(arr)  # the IDs are trimmed by `check` already

    # Trimming and coding are Arrow kernels that let go of the GIL: two threads run them a few
    # columns ahead while this one applies the rules (Python, per distinct text) in column order.
    with ThreadPoolExecutor(2, thread_name_prefix="jingzhun-validate") as pool:
        for col, arr in zip(template.COLUMNS, pool.map(prepared, template.COLUMNS)):
            _check_column(col, arr, raw, villages, problems, values)
    return values


def _check_column(col: Column, arr: pa.Array, raw: dict[str, pa.Array], villages: set[str],
                  problems: Problems, values: dict[str, Any]) -> None:
    """One column's own rules; its parsed values go into `values`, its trimmed text back into `raw`."""
    if col.key in raw:
        raw[col.key] = arr
    empty = empty_cells(arr)
    if col.required and col.kind != "resident_id":
        problems.add(np.flatnonzero(empty), col.key, REQUIRED)
    if col.kind == "resident_id":
        return
    if col.kind == "text":
        if col.max_length:
            long = pc.greater(pc.utf8_length(arr), col.max_length).to_numpy(zero_copy_only=False)
            problems.add(np.flatnonzero(long), col.key, f"超过{col.max_length}字 / longer than {col.max_length} characters")
        values[col.key] = arr
        return
    if col.kind == "decimal":
        values[col.key] = _decimals(arr, empty, col, problems)
        return
    parser: Callable[[str], Any]
    if col.kind in ("enum", "bool"):
        assert col.enum is not None
        parser = enum_parser(col.enum)
    elif col.kind == "multi":
        assert col.enum is not None
        parser = multi_parser(col.enum)
    elif col.kind == "int":
        parser = int_parser(col)
    elif col.kind == "date":
        parser = parse_date
    elif col.kind == "village":
        parser = village_parser(villages)
    else:
        raise ValueError(col.kind)
    parsed, codes, rules = by_distinct(arr, parser, _arrow_type(col))
    for k, rule in enumerate(rules, start=1):
        problems.add(np.flatnonzero(codes == k), col.key, rule)
    if col.default is not None:
        parsed = pc.if_else(pa.array(empty), pa.scalar(int(col.default), pa.int64()), parsed)
    if col.kind == "multi":
        parsed = pc.if_else(pa.array(empty), pa.scalar(""), parsed)  # none given: an empty list, not unknown
    values[col.key] = parsed


def _decimals(arr: pa.Array, empty: np.ndarray, col: Column, problems: Problems) -> pa.Array:
    """Amounts, checked on the filled cells only (household columns are empty on members' rows) and
    once per distinct text (a column of a million amounts has tens of thousands of distinct ones).
    Empty is 0, invalid is null; dictionary-encoded, because a 16-byte decimal on every row of ten
    such columns is half a gigabyte at a million households, and 4 bytes a row is not."""
    filled = np.flatnonzero(~empty)
    encoded = pc.dictionary_encode(arr.take(pa.array(filled)))
    texts, at = encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False)
    ok = pc.match_substring_regex(texts, DECIMAL_PATTERN).to_numpy(zero_copy_only=False)
    problems.add(filled[~ok[at]], col.key, "应为数字，最多两位小数 / a number with at most 2 decimals")
    number = pc.cast(pc.if_else(pa.array(ok), texts, pa.scalar("0")), AMOUNT)
    if col.low is not None and col.high is not None:
        low, high = Decimal(col.low), Decimal(col.high)
        out = pc.or_(pc.less(number, pa.scalar(low, AMOUNT)),
                     pc.greater(number, pa.scalar(high, AMOUNT))).to_numpy(zero_copy_only=False)
        problems.add(filled[(out & ok)[at]], col.key, f"应在 {col.low}–{col.high} 之间 / must be between {col.low} and {col.high}")
    # Per distinct text its amount (null where invalid), then one more entry, 0, for the empty cells.
    dictionary = pa.concat_arrays([pc.if_else(pa.array(ok), number, pa.scalar(None, AMOUNT)),
                                   pa.array([Decimal(0)], AMOUNT)])
    indices = np.full(len(arr), len(texts), dtype=np.int32)
    indices[filled] = at
    return pa.DictionaryArray.from_arrays(pa.array(indices), dictionary)


def check(raw: dict[str, pa.Array], row_no: np.ndarray, villages: set[str],
          index_of: Callable[[np.ndarray], Callable[[], pa.Array]],
          registered: Callable[[pa.Array], dict[bytes, tuple[str, bool]]],
          stored_outside: Callable[[list[str]], set[str]] = lambda numbers: set()) -> Checked:
    """All rules over the file. `row_no` is each row's number as the officer sees it; `index_of`
    starts computing the blind indexes of the valid resident IDs (given as a (k, 18) uint8 array)
    and returns a function that waits for them (16-byte fixed-size binary); `registered` says which
    of them already belong to a household in the database (index → (household number, whether that
    household is in the importer's areas)); `stored_outside` says which of the file's household numbers
    are registered now in a village outside the importer's areas (the area rule: a row may update only
    a household that is now in the importer's areas)."""
    n = len(row_no)
    problems = Problems()
    # Resident IDs first (the vectorised GB 11643 check), so that their blind indexes are computed
    # in other processes while this one checks the other columns.
    numbers, valid_id, id_fixed = _resident_ids(raw, problems)
    valid_rows = np.flatnonzero(valid_id)
    pending_index = index_of(id_fixed[valid_rows])
    values = check_columns(raw, n, villages, problems)
    _agree_with_ids(values, id_fixed, valid_id, problems)
    group = _households(raw, values, n, stored_outside, problems)
    # Member columns are parsed and checked (text columns are their own values): only the household
    # columns and the ones the rules below look at are read again.
    _release(raw, [c.key for c in template.COLUMNS if c.level == "member" and c.kind != "text"
                   and c.key not in LATER], problems)
    income_given = _household_cells_on_other_rows(raw, group, n, problems)
    _cross_rules(raw, values, group.is_head, problems)
    # An empty income year leaves the stored income as it is (an export holds households without an income
    # record of its year that way); amounts without a year would be silently dropped, so they are refused.
    problems.add(np.flatnonzero(group.is_head & income_given
                                & ~values["income_year"].is_valid().to_numpy(zero_copy_only=False)
                                & ~problems_at(problems, "income_year", n)),
                 "income_year", "填写收入时必填 / required when any income amount is given")
    idx = pending_index()  # in valid_rows' order
    id_index = _spread(idx, valid_id)
    moves = _people(idx, valid_rows, numbers, group, row_no, registered, problems)
    _release(raw, list(raw), problems)
    return Checked(n, values, problems, group.hh, group.households, group.head_row, group.position, numbers,
                   id_index, id_fixed, moves)


def _resident_ids(raw: dict[str, pa.Array], problems: Problems) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """The IDs' own rules: (normalised numbers, which rows hold a valid one, the valid ones as bytes)."""
    raw["resident_id"] = trimmed(raw["resident_id"])
    numbers, id_errors, id_fixed = validate_array(raw["resident_id"])
    empty_id = empty_cells(raw["resident_id"])
    problems.add(np.flatnonzero(empty_id), "resident_id", REQUIRED)
    for k, rule in enumerate(ID_RULES, start=1):
        rows = np.flatnonzero((id_errors == k) & ~empty_id)
        problems.add(rows, "resident_id", rule, _masked(numbers, rows))
    return numbers, id_errors == 0, id_fixed


def _agree_with_ids(values: dict[str, Any], id_fixed: np.ndarray, valid_id: np.ndarray, problems: Problems) -> None:
    """Sex and birth date must agree with the ID (17th digit; digits 7–14), compared on the IDs' bytes (an
    odd 17th digit is male)."""
    id_male = id_fixed[:, 16] % 2 == 1
    wrong_sex = (is_code(values["sex"], "male") & ~id_male) | (is_code(values["sex"], "female") & id_male)
    problems.add(np.flatnonzero(valid_id & wrong_sex), "sex", "与证件号码第17位不符 / does not agree with the 17th digit of the ID")
    born = values["birth_date"]
    wrong_birth = born.is_valid().to_numpy(zero_copy_only=False) & (
        pc.fill_null(born.cast(pa.int32()), 0).to_numpy(zero_copy_only=False) != _id_birth_days(id_fixed))
    problems.add(np.flatnonzero(valid_id & wrong_birth), "birth_date",
                 "与证件号码中的出生日期不符 / does not agree with the birth date in the ID")


@dataclass
class Households:
    """The rows grouped by household number."""

    households: list[str]  # distinct numbers
    hh: np.ndarray  # per row: index into `households` (-1 when the number is empty)
    has_number: np.ndarray
    is_head: np.ndarray
    head_row: np.ndarray  # per household: its head's row (-1 when none)
    position: np.ndarray  # per row: 1-based order within the household


def _households(raw: dict[str, pa.Array], values: dict[str, Any], n: int,
                stored_outside: Callable[[list[str]], set[str]], problems: Problems) -> Households:
    """Group rows by number; exactly one head; the head's row holds the household. The number's format and
    the area rule (a household registered now outside the importer's areas is refused) are checked here."""
    encoded = pc.dictionary_encode(raw["household_number"])
    households: list[str] = encoded.dictionary.to_pylist()
    hh = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    has_number = np.array([h != "" for h in households], dtype=bool)[hh]
    hh = np.where(has_number, hh, -1)
    is_head = is_code(values["relation"], "head") & has_number
    household_keys_on_head_only(problems, is_head)
    n_households = len(households)
    _household_number_rules(households, hh, problems)
    elsewhere_now = stored_outside([h for h in households if h])
    if elsewhere_now:
        outside = np.array([h in elsewhere_now for h in households], dtype=bool)
        problems.add(np.flatnonzero(has_number & outside[np.maximum(hh, 0)]), "household_number", OUTSIDE_HOUSEHOLD)
    heads = np.bincount(hh[is_head], minlength=n_households)
    head_row = np.full(n_households, -1, dtype=np.int64)
    head_rows = np.flatnonzero(is_head)
    head_row[hh[head_rows[::-1]]] = head_rows[::-1]  # the first head's row wins
    order = np.argsort(hh, kind="stable")  # rows come grouped by household: nearly linear
    first_of = np.ones(n, dtype=bool)
    first_of[order[1:]] = hh[order[1:]] != hh[order[:-1]]
    starts = np.maximum.accumulate(np.where(first_of[order], np.arange(n), 0))
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n) - starts + 1
    wrong_heads = np.flatnonzero(first_of & has_number & (heads[np.maximum(hh, 0)] != 1))
    problems.add(wrong_heads, "relation",
                 [f"每户须有且仅有一名户主（本户 {heads[hh[i]]} 名）/ a household needs exactly one head (found {heads[hh[i]]})"
                  for i in wrong_heads])
    return Households(households, hh, has_number, is_head, head_row, position)


def _household_cells_on_other_rows(raw: dict[str, pa.Array], group: Households, n: int,
                                   problems: Problems) -> np.ndarray:
    """Household cells on other rows: empty, or exactly the head's. Returns which rows fill an income amount."""
    hh, head_row, is_head = group.hh, group.head_row, group.is_head
    has_head = group.has_number & (head_row[np.maximum(hh, 0)] >= 0)
    head_of = np.where(has_head, head_row[np.maximum(hh, 0)], np.arange(n))
    income_given = np.zeros(n, dtype=bool)
    for key in template.HOUSEHOLD_KEYS:
        if key == "household_number":
            continue
        arr = raw.get(key)
        if arr is None:
            continue
        if template.BY_KEY[key].level == "income" and key != "income_year":
            income_given |= ~empty_cells(arr)
        # Only filled cells on members' rows can differ (usually none): compare just those.
        rows = np.flatnonzero(~empty_cells(arr) & ~is_head & has_head)
        if pa.types.is_dictionary(arr.type):  # trimmed codes, each text once: compare the codes
            codes = arr.indices.to_numpy(zero_copy_only=False)
            differs = codes[rows] != codes[head_of[rows]]
        else:
            differs = pc.not_equal(arr.take(pa.array(rows)), arr.take(pa.array(head_of[rows]))).to_numpy(zero_copy_only=False)
        problems.add(rows[differs], key, HEAD_MISMATCH)
        if key not in LATER:
            _release(raw, [key], problems)
    return income_given


def _people(idx: pa.Array, valid_rows: np.ndarray, numbers: pa.Array, group: Households, row_no: np.ndarray,
            registered: Callable[[pa.Array], dict[bytes, tuple[str, bool]]], problems: Problems) -> dict[int, str]:
    """The same person twice in the file, or already in another household of the database. Returns the
    moves: row → the household (in this file) the person is registered in now."""
    moves: dict[int, str] = {}
    if not len(valid_rows):
        return moves
    enc = pc.dictionary_encode(idx)
    codes = enc.indices.to_numpy(zero_copy_only=False)
    _, first = np.unique(codes, return_index=True)
    first_row = valid_rows[first][codes]
    dup = valid_rows[first_row != valid_rows]
    problems.add(dup, "resident_id",
                 [f"证件号码与第 {row_no[first_row[k]]} 行重复 / the same ID is already on row {row_no[first_row[k]]}"
                  for k in np.flatnonzero(first_row != valid_rows)], _masked(numbers, dup))
    found = registered(idx)
    # Only rows whose person is already registered somewhere need a closer look.
    hit = pc.is_in(idx, pa.array(list(found), idx.type)).to_numpy(zero_copy_only=False)
    known = valid_rows[hit]
    households, hh = group.households, group.hh
    in_file = set(households)
    clash, rules = [], []
    for i, index in zip(known.tolist(), idx.filter(pa.array(hit)).to_pylist()):
        elsewhere, visible = found[index]
        if elsewhere == households[hh[i]]:
            continue
        if not visible:
            # Never name a household the importer may not see: the message would be an oracle.
            clash.append(i)
            rules.append(OUTSIDE_PERSON)
            continue
        moves[i] = elsewhere
        if elsewhere not in in_file:
            clash.append(i)
            rules.append(f"此人已在户 {elsewhere} 登记 / already registered in household {elsewhere}")
    clash_rows = np.asarray(clash, dtype=np.int64)
    problems.add(clash_rows, "resident_id", rules, _masked(numbers, clash_rows))
    return moves


def _release(raw: dict[str, pa.Array], keys: Any, problems: Problems) -> None:
    """Let go of these text columns (the report keeps the cells it shows): at a million households
    the file's text is the largest thing validation holds."""
    for key in list(keys):
        text = raw.pop(key, None)
        if text is not None:
            problems.pin(key, text)


def _id_birth_days(id_fixed: np.ndarray) -> np.ndarray:
    """The birth date in each ID (digits 7–14) as days since 1970-01-01, the way Arrow stores a date
    (H. Hinnant's days_from_civil, in integers for the whole column)."""
    d = id_fixed[:, 6:14].astype(np.int64) - ord("0")
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month = d[:, 4] * 10 + d[:, 5]
    day = d[:, 6] * 10 + d[:, 7]
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + np.where(month > 2, -3, 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


OUTSIDE_HOUSEHOLD = ("此户编号已登记在您的管辖范围以外，不能在此导入或迁入 / this household number is registered outside "
                     "your areas: it cannot be imported or moved here")
OUTSIDE_PERSON = "此人已在您管辖范围以外的户登记 / this person is registered in a household outside your areas"
# The documented format of 户编号 (docs/template.md): letters, digits, "-" and "_". Anything else — "/", "?",
# spaces, control characters — would break the links and files that carry the number.
HOUSEHOLD_NUMBER_PATTERN = r"^[0-9A-Za-z_-]+$"
HOUSEHOLD_NUMBER_RULE = ("户编号只能由字母、数字、“-”和“_”组成 / a household number may hold only letters, digits, "
                         "'-' and '_'")


def _household_number_rules(households: list[str], hh: np.ndarray, problems: Problems) -> None:
    """Every row of a household whose number breaks the documented format."""
    if not households:
        return
    ok = pc.match_substring_regex(pa.array(households, pa.string()), HOUSEHOLD_NUMBER_PATTERN)
    bad = ~ok.to_numpy(zero_copy_only=False) & np.array([h != "" for h in households], dtype=bool)
    if bad.any():
        problems.add(np.flatnonzero((hh >= 0) & bad[np.maximum(hh, 0)]), "household_number", HOUSEHOLD_NUMBER_RULE)


def _masked(numbers: pa.Array, rows: np.ndarray) -> list[str]:
    return [mask(v) for v in numbers.take(pa.array(rows, pa.int64())).to_pylist()] if len(rows) else []


def _spread(index: pa.Array, valid: np.ndarray) -> pa.Array:
    """The valid rows' blind indexes as one value per row of the file, null where the ID is invalid."""
    out = np.zeros((len(valid), INDEX_BYTES), dtype=np.uint8)
    if len(index):
        data = np.frombuffer(index.buffers()[1], dtype=np.uint8)
        out[valid] = data[index.offset * INDEX_BYTES : (index.offset + len(index)) * INDEX_BYTES].reshape(-1, INDEX_BYTES)
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(INDEX_BYTES), len(valid),
                                                [pa.array(valid).buffers()[1], pa.py_buffer(out)])


def problems_at(problems: Problems, key: str, n: int) -> np.ndarray:
    """Rows that already have a problem in column `key` (an invalid year is not also "missing")."""
    found = np.zeros(n, dtype=bool)
    for rows, k, _rule, _shown in problems.items:
        if k == key:
            found[rows] = True
    return found


def _cross_rules(raw: dict[str, pa.Array], values: dict[str, Any], is_head: np.ndarray, problems: Problems) -> None:
    def where(condition: Any) -> np.ndarray:
        return np.flatnonzero(pc.fill_null(condition, False).to_numpy(zero_copy_only=False))

    def empty(key: str) -> Any:
        # "Required when …" is about a blank cell; a filled but invalid one already has its own error.
        return pa.array(empty_cells(raw[key]) if key in raw else np.ones(len(is_head), dtype=bool))

    head = pa.array(is_head)
    status = values["status"]
    problems.add(where(pc.and_(head, pc.and_(pc.equal(status, "exited"), empty("exit_year")))),
                 "exit_year", "户状态为已脱贫时必填 / required when the status is exited")
    problems.add(where(pc.and_(head, pc.and_(pc.is_in(status, pa.array(["removed", "returned"])),
                                             pc.equal(values["status_reason"], "")))),
                 "status_reason", "户状态为已清退或返贫时必填 / required when the status is removed or returned")
    disabled = pc.fill_null(pc.equal(values["health"], "disabled"), False)
    problems.add(where(pc.and_(disabled, empty("disability_grade"))), "disability_grade",
                 "健康状况为残疾时必填 / required when the health status is disability")
    problems.add(where(pc.and_(pc.invert(disabled), pc.invert(empty("disability_grade")))), "disability_grade",
                 "仅残疾人填写 / only for a person with a disability")


def household_keys_on_head_only(problems: Problems, is_head: np.ndarray) -> None:
    """Errors in household columns count only on the head's row (other rows may leave them empty)."""
    household = set(template.HOUSEHOLD_KEYS) - {"household_number"}
    kept = []
    for rows, key, rule, shown in problems.items:
        if key in household:
            keep = is_head[rows] | (rule == HEAD_MISMATCH)
            if not keep.all():
                rows = rows[keep]
                rule = [r for r, k in zip(rule, keep) if k] if isinstance(rule, list) else rule
                if isinstance(shown, list):
                    shown = [s for s, k in zip(shown, keep) if k]
                elif shown is not None:
                    shown = shown.filter(pa.array(keep))
        if len(rows):
            kept.append((rows, key, rule, shown))
    problems.items = kept
