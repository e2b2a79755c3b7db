"""Personal access tokens, their rate-limit windows, and the answers of idempotent writes.

A token is shown once, when it is made; only its SHA-256 is stored (the secret has 256 random bits, so a
slow password hash adds nothing: nobody can guess through the digest, and the lookup is one indexed
equality)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

SCOPES = ("read", "write", "reveal")


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="用户", on_delete=models.CASCADE,
                             related_name="api_tokens")
    name = models.CharField("名称", max_length=80)
    # The token's first characters, shown in the list so its owner can tell tokens apart; not a secret.
    prefix = models.CharField("前缀", max_length=16)
    digest = models.CharField("摘要", max_length=64, unique=True)
    scopes = models.CharField("权限范围", max_length=32)  # "read,write,reveal" (a subset, in SCOPES order)
    created_at = models.DateTimeField("创建时间")
    expires_at = models.DateTimeField("到期时间")
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "接口令牌"
        constraints = [models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")),
                                              name="api_token_expires_after_creation")]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def scope_set(self) -> frozenset[str]:
        return frozenset(s for s in self.scopes.split(",") if s)


class RateWindow(models.Model):
    """Requests of a token in one minute (a fixed window): one upsert per request."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+", db_index=False)
    minute = models.BigIntegerField("分钟")  # minutes since the epoch
    count = models.IntegerField("请求数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "接口限流窗口"
        constraints = [models.UniqueConstraint(fields=["token", "minute"], name="one_rate_window_per_minute")]


class IdempotentWrite(models.Model):
    """A write sent with an Idempotency-Key: the key is claimed before the write (a second sending while the
    first runs is refused) and the answer is kept, so the same request sent again gets the same answer and
    lands once. Keys belong to the user, not the token: a phone that renews its token resends with the new one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField("幂等键", max_length=100)
    operation = models.CharField("操作", max_length=40)
    request_sha256 = models.CharField("请求摘要", max_length=64)
    status = models.PositiveSmallIntegerField("状态码", null=True)  # None while the first sending runs
    body = models.JSONField("应答", null=True)
    created_at = models.DateTimeField("时间")

    class Meta:
        verbose_name = verbose_name_plural = "幂等写入"
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_key_per_user")]
