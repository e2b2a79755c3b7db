"""Figures the dashboard reads: the register rolled up to every area, kept in step with the register.

A dashboard must answer in well under 100 ms for a province of a million households, so it never
aggregates the register on a request; it reads these rows (a few per area) instead. `stats.refresh`
rebuilds them — for the whole register after an import, for a few villages after a single edit.
"""

from __future__ import annotations

from django.db import models


class AreaStat(models.Model):
    """Households and people by status and primary cause of poverty, in one area's subtree."""

    area_code = models.CharField("区划代码", max_length=12)
    level = models.CharField("层级", max_length=10)
    status = models.CharField("户状态", max_length=12)
    cause = models.CharField("主要致贫原因", max_length=12)
    households = models.PositiveIntegerField("户数")
    people = models.PositiveIntegerField("人数")
    with_helper = models.PositiveIntegerField("有帮扶责任人的户数")

    class Meta:
        verbose_name = verbose_name_plural = "区域统计"
        constraints = [models.UniqueConstraint(fields=["area_code", "status", "cause"], name="one_area_stat")]
        indexes = [models.Index(fields=["level", "area_code"], name="area_stat_level_code")]


class AreaYearStat(models.Model):
    """By year, in one area's subtree: rural population (村情), households identified and exited."""

    area_code = models.CharField("区划代码", max_length=12)
    level = models.CharField("层级", max_length=10)
    year = models.PositiveSmallIntegerField("年度")
    population = models.PositiveIntegerField("总人口")
    identified = models.PositiveIntegerField("识别户数")
    exited = models.PositiveIntegerField("脱贫户数")

    class Meta:
        verbose_name = verbose_name_plural = "区域年度统计"
        constraints = [models.UniqueConstraint(fields=["area_code", "year"], name="one_area_year_stat")]


class UploadState(models.TextChoices):
    CHECKING = "checking", "校验中 / checking"
    CHECKED = "checked", "已校验，未导入 / checked, not imported"
    RUNNING = "running", "导入中 / importing"  # queued for a worker, or running: the job says which
    DONE = "done", "已导入 / imported"
    FAILED = "failed", "失败 / failed"


class Upload(models.Model):
    """A file uploaded through the web (the register, or another kind): checked first, imported only when the user
    confirms. Its
    check and its import are jobs (`jingzhun.jobs`); `job` is the latest."""

    token = models.CharField("标识", max_length=32, unique=True)
    user = models.ForeignKey("auth.User", verbose_name="用户", on_delete=models.PROTECT, related_name="uploads")
    file_name = models.CharField("文件名", max_length=255)
    # What the file is (jingzhun.web.upload_kinds): the register, a roster, visits, a department list, ...
    kind = models.CharField("文件类别", max_length=40, default="register")
    stored_as = models.CharField("存储路径", max_length=500)
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    state = models.CharField("状态", max_length=12, choices=UploadState.choices, default=UploadState.CHECKING)
    job = models.ForeignKey("jobs.Job", verbose_name="任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    rows = models.PositiveIntegerField("行数", default=0)
    households = models.PositiveIntegerField("户数", default=0)
    error_count = models.PositiveIntegerField("错误数", default=0)
    rejected_households = models.PositiveIntegerField("错误户数", default=0)
    errors = models.JSONField("错误（前200条）", default=list)
    result = models.JSONField("导入结果", default=dict)

    class Meta:
        verbose_name = verbose_name_plural = "网页上传"
        ordering = ["-uploaded_at"]


class LoginFailure(models.Model):
    """A failed login, kept for the lockout window (`jingzhun.web.lockout`)."""

    username = models.CharField("用户名", max_length=150)
    address = models.CharField("地址", max_length=64, blank=True)
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "登录失败"
        indexes = [models.Index(fields=["username", "at"], name="login_failure_user"),
                   models.Index(fields=["address", "at"], name="login_failure_address")]


class FormOnce(models.Model):
    """A one-time form token claimed by the write it was drawn for (jingzhun.web.once): the same form sent twice
    writes once."""

    token = models.CharField("表单令牌", max_length=64, unique=True)
    user_id = models.IntegerField("用户")
    used_at = models.DateTimeField("提交时间", db_index=True)
