"""User administration in the Django admin, scoped like everything else.

An administrator who is not a superuser sees and edits only the users whose every role lies inside the areas
where they hold the administrator role (a user with one role elsewhere could otherwise be taken over — a new
password — to reach that area), never a superuser, and cannot grant superuser, staff or permission flags;
roles are granted inline, only at areas inside those.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import Q
from django.http import HttpRequest

from jingzhun import access
from jingzhun.areas.models import Area, AreaRole

PRIVILEGED_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


class AreaRoleInline(admin.TabularInline):
    model = AreaRole
    extra = 1
    raw_id_fields = ["area"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request).select_related("area"), request.user, "area_id",
                            ability="administer")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "area":
            kwargs["queryset"] = access.scope(Area.objects.all(), request.user, "code", ability="administer")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def manageable_users(user: object) -> Any:
    """Users `user` may administer: all for a superuser; otherwise non-superusers whose every role is inside
    `user`'s areas (users without any role included, so a new account can be given its first role)."""
    if getattr(user, "is_superuser", False):
        return User.objects.all()
    inside = access.area_q(user, "area_id", ability="administer")
    outside_roles = AreaRole.objects.exclude(inside if inside is not None else Q()).values("user_id")
    return User.objects.filter(is_superuser=False).exclude(pk__in=outside_roles)


class ScopedUserAdmin(UserAdmin):
    inlines = [AreaRoleInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return manageable_users(request.user).order_by("username")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else readonly + PRIVILEGED_FIELDS


admin.site.unregister(User)
admin.site.register(User, ScopedUserAdmin)
