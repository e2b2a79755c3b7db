"""The editable lists (post kinds, village types) and units in the Django admin; units and village typings
scoped to the user's areas in SQL, their area choices too."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from jingzhun import access
from jingzhun.admin_base import AreaWrites
from jingzhun.organisation import scope
from jingzhun.organisation.models import PostKind, Unit, VillageType, VillageTyping


@admin.register(PostKind)
class PostKindAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "seats", "order", "active"]
    list_editable = ["seats", "order", "active"]


@admin.register(VillageType)
class VillageTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "skills", "active"]


class Scoped(AreaWrites, admin.ModelAdmin):
    """Seen with "see_organisation", written with "organise" (as the pages and imports are), each over the
    record's own area."""

    write_ability, area_path, area_fields = scope.WRITE, "area_id", ("area", "village")

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request), request.user, self.area_path, scope.READ)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "merged_into":
            kwargs["queryset"] = access.scope(Unit.objects.all(), request.user, "area_id", scope.WRITE)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Unit)
class UnitAdmin(Scoped):
    list_display = ["name", "kind", "level", "area", "merged_into"]
    list_filter = ["kind", "level"]
    search_fields = ["name"]
    raw_id_fields = ["area"]
    readonly_fields = ["merged_into"]  # set only by resolving a review (audited)


@admin.register(VillageTyping)
class VillageTypingAdmin(Scoped):
    area_path = "village_id"
    list_display = ["village", "village_type"]
    raw_id_fields = ["village"]
