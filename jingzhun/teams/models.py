"""Dispatch (因村派人) and pairing (结对帮扶): cadres, village work teams, helper ↔ household pairs.

What must always hold is a database constraint: at most one active pair per household (a partial
unique index on household where the end date is NULL), end dates not before start dates, at most one
serving first secretary per team, one open team per village. A helper's capacity depends on the
configured mapping by rank, so it is checked by the adapter (`jingzhun.teams.pairing_db`), under a lock.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from jingzhun.areas.models import Area
from jingzhun.choices import UNIT_KIND, Enum
from jingzhun.registry.models import Household

RANK = Enum("rank", (
    ("bureau", "厅局级", "bureau level"),
    ("division", "县处级", "division level"),
    ("section", "乡科级", "section level"),
    ("staff", "科员及以下", "staff"),
    ("other", "其他人员", "other"),
))
SKILL = Enum("skill", (
    ("agriculture", "农业技术", "agriculture"),
    ("medicine", "医疗卫生", "medicine"),
    ("education", "教育", "education"),
    ("finance", "金融", "finance"),
    ("construction", "住房建设", "construction"),
    ("water", "水利", "water"),
    ("ecommerce", "电子商务", "e-commerce"),
    ("trade", "商贸与就业", "trade and employment"),
    ("social", "民政与社会保障", "social security"),
))
# A cadre's status and a membership's end, where code compares them (see choices.APPLICANT and the rest).
SERVING, RECALLED = "serving", "recalled"
CADRE_STATUS = Enum("cadre_status", (
    (SERVING, "在岗", "serving"),
    (RECALLED, "召回", "recalled"),
    ("ended", "期满离岗", "term ended"),
))
TEAM_ROLE = Enum("team_role", (
    ("first_secretary", "第一书记", "first secretary"),
    ("team_leader", "工作队长", "team leader"),
    ("member", "队员", "member"),
))
RUN_STATUS = Enum("run_status", (
    ("previewed", "待审批", "previewed"),
    ("approved", "已审批", "approved"),
))
END_KIND = Enum("end_kind", (
    ("term_end", "任期届满", "term ended"),
    (RECALLED, "召回", "recalled"),
    ("other", "其他调整", "other change"),
))
MEASURE = Enum("measure", (
    ("industry", "产业扶持", "industry support"),
    ("employment", "就业帮扶", "employment"),
    ("relocation", "易地扶贫搬迁", "relocation"),
    ("ecology", "生态补偿", "ecological compensation"),
    ("education", "教育扶贫", "education"),
    ("health", "健康扶贫", "health"),
    ("social", "社会保障兜底", "social assistance"),
    ("housing", "危房改造", "housing renovation"),
    ("credit", "扶贫小额信贷", "micro-credit"),
    ("water", "饮水安全", "safe water"),
    ("other", "其他", "other"),
))
ATTENDANCE_METHOD = Enum("attendance_method", (
    ("app", "手机定位签到", "phone check-in with location"),
    ("register", "纸质签到簿", "paper register"),
    ("inspection", "督查核实", "confirmed by inspection"),
    ("other", "其他", "other"),
))
# How a visit reached the register: the supervision alerts on location and entry time read the phone's own.
VISIT_CHANNEL = Enum("visit_channel", (
    ("file", "文件导入", "imported from a file"),
    ("api", "接口录入", "recorded through the API"),
    ("phone", "手机应用", "recorded in the phone app"),
))
PROPOSAL_KIND = Enum("proposal_kind", (
    ("new", "新增结对", "new"),
    ("moved", "调整结对", "moved"),
    ("kept", "保持不变", "kept"),
    ("ended", "解除结对", "ended"),
    ("unpaired", "无可用帮扶人", "no helper available"),
))


def parse_skills(text: str) -> list[str]:
    """Comma-joined skill codes → the codes, in SKILL order; unknown codes raise ValueError."""
    given = {s.strip() for s in text.split(",") if s.strip()}
    unknown = given - set(SKILL.codes)
    if unknown:
        raise ValueError(f"未知专长 / unknown skills: {', '.join(sorted(unknown))}")
    return [code for code in SKILL.codes if code in given]


class Cadre(models.Model):
    """A cadre sent to help (帮扶干部): a household helper, a work-team member, or both."""

    # The organisation department's personnel number (人员编号): the natural key a roster import matches
    # cadres by, so re-importing a roster updates the same people. Empty for cadres entered by hand before
    # the roster import existed; unique among the filled ones. A personnel number rather than the resident
    # ID: it identifies the cadre just as well and is not sensitive personal information.
    personnel_number = models.CharField("人员编号", max_length=32, blank=True, default="")
    name = models.CharField("姓名", max_length=40)
    unit = models.CharField("派出单位", max_length=100)
    unit_kind = models.CharField("派出单位类别", max_length=16, choices=UNIT_KIND.choices)
    # The unit record the typed name, kind and station identify (`jingzhun.organisation.units.attach`): every
    # cadre saved or imported gets one; the typed `unit` text stays as it was written.
    sending_unit = models.ForeignKey("organisation.Unit", verbose_name="派出单位（登记）", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="cadres")
    rank = models.CharField("职级", max_length=10, choices=RANK.choices)
    # Skill codes joined by "," in SKILL order (like Household.secondary_causes).
    skills = models.CharField("专长", max_length=160, blank=True)
    # Where the cadre is stationed while helping (village, township or county), not the sending unit's seat:
    # pairing candidates and distances are computed from it.
    home_area = models.ForeignKey(Area, verbose_name="帮扶所在区划", on_delete=models.PROTECT, related_name="cadres")
    status = models.CharField("状态", max_length=10, choices=CADRE_STATUS.choices, default=SERVING)
    phone = models.CharField("联系电话", max_length=20, blank=True)
    # For the age band of a leadership profile (`jingzhun.organisation.shortlists`); unknown fails the band.
    birth_date = models.DateField("出生日期", null=True, blank=True)
    # The cadre's login, when they use the web application: a helper sees exactly their paired households.
    user = models.OneToOneField("auth.User", verbose_name="登录账号", null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="cadre")

    class Meta:
        verbose_name = verbose_name_plural = "帮扶干部"
        indexes = [models.Index(fields=["home_area", "status"], name="cadre_area_status")]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=CADRE_STATUS.codes), name="cadre_status_known"),
            models.UniqueConstraint(fields=["personnel_number"], condition=~Q(personnel_number=""),
                                    name="one_cadre_per_personnel_number"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.unit}）"

    def save(self, *args: object, **kwargs: object) -> None:
        super().save(*args, **kwargs)  # type: ignore[arg-type]
        # The unit follows the typed name, kind and station (an edit of any of them may mean another unit).
        from jingzhun.organisation.units import attach_current

        attach_current([self.pk])
        self.sending_unit_id = Cadre.objects.values_list("sending_unit_id", flat=True).get(pk=self.pk)

    def clean(self) -> None:
        try:
            self.skills = ",".join(parse_skills(self.skills))
        except ValueError as e:
            raise ValidationError({"skills": str(e)}) from e


class CadreStatusEvent(models.Model):
    """A cadre's status over time: posted, recalled, term ended — with the date and the reason."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.CASCADE, related_name="status_events")
    status = models.CharField("状态", max_length=10, choices=CADRE_STATUS.choices)
    date = models.DateField("日期")
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "干部状态变化"
        ordering = ["cadre", "date", "id"]


