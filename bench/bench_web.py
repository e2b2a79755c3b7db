"""Web application benchmark (issue 5, "Targets").

    python bench/bench_web.py --households 1000000 --work /tmp/wb [--db PATH] [--workers 2,3] [--duration 60]

1. Database: `jingzhun synth` (one year, 2020) then the real command line — `jingzhun migrate`,
   `jingzhun import_areas`, `jingzhun import` — into SQLite; the import refreshes the dashboard's roll-ups
   itself (checked, not assumed). `--db PATH` reuses a database built before; its keys live beside it in
   PATH.keys.env (a database is unreadable without the master key it was imported with).
2. Users: a province officer, a county officer, a helper (paired with a few households of one village).
3. Server-side latency, in a fresh process, with Django's test Client (logged in through the real
   authentication backend): the household page for random households in the user's scope and the area
   dashboard at province, county and township level, ≥ 500 requests each; p50/p95/p99. What is timed:
   Django's whole request handler — every middleware (sessions, authentication, CSRF, locale, security
   headers), URL resolution, the access layer's scoping, the view's queries and the template rendering —
   not HTTP parsing, sockets or the WSGI server (the load test covers those).
   Baselines in the same run: (a) the dashboard's figures aggregated live from the register (the query a
   dashboard without roll-ups would run, timed alone: a lower bound for such a page) — also checked to give
   the same counts as the roll-ups; (b) the Django admin change page of the same households (the register
   screen of the first release); (c) the floor: a household number that does not exist (whole stack,
   scoping query, a small 404 page); (d) one audit row written, the cost of auditing a request.
4. Load: `jingzhun serve` (gunicorn, production settings) with N workers in a subprocess; one login over
   HTTP for a session cookie; `wrk` (a second process, one thread) requests `/households/<number>/` for
   random numbers in the county officer's scope for `--duration` seconds after a short warm-up. Reports
   requests/s, p50/p99, non-200 responses and socket errors, and CPU seconds of wrk and of the server
   (from the kernel's accounting) against the machine's total over the same window.

Prints a markdown table and writes the results as JSON (`--out`, default WORK/bench_web.json).
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import platform
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

USERS = {"province": "bench-province", "county": "bench-county", "helper": "bench-helper"}
HELPER_HOUSEHOLDS = 20
TARGET_P95_MS = 100.0


# ----------------------------------------------------------------------------------------------- helpers

def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (the value below which q % of the samples fall)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": statistics.median(ms), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms), "mean_ms": statistics.fmean(ms)}


def read_env_file(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / tick, sum(fields[:8]) / tick


def environment(db: Path, keys: dict[str, str]) -> dict[str, str]:
    env = {**os.environ, **keys, "JINGZHUN_DATABASE_URL": f"sqlite:///{db}",
           "DJANGO_SETTINGS_MODULE": "jingzhun.settings", "PYTHONPATH": str(ROOT)}
    for name in ("JINGZHUN_DEBUG", "JINGZHUN_DEV", "JINGZHUN_INSECURE_COOKIES"):
        env.pop(name, None)  # production settings, as `jingzhun serve` insists
    return env


def jingzhun(env: dict[str, str], *args: str) -> None:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "jingzhun.cli", *args], env=env, check=True)
    print(f"  jingzhun {' '.join(args)}: {time.perf_counter() - start:.1f} s", file=sys.stderr)


def child(mode: str, env: dict[str, str], work: Path, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One step in a fresh Python process; it prints its result as JSON on its last line."""
    done = subprocess.run([sys.executable, __file__, "--child", mode, "--work", str(work),
                           "--extra", json.dumps(extra or {})], env=env, stdout=subprocess.PIPE, text=True)
    if done.returncode:
        raise SystemExit(f"step {mode} failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------------ the database

def build_database(args: argparse.Namespace, work: Path) -> tuple[Path, dict[str, str], dict[str, Any]]:
    db = Path(args.db).resolve() if args.db else work / f"web-{args.households}.sqlite3"
    keys_file = Path(str(db) + ".keys.env")
    built: dict[str, Any] = {"database": str(db), "reused": db.exists()}
    if db.exists():
        if not keys_file.exists():
            raise SystemExit(f"{db}: no {keys_file.name} beside it — the database cannot be read without its keys")
        keys = read_env_file(keys_file)
        jingzhun(environment(db, keys), "migrate", "-v0")  # a database built by an earlier version
        return db, keys, built
    from jingzhun.crypto import new_master_key

    keys = {"JINGZHUN_MASTER_KEY": new_master_key(), "JINGZHUN_SECRET_KEY": secrets.token_urlsafe(50),
            "BENCH_PASSWORD": secrets.token_urlsafe(12)}
    keys_file.write_text("".join(f"{k}={v}\n" for k, v in keys.items()))
    keys_file.chmod(0o600)
    data = work / f"synth-{args.households}"
    if not (data / "generated").exists():
        from jingzhun.demo.synth import generate

        start = time.perf_counter()
        generate(data, households=args.households, seed=args.seed, years=[2020], workers=2)
        (data / "generated").write_text(f"{args.households} {args.seed}\n")
        print(f"  synth: {time.perf_counter() - start:.1f} s", file=sys.stderr)
    env = environment(db, keys)
    start = time.perf_counter()
    jingzhun(env, "migrate", "-v0")
    jingzhun(env, "import_areas", str(data / "areas.csv"), "--villages", str(data / "villages.csv"))
    jingzhun(env, "import", str(sorted(data.glob("register-*.csv"))[-1]), "--quiet")
    built["build_seconds"] = time.perf_counter() - start
    return db, keys, built


def child_prepare(work: Path) -> dict[str, Any]:
    """Check the roll-ups, create the users, write the sample lists. Idempotent."""
    import datetime as dt

    from django.contrib.auth.models import Permission, User
    from django.db import connection, transaction

    from jingzhun.areas.models import Area, AreaRole
    from jingzhun.registry.models import Household
    from jingzhun.teams.models import Cadre, HelperPair
    from jingzhun.web import stats
    from jingzhun.web.models import AreaStat

    out: dict[str, Any] = {}
    # The import sends `register_changed`, on which the web app refreshes the roll-ups; if a database
    # came without them the benchmark says so instead of measuring empty dashboards.
    out["rollups_from_import"] = AreaStat.objects.exists()
    if not out["rollups_from_import"]:
        start = time.perf_counter()
        stats.refresh()
        out["rollups_refresh_seconds"] = time.perf_counter() - start
    out["households"] = Household.objects.count()
    province = Area.objects.filter(level="province").order_by("code").first()
    assert province is not None, "no province: the areas were not imported"
    # The county officer's county: the largest one (the heaviest county-level page).
    with connection.cursor() as cur:
        cur.execute("SELECT SUBSTR(village_id, 1, 6), COUNT(*) AS n FROM registry_household "
                    "GROUP BY 1 ORDER BY n DESC LIMIT 1")
        prefix, county_households = cur.fetchone()
    county = Area.objects.get(code=prefix.ljust(12, "0"))
    low, high = county.code_range
    village_code = Household.objects.filter(village_id__gte=low, village_id__lte=high).order_by("number").values_list(
        "village_id", flat=True).first()
    village = Area.objects.get(code=village_code)
    password = os.environ["BENCH_PASSWORD"]
    with transaction.atomic():
        users = {}
        for key, name in USERS.items():
            user, created = User.objects.get_or_create(username=name)
            if created or not user.check_password(password):
                user.set_password(password)
            user.is_staff = key == "province"  # for the admin baseline
            user.save()
            users[key] = user
        AreaRole.objects.get_or_create(user=users["province"], area=province, role="officer")
        AreaRole.objects.get_or_create(user=users["county"], area=county, role="officer")
        AreaRole.objects.get_or_create(user=users["helper"], area=village, role="helper")
        users["province"].user_permissions.add(
            *Permission.objects.filter(content_type__app_label="registry", codename__startswith="view_"))
        # The helper's households: active pairs with a cadre who is the helper's user, where the model has
        # that link (access.household_q reaches helpers through `cadre__user_id`).
        links_user = any(f.name == "user" for f in Cadre._meta.get_fields())
        cadre, _ = Cadre.objects.get_or_create(
            name="基准测试帮扶人", unit="基准测试", defaults={
                "unit_kind": "county", "rank": "staff", "home_area": village,
                **({"user": users["helper"]} if links_user else {})})
        paired = HelperPair.objects.filter(end_date__isnull=True).values("household_id")
        unpaired = (Household.objects.filter(village_id=village.code).exclude(pk__in=paired)
                    .order_by("number")[:max(0, HELPER_HOUSEHOLDS - cadre.pairs.filter(end_date__isnull=True).count())])
        HelperPair.objects.bulk_create([HelperPair(household=h, cadre=cadre, start_date=dt.date(2020, 1, 1))
                                        for h in unpaired])
    out.update(province=province.code, county=county.code, county_households=county_households,
               village=village.code, helper_linked_to_user=links_user)

    def numbers(sql: str, params: list[Any], n: int) -> list[str]:
        with connection.cursor() as cur:
            cur.execute(sql + " ORDER BY RANDOM() LIMIT %s", [*params, n])
            return [r[0] for r in cur.fetchall()]

    samples = {
        "province": numbers("SELECT number FROM registry_household", [], 2000),
        "county": numbers("SELECT number FROM registry_household WHERE village_id BETWEEN %s AND %s",
                          [low, high], 100_000),
        "helper": list(HelperPair.objects.filter(cadre=cadre, end_date__isnull=True)
                       .values_list("household__number", flat=True)),
        "counties": list(Area.objects.filter(level="county").values_list("code", flat=True)),
        "townships": list(Area.objects.filter(level="township", code__gte=low, code__lte=high)
                          .values_list("code", flat=True)),
    }
    (work / "samples.json").write_text(json.dumps(samples))
    (work / "county-numbers.txt").write_text("\n".join(samples["county"]) + "\n")
    out["county_sample"] = len(samples["county"])
    return out


# ----------------------------------------------------------------------------- server-side latency (in process)

def child_latency(work: Path, requests: int, baseline_requests: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client

    from jingzhun.areas.models import Area
    from jingzhun.audit import log as audit
    from jingzhun.registry.models import Household
    from jingzhun.web.models import AreaStat

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the 404 floor would log every request
    samples = json.loads((work / "samples.json").read_text())
    prepared = json.loads((work / "prepared.json").read_text())
    rng = random.Random(7)
    password = os.environ["BENCH_PASSWORD"]
    clients = {}
    for key, name in USERS.items():
        clients[key] = Client()
        assert clients[key].login(username=name, password=password), f"{name} cannot log in"

    def queries_per_request(client: Client, urls: list[str]) -> float:
        counted = [0]

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            counted[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            for url in urls:
                client.get(url)
        return counted[0] / len(urls)

    def measure(client: Client, urls: list[str], expect: int = 200, warm: int = 20) -> dict[str, Any]:
        for url in urls[:warm]:  # warm-up (first template compilation, page cache), not counted
            client.get(url)
        times = []
        cpu = time.process_time()
        for url in urls:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
            assert response.status_code == expect, f"{url}: {response.status_code}, expected {expect}"
        # CPU time is the steadier figure on a shared machine: wall time there includes waiting for a core.
        cpu_ms = (time.process_time() - cpu) / len(urls) * 1000
        return {**summary(times), "cpu_ms": cpu_ms, "queries": queries_per_request(client, urls[:20])}

    def pick(values: list[str], n: int) -> list[str]:
        return [rng.choice(values) for _ in range(n)]

    results: dict[str, Any] = {}
    n = requests
    results["household, province officer"] = measure(clients["province"], [
        f"/households/{x}/" for x in pick(samples["province"], n)])
    results["household, county officer"] = measure(clients["county"], [
        f"/households/{x}/" for x in pick(samples["county"], n)])
    try:
        results["household, helper"] = measure(clients["helper"], [
            f"/households/{x}/" for x in pick(samples["helper"], n)])
    except Exception as exc:  # recorded, not hidden: the helper's scope may not be wired yet
        results["household, helper"] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
    results["dashboard, province"] = measure(clients["province"], [f"/dashboard/{prepared['province']}/"] * n)
    results["dashboard, county (any of the province's)"] = measure(clients["province"], [
        f"/dashboard/{c}/" for c in pick(samples["counties"], n)])
    results["dashboard, county (county officer's own)"] = measure(clients["county"], [
        f"/dashboard/{prepared['county']}/"] * n)
    results["dashboard, township"] = measure(clients["county"], [
        f"/dashboard/{t}/" for t in pick(samples["townships"], n)])

    # Baselines.
    results["baseline: admin change page of the same households"] = measure(clients["province"], [
        f"/admin/registry/household/{pk}/change/" for pk in Household.objects.filter(
            number__in=pick(samples["province"], baseline_requests)).values_list("pk", flat=True)])
    results["floor: household number not in the register (404)"] = measure(clients["county"], [
        f"/households/X{i:09d}/" for i in range(n)], expect=404)
    live: dict[str, Any] = {}
    for level, codes, reps in (("province", [prepared["province"]], 5),
                               ("county", samples["counties"], 15),
                               ("township", samples["townships"], 30)):
        times, mismatches = [], 0
        for code in pick(codes, reps):
            area = Area.objects.get(code=code)
            start = time.perf_counter()
            counted = live_counts(*area.code_range)
            times.append(time.perf_counter() - start)
            rolled: dict[str, tuple[int, int]] = {}
            for status, h, p in AreaStat.objects.filter(area_code=code).values_list("status", "households", "people"):
                rh, rp = rolled.get(status, (0, 0))
                rolled[status] = (rh + h, rp + p)
            mismatches += counted != rolled
        live[level] = {**summary(times), "mismatches_with_rollups": mismatches}
    results["baseline: dashboard counts aggregated live from the register (query only)"] = live
    times = []
    for i in range(n):
        start = time.perf_counter()
        audit.record(USERS["county"], "bench.view", object_type="household", object_id=str(i), address="127.0.0.1")
        times.append(time.perf_counter() - start)
    results["cost of one audit row (INSERT + commit)"] = summary(times)
    return results


def live_counts(low: str, high: str) -> dict[str, tuple[int, int]]:
    """Households and people by status in a code range, straight from the register (no roll-ups)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""
            SELECT h.status, COUNT(*), COALESCE(SUM(m.n), 0) FROM registry_household h
            LEFT JOIN (SELECT household_id, COUNT(*) AS n FROM registry_member GROUP BY household_id) m
                   ON m.household_id = h.id
            WHERE h.village_id BETWEEN %s AND %s GROUP BY h.status""", [low, high])
        return {status: (int(h), int(p)) for status, h, p in cur.fetchall()}


# ------------------------------------------------------------------------------------------------- load

WRK_SCRIPT = r"""
-- Random household numbers from a file; counts every response that is not 200 (wrk itself counts only
-- >= 400 and would take a redirect to the login page for a success).
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  wrk.headers["Cookie"] = args[1]
  numbers = {}
  for line in io.lines(args[2]) do numbers[#numbers + 1] = line end
  math.randomseed(os.time())
  bad = 0
end
function request() return wrk.format("GET", "/households/" .. numbers[math.random(#numbers)] .. "/") end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local b = 0
  for _, t in ipairs(threads) do b = b + t:get("bad") end
  local e = summary.errors
  io.write(string.format('JSON {"requests": %d, "duration_us": %d, "non_200": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f}\n', summary.requests, summary.duration, b, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def login(port: int, username: str, password: str) -> str:
    """Log in through the login page, as a browser does; returns the Cookie header for later requests."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login/")
    page = conn.getresponse()
    body = page.read().decode()
    csrf = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie", "")).group(1)  # type: ignore[union-attr]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)  # type: ignore[union-attr]
    form = f"username={username}&password={password}&csrfmiddlewaretoken={token}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("POST", "/login/", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={csrf}"})
    answer = conn.getresponse()
    answer.read()
    cookies = "; ".join(c.split(";", 1)[0] for c in answer.headers.get_all("Set-Cookie") or [])
    if answer.status != 302 or "sessionid=" not in cookies:
        raise SystemExit(f"login as {username} failed: HTTP {answer.status}")
    return cookies


