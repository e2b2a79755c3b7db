"""The one way to write an audit row."""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from jingzhun.audit.models import AuditEntry


def record(
    actor: str,
    action: str,
    *,
    object_type: str = "",
    object_id: str = "",
    role: str = "",
    area: str = "",
    address: str = "",
    **detail: Any,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor, role=role, area=area, action=action, object_type=object_type,
        object_id=str(object_id), detail=detail, address=address,
    )


RETENTION_FLOOR_DAYS = 180


def prune(retention_days: int | None = None, *, actor: str = "system") -> int:
    """Delete audit rows older than the retention period; returns how many went.

    The append-only guard is lifted for this one transaction only (PostgreSQL: a transaction-local
    setting the trigger honours; SQLite: the trigger is dropped and recreated before commit, so no
    other connection ever sees the table unguarded). The pruning itself is audited.
    """
    # The trigger's definition lives in the migration that created it; recreate exactly that.
    guard = importlib.import_module("jingzhun.audit.migrations.0002_append_only")
    days = settings.AUDIT_RETENTION_DAYS if retention_days is None else retention_days
    if days < RETENTION_FLOOR_DAYS:
        raise ValueError(f"retention_days: 至少 {RETENTION_FLOOR_DAYS} 天 / must be at least {RETENTION_FLOOR_DAYS} days, got {days}")
    cutoff = timezone.now() - dt.timedelta(days=days)
    with transaction.atomic(), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL jingzhun.audit_prune = 'on'")
        else:
            cur.execute("DROP TRIGGER audit_no_delete")
        cur.execute("DELETE FROM audit_auditentry WHERE at < %s", [cutoff])
        deleted = cur.rowcount
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL jingzhun.audit_prune = 'off'")
        else:
            cur.execute(guard.SQLITE[1])
        record(actor, "audit.prune", retention_days=days, cutoff=cutoff.isoformat(), deleted=deleted)
    return deleted
