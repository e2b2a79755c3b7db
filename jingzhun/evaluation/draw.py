"""Drawing an evaluation's sample from the database: the frame's sizes in SQL (one GROUP BY per list), the design
in NumPy (`design.draw`), then only the drawn villages' households read, and the sample stored with its
probabilities and weights in bulk, with its audit row, in one transaction.

The frame (models.py says why it is two lists): the register's exited households (status 已脱贫) of the area,
and the roster's never-registered households (`FrameHousehold`) of the area not in the register. Within a
village each group is ordered by its primary key, so a position drawn by the design names one household, and
the same seed over the same frame draws the same households.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from jingzhun import access
from jingzhun import choices as c
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.evaluation import design
from jingzhun.evaluation.models import Evaluation, FrameHousehold, SampledHousehold, SampledVillage
from jingzhun.registry.models import Household
from jingzhun.tabular.rules import Scope, chunks

DRAW_ROLES = frozenset({"officer"})
COUNTY_DIGITS = 6

EXITED_COUNTS = f"""SELECT village_id, COUNT(*) FROM {Household._meta.db_table}
    WHERE status = %s AND village_id BETWEEN %s AND %s GROUP BY village_id"""
OTHER_COUNTS = f"""SELECT f.village_id, COUNT(*) FROM {FrameHousehold._meta.db_table} f
    WHERE f.village_id BETWEEN %s AND %s
      AND NOT EXISTS (SELECT 1 FROM {Household._meta.db_table} h WHERE h.number = f.number)
    GROUP BY f.village_id"""


def frame_of(area: Area) -> tuple[design.Frame, list[str]]:
    """The frame's villages (code order) with their households by group, and their codes as text."""
    low, high = area.code_range
    counts: dict[str, list[int]] = {}
    with connection.cursor() as cur:
        cur.execute(EXITED_COUNTS, [c.EXITED, low, high])
        for village, n in cur.fetchall():
            counts.setdefault(village, [0, 0])[0] = int(n)
        cur.execute(OTHER_COUNTS, [low, high])
        for village, n in cur.fetchall():
            counts.setdefault(village, [0, 0])[1] = int(n)
    codes = sorted(counts)
    village = np.array([int(v) for v in codes], dtype=np.int64)
    county = np.array([int(v[:COUNTY_DIGITS].ljust(12, "0")) for v in codes], dtype=np.int64)
    sizes = np.array([counts[v] for v in codes], dtype=np.int64).reshape(-1, 2)
    return design.Frame(village, county, sizes[:, 0], sizes[:, 1]), codes


def _members(villages: Sequence[str]) -> dict[tuple[str, int], list[tuple[int, str]]]:
    """(village, group) → [(id, number)] in primary-key order, for the drawn villages only."""
    found: dict[tuple[str, int], list[tuple[int, str]]] = {}
    for part in chunks(list(villages), 900):
        rows = Household.objects.filter(status=c.EXITED, village_id__in=part).order_by("village_id", "pk").values_list(
            "village_id", "pk", "number")
        for village, pk, number in rows:
            found.setdefault((village, design.EXITED), []).append((pk, number))
        others = FrameHousehold.objects.filter(village_id__in=part).exclude(
            number__in=Household.objects.values("number")).order_by("village_id", "pk").values_list(
            "village_id", "pk", "number")
        for village, pk, number in others:
            found.setdefault((village, design.OTHER), []).append((pk, number))
    return found


