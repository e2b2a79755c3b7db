"""jingzhun accuracy --welfare true-welfare.csv --year 2020 (--run ID | --policy P) [--run ID | --policy P] [--level county]

Targeting accuracy by area against a reference welfare column; with two runs or policies, side by side
(a what-if before a policy is adopted: a policy given here is evaluated without writing a run)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.areas.models import LEVEL_DIGITS
from jingzhun.identification.accuracy import (
    AreaAccuracy,
    WelfareError,
    accuracy,
    load_welfare,
    selected_by_results,
    selected_by_run,
)
from jingzhun.identification.compile import PolicyNotRunnable
from jingzhun.identification.engines import ENGINES, EngineUnavailable
from jingzhun.identification.management.commands.identify import resolve_policy
from jingzhun.identification.models import IdentificationRun
from jingzhun.identification.run import evaluate
from jingzhun.policy import PolicyError, load_policy


def _pct(x: float) -> str:
    return "—" if math.isnan(x) else f"{100 * x:5.1f}%"


def _num(x: float) -> str:
    return "—" if math.isnan(x) else f"{x:.2f}"


class Command(BaseCommand):
    help = "识别精准度：对照参考福利按区划计算排斥、纳入误差与覆盖率、CGH；可两套政策对比 / Targeting accuracy"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--welfare", required=True, type=Path, help="参考福利 CSV（true-welfare.csv）/ reference welfare")
        parser.add_argument("--year", type=int, help="年度，默认取批次或政策的年度 / year (default: the run's or policy's)")
        parser.add_argument("--run", type=int, action="append", default=[], help="识别批次号 / a run id")
        parser.add_argument("--policy", action="append", default=[], help="政策（不写入，仅试算）/ a policy (what-if)")
        parser.add_argument("--level", choices=list(LEVEL_DIGITS), default="county")
        parser.add_argument("--engine", choices=ENGINES, default="duckdb")

    def handle(self, *args: Any, **opts: Any) -> None:
        sources: list[tuple[str, set[str], int]] = []
        try:
            for run_id in opts["run"]:
                run = IdentificationRun.objects.filter(pk=run_id, finished_at__isnull=False).first()
                if run is None:
                    raise CommandError(f"--run {run_id}: 没有这个已完成的识别批次 / no finished run with this id")
                sources.append((f"批次 run {run.id}: {run.policy_name}", selected_by_run(run.id), run.year))
            for name in opts["policy"]:
                policy = load_policy(resolve_policy(name))
                year = opts["year"] or policy.year
                results = evaluate(policy, year=year, engine=opts["engine"])
                sources.append((f"政策 policy {name}", selected_by_results(results), year))
            if not 1 <= len(sources) <= 2:
                raise CommandError("须给出一到两个 --run 或 --policy / give one or two of --run and --policy")
            years = {y for _, _, y in sources}
            year = opts["year"] or years.pop()
            if opts["year"] is None and years:
                raise CommandError("两个来源年度不同，请用 --year 指定 / the two have different years: give --year")
            welfare = load_welfare(opts["welfare"], year)
        except (PolicyError, PolicyNotRunnable, EngineUnavailable, WelfareError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        tables = [accuracy(welfare, selected, opts["level"]) for _, selected, _ in sources]
        self.stdout.write(f"参考福利 / reference: {opts['welfare'].name}, {year}; 单位为户 / units are households")
        for i, (label, _, _) in enumerate(sources):
            self.stdout.write(f"  [{'AB'[i]}] {label}")
        head = "排斥误差 excl | 纳入误差(受益) incl/sel | 纳入误差(非贫) incl/non | 覆盖 cover | CGH"
        self.stdout.write(f"{'区划 area':14} {'户 hh':>8} {'贫 poor':>8}  " + "  ||  ".join(
            f"[{'AB'[i]}] {'选 sel':>7} {head}" for i in range(len(tables))))
        for rows in zip(*tables):
            first: AreaAccuracy = rows[0]
            cells = [f"{r.selected:>11,} {_pct(r.exclusion_error):>13} {_pct(r.inclusion_error_of_selected):>22} "
                     f"{_pct(r.inclusion_error_of_noneligible):>22} {_pct(r.coverage):>10} {_num(r.cgh):>5}" for r in rows]
            self.stdout.write(f"{first.code or '合计 all':14} {first.households:>8,} {first.eligible:>8,}  " + "  ||  ".join(cells))
