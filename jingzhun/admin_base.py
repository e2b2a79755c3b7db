"""What several admin pages share."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.core.addresses import client_address


class ReadOnlyAdmin(admin.ModelAdmin):
    """A page that shows records written only by the system (audit rows, pairs made by approval)."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AreaWrites:
    """An admin page whose writes need `write_ability` over the row's area (`area_path`, an ORM path to a
    12-digit code), not merely a role that sees it: an officer of one county who audits another views the
    other's rows read-only (the list and the page stay scoped by the model admin's own `get_queryset`), and
    may neither change, delete nor create them, nor name their areas (`area_fields`) in a row of their own.
    The Django model permission is still needed on top (superuser-granted); this narrows where it applies."""

    write_ability = "import"
    area_path = "village_id"
    area_fields: tuple[str, ...] = ()
    # Every add, change and delete is an audit row in the admin's own transaction, with the row's area before and
    # after (a move is seen by the officers of both ends). False: the page records its changes itself (the
    # register's `household.admin_change`); its deletions are still recorded here.
    audit_changes = True

    def writable(self, request: HttpRequest, qs: Any) -> Any:
        return access.scope(qs, request.user, self.area_path, self.write_ability)

    def may_write(self, request: HttpRequest, obj: Any = None) -> bool:
        """Without a row (the list, the add page): some role carries the ability; with one: over its area."""
        if obj is None or obj.pk is None:
            return access.may(request.user, self.write_ability)
        return bool(self.writable(request, type(obj)._default_manager.filter(pk=obj.pk)).exists())

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request, *args) and self.may_write(request)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self.may_write(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self.may_write(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The list's bulk delete asks for the permission without a row: all or nothing over the rows chosen.
        if self.writable(request, queryset).count() != queryset.count():
            raise PermissionDenied(self.write_ability)
        for obj in queryset:
            self.record(request, "admin.delete", obj, [self.area_of(obj)])
        super().delete_queryset(request, queryset)  # type: ignore[misc]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = self.area_of(obj) if change else None
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        if not self.may_write(request, obj):
            # Where the row now lies, whichever field put it there (a new area's own code, not only the choices
            # offered): outside, the admin's transaction is undone.
            raise PermissionDenied(self.write_ability)
        fields = sorted(getattr(form, "changed_data", None) or [])  # no form: a save made in code, recorded whole
        if self.audit_changes and (fields or not change or form is None):
            self.record(request, "admin.change" if change else "admin.add", obj, [before, self.area_of(obj)],
                        fields=fields)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        area = self.area_of(obj)
        self.record(request, "admin.delete", obj, [area])
        super().delete_model(request, obj)  # type: ignore[misc]

    def area_of(self, obj: Any) -> str | None:
        """The row's area code as stored (through `area_path`)."""
        return type(obj)._default_manager.filter(pk=obj.pk).values_list(self.area_path, flat=True).first()

    def record(self, request: HttpRequest, action: str, obj: Any, areas: list[str | None], **detail: Any) -> None:
        codes = sorted({a for a in areas if a})
        audit.record(request.user.get_username(), action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
                     area=codes[0] if len(codes) == 1 else "", areas=codes, address=client_address(request),
                     **detail)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name in self.area_fields:  # offered and accepted: only areas where the user writes
            kwargs["queryset"] = access.scope(Area.objects.all(), request.user, "code", self.write_ability)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
