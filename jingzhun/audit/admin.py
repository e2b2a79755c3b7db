from __future__ import annotations

from django.contrib import admin

from jingzhun.admin_base import ReadOnlyAdmin
from jingzhun.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "role", "area", "action", "object_type", "object_id", "address"]
    list_filter = ["action"]
    search_fields = ["actor", "object_id"]
    date_hierarchy = "at"
