"""jingzhun synth: write a synthetic province (areas, village records, register files, true welfare)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = ("生成合成省份数据 / Write a synthetic province: areas.csv, villages.csv, register-YYYY.csv and "
            "true-welfare.csv (see docs/synth.md)")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--households", type=int, required=True,
                            help="建档立卡户数 / registered households (N), e.g. 3000 for a demo, 30000000 for a nation")
        parser.add_argument("--seed", type=int, default=0, help="随机种子 / seed: same seed and arguments, same bytes")
        parser.add_argument("--out", required=True, help="输出目录 / output directory")
        parser.add_argument("--years", default="2014-2020", help="年度 / years, e.g. 2014-2020 or 2014-2023 or 2016,2019")
        parser.add_argument("--counties", type=int, help="县数 / number of counties (default: as many as N needs)")
        parser.add_argument("--workers", type=int,
                            help="进程数 / worker processes (default: 1 for small runs, else one per CPU)")
        parser.add_argument("--quiet", action="store_true", help="不显示进度 / no progress bar")

    def handle(self, *args: Any, **opts: Any) -> None:
        from jingzhun.demo import synth

        try:
            years = synth.parse_years(opts["years"])
        except ValueError:
            raise CommandError(f"--years: cannot read {opts['years']!r} (use e.g. 2014-2020)") from None
        households = opts["households"]
        workers = opts["workers"] or synth.default_workers(households)
        try:
            with _Progress(opts["quiet"]) as progress:
                summary = synth.generate(opts["out"], households, opts["seed"], years, counties=opts["counties"],
                                         progress=progress, workers=workers)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{summary.out_dir}: {summary.provinces} 省 provinces, {summary.counties} 县 counties, "
            f"{summary.townships} 乡镇 townships, {summary.villages} 村 villages ({summary.poor_villages} 贫困村 poor)\n"
            f"  {summary.households} 建档立卡户 registered households (+{summary.near_poor} near-poor in "
            f"true-welfare.csv), {summary.rows} 成员行 member rows in {len(summary.years)} register files\n"
            f"  {summary.seconds:.1f} s, {summary.rows_per_second:,.0f} rows/s, {summary.workers} worker(s)"
        )
        for y in summary.years:
            self.stdout.write(f"  register-{y}.csv: {summary.register_households[y]} 户 households, "
                              f"{summary.register_rows[y]} 行 rows")


class _Progress:
    """A rich progress bar on stderr (nothing when --quiet)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __enter__(self) -> Any:
        if self.quiet:
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.bar = Progress(TextColumn("合成 / generating"), BarColumn(), MofNCompleteColumn(), TextColumn("户"),
                            TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True))
        self.bar.start()
        task = self.bar.add_task("households", total=None)

        def update(done: int, total: int) -> None:
            self.bar.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc: Any) -> None:
        if not self.quiet:
            self.bar.stop()
