"""The audit log's hash chain: every row is sealed with a keyed hash over its fields and the previous
row's hash, so a row changed, removed, inserted or reordered anywhere breaks every seal after it.

The seal is HMAC-SHA256 with a key derived (HKDF, its own `info`) from JINGZHUN_MASTER_KEY, not a plain
SHA-256: someone who can write the database but does not hold the key (a stolen database password, a
copied SQLite file, a database administrator) could otherwise rewrite a row and recompute every hash
after it. The master key already lives only in the environment (backed up apart from the data) and is
needed to read resident IDs, so the audit key adds no new secret to keep. The price: `verify` needs the
key, and a new master key starts a new chain (rotation is done by a prune past the old rows, or by
keeping the old key to verify the old backups).

The chain's head — the last row's id and hash, and the anchor left by pruning (the hash of the last
pruned row, where the remaining chain starts) — is one row of `audit_chainhead`, sealed too: cutting
rows off the end of the log needs a head that matches the shorter log, which only the key can make.

Canonical form (version 1), the bytes the HMAC covers: "jingzhun audit v1\\n" followed by the JSON array
[prev_hash, at, actor, role, area, areas, action, object_type, object_id, address, detail], written with
sorted keys, no spaces, UTF-8. `at` is UTC with microseconds ("2026-01-02T03:04:05.000006Z"); `areas` is
the sorted list of every area code the row carries (the child table `audit_auditarea`); `detail` is the
JSON the database gives back (keys as strings, tuples as lists) with integral floats written as integers,
because PostgreSQL's jsonb gives 1e20 back as 100000000000000000000.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from jingzhun import crypto

GENESIS = "0" * 64
PREFIX = b"jingzhun audit v1\n"
HEAD_PREFIX = b"jingzhun audit head v1\n"
# Rows read per round trip while verifying: a large log is walked in pages, never loaded whole.
PAGE = 5000


@lru_cache(maxsize=4)
def _key(master_b64: str) -> bytes:
    try:
        master = base64.b64decode(master_b64, validate=True)
    except ValueError:
        raise crypto.MissingKey(f"{crypto.KEY_ENV} is not valid base64") from None
    if len(master) != 32:
        raise crypto.MissingKey(f"{crypto.KEY_ENV} must decode to 32 bytes, got {len(master)}")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"jingzhun audit chain v1").derive(master)


def key() -> bytes:
    """The chain's HMAC key, from JINGZHUN_MASTER_KEY (MissingKey when it is not set)."""
    return _key(crypto.master_key())


def _numbers(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


def stored_detail(detail: Any) -> Any:
    """`detail` as the database gives it back (JSON round trip: string keys, lists)."""
    if isinstance(detail, (str, bytes)):
        return json.loads(detail)
    return json.loads(json.dumps(detail))


def moment(at: dt.datetime | str) -> str:
    """A row's time in the canonical form; a naive time (SQLite read without Django) is UTC."""
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.UTC)
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Row:
    """The sealed fields of one audit row, as read back from the database."""

    id: int
    at: dt.datetime | str
    actor: str
    role: str
    area: str
    action: str
    object_type: str
    object_id: str
    detail: Any
    address: str
    prev_hash: str
    hash: str
    areas: tuple[str, ...] = ()


def seal(k: bytes, *, prev_hash: str, at: dt.datetime | str, actor: str, role: str, area: str,
         areas: Iterable[str], action: str, object_type: str, object_id: str, address: str, detail: Any) -> str:
    body = [prev_hash, moment(at), actor, role, area, sorted(areas), action, object_type, object_id, address,
            _numbers(stored_detail(detail))]
    text = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hmac.new(k, PREFIX + text.encode("utf-8"), hashlib.sha256).hexdigest()


def seal_row(k: bytes, row: Row) -> str:
    return seal(k, prev_hash=row.prev_hash, at=row.at, actor=row.actor, role=row.role, area=row.area,
                areas=row.areas, action=row.action, object_type=row.object_type, object_id=row.object_id,
                address=row.address, detail=row.detail)


