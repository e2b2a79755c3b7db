"""A third-party evaluation (第三方评估): its design, its frame's never-registered households, the drawn villages
and households with their inclusion probabilities and weights, and the evaluators' findings.

The register holds only registered households (建档立卡户: poor, exited, monitored, removed); a never-registered
household exists nowhere in it. The evaluation frame is therefore two lists: the register's exited households
of the evaluated counties, and the villages' never-registered households (`FrameHousehold`), imported from each
village's household roster (农户花名册) through the one import subsystem. Every table carries the village code,
so access.py scopes it as it scopes the register.
"""

from __future__ import annotations

from django.db import models

from jingzhun.areas.models import Area
from jingzhun.choices import Enum
from jingzhun.registry.models import Household

GROUP = Enum("evaluation_group", (
    ("exited", "已脱贫户", "exited household"),
    ("other", "非建档立卡户", "never-registered household"),
))
GROUP_CODES = ("exited", "other")  # index = design.EXITED, design.OTHER
FINDINGS = ("income_verified", "guarantees_met", "wrongly_exited", "missed_poor", "satisfied")


class FrameHousehold(models.Model):
    """A never-registered household of a village (from its roster), for the evaluation frame."""

    number = models.CharField("户编号", max_length=32, unique=True)
    village = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    head_name = models.CharField("户主姓名", max_length=50, blank=True)
    size = models.PositiveSmallIntegerField("人口", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "非建档立卡户"
        indexes = [models.Index(fields=["village"], name="eval_frame_village")]


class Evaluation(models.Model):
    name = models.CharField("名称", max_length=100)
    year = models.PositiveSmallIntegerField("评估年度")
    area = models.ForeignKey(Area, verbose_name="评估范围", on_delete=models.PROTECT, related_name="+")
    seed = models.BigIntegerField("随机种子")
    households_per_county = models.PositiveIntegerField("每县样本户数", default=1000)
    households_per_village = models.PositiveIntegerField("每村样本户数", default=20)
    exited_share = models.FloatField("已脱贫户比例", default=0.5)
    created_by = models.CharField("创建人", max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "第三方评估"
        constraints = [
            models.CheckConstraint(condition=models.Q(exited_share__gte=0, exited_share__lte=1), name="eval_share_0_1"),
        ]

    def __str__(self) -> str:
        return self.name


class SampledVillage(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="villages")
    village = models.ForeignKey(Area, verbose_name="村", on_delete=models.PROTECT, related_name="+")
    county = models.CharField("县代码", max_length=12)
    exited = models.PositiveIntegerField("框内已脱贫户")
    other = models.PositiveIntegerField("框内非建档立卡户")
    probability = models.FloatField("入样概率")
    certainty = models.BooleanField("必选村")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "village"], name="eval_village_once"),
            models.CheckConstraint(condition=models.Q(probability__gt=0, probability__lte=1), name="eval_village_prob"),
        ]


class SampledHousehold(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="households")
    village = models.ForeignKey(Area, verbose_name="村", on_delete=models.PROTECT, related_name="+")
    county = models.CharField("县代码", max_length=12)
    number = models.CharField("户编号", max_length=32)
    group = models.CharField("类别", max_length=8, choices=GROUP.choices)
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    frame_household = models.ForeignKey(FrameHousehold, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    probability = models.FloatField("入样概率")
    weight = models.FloatField("权数")
    stratum = models.BigIntegerField("层")
    cluster = models.BigIntegerField("群")
    # Findings (评估结论): empty until the evaluator records them.
    income_verified = models.BooleanField("收入核实无误", null=True, blank=True)
    guarantees_met = models.BooleanField("两不愁三保障达标", null=True, blank=True)
    wrongly_exited = models.BooleanField("错退", null=True, blank=True)
    missed_poor = models.BooleanField("漏评", null=True, blank=True)
    satisfied = models.BooleanField("认可", null=True, blank=True)
    recorded_by = models.CharField("记录人", max_length=150, blank=True)
    recorded_at = models.DateTimeField("记录时间", null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "number"], name="eval_household_once"),
            models.CheckConstraint(condition=models.Q(probability__gt=0, probability__lte=1), name="eval_household_prob"),
            models.CheckConstraint(condition=models.Q(weight__gte=1), name="eval_household_weight"),
        ]
        indexes = [models.Index(fields=["evaluation", "village"], name="eval_household_village")]