class WorkTeam(models.Model):
    """A village work team (驻村工作队). One open team per village."""

    village = models.ForeignKey(Area, verbose_name="村", on_delete=models.PROTECT, related_name="work_teams",
                                limit_choices_to={"level": "village"})
    start_date = models.DateField("派驻日期")
    end_date = models.DateField("撤离日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "驻村工作队"
        constraints = [
            models.UniqueConstraint(fields=["village"], condition=Q(end_date__isnull=True),
                                    name="one_open_team_per_village"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="team_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} 驻村工作队"

    def clean(self) -> None:
        if self.village_id and Area.objects.filter(pk=self.village_id).exclude(level="village").exists():
            raise ValidationError({"village": "工作队只能派驻到村 / a work team is posted to a village"})


class TeamMembership(models.Model):
    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="memberships")
    team = models.ForeignKey(WorkTeam, verbose_name="工作队", on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("职务", max_length=16, choices=TEAM_ROLE.choices)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    # How the membership ended: a term served out, a recall (召回: reason required, a replacement expected —
    # `jingzhun.teams.rules` reports recalls without one), or another change. Empty while open.
    end_kind = models.CharField("离队类型", max_length=10, choices=END_KIND.choices, blank=True)
    recall_reason = models.CharField("召回原因", max_length=200, blank=True)
    replaced_by = models.ForeignKey("self", verbose_name="接替人", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="replaces")

    class Meta:
        verbose_name = verbose_name_plural = "工作队成员"
        constraints = [
            models.UniqueConstraint(fields=["team"], condition=Q(role="first_secretary", end_date__isnull=True),
                                    name="one_first_secretary_per_team"),
            models.UniqueConstraint(fields=["cadre", "team"], condition=Q(end_date__isnull=True),
                                    name="one_open_membership_per_cadre_team"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="membership_ends_after_start"),
            # An ended membership says how it ended, an open one does not; a recall always gives its reason.
            models.CheckConstraint(condition=Q(end_date__isnull=True, end_kind="")
                                   | (Q(end_date__isnull=False) & Q(end_kind__in=END_KIND.codes)),
                                   name="membership_end_kind_with_end_date"),
            models.CheckConstraint(condition=~Q(end_kind="recalled") | ~Q(recall_reason=""),
                                   name="recall_has_reason"),
            models.CheckConstraint(condition=~Q(replaced_by=F("id")), name="membership_not_replaced_by_itself"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre_id} · {self.get_role_display()} · {self.team_id}"


class PairingRun(models.Model):
    """One pairing computation (preview) and, once approved, the batch that wrote its pairs."""

    actor = models.CharField("操作人", max_length=150)
    created_at = models.DateTimeField("计算时间", auto_now_add=True)
    parameters = models.JSONField("参数", default=dict)
    status = models.CharField("状态", max_length=10, choices=RUN_STATUS.choices, default="previewed")
    households = models.PositiveIntegerField("需帮扶户数", default=0)
    helpers = models.PositiveIntegerField("帮扶人数", default=0)
    arcs = models.PositiveIntegerField("候选对数", default=0)
    new = models.PositiveIntegerField("新增", default=0)
    moved = models.PositiveIntegerField("调整", default=0)
    kept = models.PositiveIntegerField("不变", default=0)
    ended = models.PositiveIntegerField("解除", default=0)
    unpaired = models.PositiveIntegerField("无可用帮扶人", default=0)
    cost_before = models.BigIntegerField("调整前成本", default=0)
    cost_after = models.BigIntegerField("调整后成本", default=0)
    # [[county code, county name, households, capacity, short by], ...]
    shortfalls = models.JSONField("能力缺口", default=list)
    # SHA-256 of the active pairs in the run's counties when previewed: approval is refused if they changed.
    fingerprint = models.CharField("结对快照摘要", max_length=64)
    approved_by = models.CharField("审批人", max_length=150, blank=True)
    approved_at = models.DateTimeField("审批时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "结对计算批次"
        constraints = [models.CheckConstraint(condition=Q(status__in=RUN_STATUS.codes), name="run_status_known")]

    def __str__(self) -> str:
        return f"结对批次 {self.pk}（{self.get_status_display()}）"


class HelperPair(models.Model):
    """A helper ↔ household pair (结对) with its start and end: history is never deleted."""

    household = models.ForeignKey(Household, verbose_name="贫困户", on_delete=models.PROTECT,
                                  related_name="helper_pairs")
    cadre = models.ForeignKey(Cadre, verbose_name="帮扶责任人", on_delete=models.PROTECT, related_name="pairs")
    start_date = models.DateField("结对日期")
    end_date = models.DateField("解除日期", null=True, blank=True)
    end_reason = models.CharField("解除原因", max_length=200, blank=True)
    run = models.ForeignKey(PairingRun, verbose_name="结对批次", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="created_pairs")

    class Meta:
        verbose_name = verbose_name_plural = "结对帮扶"
        indexes = [models.Index(fields=["cadre"], condition=Q(end_date__isnull=True), name="helper_pair_active_cadre")]
        constraints = [
            models.UniqueConstraint(fields=["household"], condition=Q(end_date__isnull=True),
                                    name="one_active_pair_per_household"),
            models.CheckConstraint(condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                                   name="pair_ends_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.household_id} ↔ {self.cadre_id}"


def paired_household_ids(user_pk: int) -> QuerySet:
    """The ids of the households actively paired with the user (through their cadre record) as helper, as a
    queryset to use as a subquery: what `jingzhun.access` lets a helper role see."""
    return HelperPair.objects.filter(cadre__user_id=user_pk, end_date__isnull=True).values("household_id")


class PairingProposal(models.Model):
    """One household's line in a run: its proposed helper, and what that changes."""

    run = models.ForeignKey(PairingRun, on_delete=models.CASCADE, related_name="proposals")
    household = models.ForeignKey(Household, verbose_name="贫困户", on_delete=models.CASCADE, related_name="+")
    cadre = models.ForeignKey(Cadre, verbose_name="帮扶责任人", null=True, on_delete=models.CASCADE, related_name="+")
    previous_pair = models.ForeignKey(HelperPair, verbose_name="原结对", null=True, on_delete=models.CASCADE,
                                      related_name="+")
    kind = models.CharField("类型", max_length=10, choices=PROPOSAL_KIND.choices)
    cost = models.IntegerField("成本", null=True)
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "结对方案明细"
        indexes = [models.Index(fields=["run", "kind"], name="proposal_run_kind")]


class Visit(models.Model):
    """A helper's home visit (入户走访): who, which household, when, where, what was said and done.

    `village` is the household's village when the visit was recorded: alerts and access scoping then read
    one indexed column instead of joining millions of visits to households. `notes_key` is a digest of the
    normalised notes (see `jingzhun.teams.visits.notes_key`), so copied notes group on one indexed column.
    """

    cadre = models.ForeignKey(Cadre, verbose_name="帮扶人", on_delete=models.PROTECT, related_name="visits")
    household = models.ForeignKey(Household, verbose_name="走访户", on_delete=models.PROTECT, related_name="visits")
    village = models.ForeignKey(Area, verbose_name="所在村", on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField("走访时间")
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    notes = models.TextField("走访记录", blank=True)
    notes_key = models.CharField("记录摘要", max_length=32, blank=True, editable=False)
    # Measure codes joined by "," in MEASURE order.
    measures = models.CharField("商议帮扶措施", max_length=200, blank=True)
    recorded_at = models.DateTimeField("录入时间")
    entered_by = models.CharField("录入人", max_length=150)
    # The radius (metres, 95 % confidence) the phone reported with the coordinates (navigator.geolocation).
    location_accuracy = models.DecimalField("定位精度（米）", max_digits=8, decimal_places=1, null=True, blank=True)
    # A database default too: the benches and bulk loaders insert visits by SQL without naming it.
    channel = models.CharField("录入方式", max_length=10, choices=VISIT_CHANNEL.choices, default="file", db_default="file")

    class Meta:
        verbose_name = verbose_name_plural = "入户走访"
        indexes = [
            models.Index(fields=["household", "visited_at"], name="visit_household_time"),
            models.Index(fields=["cadre", "visited_at"], name="visit_cadre_time"),
            models.Index(fields=["village", "visited_at"], name="visit_village_time"),
            # The assessment's visits per village and helper in a year: SQLite groups them in this index's
            # order, reading nothing else (it has no hash aggregation; without it, a sort of every visit).
            models.Index(fields=["village", "cadre", "visited_at"], name="visit_village_cadre_time"),
            # Copied notes and shared coordinates: finding the repeated values is a scan of these small
            # indexes in order, not a hash aggregate over millions of visits (see supervision.py).
            models.Index(fields=["notes_key"], condition=Q(notes_key__gt=""), name="visit_notes_key"),
            models.Index(fields=["latitude", "longitude"], condition=Q(latitude__isnull=False),
                         name="visit_coordinates"),
            # The late-entry and poor-location alerts read only visits entered through the API or the phone
            # (`channel IN (...)` in the window's range, supervision.py), and only these columns: the index holds
            # them all, so those alerts never touch the table. With the channel and time alone each typed visit
            # was a lookup in the table, slower than a scan of it once typed visits pass a few percent
            # (bench/bench_visit_channel.py, docs/benchmarks.md "Stop 22 — reportjobs").
            models.Index(fields=["channel", "visited_at", "village", "entered_by", "recorded_at", "household",
                                 "latitude", "location_accuracy", "id"], name="visit_channel_time"),
        ]
        constraints = [
            # Coordinates come as a pair or not at all, and inside the globe's ranges.
            models.CheckConstraint(condition=Q(latitude__isnull=True, longitude__isnull=True)
                                   | Q(latitude__isnull=False, longitude__isnull=False),
                                   name="visit_coordinates_paired"),
            models.CheckConstraint(condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                                   name="visit_latitude_range"),
            models.CheckConstraint(condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                                   name="visit_longitude_range"),
            # A visit cannot be entered before it happened.
            models.CheckConstraint(condition=Q(recorded_at__gte=F("visited_at")), name="visit_recorded_after_visit"),
            models.CheckConstraint(condition=~Q(entered_by=""), name="visit_has_entered_by"),
            # An accuracy belongs to coordinates, and is a positive radius.
            models.CheckConstraint(condition=Q(location_accuracy__isnull=True)
                                   | Q(location_accuracy__gt=0, latitude__isnull=False),
                                   name="visit_accuracy_with_coordinates"),
            models.CheckConstraint(condition=Q(channel__in=VISIT_CHANNEL.codes), name="visit_channel_known"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre_id} → {self.household_id} {self.visited_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        from jingzhun.teams.visits import notes_key

        self.notes_key = notes_key(self.notes)
        if not self.village_id and self.household_id:
            self.village_id = Household.objects.values_list("village_id", flat=True).get(pk=self.household_id)
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class VisitPhoto(models.Model):
    """A photo of a visit, by reference: where the file is kept and its SHA-256, so a swapped file shows."""

    visit = models.ForeignKey(Visit, verbose_name="走访", on_delete=models.CASCADE, related_name="photos")
    file = models.CharField("文件", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    # A phone's photo is kept here (a JPEG it resized, ≤ 1600 px), read only through the scoped API; a file's
    # import names its photos by reference and leaves these empty. The digest is checked against the bytes.
    data = models.BinaryField("照片数据", null=True, blank=True, editable=False)
    size = models.PositiveIntegerField("字节数", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "走访照片"
        constraints = [
            models.UniqueConstraint(fields=["visit", "sha256"], name="one_photo_once_per_visit"),
            # 64 characters; that they are lowercase hex is checked on entry (SQLite has no portable regex).
            models.CheckConstraint(condition=Exact(Length("sha256"), 64), name="photo_sha256_length"),
            models.CheckConstraint(condition=~Q(file=""), name="photo_has_file"),
            models.CheckConstraint(condition=Q(data__isnull=True) | Q(size__isnull=False), name="photo_data_sized"),
        ]


class Attendance(models.Model):
    """A day a cadre was present in a village (驻村考勤). One row per cadre and day."""

    cadre = models.ForeignKey(Cadre, verbose_name="干部", on_delete=models.PROTECT, related_name="attendance")
    village = models.ForeignKey(Area, verbose_name="村", on_delete=models.PROTECT, related_name="+")
    date = models.DateField("日期")
    method = models.CharField("记录方式", max_length=10, choices=ATTENDANCE_METHOD.choices)
    recorded_at = models.DateTimeField("录入时间")
    entered_by = models.CharField("录入人", max_length=150)

    class Meta:
        verbose_name = verbose_name_plural = "驻村考勤"
        indexes = [models.Index(fields=["village", "date"], name="attendance_village_date")]
        constraints = [
            # One place a day: the residence rule counts days, so a day can never count twice.
            models.UniqueConstraint(fields=["cadre", "date"], name="one_attendance_per_cadre_day"),
            models.CheckConstraint(condition=Q(method__in=ATTENDANCE_METHOD.codes), name="attendance_method_known"),
            models.CheckConstraint(condition=~Q(entered_by=""), name="attendance_has_entered_by"),
        ]

    def __str__(self) -> str:
        return f"{self.cadre_id} {self.village_id} {self.date}"


class AlertNote(models.Model):
    """An officer's handling of a supervision alert (已处理): what was found and done, by whom and when.

    Alerts are computed, not stored (jingzhun.teams.supervision), so a note refers to its alert by a key made from
    the alert's kind, area and identifying evidence (jingzhun.teams.alert_view.key_of): the same situation found
    again tomorrow is the same alert, and shows as handled."""

    key = models.CharField("预警标识", max_length=40, unique=True)
    kind = models.CharField("预警类型", max_length=20)
    area = models.CharField("区划代码", max_length=12, db_index=True)
    subject = models.CharField("对象", max_length=200)
    note = models.TextField("处理情况")
    handled_by = models.CharField("处理人", max_length=150)
    handled_at = models.DateTimeField("处理时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "预警处理"
