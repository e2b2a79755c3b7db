"""The demo's lapses (`jingzhun.demo.synth_work`): how often each work team's village fell short in the finished
year, so the assessment grades teams apart. Pure functions; counts worked by hand."""

from __future__ import annotations

import datetime as dt

from jingzhun.demo import synth_work as sw

VILLAGES = [f"4302252012{n:02d}" for n in range(1, 13)]


def test_one_team_in_six_keeps_every_rule_and_one_in_six_slips_often():
    table = sw.lapse_table(2014, VILLAGES)
    assert sorted(table) == VILLAGES and table == sw.lapse_table(2014, reversed(VILLAGES))  # order-free
    keeps = [v for v, lapse in table.items() if lapse == sw.Lapses(0.0, 0.0)]
    often = [v for v, lapse in table.items() if lapse.short_months >= 0.06 and lapse.plans >= 0.15]
    assert len(keeps) == 2 and len(often) == 2  # 12 // 6 each
    assert all(0 <= lapse.short_months <= 0.04 and 0.05 <= lapse.plans <= 0.15
               for v, lapse in table.items() if v not in keeps + often)
    assert len(sw.lapse_table(2014, VILLAGES[:2])) == 2  # two teams: one keeps, one slips often
    assert {lapse == sw.Lapses(0.0, 0.0) for lapse in sw.lapse_table(2014, VILLAGES[:2]).values()} == {True, False}


def test_short_months_are_the_villages_share_of_its_whole_member_months():
    # Two members of one village from 1 January, one from 1 March; months January–October: 10 + 10 + 8 = 28
    # member-months; a share of 0.1 → round(2.8) = 3 short ones, none before a member's start.
    members = [(1, "V1", dt.date(2025, 1, 1)), (2, "V1", dt.date(2025, 1, 1)), (3, "V1", dt.date(2025, 3, 1)),
               (4, "V2", dt.date(2025, 1, 1))]
    lapses = {"V1": sw.Lapses(0.1, 0.0), "V2": sw.Lapses(0.0, 0.0)}
    shorts = sw.short_months(members, dt.date(2025, 1, 1), dt.date(2025, 11, 1), lapses, seed=7)
    assert len(shorts) == 3 and all(cadre in (1, 2, 3) for cadre, _ in shorts)
    assert all(month >= dt.date(2025, 3, 1) for cadre, month in shorts if cadre == 3)
    assert shorts == sw.short_months(members, dt.date(2025, 1, 1), dt.date(2025, 11, 1), lapses, seed=7)


def test_a_village_that_slips_at_all_leaves_at_least_one_plan_unapproved():
    lapses = {"V1": sw.Lapses(0.0, 0.01), "V2": sw.Lapses(0.0, 0.0), "V3": sw.Lapses(0.0, 0.25)}
    households = {"V1": ["a", "b", "c"], "V2": ["d", "e"], "V3": [f"h{i}" for i in range(8)], "V4": ["x"]}
    out = sw.unapproved_plans(3, households, lapses)
    assert len(out & {"a", "b", "c"}) == 1  # round(0.03) = 0, at least one
    assert not out & {"d", "e", "x"}  # keeps every rule; no team
    assert len(out & set(households["V3"])) == 2  # round(8 × 0.25)


def test_attendance_below_the_rule_in_exactly_the_short_months():
    members = [(1, "V1", dt.date(2024, 1, 1)), (2, "V1", dt.date(2024, 1, 1))]
    today = dt.date(2025, 12, 7)
    lapses = {"V1": sw.Lapses(0.25, 0.0)}
    rows = sw.attendance(members, seed=5, today=today, since=dt.date(2024, 1, 1), lapses=lapses)
    days: dict[tuple[int, str], int] = {}
    for cadre, _village, day, _how in rows:
        days[(int(cadre), day[:7])] = days.get((int(cadre), day[:7]), 0) + 1
    short = {(c, m.isoformat()[:7]) for c, m in sw.short_months(members, dt.date(2024, 1, 1), dt.date(2025, 11, 1),
                                                                  lapses, seed=5)}
    # January 2024 – October 2025: 22 months × 2 members = 44; a quarter → 11 short, each 12–19 days.
    assert len(short) == 11
    for key, n in days.items():
        if key[1] < "2025-11":
            assert (n < 20) == (key in short), key
