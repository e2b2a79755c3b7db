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


# ---- above the teams app: links, village types, leadership, shortlists, secondments ----------------------

POST_LEVEL = Enum("post_level", (
    ("county", "县级", "county"),
    ("township", "乡级", "township"),
))
SHORTLIST_STATUS = Enum("shortlist_status", (
    ("open", "待决定", "open"),
    ("decided", "已决定", "decided"),
    ("withdrawn", "已撤回", "withdrawn"),
))


class UnitVillageLink(models.Model):
    """A unit's link to a village for a year (部门联点、定点帮扶): what it pledged and what it delivered.
    Money in integer fen (分), never floats."""

    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="links")
    village = models.ForeignKey(Area, verbose_name="村", on_delete=models.PROTECT, related_name="unit_links")
    year = models.PositiveSmallIntegerField("年度")
    funds_pledged_fen = models.BigIntegerField("承诺资金（分）", default=0)
    projects_pledged = models.PositiveIntegerField("承诺项目数", default=0)
    people_pledged = models.PositiveIntegerField("承诺派出人数", default=0)
    funds_delivered_fen = models.BigIntegerField("到位资金（分）", default=0)
    projects_delivered = models.PositiveIntegerField("完成项目数", default=0)
    people_delivered = models.PositiveIntegerField("实际派出人数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "单位联系村"
        indexes = [models.Index(fields=["village", "year"], name="link_village_year")]
        constraints = [
            models.UniqueConstraint(fields=["unit", "village", "year"], name="one_link_per_unit_village_year"),
            models.CheckConstraint(condition=Q(funds_pledged_fen__gte=0, funds_delivered_fen__gte=0),
                                   name="link_funds_not_negative"),
        ]

    @property
    def met(self) -> bool:
        return (self.funds_delivered_fen >= self.funds_pledged_fen and self.projects_delivered >= self.projects_pledged
                and self.people_delivered >= self.people_pledged)


class VillageType(models.Model):
    """A village type of the editable typology (产业薄弱、基础设施薄弱、易地搬迁、党组织软弱…) and the skills
    (teams.SKILL codes, comma-joined in SKILL order) its work team needs."""

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=40)
    name_en = models.CharField("英文名称", max_length=60, blank=True)
    skills = models.CharField("所需专长", max_length=160, blank=True)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "村类型"
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class VillageTyping(models.Model):
    """A village classed as a type (a village may be several)."""

    village = models.ForeignKey(Area, verbose_name="村", on_delete=models.PROTECT, related_name="typings")
    village_type = models.ForeignKey(VillageType, verbose_name="类型", on_delete=models.PROTECT,
                                     related_name="typings")

    class Meta:
        verbose_name = verbose_name_plural = "村类型认定"
        constraints = [models.UniqueConstraint(fields=["village", "village_type"], name="one_typing_per_village_type")]


class PostKind(models.Model):
    """A post of a county's or township's leadership (an editable list: 县委书记, 县长, 副县长…) and how many
    seats an area has of it."""

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("职务名称", max_length=40)
    name_en = models.CharField("英文名称", max_length=60, blank=True)
    level = models.CharField("层级", max_length=10, choices=POST_LEVEL.choices)
    seats = models.PositiveSmallIntegerField("职数", default=1)
    order = models.PositiveSmallIntegerField("排序", default=0)
    active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "领导职务"
        ordering = ["level", "order", "code"]
        constraints = [models.CheckConstraint(condition=Q(level__in=POST_LEVEL.codes), name="post_level_known"),
                       models.CheckConstraint(condition=Q(seats__gte=1), name="post_has_a_seat")]

    def __str__(self) -> str:
        return self.name


class PostHolding(models.Model):
    """Who held a post in an area, from when to when (open while serving)."""

    area = models.ForeignKey(Area, verbose_name="区划", on_delete=models.PROTECT, related_name="post_holdings")
    post = models.ForeignKey(PostKind, verbose_name="职务", on_delete=models.PROTECT, related_name="holdings")
    cadre = models.ForeignKey("teams.Cadre", verbose_name="任职干部", on_delete=models.PROTECT,
                              related_name="post_holdings")
    start_date = models.DateField("任职日期")
    end_date = models.DateField("离任日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "领导班子成员"
        indexes = [models.Index(fields=["area", "post"], condition=Q(end_date__isnull=True), name="holding_open")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="holding_ends_after_start"),
            models.UniqueConstraint(fields=["area", "post", "cadre"], condition=Q(end_date__isnull=True),
                                    name="one_open_holding_per_cadre_post"),
        ]


class Shortlist(models.Model):
    """Candidates for a vacancy, built from the records by the profile's criteria (`shortlists.build`), and
    the decision taken on it with its reason."""

    area = models.ForeignKey(Area, verbose_name="区划", on_delete=models.PROTECT, related_name="shortlists")
    post = models.ForeignKey(PostKind, verbose_name="职务", on_delete=models.PROTECT, related_name="shortlists")
    criteria = models.JSONField("条件", default=dict)
    basis = models.CharField("依据", max_length=200)
    created_by = models.CharField("生成人", max_length=150)
    created_at = models.DateTimeField("生成时间")
    status = models.CharField("状态", max_length=10, choices=SHORTLIST_STATUS.choices, default="open")
    chosen = models.ForeignKey("teams.Cadre", verbose_name="决定人选", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    decided_by = models.CharField("决定人", max_length=150, blank=True)
    decided_at = models.DateTimeField("决定时间", null=True, blank=True)
    reason = models.CharField("理由", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "人选名单"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=SHORTLIST_STATUS.codes), name="shortlist_status_known"),
            models.CheckConstraint(condition=~Q(status="decided") | (Q(chosen__isnull=False) & ~Q(reason="")),
                                   name="decision_has_choice_and_reason"),
        ]


class ShortlistEntry(models.Model):
    shortlist = models.ForeignKey(Shortlist, on_delete=models.CASCADE, related_name="entries")
    cadre = models.ForeignKey("teams.Cadre", verbose_name="干部", on_delete=models.PROTECT, related_name="+")
    rank = models.PositiveSmallIntegerField("排序")
    evidence = models.JSONField("依据", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "人选"
        ordering = ["shortlist", "rank"]
        constraints = [models.UniqueConstraint(fields=["shortlist", "cadre"], name="one_entry_per_cadre")]


class Secondment(models.Model):
    """A cadre seconded (挂职) from a unit and area to an area's post for a term, with its purpose."""

    cadre = models.ForeignKey("teams.Cadre", verbose_name="干部", on_delete=models.PROTECT, related_name="secondments")
    from_unit = models.ForeignKey(Unit, verbose_name="派出单位", on_delete=models.PROTECT, related_name="secondments")
    from_area = models.ForeignKey(Area, verbose_name="派出地", on_delete=models.PROTECT, related_name="+")
    to_area = models.ForeignKey(Area, verbose_name="挂职地", on_delete=models.PROTECT, related_name="secondments_in")
    post = models.CharField("挂职职务", max_length=60)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("期满日期")
    purpose = models.CharField("挂职目的", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "挂职"
        indexes = [models.Index(fields=["to_area", "end_date"], name="secondment_to_end"),
                   models.Index(fields=["start_date"], name="secondment_start")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="secondment_ends_after_start"),
            models.UniqueConstraint(fields=["cadre", "to_area", "start_date"], name="one_secondment_per_start"),
        ]
