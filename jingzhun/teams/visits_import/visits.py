"""Visits (入户走访) from an officer's file: one row per visit of a helper to a household, with its notes,
the measures agreed, its coordinates and the digests of its photos.

A visit is an event, recorded once: the same helper, household and time twice (in the file, or already
stored) is refused, so re-importing a file changes nothing. The household must be in the importer's areas
*now* (its current village, not the file's), or — for a helper — one of their own pairs; one outside is
answered exactly as one that does not exist.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.utils import timezone

from jingzhun import db
from jingzhun.registry.models import Household
from jingzhun.tabular import parse, rules, steps
from jingzhun.tabular.read import RawTable
from jingzhun.tabular.spec import Column, Spec
from jingzhun.teams.models import MEASURE, VISIT_CHANNEL, Visit
from jingzhun.teams.scope import paired_households
from jingzhun.teams.visits import notes_key
from jingzhun.teams.visits_import import shared
from jingzhun.teams.visits_import.shared import FromRows, Rows

# Mainland China with its islands: a coordinate outside is a typo or swapped latitude and longitude.
LAT_RANGE, LON_RANGE = (Decimal(3), Decimal(54)), (Decimal(73), Decimal(136))
MAX_NOTES = 2000
# A phone's reported radius in metres: above 100 km it locates nothing (a typo or a cell-tower guess).
ACCURACY_RANGE = (Decimal("0.1"), Decimal(100000))
SHA256 = re.compile(r"[0-9a-f]{64}")
NO_HOUSEHOLD = ("没有这个户编号，或该户不在您的管辖区划内 / no household with this number, or registered outside your "
                "areas")

SPEC = Spec("visits", (
    *shared.cadre_columns("帮扶人编号"),
    Column("household_number", "户编号", "household_number", text_only=True,
           note="须为您管辖区划内的户（帮扶人：本人结对的户）/ a household in your areas (a helper: their own pairs)"),
    Column("visited_at", "走访时间", "visited_at", kind="datetime", note="YYYY-MM-DD HH:MM[:SS]，北京时间 / Beijing time"),
    Column("latitude", "纬度", "latitude", kind="decimal", required=False, low=LAT_RANGE[0], high=LAT_RANGE[1],
           note="与经度同填或同空，最多6位小数 / with the longitude, at most 6 decimals"),
    Column("longitude", "经度", "longitude", kind="decimal", required=False, low=LON_RANGE[0], high=LON_RANGE[1]),
    Column("location_accuracy", "定位精度（米）", "location_accuracy", kind="decimal", required=False,
           low=ACCURACY_RANGE[0], high=ACCURACY_RANGE[1],
           note="手机定位报告的误差半径，须有经纬度，最多1位小数 / the radius the phone reported, with coordinates"),
    Column("notes", "走访记录", "notes", required=False, max_length=MAX_NOTES),
    Column("measures", "商议帮扶措施", "measures", kind="multi", required=False, enum=MEASURE,
           note="可多项，以“、”或“,”分隔 / several, separated by 、 or ,"),
    Column("photos", "照片", "photos", required=False, note="文件名|SHA-256，多张以;分隔 / file|sha256; file|sha256"),
))


@dataclass
class Checked(FromRows):
    rows: Rows
    cadre: list[int | None]
    household: list[int | None] = field(default_factory=list)
    village: list[str | None] = field(default_factory=list)
    visited: list[dt.datetime | None] = field(default_factory=list)
    lat: list[str | None] = field(default_factory=list)
    lon: list[str | None] = field(default_factory=list)
    accuracy: list[str | None] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    photos: list[list[tuple[str, str]]] = field(default_factory=list)

@dataclass
class Plan:
    visits: pa.Table  # the new visits, ids still to hand out
    photos: pa.Table  # their photos: "visit" is the visit's place in `visits`

    def counts(self) -> dict[str, int]:
        return {"inserted": self.visits.num_rows, "photos": self.photos.num_rows}

    def areas(self) -> Iterable[str]:
        return set(self.visits.column("village_id").to_pylist())


class Visits:
    spec = SPEC
    action = "visits.import"

    def __init__(self, now: dt.datetime, channel: str = "file"):
        self.now, self.channel = now, channel
        self.recorded: dict[int, int] = {}  # the last check's rows refused as stored already → the visit's id

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        rows = Rows.of(SPEC, table, cell_problems)
        checked = Checked(rows, shared.cadre_ids(rows, context.scope))
        checked.household, checked.village = _households(rows, context.scope)
        checked.visited = rows.parsed("visited_at", self._time)
        checked.lat, checked.lon = _coordinates(rows)
        checked.accuracy = _accuracy(rows, checked.lat)
        for i, text in enumerate(rows.cells["notes"]):
            if len(text) > MAX_NOTES:
                rows.refuse(i, "notes", text[:20] + "…", f"不超过{MAX_NOTES}字 / at most {MAX_NOTES} characters")
        checked.measures = [",".join(codes or ()) for codes in rows.parsed_optional("measures", _measures)]
        checked.photos = [value or [] for value in rows.parsed_optional("photos", _photos)]
        self.recorded = _refuse_repeats(checked)
        return checked

    def _time(self, text: str) -> dt.datetime:
        when = shared.aware(parse.parse_datetime(text))
        if when > self.now:
            raise parse.Invalid("走访时间晚于录入时间 / the visit is in the future")
        if when.date() < shared.EARLIEST:
            raise parse.Invalid(shared.BEFORE_EARLIEST)
        return when

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        """The kept rows as new visits (no visit is ever updated: a visit is an event)."""
        notes = [checked.rows.cells["notes"][i] for i in keep]
        visits = pa.table({
            "cadre_id": pa.array([checked.cadre[i] for i in keep], pa.int64()),
            "household_id": pa.array([checked.household[i] for i in keep], pa.int64()),
            "village_id": pa.array([checked.village[i] for i in keep], pa.string()),
            "visited_at": pa.array([shared.db_datetime(checked.visited[i]) for i in keep  # type: ignore[arg-type]
                                    ], pa.string()),
            "latitude": pa.array([checked.lat[i] for i in keep], pa.string()),
            "longitude": pa.array([checked.lon[i] for i in keep], pa.string()),
            "notes": pa.array(notes, pa.string()),
            "notes_key": pa.array([notes_key(t) for t in notes], pa.string()),
            "measures": pa.array([checked.measures[i] for i in keep], pa.string()),
            "recorded_at": pa.array([shared.db_datetime(self.now)] * len(keep), pa.string()),
            "entered_by": pa.array([context.actor] * len(keep), pa.string()),
            "location_accuracy": pa.array([checked.accuracy[i] for i in keep], pa.string()),
            "channel": pa.array([self.channel] * len(keep), pa.string()),
        })
        photos = [(place, file, digest) for place, i in enumerate(keep) for file, digest in checked.photos[i]]
        return Plan(visits, pa.table({
            "visit": pa.array([p[0] for p in photos], pa.int64()),
            "file": pa.array([p[1] for p in photos], pa.string()),
            "sha256": pa.array([p[2] for p in photos], pa.string()),
        }))

    def apply(self, plan: Plan, context: steps.Context) -> None:
        first = {"teams_visit": db.next_id("teams_visit"), "teams_visitphoto": db.next_id("teams_visitphoto")}
        visits = plan.visits.add_column(0, "id", _ids(first["teams_visit"], plan.visits.num_rows))
        photo_visits = pa.array([first["teams_visit"] + k for k in plan.photos.column("visit").to_pylist()], pa.int64())
        photos = plan.photos.drop_columns(["visit"]).add_column(0, "visit_id", photo_visits)
        photos = photos.add_column(0, "id", _ids(first["teams_visitphoto"], photos.num_rows))
        shared.insert({"teams_visit": visits, "teams_visitphoto": photos}, first, deferred="teams_visit")


def _ids(first: int, n: int) -> pa.Array:
    return pa.array(range(first, first + n), pa.int64())


def _households(rows: Rows, scope: rules.Scope) -> tuple[list[int | None], list[str | None]]:
    """Each row's household and its current village. Where the household is now, not where the file says:
    outside the importer's areas (and, for a helper, outside their pairs) it does not exist."""
    numbers = rows.cells["household_number"]
    found: dict[str, tuple[int, str]] = {}
    for part in rules.chunks(sorted({x for x in numbers if x})):
        found.update((num, (pk, village)) for num, pk, village in
                     Household.objects.filter(number__in=part).values_list("number", "pk", "village_id"))
    paired = paired_households(scope)
    found = {num: (pk, v) for num, (pk, v) in found.items() if scope.covers(v) or pk in paired}
    household: list[int | None] = [None] * len(rows)
    village: list[str | None] = [None] * len(rows)
    for i, num in enumerate(numbers):
        if not num:
            rows.refuse(i, "household_number", num, shared.REQUIRED)
        elif num not in found:
            rows.refuse(i, "household_number", num, NO_HOUSEHOLD)
        else:
            household[i], village[i] = found[num]
    return household, village


