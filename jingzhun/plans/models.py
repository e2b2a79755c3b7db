"""The household help plan (一户一策) and its measures (措施到户).

One plan per household and year, a goal, and measures tagged with a category: the "five batches"
(五个一批) or a sector measure. What must always hold is a database constraint: one plan per household
and year, amounts ≥ 0, a completion date exactly when a measure is done, an approval with both who and
when. Rules that need the user or today's date (year range, due dates, scope) are the service's
(`jingzhun.plans.services`), the only code that writes these tables.

`HelpPlan.goal` and the `PlanMeasure` rows hold the content IN FORCE: once a plan is approved, what they say
is what was approved, and reports read them. Every saved change is a `PlanRevision` (never updated except
to record its decision, never deleted): a change to an approved plan's content waits there as a pending
revision until an officer approves it, and only then reaches the plan and its measures.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from jingzhun.choices import Enum
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre

# Codes shared with the visit measures (jingzhun.teams.models.MEASURE) where the concept is the same:
# relocation, ecology, education, health, social, housing, credit, water, other.
MEASURE_CATEGORY = Enum("measure_category", (
    ("production", "发展生产和就业", "production and employment"),
    ("relocation", "易地扶贫搬迁", "relocation"),
    ("ecology", "生态补偿", "ecological compensation"),
    ("education", "发展教育", "education"),
    ("social", "社会保障兜底", "social-security safety net"),
    ("health", "健康扶贫", "health"),
    ("housing", "危房改造", "housing repair"),
    ("credit", "扶贫小额信贷", "microcredit"),
    ("welfare_job", "公益岗位", "public-welfare job"),
    ("training", "技能培训", "skills training"),
    ("water", "饮水安全", "safe drinking water"),
    ("other", "其他", "other"),
))
# The five batches (五个一批); the other categories are sector measures.
FIVE_BATCHES = ("production", "relocation", "ecology", "education", "social")
MEASURE_STATUS = Enum("measure_status", (
    ("planned", "计划", "planned"),
    ("in_progress", "实施中", "in progress"),
    ("done", "已完成", "done"),
    ("cancelled", "已取消", "cancelled"),
))

# Cause of poverty (choices.CAUSE) → the measure categories that address it. A helper sees which of the
# household's causes no live (not cancelled) measure addresses yet. "other" is addressed by any measure.
CAUSE_MEASURES: dict[str, frozenset[str]] = {
    "illness": frozenset({"health", "social"}),
    "disability": frozenset({"health", "social", "welfare_job"}),
    "schooling": frozenset({"education"}),
    "disaster": frozenset({"housing", "relocation", "social", "production"}),
    "marriage": frozenset({"production", "credit", "social"}),
    "land": frozenset({"production", "relocation", "ecology"}),
    "water": frozenset({"water", "relocation"}),
    "skills": frozenset({"training", "production"}),
    "capital": frozenset({"credit", "production"}),
    "labour": frozenset({"welfare_job", "social", "production"}),
    "transport": frozenset({"relocation", "production"}),
    "motivation": frozenset({"production", "training", "welfare_job"}),
    "other": frozenset(MEASURE_CATEGORY.codes),
}

# Database bounds on a plan's year, wider than the service's (2013 … next year): a wrong century is never stored.
YEAR_MIN, YEAR_MAX = 2000, 2100


class HelpPlan(models.Model):
    household = models.ForeignKey(Household, verbose_name="贫困户", on_delete=models.PROTECT, related_name="plans")
    year = models.PositiveSmallIntegerField("年度")
    goal = models.TextField("帮扶目标")
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="制定人", on_delete=models.PROTECT,
                                   related_name="+")
    drafted_at = models.DateTimeField("制定时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField("审核时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "帮扶计划"
        constraints = [
            models.UniqueConstraint(fields=["household", "year"], name="one_plan_per_household_year"),
            models.CheckConstraint(condition=Q(year__gte=YEAR_MIN, year__lte=YEAR_MAX), name="plan_year_sane"),
            models.CheckConstraint(condition=Q(approved_by__isnull=True, approved_at__isnull=True)
                                   | Q(approved_by__isnull=False, approved_at__isnull=False),
                                   name="plan_approval_has_who_and_when"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}"


class PlanMeasure(models.Model):
    """A measure of a plan. Never deleted: a measure given up is cancelled, and stays in the history."""

    plan = models.ForeignKey(HelpPlan, verbose_name="帮扶计划", on_delete=models.CASCADE, related_name="measures")
    category = models.CharField("措施类别", max_length=12, choices=MEASURE_CATEGORY.choices)
    description = models.CharField("措施内容", max_length=200)
    amount = models.DecimalField("计划金额（元）", max_digits=12, decimal_places=2, default=0)
    cadre = models.ForeignKey(Cadre, verbose_name="责任干部", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="plan_measures")
    due_on = models.DateField("计划完成日期", null=True, blank=True)
    status = models.CharField("状态", max_length=12, choices=MEASURE_STATUS.choices, default="planned")
    done_on = models.DateField("完成日期", null=True, blank=True)
    result = models.TextField("实施成效", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "帮扶措施"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="measure_amount_not_negative"),
            models.CheckConstraint(condition=Q(category__in=MEASURE_CATEGORY.codes), name="measure_category_known"),
            models.CheckConstraint(condition=Q(status__in=MEASURE_STATUS.codes), name="measure_status_known"),
            models.CheckConstraint(condition=Q(status="done", done_on__isnull=False)
                                   | (~Q(status="done") & Q(done_on__isnull=True)),
                                   name="measure_done_on_iff_done"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id}: {self.description}"


# What became of a saved change (PlanRevision.status).
REVISION_STATUS = Enum("revision_status", (
    ("draft", "草稿修改", "draft change"),  # content of a plan never approved yet: applied at once
    ("progress", "进展更新", "progress update"),  # status, completion date, result: applied, needs no approval
    ("pending", "待审核", "awaiting approval"),  # content change of an approved plan: not in force yet
    ("approved", "已审核", "approved"),  # in force
    ("superseded", "已被替换", "superseded"),  # replaced by a later proposal before it was approved
    ("withdrawn", "已撤回", "withdrawn"),  # the form was saved back to what is in force
    ("rejected", "未通过", "rejected"),  # the approver turned it down
))
REVISION_DECIDED = ("approved", "rejected")


class PlanRevision(models.Model):
    """One saved change of a plan: who made it and when, each changed field old → new, and what became of
    it (`REVISION_STATUS`). `changes` is {"goal": [old, new]} (when the goal changed) and "measures": a list
    of {"id": measure id, or null for a measure this change adds, "row": its number on the form,
    "fields": {field: [old, new]}} with values as JSON (amounts as text, dates ISO) and, for display,
    "cadres": {id: name} of the cadres named. A pending revision's "new" values are what its approval puts
    in force, provided the "old" ones still are."""

    plan = models.ForeignKey(HelpPlan, verbose_name="帮扶计划", on_delete=models.CASCADE, related_name="revisions")
    status = models.CharField("状态", max_length=12, choices=REVISION_STATUS.choices)
    changes = models.JSONField("修改内容")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="修改人", on_delete=models.PROTECT,
                                    related_name="+")
    proposed_at = models.DateTimeField("修改时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="审核人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    superseded_by = models.ForeignKey("self", verbose_name="被替换为", null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "帮扶计划修改记录"
        constraints = [
            models.CheckConstraint(condition=Q(status__in=REVISION_STATUS.codes), name="revision_status_known"),
            # At most one proposal waits per plan: a newer one supersedes it.
            models.UniqueConstraint(fields=["plan"], condition=Q(status="pending"), name="one_pending_revision_per_plan"),
            # A decision (approved, rejected) has who and when; nothing else has either.
            models.CheckConstraint(condition=(Q(status__in=REVISION_DECIDED, decided_by__isnull=False,
                                                decided_at__isnull=False)
                                              | (~Q(status__in=REVISION_DECIDED) & Q(decided_by__isnull=True,
                                                                                     decided_at__isnull=True))),
                                   name="revision_decision_has_who_and_when"),
            models.CheckConstraint(condition=Q(status="superseded", superseded_by__isnull=False)
                                   | (~Q(status="superseded") & Q(superseded_by__isnull=True)),
                                   name="revision_superseded_names_its_successor"),
        ]
        indexes = [models.Index(fields=["plan", "proposed_at"], name="revision_plan_time")]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.pk} {self.status}"
