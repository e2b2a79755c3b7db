"""Synthetic dispatch work (因村派人) for the demo: cadres, work teams, visits, attendance, department lists.

`jingzhun.demo.synth` makes the register; this makes the people sent to help and what they record, small and
realistic enough that every page of a demo has something on it:

- `roster` (written as a roster file by `roster_rows`): cadres with their sending units (province, city and county departments, a central unit, an
  enterprise, the township), ranks and skills; a work team of 3–4 in every poor village led by a first
  secretary (第一书记), one member recalled and replaced; helpers stationed in the townships, about one per
  four households needing one (a helper takes at most 5 by default).
- `visits`: helper visits over the last 60 days (and the last finished year), about one every two to four weeks, ~10 % of households
  overdue, grouped into weekly batches as a township office enters them — plus the suspicious patterns
  supervision must catch: notes pasted into several households, one check-in point used at several
  households, one helper "at" two households in the same minute, and a batch entered weeks late.
- `attendance`: days in the village for every team member over the last full months (and the last finished year), one member short
  of the residence rule (20 days a month) last month.
- `department_list`: a department's list (vehicles, deaths) mixing a few register members with people who
  are not in the register, so the cross-department check has hits.

Pure: no Django, no database. Inputs are plain rows the caller read from the database; outputs are rows in
the layouts the import paths accept (`jingzhun.teams.visits_import`, `jingzhun.crosscheck.lists`), written
with `write_csv`. Deterministic: everything is drawn from `random.Random` seeded by the seed and a name,
iterating inputs in a fixed order, so the same inputs, seed and day give the same files.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from jingzhun.identity import check_char

# Given-name characters of working-age cadres (born 1965–2000).
_SURNAMES = "李王张刘陈杨黄周吴胡罗谢唐肖邓曾彭蒋谭廖邹龙向田石贺易文欧阳颜聂伍"
_GIVEN = "建国军华明强伟勇平春林海文德志红东新兵辉斌杰涛波磊刚峰云亮霞艳琴燕娟丽芳敏静英玲萍梅丹慧琼利俊宇鹏"

# Sending units: (name template, unit kind, skills). {province} {city} {county} {township} are filled in.
_TEAM_UNITS = (
    ("{province}农业农村厅", "provincial", "agriculture"),
    ("{province}卫生健康委员会", "provincial", "medicine"),
    ("{province}交通运输厅", "provincial", "construction"),
    ("{city}水利局", "city", "water"),
    ("{city}教育局", "city", "education"),
    ("国家开发银行{province}分行", "central", "finance"),
    ("{county}人力资源和社会保障局", "county", "trade"),
    ("{county}商务局", "county", "ecommerce,trade"),
    ("{county}农业农村局", "county", "agriculture"),
)
_HELPER_UNITS = (
    ("{county}农业农村局", "county", "agriculture"),
    ("{county}卫生健康局", "county", "medicine"),
    ("{county}人民医院", "institution", "medicine,social"),
    ("{county}教育局", "county", "education"),
    ("{county}第一中学", "institution", "education"),
    ("{county}住房和城乡建设局", "county", "construction"),
    ("{county}水利局", "county", "water"),
    ("{county}民政局", "county", "social"),
    ("{county}人力资源和社会保障局", "county", "trade,social"),
    ("{county}农村商业银行", "enterprise", "finance"),
    ("{county}电子商务服务中心", "institution", "ecommerce"),
    ("{township}人民政府", "township", "agriculture,social"),
)
# Ranks of helpers (most are staff or section level) and of first secretaries.
_HELPER_RANKS = (("staff", 50), ("section", 35), ("division", 12), ("bureau", 3))
_SECRETARY_RANKS = (("section", 70), ("division", 30))

VISIT_DAYS = 60  # the span of visits generated, ending yesterday
RECALL_REASON = "身体原因不能坚持驻村，经组织部门同意召回"

# Visit notes, composed so that two households rarely share the same text (the date leads each note).
_SEEN = ("了解家庭收支情况", "核实家庭人口和务工情况", "了解家庭成员身体状况", "察看住房和饮水情况",
         "了解子女上学情况", "核对产业发展情况", "了解医疗报销情况", "核实低保和养老金发放")
_DONE = ("宣讲防返贫监测政策", "帮助联系务工岗位", "协调申请小额信贷", "送去春耕化肥", "协助办理慢病卡",
         "对接村里公益岗位", "讲解教育资助政策", "帮助联系技术员指导种植")
_SAID = ("户主表示收入基本稳定", "户主反映看病开支较大", "户主希望发展养殖", "户主表示愿意外出务工",
         "户主对帮扶工作满意", "户主反映农产品销路不畅", "户主表示孩子学习正常", "户主希望申请危房改造")
_MEASURES = ("产业扶持", "就业帮扶", "健康扶贫", "教育扶贫", "扶贫小额信贷", "社会保障兜底", "")
# The pasted notes: long enough to compare (visits.MIN_NOTE_CHARS), word for word at several households.
COPIED_NOTE = "入户走访，宣传扶贫政策，了解家庭收支情况，无异常。"


@dataclass(frozen=True)
class Place:
    code: str
    name: str


@dataclass(frozen=True)
class CountyPlan:
    """One county's places and how many households there need a helper (read from the register)."""

    county: Place
    city: Place
    province: Place
    townships: tuple[Place, ...]
    poor_villages: tuple[Place, ...]
    needing_helper: int


