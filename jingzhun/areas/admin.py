from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jingzhun import access
from jingzhun.admin_base import AreaWrites
from jingzhun.areas.models import Area, AreaRole, VillageRecord


@admin.register(Area)
class AreaAdmin(AreaWrites, admin.ModelAdmin):
    area_path, area_fields = "code", ("parent",)
    list_display = ["code", "name", "level", "poor_county", "contiguous_region", "poor_village", "exit_year"]
    list_filter = ["level", "poor_county", "poor_village", "region_class"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, "code")


@admin.register(VillageRecord)
class VillageRecordAdmin(AreaWrites, admin.ModelAdmin):
    # Written by the roles that import village records (officers), as `import_village_records` is.
    area_fields = ("village",)
    list_display = ["village", "year", "households", "population", "hardened_road", "tap_water", "collective_income"]
    list_filter = ["year"]
    raw_id_fields = ["village"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request).select_related("village"), request.user, "village_id")


@admin.register(AreaRole)
class AreaRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "area"]
    list_filter = ["role"]
    raw_id_fields = ["area"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request).select_related("area", "user"), request.user, "area_id")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "area":  # a role only inside the user's own areas: no granting oneself more
            kwargs["queryset"] = access.scope(Area.objects.all(), request.user, "code")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
