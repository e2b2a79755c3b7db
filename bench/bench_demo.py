"""The demo's run time: `jingzhun demo --no-serve` in a fresh directory with a fresh SQLite database, run twice
(the first run synthesises, imports and does the work; the second finds everything there and changes nothing).

    python bench/bench_demo.py [--households 3000] [--counties 3]

Prints, for each run, the wall time and the CPU time of the demo's process (user + sys, its children included)
with the load average before and after: on a shared machine the CPU time is the figure to compare. The database
and the demo's files live in a temporary directory removed afterwards; a throwaway encryption key is made for
it when JINGZHUN_MASTER_KEY is not set (as the tests do).
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_once(cwd: Path, env: dict[str, str], households: int, counties: int) -> tuple[float, float, str, str]:
    before, cpu = _load(), _cpu()
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "django", "demo", "--no-serve", "--households", str(households),
                    "--counties", str(counties)], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, _cpu() - cpu, before, _load()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=3000)
    parser.add_argument("--counties", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        cwd = Path(tmp)
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="jingzhun.settings", PYTHONPATH=str(ROOT),
                   JINGZHUN_DATABASE_URL=f"sqlite:///{cwd / 'demo.sqlite3'}", JINGZHUN_DEV="1")
        env.setdefault("JINGZHUN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
        for label in ("first run", "second run"):
            wall, cpu, before, after = run_once(cwd, env, args.households, args.counties)
            print(f"{label}: {args.households} households, {args.counties} counties: wall {wall:.1f} s, "
                  f"CPU {cpu:.1f} s (load before {before}, after {after})")


if __name__ == "__main__":
    main()
