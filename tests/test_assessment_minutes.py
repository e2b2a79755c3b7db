"""The helpers with two visits in one clock minute (`exprs.same_minute_helpers`): its three ways — text
minutes, epoch minutes, each visit against the one before — give the hand-listed answer on DuckDB and SQLite."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from jingzhun.assessment import exprs

T = dt.datetime
VISITS = [  # (helper, household, time as naive UTC); the helpers expected are listed in WANTED
    (1, 10, T(2020, 3, 1, 2, 0, 59)), (1, 11, T(2020, 3, 1, 2, 1, 0)),  # a second apart, two minutes: no
    (2, 20, T(2020, 3, 1, 2, 0, 1)), (2, 21, T(2020, 3, 1, 2, 0, 59)),  # first and last second of one minute
    (3, 30, T(2020, 3, 1, 2, 0, 30)), (3, 30, T(2020, 3, 1, 2, 0, 30)),  # twice at one household: a candidate
    # out of order in the table, the minute's two visits not neighbours there: found through time order
    (4, 40, T(2020, 3, 1, 2, 0, 10)), (4, 41, T(2020, 3, 1, 2, 5, 0)), (4, 42, T(2020, 3, 1, 2, 0, 50)),
    (5, 50, T(2020, 3, 1, 2, 0, 10)), (5, 51, T(2021, 3, 1, 2, 0, 10)),  # the same clock time a year apart: no
    (6, 60, T(2020, 3, 1, 2, 0, 10)), (7, 70, T(2020, 3, 1, 2, 0, 20)),  # one visit each, in one minute: no
]
WANTED = {2, 3, 4}


def _table() -> ibis.Table:
    return ibis.memtable({"cadre_id": [v[0] for v in VISITS], "household_id": [v[1] for v in VISITS],
                          "visited_at": [v[2] for v in VISITS]})


@pytest.mark.parametrize("by", ["text", "epoch", "order"])
@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_every_way_finds_the_helpers_with_two_visits_in_one_minute(backend, by):
    con = ibis.duckdb.connect() if backend == "duckdb" else ibis.sqlite.connect()
    try:
        found = con.to_pyarrow(exprs.same_minute_helpers(_table(), by=by)).column("cadre").to_pylist()
    finally:
        con.disconnect()
    assert sorted(found) == sorted(WANTED)
