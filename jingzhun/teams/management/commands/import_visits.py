from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.tabular import command
from jingzhun.tabular.spec import FileProblem
from jingzhun.teams.visits_import import import_attendance, import_visits


class Command(BaseCommand):
    help = "导入入户走访或驻村考勤（CSV/XLSX，全部正确才写入）/ Import visits or attendance (all rows or none)"

    def add_arguments(self, parser: Any) -> None:
        command.add_arguments(parser)
        parser.add_argument("--kind", choices=["visits", "attendance"], default="visits")

    def handle(self, *args: Any, **opts: Any) -> None:
        run = import_visits if opts["kind"] == "visits" else import_attendance
        user = command.user_of(opts)
        try:
            outcome = run(opts["file"], actor=str(getattr(user, "username", user)), user=user, check=opts["check"],
                          mode="valid" if opts["valid_only"] else "all")
        except FileProblem as e:
            raise CommandError(str(e)) from None
        command.answer_problems(outcome.errors, opts, written=outcome.imported)
        if opts["check"]:
            self.stdout.write(f"校验通过，未写入 / the file is valid; nothing written (--check): {outcome.rows} 行 rows")
        else:
            self.stdout.write(f"已导入 / imported {outcome.inserted} 行 rows ({outcome.kind}); "
                              f"拒绝 {len({e.row for e in outcome.errors})} 行 rejected")
