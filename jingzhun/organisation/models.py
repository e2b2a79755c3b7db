"""Units and the organisation department's records (配班子、部门联点、挂职).

Two layers live in this app. `Unit` and `UnitReview` sit *below* the teams app: a cadre's sending unit
(`teams.Cadre.sending_unit`) points here, and the roster import attaches units through
`jingzhun.organisation.units`, which imports nothing above the area tree. Everything else here (links,
village types, leadership posts, shortlists, secondments) builds on cadres and teams and refers to them by
their model labels, so this module never imports the teams app.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from jingzhun.areas.models import Area
from jingzhun.choices import UNIT_KIND, Enum

UNIT_LEVEL = Enum("unit_level", (
    ("central", "中央", "central"),
    ("province", "省级", "provincial"),
    ("city", "市级", "city"),
    ("county", "县级", "county"),
    ("township", "乡级", "township"),
))
REVIEW_STATUS = Enum("unit_review_status", (
    ("open", "待核实", "to resolve"),
    ("merged", "已合并", "merged"),
    ("distinct", "确认为不同单位", "kept distinct"),
))


class Unit(models.Model):
    """A unit that sends cadres or supports villages (派出单位、帮扶单位): a department, a body, a central
    unit, an East–West partner, an enterprise. `area` is where the unit belongs in the area tree (a county
    body: its county; a provincial department, central unit or partner: the province it supports) — who may
    see and edit it, by the area rule. A unit found to duplicate another is not deleted: it points to the
    one kept (`merged_into`), so every name ever typed stays findable."""

    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("单位类别", max_length=16, choices=UNIT_KIND.choices)
    level = models.CharField("层级", max_length=10, choices=UNIT_LEVEL.choices)
    area = models.ForeignKey(Area, verbose_name="所属区划", on_delete=models.PROTECT, related_name="units")
    merged_into = models.ForeignKey("self", verbose_name="已并入", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="merged")

    class Meta:
        verbose_name = verbose_name_plural = "单位"
        indexes = [models.Index(fields=["area", "kind"], name="unit_area_kind")]
        constraints = [
            models.UniqueConstraint(fields=["name", "kind", "area"], name="one_unit_per_name_kind_area"),
            models.CheckConstraint(condition=Q(kind__in=UNIT_KIND.codes), name="unit_kind_known"),
            models.CheckConstraint(condition=Q(level__in=UNIT_LEVEL.codes), name="unit_level_known"),
            models.CheckConstraint(condition=~Q(name=""), name="unit_has_name"),
            models.CheckConstraint(condition=~Q(merged_into=F("id")), name="unit_not_merged_into_itself"),
        ]

    def __str__(self) -> str:
        return self.name


class UnitReview(models.Model):
    """Units whose names may be one unit written differently (the same name at two levels; spellings that
    differ only by spaces or full-width characters): listed for an officer, never merged silently."""

    key = models.CharField("规范化名称", max_length=100, unique=True)
    unit_ids = models.JSONField("单位", default=list)
    reason = models.CharField("原因", max_length=200)
    status = models.CharField("状态", max_length=10, choices=REVIEW_STATUS.choices, default="open")
    kept = models.ForeignKey(Unit, verbose_name="保留单位", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+")
    decided_by = models.CharField("处理人", max_length=150, blank=True)
    decided_at = models.DateTimeField("处理时间", null=True, blank=True)
    note = models.CharField("处理说明", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "待核实单位"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=REVIEW_STATUS.codes), name="unit_review_status_known"),
            models.CheckConstraint(condition=~Q(status="merged") | Q(kept__isnull=False), name="merged_review_keeps"),
        ]
