from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.registry import report
from jingzhun.registry.reading import FileProblem
from jingzhun.teams.visit_import import import_attendance, import_visits


class Command(BaseCommand):
    help = "导入入户走访或驻村考勤（CSV/XLSX，全部正确才写入）/ Import visits or attendance (all rows or none)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", choices=["visits", "attendance"], default="visits")
        parser.add_argument("--report", help="错误报告 .xlsx / write the error report here")
        parser.add_argument("--actor", default="cli")

    def handle(self, *args: Any, **opts: Any) -> None:
        run = import_visits if opts["kind"] == "visits" else import_attendance
        try:
            outcome = run(opts["file"], actor=opts["actor"])
        except FileProblem as e:
            raise CommandError(str(e)) from None
        if outcome.errors:
            report.refuse(outcome.errors, opts["report"])
        self.stdout.write(f"已导入 / imported {outcome.inserted} 行 rows ({outcome.kind})")
