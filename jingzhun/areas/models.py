"""The area tree: province → city → county → township → village.

A 12-digit statistical code is 2 (province) + 2 (city) + 2 (county) + 3 (township) + 3 (village)
digits, zero-padded below an area's own level. So every descendant of an area has a code inside
`code_range(area)` — a range scan on the primary key, which is how all access scoping is done.
"""

from __future__ import annotations

from django.db import models

from jingzhun.choices import LEVEL, POOR_COUNTY, REGION_CLASS

LEVEL_DIGITS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
LEVEL_DEPTH = {level: i for i, level in enumerate(LEVEL_DIGITS)}


def code_range(code: str, level: str) -> tuple[str, str]:
    """The lowest and highest 12-digit codes in the subtree of the area `code` at `level`."""
    prefix = code[: LEVEL_DIGITS[level]]
    return prefix.ljust(12, "0"), prefix.ljust(12, "9")


def code_problem(code: str, level: str) -> str | None:
    """Why `code` cannot be the code of an area at `level`, or None when it can."""
    if len(code) != 12 or not code.isascii() or not code.isdigit():
        return "区划代码应为12位数字 / an area code has 12 digits"
    digits = LEVEL_DIGITS[level]
    if code[digits:].strip("0"):
        return f"{level} 级代码第{digits + 1}位起应为0 / digits after position {digits} must be 0 at this level"
    own = code[list(LEVEL_DIGITS.values())[LEVEL_DEPTH[level] - 1] if LEVEL_DEPTH[level] else 0 : digits]
    if not own.strip("0"):
        return "本级代码段不能全为0 / the level's own digits cannot all be 0"
    return None


class Area(models.Model):
    code = models.CharField("统计用区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=10, choices=LEVEL.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    region_class = models.CharField("东中西部", max_length=8, choices=REGION_CLASS.choices, blank=True)
    poor_county = models.CharField("贫困县", max_length=12, choices=POOR_COUNTY.choices, blank=True)
    contiguous_region = models.CharField("连片特困地区", max_length=32, blank=True)
    poor_village = models.BooleanField("贫困村", default=False)
    exit_year = models.PositiveSmallIntegerField("摘帽/出列年度", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__in=list(LEVEL_DIGITS)), name="area_level_known"
            ),
            models.CheckConstraint(
                condition=models.Q(poor_village=False) | models.Q(level="village"), name="poor_village_is_village"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def code_range(self) -> tuple[str, str]:
        return code_range(self.code, self.level)

    @property
    def prefix(self) -> str:
        return self.code[: LEVEL_DIGITS[self.level]]


class VillageRecord(models.Model):
    """Village facts by year (村情): infrastructure, services, collective income."""

    village = models.ForeignKey(Area, verbose_name="村", on_delete=models.CASCADE, related_name="records")
    year = models.PositiveSmallIntegerField("年度")
    households = models.PositiveIntegerField("总户数", default=0)
    population = models.PositiveIntegerField("总人口", default=0)
    hardened_road = models.BooleanField("通硬化路", default=False)
    power_grid = models.BooleanField("通动力电", default=False)
    tap_water = models.BooleanField("通自来水", default=False)
    broadband = models.BooleanField("通宽带", default=False)
    clinic = models.BooleanField("有标准化卫生室", default=False)
    school = models.BooleanField("有小学或教学点", default=False)
    activity_centre = models.BooleanField("有综合服务中心", default=False)
    distance_to_town_km = models.DecimalField("距乡镇距离（公里）", max_digits=7, decimal_places=1, default=0)
    collective_income = models.DecimalField("村集体经济收入（元）", max_digits=14, decimal_places=2, default=0)

    class Meta:
        verbose_name = verbose_name_plural = "村情"
        constraints = [models.UniqueConstraint(fields=["village", "year"], name="one_village_record_per_year")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year}"


ROLES = (
    ("officer", "干部"),
    ("work_team", "驻村工作队员"),
    ("helper", "帮扶责任人"),
    ("evaluator", "第三方评估人员"),
    ("auditor", "审计人员"),
    ("administrator", "系统管理员"),
)


class AreaRole(models.Model):
    """A user's role at an area: what they may see is that area's subtree, and nothing else."""

    user = models.ForeignKey("auth.User", verbose_name="用户", on_delete=models.CASCADE, related_name="area_roles")
    area = models.ForeignKey(Area, verbose_name="区划", on_delete=models.PROTECT, related_name="roles")
    role = models.CharField("角色", max_length=16, choices=ROLES)

    class Meta:
        verbose_name = verbose_name_plural = "区域角色"
        constraints = [models.UniqueConstraint(fields=["user", "area", "role"], name="area_role_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area.name}"


class AccessStamp(models.Model):
    """A random stamp per user, changed by the database itself (triggers, migration 0003) whenever anything the
    user may see or do changes: their area roles, an area's code or level under one of them, their permissions
    or groups, a group's permissions. Grants and permissions read once are kept per server process under
    (user, stamp, superuser) (`jingzhun.access_cache`); the stamp is read with the user on every request, so a
    change is seen by the very next request whatever wrote it (the admin, a bulk update, raw SQL). Random, not
    a counter: a rolled-back transaction or a restored backup cannot bring back a stamp already cached."""

    # No foreign key: the triggers write here while Django deletes a user's roles, before the user.
    user_id = models.BigIntegerField("用户", primary_key=True)
    stamp = models.CharField("戳", max_length=40)

    class Meta:
        verbose_name = verbose_name_plural = "权限戳"

    def __str__(self) -> str:
        return f"{self.user_id} {self.stamp}"
