from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.core.operator import acting_user
from jingzhun.tabular import report
from jingzhun.tabular.spec import FileProblem
from jingzhun.teams.roster_import import import_roster


class Command(BaseCommand):
    help = ("导入帮扶干部名册和驻村工作队（CSV/XLSX，全部正确才写入，按人员编号重复导入不变）/ Import the cadre "
            "roster and work teams (all rows or none; re-importing the same file changes nothing)")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--check", action="store_true", help="只校验不写入 / validate only, write nothing")
        parser.add_argument("--valid-only", action="store_true",
                            help="导入无错误的干部和工作队，报告其余 / import the cadres and teams without errors, "
                                 "report the rest")
        parser.add_argument("--report", help="错误报告 .xlsx / write the error report here")
        parser.add_argument("--user", help="以该用户身份导入，仅限其管辖区划 / import as this user, within their areas")
        parser.add_argument("--actor", default="cli", help="审计记录中的操作人（未给 --user 时）/ the name audited "
                                                           "when no --user is given")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            user = acting_user(opts["user"], opts["actor"])
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        try:
            outcome = import_roster(opts["file"], actor=str(getattr(user, "username", user)), user=user,
                                    check=opts["check"], mode="valid" if opts["valid_only"] else "all")
        except FileProblem as e:
            raise CommandError(str(e)) from None
        if outcome.errors and not opts["valid_only"]:
            report.refuse(outcome.errors, opts["report"])
        if outcome.errors:  # valid-only: the rest is imported, the bad units are reported
            report.print_table(outcome.errors)
            if opts["report"]:
                report.write_xlsx(outcome.errors, opts["report"])
        if outcome.rows == 0:
            raise CommandError(f"{outcome.file_name}: 没有数据行 / the file has no rows")
        if outcome.checked_only:
            self.stdout.write("校验通过，未写入 / the file is valid; nothing written (--check). 将会 / would: "
                              + outcome.summary())
        elif not outcome.changed:
            self.stdout.write("与已登记的一致，没有变化 / already imported: nothing changed. " + outcome.summary())
        else:
            self.stdout.write("已导入 / imported: " + outcome.summary())
