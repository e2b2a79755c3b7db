"""jingzhun template [FILE] [--kind KIND]: a blank import template, of any kind an app has registered
(`jingzhun.core.blanks`)."""

from typing import Any

from django.core.management.base import BaseCommand

from jingzhun.core import blanks


class Command(BaseCommand):
    help = ("生成空白导入模板 / Write a blank import template (XLSX with a column guide): the register "
            "(default) or the cadre roster (--kind roster)")

    def add_arguments(self, parser: Any) -> None:
        # Apps are ready when a command's parser is built, so every kind is registered by now.
        parser.add_argument("file", nargs="?")
        found = blanks.kinds()
        parser.add_argument("--kind", choices=list(found), default="register",
                            help="；".join(f"{kind}: {blank.label}" for kind, blank in found.items()))

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(str(blanks.write(opts["kind"], opts["file"])))
