"""Resident identity numbers (GB 11643-1999).

Every check character below is worked out by hand in the comment beside it, from the standard's
weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 and the table "remainder 0..10 → 1 0 X 9 8 7 6 5 4 3 2";
none is copied from the code's output.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from jingzhun.identity import (
    RULE_CHARS,
    RULE_CHECK,
    RULE_DATE,
    RULE_FUTURE,
    RULE_LENGTH,
    RULES,
    InvalidResidentID,
    check_char,
    mask,
    parse_resident_id,
    validate_many,
)

# GB 11643's own example (a woman born 1949-12-31 in 北京市朝阳区 110105):
#   digits   1  1  0  1  0  5  1  9  4  9  1  2  3  1  0  0  2
#   weights  7  9 10  5  8  4  2  1  6  3  7  9 10  5  8  4  2
#   products 7  9  0  5  0 20  2  9 24 27  7 18 30  5  0  0  4   sum = 167
#   167 = 15 × 11 + 2 → remainder 2 → check character X
STANDARD_X = "11010519491231002X"

# The standard's second example (a man born 1880-01-01 in 广东省揭阳市 440524):
#   digits   4  4  0  5  2  4  1  8  8  0  0  1  0  1  0  0  1
#   products 28 36  0 25 16 16  2  8 48  0  0  9  0  5  0  0  2   sum = 195
#   195 = 17 × 11 + 8 → remainder 8 → check character 4
STANDARD_DIGIT = "440524188001010014"

# 宁乡县 (430124) became 宁乡市 (430182) in 2017; cards issued before keep 430124 for life.
#   digits   4  3  0  1  2  4  1  9  8  5  0  6  1  5  0  0  3
#   products 28 27  0  5 16 16  2  9 48 15  0 54 10 25  0  0  6   sum = 261
#   261 = 23 × 11 + 8 → remainder 8 → check character 4
NINGXIANG = "430124198506150034"

TODAY = dt.date(2024, 6, 1)


def with_check(first17: str) -> str:
    """A number whose only possible failure is the rule under test (check character made right)."""
    return first17 + check_char(first17)


def rule_of(text: str, today: dt.date = TODAY) -> str:
    with pytest.raises(InvalidResidentID) as info:
        parse_resident_id(text, today=today)
    return str(info.value)


# --------------------------------------------------------------------------- check character


def test_check_char_of_standard_example_is_x():
    assert check_char(STANDARD_X[:17]) == "X"


def test_check_char_of_standard_example_with_digit_check():
    assert check_char(STANDARD_DIGIT[:17]) == "4"


def test_standard_example_parses_with_its_parts():
    rid = parse_resident_id(STANDARD_X, today=TODAY)
    assert rid.number == STANDARD_X
    assert rid.region_code == "110105"
    assert rid.birth_date == dt.date(1949, 12, 31)


def test_standard_digit_example_parses():
    rid = parse_resident_id(STANDARD_DIGIT, today=TODAY)
    assert rid.number == STANDARD_DIGIT
    assert rid.birth_date == dt.date(1880, 1, 1)


def test_wrong_check_digit_is_the_check_rule():
    # The true check character is 4 (worked above); 5 is wrong, and so is X.
    assert rule_of(STANDARD_DIGIT[:17] + "5") == RULE_CHECK
    assert rule_of(STANDARD_DIGIT[:17] + "X") == RULE_CHECK


# --------------------------------------------------------------------------- normalisation


def test_fifteen_digit_number_is_upgraded_with_19_and_a_check_character():
    # 110105 491231 002 → 110105 19 491231 002 + check; the first 17 are the standard example's → X
    rid = parse_resident_id("110105491231002", today=TODAY)
    assert rid.number == STANDARD_X
    assert rid.birth_date == dt.date(1949, 12, 31)


def test_lower_case_x_is_normalised_to_upper_case():
    assert parse_resident_id("11010519491231002x", today=TODAY).number == STANDARD_X


def test_surrounding_whitespace_is_trimmed():
    assert parse_resident_id(f"  {STANDARD_X}\t\n", today=TODAY).number == STANDARD_X


# --------------------------------------------------------------------------- sex and region


def test_even_17th_digit_is_female():
    # 17th digit of 11010519491231002X is 2
    assert parse_resident_id(STANDARD_X, today=TODAY).sex == "female"


def test_odd_17th_digit_is_male():
    # 17th digit of 440524188001010014 is 1
    assert parse_resident_id(STANDARD_DIGIT, today=TODAY).sex == "male"


def test_abolished_region_code_is_still_valid():
    rid = parse_resident_id(NINGXIANG, today=TODAY)
    assert rid.region_code == "430124"
    assert rid.birth_date == dt.date(1985, 6, 15)
    assert rid.sex == "male"  # 17th digit 3


# --------------------------------------------------------------------------- each failure rule


@pytest.mark.parametrize("text", ["", "1101051949123100", "1101051949123100200X", "11010519491231002X1", "1234567"])
def test_wrong_length_is_the_length_rule(text):
    assert rule_of(text) == RULE_LENGTH


@pytest.mark.parametrize("text", [
    "1101051949123A002X",  # a letter among the first 17
    "11010519491231002Y",  # last character neither digit nor X
    "110105 9491231002X",  # a space inside
])
def test_non_digits_are_the_characters_rule(text):
    assert rule_of(text) == RULE_CHARS


def test_trailing_space_does_not_count_towards_the_length():
    # "…002 " trims to 17 characters: a length failure, not a character one
    assert rule_of("11010519491231002 ") == RULE_LENGTH


def test_letter_in_fifteen_digit_number_is_the_characters_rule():
    assert rule_of("11010549123100A") == RULE_CHARS


def test_full_width_digits_are_the_characters_rule():
    # '１' (U+FF11) is a digit to str.isdigit but not an ASCII digit
    assert rule_of("１" + STANDARD_X[1:]) == RULE_CHARS


def test_x_inside_the_first_17_is_the_characters_rule():
    assert rule_of("1101051949123100XX") == RULE_CHARS


def test_february_29_of_common_year_is_the_date_rule():
    assert rule_of(with_check("11010520190229002")) == RULE_DATE


def test_february_29_of_2000_is_a_real_leap_day():
    # 2000 is divisible by 400: a leap year
    assert parse_resident_id(with_check("11010520000229002"), today=TODAY).birth_date == dt.date(2000, 2, 29)


def test_february_29_of_1900_is_the_date_rule():
    # 1900 is divisible by 100 but not by 400: not a leap year
    assert rule_of(with_check("11010519000229002")) == RULE_DATE


@pytest.mark.parametrize("date", ["19491301", "19490001", "19491232", "19490431", "19490100"])
def test_impossible_month_or_day_is_the_date_rule(date):
    assert rule_of(with_check(f"110105{date}002")) == RULE_DATE


def test_birth_after_today_is_the_future_rule():
    assert rule_of(with_check("11010520240602002"), today=dt.date(2024, 6, 1)) == RULE_FUTURE


def test_birth_on_today_is_valid():
    rid = parse_resident_id(with_check("11010520240601002"), today=dt.date(2024, 6, 1))
    assert rid.birth_date == dt.date(2024, 6, 1)


def test_each_message_is_one_of_the_named_rules():
    assert len(set(RULES)) == 5
    assert {RULE_LENGTH, RULE_CHARS, RULE_DATE, RULE_FUTURE, RULE_CHECK} == set(RULES)


def test_invalid_resident_id_is_a_value_error():
    with pytest.raises(ValueError):
        parse_resident_id("nonsense", today=TODAY)


# --------------------------------------------------------------------------- masking


def test_mask_shows_first_six_and_last_four():
    assert mask(STANDARD_X) == "110105********002X"


def test_mask_of_parsed_id():
    assert parse_resident_id(STANDARD_DIGIT, today=TODAY).masked == "440524********0014"


def test_mask_of_short_text_hides_everything():
    assert mask("1234567890") == "**********"


# --------------------------------------------------------------------------- validate_many


def test_validate_many_on_hand_examples():
    texts = [STANDARD_X, "110105491231002", "11010519491231002x", "123", STANDARD_DIGIT[:17] + "5",
             with_check("11010519000229002"), with_check("11010520240602002")]
    normal, errors = validate_many(texts, today=TODAY)
    assert normal[:3] == [STANDARD_X, STANDARD_X, STANDARD_X]
    assert errors.tolist() == [0, 0, 0, 1 + RULES.index(RULE_LENGTH), 1 + RULES.index(RULE_CHECK),
                               1 + RULES.index(RULE_DATE), 1 + RULES.index(RULE_FUTURE)]


def test_validate_many_in_slices_gives_the_same_answer(monkeypatch):
    import jingzhun.identity as identity

    texts = [STANDARD_X, "110105491231002", "11010519491231002x", "123", STANDARD_DIGIT[:17] + "5",
             with_check("11010519000229002"), with_check("11010520240602002")]
    monkeypatch.setattr(identity, "CHUNK", 2)  # slices of 2, 2, 2, 1
    normal, errors = validate_many(texts, today=TODAY)
    assert normal[:3] == [STANDARD_X, STANDARD_X, STANDARD_X]
    assert errors.tolist() == [0, 0, 0, 1 + RULES.index(RULE_LENGTH), 1 + RULES.index(RULE_CHECK),
                               1 + RULES.index(RULE_DATE), 1 + RULES.index(RULE_FUTURE)]


def test_validate_many_of_empty_column():
    normal, errors = validate_many([], today=TODAY)
    assert normal == [] and errors.tolist() == []


# Random strings, biased towards the interesting: near-valid numbers, legacy ones, noise.
digits = st.text(alphabet="0123456789", min_size=17, max_size=17)
dates = st.dates(min_value=dt.date(1840, 1, 1), max_value=dt.date(2030, 12, 31))


@st.composite
def near_valid(draw):
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    birth = draw(dates)
    seq = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    body = f"{region}{birth:%Y%m%d}{seq}"
    last = draw(st.sampled_from(["right", "wrong", "x"]))
    if last == "right":
        return body + check_char(body)
    if last == "x":
        return body + "x"
    return body + draw(st.sampled_from("0123456789X").filter(lambda c: c != check_char(body)))


@st.composite
def legacy(draw):
    birth = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)))
    region = draw(st.text(alphabet="0123456789", min_size=6, max_size=6))
    seq = draw(st.text(alphabet="0123456789", min_size=3, max_size=3))
    return f"{region}{birth:%y%m%d}{seq}"


@st.composite
def decorated(draw, inner):
    """Whitespace around, or a character swapped for a look-alike."""
    s = draw(inner)
    kind = draw(st.sampled_from(["plain", "space", "fullwidth", "inner space", "lower"]))
    if kind == "space":
        return draw(st.sampled_from([" ", "\t", "\u3000", "\n"])) + s + draw(st.sampled_from(["", " ", "\r\n"]))
    if kind == "fullwidth" and s:
        i = draw(st.integers(0, len(s) - 1))
        return s[:i] + draw(st.sampled_from("０１２３４５６７８９Ｘ")) + s[i + 1 :]
    if kind == "inner space" and s:
        i = draw(st.integers(0, len(s) - 1))
        return s[:i] + " " + s[i + 1 :]
    if kind == "lower":
        return s.lower()
    return s


candidates = decorated(st.one_of(
    near_valid(),
    legacy(),
    digits.map(lambda b: b + check_char(b)),
    st.text(alphabet="0123456789Xx", min_size=14, max_size=19),
    st.text(max_size=20),
))


@settings(max_examples=400, deadline=None)
@given(st.lists(candidates, min_size=1, max_size=12))
@example(["１１０１０５４９１２３１００２", "ß" + "1" * 16, "11010519491231002X", ""])
def test_validate_many_agrees_with_parse_resident_id(texts):
    normal, errors = validate_many(texts, today=TODAY)
    assert len(normal) == len(texts) == len(errors)
    for text, number, error in zip(texts, normal, errors.tolist()):
        try:
            rid = parse_resident_id(text, today=TODAY)
        except InvalidResidentID as exc:
            assert error == 1 + RULES.index(str(exc)), (text, str(exc))
        else:
            assert error == 0, text
            assert number == rid.number, text


@settings(max_examples=400, deadline=None)
@given(st.lists(candidates, min_size=1, max_size=12))
@example(["１１０１０５４９１２３１００２", "ß" + "1" * 16, "11010519491231002X", "", " 110105491231002 ",
          "1101051949123100-2", "11010519491231002ｘ"])
def test_validate_array_agrees_with_validate_many(texts):
    """The Arrow column path (no Python string per row) gives the same numbers, rules and bytes."""
    import numpy as np
    import pyarrow as pa

    from jingzhun.identity import validate_array

    normal, errors = validate_many(texts, today=TODAY)
    normal_a, errors_a, fixed = validate_array(pa.array(texts, pa.string()), today=TODAY)
    assert errors_a.tolist() == errors.tolist()
    assert normal_a.to_pylist() == normal
    for number, error, row in zip(normal, errors.tolist(), fixed):
        assert row.tobytes() == (number.encode("ascii") if error == 0 else bytes(18))
    assert fixed.dtype == np.uint8 and fixed.shape == (len(texts), 18)
