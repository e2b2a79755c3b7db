"""Cadres, work teams and pairs in the Django admin, every list scoped to the user's areas in SQL.

Pairs are read-only here: they are made and ended through `jingzhun.teams.pairing_db` (preview and
approve, or `pair` by hand), which check capacity and keep the history.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jingzhun import access
from jingzhun.admin_base import AreaWrites, ReadOnlyAdmin
from jingzhun.teams.models import (
    Attendance,
    Cadre,
    CadreStatusEvent,
    HelperPair,
    TeamMembership,
    Visit,
    VisitPhoto,
    WorkTeam,
)
from jingzhun.teams.signals import cadres_changed

WRITE = "import"  # the roster import's ability (officers): who writes cadres and teams, here as there


class ScopedAreaForeignKeys:
    """Cadre (and membership) foreign keys offer and accept only those where the user writes rosters; area
    foreign keys are `AreaWrites`'s."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "cadre":
            kwargs["queryset"] = access.scope(Cadre.objects.all(), request.user, "home_area_id", WRITE)
        elif db_field.name == "replaced_by":  # a membership of a team in those areas, not any in the table
            kwargs["queryset"] = access.scope(TeamMembership.objects.all(), request.user, "team__village_id", WRITE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]


class CadreStatusEventInline(admin.TabularInline):
    model = CadreStatusEvent
    extra = 0


@admin.register(Cadre)
class CadreAdmin(AreaWrites, ScopedAreaForeignKeys, admin.ModelAdmin):
    write_ability, area_path, area_fields = WRITE, "home_area_id", ("home_area",)
    list_display = ["personnel_number", "name", "unit", "unit_kind", "rank", "skills", "home_area", "status"]
    list_filter = ["status", "unit_kind", "rank"]
    search_fields = ["personnel_number", "name", "unit"]
    list_select_related = ["home_area"]
    raw_id_fields = ["home_area"]
    # Derived from the typed unit, kind and station on save (`organisation.units`); a select of every unit
    # would name units outside the user's areas.
    readonly_fields = ["sending_unit"]
    inlines = [CadreStatusEventInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "home_area_id")

    # A cadre's station or status edited here changes totals other apps keep over cadres (training coverage):
    # they recount the stations before and after, in the admin's transaction (jingzhun.teams.signals).
    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = Cadre.objects.filter(pk=obj.pk).values_list("home_area_id", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        cadres_changed.send(sender=Cadre, areas={a for a in (before, obj.home_area_id) if a})

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        cadres_changed.send(sender=Cadre, areas={obj.home_area_id})

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        areas = set(queryset.values_list("home_area_id", flat=True))
        super().delete_queryset(request, queryset)
        cadres_changed.send(sender=Cadre, areas=areas)


class TeamMembershipInline(ScopedAreaForeignKeys, admin.TabularInline):
    model = TeamMembership
    fk_name = "team"
    extra = 0
    raw_id_fields = ["cadre", "replaced_by"]


@admin.register(WorkTeam)
class WorkTeamAdmin(AreaWrites, ScopedAreaForeignKeys, admin.ModelAdmin):
    write_ability, area_fields = WRITE, ("village",)
    list_display = ["village", "start_date", "end_date"]
    list_select_related = ["village"]
    raw_id_fields = ["village"]
    inlines = [TeamMembershipInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "village_id")


@admin.register(HelperPair)
class HelperPairAdmin(ReadOnlyAdmin):
    list_display = ["household", "cadre", "start_date", "end_date", "end_reason", "run"]
    list_filter = ["end_date"]
    search_fields = ["household__number", "cadre__name"]
    list_select_related = ["household", "cadre"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "household__village_id")


class VisitPhotoInline(admin.TabularInline):
    model = VisitPhoto
    extra = 0
    can_delete = False
    readonly_fields = ["file", "sha256"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(ReadOnlyAdmin):
    """Visits come in through the import (or the web app's action), which stamps who entered them and when:
    shown here, never edited — an edited visit would defeat the after-the-fact checks."""

    list_display = ["visited_at", "cadre", "household", "village", "measures", "recorded_at", "entered_by"]
    list_filter = ["visited_at"]
    search_fields = ["household__number", "cadre__name", "entered_by"]
    list_select_related = ["cadre", "household", "village"]
    show_full_result_count = False
    inlines = [VisitPhotoInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "village_id")


@admin.register(Attendance)
class AttendanceAdmin(ReadOnlyAdmin):
    list_display = ["date", "cadre", "village", "method", "recorded_at", "entered_by"]
    list_filter = ["method", "date"]
    search_fields = ["cadre__name"]
    list_select_related = ["cadre", "village"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "village_id")
