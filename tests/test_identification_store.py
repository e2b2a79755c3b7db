"""Where a run's results are kept (jingzhun.identification.store): whole or not at all, on both databases;
on PostgreSQL one partition per run, written in parallel streams, dropped with its run."""

from __future__ import annotations

import pytest
from django.db import connection

from jingzhun import db
from jingzhun.identification import store
from jingzhun.identification.models import HouseholdResult, IdentificationRun
from jingzhun.identification.run import evaluate, run
from jingzhun.registry.models import Household
from tests import test_identification_data as data


@pytest.fixture
def register(areas):
    data.hand_worked()
    data.make_random(60, seed=3)


def partitions() -> set[str]:
    """Tables named as result partitions, attached or not (the suite's flush between tests empties them
    but leaves them; `store.write` replaces a leftover of a run id it is handed again)."""
    with connection.cursor() as cur:
        cur.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE %s", [store.TABLE + "_r%"])
        return {name for (name,) in cur.fetchall()}


def attached(parent: str = store.TABLE) -> set[str]:
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s", [parent])
        return {name for (name,) in cur.fetchall()}


def rows(run_row: IdentificationRun) -> list[tuple]:
    return list(HouseholdResult.objects.filter(run=run_row).order_by("household_id").values_list(
        "household_id", "size", "net_income", "per_capita_income", "status", "guarantee_failures", "exclusions",
        "deprivations", "mpi_points", "reasons"))


@pytest.mark.parametrize("streams", ["one", "two"])
def test_results_land_whole_in_one_or_two_streams_and_match_the_evaluation(register, monkeypatch, streams):
    if streams == "two":
        monkeypatch.setattr(store, "PARALLEL_FROM", 1)
    expected = evaluate(data.policy())
    first = run(data.policy(), actor="a").run
    second = run(data.policy(), actor="b").run
    got = rows(second)
    assert len(got) == Household.objects.count() == expected.num_rows
    # The stored rows are the evaluation's, value for value (money compared to the fen).
    for stored, ids, size, status, per in zip(got, expected.column("household_id").to_pylist(),
                                              expected.column("size").to_pylist(), expected.column("status").to_pylist(),
                                              expected.column("per_capita_fen").to_pylist(), strict=True):
        assert stored[:2] == (ids, size) and stored[4] == status
        assert (stored[3] is None and per is None) or round(stored[3] * 100) == per
    assert rows(first) == got
    if connection.vendor == "postgresql":
        assert {store.partition(first.id), store.partition(second.id)} <= attached()
        # Two streams: the run's partition is split by household into the two halves loaded side by side.
        halves = {store.partition(second.id) + "_0", store.partition(second.id) + "_1"}
        assert attached(store.partition(second.id)) == (halves if streams == "two" else set())
    store.discard(first.id)
    assert not IdentificationRun.objects.filter(pk=first.id).exists() and rows(second) == got
    assert not HouseholdResult.objects.filter(run_id=first.id).exists()
    if connection.vendor == "postgresql":
        assert not [t for t in partitions() if t.startswith(store.partition(first.id) + "_") or t == store.partition(first.id)]
        assert store.partition(second.id) in attached()


@pytest.mark.parametrize("streams", ["one", "two"])
def test_a_failed_write_leaves_no_results_no_run_and_no_table(register, monkeypatch, streams):
    if streams == "two":
        monkeypatch.setattr(store, "PARALLEL_FROM", 1)
    kept = run(data.policy(), actor="a").run
    before = rows(kept)
    calls = []
    real = db.Loader.load

    def copy_then_fail(name, table, raw=None):
        calls.append(table.num_rows)
        db.copy_csv(name, table.slice(0, 3), raw)  # some rows really land first
        if len(calls) == 2 or streams == "one":
            raise OSError("disk full")

    def load_then_fail(self, name):
        real(self, name)
        raise OSError("disk full")

    monkeypatch.setattr(store, "copy_csv", copy_then_fail)
    monkeypatch.setattr(db.Loader, "load", load_then_fail)
    with pytest.raises(OSError, match="disk full"):
        run(data.policy(), actor="b")
    failed = kept.id + 1
    assert list(IdentificationRun.objects.values_list("id", flat=True)) == [kept.id]
    assert HouseholdResult.objects.count() == len(before) and rows(kept) == before
    if connection.vendor == "postgresql":
        assert store.partition(kept.id) in attached()
        assert not [t for t in partitions() if t == store.partition(failed) or t.startswith(store.partition(failed) + "_")]
        assert len(calls) == (2 if streams == "two" else 1)


def test_the_migration_keeps_earlier_results(register):
    """0002 rebuilds the table (a composite key cannot be added in place): earlier runs' rows survive it,
    both ways."""
    from django.db.migrations.executor import MigrationExecutor

    first, second = run(data.policy(), actor="a").run, run(data.policy(), actor="b").run
    before = {r.id: rows(r) for r in (first, second)}
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("identification")
    try:
        executor.migrate([("identification", "0001_initial")])
        with connection.cursor() as cur:
            cur.execute("SELECT run_id, COUNT(*) FROM identification_householdresult GROUP BY run_id ORDER BY run_id")
            assert cur.fetchall() == [(first.id, len(before[first.id])), (second.id, len(before[second.id]))]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    assert {r: rows(IdentificationRun.objects.get(pk=r)) for r in before} == before
    if connection.vendor == "postgresql":
        assert {store.partition(first.id), store.partition(second.id)} <= attached()


def test_latest_is_the_newest_finished_run_and_is_asked_by_key(register):
    import datetime as dt

    from django.db.models import F
    from django.test.utils import CaptureQueriesContext

    first, second = run(data.policy(), actor="a").run, run(data.policy(), actor="b").run
    hh = Household.objects.get(number="BELOW_LINE")
    assert store.latest(hh.pk).run_id == second.id
    IdentificationRun.objects.filter(pk=second.id).update(finished_at=None)  # as if still being written
    assert store.latest(hh.pk).run_id == first.id
    IdentificationRun.objects.filter(pk=first.id).update(started_at=F("started_at") - dt.timedelta(days=1))
    assert store.latest(hh.pk).run_id == first.id and store.latest(10**9) is None
    with CaptureQueriesContext(connection) as queries:
        store.latest(hh.pk)
    sql = queries.captured_queries[-1]["sql"]
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(row[-1]) for row in cur.fetchall())
            assert f"SCAN {store.TABLE}" not in plan and f"SEARCH {store.TABLE} USING" in plan, plan
        else:  # with scans priced out, the key must still answer it (tables this small would be scanned)
            cur.execute("SET enable_seqscan = off")
            cur.execute("EXPLAIN " + sql)
            plan = " ".join(row[0] for row in cur.fetchall())
            cur.execute("RESET enable_seqscan")
            assert "Seq Scan on identification_householdresult" not in plan, plan
