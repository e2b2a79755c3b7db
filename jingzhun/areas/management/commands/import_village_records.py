from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.areas.village_records import import_village_records
from jingzhun.core.operator import acting_user
from jingzhun.tabular import report
from jingzhun.tabular.spec import FileProblem


class Command(BaseCommand):
    help = ("导入村情（按村和年度；全部正确才写入；空单元格不改变已登记的值）/ Import village records by village and "
            "year (all rows or none; an empty cell keeps the stored value)")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--check", action="store_true", help="只校验不写入 / validate only, write nothing")
        parser.add_argument("--valid-only", action="store_true", help="导入无错误的行 / import the valid rows")
        parser.add_argument("--report", help="错误报告 .xlsx / write the error report here")
        parser.add_argument("--user", help="以该用户身份导入，仅限其管辖区划 / import as this user, within their areas")
        parser.add_argument("--actor", default="cli", help="审计记录中的操作人（未给 --user 时）/ the name audited "
                                                           "when no --user is given")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            user = acting_user(opts["user"], opts["actor"])
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        mode = "check" if opts["check"] else "valid" if opts["valid_only"] else "all"
        try:
            outcome = import_village_records(opts["file"], actor=str(getattr(user, "username", user)),
                                             user=user, mode=mode)
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        if outcome.problems and mode == "all":
            report.refuse(outcome.problems, opts["report"])
        if outcome.problems:
            report.print_table(outcome.problems)
            if opts["report"]:
                report.write_xlsx(outcome.problems, opts["report"])
        counts = "，".join(f"{k} {v}" for k, v in outcome.counts().items())
        self.stdout.write(("校验完成，未写入 / checked, nothing written; 将会 / would: " if mode == "check" else
                           "已导入 / imported: ") + counts)
