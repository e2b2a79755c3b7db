from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    """Append-only: a trigger in the migration refuses UPDATE and DELETE on this table."""

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    actor = models.CharField("操作人", max_length=150)
    role = models.CharField("角色", max_length=40, blank=True)
    area = models.CharField("区域", max_length=12, blank=True)
    action = models.CharField("操作", max_length=40, db_index=True)
    object_type = models.CharField("对象类型", max_length=40, blank=True)
    object_id = models.CharField("对象", max_length=64, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    address = models.CharField("地址", max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"
