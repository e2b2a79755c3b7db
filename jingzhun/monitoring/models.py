"""Monitoring cases (防止返贫动态监测): a household found at risk, how it was found, and its way through
check, decision, assistance and risk elimination.

A household has at most one case in progress (a database constraint): a household found again — by a
second trigger, a later screening, a department list or its own report — adds a `Trigger` to the case it
already has, never a second case. Each state change is a `CaseStep` (who, when, what) and an audit row,
written only by `jingzhun.monitoring.cases`.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from jingzhun.areas.models import Area
from jingzhun.monitoring.kinds import EXPENSE, KIND, OPEN_STATES, SOURCE, STATE, TRIGGER
from jingzhun.registry.models import Household, money


class Case(models.Model):
    household = models.ForeignKey(Household, verbose_name="户", on_delete=models.PROTECT,
                                  related_name="monitoring_cases")
    # The household's village when the case was opened: what scoping, deadlines and notices use.
    village = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT,
                                related_name="monitoring_cases", db_index=False)  # (village, state) serves
    year = models.PositiveSmallIntegerField("监测年度")
    source = models.CharField("发现途径", max_length=12, choices=SOURCE.choices)
    kind = models.CharField("监测对象类型", max_length=10, choices=KIND.choices)
    state = models.CharField("环节", max_length=12, choices=STATE.choices, default="open")
    opened_on = models.DateField("发现日期")
    check_due = models.DateField("核实期限")
    decide_due = models.DateField("认定期限")
    checked_on = models.DateField("核实日期", null=True, blank=True)
    decided_on = models.DateField("认定日期", null=True, blank=True)
    monitored_since = models.DateField("纳入监测日期", null=True, blank=True)
    closed_on = models.DateField("结案日期", null=True, blank=True)
    # The household's status before it was monitored: what risk elimination gives back.
    status_before = models.CharField("纳入前户状态", max_length=12, blank=True)
    application_id = models.IntegerField("识别申请", null=True, blank=True)  # the appraisal application, kind monitor
    created_by = models.CharField("录入人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "监测对象"
        # Every list is scoped by village first (a range on the code), then narrowed by state and date; a
        # screening inserts hundreds of thousands of cases, so no index more than the lists need.
        indexes = [models.Index(fields=["village", "state"], name="monitoring_village_state")]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(state__in=OPEN_STATES),
                                    name="monitoring_one_case_per_household"),
            models.CheckConstraint(condition=Q(state__in=STATE.codes), name="monitoring_state_known"),
            models.CheckConstraint(condition=Q(kind__in=KIND.codes), name="monitoring_kind_known"),
            models.CheckConstraint(condition=Q(source__in=SOURCE.codes), name="monitoring_source_known"),
            models.CheckConstraint(condition=Q(decide_due__gte=models.F("check_due")),
                                   name="monitoring_deadlines_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.household_id} {STATE.zh(self.state)}"


class Trigger(models.Model):
    """What found the household, once per trigger and year: the evidence the check starts from."""

    case = models.ForeignKey(Case, verbose_name="监测对象", on_delete=models.CASCADE, related_name="triggers")
    code = models.CharField("触发条件", max_length=24, choices=TRIGGER.choices)
    source = models.CharField("发现途径", max_length=12, choices=SOURCE.choices)
    year = models.PositiveSmallIntegerField("年度")
    found_on = models.DateField("发现日期")
    # The figures the trigger compared, in fen: per-capita income and the line, or rigid expenses and the
    # policy's share of income; a department signal names its hit.
    value_fen = models.BigIntegerField("数值（分）", null=True, blank=True)
    threshold_fen = models.BigIntegerField("标准（分）", null=True, blank=True)
    hit_id = models.IntegerField("比对命中", null=True, blank=True)
    detail = models.JSONField("依据", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "触发记录"
        constraints = [models.UniqueConstraint(fields=["case", "code", "year"], name="monitoring_trigger_once"),
                       models.CheckConstraint(condition=Q(code__in=TRIGGER.codes), name="monitoring_trigger_known")]


class CaseStep(models.Model):
    case = models.ForeignKey(Case, verbose_name="监测对象", on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("操作", max_length=24)
    from_state = models.CharField("原环节", max_length=12, blank=True)
    to_state = models.CharField("新环节", max_length=12)
    actor = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("时间", auto_now_add=True)
    on = models.DateField("业务日期")
    reason = models.TextField("说明", blank=True)
    detail = models.JSONField("内容", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "监测办理记录"
        ordering = ["case", "id"]


class RigidExpense(models.Model):
    """A household's rigid expenses of a year beyond the register's medical spending (its income record):
    schooling and disaster, as reported or checked. The screening adds them to the medical spending."""

    household = models.ForeignKey(Household, verbose_name="户", on_delete=models.CASCADE,
                                  related_name="rigid_expenses")
    year = models.PositiveSmallIntegerField("年度")
    schooling = money("教育支出（元）")
    disaster = money("灾害损失支出（元）")
    recorded_by = models.CharField("录入人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "刚性支出"
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="monitoring_one_expense_year"),
                       models.CheckConstraint(condition=Q(schooling__gte=0) & Q(disaster__gte=0),
                                              name="monitoring_expense_not_negative")]


class EliminationNotice(models.Model):
    """The public notice of a risk elimination (风险消除公示), as published."""

    case = models.ForeignKey(Case, verbose_name="监测对象", on_delete=models.CASCADE, related_name="notices")
    starts_on = models.DateField("公示开始")
    ends_on = models.DateField("公示截止")  # the last day, inclusive
    contact = models.CharField("异议受理", max_length=200)
    published_by = models.CharField("发布人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "风险消除公示"
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")),
                                              name="monitoring_notice_ordered")]


__all__ = ["EXPENSE", "Case", "CaseStep", "EliminationNotice", "RigidExpense", "Trigger"]
