"""The demo's organisation work (issue 17), through the real entry points: the editable lists (post kinds,
village types), units attached to every cadre, unit–village links and secondments imported from files like an
officer's, village types, leadership teams with vacancies, and a shortlist built by the county officer.
Each stage is skipped when its data is there already (the demo re-runs)."""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.contrib.auth.models import User

from jingzhun.areas.models import Area
from jingzhun.organisation import shortlists
from jingzhun.organisation.imports import links, secondments
from jingzhun.organisation.models import (
    PostHolding,
    PostKind,
    Secondment,
    Shortlist,
    Unit,
    UnitVillageLink,
    VillageType,
    VillageTyping,
)
from jingzhun.organisation.units import attach_current
from jingzhun.tabular.spec import Spec
from jingzhun.teams.models import Cadre

ACTOR = "demo"
POSTS = (  # code, name, English, level, seats
    ("county_secretary", "县委书记", "county party secretary", "county", 1),
    ("county_head", "县长", "county head", "county", 1),
    ("county_deputy_secretary", "县委副书记", "deputy party secretary", "county", 1),
    ("deputy_county_head", "副县长", "deputy county head", "county", 4),
    ("township_secretary", "乡镇党委书记", "township party secretary", "township", 1),
    ("township_head", "乡镇长", "township head", "township", 1),
    ("deputy_township_head", "副乡镇长", "deputy township head", "township", 2),
)
VILLAGE_TYPES = (  # code, name, English, skills
    ("industry_weak", "产业薄弱村", "industry-weak", "agriculture,ecommerce"),
    ("infrastructure_weak", "基础设施薄弱村", "infrastructure-weak", "construction,water"),
    ("relocation", "易地扶贫搬迁安置村", "relocation", "construction,trade"),
    ("weak_branch", "党组织软弱涣散村", "weak party branch", "social"),
)
PROVINCIAL_UNITS = ("省财政厅", "省农业农村厅", "省交通运输厅", "省卫生健康委", "省教育厅", "省水利厅")


def run(today: dt.date, say: Callable[[str], None] = print, seed: int = 2014) -> None:
    rng = random.Random(seed)
    lists()
    say(f"  单位 / units: {attach_current()}")
    births(rng)
    links_file(today, rng, say)
    typings(rng)
    leadership(today, rng)
    secondments_file(today, rng, say)
    shortlist(today, say)


def lists() -> None:
    for order, (code, name, en, level, seats) in enumerate(POSTS):
        PostKind.objects.get_or_create(code=code, defaults={"name": name, "name_en": en, "level": level,
                                                            "seats": seats, "order": order})
    for code, name, en, skills in VILLAGE_TYPES:
        VillageType.objects.get_or_create(code=code, defaults={"name": name, "name_en": en, "skills": skills})
    province = Area.objects.filter(level="province").order_by("code").first()
    if province is not None:
        Unit.objects.bulk_create([Unit(name=n, kind="provincial", level="province", area=province)
                                  for n in PROVINCIAL_UNITS], ignore_conflicts=True)


def births(rng: random.Random) -> None:
    """Birth dates for the age band (the roster has none): 1965–1992, fixed by the seed."""
    missing = list(Cadre.objects.filter(birth_date__isnull=True).values_list("pk", flat=True))
    rows = [Cadre(pk=pk, birth_date=dt.date(rng.randrange(1965, 1993), rng.randrange(1, 13), rng.randrange(1, 29)))
            for pk in missing]
    Cadre.objects.bulk_update(rows, ["birth_date"], batch_size=1000)


def _write(spec: Spec, rows: list[dict[str, str]], name: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="jingzhun-demo-")) / name
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(spec.headers)
        for row in rows:
            w.writerow([row.get(col.key, "") for col in spec.columns])
    return path


