"""The job queue: one row per piece of work a worker process does (a web upload's check or import).

A job is claimed by one worker at a time (`jingzhun.jobs.queue.claim`, one atomic statement) and held
under a lease the worker renews while it runs; a worker that dies leaves a job whose lease runs out, and
the next worker to look retries it or fails it (`queue.reap`).
"""

from __future__ import annotations

from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "排队中 / queued"
    RUNNING = "running", "运行中 / running"
    DONE = "done", "已完成 / done"
    FAILED = "failed", "失败 / failed"


class Job(models.Model):
    kind = models.CharField("类型", max_length=40)  # a kind registered with queue.register
    args = models.JSONField("参数", default=dict)
    state = models.CharField("状态", max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    attempts = models.PositiveSmallIntegerField("已尝试次数", default=0)
    max_attempts = models.PositiveSmallIntegerField("最多尝试次数", default=3)
    claimed_by = models.CharField("领取者", max_length=200, blank=True)  # host:pid:process start time
    lease_until = models.DateTimeField("租约到期", null=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True)
    finished_at = models.DateTimeField("结束时间", null=True)
    error = models.TextField("错误", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "后台任务"
        # The claim looks for the oldest queued job; reaping reads the running ones.
        indexes = [models.Index(fields=["state", "id"], name="job_state_id")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"
