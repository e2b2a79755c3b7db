"""Resident identity numbers (居民身份证号码, GB 11643-1999).

An 18-character number: a 6-digit region code (GB/T 2260, the address at first registration), an
8-digit birth date, a 3-digit sequence whose last digit is odd for men and even for women, and an
ISO 7064 MOD 11-2 check character (0-9 or X). Numbers issued before 1999 had 15 digits (2-digit
year, no check character); they are upgraded by inserting "19" and computing the check character.

Region codes are deliberately not looked up: a code abolished since (宁乡县 430124, for example)
still appears on valid cards for life.

`parse_resident_id` is the one definition. `validate_many` is the same rules over a whole column,
vectorised with numpy for the bulk import; a property test holds the two to the same answers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # index = weighted sum mod 11
EARLIEST_BIRTH = dt.date(1850, 1, 1)


class InvalidResidentID(ValueError):
    """The text is not a valid resident ID; the message names the rule that failed."""


# Rule messages, shared by the scalar and the vectorised checks (and by the import report).
RULE_LENGTH = "居民身份证号码应为18位（或旧版15位）/ must be 18 characters (or a legacy 15-digit number)"
RULE_CHARS = "前17位应为数字，末位为数字或X / the first 17 must be digits and the last a digit or X"
RULE_DATE = "出生日期不是有效日期 / the birth date is not a real calendar date"
RULE_FUTURE = "出生日期晚于今天 / the birth date is in the future"
RULE_CHECK = "校验码错误 / the check character does not match (GB 11643 mod 11-2)"
RULES = (RULE_LENGTH, RULE_CHARS, RULE_DATE, RULE_FUTURE, RULE_CHECK)


@dataclass(frozen=True)
class ResidentID:
    number: str
    region_code: str
    birth_date: dt.date
    sex: str  # "male" or "female"

    @property
    def masked(self) -> str:
        return mask(self.number)


def check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def mask(number: str) -> str:
    """First 6 and last 4 visible, as the brief requires on screen and in notices."""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


# An ID-shaped run anywhere in a text: 15 or more digits (with a check character X), so the 18 characters of
# an ID, the 15 digits of an old one, and longer runs, which are IDs with a typo as often as not. Wider than a
# valid ID on purpose: an ID typed into the wrong column, or with a wrong check digit, is still someone's ID;
# a 12-digit area code stays as it is.
ID_LIKE = re.compile(r"(?<!\d)\d{15,}[Xx]?(?!\d)", re.ASCII)


def mask_id_like(text: str) -> str:
    """`text` with every ID-shaped run masked as `mask` does: for values shown in error lists and
    reports, whatever column they were typed into."""
    return ID_LIKE.sub(lambda m: mask(m.group(0)), text) if len(text) >= 15 else text


def parse_resident_id(text: str, *, today: dt.date | None = None) -> ResidentID:
    if not isinstance(text, str):
        raise InvalidResidentID(RULE_LENGTH)
    s = text.strip().upper()
    if len(s) == 15:
        if not s.isascii() or not s.isdigit():
            raise InvalidResidentID(RULE_CHARS)
        body = s[:6] + "19" + s[6:]
        s = body + check_char(body)
    elif len(s) != 18:
        raise InvalidResidentID(RULE_LENGTH)
    if not (s.isascii() and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X")):
        raise InvalidResidentID(RULE_CHARS)
    try:
        birth = dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        raise InvalidResidentID(RULE_DATE) from None
    if birth < EARLIEST_BIRTH:
        raise InvalidResidentID(RULE_DATE)
    if birth > (today or dt.date.today()):
        raise InvalidResidentID(RULE_FUTURE)
    if check_char(s[:17]) != s[17]:
        raise InvalidResidentID(RULE_CHECK)
    return ResidentID(
        number=s, region_code=s[:6], birth_date=birth, sex="male" if int(s[16]) % 2 else "female"
    )


def validate_many(texts: list[str], *, today: dt.date | None = None) -> tuple[list[str], np.ndarray]:
    """Normalise and check a column of IDs at once.

    Returns the normalised numbers (input text where invalid) and an int8 array: 0 when valid,
    otherwise 1 + the index of the failed rule in RULES, checked in the same order as
    `parse_resident_id`. Only the rare 15-digit and malformed entries take a Python path.
    Works in slices so the digit matrices stay small (a few hundred MB at once for millions).
    """
    normal: list[str] = []
    errors = []
    for start in range(0, len(texts), CHUNK):
        part, part_errors = _validate_chunk(texts[start : start + CHUNK], today)
        normal.extend(part)
        errors.append(part_errors)
    return normal, np.concatenate(errors) if errors else np.zeros(0, dtype=np.int8)


CHUNK = 200_000


def _validate_chunk(texts: list[str], today: dt.date | None) -> tuple[list[str], np.ndarray]:
    n = len(texts)
    errors = np.zeros(n, dtype=np.int8)
    normal = [t.strip().upper() if isinstance(t, str) else "" for t in texts]
    _normalise_odd(normal, errors, range(n))
    ok = errors == 0
    buf = np.zeros((n, 18), dtype=np.uint8)
    good = np.flatnonzero(ok)
    if len(good):
        buf[good] = np.array([normal[i] for i in good.tolist()], dtype="S18").view(np.uint8).reshape(-1, 18)
    _check_digits(buf, errors, today)
    return normal, errors


def _normalise_odd(normal: list[str], errors: np.ndarray, rows: Iterable[int], at: Sequence[int] | np.ndarray | None = None) -> None:
    """The Python path for what is not 18 ASCII characters: legacy 15-digit numbers are upgraded in
    `normal`, the rest get the length or characters rule. `at` maps positions in `normal` to rows
    of `errors` (the identity when None)."""
    for i in [i for i in rows if len(normal[i]) != 18 or not normal[i].isascii()]:
        s, row = normal[i], i if at is None else at[i]
        if len(s) == 15 and s.isascii() and s.isdigit():
            body = s[:6] + "19" + s[6:]
            normal[i] = body + check_char(body)
        elif len(s) in (15, 18):
            errors[row] = 2
        else:
            errors[row] = 1


def validate_array(ids: pa.Array, *, today: dt.date | None = None) -> tuple[pa.Array, np.ndarray, np.ndarray]:
    """`validate_many` over an Arrow column of text, without a Python string per row.

    Returns the normalised numbers (Arrow strings; the text where invalid), the rule numbers as
    `validate_many` gives them, and every valid-looking number as 18 bytes of an (n, 18) uint8 array
    (zeros elsewhere): the fixed-width form the blind index and the cipher take, so millions of IDs
    go from the parser to the cipher without a Python object each. Cells that are 18 ASCII letters
    and digits (nearly all) are normalised by Arrow; only the others take `validate_many`'s Python
    path, so the two agree (a property test holds them to it).
    """
    ids = ids.cast(pa.string())
    n = len(ids)
    errors = np.zeros(n, dtype=np.int8)
    upper = pc.utf8_upper(ids)
    regular = pc.and_(pc.equal(pc.binary_length(upper), 18), pc.ascii_is_alnum(upper))
    odd = np.flatnonzero(~regular.to_numpy(zero_copy_only=False))
    normal = upper
    if len(odd):
        texts = [(t or "").strip().upper() for t in ids.take(pa.array(odd)).to_pylist()]
        _normalise_odd(texts, errors, range(len(texts)), at=odd)
        mask = np.zeros(n, dtype=bool)
        mask[odd] = True
        normal = pc.replace_with_mask(upper, pa.array(mask), pa.array(texts, pa.string()))
    ok = errors == 0
    good = np.flatnonzero(ok)
    buf = np.zeros((n, 18), dtype=np.uint8)
    chosen = normal.filter(pa.array(ok))
    offsets = np.frombuffer(chosen.buffers()[1], dtype=np.int32)[chosen.offset : chosen.offset + len(chosen) + 1]
    # Every number still standing is 18 ASCII characters (the odd ones were upgraded or refused).
    assert offsets[-1] - offsets[0] == 18 * len(good)
    if len(good):
        data = np.frombuffer(chosen.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        buf[good] = data.reshape(-1, 18)
    for start in range(0, n, CHUNK):
        _check_digits(buf[start : start + CHUNK], errors[start : start + CHUNK], today)
    buf[errors != 0] = 0
    return normal, errors, buf


def _check_digits(buf: np.ndarray, errors: np.ndarray, today: dt.date | None) -> None:
    """The numeric rules over numbers as bytes (rows whose `errors` is 0), in place."""
    ok = errors == 0
    digits = buf.astype(np.int16) - ord("0")
    first_ok = ((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1)
    last = buf[:, 17]
    last_ok = ((last >= ord("0")) & (last <= ord("9"))) | (last == ord("X"))
    errors[ok & ~(first_ok & last_ok)] = 2
    ok = errors == 0

    d = np.where(ok[:, None], digits, 0).astype(np.int64)
    year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
    month = d[:, 10] * 10 + d[:, 11]
    day = d[:, 12] * 10 + d[:, 13]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_days = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
    dim = month_days[np.clip(month, 0, 12)] + ((month == 2) & leap)
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= dim)
    earliest = EARLIEST_BIRTH.year * 10000 + EARLIEST_BIRTH.month * 100 + EARLIEST_BIRTH.day
    ymd = year * 10000 + month * 100 + day
    errors[ok & ~(real & (ymd >= earliest))] = 3
    ok = errors == 0
    t = today or dt.date.today()
    errors[ok & (ymd > t.year * 10000 + t.month * 100 + t.day)] = 4
    ok = errors == 0

    total = (d[:, :17] * np.array(WEIGHTS, dtype=np.int64)).sum(axis=1) % 11
    expected = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)[total]
    errors[ok & (expected != last)] = 5