@dataclass
class CadreRow:
    key: str  # a stable name for the row within the roster ("430225-h03", "430225201201-t1")
    name: str
    unit: str
    unit_kind: str
    rank: str
    skills: str
    home_area: str
    phone: str
    status: str = "serving"


@dataclass
class MembershipRow:
    cadre: str  # CadreRow.key
    village: str
    role: str
    start: dt.date
    end: dt.date | None = None
    end_kind: str = ""
    recall_reason: str = ""
    replaced_by: str = ""  # the CadreRow.key whose membership in the same team replaced this one


@dataclass
class Roster:
    cadres: list[CadreRow] = field(default_factory=list)
    teams: dict[str, dt.date] = field(default_factory=dict)  # village code → posted on
    memberships: list[MembershipRow] = field(default_factory=list)


def _rng(seed: int, *names: str) -> random.Random:
    return random.Random(f"{seed}:" + ":".join(names))


@dataclass(frozen=True)
class Lapses:
    """How often a village's work team and its helpers fell short in the finished year: the share of its member-months
    below the 20-day residence rule, and the share of its households whose plan was not approved or whose
    measures were done late. Teams differ, as they do: so the year's assessment grades them apart."""

    short_months: float
    plans: float


# (short months, plans) of each tier, drawn uniformly between the bounds: the teams that keep every rule, those
# that slip now and then, and those that slip often.
_KEEPS, _SLIPS, _OFTEN = ((0.0, 0.0), (0.0, 0.0)), ((0.0, 0.04), (0.05, 0.15)), ((0.06, 0.12), (0.15, 0.3))