def get_status(port: int, path: str, cookie: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    return response.status


def run_wrk(port: int, cookie: str, numbers: Path, script: Path, seconds: int, connections: int) -> dict[str, Any]:
    """wrk in its own process; its CPU time comes from wait4 (the kernel's accounting of the child)."""
    with open(script.with_suffix(".out"), "w") as out:
        proc = subprocess.Popen(["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                                 "-s", str(script), f"http://127.0.0.1:{port}", "--", cookie, str(numbers)],
                                stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = script.with_suffix(".out").read_text()
    line = next((x for x in text.splitlines() if x.startswith("JSON ")), None)
    if proc.returncode or line is None:
        raise SystemExit(f"wrk failed ({proc.returncode}):\n{text}")
    result: dict[str, Any] = json.loads(line[5:])
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    return result


def process_cpu(pid: int) -> float:
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


SETTINGS_VARIANTS = {
    "as-configured": "",
    # CONN_MAX_AGE=0 (Django's default) opens and closes the database connection on every request: for
    # SQLite a new connection, its PRAGMAs and a cold page cache each time. jingzhun.dburl keeps SQLite
    # connections open (None); these two variants measure either choice whatever the settings say.
    "per-request-connections": 'DATABASES["default"]["CONN_MAX_AGE"] = 0\n',
    "persistent-connections": 'DATABASES["default"]["CONN_MAX_AGE"] = None\n',
}


def variant_environment(env: dict[str, str], work: Path, variant: str) -> dict[str, str]:
    """The server's environment for a settings variant: jingzhun.settings plus the variant's lines."""
    if variant not in SETTINGS_VARIANTS:
        raise SystemExit(f"--variants: unknown {variant!r}; known: {', '.join(SETTINGS_VARIANTS)}")
    if not SETTINGS_VARIANTS[variant]:
        return env
    module = "bench_settings_" + variant.replace("-", "_")
    (work / f"{module}.py").write_text("from jingzhun.settings import *  # noqa: F403\n\n" + SETTINGS_VARIANTS[variant])
    return {**env, "DJANGO_SETTINGS_MODULE": module, "PYTHONPATH": f"{work}{os.pathsep}{env['PYTHONPATH']}"}


def load_test(env: dict[str, str], work: Path, workers: int, seconds: int, warmup: int,
              connections: int) -> dict[str, Any]:
    port = free_port()
    with open(work / f"serve-{workers}.log", "w") as log:
        server = subprocess.Popen([sys.executable, "-m", "jingzhun.cli", "serve", "--bind", f"127.0.0.1:{port}",
                                   "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit(f"jingzhun serve did not start; see {log.name}") from None
                    time.sleep(0.2)
            cookie = login(port, USERS["county"], env["BENCH_PASSWORD"])
            numbers = work / "county-numbers.txt"
            first = numbers.read_text().split("\n", 1)[0]
            assert get_status(port, f"/households/{first}/", cookie) == 200, "the session does not reach the page"
            script = work / "households.lua"
            script.write_text(WRK_SCRIPT)
            if warmup:  # first requests of each worker (templates, page cache) are not measured
                shutil.copy(script, work / "warmup.lua")
                run_wrk(port, cookie, numbers, work / "warmup.lua", warmup, connections)
            load_before = os.getloadavg()
            busy0, total0 = machine_busy()
            server0 = process_cpu(server.pid)
            result = run_wrk(port, cookie, numbers, script, seconds, connections)
            server_cpu = process_cpu(server.pid) - server0
            busy1, total1 = machine_busy()
            wall = result["duration_us"] / 1e6
            machine = busy1 - busy0
            result.update({
                "workers": workers, "connections": connections, "seconds": wall,
                "requests_per_second": result["requests"] / wall,
                "p50_ms": result["p50_us"] / 1000, "p90_ms": result["p90_us"] / 1000, "p99_ms": result["p99_us"] / 1000,
                "errors": result["non_200"] + result["connect"] + result["read"] + result["write"] + result["timeout"],
                "server_cpu_seconds": server_cpu,
            "server_cpu_ms_per_request": 1000 * server_cpu / max(1, result["requests"]),
                # Shares of the machine's CPU capacity over the window (2 cores × wall = 100 %).
                "wrk_cpu_share": result["cpu_seconds"] / (total1 - total0),
                "server_cpu_share": server_cpu / (total1 - total0),
                "others_cpu_share": max(0.0, machine - server_cpu - result["cpu_seconds"]) / (total1 - total0),
                "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
            })
            return result
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()


# ------------------------------------------------------------------------------------------------- main

def table(results: dict[str, Any]) -> str:
    lines = ["| what | n | p50 ms | p95 ms | p99 ms | CPU ms | note |", "|---|---:|---:|---:|---:|---:|---|"]
    for what, r in results["latency"].items():
        if "error" in r:
            lines.append(f"| {what} | | | | | | failed: {r['error']} |")
        elif "p50_ms" not in r:  # the live baseline, by level
            for level, s in r.items():
                lines.append(f"| {what}: {level} | {s['n']} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | "
                             f"{s['p99_ms']:.1f} | | {s['mismatches_with_rollups']} mismatches with the roll-ups |")
        else:
            note = f"{r['queries']:.1f} queries" if "queries" in r else ""
            if what.startswith(("household", "dashboard")):
                note += "; p95 target ≤ 100 ms: " + ("met" if r["p95_ms"] <= TARGET_P95_MS else "**missed**")
            cpu = f"{r['cpu_ms']:.1f}" if "cpu_ms" in r else ""
            lines.append(f"| {what} | {r['n']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {cpu} | {note} |")
    if results.get("load"):
        lines += ["", "| settings | workers | connections | seconds | requests/s | p50 ms | p99 ms | non-200 | socket errors | "
                  "wrk CPU | server CPU | others' CPU | server CPU ms/request | load avg before |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for r in results["load"]:
            lines.append(
                f"| {r['variant']} | {r['workers']} | {r['connections']} | {r['seconds']:.0f} | {r['requests_per_second']:.0f} | "
                f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['non_200']} | "
                f"{r['connect'] + r['read'] + r['write'] + r['timeout']} | {100 * r['wrk_cpu_share']:.0f} % | "
                f"{100 * r['server_cpu_share']:.0f} % | {100 * r['others_cpu_share']:.0f} % | "
                f"{r['server_cpu_ms_per_request']:.1f} | "
                f"{' / '.join(f'{x:.2f}' for x in r['loadavg_before'])} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", help="reuse this SQLite database (its keys in DB.keys.env); built there if missing")
    parser.add_argument("--work", default="/tmp/jingzhun-bench-web", help="data, logs and results")
    parser.add_argument("--requests", type=int, default=500, help="timed requests per latency row (≥ 500 for the target)")
    parser.add_argument("--baseline-requests", type=int, default=200)
    parser.add_argument("--workers", default="2,3", help="gunicorn worker counts to load-test, comma-separated")
    parser.add_argument("--connections", type=int, default=0, help="wrk connections (default: 2 per worker)")
    parser.add_argument("--variants", default="as-configured,per-request-connections",
                        help="server settings to load-test: as-configured (jingzhun.settings as it is), "
                             "per-request-connections (the same with CONN_MAX_AGE=0: a database connection per "
                             "request), persistent-connections (CONN_MAX_AGE=None: one per worker)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of load per worker count")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of load before each measured one")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--out", help="JSON results (default WORK/bench_web.json)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--extra", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    work = Path(args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if args.child:
        import django

        os.environ["JINGZHUN_ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"  # the test Client's host name
        django.setup()
        extra = json.loads(args.extra)
        if args.child == "prepare":
            result = child_prepare(work)
        else:
            result = child_latency(work, extra["requests"], extra["baseline_requests"])
        print(json.dumps(result))
        return
    if not args.skip_load and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install -y wrk); or run with --skip-load")

    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "loadavg_start": os.getloadavg(),
    }
    db, keys, results["database"] = build_database(args, work)
    env = environment(db, keys)
    prepared = child("prepare", env, work)
    (work / "prepared.json").write_text(json.dumps(prepared))
    results["prepared"] = prepared
    results["latency"] = {} if args.skip_latency else child(
        "latency", env, work, {"requests": args.requests, "baseline_requests": args.baseline_requests})
    results["loadavg_after_latency"] = os.getloadavg()
    results["load"] = [] if args.skip_load else [
        load_test(variant_environment(env, work, variant), work, int(n), args.duration, args.warmup,
                  args.connections or 2 * int(n)) | {"variant": variant}
        for variant in args.variants.split(",") for n in args.workers.split(",")]
    results["loadavg_end"] = os.getloadavg()
    out = Path(args.out) if args.out else work / "bench_web.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    print(f"\n{prepared['households']:,} households; {results['machine']}; {results['date']}; load average "
          f"{' / '.join(f'{x:.2f}' for x in results['loadavg_start'])} at start\n")
    print(table(results))
    print(f"\nJSON: {out}")


if __name__ == "__main__":
    main()
