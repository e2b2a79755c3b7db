"""Keep the dashboard's roll-ups (`AreaStat`, `AreaYearStat`) in step with the register, in SQL.

Village rows are aggregated from the register; every higher level is aggregated from the village rows
by code prefix (a township's code is its village codes' first 9 digits padded with zeros, and so on), so
a full refresh reads the register once. A partial refresh recomputes a few villages and their ancestors.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction

from jingzhun.areas.models import LEVEL_DIGITS

HIGHER = [(level, digits) for level, digits in LEVEL_DIGITS.items() if level != "village"]
PARTIAL_LIMIT = 500  # beyond this many villages a full refresh is as quick and simpler

VILLAGE_STATS = """
INSERT INTO web_areastat (area_code, level, status, cause, households, people, with_helper)
SELECT h.village_id, 'village', h.status, h.primary_cause, COUNT(*), COALESCE(SUM(m.n), 0),
       SUM(CASE WHEN p.household_id IS NULL THEN 0 ELSE 1 END)
FROM registry_household h
LEFT JOIN (SELECT household_id, COUNT(*) AS n FROM registry_member GROUP BY household_id) m ON m.household_id = h.id
LEFT JOIN teams_helperpair p ON p.household_id = h.id AND p.end_date IS NULL
{where}
GROUP BY h.village_id, h.status, h.primary_cause
"""
VILLAGE_YEARS = """
INSERT INTO web_areayearstat (area_code, level, year, population, identified, exited)
SELECT v, 'village', y, SUM(pop), SUM(idf), SUM(ex) FROM (
    SELECT village_id AS v, year AS y, population AS pop, 0 AS idf, 0 AS ex FROM areas_villagerecord
    UNION ALL SELECT village_id, identified_year, 0, 1, 0 FROM registry_household WHERE identified_year IS NOT NULL
    UNION ALL SELECT village_id, exit_year, 0, 0, 1 FROM registry_household WHERE exit_year IS NOT NULL
) t {where}
GROUP BY v, y
"""
ROLL_STATS = """
INSERT INTO web_areastat (area_code, level, status, cause, households, people, with_helper)
SELECT {code}, %s, status, cause, SUM(households), SUM(people), SUM(with_helper)
FROM web_areastat WHERE level = 'village' {where}
GROUP BY {code}, status, cause
"""
ROLL_YEARS = """
INSERT INTO web_areayearstat (area_code, level, year, population, identified, exited)
SELECT {code}, %s, year, SUM(population), SUM(identified), SUM(exited)
FROM web_areayearstat WHERE level = 'village' {where}
GROUP BY {code}, year
"""


def _prefix_code(column: str, digits: int) -> str:
    return f"SUBSTR({column}, 1, {digits}) || '{'0' * (12 - digits)}'"


def refresh(villages: Iterable[str] | None = None) -> None:
    """Rebuild the roll-ups: all of them, or only for these village codes and their ancestors."""
    codes = sorted(set(villages)) if villages is not None else None
    if codes is not None and (not codes or len(codes) > PARTIAL_LIMIT):
        codes = None if codes else []
    if codes == []:
        return
    with transaction.atomic(), connection.cursor() as cur:
        if codes is None:
            cur.execute("DELETE FROM web_areastat")
            cur.execute("DELETE FROM web_areayearstat")
            cur.execute(VILLAGE_STATS.format(where=""))
            cur.execute(VILLAGE_YEARS.format(where=""))
            for level, digits in HIGHER:
                code = _prefix_code("area_code", digits)
                cur.execute(ROLL_STATS.format(code=code, where=""), [level])
                cur.execute(ROLL_YEARS.format(code=code, where=""), [level])
            return
        marks = ", ".join(["%s"] * len(codes))
        affected = set(codes)
        for _, digits in HIGHER:
            affected |= {c[:digits].ljust(12, "0") for c in codes}
        affected_marks = ", ".join(["%s"] * len(affected))
        for table in ("web_areastat", "web_areayearstat"):
            cur.execute(f"DELETE FROM {table} WHERE area_code IN ({affected_marks})", sorted(affected))
        cur.execute(VILLAGE_STATS.format(where=f"WHERE h.village_id IN ({marks})"), codes)
        cur.execute(VILLAGE_YEARS.format(where=f"WHERE v IN ({marks})"), codes)
        for level, digits in HIGHER:
            prefixes = sorted({c[:digits] for c in codes})
            pmarks = ", ".join(["%s"] * len(prefixes))
            code = _prefix_code("area_code", digits)
            where = f"AND SUBSTR(area_code, 1, {digits}) IN ({pmarks})"
            cur.execute(ROLL_STATS.format(code=code, where=where), [level, *prefixes])
            cur.execute(ROLL_YEARS.format(code=code, where=where), [level, *prefixes])
