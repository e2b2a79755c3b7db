"""Talent for poor areas (人才): the pool, recruitment schemes with their quotas, the special funds that pay
them (allocations and a ledger of payments), and who stayed (retention).

Money is integer fen. The ledger is append-only: a payment is never edited or deleted — a mistake is undone
by a reversal, a negative entry referring to the payment it undoes (at most one per payment, of exactly its
amount); database triggers (migration 0002) refuse UPDATE and DELETE on it. What must hold per scheme and
year — allocated ≥ paid — is checked by `jingzhun.talent.funds` under the scheme's row lock.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from jingzhun.areas.models import Area
from jingzhun.choices import Enum

SPECIALITY = Enum("talent_speciality", (
    ("agriculture", "农业技术", "agriculture"),
    ("health", "医疗卫生", "health"),
    ("education", "教育", "education"),
    ("ecommerce", "电子商务", "e-commerce"),
    ("finance", "金融", "finance"),
    ("engineering", "工程技术", "engineering"),
    ("management", "经营管理", "management"),
    ("other", "其他", "other"),
))
RECRUITED = Enum("talent_recruited", (
    ("dispatch", "选派", "dispatched"),
    ("commissioner", "科技特派员", "science and technology commissioner"),
    ("returnee", "返乡人才", "returnee"),
    ("graduate", "高校毕业生计划", "graduate scheme"),
    ("other", "其他", "other"),
))
DEPARTURE = Enum("talent_departure", (
    ("term_end", "服务期满", "term ended"),
    ("career", "另谋职业", "left for another job"),
    ("family", "家庭原因", "family reasons"),
    ("health", "健康原因", "health"),
    ("pay", "待遇原因", "pay and conditions"),
    ("other", "其他", "other"),
))
ENTRY_KIND = Enum("fund_entry_kind", (
    ("subsidy", "补贴", "subsidy"),
    ("award", "奖励", "award"),
    ("reversal", "冲销", "reversal"),
))
REVERSAL = "reversal"


class Scheme(models.Model):
    """A recruitment scheme (人才引进计划) run by an area: 三支一扶, 科技特派员, a county's returnee scheme …"""

    code = models.CharField("计划编号", max_length=32, unique=True)
    name = models.CharField("计划名称", max_length=120)
    recruited = models.CharField("引进方式", max_length=16, choices=RECRUITED.choices)
    area = models.ForeignKey(Area, verbose_name="实施区划", on_delete=models.PROTECT, related_name="talent_schemes")
    start_year = models.PositiveSmallIntegerField("起始年度")

    class Meta:
        verbose_name = verbose_name_plural = "人才引进计划"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Quota(models.Model):
    """Places a scheme offers in an area for a speciality in a year: the quota that results are held to."""

    scheme = models.ForeignKey(Scheme, verbose_name="计划", on_delete=models.CASCADE, related_name="quotas")
    year = models.PositiveSmallIntegerField("年度")
    area = models.ForeignKey(Area, verbose_name="岗位所在区划", on_delete=models.PROTECT, related_name="+")
    speciality = models.CharField("专业领域", max_length=16, choices=SPECIALITY.choices)
    places = models.PositiveIntegerField("名额")

    class Meta:
        verbose_name = verbose_name_plural = "引进名额"
        constraints = [models.UniqueConstraint(fields=["scheme", "year", "area", "speciality"],
                                               name="one_quota_per_scheme_year_area_speciality")]


class Talent(models.Model):
    """A person in the pool, where they serve and how they came. The resident ID, when given, is kept like a
    household member's: AES-GCM ciphertext, a blind index for matching, shown masked."""

    name = models.CharField("姓名", max_length=40)
    resident_id_cipher = models.BinaryField("证件号码（密文）", null=True, blank=True)
    resident_id_index = models.BinaryField("证件号码盲索引", max_length=16, null=True, blank=True)
    resident_id_masked = models.CharField("证件号码（脱敏）", max_length=18, blank=True)
    speciality = models.CharField("专业领域", max_length=16, choices=SPECIALITY.choices)
    qualifications = models.CharField("资质", max_length=200, blank=True)
    area = models.ForeignKey(Area, verbose_name="服务所在区划", on_delete=models.PROTECT, related_name="talent")
    recruited = models.CharField("引进方式", max_length=16, choices=RECRUITED.choices)
    scheme = models.ForeignKey(Scheme, verbose_name="计划", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="talent")
    start_date = models.DateField("到岗日期")
    end_date = models.DateField("离岗日期", null=True, blank=True)
    departure = models.CharField("离岗原因", max_length=12, choices=DEPARTURE.choices, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "人才库"
        indexes = [models.Index(fields=["area", "speciality"], name="talent_area_speciality")]
        constraints = [
            models.UniqueConstraint(fields=["resident_id_index"], condition=Q(resident_id_index__isnull=False),
                                    name="one_talent_per_resident_id"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="talent_ends_after_start"),
            # A departure says why; someone still serving has no departure reason.
            models.CheckConstraint(condition=Q(end_date__isnull=True, departure="")
                                   | Q(end_date__isnull=False, departure__in=DEPARTURE.codes),
                                   name="talent_departure_with_end"),
        ]

    def __str__(self) -> str:
        return self.name


class Allocation(models.Model):
    """Money put into a scheme's fund for a year (专项资金下达), integer fen."""

    scheme = models.ForeignKey(Scheme, verbose_name="计划", on_delete=models.PROTECT, related_name="allocations")
    year = models.PositiveSmallIntegerField("年度")
    amount_fen = models.BigIntegerField("金额（分）")
    made_on = models.DateField("下达日期")
    entered_by = models.CharField("录入人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "专项资金下达"
        constraints = [models.CheckConstraint(condition=Q(amount_fen__gt=0), name="allocation_positive")]


class Payment(models.Model):
    """One ledger entry: a subsidy or award paid to a person in the pool, or the reversal of one."""

    scheme = models.ForeignKey(Scheme, verbose_name="计划", on_delete=models.PROTECT, related_name="payments")
    year = models.PositiveSmallIntegerField("年度")
    talent = models.ForeignKey(Talent, verbose_name="人才", on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField("类型", max_length=10, choices=ENTRY_KIND.choices)
    amount_fen = models.BigIntegerField("金额（分）")
    reverses = models.OneToOneField("self", verbose_name="冲销的支付", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reversed_by")
    paid_on = models.DateField("日期")
    reason = models.CharField("事由", max_length=200, blank=True)
    entered_by = models.CharField("录入人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "专项资金支付"
        indexes = [models.Index(fields=["scheme", "year"], name="payment_scheme_year")]
        constraints = [
            # A payment is positive and refers to nothing; a reversal is negative and refers to its payment.
            models.CheckConstraint(condition=Q(kind=REVERSAL, amount_fen__lt=0, reverses__isnull=False)
                                   | Q(kind__in=["subsidy", "award"], amount_fen__gt=0, reverses__isnull=True),
                                   name="payment_sign_matches_kind"),
        ]
