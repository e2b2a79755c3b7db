from typing import Any

from django.core.management.base import BaseCommand

from jingzhun.registry.exporter import write_blank_template

DEFAULT_NAMES = {"register": "建档立卡导入模板.xlsx", "roster": "帮扶干部名册导入模板.xlsx"}


class Command(BaseCommand):
    help = ("生成空白导入模板 / Write a blank import template (XLSX with a column guide): the register "
            "(default) or the cadre roster (--kind roster)")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?")
        parser.add_argument("--kind", choices=sorted(DEFAULT_NAMES), default="register")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = opts["file"] or DEFAULT_NAMES[opts["kind"]]
        if opts["kind"] == "roster":
            from jingzhun.teams.roster_import import write_blank_template as write_roster_template

            self.stdout.write(str(write_roster_template(path)))
        else:
            self.stdout.write(str(write_blank_template(path)))
