"""Cross-department lists and hits in the admin: read-only and scoped to the user's areas in SQL.

Hits are decided through `jingzhun.crosscheck.actions.decide` (a reason, an audit row), from the
command line or the web application, never by editing a row here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jingzhun import access
from jingzhun.admin_base import ReadOnlyAdmin
from jingzhun.crosscheck.models import CrossCheckHit, CrossCheckList


@admin.register(CrossCheckList)
class CrossCheckListAdmin(ReadOnlyAdmin):
    list_display = ["id", "rule", "department", "file_name", "row_count", "hit_count", "imported_by", "imported_at"]
    list_filter = ["rule"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # A department's list has no area (it covers whatever the department sent): a superuser sees every
        # list, anyone else the lists they imported; their hits are scoped by household below.
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(imported_by=request.user.get_username())


@admin.register(CrossCheckHit)
class CrossCheckHitAdmin(ReadOnlyAdmin):
    list_display = ["id", "household", "member_position", "rule", "status", "decided_by", "decided_at", "created_at"]
    list_filter = ["rule", "status"]
    list_select_related = ["household"]
    search_fields = ["household__number"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "household__village_id")
