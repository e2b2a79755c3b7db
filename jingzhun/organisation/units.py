"""Cadres' sending units from the text they were typed as: the migration that replaced the free text, and
every later write of a cadre (the roster import, a form) go through `attach`.

A unit is identified by its name exactly as typed (not even trimmed: a stray space is listed, not dropped), its kind and its area — the area follows from
the kind and the cadre's station: a county body belongs to the county the cadre serves in, a provincial
department, central unit or East–West partner to the province, an enterprise, institution or other unit to
the county. So 县农业农村局 of two counties are two units (they are), and no typed value is lost: each
distinct spelling becomes its own unit.

What might be one unit written twice is *listed*, never merged: names equal after normalisation (NFKC —
full-width letters, digits and brackets to their plain forms — and no whitespace) that differ in spelling,
kind or level get a `UnitReview` for an officer (`resolve`). Equal names of the same kind in different areas
are the ordinary per-area bodies and are not listed — except for enterprises, institutions and other units,
which have no area of their own and may well be one unit serving two counties.

Works on the model classes it is given, so the migration runs it on its historical models.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from jingzhun.areas.models import LEVEL_DEPTH, LEVEL_DIGITS

# kind → (the unit's level, the level of the area it belongs to)
KIND_LEVEL: dict[str, tuple[str, str]] = {
    "central": ("central", "province"),
    "provincial": ("province", "province"),
    "partner_region": ("province", "province"),
    "city": ("city", "city"),
    "county": ("county", "county"),
    "township": ("township", "township"),
    "institution": ("county", "county"),
    "enterprise": ("county", "county"),
    "other": ("county", "county"),
}
# Same exact name and kind in two areas is ordinary for these (every county has its 农业农村局).
PER_AREA_KINDS = frozenset({"city", "county", "township", "provincial", "central", "partner_region"})
BATCH = 500


def normalised(name: str) -> str:
    """The comparison key of a unit name: NFKC (full-width → plain) without any whitespace."""
    return "".join(unicodedata.normalize("NFKC", name).split())


@dataclass(frozen=True)
class UnitKey:
    name: str
    kind: str
    area: str  # 12-digit code

    @property
    def level(self) -> str:
        return KIND_LEVEL.get(self.kind, ("county", "county"))[0]


def area_for(kind: str, home: str, home_level: str, existing: set[str]) -> str:
    """The area a unit of `kind` belongs to, for a cadre stationed at `home` (an area at `home_level`): the
    ancestor at the kind's level, or `home` itself when the station is above that level or the ancestor is
    not registered."""
    target = KIND_LEVEL.get(kind, ("county", "county"))[1]
    if LEVEL_DEPTH[home_level] <= LEVEL_DEPTH[target]:
        return home
    code = home[: LEVEL_DIGITS[target]].ljust(12, "0")
    return code if code in existing else home


def keys_of(cadres: list[dict[str, Any]], area_model: Any) -> dict[int, UnitKey]:
    """cadre id → its unit key, for rows with id, unit, unit_kind, home_area_id."""
    homes = {c["home_area_id"] for c in cadres}
    levels: dict[str, str] = {}
    for part in _chunks(sorted(homes)):
        levels.update(area_model.objects.filter(code__in=part).values_list("code", "level"))
    wanted = {h[: LEVEL_DIGITS[lv]].ljust(12, "0") for h in homes for lv in ("province", "city", "county", "township")}
    existing: set[str] = set()
    for part in _chunks(sorted(wanted)):
        existing.update(area_model.objects.filter(code__in=part).values_list("code", flat=True))
    return {c["id"]: UnitKey(c["unit"] if c["unit"].strip() else "（未填写）", c["unit_kind"] or "other",
                             area_for(c["unit_kind"], c["home_area_id"], levels[c["home_area_id"]], existing))
            for c in cadres}


def attach(cadre_model: Any, unit_model: Any, review_model: Any, area_model: Any,
           cadre_ids: Iterable[int] | None = None) -> dict[str, int]:
    """Give the cadres (all, or `cadre_ids`) the unit their typed name, kind and station identify, creating
    units that do not exist yet, then list new possible duplicates for review. Set-based: one query per
    batch, one UPDATE per unit. Returns counts (units created, cadres attached, reviews opened)."""
    qs = cadre_model.objects.all()
    if cadre_ids is not None:
        ids = list(cadre_ids)
        if not ids:
            return {"units": 0, "cadres": 0, "reviews": 0}
        qs = qs.filter(pk__in=ids)
    rows = list(qs.values("id", "unit", "unit_kind", "home_area_id", "sending_unit_id"))
    keys = keys_of(rows, area_model)
    unit_of = _units_for(set(keys.values()), unit_model)
    created = unit_of.pop(None)  # type: ignore[call-overload]
    by_unit: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        target = unit_of[keys[row["id"]]]
        if row["sending_unit_id"] != target:
            by_unit[target].append(row["id"])
    for unit_pk, ids in by_unit.items():
        for part in _chunks(ids):
            cadre_model.objects.filter(pk__in=part).update(sending_unit_id=unit_pk)
    reviews = refresh_reviews(unit_model, review_model, {normalised(k.name) for k in keys.values()})
    return {"units": created, "cadres": sum(len(v) for v in by_unit.values()), "reviews": reviews}


def _units_for(keys: set[UnitKey], unit_model: Any) -> dict[Any, int]:
    """key → unit pk (a unit merged into another answers with the one kept); the None entry counts the
    units created."""
    found: dict[Any, int] = {}
    names = sorted({k.name for k in keys})
    for part in _chunks(names):
        for pk, name, kind, area, merged in unit_model.objects.filter(name__in=part).values_list(
                "pk", "name", "kind", "area_id", "merged_into_id"):
            found[UnitKey(name, kind, area)] = merged or pk
    missing = [k for k in sorted(keys, key=lambda k: (k.area, k.kind, k.name)) if k not in found]
    unit_model.objects.bulk_create([unit_model(name=k.name, kind=k.kind, level=k.level, area_id=k.area)
                                    for k in missing], batch_size=BATCH)
    for part in _chunks(sorted({k.name for k in missing})):
        for pk, name, kind, area in unit_model.objects.filter(name__in=part, merged_into__isnull=True).values_list(
                "pk", "name", "kind", "area_id"):
            found.setdefault(UnitKey(name, kind, area), pk)
    found[None] = len(missing)
    return found


def ambiguous(units: list[tuple[str, str, str, str]]) -> str | None:
    """Why a group of units (name, kind, level, area) with one normalised name may be one unit, or None."""
    if len(units) < 2:
        return None
    spellings = {u[0] for u in units}
    levels = {u[2] for u in units}
    if len(spellings) > 1:
        return "名称仅空格或全半角不同 / names differ only by spaces or full-width characters"
    if len(levels) > 1:
        return "同名单位出现在不同层级 / the same name at different levels"
    kinds = {u[1] for u in units}
    if len(kinds) > 1:
        return "同名单位类别不同 / the same name with different kinds"
    if not kinds <= PER_AREA_KINDS:
        return "同名单位分属不同区划 / the same name in different areas"
    return None


def refresh_reviews(unit_model: Any, review_model: Any, keys: set[str]) -> int:
    """Open (or reopen, when its units changed) a review for every normalised name among `keys` whose
    active units are ambiguous. Returns how many were opened or reopened."""
    if not keys:
        return 0
    groups: dict[str, list[tuple[int, str, str, str, str]]] = defaultdict(list)
    # A normalised key cannot be searched in SQL (NFKC), so the active units are read once (thousands, not
    # the cadres' hundreds of thousands).
    for pk, name, kind, level, area in unit_model.objects.filter(merged_into__isnull=True).values_list(
            "pk", "name", "kind", "level", "area_id"):
        key = normalised(name)
        if key in keys:
            groups[key].append((pk, name, kind, level, area))
    opened = 0
    stored = {r.key: r for r in review_model.objects.filter(key__in=list(groups))}
    for key, units in groups.items():
        reason = ambiguous([u[1:] for u in units])
        ids = sorted(u[0] for u in units)
        review = stored.get(key)
        if reason is None or (review is not None and review.unit_ids == ids):
            continue
        if review is None:
            review_model.objects.create(key=key, unit_ids=ids, reason=reason)
        else:
            review_model.objects.filter(pk=review.pk).update(unit_ids=ids, reason=reason, status="open", kept=None,
                                                            decided_by="", decided_at=None, note="")
        opened += 1
    return opened


def _chunks(items: list[Any], step: int = 5000) -> Iterable[list[Any]]:
    for start in range(0, len(items), step):
        yield items[start : start + step]


def migrate_forward(apps: Any, schema_editor: Any) -> None:
    """teams 0006: every cadre's typed unit becomes a unit record (see the module's doc)."""
    attach(apps.get_model("teams", "Cadre"), apps.get_model("organisation", "Unit"),
           apps.get_model("organisation", "UnitReview"), apps.get_model("areas", "Area"))


def attach_current(cadre_ids: Iterable[int] | None = None) -> dict[str, int]:
    """`attach` on the current models (the roster import, a saved cadre, the `units --attach` command)."""
    from django.apps import apps

    return attach(apps.get_model("teams", "Cadre"), apps.get_model("organisation", "Unit"),
                  apps.get_model("organisation", "UnitReview"), apps.get_model("areas", "Area"), cadre_ids)
