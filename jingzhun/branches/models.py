"""Village party branches (村党组织): the branch, its elections, its yearly rating, and the rectification of
a branch rated weak or lax (软弱涣散). The first secretary is not stored here: it is the serving first
secretary of the village's open work team (`jingzhun.teams`), read from there so the two never disagree.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from jingzhun.areas.models import Area
from jingzhun.choices import Enum
from jingzhun.teams.models import Cadre

WEAK = "weak"
RATING = Enum("branch_rating", (
    ("good", "好", "good"),
    ("fair", "较好", "fair"),
    ("average", "一般", "average"),
    (WEAK, "软弱涣散", "weak or lax"),
))
WEAK_REASON = Enum("branch_weak_reason", (
    ("leader", "书记不胜任", "secretary not up to the job"),
    ("vacant", "班子不健全或长期空缺", "leadership incomplete or vacant"),
    ("discipline", "组织生活不正常", "party life irregular"),
    ("conflict", "矛盾纠纷突出", "serious disputes"),
    ("economy", "集体经济薄弱", "weak collective economy"),
    ("other", "其他", "other"),
))
ELECTION_KIND = Enum("branch_election_kind", (
    ("regular", "换届选举", "regular election"),
    ("by_election", "补选", "by-election"),
))
RERATING = Enum("branch_rerating", (
    ("", "未复评", "not re-rated"),
    ("rectified", "整顿转化", "rectified"),
    ("still_weak", "仍软弱涣散", "still weak"),
))


class Branch(models.Model):
    village = models.OneToOneField(Area, verbose_name="村", on_delete=models.PROTECT, related_name="party_branch",
                                   limit_choices_to={"level": "village"})
    name = models.CharField("党组织名称", max_length=120)
    secretary = models.CharField("书记", max_length=40, blank=True)
    members = models.PositiveIntegerField("党员人数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "村党组织"

    def __str__(self) -> str:
        return self.name


class Election(models.Model):
    branch = models.ForeignKey(Branch, verbose_name="党组织", on_delete=models.CASCADE, related_name="elections")
    held_on = models.DateField("选举日期")
    kind = models.CharField("类型", max_length=12, choices=ELECTION_KIND.choices)
    secretary = models.CharField("当选书记", max_length=40)
    votes = models.PositiveIntegerField("参会党员", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "党组织选举"
        ordering = ["branch", "-held_on"]


class Rating(models.Model):
    """A branch's rating for a year; a weak one names its reason and carries a rectification."""

    branch = models.ForeignKey(Branch, verbose_name="党组织", on_delete=models.CASCADE, related_name="ratings")
    year = models.PositiveSmallIntegerField("年度")
    rating = models.CharField("评定", max_length=10, choices=RATING.choices)
    reason = models.CharField("软弱涣散原因", max_length=12, choices=WEAK_REASON.choices, blank=True)
    detail = models.CharField("情况说明", max_length=300, blank=True)
    # The rectification (整顿) of a weak branch: plan, deadline, who answers for it; then the re-rating.
    plan = models.CharField("整顿措施", max_length=500, blank=True)
    deadline = models.DateField("整顿期限", null=True, blank=True)
    responsible = models.CharField("责任人", max_length=40, blank=True)
    responsible_cadre = models.ForeignKey(Cadre, verbose_name="责任干部", null=True, blank=True,
                                          on_delete=models.PROTECT, related_name="+")
    rerating = models.CharField("复评结果", max_length=12, choices=RERATING.choices, blank=True)
    rerated_on = models.DateField("复评日期", null=True, blank=True)
    entered_by = models.CharField("录入人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "党组织评定"
        indexes = [models.Index(fields=["year", "rating"], name="branch_rating_year")]
        constraints = [
            models.UniqueConstraint(fields=["branch", "year"], name="one_rating_per_branch_year"),
            models.CheckConstraint(condition=Q(rating__in=RATING.codes), name="branch_rating_known"),
            # Weak: a reason, a plan, a deadline and a responsible person. Not weak: none of the rectification.
            models.CheckConstraint(condition=(Q(rating=WEAK) & ~Q(reason="") & ~Q(plan="") & Q(deadline__isnull=False)
                                              & ~Q(responsible=""))
                                   | (~Q(rating=WEAK) & Q(reason="", deadline__isnull=True, rerating="")),
                                   name="weak_rating_has_rectification"),
            models.CheckConstraint(condition=Q(rerating="", rerated_on__isnull=True)
                                   | (~Q(rerating="") & Q(rerated_on__isnull=False)),
                                   name="rerating_has_date"),
        ]


class BranchTotal(models.Model):
    """Per county: its party branches. Derived data, recounted by `jingzhun.branches.totals.refresh` in the
    transaction of every write that changes it (the roster import, the rating forms); never on a read."""

    county = models.OneToOneField(Area, verbose_name="县", primary_key=True, on_delete=models.CASCADE,
                                  related_name="+")
    branches = models.PositiveIntegerField("党组织数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "县村党组织数（汇总）"


class RatingTotal(models.Model):
    """Per county and year rated: branches rated, rated weak, and of those not (yet) re-rated rectified."""

    county = models.ForeignKey(Area, verbose_name="县", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    rated = models.PositiveIntegerField("已评定", default=0)
    weak = models.PositiveIntegerField("软弱涣散", default=0)
    unrectified = models.PositiveIntegerField("未整顿转化", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "县党组织评定（汇总）"
        constraints = [models.UniqueConstraint(fields=["county", "year"], name="one_rating_total")]
        indexes = [models.Index(fields=["year", "county"], name="rating_total_year")]
