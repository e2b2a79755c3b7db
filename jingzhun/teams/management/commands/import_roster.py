from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.tabular import command
from jingzhun.tabular.spec import FileProblem
from jingzhun.teams.roster_import import import_roster


class Command(BaseCommand):
    help = ("导入帮扶干部名册和驻村工作队（CSV/XLSX，全部正确才写入，按人员编号重复导入不变）/ Import the cadre "
            "roster and work teams (all rows or none; re-importing the same file changes nothing)")

    def add_arguments(self, parser: Any) -> None:
        command.add_arguments(parser, units="干部和工作队 / cadres and teams")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = command.user_of(opts)
        try:
            outcome = import_roster(opts["file"], actor=str(getattr(user, "username", user)), user=user,
                                    check=opts["check"], mode="valid" if opts["valid_only"] else "all")
        except FileProblem as e:
            raise CommandError(str(e)) from None
        command.answer_problems(outcome.errors, opts, written=opts["valid_only"])
        if outcome.rows == 0:
            raise CommandError(f"{outcome.file_name}: 没有数据行 / the file has no rows")
        if outcome.checked_only:
            self.stdout.write("校验通过，未写入 / the file is valid; nothing written (--check). 将会 / would: "
                              + outcome.summary())
        elif not outcome.changed:
            self.stdout.write("与已登记的一致，没有变化 / already imported: nothing changed. " + outcome.summary())
        else:
            self.stdout.write("已导入 / imported: " + outcome.summary())
