"""A household's status at the end of an assessed year, in SQL: what village and county exit count as "on the
poor list" for that year, so a verdict for year Y does not move when a household's status changes after Y.

The register keeps status over time as `StatusEvent`s (year, recorded time); `appraisal.yearly.status_at` is the
one definition of "the status at the end of Y" (the latest event of a year ≤ Y, else exited when the exit year
≤ Y, poor when the identification year ≤ Y). It has no answer for a household with neither events nor years
(records imported without them); for those this module adds, in order:

- identified after Y: not yet on the list (the empty status);
- exited after Y (no identification year): on the list at the end of Y (poor), since it exited later;
- otherwise its current status — nothing in the register says it was ever different.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, CharField, F, QuerySet, Value, When
from django.db.models.functions import Coalesce

from jingzhun import choices
from jingzhun.appraisal.yearly import status_at
from jingzhun.registry.models import Household


def status_at_year_end(year: int) -> Coalesce:
    """SQL for a household's status at the end of `year` (see the module's words)."""
    unknown = Case(When(identified_year__gt=year, then=Value("")),
                   When(exit_year__gt=year, then=Value(choices.POOR)),
                   default=F("status"), output_field=CharField())
    return Coalesce(status_at(year), unknown, output_field=CharField())


def on_list_at_year_end(households: QuerySet[Any], year: int) -> QuerySet[Any]:
    """`households` (a Household queryset) narrowed to those on the poor list (poor or returned) at the end of
    `year`."""
    assert households.model is Household
    return households.annotate(year_end_status=status_at_year_end(year)).filter(
        year_end_status__in=list(choices.POOR_NOW))
