"""The poverty register (建档立卡): households, members, income by year, status history, imports.

Invariants that must always hold are database constraints, not code: one head per household, a
person (by blind index of the resident ID) in at most one household, one income record per
household and year. Resident IDs and health are stored only encrypted (see jingzhun.crypto).
"""

from __future__ import annotations

from django.db import models

from jingzhun import choices as c
from jingzhun.areas.models import Area


def money(label: str) -> models.DecimalField:
    return models.DecimalField(label, max_digits=14, decimal_places=2, default=0)


class Household(models.Model):
    number = models.CharField("户编号", max_length=32, unique=True)
    village = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT, related_name="households")
    category = models.CharField("贫困户属性", max_length=12, choices=c.HOUSEHOLD_CATEGORY.choices)
    status = models.CharField("户状态", max_length=12, choices=c.HOUSEHOLD_STATUS.choices)
    identified_year = models.PositiveSmallIntegerField("识别年度", null=True, blank=True)
    exit_year = models.PositiveSmallIntegerField("脱贫年度", null=True, blank=True)
    status_reason = models.CharField("状态变更原因", max_length=200, blank=True)
    # Production and living conditions
    arable_land_mu = models.DecimalField("耕地面积（亩）", max_digits=9, decimal_places=2, default=0)
    forest_land_mu = models.DecimalField("林地面积（亩）", max_digits=9, decimal_places=2, default=0)
    housing_area_m2 = models.DecimalField("住房面积（平方米）", max_digits=8, decimal_places=2, default=0)
    housing_grade = models.CharField("住房安全等级", max_length=1, choices=c.HOUSING_GRADE.choices)
    drinking_water = models.CharField("饮水状况", max_length=8, choices=c.DRINKING_WATER.choices)
    has_electricity = models.BooleanField("通生活用电")
    has_production_power = models.BooleanField("通生产用电")
    road = models.CharField("入户路", max_length=10, choices=c.ROAD.choices)
    distance_to_road_km = models.DecimalField("距村主干路（公里）", max_digits=7, decimal_places=2, default=0)
    sanitary_toilet = models.BooleanField("卫生厕所")
    # Causes of poverty: one primary, any number of secondary (codes joined by ",", in CAUSE order)
    primary_cause = models.CharField("主要致贫原因", max_length=12, choices=c.CAUSE.choices)
    secondary_causes = models.CharField("其他致贫原因", max_length=160, blank=True)
    # Basic guarantees (两不愁三保障 + safe water), as assessed for the household
    food_secure = models.BooleanField("不愁吃")
    clothing_secure = models.BooleanField("不愁穿")
    schooling_secured = models.BooleanField("义务教育有保障")
    medical_secured = models.BooleanField("基本医疗有保障")
    housing_secured = models.BooleanField("住房安全有保障")
    water_secured = models.BooleanField("饮水安全有保障")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "贫困户"
        indexes = [models.Index(fields=["village", "status"], name="household_village_status")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=c.EXITED) | models.Q(exit_year__isnull=False),
                name="exited_household_has_exit_year",
            )
        ]

    def __str__(self) -> str:
        return self.number


