from typing import Any

from django.core.management.base import BaseCommand

from jingzhun.registry.exporter import write_blank_template


class Command(BaseCommand):
    help = "生成空白导入模板 / Write the blank import template (XLSX with a column guide)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", default="建档立卡导入模板.xlsx")

    def handle(self, *args: Any, **opts: Any) -> None:
        self.stdout.write(str(write_blank_template(opts["file"])))
