"""Indicator values as versioned snapshots, and their sign-off (DHIS2-style approval).

Values are kept as validity ranges over snapshot versions: a row holds from `first_version` until
`last_version` (None: still current). A computation opens version n+1 and closes (sets `last_version = n`)
only the rows it replaces, so a one-village refresh writes a few dozen rows while every earlier version
stays readable exactly as it was: version k is the rows with first_version ≤ k and (last_version is null
or last_version ≥ k). A sign-off names the version its figures were submitted at; once approved that
version is what its pages show (frozen), whatever later versions say.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from jingzhun.choices import Enum

SNAPSHOT_KIND = Enum("snapshot_kind", (
    ("full", "全部重算", "full computation"),
    ("area", "区域重算", "computation of an area"),
    ("refresh", "村级刷新", "refresh of a village"),
))
SIGNOFF_STATE = Enum("signoff_state", (
    ("submitted", "已报送", "submitted"),
    ("returned", "已退回", "returned"),
    ("approved", "已审核", "approved"),
))
SIGNOFF_ACTION = Enum("signoff_action", (
    ("submit", "报送", "submit"),
    ("approve", "审核通过", "approve"),
    ("return", "退回", "return"),
))


class Snapshot(models.Model):
    """One computation: a new version of a period's values, with the data fingerprint it came from."""

    period = models.CharField("考核期", max_length=7)
    version = models.PositiveIntegerField("版本")
    kind = models.CharField("类型", max_length=10, choices=SNAPSHOT_KIND.choices)
    area_code = models.CharField("区划", max_length=12, blank=True)  # "" = everywhere
    engine = models.CharField("计算引擎", max_length=10)
    data_fingerprint = models.CharField("数据指纹", max_length=64)
    data_counts = models.JSONField("数据计数", default=dict)
    actor = models.CharField("操作人", max_length=150)
    created_at = models.DateTimeField("计算时间")
    seconds = models.FloatField("用时（秒）", default=0)
    units = models.PositiveIntegerField("考核对象数", default=0)
    rows = models.PositiveIntegerField("写入值数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "指标快照"
        constraints = [models.UniqueConstraint(fields=["period", "version"], name="one_snapshot_per_version")]

    def __str__(self) -> str:
        return f"{self.period} v{self.version}"


class Value(models.Model):
    """An indicator's value for one unit and period, valid over a range of versions."""

    period = models.CharField("考核期", max_length=7)
    unit_type = models.CharField("对象类型", max_length=10)
    unit = models.CharField("对象", max_length=20)  # an area code, a work team's id or a cadre's id
    area_code = models.CharField("所在区划", max_length=12)  # scoping: the area, the team's village, the cadre's area
    indicator = models.CharField("指标", max_length=32)
    numerator = models.FloatField("分子", null=True)
    denominator = models.FloatField("分母", null=True)
    value = models.FloatField("值", null=True)  # None: no value (nothing to divide by), never 0 in its place
    first_version = models.PositiveIntegerField("起始版本")
    last_version = models.PositiveIntegerField("截止版本", null=True)

    class Meta:
        verbose_name = verbose_name_plural = "指标值"
        indexes = [
            # Covering: a version reads every current value of its scope to compare (700,000 rows at 1 M
            # households), from this index alone, not from rows scattered among the closed ones. last_version
            # is in it for SQLite, which counts an index as covering only with every column the query names.
            models.Index(fields=["period", "unit_type", "area_code", "unit", "indicator", "numerator", "denominator",
                                 "value", "last_version"], condition=Q(last_version__isnull=True),
                         name="value_current_cover"),
            models.Index(fields=["period", "unit_type", "unit", "first_version"], name="value_unit_version"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(last_version__isnull=True) | Q(last_version__gte=models.F("first_version")),
                                   name="value_versions_ordered"),
        ]


class VillageParts(models.Model):
    """A village's additive counts and its households' per-capita incomes (int64 fen, sorted) for a period,
    versioned like the values: what a one-village refresh sums its ancestors from."""

    period = models.CharField("考核期", max_length=7)
    village = models.CharField("村", max_length=12)
    parts = models.JSONField("计数")
    incomes = models.BinaryField("人均纯收入（分）")
    first_version = models.PositiveIntegerField("起始版本")
    last_version = models.PositiveIntegerField("截止版本", null=True)

    class Meta:
        verbose_name = verbose_name_plural = "村级计数"
        indexes = [models.Index(fields=["period", "village"], condition=Q(last_version__isnull=True),
                                name="village_parts_current")]


class Signoff(models.Model):
    """A township's figures for a period on their way up: submitted, approved by the county, the city and the
    province in turn, or returned with a reason. `version` is the snapshot version submitted."""

    township = models.CharField("乡镇", max_length=12)
    period = models.CharField("考核期", max_length=7)
    version = models.PositiveIntegerField("报送版本")
    state = models.CharField("状态", max_length=10, choices=SIGNOFF_STATE.choices)
    level = models.CharField("已审核至", max_length=10, blank=True)  # county, city, province once approved
    reason = models.CharField("退回原因", max_length=500, blank=True)
    updated_by = models.CharField("操作人", max_length=150)
    updated_at = models.DateTimeField("操作时间")

    class Meta:
        verbose_name = verbose_name_plural = "指标审核"
        constraints = [
            models.UniqueConstraint(fields=["township", "period"], name="one_signoff_per_township_period"),
            models.CheckConstraint(condition=Q(state__in=SIGNOFF_STATE.codes), name="signoff_state_known"),
            models.CheckConstraint(condition=~Q(state="returned") | ~Q(reason=""), name="signoff_return_has_reason"),
            models.CheckConstraint(condition=~Q(state="approved") | Q(level__in=["county", "city", "province"]),
                                   name="signoff_approved_has_level"),
        ]


class SignoffStep(models.Model):
    """Every step taken on a sign-off: who, when, at which level, and why (a return)."""

    signoff = models.ForeignKey(Signoff, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("操作", max_length=10, choices=SIGNOFF_ACTION.choices)
    level = models.CharField("层级", max_length=10)
    version = models.PositiveIntegerField("版本")
    reason = models.CharField("原因", max_length=500, blank=True)
    actor = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "指标审核记录"
        ordering = ["signoff", "at", "id"]


# --------------------------------------------------------------------------- scoring, schemes and decisions
# (jingzhun.assessment.scheme_store, scoring_runs, decisions)

DECISION = Enum("assessment_decision", (
    ("promote", "优先提拔", "promote"),
    ("commend", "表彰", "commend"),
    ("talk", "约谈", "talk"),
    ("adjust", "调整", "adjust"),
    ("accountable", "追责问责", "hold accountable"),
    ("none", "不作处理", "no action"),
))
DECISION_SUBJECT = Enum("assessment_decision_subject", (
    ("shortlist", "提拔推荐", "promotion shortlist"),
    ("flag", "问责提示", "accountability flag"),
))


class SchemeFile(models.Model):
    """A scheme an officer uploaded (TOML, checked by schemes.parse_scheme against the catalogue before it is
    stored). `area_code` is the uploader's home area: who else may use it is decided by it (scheme_store)."""

    name_zh = models.CharField("方案名称", max_length=200)
    name_en = models.CharField("英文名称", max_length=200)
    unit_type = models.CharField("对象类型", max_length=10)
    year = models.PositiveIntegerField("年度")
    file_name = models.CharField("文件名", max_length=200)
    text = models.TextField("方案内容")
    sha256 = models.CharField("SHA-256", max_length=64)
    area_code = models.CharField("上传者区划", max_length=12, blank=True)  # "" = the operator's (everywhere)
    uploaded_by = models.CharField("上传人", max_length=150)
    uploaded_at = models.DateTimeField("上传时间")

    class Meta:
        verbose_name = verbose_name_plural = "考核方案"
        ordering = ["-uploaded_at", "-id"]


class ScoringRun(models.Model):
    """One scoring of a unit type for a year in an area under a scheme. The scheme's text is kept with the run,
    so what was scored stays readable whatever happens to the file; `versions` says which snapshot versions the
    values came from (the latest, and the frozen sign-off versions used instead for some townships)."""

    scheme_name = models.CharField("方案名称", max_length=200)
    scheme_name_en = models.CharField("方案英文名称", max_length=200)
    scheme_source = models.CharField("方案来源", max_length=100)  # "file:helper.toml" or "upload:12"
    scheme_text = models.TextField("方案内容")
    scheme_sha256 = models.CharField("方案摘要", max_length=64)
    unit_type = models.CharField("对象类型", max_length=10)
    year = models.PositiveIntegerField("年度")
    area_code = models.CharField("区划", max_length=12, blank=True)  # "" = everywhere
    versions = models.JSONField("快照版本", default=dict)
    grades = models.JSONField("等次", default=list)  # [[name_zh, name_en, minimum], ...] from the top down
    actor = models.CharField("操作人", max_length=150)
    created_at = models.DateTimeField("评分时间")
    units = models.PositiveIntegerField("考核对象数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "评分批次"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["unit_type", "year"], name="scoring_run_type_year")]

    @property
    def top_grade(self) -> str | None:
        return self.grades[0][0] if self.grades else None

    @property
    def lowest_grade(self) -> str | None:
        return self.grades[-1][0] if self.grades else None


class ScoreResult(models.Model):
    """One unit's score in a run, as `jingzhun.assessment.score` gave it, with the counts it lost points for
    (`deductions`: kind → count, None where the records to count it do not exist) and the confirmed violations
    found in the records (`violations`, whether the scheme deducts for them or not: the flags read them)."""

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="results")
    unit = models.CharField("对象", max_length=20)
    area_code = models.CharField("所在区划", max_length=12)
    version = models.PositiveIntegerField("快照版本")
    frozen = models.BooleanField("已审核冻结", default=False)
    total = models.FloatField("总分")
    points = models.JSONField("各项得分")
    missing = models.JSONField("无数据指标", default=list)
    deducted = models.FloatField("扣分")
    deductions = models.JSONField("扣分依据", default=dict)
    violations = models.JSONField("查实问题", default=dict)
    rank = models.PositiveIntegerField("名次")
    grade = models.CharField("等次", max_length=40, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "评分结果"
        ordering = ["run", "rank", "unit"]
        indexes = [models.Index(fields=["run", "area_code"], name="score_result_run_area"),
                   models.Index(fields=["unit", "run"], name="score_result_unit")]


class Decision(models.Model):
    """A decision on a shortlisted cadre or a flagged unit: what, why (required), when and who, audited."""

    subject = models.CharField("事由", max_length=10, choices=DECISION_SUBJECT.choices)
    unit_type = models.CharField("对象类型", max_length=10)
    unit = models.CharField("对象", max_length=20)
    area_code = models.CharField("所在区划", max_length=12)
    year = models.PositiveIntegerField("考核年度")
    decision = models.CharField("处理决定", max_length=12, choices=DECISION.choices)
    reason = models.TextField("理由")
    decided_on = models.DateField("决定日期")
    decided_by = models.CharField("决定人", max_length=150)
    created_at = models.DateTimeField("录入时间")

    class Meta:
        verbose_name = verbose_name_plural = "考核处理决定"
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(decision__in=DECISION.codes), name="decision_known"),
            models.CheckConstraint(condition=Q(subject__in=DECISION_SUBJECT.codes), name="decision_subject_known"),
            models.CheckConstraint(condition=~Q(reason=""), name="decision_has_reason"),
        ]
        indexes = [models.Index(fields=["unit_type", "unit", "year"], name="decision_unit_year")]