def seal_head(k: bytes, last_id: int, last_hash: str, anchor_id: int, anchor_hash: str) -> str:
    text = f"{last_id}|{last_hash}|{anchor_id}|{anchor_hash}".encode("ascii")
    return hmac.new(k, HEAD_PREFIX + text, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- reading and verifying

ENTRY_COLUMNS = "id, at, actor, role, area, action, object_type, object_id, detail, address, prev_hash, hash"


@dataclass(frozen=True)
class Head:
    last_id: int
    last_hash: str
    anchor_id: int
    anchor_hash: str
    seal: str


def read_head(cursor: Any) -> Head | None:
    cursor.execute("SELECT last_id, last_hash, anchor_id, anchor_hash, seal FROM audit_chainhead WHERE id = 1")
    found = cursor.fetchone()
    return None if found is None else Head(int(found[0]), found[1], int(found[2]), found[3], found[4])


def read_rows(cursor: Any, placeholder: str = "%s", after: int = -1) -> Iterator[Row]:
    """The audit rows after id `after` in chain order (by id) with their areas, a page at a time.
    `placeholder` is the driver's parameter mark ("?" for a bare sqlite3 connection)."""
    while True:
        cursor.execute(f"SELECT {ENTRY_COLUMNS} FROM audit_auditentry WHERE id > {placeholder} ORDER BY id LIMIT {PAGE}",
                       [after])
        page = cursor.fetchall()
        if not page:
            return
        last = page[-1][0]
        cursor.execute(f"SELECT entry_id, code FROM audit_auditarea WHERE entry_id > {placeholder} AND "
                       f"entry_id <= {placeholder} ORDER BY entry_id, code", [after, last])
        areas: dict[int, list[str]] = {}
        for entry_id, code in cursor.fetchall():
            areas.setdefault(entry_id, []).append(code)
        for r in page:
            yield Row(id=r[0], at=r[1], actor=r[2], role=r[3], area=r[4], action=r[5], object_type=r[6],
                      object_id=r[7], detail=r[8], address=r[9], prev_hash=r[10], hash=r[11],
                      areas=tuple(areas.get(r[0], ())))
        after = last


@dataclass(frozen=True)
class Report:
    rows: int
    broken_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem


def _head_problem(head: Head, k: bytes) -> str:
    if hmac.compare_digest(head.seal, seal_head(k, head.last_id, head.last_hash, head.anchor_id, head.anchor_hash)):
        return ""
    return "链头签名不符（被改动，或密钥不同）/ the chain head's seal does not match (changed, or a different key)"


def _row_problem(row: Row, expected: str, after: int, k: bytes) -> str:
    if row.id <= after:
        return f"第 {row.id} 行在修剪锚点 {after} 之前 / row {row.id} precedes the prune anchor {after}: rows were put back"
    if row.prev_hash != expected:
        return (f"第 {row.id} 行与前一行的链接断开（其前有行被删除、插入或改动）/ row {row.id}: the link to the "
                f"previous row is broken (a row before it was removed, inserted or changed)")
    if not hmac.compare_digest(row.hash, seal_row(k, row)):
        return (f"第 {row.id} 行的内容与签名不符（被改动，或密钥不同）/ row {row.id}: its content does not match "
                f"its seal (the row was changed, or a different key)")
    return ""


def verify(cursor: Any, placeholder: str = "%s", k: bytes | None = None) -> Report:
    """Walk the chain of the database behind `cursor` (Django's, or a bare sqlite3/psycopg one) from the
    prune anchor to the head; the first row whose link or seal does not hold is reported. Rows appended
    while the walk goes on are walked too (the head is read again at the end until it stops moving), so a
    live system verifies without being stopped, and a row added behind the head's back is still found."""
    k = key() if k is None else k
    head = read_head(cursor)
    if head is not None and (problem := _head_problem(head, k)):
        return Report(0, None, problem)
    expected, after = (head.anchor_hash, head.anchor_id) if head is not None else (GENESIS, 0)
    n, last_id, start = 0, after, -1
    while True:
        walked = n
        for row in read_rows(cursor, placeholder, start):
            if problem := _row_problem(row, expected, after, k):
                return Report(n, row.id, problem)
            expected, last_id, n = row.hash, row.id, n + 1
        head, start = read_head(cursor), last_id
        if head is None or head.last_id <= last_id or n == walked:
            break
    if head is None:
        return Report(n, None, "链头缺失 / the chain head is missing") if n else Report(0)
    if problem := _head_problem(head, k):
        return Report(n, None, problem)
    if (last_id, expected) != (head.last_id, head.last_hash):
        return Report(n, last_id or None, f"日志止于第 {last_id} 行，链头记录的是第 {head.last_id} 行（末尾的行被删除或"
                                          f"被添加）/ the log ends at row {last_id} but the chain head records row "
                                          f"{head.last_id} (rows were removed from or added at the end)")
    return Report(n)
