from __future__ import annotations

from django.db import models
from django.utils import timezone


class AuditEntry(models.Model):
    """Append-only and chained: triggers refuse UPDATE, REPLACE, TRUNCATE and any DELETE but retention
    pruning's (migration 0003); every row is sealed with a keyed hash over its fields, its areas and the
    previous row's hash (`jingzhun.audit.chain`). Write rows only through `jingzhun.audit.log.record`."""

    # A default, not auto_now_add: the time is part of the seal, so it is fixed before the row is written.
    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.CharField("操作人", max_length=150)
    role = models.CharField("角色", max_length=40, blank=True)
    # The area the row is chiefly about (shown on the page); every area it touched is in `areas`.
    area = models.CharField("区域", max_length=12, blank=True)
    action = models.CharField("操作", max_length=40, db_index=True)
    object_type = models.CharField("对象类型", max_length=40, blank=True)
    object_id = models.CharField("对象", max_length=64, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    address = models.CharField("地址", max_length=64, blank=True)
    prev_hash = models.CharField("前一行哈希", max_length=64, editable=False)
    hash = models.CharField("哈希", max_length=64, editable=False)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志"
        ordering = ["-at"]
        # An officer's own actions, newest first (the audit page's "or actor = me").
        indexes = [models.Index(fields=["actor", "id"], name="audit_actor_id")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action}"


class AuditArea(models.Model):
    """One area code a row touched (an import: every village it wrote). A row is shown to the officers
    whose area subtrees hold one of its codes: `code BETWEEN low AND high`, on the (code, entry) index."""

    entry = models.ForeignKey(AuditEntry, on_delete=models.DO_NOTHING, related_name="areas", db_index=False)
    code = models.CharField("区域", max_length=12)

    class Meta:
        verbose_name = verbose_name_plural = "审计日志区域"
        constraints = [models.UniqueConstraint(fields=["entry", "code"], name="audit_area_entry_code")]
        indexes = [models.Index(fields=["code", "entry"], name="audit_area_code_entry")]


class AuditChain(models.Model):
    """The chain's head, one row (id 1): the last row's id and hash, the prune anchor (the last pruned
    row's id and hash, where the remaining chain starts) and a keyed seal over the four. Every append
    locks this row first, so two writers cannot fork the chain."""

    last_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)
    anchor_id = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64)
    seal = models.CharField(max_length=64)

    class Meta:
        db_table = "audit_chainhead"
        verbose_name = verbose_name_plural = "审计日志链头"
