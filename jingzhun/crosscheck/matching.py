"""Blind indexes against the register, and the hits they raise: shared by a list's import and `rematch`.

Plain SQL over the unique blind-index index, a few thousand keys per statement (the ORM would spend more
time compiling the IN list than the database spends answering it), and one executemany for the hits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from jingzhun.tabular import rules

MATCH_CHUNK = 5000  # blind indexes per IN (...) lookup: well under every backend's parameter limit


@dataclass(frozen=True)
class Member:
    household: int
    position: int
    village: str


@dataclass
class Matches:
    """The register members the indexes name, in the scope; and the indexes of members elsewhere."""

    found: dict[bytes, Member] = field(default_factory=dict)
    elsewhere: set[bytes] = field(default_factory=set)


def match(indexes: Sequence[bytes], scope: rules.Scope) -> Matches:
    """Blind index → the register member holding it, for the members whose household is now in `scope`;
    the indexes of members whose household is elsewhere are only collected (counted by the caller)."""
    out = Matches()
    unique = list(dict.fromkeys(indexes))
    with connection.cursor() as cur:
        for chunk in rules.chunks(unique, MATCH_CHUNK):
            cur.execute("SELECT m.resident_id_index, m.household_id, m.position, h.village_id FROM registry_member m "
                        "JOIN registry_household h ON h.id = m.household_id "
                        f"WHERE m.resident_id_index IN ({', '.join(['%s'] * len(chunk))})", list(chunk))
            for index, household, position, village in cur.fetchall():
                if scope.covers(village):
                    out.found[bytes(index)] = Member(household, position, village)
                else:
                    out.elsewhere.add(bytes(index))
    return out


def insert_hits(list_id: int, rule: str, rows: Sequence[tuple[int, int, int, dict[str, Any]]]) -> None:
    """(household, position, source row, evidence) rows into the hit table, one executemany."""
    now = timezone.now()
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    sql = ("INSERT INTO crosscheck_crosscheckhit (household_id, member_position, rule, source_list_id, source_row, "
           "evidence, status, reason, decided_by, decided_at, created_at) "
           f"VALUES (%s, %s, %s, %s, %s, {json_param}, 'pending', '', '', NULL, %s)")
    params = [(household, position, rule, list_id, source_row, json.dumps(evidence, ensure_ascii=False), now)
              for household, position, source_row, evidence in rows]
    with connection.cursor() as cur:
        for part in rules.chunks(params, 10_000):
            cur.executemany(sql, part)
