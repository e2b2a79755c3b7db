from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.coverage import COUNTS, GAP_COLUMNS, HEADERS, CoverageRow, coverage


class Command(BaseCommand):
    help = "覆盖情况报表 / Coverage by area: poor villages without a complete team, households without a helper, " \
           "overloaded helpers"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--area", required=True, help="区划代码 / root area code")
        parser.add_argument("--level", default="county", choices=["province", "city", "county", "township", "village"])

    def handle(self, *args: Any, **opts: Any) -> None:
        from rich.console import Console
        from rich.table import Table

        try:
            report = coverage(opts["area"], opts["level"], None, config=SupervisionConfig.from_env())
        except ValueError as e:
            raise CommandError(str(e)) from None
        table = Table(title=f"{report.root_name}（{report.root}）覆盖情况 · 按{opts['level']} / coverage by {opts['level']}")
        for col in ["code", "name", *COUNTS]:
            table.add_column(HEADERS[col], justify="left" if col in ("code", "name") else "right")

        def cells(row: CoverageRow) -> list[str]:
            out = [row.code, row.name]
            for col in COUNTS:
                n = getattr(row, col)
                if col in GAP_COLUMNS:
                    # Zero is the goal: green and plain; anything else red, bold and marked.
                    out.append(f"[green]{n}[/green]" if n == 0 else f"[bold red]⚠ {n}[/bold red]")
                else:
                    out.append(str(n))
            return out

        for row in report.rows:
            table.add_row(*cells(row))
        table.add_section()
        table.add_row(*cells(report.total))
        console = Console(file=self.stdout, width=200)  # type: ignore[arg-type]
        console.print(table)
        if report.all_zero:
            console.print("[bold green]✓ 全部为零：每个贫困村都有完整工作队，每户都有帮扶人，无人超负荷 / all zero[/bold green]")
        else:
            t = report.total
            console.print(f"[bold red]⚠ 未达标 / not zero: 无完整工作队的贫困村 {t.villages_without_team}，"
                          f"无帮扶人的户 {t.households_without_helper}，超负荷帮扶人 {t.overloaded_helpers}[/bold red]")
