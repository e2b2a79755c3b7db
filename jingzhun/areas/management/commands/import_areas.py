from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.areas.loading import LoadError, load_areas, load_villages


class Command(BaseCommand):
    help = "导入行政区划与村情 / Load areas (areas.csv) and village records (villages.csv)"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("areas")
        parser.add_argument("--villages", help="村情 CSV / village records CSV")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            n = load_areas(opts["areas"])
            self.stdout.write(f"区划 / areas: {n}")
            if opts["villages"]:
                self.stdout.write(f"村情 / village records: {load_villages(opts['villages'])}")
        except LoadError as exc:
            raise CommandError(str(exc)) from None
