"""Bulk print benchmark (issue 15, "Targets"): a village's 明白卡, 1,000 households on one page, server-side; and
the same village's cards and files as one PDF file.

    python bench/bench_print.py [--households 1000] [--work /tmp/print-bench] [--runs 3] [--formats html,pdf]
    python bench/bench_print.py --households 300 --formats pdf     # the PDF case: a village of 300 households

Builds a fresh SQLite register (migrations, the test areas, `--households` households of four members in one
village through the real import, a helper pair per household, a work team of three, and a help plan of two
measures per household written in bulk), then times `GET /print/<village>/card/` (and `/file/`) as the
county's officer through Django's whole request handler (test Client: middleware, scoping, the fixed set of
queries of jingzhun.web.paper.load, ID decryption and masking, the template, the audit row). Prints each run,
the median, the page's size and the load average before and after. Target: 1,000 cards ≤ 30 s.
The PDF case times `GET /print/<village>/<kind>/pdf/` the same way (the same loader, then reportlab), and gives
each run's wall time and this process's CPU time (user + system: the request runs in this process), the file's
size and its page count.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import os
import re
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


def setup(work: Path) -> None:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    os.environ["JINGZHUN_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    os.environ["JINGZHUN_DATABASE_URL"] = f"sqlite:///{work / 'print.sqlite3'}"
    os.environ["JINGZHUN_ALLOWED_HOSTS"] = "testserver"  # the test Client's host name
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def unique_rows(i: int) -> list[dict[str, str]]:
    """Household i of four members, with IDs of their own: the factory's IDs repeat every 50 seeds (a
    three-digit sequence), so each fifty households is born one day later (an ID holds the birth date)."""
    from tests.factories import VILLAGE, household_rows, resident_id

    rows = household_rows(f"P{i:05d}", VILLAGE, size=4, seed=i % 50 + 1)
    for j, row in enumerate(rows):
        born = dt.date.fromisoformat(row["birth_date"]) + dt.timedelta(days=i // 50)
        row["birth_date"] = born.isoformat()
        row["resident_id"] = resident_id("433130", born, (i % 50 + 1) * 10 + j, row["sex"] == "男")
    return rows


def build(work: Path, households: int) -> str:
    """The register of one village; returns the officer's username."""
    from django.contrib.auth.models import User

    from jingzhun.areas.models import AreaRole
    from jingzhun.plans.models import HelpPlan, PlanMeasure
    from jingzhun.registry.importer import import_register
    from jingzhun.registry.models import Household
    from jingzhun.teams.models import Cadre, HelperPair, TeamMembership, WorkTeam
    from tests.factories import COUNTY, VILLAGE, make_areas, write_csv

    make_areas()
    rows = [r for i in range(households) for r in unique_rows(i)]
    result = import_register(write_csv(work / "register.csv", rows))
    assert result.ok and result.inserted == households, result.errors[:3]
    officer = User.objects.create_user("bench_print_officer")
    AreaRole.objects.create(user=officer, area_id=COUNTY, role="officer")
    start = dt.date(2020, 3, 1)
    cadres = Cadre.objects.bulk_create(Cadre(name=f"帮扶人{i}", unit="县农业农村局", unit_kind="county", rank="staff",
                                             home_area_id=VILLAGE, phone=f"1380000{i:04d}")
                                       for i in range(households // 5 + 1))
    ids = list(Household.objects.order_by("number").values_list("pk", flat=True))
    HelperPair.objects.bulk_create(HelperPair(household_id=h, cadre=cadres[i // 5], start_date=start)
                                   for i, h in enumerate(ids))
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=start)
    for i, role in enumerate(["first_secretary", "team_leader", "member"]):
        TeamMembership.objects.create(cadre=cadres[i], team=team, role=role, start_date=start)
    plans = HelpPlan.objects.bulk_create(HelpPlan(household_id=h, year=2020, goal="稳定增收", drafted_by=officer)
                                         for h in ids)
    PlanMeasure.objects.bulk_create(PlanMeasure(plan=p, category=c, description=d, amount=a)
                                    for p in plans for c, d, a in (("health", "慢病签约服务", 1200),
                                                                  ("production", "发展养殖产业", 3500)))
    return officer.username


def cpu() -> float:
    """This process's CPU seconds, user + system."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def html_case(client: object, households: int, runs: int) -> None:
    from django.urls import reverse

    from tests.factories import VILLAGE

    for kind in ("card", "file"):
        times = []
        for run in range(runs):
            began, spent = time.perf_counter(), cpu()
            response = client.get(reverse("web:village_paper", args=[VILLAGE, kind]))  # type: ignore[attr-defined]
            times.append(time.perf_counter() - began)
            body = response.content.decode()
            assert response.status_code == 200 and body.count('<section class="sheet"') == households
            print(f"html {kind} run {run + 1}: wall {times[-1]:.2f} s, cpu {cpu() - spent:.2f} s, "
                  f"{len(body) / 1e6:.1f} MB, load {loadavg()}")
        print(f"html {kind}: median {statistics.median(times):.2f} s for {households} sheets "
              f"(target ≤ 30 s for 1,000 cards)")


def pdf_case(client: object, households: int, runs: int) -> None:
    from django.urls import reverse

    from tests.factories import VILLAGE

    for kind in ("card", "file"):
        times, cpus = [], []
        for run in range(runs):
            began, spent = time.perf_counter(), cpu()
            response = client.get(reverse("web:village_paper_pdf", args=[VILLAGE, kind]))  # type: ignore[attr-defined]
            times.append(time.perf_counter() - began)
            cpus.append(cpu() - spent)
            body = response.content
            pages = len(re.findall(rb"/Type /Page\b", body))
            assert response.status_code == 200 and body.startswith(b"%PDF") and pages >= households
            print(f"pdf {kind} run {run + 1}: wall {times[-1]:.2f} s, cpu {cpus[-1]:.2f} s, {len(body) / 1e6:.1f} MB, "
                  f"{pages} pages, load {loadavg()}")
        print(f"pdf {kind}: median wall {statistics.median(times):.2f} s, cpu {statistics.median(cpus):.2f} s "
              f"for {households} households")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=1000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/print-bench"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default="html,pdf", help="html, pdf or both (comma-separated)")
    args = parser.parse_args()
    setup(args.work)
    username = build(args.work, args.households)
    from django.contrib.auth.models import User
    from django.test import Client

    client = Client()
    client.force_login(User.objects.get(username=username))
    print(f"households={args.households} load before {loadavg()}")
    formats = set(args.formats.split(","))
    if "html" in formats:
        html_case(client, args.households, args.runs)
    if "pdf" in formats:
        pdf_case(client, args.households, args.runs)
    print(f"load after {loadavg()}")


if __name__ == "__main__":
    main()