class Member(models.Model):
    # No index of its own: the unique (household_id, position) index of migration 0002 serves it.
    household = models.ForeignKey(Household, verbose_name="户", on_delete=models.CASCADE, related_name="members",
                                  db_index=False)
    position = models.PositiveSmallIntegerField("序号")
    name = models.CharField("姓名", max_length=40)
    resident_id_cipher = models.BinaryField("证件号码（密文）")
    resident_id_index = models.BinaryField("证件号码盲索引", max_length=16)
    relation = models.CharField("与户主关系", max_length=16, choices=c.RELATION.choices)
    sex = models.CharField("性别", max_length=6, choices=c.SEX.choices)
    birth_date = models.DateField("出生日期")
    ethnicity = models.CharField("民族", max_length=8)
    education = models.CharField("文化程度", max_length=12, choices=c.EDUCATION.choices)
    schooling = models.CharField("在校生状况", max_length=12, choices=c.SCHOOLING.choices)
    # Health status and disability grade together, encrypted: "healthy:", "disabled:2", ...
    health_cipher = models.BinaryField("健康状况（密文）")
    labour = models.CharField("劳动技能", max_length=10, choices=c.LABOUR.choices)
    migrant_months = models.PositiveSmallIntegerField("务工时间（月）", default=0)
    medical_insurance = models.BooleanField("参加城乡居民基本医疗保险")
    pension_insurance = models.BooleanField("参加城乡居民基本养老保险")
    assistance = models.CharField("低保/特困", max_length=6, choices=c.ASSISTANCE.choices, default="none")

    class Meta:
        verbose_name = verbose_name_plural = "家庭成员"
        permissions = [("reveal_sensitive", "查看证件号码与健康信息（留痕）/ reveal IDs and health (audited)")]
        # Name search in the web register is a prefix range on this index.
        indexes = [models.Index(fields=["name"], name="member_name")]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=models.Q(relation="head"), name="one_head_per_household"
            ),
            # Also unique, created by migration 0002 as plain named indexes: a person (blind index)
            # in at most one household, and one member per position in a household. Not declared
            # here because Django would make them inline UNIQUE clauses on SQLite, which cannot be
            # dropped, and a large import drops and rebuilds indexes (db.indexes_deferred).
            models.CheckConstraint(condition=models.Q(migrant_months__lte=12), name="migrant_months_at_most_12"),
        ]

    def __str__(self) -> str:
        return self.name


class IncomeRecord(models.Model):
    household = models.ForeignKey(Household, verbose_name="户", on_delete=models.CASCADE, related_name="incomes")
    year = models.PositiveSmallIntegerField("年度")
    wage_income = money("工资性收入（元）")
    production_income = money("生产经营性收入（元）")
    production_costs = money("生产经营性支出（元）")
    property_income = money("财产性收入（元）")
    transfer_income = money("转移性收入（元）")
    medical_expenses = money("医疗自付支出（元）")

    class Meta:
        verbose_name = verbose_name_plural = "年度收入"
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="one_income_per_household_year")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}"


class ImportBatch(models.Model):
    file_name = models.CharField("文件名", max_length=255)
    file_sha256 = models.CharField("文件摘要", max_length=64)
    kind = models.CharField("类型", max_length=16, default="register")
    mode = models.CharField("模式", max_length=16)  # "all" (all or nothing) or "valid" (valid households only)
    actor = models.CharField("操作人", max_length=150)
    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间", null=True)
    rows = models.PositiveIntegerField("行数", default=0)
    rejected_rows = models.PositiveIntegerField("错误行数", default=0)
    households_inserted = models.PositiveIntegerField("新增户数", default=0)
    households_updated = models.PositiveIntegerField("更新户数", default=0)
    households_unchanged = models.PositiveIntegerField("未变户数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "导入批次"


class StatusEvent(models.Model):
    """Status over time: every change of a household's status, with the year and the reason."""

    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField("户状态", max_length=12, choices=c.HOUSEHOLD_STATUS.choices)
    year = models.PositiveSmallIntegerField("年度", null=True)
    reason = models.CharField("原因", max_length=200, blank=True)
    batch = models.ForeignKey(ImportBatch, null=True, on_delete=models.SET_NULL)
    # The day the change took effect where one is known (an announcement, a risk elimination); the register's
    # files carry only the year. recorded_at is when the row was written, never shown as the event's date.
    occurred_on = models.DateField("发生日期", null=True, blank=True)
    recorded_at = models.DateTimeField("记录时间")

    class Meta:
        verbose_name = verbose_name_plural = "状态变化"


class Change(models.Model):
    """A field changed by a re-import. Sensitive fields record only that they changed."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="changes")
    household = models.ForeignKey(Household, null=True, on_delete=models.SET_NULL)
    household_number = models.CharField("户编号", max_length=32)
    member_position = models.PositiveSmallIntegerField("成员序号", null=True)
    field = models.CharField("字段", max_length=40)
    old_value = models.CharField("原值", max_length=200, blank=True)
    new_value = models.CharField("新值", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "变更记录"
