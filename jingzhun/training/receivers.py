"""The training app's answers to other apps' writes: a cadre added, moved or no longer serving changes the
coverage totals of the counties touched (recounted in the sender's transaction)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from jingzhun.teams.signals import cadres_changed
from jingzhun.training import totals


@receiver(cadres_changed)
def recount_coverage(sender: Any, areas: set[str] | None = None, **kwargs: Any) -> None:
    totals.refresh(sorted(areas or ()))
