"""The register in the Django admin (Chinese), every list scoped to the user's areas in SQL.

Resident IDs and health are shown masked; the member page links to an audited reveal that needs
the `registry.reveal_sensitive` permission.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from jingzhun import access
from jingzhun.admin_base import AreaWrites
from jingzhun.choices import HEALTH
from jingzhun.core.addresses import client_address
from jingzhun.registry import sensitive
from jingzhun.registry.models import Change, Household, ImportBatch, IncomeRecord, Member, StatusEvent

SENSITIVE = ["resident_id_cipher", "resident_id_index", "health_cipher"]


def _birth_for(request: HttpRequest, names: Any) -> list[str]:
    """`names` with the birth date as its year alone for a user without the reveal permission."""
    if sensitive.may_reveal(request.user):
        return list(names)
    return ["birth_year" if n == "birth_date" else n for n in names]


class MemberInline(admin.TabularInline):
    model = Member
    extra = 0
    can_delete = False
    fields = ("position", "name", "masked_id", "relation", "sex", "birth_date", "education", "schooling", "labour",
              "assistance")
    readonly_fields = fields
    show_change_link = True

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Beside the masked ID the full birth date would complete it: the year only, unless revealing.
        return _birth_for(request, self.fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _birth_for(request, self.fields)

    @admin.display(description="证件号码")
    def masked_id(self, obj: Member) -> str:
        return sensitive.masked_resident_id(obj)

    @admin.display(description="出生年份")
    def birth_year(self, obj: Member) -> str:
        return str(obj.birth_date.year) if obj.birth_date else ""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IncomeInline(admin.TabularInline):
    model = IncomeRecord
    extra = 0
    can_delete = False


@admin.register(Household)
class HouseholdAdmin(AreaWrites, admin.ModelAdmin):
    # Seen by every role over the village (get_queryset); changed only by a role that writes the register
    # ("import", as an import would): a move needs both ends there (the village's choices). Changes are recorded
    # as household.admin_change below.
    area_fields, audit_changes = ("village",), False
    list_display = ["number", "village", "status", "category", "primary_cause", "exit_year"]
    list_filter = ["status", "category", "primary_cause", "housing_grade"]
    search_fields = ["number"]
    list_select_related = ["village"]
    raw_id_fields = ["village"]
    inlines = [MemberInline, IncomeInline]
    show_full_result_count = False  # a COUNT(*) over a million rows on every page is not worth it

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.households(super().get_queryset(request), request.user)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = Household.objects.filter(pk=obj.pk).values_list("village_id", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        _audit_edit(request, "household", obj.number, form, [before, obj.village_id])


def _audit_edit(request: HttpRequest, kind: str, object_id: str, form: Any, villages: list[str | None]) -> None:
    """An edit in the admin is a change of the register like an import's: one audit row, with the
    village(s) it touched (before and after a move), so their officers see it."""
    from jingzhun.audit import log as audit

    if form.changed_data:
        audit.record(request.user.get_username(), f"{kind}.admin_change", object_type=kind, object_id=object_id,
                     areas=[v for v in villages if v], address=client_address(request),
                     fields=sorted(form.changed_data))


@admin.register(Member)
class MemberAdmin(AreaWrites, admin.ModelAdmin):
    area_path, audit_changes = "household__village_id", False  # changes: member.admin_change below
    list_display = ["name", "household", "relation", "sex", "birth_date", "masked_id"]
    list_select_related = ["household"]
    search_fields = ["name", "household__number"]
    exclude = SENSITIVE
    readonly_fields = ["masked_id", "health_masked", "reveal_link"]
    raw_id_fields = ["household"]
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.households(super().get_queryset(request), request.user, "household__")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        before = (Member.objects.filter(pk=obj.pk).values_list("household__village_id", flat=True).first()
                  if change else None)
        super().save_model(request, obj, form, change)
        _audit_edit(request, "member", str(obj.pk), form, [before, obj.household.village_id])

    def get_list_display(self, request: HttpRequest) -> Any:
        return _birth_for(request, self.list_display)

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return SENSITIVE if sensitive.may_reveal(request.user) else [*SENSITIVE, "birth_date"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if sensitive.may_reveal(request.user) else [*self.readonly_fields, "birth_year"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "household":  # only into a household where the user writes the register
            kwargs["queryset"] = access.households(Household.objects.all(), request.user, ability=self.write_ability)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="证件号码")
    def masked_id(self, obj: Member) -> str:
        return sensitive.masked_resident_id(obj)

    @admin.display(description="出生年份")
    def birth_year(self, obj: Member) -> str:
        return str(obj.birth_date.year) if obj.birth_date else ""

    @admin.display(description="健康状况")
    def health_masked(self, obj: Member) -> str:
        return "＊＊（敏感信息，需授权查看）"

    @admin.display(description="查看敏感信息")
    def reveal_link(self, obj: Member) -> str:
        if obj.pk is None:
            return ""
        url = reverse("admin:registry_member_reveal", args=[obj.pk])
        return format_html('<a class="button" href="{}">查看（留痕）/ reveal (audited)</a>', url)

    def get_urls(self) -> list[Any]:
        return [path("<int:pk>/reveal/", self.admin_site.admin_view(self.reveal_view), name="registry_member_reveal"),
                *super().get_urls()]

    def reveal_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        member = get_object_or_404(self.get_queryset(request), pk=pk)  # scoped: other areas are a 404
        if request.method != "POST":
            # A reveal is an act that is audited: a GET (a prefetch, a link from elsewhere) only asks.
            return TemplateResponse(request, "admin/registry/reveal.html",
                                    {**self.admin_site.each_context(request), "member": member, "confirm": True})
        try:
            shown = sensitive.reveal(request.user, member, address=client_address(request))
        except PermissionDenied:
            return TemplateResponse(request, "admin/registry/reveal.html",
                                    {**self.admin_site.each_context(request), "member": member, "denied": True}, status=403)
        shown["health"] = HEALTH.zh(shown["health"])
        return TemplateResponse(request, "admin/registry/reveal.html",
                                {**self.admin_site.each_context(request), "member": member, "shown": shown})


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["id", "file_name", "actor", "mode", "started_at", "households_inserted", "households_updated",
                    "households_unchanged", "rejected_rows"]

    def get_queryset(self, request: HttpRequest) -> Any:
        # A batch has no area of its own and its figures count its whole file (a province's, perhaps): a
        # superuser sees every batch, anyone else the batches they imported themselves (the importer refused
        # whatever lay outside their areas). Narrowing by the villages a batch touched would still show the
        # whole file's totals.
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(actor=request.user.get_username())

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Change)
class ChangeAdmin(admin.ModelAdmin):
    list_display = ["batch", "household_number", "member_position", "field", "old_value", "new_value"]
    list_filter = ["field"]
    search_fields = ["household_number"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.households(super().get_queryset(request), request.user, "household__")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StatusEvent)
class StatusEventAdmin(admin.ModelAdmin):
    list_display = ["household", "status", "year", "reason", "recorded_at"]
    list_filter = ["status", "year"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return access.households(super().get_queryset(request).select_related("household"), request.user,
                                 "household__")