def _degrees(text: str, low: Decimal, high: Decimal) -> str:
    try:
        value = parse.parse_decimal(text, places=6)
    except parse.Invalid:
        raise parse.Invalid("应为十进制度数，最多6位小数 / decimal degrees, at most 6 decimal places") from None
    if not low <= value <= high:
        raise parse.Invalid(f"应在 {low}–{high} 之间（中国境内）/ must be within {low}–{high} (China)")
    return format(value, "f")  # plain digits: "5E+1" is no value for the database


def _coordinates(rows: Rows) -> tuple[list[str | None], list[str | None]]:
    """Latitude and longitude go together; a row with one bad keeps neither."""
    lat: list[str | None] = [None] * len(rows)
    lon: list[str | None] = [None] * len(rows)
    for i, (ta, to) in enumerate(zip(rows.cells["latitude"], rows.cells["longitude"], strict=True)):
        if bool(ta) != bool(to):
            rows.refuse(i, "longitude" if ta else "latitude", "", "经纬度须同时填写或同时留空 / latitude and longitude go together")
            continue
        if not ta:
            continue
        values = []
        for text, key, (low, high) in ((ta, "latitude", LAT_RANGE), (to, "longitude", LON_RANGE)):
            try:
                values.append(_degrees(text, low, high))
            except parse.Invalid as exc:
                rows.refuse(i, key, text, str(exc))
        if len(values) == 2:
            lat[i], lon[i] = values
    return lat, lon


