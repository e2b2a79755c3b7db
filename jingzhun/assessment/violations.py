"""Confirmed violations counted from the records: what the schemes' deductions and the accountability flags read.

A supervision alert is computed, not stored; an officer who checks one records what was found (AlertNote,
jingzhun.teams.alert_view). A handled alert of a fabrication kind is a confirmed fabricated visit. Counted per
kind (None = the records to count it do not exist yet: shown "no data", never 0):

- ``fabricated_visits``: handled alerts of the kinds same_minute, same_coordinates, copied_notes and
  bulk_late_entry, handled in the year (Beijing time). An area: those in its subtree; a work team: those in its
  village; a cadre: the same-minute alerts naming them (帮扶人编号 N) — the other kinds name a place, a note
  or the person who typed the visits in, not the helper.
- ``supervision_finding``: every handled alert of any kind in an area's subtree in the year (county scheme).
- ``residence_below_rule``: the member-months below the 20-day residence rule in the year — the denominator
  minus the numerator of the snapshot's ``residence_days_met`` (areas and work teams; a cadre has none).
- ``wrong_identification`` / ``wrong_exit`` (flags only) and any other kind a scheme declares (e.g.
  fabricated_figures, funds_misuse): None until the third-party evaluation and fund findings are wired in.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from jingzhun.assessment.catalogue import AREA_LEVELS

FABRICATION_KINDS = ("same_minute", "same_coordinates", "copied_notes", "bulk_late_entry")
COUNTED = ("fabricated_visits", "supervision_finding", "residence_below_rule")
NO_DATA_YET = ("wrong_identification", "wrong_exit")
FLAG_KINDS = ("fabricated_visits", "residence_below_rule", *NO_DATA_YET)
LABELS = {
    "fabricated_visits": ("虚假走访（已查实）", "fabricated visits (confirmed)"),
    "supervision_finding": ("督查发现问题（已处理）", "problems found by supervision (handled)"),
    "residence_below_rule": ("驻村天数不足的队员·月", "member-months below the residence rule"),
    "wrong_identification": ("错评户", "households wrongly identified"),
    "wrong_exit": ("错退户", "households wrongly exited"),
}
BILINGUAL = {k: f"{zh} / {en}" for k, (zh, en) in LABELS.items()}
ZONE = zoneinfo.ZoneInfo("Asia/Shanghai")
HELPER_SUBJECT = "帮扶人编号 "


def _year_span(year: int) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime(year, 1, 1, tzinfo=ZONE), dt.datetime(year + 1, 1, 1, tzinfo=ZONE)


def handled_notes(year: int, low: str = "000000000000", high: str = "999999999999") -> list[tuple[str, str, str, int]]:
    """(area, kind, subject, id) of the alerts handled in the year in the code range — few rows: each is a person's
    check of an alert."""
    from jingzhun.teams.models import AlertNote

    start, end = _year_span(year)
    return list(AlertNote.objects.filter(handled_at__gte=start, handled_at__lt=end, area__gte=low, area__lte=high)
                .order_by("area", "id").values_list("area", "kind", "subject", "id"))


def _inside(area: str, unit_type: str, key: str) -> bool:
    from jingzhun.areas.models import LEVEL_DIGITS

    digits = LEVEL_DIGITS[unit_type]
    return area[:digits] == key[:digits]


def _note_counts(unit_type: str, key: str, area: str, notes: list[tuple[str, str, str, int]]) -> dict[str, int]:
    fabricated = [n for n in notes if n[1] in FABRICATION_KINDS]
    if unit_type in AREA_LEVELS:
        return {"fabricated_visits": sum(_inside(n[0], unit_type, key) for n in fabricated),
                "supervision_finding": sum(_inside(n[0], unit_type, key) for n in notes)}
    if unit_type == "work_team":
        return {"fabricated_visits": sum(n[0] == area for n in fabricated)}
    return {"fabricated_visits": sum(n[1] == "same_minute" and n[2] == f"{HELPER_SUBJECT}{key}" for n in fabricated)}


def counts(unit_type: str, year: int, units: Mapping[str, str], residence: Mapping[str, tuple[Any, Any]]
           ) -> dict[str, dict[str, int | None]]:
    """{unit: {kind: count or None}} for the units ({key: area}); `residence` is each unit's (numerator,
    denominator) of residence_days_met from the snapshot."""
    notes = handled_notes(year)
    out: dict[str, dict[str, int | None]] = {}
    for key, area in units.items():
        found: dict[str, int | None] = {k: None for k in (*COUNTED, *NO_DATA_YET)}
        found.update(_note_counts(unit_type, key, area, notes))
        num, den = residence.get(key, (None, None))
        if den is not None and unit_type != "cadre":
            found["residence_below_rule"] = int(round(float(den) - float(num or 0)))
        out[key] = found
    return out


def for_scheme(found: Mapping[str, Mapping[str, int | None]], kinds: Iterable[str]) -> dict[str, dict[str, int]]:
    """The counts `score` takes: only the scheme's kinds, and only those with a count (None deducts nothing)."""
    wanted = list(kinds)
    return {unit: {k: int(n) for k in wanted if (n := c.get(k)) is not None} for unit, c in found.items()}
