"""Cadre training (干部培训): courses, who enrolled, their attendance and completion.

A course belongs to the area that organised it (its scope: who may see and edit the course); an enrolment
belongs to its cadre, and is seen and written by whoever holds the cadre's stationed area (`Cadre.home_area`).
Hours are kept in tenths of an hour as integers (a half-day is 3.5 hours; floats would not add up exactly).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from jingzhun.areas.models import Area
from jingzhun.choices import Enum
from jingzhun.teams.models import Cadre

POVERTY_WORK = "poverty_work"
TOPIC = Enum("training_topic", (
    (POVERTY_WORK, "脱贫攻坚业务", "poverty-alleviation work"),
    ("industry", "产业发展", "industry development"),
    ("party_building", "基层党建", "party building"),
    ("ecommerce", "电子商务", "e-commerce"),
    ("health", "健康扶贫", "health"),
    ("education", "教育扶贫", "education"),
    ("governance", "乡村治理", "village governance"),
    ("other", "其他", "other"),
))
COURSE_KIND = Enum("course_kind", (
    ("thematic", "专题培训", "thematic course"),
    ("study_tour", "外出考察", "study tour"),
    ("on_site", "现场培训", "on-site training"),
))
ENROLMENT_STATUS = Enum("enrolment_status", (
    ("enrolled", "已报名", "enrolled"),
    ("completed", "已结业", "completed"),
    ("incomplete", "未结业", "not completed"),
    ("absent", "缺席", "absent"),
))
COMPLETED = "completed"
MAX_TENTHS = 10_000  # 1,000 hours: no course is longer


class Course(models.Model):
    code = models.CharField("班次编号", max_length=32, unique=True)
    title = models.CharField("培训班名称", max_length=120)
    topic = models.CharField("主题", max_length=16, choices=TOPIC.choices)
    kind = models.CharField("类型", max_length=12, choices=COURSE_KIND.choices)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    hours_tenths = models.PositiveIntegerField("学时（0.1小时）")
    place = models.CharField("地点", max_length=120)
    organiser = models.CharField("主办单位", max_length=120)
    area = models.ForeignKey(Area, verbose_name="主办区划", on_delete=models.PROTECT, related_name="courses")

    class Meta:
        verbose_name = verbose_name_plural = "培训班"
        indexes = [models.Index(fields=["area", "start_date"], name="course_area_start")]
        constraints = [
            models.CheckConstraint(condition=Q(end_date__gte=F("start_date")), name="course_ends_after_start"),
            models.CheckConstraint(condition=Q(topic__in=TOPIC.codes), name="course_topic_known"),
            models.CheckConstraint(condition=Q(kind__in=COURSE_KIND.codes), name="course_kind_known"),
            models.CheckConstraint(condition=Q(hours_tenths__gt=0, hours_tenths__lte=MAX_TENTHS),
                                   name="course_hours_range"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def hours(self) -> float:
        return self.hours_tenths / 10

    @property
    def topic_label(self) -> str:
        return TOPIC.label(self.topic)

    @property
    def kind_label(self) -> str:
        return COURSE_KIND.label(self.kind)


class Enrolment(models.Model):
    """A cadre on a course's roster: attended hours (tenths) and the outcome."""

    course = models.ForeignKey(Course, verbose_name="培训班", on_delete=models.PROTECT, related_name="enrolments")
    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="enrolments")
    status = models.CharField("状态", max_length=12, choices=ENROLMENT_STATUS.choices, default="enrolled")
    attended_tenths = models.PositiveIntegerField("出勤学时（0.1小时）", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "培训学员"
        indexes = [models.Index(fields=["cadre", "status"], name="enrolment_cadre_status")]
        constraints = [
            models.UniqueConstraint(fields=["course", "cadre"], name="one_enrolment_per_course_cadre"),
            models.CheckConstraint(condition=Q(status__in=ENROLMENT_STATUS.codes), name="enrolment_status_known"),
            models.CheckConstraint(condition=Q(attended_tenths__lte=MAX_TENTHS), name="enrolment_hours_range"),
        ]

    def __str__(self) -> str:
        return f"{self.course_id} · {self.cadre_id}"


class CadreTotal(models.Model):
    """Per county: its serving cadres (the denominator of coverage). Derived data, recounted by
    `jingzhun.training.totals.refresh` in the transaction of every write that changes it; never on a read."""

    county = models.OneToOneField(Area, verbose_name="县", primary_key=True, on_delete=models.CASCADE,
                                  related_name="+")
    serving = models.PositiveIntegerField("在岗干部数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "县在岗干部数（汇总）"


class CoverageTotal(models.Model):
    """Per county, year and topic: the serving cadres stationed in the county who completed a course of the topic
    starting that year (distinct cadres). Derived data, kept as `CadreTotal` is."""

    county = models.ForeignKey(Area, verbose_name="县", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    topic = models.CharField("主题", max_length=16, choices=TOPIC.choices)
    covered = models.PositiveIntegerField("完成培训干部数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "县培训覆盖（汇总）"
        constraints = [models.UniqueConstraint(fields=["county", "year", "topic"], name="one_coverage_total")]
        indexes = [models.Index(fields=["year", "county"], name="coverage_total_year")]
