"""The body of the organisation app's import commands: options, the user, the problems and the summary
(`jingzhun.tabular.command`), around one import function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.tabular import command
from jingzhun.tabular.spec import FileProblem


class ImportCommand(BaseCommand):
    run_import: Callable[..., Any]

    def add_arguments(self, parser: Any) -> None:
        command.add_arguments(parser)

    def handle(self, *args: Any, **opts: Any) -> None:
        user, mode = command.user_of(opts), command.mode_of(opts)
        try:
            outcome = type(self).run_import(opts["file"], actor=str(getattr(user, "username", user)), user=user,
                                            mode=mode)
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        command.answer_problems(outcome.problems, opts, written=outcome.imported)
        counts = "，".join(f"{k} {v}" for k, v in outcome.counts().items())
        self.stdout.write(("校验完成，未写入 / checked, nothing written; 将会 / would: " if mode == "check" else
                           "已导入 / imported: ") + counts)
