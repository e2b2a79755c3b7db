"""The household help plan (一户一策) and its measures (措施到户).

One plan per household and year, a goal, and measures tagged with a category: the "five batches"
(五个一批) or a sector measure. What must always hold is a database constraint: one plan per household
and year, amounts ≥ 0, a completion date exactly when a measure is done, an approval with both who and
when. Rules that need the user or today's date (year range, due dates, scope) are the service's
(`jingzhun.plans.services`), the only code that writes these tables.
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
