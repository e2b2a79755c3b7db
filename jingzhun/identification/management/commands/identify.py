"""jingzhun identify --policy national-2020 [--year 2020] [--engine duckdb|sqlite|postgres|spark] [--area CODE]"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.identification.compile import PolicyNotRunnable
from jingzhun.identification.engines import ENGINES, EngineUnavailable
from jingzhun.identification.run import RunError, run
from jingzhun.policy import DATA_DIR, PolicyError, load_policy


def resolve_policy(name: str) -> Path:
    """A shipped policy by name (national-2020) or a path to a TOML file."""
    path = Path(name)
    if path.suffix == ".toml" and path.exists():
        return path
    shipped = DATA_DIR / f"{name}.toml"
    if shipped.exists():
        return Path(str(shipped))
    raise CommandError(f"--policy {name}: 找不到该政策（内置名称或 .toml 文件路径）/ no such policy "
                       "(a shipped name such as national-2020, or a path to a .toml file)")


class Command(BaseCommand):
    help = "精准识别：按政策识别全部（或某区划内）农户 / Identify households by a policy"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--policy", required=True, help="内置政策名（national-2020）或 TOML 路径 / policy name or file")
        parser.add_argument("--year", type=int, help="数据年度，默认政策年度 / data year (default: the policy's year)")
        parser.add_argument("--engine", choices=ENGINES, default="duckdb")
        parser.add_argument("--area", help="12位区划代码 / restrict to an area (12-digit code)")
        parser.add_argument("--actor", default="cli")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            policy = load_policy(resolve_policy(opts["policy"]))
            outcome = run(policy, year=opts["year"], engine=opts["engine"], area=opts["area"], actor=opts["actor"])
        except (PolicyError, PolicyNotRunnable, RunError, EngineUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        r = outcome.run
        self.stdout.write(f"识别批次 / run {r.id}: {r.policy_name}, 数据年度 / year {r.year}, 引擎 / engine {r.engine}"
                          + (f", 区划 / area {r.area_code}" if r.area_code else ""))
        self.stdout.write(f"  户数 / households {r.households:,}")
        self.stdout.write(f"  贫困 / poor {r.poor:,}  监测 / monitored {r.monitored:,}  非贫困 / not poor {r.not_poor:,}")
        t = outcome.timings
        self.stdout.write(f"  用时 / time: 识别 evaluate {t['evaluate']:.2f} s, 写入 write {t['write']:.2f} s, "
                          f"合计 total {t['total']:.2f} s")
