"""jingzhun import FILE: validate a register file and import it (all or nothing by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.registry.importer import import_register
from jingzhun.registry.reading import FileProblem
from jingzhun.tabular.report import print_table, write_xlsx


class Command(BaseCommand):
    help = "导入建档立卡数据（CSV 或 XLSX）/ Import a register file (CSV or XLSX)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--valid-only", action="store_true",
                            help="导入无错误的户，其余报告 / import the valid households only and report the rest")
        parser.add_argument("--report", help="错误报告 XLSX 路径 / where to write the XLSX report "
                            "(default: FILE.errors.xlsx beside the file)")
        parser.add_argument("--actor", default="cli")
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        try:
            with _progress(opts["quiet"]) as progress:
                result = import_register(path, actor=opts["actor"], mode="valid" if opts["valid_only"] else "all",
                                         progress=progress)
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        if result.errors:
            report = Path(opts["report"] or path.with_name(path.name + ".errors.xlsx"))
            write_xlsx(result.errors, report)
            print_table(result.errors)
            self.stderr.write(f"错误报告 / report: {report}")
        if not result.imported:
            raise CommandError(
                f"{len(result.errors)} 处错误，{result.rejected_households} 户有误，未导入任何数据 / "
                f"{len(result.errors)} errors in {result.rejected_households} households; nothing was imported "
                "(use --valid-only to import the valid households)"
            )
        self.stdout.write(
            f"已导入 / imported {path.name}: 新增 {result.inserted} 户 inserted, 更新 {result.updated} updated, "
            f"未变 {result.unchanged} unchanged, 拒绝 {result.rejected_households} rejected (batch {result.batch_id})"
        )


class _progress:
    """A rich progress bar over the importer's stages (silent when quiet or not a terminal)."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __enter__(self) -> Any:
        if self.quiet:
            return lambda stage, done: None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        tasks: dict[str, Any] = {}

        def update(stage: str, done: float) -> None:
            if stage not in tasks:
                tasks[stage] = self.bar.add_task(stage, total=1.0)
            self.bar.update(tasks[stage], completed=done)

        return update

    def __exit__(self, *exc: Any) -> None:
        if not self.quiet:
            self.bar.stop()
