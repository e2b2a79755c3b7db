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
import pyarrow as pa
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q, QuerySet

from jingzhun import access, db
from jingzhun import choices as c
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.evaluation import design
from jingzhun.evaluation.models import GROUP_CODES, Evaluation, FrameHousehold, SampledHousehold, SampledVillage
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


EXITED_MEMBERS = f"""SELECT village_id, id FROM {Household._meta.db_table}
    WHERE status = %s AND village_id IN ({{marks}}) ORDER BY village_id, id"""
OTHER_MEMBERS = f"""SELECT f.village_id, f.id FROM {FrameHousehold._meta.db_table} f
    WHERE f.village_id IN ({{marks}})
      AND NOT EXISTS (SELECT 1 FROM {Household._meta.db_table} h WHERE h.number = f.number)
    ORDER BY f.village_id, f.id"""
NUMBERS = {design.EXITED: f"SELECT id, number FROM {Household._meta.db_table} WHERE id IN ({{marks}})",
           design.OTHER: f"SELECT id, number FROM {FrameHousehold._meta.db_table} WHERE id IN ({{marks}})"}


def _members(villages: Sequence[str]) -> dict[tuple[str, int], list[int]]:
    """(village, group) → ids in primary-key order, for the drawn villages only. Plain SQL and ids only: a
    drawn village's households are read whole (about a third of the frame), their numbers only once drawn."""
    found: dict[tuple[str, int], list[int]] = {}
    with connection.cursor() as cur:
        for part in chunks(list(villages), 900):
            marks = ", ".join(["%s"] * len(part))
            for group, sql, params in ((design.EXITED, EXITED_MEMBERS, [c.EXITED, *part]),
                                       (design.OTHER, OTHER_MEMBERS, list(part))):
                cur.execute(sql.format(marks=marks), params)
                for village, pk in cur.fetchall():
                    found.setdefault((village, group), []).append(pk)
    return found


def _numbers(pks: np.ndarray, groups: np.ndarray) -> list[str]:
    """The household numbers of the drawn ids (each group from its own table), in the order given."""
    number: dict[tuple[int, int], str] = {}
    with connection.cursor() as cur:
        for group, sql in NUMBERS.items():
            wanted = pks[groups == group].tolist()
            for part in chunks(wanted, 900):
                cur.execute(sql.format(marks=", ".join(["%s"] * len(part))), list(part))
                number.update(((group, pk), n) for pk, n in cur.fetchall())
    return [number[(g, pk)] for g, pk in zip(groups.tolist(), pks.tolist(), strict=True)]


def _tables(evaluation_id: int, frame: design.Frame, codes: list[str], sample: design.Sample,
            members: dict[tuple[str, int], list[int]]) -> dict[str, pa.Table]:
    """The drawn villages and households as Arrow tables for the bulk loader (no ORM object per row)."""
    code = np.array(codes, dtype=object)
    county = np.array([v[:COUNTY_DIGITS].ljust(12, "0") for v in codes], dtype=object)
    villages = pa.table({
        "evaluation_id": pa.array(np.full(len(sample.villages), evaluation_id, np.int64)),
        "village_id": pa.array(code[sample.villages].tolist(), pa.string()),
        "county": pa.array(county[sample.villages].tolist(), pa.string()),
        "exited": pa.array(frame.exited[sample.villages].astype(np.int64)),
        "other": pa.array(frame.other[sample.villages].astype(np.int64)),
        "probability": pa.array(sample.village_probability.astype(float)),
        "certainty": pa.array(sample.certainty.astype(bool))})
    pks = np.array([members[(codes[v], g)][pos] for v, g, pos in zip(
        sample.village.tolist(), sample.group.tolist(), sample.position.tolist(), strict=True)], dtype=np.int64)
    exited = sample.group == design.EXITED
    stratum, cluster = design.design_labels(frame, sample)
    households = pa.table({
        "evaluation_id": pa.array(np.full(len(sample), evaluation_id, np.int64)),
        "village_id": pa.array(code[sample.village].tolist(), pa.string()),
        "county": pa.array(county[sample.village].tolist(), pa.string()),
        "number": pa.array(_numbers(pks, sample.group), pa.string()),
        "group": pa.array(np.array(GROUP_CODES, dtype=object)[sample.group].tolist(), pa.string()),
        "household_id": pa.array(pks, mask=~exited),
        "frame_household_id": pa.array(pks, mask=exited),
        "probability": pa.array(sample.probability.astype(float)),
        "weight": pa.array(sample.weight.astype(float)),
        "stratum": pa.array(stratum.astype(np.int64)),
        "cluster": pa.array(cluster.astype(np.int64)),
        "recorded_by": pa.array([""] * len(sample), pa.string())})
    return {SampledVillage._meta.db_table: villages, SampledHousehold._meta.db_table: households}


def _reserve(evaluation: Evaluation) -> int:
    """An id for the unsaved evaluation without leaving a row (inserted and deleted in one transaction: the
    sequence, and SQLite's AUTOINCREMENT, never hand it out again), so its sample's rows can carry it when they
    are staged before the transaction that stores them."""
    with transaction.atomic():
        evaluation.save(force_insert=True)
        Evaluation.objects.filter(pk=evaluation.pk).delete()
    evaluation._state.adding = True
    return int(evaluation.pk)


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
    drawn = [codes[i] for i in sample.villages.tolist()]
    evaluation = Evaluation(name=name, year=year, area=area, seed=seed, households_per_county=sizes.households_per_county,
                            households_per_village=sizes.households_per_village, exited_share=sizes.exited_share,
                            created_by=actor)
    tables = _tables(_reserve(evaluation), frame, codes, sample, _members(drawn))
    # One transaction: the evaluation, its sample and its audit row land together or not at all. The sample is
    # staged by the bulk loader before it (SQLite), or copied (PostgreSQL).
    with db.load(tables) as loader, transaction.atomic():
        evaluation.save(force_insert=True)
        for table in tables:
            loader.load(table)
        audit.record(actor, "evaluation.draw", object_type="evaluation", object_id=str(evaluation.pk), area=area_code,
                     areas=drawn, seed=seed, households=len(sample), villages=len(drawn),
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
