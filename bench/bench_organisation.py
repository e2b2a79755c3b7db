"""People and organisation benchmark (issue 17, "Targets"): the organisation lists and the dashboard's people
section for a province of 200,000 cadres, page p95 ≤ 100 ms on SQLite.

    python bench/bench_organisation.py --cadres 200000 --work /tmp/bo [--requests 200]

1. Database (SQLite, migrated by the real `migrate`): a province of 10 cities × 12 counties (51 poor, as
   Hunan) × 10 townships × 10 villages; 200,000 cadres stationed in villages, each with a sending unit (30
   county bodies per county, 60 provincial departments); a unit–village link for every poor village this year
   and last; leadership posts (7 kinds) of every poor county and township filled but for one seat in six; 5,000
   secondments. Written set-based (bulk_create), not through the imports: the imports are benchmarked
   elsewhere, this measures reading.
2. Users: a province officer and a county officer (of a poor county).
3. Latency with Django's test Client (logged in; the whole request handler: middleware, URL resolution, the
   access layer, the view's queries and the template), ≥ `--requests` each after 10 warm-up requests: the
   unit list (first and a late page), the cadre list (first and a late page), coverage, leadership, a county's
   team page, secondments, the dashboard with its people section; and `people.figures` alone.

Prints a markdown table with the load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET_P95_MS = 100.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def setup(work: Path) -> None:
    import base64

    work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(b"b" * 32).decode())
    os.environ["JINGZHUN_DATABASE_URL"] = f"sqlite:///{work / 'bench_organisation.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "jingzhun.settings"
    os.environ["JINGZHUN_DEV"] = "1"
    os.environ["JINGZHUN_ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()


def build(cadres: int, seed: int) -> None:
    from django.core.management import call_command

    from jingzhun.areas.models import Area
    from jingzhun.organisation.models import PostHolding, PostKind, Secondment, Unit, UnitVillageLink
    from jingzhun.teams.models import Cadre

    call_command("migrate", verbosity=0)
    if Cadre.objects.exists():
        return
    rng = random.Random(seed)
    province = "430000000000"
    areas = [Area(code=province, name="省", level="province")]
    counties, townships, villages, poor = [], [], [], set()
    for c in range(1, 11):
        city = f"43{c:02d}00000000"
        areas.append(Area(code=city, name=f"市{c}", level="city", parent_id=province))
        for k in range(1, 13):
            county = f"43{c:02d}{k:02d}000000"
            is_poor = len(poor) < 51 and (c * 12 + k) % 2 == 0
            areas.append(Area(code=county, name=f"县{c}-{k}", level="county", parent_id=city,
                              poor_county="national" if is_poor else ""))
            counties.append(county)
            if is_poor:
                poor.add(county)
            for t in range(1, 11):
                township = f"43{c:02d}{k:02d}{100 + t:03d}000"
                areas.append(Area(code=township, name=f"乡{t}", level="township", parent_id=county))
                townships.append(township)
                for v in range(1, 11):
                    village = township[:9] + f"{200 + v:03d}"
                    areas.append(Area(code=village, name=f"村{v}", level="village", parent_id=township,
                                      poor_village=is_poor and v <= 4))
                    villages.append(village)
    Area.objects.bulk_create(areas, batch_size=5000)
    units = [Unit(name=f"省直部门{i}", kind="provincial", level="province", area_id=province) for i in range(60)]
    units += [Unit(name=f"县直单位{i}", kind="county", level="county", area_id=county)
              for county in counties for i in range(30)]
    Unit.objects.bulk_create(units, batch_size=5000)
    unit_ids = {(u.area_id): [] for u in units}
    for pk, area in Unit.objects.values_list("pk", "area_id"):
        unit_ids.setdefault(area, []).append(pk)
    rows = []
    for i in range(cadres):
        village = villages[i % len(villages)]
        own = unit_ids[village[:6] + "000000"] if i % 5 else unit_ids[province]
        rows.append(Cadre(name=f"干部{i}", unit="", unit_kind="county", rank="staff", home_area_id=village,
                          sending_unit_id=own[i % len(own)], personnel_number=f"P{i:07d}",
                          birth_date=dt.date(1965 + i % 28, 1 + i % 12, 1)))
        if len(rows) == 20000:
            Cadre.objects.bulk_create(rows, batch_size=5000)
            rows = []
    Cadre.objects.bulk_create(rows, batch_size=5000)
    today = dt.date.today()
    links = [UnitVillageLink(unit_id=unit_ids[v[:6] + "000000"][0], village_id=v, year=y,
                             funds_pledged_fen=100_000, funds_delivered_fen=rng.choice((50_000, 100_000)))
             for v in villages if v[:6] + "000000" in poor for y in (today.year - 1, today.year)
             if int(v[-1]) <= 4]
    UnitVillageLink.objects.bulk_create(links, batch_size=5000)
    posts = [PostKind.objects.create(code=f"p{i}", name=n, level=lv, seats=s, order=i) for i, (n, lv, s) in
             enumerate((("县委书记", "county", 1), ("县长", "county", 1), ("县委副书记", "county", 1),
                        ("副县长", "county", 4), ("乡镇党委书记", "township", 1), ("乡镇长", "township", 1),
                        ("副乡镇长", "township", 2)))]
    cadre_ids = iter(Cadre.objects.order_by("pk").values_list("pk", flat=True))
    holdings = []
    for area in [c for c in counties if c in poor] + [t for t in townships if t[:6] + "000000" in poor]:
        level = "county" if area.endswith("000000") else "township"
        for post in posts:
            if post.level == level:
                holdings += [PostHolding(area_id=area, post=post, cadre_id=next(cadre_ids),
                                         start_date=today - dt.timedelta(days=rng.randrange(60, 2000)))
                             for _ in range(post.seats) if rng.random() >= 1 / 6]
    PostHolding.objects.bulk_create(holdings, batch_size=5000)
    secondments = [Secondment(cadre_id=next(cadre_ids), from_unit_id=unit_ids[province][i % 60],
                              from_area_id=province, to_area_id=counties[i % len(counties)], post="副县长",
                              start_date=dt.date(today.year - i % 4, 1 + i % 12, 1),
                              end_date=today + dt.timedelta(days=i % 400)) for i in range(5000)]
    Secondment.objects.bulk_create(secondments, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("ANALYZE")


def users() -> dict[str, object]:
    from django.contrib.auth.models import User

    from jingzhun.areas.models import Area, AreaRole

    poor = Area.objects.filter(level="county").exclude(poor_county="").order_by("code").first()
    assert poor is not None
    found = {}
    for name, area in (("bench-province", "430000000000"), ("bench-county", poor.code)):
        user, made = User.objects.get_or_create(username=name)
        if made:
            AreaRole.objects.create(user=user, area_id=area, role="officer")
        found[name] = user
    return found


def measure(requests: int) -> list[tuple[str, dict[str, float]]]:
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from jingzhun.areas.models import Area
    from jingzhun.organisation import people

    found = users()
    county = Area.objects.filter(level="county").exclude(poor_county="").order_by("code").first()
    assert county is not None
    results = []
    for who, user in found.items():
        client = Client()
        client.force_login(user)
        home = "430000000000" if who == "bench-province" else county.code
        from jingzhun.teams.models import Cadre

        station, pk = Cadre.objects.filter(home_area_id__gte=home, home_area_id__lte=home[:6] + "999999" if
                                           who != "bench-province" else "439999999999").order_by(
            "home_area_id", "pk").values_list("home_area_id", "pk")[Cadre.objects.count() // (2 if who ==
                                                                     "bench-province" else 200)]
        late = f"{station}-{pk}"
        urls = [("units", reverse("organisation:units")), ("units page 60", reverse("organisation:units") + "?page=60"),
                ("cadres", reverse("organisation:cadres")),
                ("cadres, a late page", reverse("organisation:cadres") + f"?after={late}"),
                ("coverage", reverse("organisation:coverage")), ("leadership", reverse("organisation:leadership")),
                ("county team", reverse("organisation:county", args=[county.code])),
                ("secondments", reverse("organisation:secondments")),
                ("dashboard + people", reverse("web:dashboard_area", args=[home]))]
        for label, url in urls:
            for _ in range(10):
                assert client.get(url).status_code == 200, url
            times = []
            for _ in range(requests):
                start = time.perf_counter()
                client.get(url)
                times.append(time.perf_counter() - start)
            results.append((f"{who}: {label}", stats(times)))
        area = Area.objects.get(code=home)
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            people.figures(user, area, timezone.localdate())
            times.append(time.perf_counter() - start)
        results.append((f"{who}: people.figures alone", stats(times)))
    return results


def stats(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50": statistics.median(ms), "p95": percentile(ms, 95), "p99": percentile(ms, 99)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cadres", type=int, default=200_000)
    parser.add_argument("--work", default="/tmp/bench-organisation")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    setup(Path(args.work))
    started = time.perf_counter()
    build(args.cadres, args.seed)
    import io

    from django.core.management import call_command

    # Loaded in bulk, not through the imports: the people section's per-county totals are recounted as for any
    # such data (docs/people.md, "Per-county totals"); else its training and branch tiles are counted live.
    call_command("rebuild_people_totals", stdout=io.StringIO())
    from jingzhun.teams.models import Cadre

    print(f"database: {Cadre.objects.count():,} cadres, built in {time.perf_counter() - started:.0f} s")
    before = Path("/proc/loadavg").read_text().split()[:3]
    results = measure(args.requests)
    after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average before: {' '.join(before)}; after: {' '.join(after)}")
    print("| page | n | p50 ms | p95 ms | p99 ms | p95 ≤ 100 ms |")
    print("|---|---:|---:|---:|---:|---|")
    for label, s in results:
        ok = "met" if s["p95"] <= TARGET_P95_MS else "**missed**"
        print(f"| {label} | {s['n']} | {s['p50']:.1f} | {s['p95']:.1f} | {s['p99']:.1f} | {ok} |")


if __name__ == "__main__":
    main()
