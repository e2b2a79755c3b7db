"""The demo's people work (issue 17): training, talent with its special funds, and village party branches,
for every county that has cadres — through the same paths users take: the course roster through
`import_course_roster` (the one import subsystem), the pool and the ledger through `talent.pool` and
`talent.funds`, ratings through `branches.service`. Seeded, so every run makes the same records; skipped
when courses already exist, so a second run changes nothing.

`run(today)` is called by the demo after the cadres and work teams exist (jingzhun.demo.work.roster)."""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from jingzhun.areas.models import Area
from jingzhun.branches import service as branches
from jingzhun.branches.models import Branch
from jingzhun.core.operator import Operator
from jingzhun.talent import funds, pool
from jingzhun.talent.models import Quota, Scheme
from jingzhun.teams.models import SERVING, Cadre
from jingzhun.training.models import Course
from jingzhun.training.roster import SPEC, import_course_roster

ACTOR = "demo"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国红梅志强丽娟海涛小燕明辉春花文斌秀英"
COURSES = (  # (suffix, title, topic, kind, days, hours, last year?)
    ("P1", "脱贫攻坚专题培训班", "poverty_work", "thematic", 3, 24, False),
    ("I1", "特色产业外出考察", "industry", "study_tour", 5, 30, False),
    ("E1", "农村电商现场培训", "ecommerce", "on_site", 1, 6, False),
    ("P0", "脱贫攻坚专题培训班（上年）", "poverty_work", "thematic", 3, 24, True),
)


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))


def run(today: dt.date, seed: int = 17, say: Callable[[str], None] = print) -> None:
    if Course.objects.exists():
        return
    operator, rng = Operator(ACTOR), random.Random(seed)
    counties = sorted({code[:6] + "000000" for code in Cadre.objects.values_list("home_area_id", flat=True)})
    for code in counties:
        county = Area.objects.filter(code=code, level="county").first()
        if county is None:
            continue
        training(county, today, rng, operator)
        talent(county, today, rng, operator)
        party_branches(county, today, rng, operator)
    say(f"  干部培训、人才与专项资金、村党组织 / training, talent and funds, party branches: {len(counties)} 个县")


def training(county: Area, today: dt.date, rng: random.Random, operator: Operator) -> None:
    """Four courses organised by the county; two thirds of its serving cadres on this year's poverty-work course
    (most complete it), a few on the others — imported as a roster file."""
    courses: dict[str, Course] = {}
    for suffix, title, topic, kind, days, hours, last in COURSES:
        start = dt.date(today.year - 1 if last else today.year, 3 + len(courses), 10)
        courses[suffix] = Course.objects.create(
            code=f"{county.code[:6]}-{start.year}-{suffix}", title=f"{county.name}{title}", topic=topic, kind=kind,
            start_date=start, end_date=start + dt.timedelta(days=days - 1), hours_tenths=hours * 10,
            place=f"{county.name}委党校", organiser=f"{county.name}委组织部", area_id=county.code)
    low, high = county.code_range
    cadres = list(Cadre.objects.filter(home_area_id__gte=low, home_area_id__lte=high, status=SERVING)
                  .exclude(personnel_number="").order_by("pk").values_list("personnel_number", "name"))
    rows = []
    for number, name in cadres:
        for suffix, share in (("P1", 0.67), ("I1", 0.2), ("E1", 0.15), ("P0", 0.5)):
            if rng.random() < share:
                full = courses[suffix].hours_tenths // 10
                done = rng.random() < 0.85
                rows.append([courses[suffix].code, number, name, "已结业" if done else "未结业",
                             str(full if done else rng.randint(0, full - 1))])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "培训班学员名册.csv"
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(SPEC.headers)
            writer.writerows(rows)
        outcome = import_course_roster(path, actor=ACTOR, user=operator)
        if not outcome.ok:
            raise RuntimeError(f"demo course roster refused: {outcome.problems[:3]}")


def allocated_on(today: dt.date) -> dt.date:
    """The day the year's fund was allocated: 15 January, or — run before that — the day before the run (the last
    days of December for a run on 1 January: a fund allocated ahead of its year). Always before `today`."""
    return min(dt.date(today.year, 1, 15), today - dt.timedelta(days=1))


