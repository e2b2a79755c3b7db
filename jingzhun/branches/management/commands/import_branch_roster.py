from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.branches.roster import import_branch_roster
from jingzhun.tabular import command
from jingzhun.tabular.spec import FileProblem


class Command(BaseCommand):
    help = ("导入村党组织名册（按村；全部正确才写入；空单元格不改变已登记的值）/ Import a party-branch roster "
            "by village (all rows or none; an empty cell keeps the stored value)")

    def add_arguments(self, parser: Any) -> None:
        command.add_arguments(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        user, mode = command.user_of(opts), command.mode_of(opts)
        try:
            outcome = import_branch_roster(opts["file"], actor=str(getattr(user, "username", user)), user=user,
                                             mode=mode)
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        command.answer_problems(outcome.problems, opts, written=outcome.imported)
        counts = "，".join(f"{k} {v}" for k, v in outcome.counts().items())
        self.stdout.write(("校验完成，未写入 / checked, nothing written; 将会 / would: " if mode == "check" else
                           "已导入 / imported: ") + counts)
