"""`jingzhun import_boundaries FILE.geojson --source … --licence …`: an administrator's tool (like
`import_areas`) — the boundaries are area facts, not a county's records; with `--user`, the user's import areas
bound which codes may be written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from jingzhun.maps.geojson import BoundaryProblem
from jingzhun.maps.load import load_file


class Command(BaseCommand):
    help = "导入区划边界（GeoJSON）/ import area boundaries (GeoJSON)"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--source", required=True, help="来源 / where the boundaries come from")
        parser.add_argument("--licence", required=True, help="许可 / licence, e.g. CC-BY-4.0")
        parser.add_argument("--crs", default="WGS-84", help="坐标系 / WGS-84 or GCJ-02")
        parser.add_argument("--code-property", default="code", help="区划代码所在属性 / the property holding the code")
        parser.add_argument("--actor", default="cli")
        parser.add_argument("--user", help="按此用户的导入范围检查 / check against this user's import areas")

    def handle(self, *args: Any, **opts: Any) -> None:
        user = None
        if opts["user"]:
            user = get_user_model().objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"没有用户 {opts['user']} / no user {opts['user']}")
        try:
            n = load_file(opts["path"], source=opts["source"], licence=opts["licence"], crs=opts["crs"],
                          actor=opts["actor"], user=user, code_property=opts["code_property"])
        except (BoundaryProblem, OSError) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"已导入 {n} 个区划边界 / {n} boundaries loaded")