def lapse_table(seed: int, villages: Iterable[str]) -> dict[str, Lapses]:
    """Each work team's village's `Lapses`, from the seed: in a seeded order of the villages, one in six keeps
    every rule and one in six slips often (at least one of each), the rest slip now and then."""
    order = sorted(set(villages), key=lambda v: (_rng(seed, "tier", v).random(), v))
    few = max(1, len(order) // 6)
    out = {}
    for i, village in enumerate(order):
        rng = _rng(seed, "lapses", village)
        short, plans = _KEEPS if i < few else (_OFTEN if i >= len(order) - few else _SLIPS)
        out[village] = Lapses(rng.uniform(*short), rng.uniform(*plans))
    return out


def unapproved_plans(seed: int, households: Mapping[str, list[str]], lapses: Mapping[str, Lapses]) -> set[str]:
    """Of each village's households (village → household numbers), those whose plan was left unapproved: the
    village's share (`lapse_table`; none outside it) of them, at least one where the share is not 0 (so a village
    that slips at all scores below one that never does), drawn from the seed."""
    out: set[str] = set()
    for village, numbers in households.items():
        share = lapses[village].plans if village in lapses else 0.0
        if share > 0 and numbers:
            k = max(1, round(share * len(numbers)))
            out.update(_rng(seed, "unapproved", village).sample(sorted(numbers), k))
    return out


def lapsed(seed: int, share: float, *names: str) -> bool:
    """Whether this one thing (named) lapsed, at the share given: its own draw, so stages draw independently."""
    return _rng(seed, "lapsed", *names).random() < share


def _weighted(rng: random.Random, options: Sequence[tuple[str, int]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _person(rng: random.Random, used: set[str]) -> str:
    while True:
        surname = "欧阳" if rng.random() < 0.02 else rng.choice(_SURNAMES.replace("欧阳", ""))
        name = surname + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in used:
            used.add(name)
            return name


def _phone(rng: random.Random) -> str:
    return rng.choice(("135", "137", "139", "150", "152", "158", "182", "187", "199")) + f"{rng.randrange(10**8):08d}"


def _unit(template: tuple[str, str, str], plan: CountyPlan, township: Place) -> tuple[str, str, str]:
    text, kind, skills = template
    return (text.format(province=plan.province.name, city=plan.city.name, county=plan.county.name,
                        township=township.name), kind, skills)


def roster(plans: Sequence[CountyPlan], *, seed: int, today: dt.date) -> Roster:
    """Cadres and work teams for the counties: a team in every poor village, helpers in every township."""
    out = Roster()
    used: set[str] = set()
    for plan in plans:
        rng = _rng(seed, "roster", plan.county.code)
        # Teams of the current round, posted in the spring of the year before last (a term is at least 2 years),
        # so the round has served the whole of the last finished year, the one the assessment scores.
        posted = dt.date(today.year - 2, 3, 1) + dt.timedelta(days=rng.randrange(0, 120))
        for v, village in enumerate(plan.poor_villages):
            out.teams[village.code] = posted
            township = next((t for t in plan.townships if village.code.startswith(t.code[:9])), plan.townships[0])
            size = 3 if rng.random() < 0.6 else 4
            for i in range(size):
                role = "first_secretary" if i == 0 else "member"
                unit = _unit(rng.choice(_TEAM_UNITS), plan, township)
                rank = _weighted(rng, _SECRETARY_RANKS) if i == 0 else _weighted(rng, _HELPER_RANKS[:2])
                key = f"{village.code}-t{i}"
                out.cadres.append(CadreRow(key, _person(rng, used), unit[0], unit[1], rank, unit[2], village.code,
                                           _phone(rng)))
                out.memberships.append(MembershipRow(key, village.code, role, posted))
            if v == 0:
                # One member of the county's first team was recalled half-way and replaced the next day: the
                # team's history shows the recall with its reason and who took over.
                gone = out.memberships[-1]
                gone.end = posted + dt.timedelta(days=rng.randrange(150, 250))
                gone.end_kind, gone.recall_reason = "recalled", RECALL_REASON
                next(c for c in out.cadres if c.key == gone.cadre).status = "recalled"
                key = f"{village.code}-t{size}"
                unit = _unit(rng.choice(_TEAM_UNITS), plan, township)
                out.cadres.append(CadreRow(key, _person(rng, used), unit[0], unit[1], "staff", unit[2], village.code,
                                           _phone(rng)))
                out.memberships.append(MembershipRow(key, village.code, "member", gone.end + dt.timedelta(days=1)))
                gone.replaced_by = key
        # Helpers: about one per four households needing one, so that pairing has room to choose; at least
        # one per township. Team members help households too (the solver prefers those of their village).
        helpers = max(len(plan.townships), -(-plan.needing_helper // 4) + 1)
        for i in range(helpers):
            township = plan.townships[i % len(plan.townships)]
            unit = _unit(rng.choice(_HELPER_UNITS), plan, township)
            out.cadres.append(CadreRow(f"{plan.county.code}-h{i:03d}", _person(rng, used), unit[0], unit[1],
                                       _weighted(rng, _HELPER_RANKS), unit[2], township.code, _phone(rng)))
    return out


def roster_rows(made: Roster) -> list[dict[str, str]]:
    """The roster as the organisation department's file (`jingzhun.teams.roster_import`): one row per cadre
    with their membership, keyed by the import's column keys (the caller writes the headers). Personnel
    numbers are the county code and a serial in roster order, so the same roster gives the same numbers."""
    numbers: dict[str, str] = {}
    serial: dict[str, int] = {}
    for c in made.cadres:
        county = c.home_area[:6]
        serial[county] = serial.get(county, 0) + 1
        numbers[c.key] = f"{county}{serial[county]:05d}"
    membership = {m.cadre: m for m in made.memberships}
    rows = []
    for c in made.cadres:
        row = {"personnel_number": numbers[c.key], "name": c.name, "unit": c.unit, "unit_kind": c.unit_kind,
               "rank": c.rank, "skills": c.skills, "home_area": c.home_area, "status": c.status, "phone": c.phone}
        m = membership.get(c.key)
        if m is not None:
            row.update(village=m.village, role=m.role, start=m.start.isoformat(),
                       end=m.end.isoformat() if m.end else "", end_kind=m.end_kind, recall_reason=m.recall_reason,
                       replaced_by=numbers[m.replaced_by] if m.replaced_by else "")
        rows.append(row)
    return rows


# Visits ---------------------------------------------------------------------------------------------------

VISIT_HEADER = ("帮扶人编号", "户编号", "走访时间", "纬度", "经度", "走访记录", "商议帮扶措施", "照片")
ATTENDANCE_HEADER = ("干部编号", "村代码", "日期", "记录方式")


@dataclass(frozen=True)
class Pair:
    """A pair as read from the database; visits fall inside its days (from `start`, before `end`)."""

    cadre: int
    household: str  # household number
    village: str
    township_name: str
    start: dt.date | None = None
    end: dt.date | None = None  # None: active


@dataclass
class VisitBatch:
    """Visits as a township office (or the demo) enters them: who entered them and when."""

    name: str
    actor: str
    entered_at: dt.datetime  # naive local time
    rows: list[tuple[str, ...]] = field(default_factory=list)


def village_point(code: str) -> tuple[float, float]:
    """A village's committee office: a fixed point inside Hunan (24.6–30.1 N, 108.8–114.3 E) from its code."""
    rng = random.Random(f"point:{code}")
    county = random.Random(f"point:{code[:6]}")
    lat = 25.0 + county.random() * 4.5 + (rng.random() - 0.5) * 0.2
    lon = 109.5 + county.random() * 4.0 + (rng.random() - 0.5) * 0.2
    return round(lat, 6), round(lon, 6)


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8, 30)) + dt.timedelta(minutes=rng.randrange(0, 9 * 60))


def _note(day: dt.date, rng: random.Random) -> str:
    return f"{day.month}月{day.day}日入户，{rng.choice(_SEEN)}，{rng.choice(_DONE)}，{rng.choice(_SAID)}。"


def visits(pairs: Sequence[Pair], *, seed: int, today: dt.date, county: str = "",
           since: dt.date | None = None) -> list[VisitBatch]:
    """Visits over the `VISIT_DAYS` days before `today` (from `since` when earlier: a helper's history, such as
    the whole of the last finished year), in weekly batches entered at most 7 days late, and one batch entered
    weeks late (the last). Households are visited every 14–28 days; about one in ten has not been visited for
    over 30 days (supervision's "not visited" alert). The suspicious patterns go to households of `county` (a
    6-digit prefix; default the first county), in the last `VISIT_DAYS` days."""
    rng = _rng(seed, "visits")
    first = min(today - dt.timedelta(days=VISIT_DAYS), since or today)
    ordered = sorted(pairs, key=lambda p: (p.village, p.household))
    visits: list[tuple[dt.datetime, Pair, str, str, tuple[float, float] | None]] = []
    taken: set[tuple[int, str, dt.datetime]] = set()

    def add(when: dt.datetime, p: Pair, note: str, measures: str, point: tuple[float, float] | None) -> None:
        while (p.cadre, p.household, when) in taken:
            when += dt.timedelta(minutes=7)
        taken.add((p.cadre, p.household, when))
        visits.append((when, p, note, measures, point))

    county = county or (ordered[0].village[:6] if ordered else "")
    # The planted patterns and overdue households are among the active pairs made before the visits' window
    # (a household paired within the last 30 days is not due yet).
    settled = today - dt.timedelta(days=VISIT_DAYS)
    mine = [p for p in ordered if p.village.startswith(county) and p.end is None
            and (p.start is None or p.start <= settled)]
    # The county's overdue households are chosen first (two where there are enough, one anyway), so the "not
    # visited" alert is planted however few households the county has left to help; the suspicious patterns
    # then take households among the rest, which they touch recently (so never the overdue ones).
    planted = ([mine[len(mine) // 2]] if mine else []) + ([mine[1]] if len(mine) >= 8 else [])
    overdue_too = {p.household for p in planted}
    rest = [p for p in mine if p.household not in overdue_too]
    patterns = len(rest) >= 6
    by_cadre: dict[int, list[Pair]] = {}
    for p in rest:
        by_cadre.setdefault(p.cadre, []).append(p)
    two = next((ps[:2] for ps in by_cadre.values() if len(ps) >= 2), [])
    recent = {p.household for p in [*rest[:6], *rest[-6:], *two]} if patterns else set()

    for n, p in enumerate(ordered):
        home = village_point(p.village)
        spot = (round(home[0] + (rng.random() - 0.5) * 0.02, 6), round(home[1] + (rng.random() - 0.5) * 0.02, 6))
        # Every ninth household is overdue, and the county's planted ones.
        overdue = (n % 9 == 4 or p.household in overdue_too) and p.household not in recent and p.end is None
        day = max(first, p.start or first) + dt.timedelta(days=rng.randrange(0, 14))
        last = today - dt.timedelta(days=35) if overdue else today - dt.timedelta(days=1)
        if p.end is not None:
            last = min(last, p.end - dt.timedelta(days=1))
        while day <= last:
            point = None if rng.random() < 0.2 else (round(spot[0] + (rng.random() - 0.5) * 0.0004, 6),
                                                      round(spot[1] + (rng.random() - 0.5) * 0.0004, 6))
            add(_at(day, rng), p, _note(day, rng), rng.choice(_MEASURES), point)
            day += dt.timedelta(days=rng.randrange(14, 29))

    late: list[tuple[dt.datetime, Pair, str, str, tuple[float, float] | None]] = []
    if patterns:
        week = today - dt.timedelta(days=10)
        for k, p in enumerate(rest[:6]):  # the same pasted notes at six households
            add(_at(week + dt.timedelta(days=k % 3), rng), p, COPIED_NOTE, "", None)
        office = village_point(rest[-1].village)
        for p in rest[-6:]:  # six households "visited" at the village office's exact point
            day = today - dt.timedelta(days=5)
            add(_at(day, rng), p, _note(day, rng), "", office)
        if two:  # one helper at two households in the same minute
            moment = dt.datetime.combine(today - dt.timedelta(days=3), dt.time(10, 15))
            add(moment, two[0], _note(moment.date(), rng), "", None)
            add(moment + dt.timedelta(seconds=40), two[1], _note(moment.date(), rng), "", None)
        # 24 visits of 31–41 days ago entered in one sitting two days ago (事后集中补录): older than the
        # 30 days of the overdue rule, so they change no household's overdue status.
        start = len(visits)
        for k in range(24):
            p = rest[k % len(rest)]
            day = today - dt.timedelta(days=31 + (k * 5) % 11)
            add(_at(day, rng), p, _note(day, rng), rng.choice(_MEASURES), None)
        late = visits[start:]
        del visits[start:]

    batches: list[VisitBatch] = []
    # Weekly batches ending yesterday, each entered the evening after its last day: at most 7 days late.
    end = today - dt.timedelta(days=1)
    while end >= first:
        begin = end - dt.timedelta(days=6)
        rows = [v for v in visits if begin <= v[0].date() <= end]
        if rows:
            batches.append(VisitBatch(f"visits-{end:%Y%m%d}.csv", "demo", dt.datetime.combine(end, dt.time(21, 0)),
                                      _rows(rows)))
        end = begin - dt.timedelta(days=1)
    batches.reverse()
    if late:
        who = f"{late[0][1].township_name}扶贫专干"
        day = today - dt.timedelta(days=2)
        batches.append(VisitBatch(f"visits-late-{day:%Y%m%d}.csv", who, dt.datetime.combine(day, dt.time(15, 10)),
                                  _rows(late)))
    return batches


def _rows(items: Iterable[tuple[dt.datetime, Pair, str, str, tuple[float, float] | None]]) -> list[tuple[str, ...]]:
    return [(str(p.cadre), p.household, f"{when:%Y-%m-%d %H:%M:%S}",
             f"{point[0]:.6f}" if point else "", f"{point[1]:.6f}" if point else "", note, measures, "")
            for when, p, note, measures, point in sorted(items, key=lambda v: (v[0], v[1].cadre, v[1].household))]


def attendance(members: Sequence[tuple[int, str, dt.date]], *, seed: int, today: dt.date,
               since: dt.date | None = None, lapses: Mapping[str, Lapses] | None = None) -> list[tuple[str, ...]]:
    """Days in the village for (cadre id, village, membership start) over the two last full months (from
    `since`'s month when earlier: the whole of the last finished year) and this month up to yesterday: 20–26
    days in a full month, except the first member last month (12 days) and, in the months before the last two,
    a village's share of short months (`lapses`, from `lapse_table`: 12–19 days)."""
    rng = _rng(seed, "attendance")
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    first = min((last_month - dt.timedelta(days=1)).replace(day=1), (since or today).replace(day=1))
    shorts = short_months(members, first, last_month, lapses or {}, seed)
    rows: list[tuple[str, ...]] = []
    for n, (cadre, village, start) in enumerate(sorted(members)):
        month = first
        while month <= this_month:
            following = (month + dt.timedelta(days=32)).replace(day=1)
            days = [month + dt.timedelta(days=d) for d in range((following - month).days)]
            days = [d for d in days if start <= d < today]
            if month == last_month and n == 0:
                want = 12
            elif (cadre, month) in shorts:
                want = rng.randrange(12, 20)
            elif month == this_month:
                want = round(len(days) * 0.8)
            else:
                want = rng.randrange(20, 27)
            for d in sorted(rng.sample(days, min(want, len(days)))):
                rows.append((str(cadre), village, d.isoformat(), "手机定位签到" if rng.random() < 0.85 else "纸质签到簿"))
            month = following
    return rows


def short_months(members: Sequence[tuple[int, str, dt.date]], first: dt.date, before: dt.date,
                 lapses: Mapping[str, Lapses], seed: int) -> set[tuple[int, dt.date]]:
    """(cadre, month) of the member-months below the residence rule: of each village's whole months from `first`
    to before `before`, its `lapses` share (rounded), drawn from the seed — an exact count, so a team that slips
    often is seen to."""
    months = []
    month = first
    while month < before:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    by_village: dict[str, list[tuple[int, dt.date]]] = {}
    for cadre, village, start in sorted(members):
        by_village.setdefault(village, []).extend((cadre, m) for m in months if start <= m)
    out: set[tuple[int, dt.date]] = set()
    for village, candidates in by_village.items():
        k = round(lapses[village].short_months * len(candidates)) if village in lapses else 0
        out.update(_rng(seed, "short", village).sample(candidates, min(k, len(candidates))))
    return out


# Department lists -----------------------------------------------------------------------------------------

LIST_HEADERS = {
    "vehicle": ("证件号码", "姓名", "号牌号码", "车辆类型", "登记日期"),
    "deceased": ("公民身份号码", "姓名", "死亡日期"),
}
_PLATE_LETTERS = "ABCDEFGHJKLMN"
_VEHICLES = ("小型普通客车", "轻型普通货车", "普通二轮摩托车", "三轮汽车")


def _outsider_id(rng: random.Random, county: str, taken: set[str]) -> str:
    while True:
        born = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 40))
        first17 = f"{county}{born:%Y%m%d}{rng.randrange(1000):03d}"
        rid = first17 + check_char(first17)
        if rid not in taken:
            taken.add(rid)
            return rid


def department_list(rule: str, members: Sequence[tuple[str, str]], *, outsiders: int, counties: Sequence[str],
                    register_ids: set[str], seed: int, today: dt.date) -> list[tuple[str, ...]]:
    """A department's list for `rule`: the register `members` given (resident ID, name) — they become hits —
    among `outsiders` people with valid IDs of the same counties who are not in the register."""
    rng = _rng(seed, "list", rule)
    taken = set(register_ids)
    people = list(members) + [(_outsider_id(rng, rng.choice(list(counties)), taken),
                               _person(rng, set())) for _ in range(outsiders)]
    rng.shuffle(people)
    rows: list[tuple[str, ...]] = []
    for rid, name in people:
        if rule == "vehicle":
            plate = f"湘{rng.choice(_PLATE_LETTERS)}{rng.randrange(10**5):05d}"
            rows.append((rid, name, plate, rng.choice(_VEHICLES),
                         (today - dt.timedelta(days=rng.randrange(30, 2000))).isoformat()))
        else:
            rows.append((rid, name, (today - dt.timedelta(days=rng.randrange(20, 300))).isoformat()))
    return rows


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Path:
    """UTF-8 with a byte-order mark, as Excel writes it (the import paths accept it and GBK alike)."""
    p = Path(path)
    with p.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return p
