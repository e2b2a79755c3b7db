"""What every import command shares: its options (--check, --valid-only, --report, --user, --actor), who it
acts as, and how it answers a file with problems — so each command holds only its own call and its summary."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.core.operator import acting_user
from jingzhun.tabular import report
from jingzhun.tabular.problems import Problem
from jingzhun.tabular.spec import FileProblem


def add_arguments(parser: Any, *, units: str = "行 / rows") -> None:
    parser.add_argument("file")
    parser.add_argument("--check", action="store_true", help="只校验不写入（记入审计）/ validate only, write nothing (audited)")
    parser.add_argument("--valid-only", action="store_true",
                        help=f"导入无错误的{units}，报告其余 / import the {units} without errors, report the rest")
    parser.add_argument("--report", help="错误报告 .xlsx / write the error report here")
    parser.add_argument("--user", help="以该用户身份导入，仅限其管辖区划 / import as this user, within their areas")
    parser.add_argument("--actor", default="cli",
                        help="审计记录中的操作人（未给 --user 时）/ the name audited when no --user is given")


def user_of(opts: dict[str, Any]) -> Any:
    """The user named by --user (scoped like the web), or the console operator named by --actor."""
    try:
        return acting_user(opts["user"], opts["actor"])
    except LookupError as exc:
        raise CommandError(str(exc)) from None


def mode_of(opts: dict[str, Any]) -> str:
    return "check" if opts["check"] else "valid" if opts["valid_only"] else "all"


def answer_problems(problems: Sequence[Problem], opts: dict[str, Any], *, written: bool) -> None:
    """Nothing written (a check included): the table, the report when asked, and an error saying nothing was
    written. Valid rows written (--valid-only): the rest shown and reported."""
    if problems and not written:
        report.refuse(problems, opts["report"])
    if problems:
        report.print_table(problems)
        if opts["report"]:
            report.write_xlsx(problems, opts["report"])


class ImportCommand(BaseCommand):
    """An import command for an importer of the one import subsystem's shape, `importer(path, *, actor, user,
    mode) -> steps.Outcome`: a subclass names it and its help, nothing else."""

    importer: Callable[..., Any]
    units = "行 / rows"

    def add_arguments(self, parser: Any) -> None:
        add_arguments(parser, units=self.units)

    def handle(self, *args: Any, **opts: Any) -> None:
        user, mode = user_of(opts), mode_of(opts)
        try:
            outcome = type(self).importer(opts["file"], actor=str(getattr(user, "username", user)), user=user,
                                          mode=mode)
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        answer_problems(outcome.problems, opts, written=outcome.imported)
        counts = "，".join(f"{k} {v}" for k, v in outcome.counts().items())
        self.stdout.write(("校验完成，未写入 / checked, nothing written; 将会 / would: " if mode == "check" else
                           "已导入 / imported: ") + counts)
