from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from jingzhun.admin_base import ReadOnlyAdmin
from jingzhun.audit.models import AuditEntry
from jingzhun.audit.scope import restrict


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "role", "area", "action", "object_type", "object_id", "address"]
    list_filter = ["action"]
    search_fields = ["actor", "object_id"]
    date_hierarchy = "at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEntry]:
        # The audit page's rule: rows of the user's areas and the user's own, in SQL.
        return restrict(super().get_queryset(request), request.user)
