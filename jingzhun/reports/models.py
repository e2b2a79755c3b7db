"""A report workbook asked for on the reports page and built by a worker (`jingzhun.reports.build`).

The figures of a province take about a minute of CPU, too long for a web request: the request only records what
was asked and queues a job (`jingzhun.jobs`); a worker builds the XLSX into a private file, and the page offers it
once it is ready. The file is read by the user who asked (while they still see the area's figures) or by a user
with the export ability over its area, and is deleted `REPORT_KEEP_HOURS` after it was built.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ReportState(models.TextChoices):
    BUILDING = "building", "生成中 / building"  # queued for a worker, or running: the job says which
    DONE = "done", "已生成 / ready"
    FAILED = "failed", "失败 / failed"
    EXPIRED = "expired", "已过期删除 / expired and deleted"


class ReportFile(models.Model):
    token = models.CharField("标识", max_length=32, unique=True)  # the folder's name and the page's address
    user = models.ForeignKey("auth.User", verbose_name="申请人", on_delete=models.PROTECT, related_name="report_files")
    area = models.ForeignKey("areas.Area", verbose_name="区划", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField("统计年度")
    tables = models.JSONField("报表", default=list)  # table codes in the standard order (reports.tables.TABLES)
    english = models.BooleanField("英文表头", default=False)
    # area|year|tables|language: an identical request while one is building joins it instead of queuing another.
    key = models.CharField("请求键", max_length=200)
    state = models.CharField("状态", max_length=10, choices=ReportState.choices, default=ReportState.BUILDING)
    job = models.ForeignKey("jobs.Job", verbose_name="任务", null=True, blank=True, on_delete=models.SET_NULL,
                            related_name="+")
    requested_at = models.DateTimeField("申请时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    size = models.PositiveIntegerField("文件大小（字节）", default=0)
    error = models.TextField("错误", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "统计报表文件"
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["key", "state"], name="report_key_state"),
                   models.Index(fields=["state", "finished_at"], name="report_state_finished")]
        constraints = [
            # A double click queues one build: the second request's insert fails and it joins the first.
            models.UniqueConstraint(fields=["key", "user"], condition=Q(state="building"), name="report_one_building"),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.year} {','.join(self.tables)} ({self.state})"
