"""Load the area tree and village records from CSV (as `jingzhun synth` writes them).

Small files (a nation has ~700 k villages), so plain Python validation; the whole file lands in
one transaction or not at all, and every bad row is reported.
"""

from __future__ import annotations

import csv
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction

from jingzhun.areas.models import LEVEL_DEPTH, LEVEL_DIGITS, Area, VillageRecord, code_problem
from jingzhun.choices import POOR_COUNTY, REGION_CLASS

AREA_HEADER = ["code", "name", "level", "parent_code", "region_class", "poor_county", "contiguous_region",
               "poor_village", "exit_year"]
VILLAGE_HEADER = ["village_code", "year", "households", "population", "hardened_road", "power_grid", "tap_water",
                  "broadband", "clinic", "school", "activity_centre", "distance_to_town_km", "collective_income"]


class LoadError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems[:50]) + (f"\n… {len(problems) - 50} more" if len(problems) > 50 else ""))
        self.problems = problems


def _rows(path: Path, header: list[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        missing = [h for h in header if h not in (reader.fieldnames or [])]
        if missing:
            raise LoadError([f"{path.name}: missing columns {', '.join(missing)}"])
        return list(reader)


def load_areas(path: str | Path) -> int:
    path = Path(path)
    rows = _rows(path, AREA_HEADER)
    known = set(Area.objects.values_list("code", flat=True))
    levels = dict(Area.objects.values_list("code", "level"))
    problems: list[str] = []
    areas = []
    for i, row in enumerate(rows, start=2):
        where = f"{path.name} row {i}"
        code, level, parent = row["code"].strip(), row["level"].strip(), row["parent_code"].strip()
        if level not in LEVEL_DIGITS:
            problems.append(f"{where}, level: {level!r} is not one of {', '.join(LEVEL_DIGITS)}")
            continue
        if problem := code_problem(code, level):
            problems.append(f"{where}, code: {code!r}: {problem}")
            continue
        if level == "province":
            if parent:
                problems.append(f"{where}, parent_code: a province has no parent")
        elif parent not in known:
            problems.append(f"{where}, parent_code: {parent!r} is not an area listed earlier or registered")
        elif LEVEL_DEPTH[levels[parent]] != LEVEL_DEPTH[level] - 1 or not code.startswith(parent[: LEVEL_DIGITS[levels[parent]]]):
            problems.append(f"{where}, parent_code: {parent!r} is not the {level}'s parent by level and code prefix")
        for key, enum in (("region_class", REGION_CLASS), ("poor_county", POOR_COUNTY)):
            if row[key] and row[key] not in enum.codes:
                problems.append(f"{where}, {key}: {row[key]!r} is not one of {', '.join(enum.codes)}")
        if row["poor_village"] not in ("0", "1", ""):
            problems.append(f"{where}, poor_village: must be 1 or 0")
        elif row["poor_village"] == "1" and level != "village":
            problems.append(f"{where}, poor_village: only a village can be a poor village")
        if row["exit_year"] and not row["exit_year"].isdigit():
            problems.append(f"{where}, exit_year: must be a year")
        if not row["name"].strip():
            problems.append(f"{where}, name: required")
        known.add(code)
        levels[code] = level
        areas.append(Area(
            code=code, name=row["name"].strip(), level=level, parent_id=parent or None,
            region_class=row["region_class"], poor_county=row["poor_county"],
            contiguous_region=row["contiguous_region"], poor_village=row["poor_village"] == "1",
            exit_year=int(row["exit_year"]) if row["exit_year"] else None,
        ))
    if problems:
        raise LoadError(problems)
    with transaction.atomic():
        Area.objects.bulk_create(
            areas, batch_size=5000, update_conflicts=True, unique_fields=["code"],
            update_fields=["name", "level", "parent", "region_class", "poor_county", "contiguous_region",
                           "poor_village", "exit_year"],
        )
    return len(areas)


def load_villages(path: str | Path) -> int:
    path = Path(path)
    rows = _rows(path, VILLAGE_HEADER)
    villages = set(Area.objects.filter(level="village").values_list("code", flat=True))
    problems: list[str] = []
    records = []
    flags = ["hardened_road", "power_grid", "tap_water", "broadband", "clinic", "school", "activity_centre"]
    for i, row in enumerate(rows, start=2):
        where = f"{path.name} row {i}"
        if row["village_code"] not in villages:
            problems.append(f"{where}, village_code: {row['village_code']!r} is not a registered village")
        bad = [k for k in ("year", "households", "population") if not row[k].isdigit()]
        bad += [k for k in flags if row[k] not in ("0", "1")]
        values = {}
        for k in ("distance_to_town_km", "collective_income"):
            try:
                values[k] = Decimal(row[k])
                if values[k] < 0:
                    bad.append(k)
            except InvalidOperation:
                bad.append(k)
        if bad:
            problems.append(f"{where}: invalid {', '.join(bad)} (whole numbers, 1/0 flags, non-negative amounts)")
            continue
        records.append(VillageRecord(
            village_id=row["village_code"], year=int(row["year"]), households=int(row["households"]),
            population=int(row["population"]), **{k: row[k] == "1" for k in flags}, **values,
        ))
    if problems:
        raise LoadError(problems)
    with transaction.atomic():
        VillageRecord.objects.bulk_create(
            records, batch_size=5000, update_conflicts=True, unique_fields=["village", "year"],
            update_fields=["households", "population", *flags, "distance_to_town_km", "collective_income"],
        )
    return len(records)
