from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.core.operator import acting_user
from jingzhun.tabular import report
from jingzhun.tabular.spec import FileProblem
from jingzhun.teams.visits_import import import_attendance, import_visits


class Command(BaseCommand):
    help = "导入入户走访或驻村考勤（CSV/XLSX，全部正确才写入）/ Import visits or attendance (all rows or none)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", choices=["visits", "attendance"], default="visits")
        parser.add_argument("--check", action="store_true",
                            help="只校验不写入（记入审计）/ validate only, write nothing (audited)")
        parser.add_argument("--valid-only", action="store_true",
                            help="导入无错误的行，其余报告 / import the valid rows only and report the rest")
        parser.add_argument("--report", help="错误报告 .xlsx / write the error report here")
        parser.add_argument("--user", help="以该用户身份导入，仅限其管辖区划 / import as this user, within their areas")
        parser.add_argument("--actor", default="cli", help="审计记录中的操作人（未给 --user 时）/ the name audited "
                                                           "when no --user is given")

    def handle(self, *args: Any, **opts: Any) -> None:
        run = import_visits if opts["kind"] == "visits" else import_attendance
        try:
            user = acting_user(opts["user"], opts["actor"])
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        try:
            outcome = run(opts["file"], actor=str(getattr(user, "username", user)), user=user, check=opts["check"],
                          mode="valid" if opts["valid_only"] else "all")
        except FileProblem as e:
            raise CommandError(str(e)) from None
        if outcome.errors and not outcome.imported:
            report.refuse(outcome.errors, opts["report"])
        if outcome.errors:  # --valid-only: the good rows are in, the rest reported
            report.print_table(outcome.errors)
            if opts["report"]:
                report.write_xlsx(outcome.errors, opts["report"])
        if opts["check"]:
            self.stdout.write(f"校验通过，未写入 / the file is valid; nothing written (--check): {outcome.rows} 行 rows")
        else:
            self.stdout.write(f"已导入 / imported {outcome.inserted} 行 rows ({outcome.kind}); "
                              f"拒绝 {len({e.row for e in outcome.errors})} 行 rejected")
