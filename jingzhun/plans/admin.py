"""Help plans in the Django admin, read-only and scoped to the user's areas in SQL.

Plans and measures are written only through `jingzhun.plans.services` (the web editor), which checks the
rules, keeps approvals honest and writes the audit rows; the admin shows them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jingzhun import access
from jingzhun.admin_base import ReadOnlyAdmin
from jingzhun.plans.models import HelpPlan, PlanMeasure


class PlanMeasureInline(admin.TabularInline):
    model = PlanMeasure
    extra = 0
    fields = readonly_fields = ("category", "description", "amount", "cadre", "due_on", "status", "done_on", "result")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(HelpPlan)
class HelpPlanAdmin(ReadOnlyAdmin):
    list_display = ["household", "year", "drafted_by", "drafted_at", "approved_by", "approved_at"]
    list_filter = ["year"]
    search_fields = ["household__number"]
    list_select_related = ["household", "drafted_by", "approved_by"]
    inlines = [PlanMeasureInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "household__village_id")


@admin.register(PlanMeasure)
class PlanMeasureAdmin(ReadOnlyAdmin):
    list_display = ["plan", "category", "description", "amount", "status", "due_on", "done_on"]
    list_filter = ["category", "status"]
    list_select_related = ["plan"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "plan__household__village_id")