def links_file(today: dt.date, rng: random.Random, say: Callable[[str], None]) -> None:
    """Every poor village but one in eight linked to a unit for last year and this year; a fifth of the links
    short of their pledge."""
    if UnitVillageLink.objects.exists():
        return
    units = list(Unit.objects.filter(merged_into__isnull=True).values_list("name", "kind", "area_id"))
    villages = list(Area.objects.filter(level="village", poor_village=True).order_by("code").values_list("code", flat=True))
    if not units:
        return
    rows = []
    for i, village in enumerate(villages):
        if i % 8 == 7:
            continue  # left without a unit: the coverage report's first list
        name, kind, area = units[i % len(units)]
        for year in (today.year - 1, today.year):
            pledged = rng.randrange(5, 50) * 10_000
            short = rng.random() < 0.2
            rows.append({"unit_name": name, "unit_kind": kind, "unit_area": area, "village": village, "year": str(year),
                         "funds_pledged_fen": str(pledged), "projects_pledged": "2", "people_pledged": "1",
                         "funds_delivered_fen": str(pledged // 2 if short else pledged),
                         "projects_delivered": "1" if short else "2", "people_delivered": "1"})
    out = links.import_links(_write(links.SPEC, rows, "单位联系村.csv"), actor=ACTOR)
    say(f"  单位联系村 / unit–village links: {out.counts()} {len(out.problems)} problems")


def typings(rng: random.Random) -> None:
    if VillageTyping.objects.exists():
        return
    types = list(VillageType.objects.order_by("code"))
    villages = Area.objects.filter(level="village", poor_village=True).values_list("code", flat=True)
    VillageTyping.objects.bulk_create([VillageTyping(village_id=v, village_type=rng.choice(types)) for v in villages],
                                      batch_size=1000)


def leadership(today: dt.date, rng: random.Random) -> None:
    """Poor counties' and their townships' posts filled from their own serving cadres, a seat in six left
    vacant."""
    if PostHolding.objects.exists():
        return
    free: dict[str, list[int]] = {}
    for pk, home in Cadre.objects.filter(status="serving").order_by("pk").values_list("pk", "home_area_id"):
        free.setdefault(home[:6], []).append(pk)
    holdings = []
    for area, level in Area.objects.filter(level__in=("county", "township")).exclude(
            level="county", poor_county="").values_list("code", "level"):
        if not Area.objects.filter(code=area[:6] + "000000").exclude(poor_county="").exists():
            continue
        pool = free.get(area[:6], [])
        for post in PostKind.objects.filter(level=level):
            for _ in range(post.seats):
                if not pool or rng.random() < 1 / 6:
                    continue
                start = today - dt.timedelta(days=rng.randrange(60, 2500))
                holdings.append(PostHolding(area_id=area, post=post, cadre_id=pool.pop(), start_date=start))
    PostHolding.objects.bulk_create(holdings, batch_size=1000)


def secondments_file(today: dt.date, rng: random.Random, say: Callable[[str], None]) -> None:
    """Cadres with a personnel number seconded from provincial units to counties, mostly poor ones; a few
    terms end within the month."""
    if Secondment.objects.exists():
        return
    province = Area.objects.filter(level="province").order_by("code").first()
    counties = list(Area.objects.filter(level="county").order_by("code").values_list("code", "poor_county"))
    cadres = list(Cadre.objects.exclude(personnel_number="").order_by("pk").values_list("personnel_number", flat=True))
    if province is None or not counties or not cadres:
        return
    rows = []
    for i, number in enumerate(cadres[:: max(len(cadres) // 40, 1)][:40]):
        county = counties[i % len(counties)][0]
        start = dt.date(today.year - i % 3, 1 + i % 12, 1)
        end = today + dt.timedelta(days=10 + i) if i % 7 == 0 else dt.date(start.year + 2, start.month, 1)
        rows.append({"personnel_number": number, "unit_name": PROVINCIAL_UNITS[i % len(PROVINCIAL_UNITS)],
                     "unit_kind": "provincial", "unit_area": province.code, "from_area": province.code,
                     "to_area": county, "post": "副县长" if i % 2 else "县长助理", "start_date": start.isoformat(),
                     "end_date": max(end, start).isoformat(), "purpose": "产业帮扶" if i % 2 else "基层治理"})
    out = secondments.import_secondments(_write(secondments.SPEC, rows, "挂职.csv"), actor=ACTOR)
    say(f"  挂职 / secondments: {out.counts()} {len(out.problems)} problems")


def shortlist(today: dt.date, say: Callable[[str], None]) -> None:
    """The county officer's shortlist for the first vacancy of their county, if they have one."""
    officer = User.objects.filter(username="county").first()
    if officer is None or Shortlist.objects.exists():
        return
    from jingzhun.organisation import leadership as posts

    vacant = next(iter(posts.vacancies(officer)), None)
    if vacant is None:
        return
    made = shortlists.build(officer, officer.username, vacant.area, vacant.post, today,
                            shortlists.Profile(min_service_years=0, age_min=30, age_max=55, limit=10))
    say(f"  人选名单 / shortlist: {vacant.area_name} {vacant.post_name}, {made.entries.count()} candidates")
