"""People pages benchmark (issue 17, "Targets": lists for a province of 200,000 cadres, p95 ≤ 100 ms on SQLite).

    python bench/bench_people.py --cadres 200000 --work /tmp/bp [--requests 200]

1. Database (SQLite, `jingzhun migrate`): a province of 51 poor counties × 10 townships × 40 villages
   (20,400 villages), `--cadres` serving cadres spread over the villages with personnel numbers; per county
   four courses of this year, about 1.2 enrolments per cadre (most completed); a talent pool of 10 per county
   with two schemes, allocations and monthly payments; a party branch in every village rated last year, one in
   eight weak. Written with bulk_create (the records, not the paths: the paths are tested elsewhere).
   Then `jingzhun migrate` (an existing database gains new tables) and `rebuild_people_totals` (the per-county
   totals, as for any data loaded other than through the imports and forms; timed; skipped on code without it).
2. Server-side latency with Django's test Client (logged in): the training, talent and party-branch pages
   and the dashboard (with its people section) for a province officer and a county officer, each page
   `--requests` times after two warm-up requests; p50/p95/max of the wall time, and p50/p95 of the process's
   CPU time per request (user+sys: on a shared, oversubscribed machine the wall time includes the wait for a
   core, the CPU time does not). What is timed: Django's whole request handler (middleware, access scoping,
   queries, templates). SQLite runs in-process, so its work is in the CPU time.

Prints a markdown table with the load average before and after.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
COUNTIES, TOWNSHIPS, VILLAGES = 51, 10, 40
TARGET_P95_MS = 100.0


def build(cadres: int, year: int) -> None:
    from jingzhun.areas.models import Area
    from jingzhun.branches.models import Branch, Rating
    from jingzhun.talent.models import Allocation, Payment, Scheme, Talent
    from jingzhun.teams.models import Cadre
    from jingzhun.training.models import Course, Enrolment

    rng = random.Random(17)
    areas = [Area(code="430000000000", name="湖南省", level="province"),
             Area(code="433100000000", name="州", level="city", parent_id="430000000000")]
    villages: list[str] = []
    for c in range(1, COUNTIES + 1):
        county = f"4331{c:02d}000000"
        areas.append(Area(code=county, name=f"县{c}", level="county", parent_id="433100000000", poor_county="national"))
        for t in range(1, TOWNSHIPS + 1):
            township = f"4331{c:02d}{t:03d}000"
            areas.append(Area(code=township, name=f"乡{c}-{t}", level="township", parent_id=county))
            for v in range(1, VILLAGES + 1):
                code = f"4331{c:02d}{t:03d}{v:03d}"
                areas.append(Area(code=code, name=f"村{c}-{t}-{v}", level="village", parent_id=township,
                                  poor_village=True))
                villages.append(code)
    Area.objects.bulk_create(areas, batch_size=5000)
    Cadre.objects.bulk_create([Cadre(personnel_number=f"P{i:07d}", name=f"干部{i}", unit="县直", unit_kind="county",
                                     rank="staff", home_area_id=villages[i % len(villages)]) for i in range(cadres)],
                              batch_size=5000)
    start = dt.date(year, 3, 1)
    courses = Course.objects.bulk_create([
        Course(code=f"C{c}-{k}", title=f"班{c}-{k}", topic=topic, kind="thematic", start_date=start, end_date=start,
               hours_tenths=240, place="党校", organiser="组织部", area_id=f"4331{c:02d}000000")
        for c in range(1, COUNTIES + 1) for k, topic in enumerate(("poverty_work", "industry", "ecommerce", "other"))])
    by_county = {}
    for course in courses:
        by_county.setdefault(course.area_id[:6], []).append(course.pk)
    ids = list(Cadre.objects.values_list("pk", "home_area_id"))
    rows = []
    for pk, home in ids:
        chosen = by_county[home[:6]]
        for course in rng.sample(chosen, 1 + (rng.random() < 0.2)):
            done = rng.random() < 0.8
            rows.append(Enrolment(course_id=course, cadre_id=pk, status="completed" if done else "incomplete",
                                  attended_tenths=240 if done else 120))
    Enrolment.objects.bulk_create(rows, batch_size=5000)
    schemes = Scheme.objects.bulk_create([Scheme(code=f"S{c}-{k}", name=f"计划{c}-{k}", recruited="graduate",
                                                 area_id=f"4331{c:02d}000000", start_year=year - 2)
                                          for c in range(1, COUNTIES + 1) for k in range(2)])
    talents = Talent.objects.bulk_create([
        Talent(name=f"人才{s.pk}-{i}", speciality="health", area_id=f"{s.area_id[:6]}001{i + 1:03d}",
               recruited="graduate", scheme=s, start_date=dt.date(year - 1, 1, 1)) for s in schemes for i in range(5)])
    Allocation.objects.bulk_create([Allocation(scheme=s, year=year, amount_fen=10**8, made_on=start, entered_by="b")
                                    for s in schemes])
    Payment.objects.bulk_create([Payment(scheme_id=t.scheme_id, year=year, talent=t, kind="subsidy",
                                         amount_fen=150_000, paid_on=dt.date(year, m, 25), entered_by="b")
                                 for t in talents for m in range(1, 7)], batch_size=5000)
    branches = Branch.objects.bulk_create([Branch(village_id=v, name=f"{v}党支部", secretary="书记", members=30)
                                           for v in villages], batch_size=5000)
    Rating.objects.bulk_create([
        Rating(branch=b, year=year - 1, rating="weak", reason="leader", plan="整顿", deadline=dt.date(year - 1, 12, 31),
               responsible="乡党委", entered_by="b") if rng.random() < 0.125 else
        Rating(branch=b, year=year - 1, rating="good", entered_by="b") for b in branches], batch_size=5000)


def users() -> dict[str, object]:
    from django.contrib.auth.models import User

    from jingzhun.areas.models import AreaRole

    out = {}
    for name, code in (("province", "430000000000"), ("county", "433101000000")):
        user, _ = User.objects.get_or_create(username=f"bench-{name}")
        AreaRole.objects.get_or_create(user=user, area_id=code, role="officer")
        out[name] = user
    return out


def cpu_ms() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return (usage.ru_utime + usage.ru_stime) * 1000


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def measure(requests: int, year: int) -> list[tuple[str, str, float, float, float, float, float]]:
    from django.test import Client

    found = []
    for who, user in users().items():
        client = Client()
        client.force_login(user)
        code = "430000000000" if who == "province" else "433101000000"
        for page in ("/training/", "/talent/", "/branches/", f"/dashboard/{code}/"):
            url = f"{page}?year={year}"
            for _ in range(2):
                assert client.get(url).status_code == 200, url
            times, cpu = [], []
            for _ in range(requests):
                t0, c0 = time.perf_counter(), cpu_ms()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                cpu.append(cpu_ms() - c0)
                assert response.status_code == 200
            found.append((who, page, statistics.median(times), p95(times), max(times), statistics.median(cpu),
                          p95(cpu)))
    return found


def recount() -> None:
    """The per-county totals (`rebuild_people_totals`), timed; code without them (a baseline) skips this."""
    from django.core.management import call_command, get_commands

    if "rebuild_people_totals" not in get_commands():
        print("no per-county totals in this code (baseline)")
        return
    t0, c0 = time.perf_counter(), cpu_ms()
    call_command("rebuild_people_totals", verbosity=0)
    print(f"rebuild_people_totals: {time.perf_counter() - t0:.1f} s wall, {(cpu_ms() - c0) / 1000:.1f} s CPU")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cadres", type=int, default=200_000)
    parser.add_argument("--work", default="/tmp/bench-people")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db = work / "people.sqlite3"
    fresh = not db.exists()
    os.environ["JINGZHUN_DATABASE_URL"] = f"sqlite:///{db}"
    keyfile = work / "master.key"  # the audit chain needs a key; kept beside the database it sealed
    if not keyfile.exists():
        import base64

        keyfile.write_text(base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("JINGZHUN_MASTER_KEY", keyfile.read_text().strip())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    year = dt.date.today().year
    call_command("migrate", verbosity=0)
    if fresh:
        t0 = time.perf_counter()
        build(args.cadres, year)
        print(f"built {args.cadres} cadres in {time.perf_counter() - t0:.0f} s")
    recount()
    before = Path("/proc/loadavg").read_text().split()[:3]
    rows = measure(args.requests, year)
    print(f"load average before: {before}, after: {Path('/proc/loadavg').read_text().split()[:3]}")
    print("| user | page | p50 ms | p95 ms | max ms | CPU p50 ms | CPU p95 ms |\n|---|---|---:|---:|---:|---:|---:|")
    for who, page, p50, wall95, worst, cpu50, cpu95 in rows:
        flag = "" if wall95 <= TARGET_P95_MS else " ⚠"
        print(f"| {who} | {page} | {p50:.1f} | {wall95:.1f}{flag} | {worst:.1f} | {cpu50:.1f} | {cpu95:.1f} |")


if __name__ == "__main__":
    main()
