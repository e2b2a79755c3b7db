"""User administration in the Django admin, scoped like everything else, and audited.

An area administrator (a user holding the administrator role, not a superuser) may manage a user only when
everything that user holds is something the administrator could have granted: every role inside the areas
where they hold the administrator role and of a kind in `settings.ADMIN_GRANTABLE_ROLES`, no permission, no
group, not superuser — and never themselves. Anyone else could be taken over by a new password
(an officer who may reveal resident IDs, a user with a role in another county). Roles are granted inline,
only of those kinds and only at areas inside the administrator's; the role table's own admin page keeps the
same rules. Permissions, groups and the staff and superuser flags are for superusers alone (the reveal
permission is never an area administrator's to give, not even through a group).

Every change is an audit row (`jingzhun.audit.log.record`): user.create, user.change, user.password,
user.delete, role.grant, role.revoke, permission.grant, permission.revoke — with the target and its areas.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from jingzhun import access
from jingzhun.areas.admin import AreaRoleAdmin
from jingzhun.areas.models import ROLES, Area, AreaRole
from jingzhun.audit import log as audit
from jingzhun.web.lockout import client_address

PRIVILEGED_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")
ROLE_LABELS = dict(ROLES)


def grantable_roles() -> frozenset[str]:
    """The roles an area administrator may grant (settings.ADMIN_GRANTABLE_ROLES), checked against the
    known roles so a typo in the configuration is an error, not a silently empty set."""
    configured = frozenset(settings.ADMIN_GRANTABLE_ROLES)
    unknown = configured - set(ROLE_LABELS)
    if unknown:
        raise ImproperlyConfigured(
            f"JINGZHUN_ADMIN_GRANTABLE_ROLES：未知角色 {', '.join(sorted(unknown))} / unknown roles; "
            f"known: {', '.join(ROLE_LABELS)}")
    return configured


def manageable_users(user: object) -> Any:
    """Users `user` may administer: all for a superuser; otherwise the users holding nothing `user` could not
    grant (see the module's docstring), themselves excluded. The staff flag alone gives no power (the
    permissions do), so a staff user without permissions or groups may be managed. Users without any role are
    included, so a new account can be given its first role."""
    if getattr(user, "is_superuser", False):
        return User.objects.all()
    inside = access.area_q(user, "area_id", ability="administer")
    may_grant = Q(role__in=grantable_roles()) & (inside if inside is not None else Q())
    beyond = AreaRole.objects.exclude(may_grant).values("user_id")
    return (User.objects.filter(is_superuser=False)
            .exclude(pk=getattr(user, "pk", 0))
            .exclude(pk__in=beyond)
            .exclude(pk__in=User.user_permissions.through.objects.values("user_id"))
            .exclude(pk__in=User.groups.through.objects.values("user_id")))


def _held(user_id: int) -> dict[str, set[Any]]:
    """What a user holds, to compare before and after a save: roles, direct permissions and groups."""
    return {
        "roles": set(AreaRole.objects.filter(user_id=user_id).values_list("area_id", "role")),
        "permissions": set(_permissions(user_id)),
        "groups": set(Group.objects.filter(user__pk=user_id).values_list("name", flat=True)),
    }


def _permissions(user_id: int) -> list[str]:
    through = User.user_permissions.through.objects.filter(user_id=user_id)
    return [f"{a}.{c}" for a, c in through.values_list("permission__content_type__app_label",
                                                        "permission__codename")]


def _record(request: HttpRequest, action: str, target: Any, area: str = "", **detail: Any) -> None:
    """One audit row by the acting user about `target` (a user), with the area(s) it concerns."""
    actor = request.user
    audit.record(actor.get_username(), action, object_type="user", object_id=str(target.pk),
                 role="superuser" if actor.is_superuser else "administrator", area=area,
                 address=client_address(request), target=target.get_username(), **detail)


def _areas(roles: set[tuple[str, str]]) -> list[str]:
    return sorted({area for area, _role in roles})


class AreaRoleInline(admin.TabularInline):
    model = AreaRole
    extra = 1
    raw_id_fields = ["area"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.scope(super().get_queryset(request).select_related("area"), request.user, "area_id",
                            ability="administer")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "area":  # only inside the administrator's own areas
            kwargs["queryset"] = access.scope(Area.objects.all(), request.user, "code", ability="administer")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not request.user.is_superuser:
            # Only the configured kinds: anything else is "not one of the available choices" and nothing saves.
            allowed = grantable_roles()
            kwargs["choices"] = [("", "---------")] + [(k, v) for k, v in ROLES if k in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


class ScopedUserAdmin(UserAdmin):
    inlines = [AreaRoleInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return manageable_users(request.user).order_by("username")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return readonly if request.user.is_superuser else readonly + PRIVILEGED_FIELDS

    # -- audit: the add and change pages run in one transaction; snapshot, save, compare, record.

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        request._jingzhun_held = _held(obj.pk) if change else {"roles": set(), "permissions": set(), "groups": set()}  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)
        fields = sorted(f for f in form.changed_data if not f.startswith("password") and f != "usable_password")
        if not change:
            _record(request, "user.create", obj, fields=fields)
        elif fields:
            _record(request, "user.change", obj, **self._area_of(obj), fields=fields,
                    **{f: form.cleaned_data.get(f) for f in ("is_active", "is_staff", "is_superuser") if f in fields})

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        before = getattr(request, "_jingzhun_held", None)
        if before is None:
            return
        target = form.instance
        after = _held(target.pk)
        for area, role in sorted(after["roles"] - before["roles"]):
            _record(request, "role.grant", target, area=area, role_granted=role)
        for area, role in sorted(before["roles"] - after["roles"]):
            _record(request, "role.revoke", target, area=area, role_revoked=role)
        added = sorted(after["permissions"] - before["permissions"]) + [
            f"group:{g}" for g in sorted(after["groups"] - before["groups"])]
        removed = sorted(before["permissions"] - after["permissions"]) + [
            f"group:{g}" for g in sorted(before["groups"] - after["groups"])]
        areas = _areas(after["roles"] | before["roles"])
        if added:
            _record(request, "permission.grant", target, area=areas[0] if len(areas) == 1 else "",
                    areas=areas, permissions=added)
        if removed:
            _record(request, "permission.revoke", target, area=areas[0] if len(areas) == 1 else "",
                    areas=areas, permissions=removed)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        # Django's view is not atomic: make it so, and record a row when the stored hash changed.
        with transaction.atomic():
            before = User.objects.filter(pk=id).values_list("password", flat=True).first() if id.isdigit() else None
            response = super().user_change_password(request, id, form_url)
            if before is not None and request.method == "POST":
                target = User.objects.filter(pk=id).first()
                if target is not None and target.password != before:
                    _record(request, "user.password", target, **self._area_of(target),
                            usable=target.has_usable_password())
        return response

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        areas = self._area_of(obj)
        super().delete_model(request, obj)
        _record(request, "user.delete", obj, **areas)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            _record(request, "user.delete", obj, **self._area_of(obj))
        super().delete_queryset(request, queryset)

    @staticmethod
    def _area_of(user: Any) -> dict[str, Any]:
        """The audit row's area keywords for a user: `area` when all their roles are at one area, and
        `areas`, every area they hold a role at."""
        areas = sorted(set(AreaRole.objects.filter(user_id=user.pk).values_list("area_id", flat=True)))
        return {"area": areas[0] if len(areas) == 1 else "", "areas": areas}


class SuperuserOnlyChanges:
    """Viewable by whoever has the view permission; added, changed and deleted by superusers only."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


