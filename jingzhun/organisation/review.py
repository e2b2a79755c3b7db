"""An officer resolves a unit review: the listed units are one (merge into the one kept: its cadres, links
and secondments move to it, the others point to it and stay findable) or distinct (kept as they are). Only
by a user who may write every listed unit's area; audited with the note."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from jingzhun.audit import log as audit
from jingzhun.organisation import scope
from jingzhun.organisation.models import Secondment, Unit, UnitReview, UnitVillageLink


class Refused(ValueError):
    pass


def resolve(user: object, actor: str, review_id: int, decision: str, kept_id: int | None, note: str,
            merge_ids: list[int] | None = None) -> UnitReview:
    """"distinct": every listed unit is kept as it is (the user must be able to write them all). "merged":
    `merge_ids` (default: all listed) are one unit, kept as `kept_id`; the user must be able to write each of
    them, not the others — a county officer merges their own spellings of a name a neighbour also uses, and
    the review stays open for what is left while two or more units remain."""
    if decision not in ("merged", "distinct"):
        raise Refused("处理结果应为合并或不同单位 / merge or keep distinct")
    with transaction.atomic():
        review = UnitReview.objects.select_for_update().filter(pk=review_id, status="open").first()
        if review is None:
            raise Refused("没有待处理的这项核实 / no such open review")
        chosen = set(review.unit_ids if decision == "distinct" or not merge_ids else merge_ids)
        units = list(Unit.objects.filter(pk__in=chosen))
        if not chosen <= set(review.unit_ids) or len(units) != len(chosen) or not all(
                scope.covers(user, u.area_id, write=True) for u in units):
            raise Refused("所选单位不全在本项核实中或不全在您的管辖范围内 / the units chosen are not all listed here "
                          "and in your areas")
        left = [pk for pk in review.unit_ids if pk not in chosen]
        if decision == "merged":
            if kept_id is None or kept_id not in chosen or len(chosen) < 2:
                raise Refused("须选择两个以上单位并指定保留单位 / choose two or more units and the one kept")
            _merge(kept_id, sorted(chosen - {kept_id}))
            left = [kept_id, *left]
        done = decision == "distinct" or len(left) < 2
        UnitReview.objects.filter(pk=review.pk).update(
            status=decision if done else "open", unit_ids=review.unit_ids if done else left,
            kept_id=kept_id if decision == "merged" and done else None, decided_by=actor if done else "",
            decided_at=timezone.now() if done else None, note=note[:200])
        audit.record(actor, "organisation.unit_review", object_type="unit_review", object_id=str(review.pk),
                     area=min(u.area_id for u in units), areas=[u.area_id for u in units], decision=decision,
                     kept=kept_id, units=sorted(chosen), note=note[:200])
        review.refresh_from_db()
    return review


def _merge(kept: int, others: list[int]) -> None:
    from jingzhun.teams.models import Cadre

    clash = (UnitVillageLink.objects.filter(unit_id__in=[kept, *others]).values("village_id", "year")
             .annotate(n=Count("pk")).filter(n__gt=1).order_by("village_id", "year").first())
    if clash:
        raise Refused(f"两单位在{clash['village_id']}村{clash['year']}年都有联系记录，请先核对 / both units have a link "
                      f"for village {clash['village_id']} in {clash['year']}: reconcile it first")
    Cadre.objects.filter(sending_unit_id__in=others).update(sending_unit_id=kept)
    UnitVillageLink.objects.filter(unit_id__in=others).update(unit_id=kept)
    Secondment.objects.filter(from_unit_id__in=others).update(from_unit_id=kept)
    Unit.objects.filter(pk__in=others).update(merged_into_id=kept)
    Unit.objects.filter(merged_into_id__in=others).update(merged_into_id=kept)
