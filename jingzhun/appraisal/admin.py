"""Applications, notices and objections in the admin: read-only (every change is a workflow step,
`jingzhun.appraisal.workflow`) and scoped to the user's areas in SQL."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jingzhun import access
from jingzhun.admin_base import ReadOnlyAdmin
from jingzhun.appraisal.models import Application, Consent, Notice, Objection, Step, VillageAppraisal


class StepInline(admin.TabularInline):
    model = Step
    extra = 0
    can_delete = False
    fields = ("on", "action", "from_state", "to_state", "actor", "reason", "at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ScopedByVillage(ReadOnlyAdmin):
    village_field = "village_id"

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, self.village_field)


@admin.register(Application)
class ApplicationAdmin(ScopedByVillage):
    list_display = ["id", "household", "village", "kind", "year", "state", "state_since", "applied_by"]
    list_filter = ["kind", "state", "year"]
    list_select_related = ["household", "village"]
    search_fields = ["household__number"]
    inlines = [StepInline]


@admin.register(Notice)
class NoticeAdmin(ScopedByVillage):
    list_display = ["id", "village", "kind", "stage", "year", "starts_on", "ends_on", "days", "published_by"]
    list_filter = ["kind", "stage", "year"]


@admin.register(Objection)
class ObjectionAdmin(ScopedByVillage):
    village_field = "application__village_id"
    list_display = ["id", "application", "notice", "raised_on", "recorded_by"]


@admin.register(VillageAppraisal)
class VillageAppraisalAdmin(ScopedByVillage):
    village_field = "application__village_id"
    list_display = ["id", "application", "held_on", "attendees", "votes_for", "votes_against", "votes_abstain"]


@admin.register(Consent)
class ConsentAdmin(ScopedByVillage):
    village_field = "application__village_id"
    list_display = ["id", "application", "signed_by", "signed_on", "document", "recorded_by"]