class ScopedGroupAdmin(SuperuserOnlyChanges, GroupAdmin):
    """A group's permissions reach every member: editing one is granting permissions (the reveal one
    included), so only a superuser may."""


class AuditedAreaRoleAdmin(AreaRoleAdmin):
    """The role table's own page keeps the user page's rules: a role is added, changed or deleted only for
    a user the acting user may manage, of a grantable kind, at an area where they hold the administrator
    role (a superuser: anything); seeing roles stays as the areas app scopes it. Every change is audited."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user" and not request.user.is_superuser:
            kwargs["queryset"] = manageable_users(request.user)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "area" and not request.user.is_superuser:
            field.queryset = access.scope(Area.objects.all(), request.user, "code", ability="administer")
        return field

    def formfield_for_choice_field(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "role" and not request.user.is_superuser:
            allowed = grantable_roles()
            kwargs["choices"] = [("", "---------")] + [(k, v) for k, v in ROLES if k in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def _may_manage(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return (obj.role in grantable_roles()
                and access.can_see_area(request.user, obj.area_id, "administer")
                and manageable_users(request.user).filter(pk=obj.user_id).exists())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and self._may_manage(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and self._may_manage(request, obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        old = AreaRole.objects.filter(pk=obj.pk).values_list("area_id", "role").first() if change else None
        super().save_model(request, obj, form, change)
        if old is not None and old != (obj.area_id, obj.role):
            _record(request, "role.revoke", obj.user, area=old[0], role_revoked=old[1])
        if old != (obj.area_id, obj.role):
            _record(request, "role.grant", obj.user, area=obj.area_id, role_granted=obj.role)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        _record(request, "role.revoke", obj.user, area=obj.area_id, role_revoked=obj.role)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The bulk action: all or nothing — one row this user may not manage refuses the whole deletion.
        rows = list(queryset.select_related("user"))
        if not all(self._may_manage(request, r) for r in rows):
            raise PermissionDenied("role.revoke")
        for obj in rows:
            _record(request, "role.revoke", obj.user, area=obj.area_id, role_revoked=obj.role)
        super().delete_queryset(request, queryset)


admin.site.unregister(User)
admin.site.register(User, ScopedUserAdmin)
admin.site.unregister(Group)
admin.site.register(Group, ScopedGroupAdmin)
admin.site.unregister(AreaRole)
admin.site.register(AreaRole, AuditedAreaRoleAdmin)
