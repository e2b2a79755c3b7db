"""Identification runs and their per-household results, versioned: a run records which policy (its
content and SHA-256), which data (a fingerprint), which engine, when and by whom; results are never
overwritten, so every earlier run stays readable next to the new one."""

from __future__ import annotations

from fractions import Fraction

from django.db import models

from jingzhun.identification import codes
from jingzhun.registry.models import Household

STATUS_CHOICES = [(code, label) for code, label in codes.STATUS_LABELS.items()]


class IdentificationRun(models.Model):
    policy_name = models.CharField("政策名称", max_length=200)
    policy_year = models.PositiveSmallIntegerField("政策年度")
    policy_scope = models.CharField("政策范围", max_length=12)
    policy_area = models.CharField("政策区划", max_length=12, blank=True)
    policy_sha256 = models.CharField("政策摘要", max_length=64)
    # The policy as it was run (canonical JSON): renders the reasons of this run's results later,
    # whatever happened to the policy file since.
    policy = models.JSONField("政策内容")
    year = models.PositiveSmallIntegerField("数据年度")
    area_code = models.CharField("识别范围", max_length=12, blank=True)
    data_fingerprint = models.CharField("数据指纹", max_length=64)
    data_counts = models.JSONField("数据规模", default=dict)
    engine = models.CharField("引擎", max_length=12)
    actor = models.CharField("操作人", max_length=150)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True)
    seconds = models.FloatField("用时（秒）", default=0)
    mpi_denominator = models.PositiveBigIntegerField("多维得分分母", default=0)
    households = models.PositiveIntegerField("户数", default=0)
    poor = models.PositiveIntegerField("贫困户数", default=0)
    monitored = models.PositiveIntegerField("监测户数", default=0)
    not_poor = models.PositiveIntegerField("非贫困户数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "识别批次"
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.policy_name} {self.year} ({self.engine}, {self.started_at:%Y-%m-%d %H:%M})"


class HouseholdResult(models.Model):
    """One household in one run, as codes (jingzhun.identification.codes); `reasons()` gives the words.

    Keyed by (run, household): no id of its own, since ten million results a run would otherwise pay
    for a sequence, a column and an index nobody reads. On PostgreSQL the table is partitioned by run
    (`jingzhun.identification.store`): a run's results are written into a table of their own, which
    becomes visible whole when it is attached, and are discarded by dropping it."""

    pk = models.CompositePrimaryKey("run", "household")
    # No database constraints: a run's results live and die with their run (`store.discard`), and
    # a result is a record of what was decided, kept even if the household later leaves the register;
    # ten million key checks would only slow the bulk write.
    run = models.ForeignKey(IdentificationRun, verbose_name="识别批次", on_delete=models.CASCADE,
                            related_name="results", db_constraint=False, db_index=False)
    household = models.ForeignKey(Household, verbose_name="户", on_delete=models.DO_NOTHING,
                                  db_constraint=False, db_index=False, related_name="+")
    size = models.PositiveSmallIntegerField("人口数")
    net_income = models.DecimalField("家庭纯收入（元）", max_digits=14, decimal_places=2, null=True)
    per_capita_income = models.DecimalField("人均纯收入（元）", max_digits=14, decimal_places=2, null=True)
    status = models.PositiveSmallIntegerField("识别结果", choices=STATUS_CHOICES)
    guarantee_failures = models.PositiveIntegerField("未达保障（位）", default=0)
    exclusions = models.PositiveIntegerField("比对命中（位）", default=0)
    deprivations = models.BigIntegerField("多维剥夺（位）", default=0)
    mpi_points = models.BigIntegerField("多维得分（分子）", default=0)
    reasons = models.PositiveIntegerField("原因代码", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "识别结果"

    def reason_texts(self) -> list[str]:
        return codes.render(self.run.policy, per_capita_income=self.per_capita_income, size=self.size,
                            reasons=self.reasons, guarantee_failures=self.guarantee_failures,
                            exclusions=self.exclusions, deprivations=self.deprivations,
                            mpi_points=self.mpi_points, mpi_denominator=self.run.mpi_denominator)

    @property
    def mpi_score(self) -> Fraction | None:
        """The exact weighted deprivation score (None when the run's policy has no index)."""
        denominator = int(self.run.mpi_denominator)
        return Fraction(int(self.mpi_points), denominator) if denominator else None
