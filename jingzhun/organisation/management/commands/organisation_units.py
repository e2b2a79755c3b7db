"""`jingzhun organisation_units`: attach cadres without a unit record, list the units to review."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from jingzhun.organisation.models import Unit, UnitReview
from jingzhun.organisation.units import attach_current


class Command(BaseCommand):
    help = "为干部关联派出单位并列出待核实单位 / attach cadres to unit records and list units to review"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--attach", action="store_true", help="为尚无单位的干部关联单位 / attach cadres without one")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["attach"]:
            from jingzhun.teams.models import Cadre

            ids = list(Cadre.objects.filter(sending_unit__isnull=True).values_list("pk", flat=True))
            self.stdout.write(f"已关联 / attached: {attach_current(ids)}")
        names = dict(Unit.objects.values_list("pk", "name"))
        for review in UnitReview.objects.filter(status="open").order_by("key"):
            listed = "、".join(f"{names.get(pk, pk)}（#{pk}）" for pk in review.unit_ids)
            self.stdout.write(f"{review.key}: {listed} — {review.reason}")