def talent(county: Area, today: dt.date, rng: random.Random, operator: Operator) -> None:
    """Two schemes with this year's quotas in three villages, a dozen people (a few gone), a year's fund
    allocated, monthly subsidies paid, an award, and one payment reversed."""
    villages = list(Area.objects.filter(level="village", code__startswith=county.code[:6]).order_by("code")
                    .values_list("code", flat=True)[:3])
    if not villages:
        return
    schemes = [Scheme.objects.create(code=f"{county.code[:6]}-{kind}", name=f"{county.name}{name}", recruited=kind,
                                     area_id=county.code, start_year=today.year - 2)
               for kind, name in (("graduate", "三支一扶计划"), ("commissioner", "科技特派员计划"))]
    specialities = ("agriculture", "health", "education", "ecommerce")
    for scheme in schemes:
        for village in villages:
            Quota.objects.create(scheme=scheme, year=today.year, area_id=village, speciality=rng.choice(specialities),
                                 places=rng.randint(1, 3))
    people = []
    for i in range(12):
        scheme = schemes[i % 2]
        quota = rng.choice(list(scheme.quotas.all()))
        start = dt.date(today.year - rng.randint(0, 2), rng.randint(1, 6), 1)
        person = pool.join(operator, name=_name(rng), area_id=quota.area_id, speciality=quota.speciality,
                           recruited=scheme.recruited, scheme_id=scheme.pk, start_date=start, actor=ACTOR)
        if i % 5 == 4 and start < today - dt.timedelta(days=60):
            pool.depart(operator, person.pk, on=today - dt.timedelta(days=30), reason=rng.choice(("career", "family")),
                        actor=ACTOR)
        else:
            people.append((scheme, person))
    for scheme in schemes:
        funds.allocate(operator, scheme.pk, today.year, 30_000_000, made_on=allocated_on(today), actor=ACTOR,
                       today=today)
    first = None
    for month in range(1, today.month + 1):
        for scheme, person in people:
            row = funds.pay(operator, scheme.pk, today.year, person.pk, 150_000, kind="subsidy",
                            paid_on=dt.date(today.year, month, 25 if month < today.month else 1), actor=ACTOR,
                            reason=f"{month}月生活补贴")
            first = first or row
    if people:
        scheme, person = people[0]
        funds.pay(operator, scheme.pk, today.year, person.pk, 500_000, kind="award", paid_on=today, actor=ACTOR,
                  reason="年度优秀人才奖励")
    if first is not None:
        funds.reverse(operator, first.pk, on=today, actor=ACTOR, reason="重复发放，冲销")


def party_branches(county: Area, today: dt.date, rng: random.Random, operator: Operator) -> None:
    """A branch in every village; last year's ratings, about one in eight weak with a rectification (some
    done and re-rated, some past their deadline)."""
    villages = Area.objects.filter(level="village", code__startswith=county.code[:6]).order_by("code")
    with transaction.atomic():
        made = Branch.objects.bulk_create([
            Branch(village_id=v.code, name=f"{v.name}党支部", secretary=_name(rng), members=rng.randint(15, 60))
            for v in villages])
    elections(made, today, rng)
    year = today.year - 1
    for branch in made:
        if rng.random() < 0.125:
            rating = branches.rate(operator, branch.pk, year, "weak", actor=ACTOR,
                                   reason=rng.choice(("leader", "discipline", "economy")), plan="调整配强班子，乡镇党委书记包村督导",
                                   deadline=today - dt.timedelta(days=rng.choice((60, -60))), responsible=_name(rng))
            if rng.random() < 0.4:
                branches.rerate(operator, rating.pk, "rectified", on=today - dt.timedelta(days=10), actor=ACTOR)
        else:
            branches.rate(operator, branch.pk, year, rng.choice(("good", "fair", "average")), actor=ACTOR)


def elections(made: list[Branch], today: dt.date, rng: random.Random) -> None:
    """Every branch's last regular election (the villages' 2021 round of 换届) and a by-election in about one in
    ten, imported as a county would: a file through the branch elections import."""
    from jingzhun.branches.elections import import_branch_elections

    rows = []
    for branch in made:
        rows.append((branch.village_id, dt.date(2021, 3, rng.randint(1, 28)).isoformat(), "换届选举", branch.secretary,
                     str(max(branch.members - rng.randint(0, 5), 1))))
        if rng.random() < 0.1:
            rows.append((branch.village_id, (today - dt.timedelta(days=rng.randint(30, 300))).isoformat(), "补选",
                         _name(rng), str(max(branch.members - rng.randint(0, 8), 1))))
    if not rows:
        return
    with tempfile.TemporaryDirectory(prefix="jingzhun-demo-") as folder:
        path = Path(folder) / "branch-elections.csv"
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(["村代码", "选举日期", "类型", "当选书记", "参会党员"])
            writer.writerows(rows)
        outcome = import_branch_elections(path, actor=ACTOR)
    if not outcome.ok:
        raise RuntimeError(f"demo elections refused: {outcome.problems[:3]}")
