from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jingzhun.organisation import totals


class Command(BaseCommand):
    help = ("重算人员工作的县级汇总（培训覆盖、村党组织评定），用于未经导入或表单写入的数据 / Recount the people pages' "
            "per-county totals (training coverage, party-branch ratings) for data loaded other than by the imports "
            "and forms")

    def handle(self, *args: Any, **opts: Any) -> None:
        names = totals.recount_all()
        self.stdout.write(f"已重算 / recounted: {', '.join(names)}")
