"""Officers' screening (干部排查) in bulk: every household of the areas against the policy's triggers, in SQL,
and the cases it opens — one statement per step, never a row at a time through the ORM.

For each province in the user's areas (its rules: `jingzhun.monitoring.policy`), households with an income
record of the year, neither removed nor in poverty now (poor households are helped as poor, not monitored),
are found by:

- `income` and `rigid`: per-capita net income under the monitoring line, and rigid expenses above the policy's
  share of net income — `jingzhun.monitoring.triggers`, the one definition, compiled to this database's SQL (the
  same expression runs in bulk on the identification engines: `triggers.check`);
- `signal_<list kind>`: a department's list (`jingzhun.crosscheck`, the monitoring kinds) imported in the year
  that named a member, unless an officer dismissed the hit.

A household found with no case in progress gets one (source: screening, or signal when only signals found it);
each finding becomes a `Trigger` of the household's case unless the case has it for the year already. So a
household found twice — by two triggers, two runs, a list and its own report — is one case.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from jingzhun import access, choices
from jingzhun.audit import log as audit
from jingzhun.monitoring import calendar, policy, triggers
from jingzhun.monitoring.kinds import OPEN_STATES, SIGNAL

EXCLUDED = (choices.REMOVED, *choices.POOR_NOW)
Span = tuple[str, str]


@dataclass
class Result:
    year: int
    found: Counter[str] = field(default_factory=Counter)  # trigger code → households found
    households: int = 0
    new_cases: int = 0
    new_triggers: int = 0
    uncovered_years: list[int] = field(default_factory=list)  # the holiday calendar lacks them


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)  # fixed codes of this module, never user input


def _spans(user: object | None, area: str | None) -> list[Span] | None:
    spans = None if user is None else access.ranges(user, ability="screen")
    if area:
        from jingzhun.areas.models import Area

        found = Area.objects.filter(code=area).only("code", "level").first()
        if found is None:
            raise ValueError(f"区划代码 {area} 不存在 / no area {area}")
        low, high = found.code_range
        spans = [(low, high)] if spans is None else [(max(lo, low), min(hi, high)) for lo, hi in spans
                                                      if max(lo, low) <= min(hi, high)]
    return spans


def _provinces(spans: list[Span] | None) -> list[tuple[str, list[Span]]]:
    """(province code, the spans within it) for every province with villages in the spans."""
    with connection.cursor() as cur:
        cur.execute("SELECT DISTINCT substr(code, 1, 2) FROM areas_area WHERE level = 'village'")
        codes = sorted(r[0] for r in cur.fetchall())
    out = []
    for p in codes:
        low, high = p + "0" * 10, p + "9" * 10
        within = [(low, high)] if spans is None else [(max(lo, low), min(hi, high)) for lo, hi in spans
                                                       if max(lo, low) <= min(hi, high)]
        if within:
            out.append((p, within))
    return out


def screen(year: int, *, today: dt.date, actor: str, user: object | None = None, area: str | None = None) -> Result:
    """Screen the user's areas (the "screen" ability; every area for the console operator, `user` None), or
    the subtree `area` within them, for `year`; all in one transaction with one audit row."""
    spans = _spans(user, area)
    if spans is not None and not spans:
        raise PermissionError("您没有排查的权限 / you hold no role that screens households")
    result = Result(year)
    cal = calendar.official()
    result.uncovered_years = sorted({y for y in (today.year, today.year + 1) if not cal.covers(y)})
    villages: set[str] = set()
    with transaction.atomic(), connection.cursor() as cur:
        for province, within in _provinces(spans):
            rules = policy.rules(province + "0" * 10, year)
            _found(cur, year, rules, within)
            cur.execute("SELECT code, COUNT(DISTINCT hid) FROM monitoring_found GROUP BY code")
            result.found.update(dict(cur.fetchall()))
            cur.execute("SELECT COUNT(DISTINCT hid) FROM monitoring_found")
            result.households += cur.fetchone()[0]
            cur.execute("SELECT DISTINCT village FROM monitoring_found")
            villages |= {r[0] for r in cur.fetchall()}
            check_due, decide_due = cal.add(today, rules.check_days), cal.add(today, rules.decide_days)
            new, triggers = _write(cur, year, today, check_due, decide_due, actor)
            result.new_cases += new
            result.new_triggers += triggers
        cur.execute("DROP TABLE IF EXISTS monitoring_found")
        audit.record(actor, "monitoring.screen", object_type="monitoring_screening", object_id=str(year),
                     areas=villages, year=year, on=today.isoformat(), found=dict(result.found),
                     households=result.households, new_cases=result.new_cases, new_triggers=result.new_triggers,
                     scope=None if spans is None else [list(s) for s in spans])
    return result


def _found(cur: Any, year: int, rules: policy.Rules, spans: list[Span]) -> None:
    """Fill the temporary table `monitoring_found` (household, village, status, trigger, figures, hit)."""
    cur.execute("DROP TABLE IF EXISTS monitoring_found")
    cur.execute("CREATE TEMPORARY TABLE monitoring_found (hid BIGINT, village VARCHAR(12), status VARCHAR(12), "
                "code VARCHAR(24), value_fen BIGINT, threshold_fen BIGINT, hit_id BIGINT)")
    where = " OR ".join(["h.village_id BETWEEN %s AND %s"] * len(spans))
    params = [v for s in spans for v in s]
    # The income and rigid triggers: the one definition (`triggers.expression`), compiled to this database's SQL
    # and run here, inside the screening's transaction. Its literals are the policy's numbers and the spans'
    # area codes (digits), never user input; nothing is passed as a parameter, so its text is taken as it is.
    cur.execute("DROP TABLE IF EXISTS monitoring_hit")
    cur.execute(f"CREATE TEMPORARY TABLE monitoring_hit AS {triggers.sql(rules, year, connection.vendor, spans)}")
    cur.execute("""INSERT INTO monitoring_found SELECT hid, village, status, 'income', income_value, income_threshold,
        NULL FROM monitoring_hit WHERE income_hit""")
    cur.execute("""INSERT INTO monitoring_found SELECT hid, village, status, 'rigid', rigid, rigid_threshold, NULL
        FROM monitoring_hit WHERE rigid_hit""")
    cur.execute("DROP TABLE monitoring_hit")
    start = timezone.make_aware(dt.datetime(year, 1, 1))
    end = timezone.make_aware(dt.datetime(year + 1, 1, 1))
    cur.execute(f"""INSERT INTO monitoring_found
        SELECT h.id, h.village_id, h.status, 'signal_' || x.rule, NULL, NULL, MIN(x.id)
        FROM crosscheck_crosscheckhit x
        JOIN crosscheck_crosschecklist l ON l.id = x.source_list_id
        JOIN registry_household h ON h.id = x.household_id
        WHERE x.rule IN ({_in(tuple(SIGNAL.codes))}) AND x.status <> 'dismissed'
          AND l.imported_at >= %s AND l.imported_at < %s AND ({where}) AND h.status NOT IN ({_in(EXCLUDED)})
        GROUP BY h.id, h.village_id, h.status, x.rule""", [start, end, *params])


def _write(cur: Any, year: int, today: dt.date, check_due: dt.date, decide_due: dt.date,
           actor: str) -> tuple[int, int]:
    """Open a case for every found household without one in progress, then add the new triggers."""
    open_states = _in(OPEN_STATES)
    cur.execute("SELECT COALESCE(MAX(id), 0) FROM monitoring_case")
    before = cur.fetchone()[0]
    cur.execute(f"""INSERT INTO monitoring_case (household_id, village_id, year, source, kind, state, opened_on,
            check_due, decide_due, status_before, created_by)
        SELECT hid, village, %s,
               CASE WHEN MIN(CASE WHEN substr(code, 1, 7) = 'signal_' THEN 1 ELSE 0 END) = 1 THEN 'signal'
                    ELSE 'screening' END,
               CASE WHEN status IN ('{choices.EXITED}', '{choices.MONITORED}') THEN 'unstable'
                    WHEN MAX(CASE WHEN code <> 'income' THEN 1 ELSE 0 END) = 1 THEN 'sudden' ELSE 'edge' END,
               'open', %s, %s, %s, '', %s
        FROM monitoring_found f
        WHERE NOT EXISTS (SELECT 1 FROM monitoring_case c WHERE c.household_id = f.hid AND c.state IN ({open_states}))
        GROUP BY hid, village, status ORDER BY hid""", [year, today, check_due, decide_due, actor])
    new = cur.rowcount
    cur.execute("""INSERT INTO monitoring_casestep (case_id, action, from_state, to_state, actor, at, "on", reason,
            detail)
        SELECT id, 'open', '', 'open', %s, %s, %s, '', '{}' FROM monitoring_case WHERE id > %s""",
                [actor, timezone.now(), today, before])
    cur.execute(f"""INSERT INTO monitoring_trigger (case_id, code, source, year, found_on, value_fen, threshold_fen,
            hit_id, detail)
        SELECT c.id, f.code, CASE WHEN substr(f.code, 1, 7) = 'signal_' THEN 'signal' ELSE 'screening' END, %s, %s,
               f.value_fen, f.threshold_fen, f.hit_id, '{{}}'
        FROM monitoring_found f JOIN monitoring_case c ON c.household_id = f.hid AND c.state IN ({open_states})
        WHERE NOT EXISTS (SELECT 1 FROM monitoring_trigger t WHERE t.case_id = c.id AND t.code = f.code
                          AND t.year = %s)""", [year, today, year])
    return new, cur.rowcount


def per_capita_fen(household_id: int, since: int) -> dict[int, int | None]:
    """The household's per-capita net income in fen, by year from `since` (risk elimination's test): the
    triggers' one definition (`triggers.per_capita_by_year`) compiled to this database's SQL; None for a year
    whose household has no members."""
    with connection.cursor() as cur:
        cur.execute(triggers.per_capita_sql(household_id, since, connection.vendor))
        return {int(year): None if fen is None else int(fen) for year, fen in cur.fetchall()}
