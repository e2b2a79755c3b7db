"""The one way to write an audit row, and the one way to prune old ones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jingzhun.audit import chain
from jingzhun.audit.models import AuditEntry

# The database triggers (migration 0003) refuse to delete anything younger, whatever the caller.
RETENTION_FLOOR_DAYS = 180


def _lock_head(cur: Any) -> tuple[chain.Head, int | None]:
    """Lock the chain head for this transaction and return it, so two writers cannot fork the chain.
    PostgreSQL: the row lock (a second writer waits, then reads the new head). SQLite: the write lock, held
    since the transaction began IMMEDIATE (dburl's setting), so a plain read suffices; without that
    setting a no-op UPDATE takes it. A database without a head row (new, or a test database after a
    flush) gets the genesis head. PostgreSQL also draws the next row's id here (one round trip less):
    the head's seal covers it, and the row, its areas and the head are then written in one statement."""
    columns = "last_id, last_hash, anchor_id, anchor_hash, seal"
    if connection.vendor == "postgresql":
        sql = (f"SELECT {columns}, nextval(pg_get_serial_sequence('audit_auditentry', 'id')) FROM audit_chainhead "
               "WHERE id = 1 FOR UPDATE")
    elif connection.settings_dict.get("OPTIONS", {}).get("transaction_mode") == "IMMEDIATE":
        sql = f"SELECT {columns} FROM audit_chainhead WHERE id = 1"
    else:
        sql = f"UPDATE audit_chainhead SET last_id = last_id WHERE id = 1 RETURNING {columns}"
    cur.execute(sql)
    found = cur.fetchone()
    if found is None:
        k = chain.key()
        cur.execute("INSERT INTO audit_chainhead (id, last_id, last_hash, anchor_id, anchor_hash, seal) "
                    "VALUES (1, 0, %s, 0, %s, %s) ON CONFLICT (id) DO NOTHING",
                    [chain.GENESIS, chain.GENESIS, chain.seal_head(k, 0, chain.GENESIS, 0, chain.GENESIS)])
        cur.execute(sql)
        found = cur.fetchone()
    head = chain.Head(int(found[0]), found[1], int(found[2]), found[3], found[4])
    return head, (int(found[5]) if len(found) > 5 else None)


def _store_head(cur: Any, k: bytes, last_id: int, last_hash: str, anchor_id: int, anchor_hash: str) -> None:
    cur.execute("UPDATE audit_chainhead SET last_id = %s, last_hash = %s, anchor_id = %s, anchor_hash = %s, "
                "seal = %s WHERE id = 1",
                [last_id, last_hash, anchor_id, anchor_hash, chain.seal_head(k, last_id, last_hash, anchor_id, anchor_hash)])


# The columns written by `record`, converted by the model's own fields (a time, a JSON value) for the vendor.
COLUMNS = ("at", "actor", "role", "area", "action", "object_type", "object_id", "detail", "address", "prev_hash",
           "hash")
AREA_BATCH = 500


def _insert(cur: Any, entry: AuditEntry) -> int:
    """One INSERT … RETURNING id: the ORM's save costs more than the rest of `record` together."""
    fields = {f.name: f for f in AuditEntry._meta.concrete_fields}
    values = [fields[name].get_db_prep_save(getattr(entry, name), connection) for name in COLUMNS]
    cur.execute(f"INSERT INTO audit_auditentry ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
                "RETURNING id", values)
    entry._state.adding, entry._state.db = False, connection.alias
    return int(cur.fetchone()[0])


def record(
    actor: str,
    action: str,
    *,
    object_type: str = "",
    object_id: str = "",
    role: str = "",
    area: str = "",
    areas: Iterable[str] = (),
    address: str = "",
    **detail: Any,
) -> AuditEntry:
    """Append one row to the chain. `area` is the area the row is chiefly about; `areas` every other area
    it touched (an import: each village it wrote). Officers see the rows of their areas' subtrees."""
    k = chain.key()
    codes = sorted({c for c in (area, *areas) if c})
    entry = AuditEntry(actor=actor, role=role, area=area, action=action, object_type=object_type,
                       object_id=str(object_id), detail=detail, address=address)
    # No savepoint of its own: an audit row that cannot be written must undo the work it records.
    with transaction.atomic(savepoint=False), connection.cursor() as cur:
        head, next_id = _lock_head(cur)
        entry.at = timezone.now()  # taken under the lock, so times follow the chain's order
        entry.prev_hash = head.last_hash
        entry.hash = chain.seal(k, prev_hash=entry.prev_hash, at=entry.at, actor=entry.actor, role=entry.role,
                                area=entry.area, areas=codes, action=entry.action, object_type=entry.object_type,
                                object_id=entry.object_id, address=entry.address, detail=entry.detail)
        if next_id is not None and len(codes) <= AREA_BATCH:
            entry.pk = next_id
            _append_postgres(cur, k, entry, codes, head)
        else:
            entry.pk = _insert(cur, entry)
            for start in range(0, len(codes), AREA_BATCH):
                batch = codes[start : start + AREA_BATCH]
                cur.execute("INSERT INTO audit_auditarea (entry_id, code) VALUES "
                            + ", ".join(["(%s, %s)"] * len(batch)), [v for code in batch for v in (entry.pk, code)])
            _store_head(cur, k, entry.pk, entry.hash, head.anchor_id, head.anchor_hash)
    return entry


def _append_postgres(cur: Any, k: bytes, entry: AuditEntry, codes: list[str], head: chain.Head) -> None:
    """The row (its id drawn under the chain lock), its areas and the new head in one statement: a round
    trip saved per part, `record` being called on requests."""
    fields = {f.name: f for f in AuditEntry._meta.concrete_fields}
    values = [fields[name].get_db_prep_save(getattr(entry, name), connection) for name in COLUMNS]
    cur.execute(
        f"WITH e AS (INSERT INTO audit_auditentry (id, {', '.join(COLUMNS)}) "
        f"VALUES (%s, {', '.join(['%s'] * len(COLUMNS))}) RETURNING id), "
        "a AS (INSERT INTO audit_auditarea (entry_id, code) SELECT e.id, c FROM e, unnest(%s::varchar[]) AS c) "
        "UPDATE audit_chainhead SET last_id = (SELECT id FROM e), last_hash = %s, seal = %s WHERE id = 1",
        [entry.pk, *values, codes, entry.hash,
         chain.seal_head(k, entry.pk, entry.hash, head.anchor_id, head.anchor_hash)])
    entry._state.adding, entry._state.db = False, connection.alias


def prune(retention_days: int | None = None, *, actor: str = "system") -> int:
    """Delete the oldest audit rows — the prefix of the chain older than the retention period — and
    return how many went. The chain head keeps the last pruned row's hash as its anchor, so `verify`
    still holds; the pruning itself is audited (with that anchor) in the same transaction. The database
    refuses to delete any row younger than the floor, any row while an older one remains, and any row
    beyond the anchor: a bare DELETE goes nowhere, and moving the anchor needs the key to seal the head."""
    days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if days < RETENTION_FLOOR_DAYS:
        raise ValueError(f"retention_days: 至少 {RETENTION_FLOOR_DAYS} 天 / must be at least "
                         f"{RETENTION_FLOOR_DAYS} days, got {days}")
    cutoff = timezone.now() - dt.timedelta(days=days)
    k = chain.key()
    with transaction.atomic(), connection.cursor() as cur:
        head, _ = _lock_head(cur)
        # The prefix: every row before the first one young enough to keep (a row out of time order after
        # it stays, so what remains is still one unbroken chain).
        cur.execute("SELECT min(id) FROM audit_auditentry WHERE at >= %s", [cutoff])
        first_kept = cur.fetchone()[0]
        cur.execute("SELECT id, hash FROM audit_auditentry WHERE id < %s ORDER BY id DESC LIMIT 1",
                    [first_kept if first_kept is not None else head.last_id + 1])
        last_gone = cur.fetchone()
        deleted, anchor_id, anchor_hash = 0, head.anchor_id, head.anchor_hash
        if last_gone is not None:
            anchor_id, anchor_hash = int(last_gone[0]), last_gone[1]
            # The anchor first: the database deletes nothing beyond it.
            _store_head(cur, k, head.last_id, head.last_hash, anchor_id, anchor_hash)
            cur.execute("DELETE FROM audit_auditarea WHERE entry_id <= %s", [anchor_id])
            cur.execute("DELETE FROM audit_auditentry WHERE id <= %s", [anchor_id])
            deleted = cur.rowcount
        record(actor, "audit.prune", retention_days=days, cutoff=cutoff.isoformat(), deleted=deleted,
               anchor_id=anchor_id, anchor_hash=anchor_hash)
    return deleted