def _accuracy(rows: Rows, lat: list[str | None]) -> list[str | None]:
    """The reported radius, only beside coordinates that were kept (an accuracy of nothing is no fact)."""
    def parsed(text: str) -> str:
        low, high = ACCURACY_RANGE
        return format(parse.parse_decimal(text, low, high, places=1), "f")

    values = rows.parsed_optional("location_accuracy", parsed)
    for i, value in enumerate(values):
        if value is not None and lat[i] is None and not rows.cells["latitude"][i]:
            rows.refuse(i, "location_accuracy", rows.cells["location_accuracy"][i],
                        "定位精度须与经纬度同填 / an accuracy goes with the latitude and longitude")
            values[i] = None
    return values


def _measures(text: str) -> list[str]:
    try:
        return parse.parse_multi(text, MEASURE)
    except parse.Invalid as exc:
        raise parse.Invalid(f"未知帮扶措施 / unknown measures — {exc}") from None


def _photos(text: str) -> list[tuple[str, str]]:
    """`file|sha256; file|sha256`: each photo once, its digest as 64 lowercase hex digits."""
    photos: list[tuple[str, str]] = []
    for item in (x.strip() for x in text.replace("；", ";").split(";") if x.strip()):
        file, _, digest = item.rpartition("|")
        file, digest = file.strip(), digest.strip().lower()
        if not file or not SHA256.fullmatch(digest):
            raise parse.Invalid(f"“{item}”应为“文件名|SHA-256（64位十六进制）”，多张以;分隔 / file|sha256 (64 hex digits), "
                                "separated by ;")
        if len(file) > 255:
            raise parse.Invalid("文件名不超过255字 / file name at most 255 characters")
        if digest in {d for _, d in photos}:
            raise parse.Invalid("同一走访中照片重复 / the same photo twice in one visit")
        photos.append((file, digest))
    return photos


def already_recorded(visit_id: int) -> str:
    """The rule a row breaks when its visit is stored already, naming that visit (the API's 409 says it too)."""
    return (f"该走访已录入（走访 {visit_id}，同一帮扶人、户、时间）/ this visit is already recorded (visit {visit_id}: "
            "same helper, household and time)")


def _refuse_repeats(checked: Checked) -> dict[int, int]:
    """The same visit twice — same helper, household and time — in the file or already stored; the rows
    refused as stored already → the stored visit's id."""
    rows = checked.rows
    keys = [(k, h, w) if k is not None and h is not None and w is not None else None
            for k, h, w in zip(checked.cadre, checked.household, checked.visited, strict=True)]
    seen = shared.first_rows(rows, keys, "visited_at",
                             lambda first: f"与第{first}行重复（同一帮扶人、户、时间）/ duplicates row {first}")
    recorded: dict[int, int] = {}
    if not seen:
        return recorded
    times = [w for _, _, w in seen]
    for part in rules.chunks(sorted({h for _, h, _ in seen})):
        stored = Visit.objects.filter(household_id__in=part, visited_at__gte=min(times), visited_at__lte=max(times))
        recorded.update(shared.refuse_stored(
            rows, seen, (((k, h, w), pk) for k, h, w, pk in stored.values_list("cadre_id", "household_id", "visited_at",
                                                                               "pk")),
            "visited_at", already_recorded))
    return recorded


def import_visits(path: str | Path, *, actor: str, ranges: rules.Ranges = None, user: object | None = None,
                  now: dt.datetime | None = None, check: bool = False, mode: str = "all",
                  channel: str = "file") -> shared.ImportOutcome:
    """Check a visits file and import its visits and photos: every row when every row is good (`mode`
    "all"), the good rows ("valid"), or none (`check`, or mode "check": audited, writes nothing else).

    Who may write where: `user` (their officer and work-team areas; as a helper, only the households they
    are paired with, and themselves as the visitor — `jingzhun.teams.scope`), or bare `ranges`; neither =
    the console operator, unrestricted. `channel`: how the visits came (VISIT_CHANNEL; the API's own)."""
    if channel not in VISIT_CHANNEL.codes:
        raise ValueError(f"unknown channel {channel!r}")
    importer = Visits(now or timezone.now(), channel)
    outcome = shared.run(importer, "visits", path, actor=actor, ranges=ranges, user=user, check=check, mode=mode)
    outcome.recorded = importer.recorded
    return outcome