def draw(*, name: str, year: int, area_code: str, seed: int, sizes: design.Sizes, user: object | None,
         actor: str) -> Evaluation:
    """Draw and store an evaluation of the counties under `area_code`. Only an officer whose areas hold the whole
    area may (the console operator, `user=None`, anywhere). ValueError for an unknown area or an empty frame."""
    area = Area.objects.filter(code=area_code).first()
    scope = Scope.of_user(user, DRAW_ROLES) if user is not None else Scope(None)
    if area is None or not scope.covers(area_code):
        # Outside one's areas, an area is as unknown as a missing one.
        raise PermissionDenied("区划不存在或不在您的管辖范围内 / no such area in your areas")
    if area.level not in ("province", "city", "county"):
        raise ValueError("评估范围应为县级或以上 / an evaluation covers one county or more")
    frame, codes = frame_of(area)
    if not len(codes):
        raise ValueError(f"{area_code}: 抽样框为空 / the frame is empty (no exited or never-registered households)")
    sample = design.draw(frame, sizes, seed)
    stratum, cluster = design.design_labels(frame, sample)
    drawn = [codes[i] for i in sample.villages.tolist()]
    members = _members(drawn)
    with transaction.atomic():
        evaluation = Evaluation.objects.create(
            name=name, year=year, area=area, seed=seed, households_per_county=sizes.households_per_county,
            households_per_village=sizes.households_per_village, exited_share=sizes.exited_share, created_by=actor)
        SampledVillage.objects.bulk_create([
            SampledVillage(evaluation=evaluation, village_id=codes[v], county=codes[v][:COUNTY_DIGITS].ljust(12, "0"),
                           exited=int(frame.exited[v]), other=int(frame.other[v]), probability=float(p), certainty=bool(s))
            for v, p, s in zip(sample.villages.tolist(), sample.village_probability.tolist(), sample.certainty.tolist(),
                               strict=True)], batch_size=2000)
        rows = []
        for i, (v, g, pos) in enumerate(zip(sample.village.tolist(), sample.group.tolist(), sample.position.tolist(),
                                            strict=True)):
            pk, number = members[(codes[v], g)][pos]
            rows.append(SampledHousehold(
                evaluation=evaluation, village_id=codes[v], county=codes[v][:COUNTY_DIGITS].ljust(12, "0"),
                number=number, group=("exited", "other")[g], household_id=pk if g == design.EXITED else None,
                frame_household_id=pk if g == design.OTHER else None, probability=float(sample.probability[i]),
                weight=float(sample.weight[i]), stratum=int(stratum[i]), cluster=int(cluster[i])))
        SampledHousehold.objects.bulk_create(rows, batch_size=2000)
        audit.record(actor, "evaluation.draw", object_type="evaluation", object_id=str(evaluation.pk), area=area_code,
                     areas=drawn, seed=seed, households=len(rows), villages=len(drawn),
                     sizes=[sizes.households_per_county, sizes.households_per_village, sizes.exited_share])
    return evaluation


def visible(user: object) -> QuerySet[Evaluation]:
    """The evaluations a user may open: those whose area lies in, or holds, one of the user's areas (of the roles
    carrying "evaluate"); what they then see of it is scoped by village (`households_of`)."""
    spans = access.ranges(user, ability="evaluate")
    qs = Evaluation.objects.select_related("area").order_by("-pk")
    if spans is None:
        return qs
    if not spans:
        return qs.none()
    q = Q(pk__in=[])
    for low, high in spans:
        q |= Q(villages__village_id__gte=low, villages__village_id__lte=high)
    return qs.filter(q).distinct()


def households_of(evaluation: Evaluation, user: object) -> QuerySet[SampledHousehold]:
    """The evaluation's sampled households in the user's areas (roles carrying "evaluate"), in SQL."""
    return access.scope(SampledHousehold.objects.filter(evaluation=evaluation), user, "village_id", ability="evaluate")


def drawable_areas(user: object, limit: int = 500) -> list[Area]:
    """The areas (county level or above) the user may draw an evaluation of: those wholly inside the areas of
    their officer roles (`DRAW_ROLES`); every one for a superuser. In SQL, code order."""
    qs = Area.objects.filter(level__in=("province", "city", "county")).order_by("code")
    scope = Scope.of_user(user, DRAW_ROLES)
    if scope.wide is not None:
        if not scope.wide:
            return []
        q = Q(pk__in=[])
        for low, high in scope.wide:
            q |= Q(code__gte=low, code__lte=high)
        qs = qs.filter(q)
    return list(qs[:limit])
