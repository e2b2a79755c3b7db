"""API benchmark (issue 15, "Targets"): a household read with token auth, scoping and audit, server-side.

    python bench/bench_api.py --households 1000000 --work /tmp/ab [--db PATH] [--requests 1000]

The database is built as bench/bench_web.py builds it (`jingzhun synth`, then `jingzhun migrate`,
`import_areas`, `import` into SQLite; `--db` reuses one with its keys beside it). Then, in a fresh process:
a county officer of the largest county with a read token, and `--requests` reads of
`GET /api/v1/households/{id}` for random households of that county through Django's whole request handler
(test Client: every middleware, URL resolution, the token's digest lookup, the rate-limit upsert, the
access layer's scoping, the household's members with their IDs decrypted and masked, incomes, the helper,
the audit row, JSON). Also the floor: the same for an id outside the county, or none at all when the province has one county (404, no audit row).
Prints p50/p95/p99 in ms with the load average before and after; target p95 ≤ 30 ms on 1 M households.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_web  # noqa: E402  (the database is built the same way)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def child(requests: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from jingzhun.api import tokens
    from jingzhun.areas.models import Area, AreaRole
    from jingzhun.registry.models import Household

    with connection.cursor() as cur:
        cur.execute("SELECT SUBSTR(village_id, 1, 6), COUNT(*) FROM registry_household GROUP BY 1 ORDER BY 2 DESC "
                    "LIMIT 1")
        prefix, in_county = cur.fetchone()
    county = Area.objects.get(code=prefix.ljust(12, "0"))
    user, _ = User.objects.get_or_create(username="bench_api_officer")
    AreaRole.objects.get_or_create(user=user, area=county, role="officer")
    raw = tokens.create(user, "bench", ["read"], 30)[1]
    low, high = county.code_range
    ids = list(Household.objects.filter(village_id__gte=low, village_id__lte=high).values_list("pk", flat=True))
    outside = Household.objects.exclude(village_id__gte=low, village_id__lte=high).values_list("pk", flat=True).first()
    rng = random.Random(7)
    client = Client()
    headers = {"Authorization": f"Bearer {raw}"}
    out: dict[str, Any] = {"households": Household.objects.count(), "county_households": in_county}
    with override_settings(API_RATE_PER_MINUTE=10**9):
        for name, pick, status in (("household", lambda: rng.choice(ids), 200),
                                   ("outside (404 floor)", lambda: outside or 2**40, 404)):
            for _ in range(20):  # warm-up
                client.get(f"/api/v1/households/{pick()}", headers=headers)
            times = []
            for _ in range(requests):
                url = f"/api/v1/households/{pick()}"
                start = time.perf_counter()
                response = client.get(url, headers=headers)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == status, (url, response.status_code)
            out[name] = {"n": requests, "p50": statistics.median(times), "p95": percentile(times, 95),
                         "p99": percentile(times, 99)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", default="/tmp/bench_api")
    parser.add_argument("--db", help="reuse this SQLite database (its keys in DB.keys.env)")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    if args.child:
        os.environ["JINGZHUN_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"  # the test Client's host name
        print(json.dumps(child(args.requests)))
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    db, keys, built = bench_web.build_database(args, work)
    env = bench_web.environment(db, keys)
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    done = subprocess.run([sys.executable, __file__, "--child", "--requests", str(args.requests)],
                          env={**os.environ, **env}, stdout=subprocess.PIPE, text=True, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result.update(built=built, load_before=load_before, load_after=Path("/proc/loadavg").read_text().split()[:3])
    print("| read | n | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|")
    for name in ("household", "outside (404 floor)"):
        r = result[name]
        print(f"| {name} | {r['n']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} |")
    print(f"households {result['households']:,} (county {result['county_households']:,}); load average "
          f"{' '.join(result['load_before'])} → {' '.join(result['load_after'])}")
    (work / "bench_api.json").write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
