"""The one way to write an audit row."""

from __future__ import annotations

from typing import Any

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
