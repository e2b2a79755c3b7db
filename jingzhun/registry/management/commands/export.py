from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.areas.models import Area
from jingzhun.registry.exporter import export_register


class Command(BaseCommand):
    help = "导出建档立卡数据（导入模板格式）/ Export the register in the import template (CSV or XLSX)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="*.csv or *.xlsx")
        parser.add_argument("--area", help="只导出该区划 / only this area's subtree (area code)")
        parser.add_argument("--year", type=int, help="收入年度（默认每户最近一年）/ income year (default: latest per household)")
        parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "gb18030"])
        parser.add_argument("--actor", default="cli")

    def handle(self, *args: Any, **opts: Any) -> None:
        scope = None
        if opts["area"]:
            area = Area.objects.filter(code=opts["area"].ljust(12, "0")).first()
            if area is None:
                raise CommandError(f"--area {opts['area']}: 没有这个区划 / no such area")
            scope = area.code_range
        n = export_register(opts["file"], actor=opts["actor"], scope=scope, year=opts["year"], encoding=opts["encoding"])
        self.stdout.write(f"已导出 / exported {n} 行 rows → {opts['file']}")
