"""The appraisal-and-notice workflow (评议公示): an application's way from the village to the county.

The state of an application changes only through `jingzhun.appraisal.workflow`, which records each
step (who, when, what) in `Step` and in the audit log. The records of the steps that carry facts —
the village's vote and minutes, the notices, the objections — are their own tables, so a printed
notice shows exactly what was published even after the application moved on.
"""

from __future__ import annotations

from django.db import models

from jingzhun.appraisal.kinds import KIND
from jingzhun.areas.models import Area
from jingzhun.choices import Enum
from jingzhun.registry.models import Household

STATE = Enum("appraisal_state", (
    ("applied", "待民主评议", "awaiting village appraisal"),
    ("appraised", "待部门比对", "awaiting cross-department check"),
    ("verified", "待贫困户签字认可", "awaiting the household's signed consent"),
    ("consented", "待退出公示", "awaiting the exit notice"),
    ("checked", "待一次公示", "awaiting first notice"),
    ("first_notice", "一次公示中", "first notice running"),
    ("township_review", "待乡镇审核", "awaiting township review"),
    ("township_approved", "待二次公示", "awaiting second notice"),
    ("second_notice", "二次公示中", "second notice running"),
    ("county_review", "待县级审批", "awaiting county approval"),
    ("approved", "待公告", "awaiting announcement"),
    ("announced", "已公告", "announced"),
    ("rejected", "未通过", "rejected"),
))

NOTICE_STAGE = Enum("notice_stage", (
    ("first", "第一次公示（村级）", "first notice (village)"),
    ("second", "第二次公示（乡镇审核后）", "second notice (after township review)"),
))


class Application(models.Model):
    """A household's application of one kind in a year: to be identified as poor (贫困户识别), to exit
    (贫困户退出), or to be identified as a monitored household (监测对象识别). See `kinds`."""

    household = models.ForeignKey(Household, verbose_name="申请户", on_delete=models.PROTECT,
                                  related_name="applications")
    # The household's village at the time of application: what access scoping and notices use.
    village = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT, related_name="applications")
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("申请类型", max_length=10, choices=KIND.choices, default="identify")
    applied_by = models.CharField("申请人", max_length=60)
    applied_on = models.DateField("申请日期")
    state = models.CharField("环节", max_length=20, choices=STATE.choices, default="applied")
    state_since = models.DateField("进入本环节日期")
    created_by = models.CharField("录入人", max_length=150)
    created_at = models.DateTimeField("录入时间", auto_now_add=True)
    # An announced exit: the last year the household keeps its policies (脱贫不脱政策, the transition period).
    policies_until = models.PositiveSmallIntegerField("帮扶政策保持至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "评议申请"
        indexes = [models.Index(fields=["village", "state"], name="appraisal_village_state")]
        constraints = [
            models.CheckConstraint(condition=models.Q(state__in=STATE.codes), name="appraisal_state_known"),
            models.CheckConstraint(condition=models.Q(kind__in=KIND.codes), name="appraisal_kind_known"),
            # One open application per household, year and kind; a rejected one may be followed by another.
            models.UniqueConstraint(fields=["household", "year", "kind"], condition=~models.Q(state="rejected"),
                                    name="appraisal_one_open_per_household_year_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.household_id} {STATE.zh(self.state)}"


class Step(models.Model):
    """One step of an application: the action, the states before and after, who, when and what."""

    application = models.ForeignKey(Application, verbose_name="申请", on_delete=models.CASCADE, related_name="steps")
    action = models.CharField("操作", max_length=24)
    from_state = models.CharField("原环节", max_length=20, choices=STATE.choices, blank=True)
    to_state = models.CharField("新环节", max_length=20, choices=STATE.choices)
    actor = models.CharField("操作人", max_length=150)
    at = models.DateTimeField("时间", auto_now_add=True)
    on = models.DateField("业务日期")
    reason = models.TextField("说明", blank=True)
    detail = models.JSONField("内容", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "办理记录"
        ordering = ["application", "id"]


class VillageAppraisal(models.Model):
    """The village's democratic appraisal (村民代表大会民主评议): the vote and the minutes."""

    application = models.ForeignKey(Application, verbose_name="申请", on_delete=models.CASCADE,
                                    related_name="appraisals")
    held_on = models.DateField("评议日期")
    attendees = models.PositiveIntegerField("参会人数")
    votes_for = models.PositiveIntegerField("赞成票")
    votes_against = models.PositiveIntegerField("反对票")
    votes_abstain = models.PositiveIntegerField("弃权票")
    minutes = models.TextField("会议记录")
    recorded_by = models.CharField("记录人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "民主评议"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(votes_for__lte=models.F("attendees") - models.F("votes_against") - models.F("votes_abstain")),
                name="appraisal_votes_within_attendees"),
        ]

    @property
    def passed(self) -> bool:
        """More than half of those present voted for (过半数同意)."""
        return self.votes_for * 2 > self.attendees


class Notice(models.Model):
    """A public notice (公示) as published: one village, one stage, a period, the objection contact."""

    village = models.ForeignKey(Area, verbose_name="公示村", on_delete=models.PROTECT, related_name="notices")
    stage = models.CharField("公示阶段", max_length=8, choices=NOTICE_STAGE.choices)
    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("申请类型", max_length=10, choices=KIND.choices, default="identify")
    starts_on = models.DateField("公示开始")
    ends_on = models.DateField("公示截止")  # the last day of the period, inclusive
    days = models.PositiveSmallIntegerField("公示天数")
    contact = models.CharField("异议受理", max_length=200)
    published_by = models.CharField("发布人", max_length=150)
    published_at = models.DateTimeField("发布时间", auto_now_add=True)
    applications = models.ManyToManyField(Application, verbose_name="公示对象", related_name="notices")

    class Meta:
        verbose_name = verbose_name_plural = "公示"
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")),
                                              name="notice_period_ordered")]

    def __str__(self) -> str:
        return f"{self.village_id} {NOTICE_STAGE.zh(self.stage)} {self.starts_on}—{self.ends_on}"


class Objection(models.Model):
    """An objection raised during a notice (公示异议); it sends the application back to review."""

    application = models.ForeignKey(Application, verbose_name="申请", on_delete=models.CASCADE,
                                    related_name="objections")
    notice = models.ForeignKey(Notice, verbose_name="公示", on_delete=models.PROTECT, related_name="objections")
    raised_on = models.DateField("提出日期")
    raised_by = models.CharField("异议人", max_length=60, blank=True)  # may be anonymous
    reason = models.TextField("异议内容")
    recorded_by = models.CharField("受理人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "公示异议"


class Consent(models.Model):
    """The household's signed consent to its exit (拟退出贫困户签字认可): who signed, when, and where the
    signed paper is filed. An exit cannot be published without it."""

    application = models.OneToOneField(Application, verbose_name="申请", on_delete=models.CASCADE,
                                       related_name="consent")
    signed_by = models.CharField("签字人", max_length=60)
    signed_on = models.DateField("签字日期")
    document = models.CharField("签字材料编号", max_length=120)
    recorded_by = models.CharField("录入人", max_length=150)
    recorded_at = models.DateTimeField("录入时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "贫困户退出认可"
