"""Cross-department checks (比对): lists from other departments and the hits they raise.

A department's list is keyed by resident ID. The raw IDs are never stored: each row's ID is turned
into the register's blind index (jingzhun.crypto) at import, matched in bulk against
``Member.resident_id_index``, and then forgotten. What stays is the list's metadata (file name and
digest, so a re-import is recognised), each valid row's blind index and row number (so people who
enter the register later — new applicants — are matched too), and, for each hit, the household, the
member's position and the non-ID columns that are the evidence (plate number, business name, ...).

``CrossCheckHit`` is read by the identification engine (jingzhun.identification): its columns
``household_id``, ``rule`` and ``status`` are a contract and keep their names and values.
"""

from __future__ import annotations

from django.db import models

from jingzhun.choices import Enum
from jingzhun.registry.models import Household

#: The policy's ``[exclusions.<key>]`` sections (jingzhun.policy.model.Exclusions), with labels.
RULE = Enum("crosscheck_rule", (
    ("vehicle", "车辆", "vehicle owners"),
    ("business", "工商注册", "business registrations"),
    ("public_payroll", "财政供养人员", "publicly-paid staff"),
    ("commercial_housing", "商品房", "commercial-housing owners"),
    ("deceased", "死亡", "deaths"),
    # Department signals of return-to-poverty monitoring (jingzhun.monitoring.kinds.SIGNAL): the same import
    # path, read by monitoring's screening, never by identification's exclusions nor appraisal's check.
    ("major_illness", "大病医疗支出", "major-illness spending"),
    ("disability", "残疾登记", "disability registration"),
    ("disaster", "灾害损失", "disaster losses"),
    ("earner_death", "主要劳动力死亡", "death of the main earner"),
    ("unemployment", "失业登记", "unemployment"),
))
#: The list kinds that are monitoring signals, not evidence against a poor household's eligibility.
SIGNAL_RULES = ("major_illness", "disability", "disaster", "earner_death", "unemployment")

HIT_STATUS = Enum("crosscheck_hit_status", (
    ("pending", "待核实", "pending"),
    ("confirmed", "已确认", "confirmed"),
    ("dismissed", "已排除", "dismissed"),
))


class CrossCheckList(models.Model):
    """One imported department list. The same file (same rule, same SHA-256) is imported once."""

    rule = models.CharField("比对规则", max_length=24, choices=RULE.choices)
    department = models.CharField("来源部门", max_length=100)
    file_name = models.CharField("文件名", max_length=255)
    file_sha256 = models.CharField("文件摘要", max_length=64)
    imported_by = models.CharField("导入人", max_length=150)
    imported_at = models.DateTimeField("导入时间")
    row_count = models.PositiveIntegerField("行数", default=0)
    hit_count = models.PositiveIntegerField("命中数", default=0)
    # Where the list may raise hits: the importing officer's area code ranges ([[low, high], ...]) when an
    # officer imported it, null when the console operator did (every area). Rematching later keeps to it.
    scope = models.JSONField("比对范围", null=True, blank=True)
    # The scope as a key of the "same file once" rule: "" for every area, else the SHA-256 of the ranges.
    scope_key = models.CharField("比对范围摘要", max_length=64, blank=True, default="")
    # Rows that matched register members outside the scope: counted, never stored as hits.
    outside_count = models.PositiveIntegerField("范围外命中行数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "比对名单"
        ordering = ["-imported_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "file_sha256", "scope_key"],
                                               name="crosscheck_list_once_per_scope")]

    def __str__(self) -> str:
        return f"{RULE.zh(self.rule)} {self.file_name}"


class CrossCheckEntry(models.Model):
    """One valid row of a list, kept as its blind index only: enough to match people who enter the
    register after the list was imported (new applicants), nothing that reveals who they are."""

    source_list = models.ForeignKey(CrossCheckList, verbose_name="来源名单", on_delete=models.CASCADE,
                                    related_name="entries", db_index=False)
    row = models.PositiveIntegerField("行号")
    id_index = models.BinaryField("证件号码盲索引", max_length=16)

    class Meta:
        verbose_name = verbose_name_plural = "比对名单条目"
        indexes = [models.Index(fields=["id_index"], name="crosscheck_entry_index"),
                   models.Index(fields=["source_list", "row"], name="crosscheck_entry_list")]


class CrossCheckHit(models.Model):
    """A register member found in a department's list: the household is flagged with the rule."""

    household = models.ForeignKey(Household, verbose_name="户", on_delete=models.CASCADE,
                                  related_name="crosscheck_hits")
    member_position = models.PositiveSmallIntegerField("成员序号")
    rule = models.CharField("比对规则", max_length=24, choices=RULE.choices)
    source_list = models.ForeignKey(CrossCheckList, verbose_name="来源名单", on_delete=models.PROTECT,
                                    related_name="hits")
    source_row = models.PositiveIntegerField("来源行号", null=True)
    # Non-ID columns of the matching row (plate number, business name, ...); never the resident ID.
    evidence = models.JSONField("比对依据", default=dict, blank=True)
    status = models.CharField("核实状态", max_length=10, choices=HIT_STATUS.choices, default="pending")
    reason = models.TextField("核实说明", blank=True)
    decided_by = models.CharField("核实人", max_length=150, blank=True)
    decided_at = models.DateTimeField("核实时间", null=True, blank=True)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "比对命中"
        indexes = [models.Index(fields=["household", "rule", "status"], name="crosscheck_hit_household")]
        constraints = [
            models.UniqueConstraint(fields=["source_list", "household", "member_position"],
                                    name="crosscheck_hit_once_per_list"),
            models.CheckConstraint(condition=models.Q(status__in=HIT_STATUS.codes), name="crosscheck_hit_status_known"),
            models.CheckConstraint(condition=models.Q(rule__in=RULE.codes), name="crosscheck_hit_rule_known"),
            # A decision always has its reason, its officer and its time.
            models.CheckConstraint(
                condition=models.Q(status="pending")
                | (~models.Q(reason="") & ~models.Q(decided_by="") & models.Q(decided_at__isnull=False)),
                name="crosscheck_hit_decision_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} {self.rule} {self.status}"
