"""Conformance: the same policy on the same register gives the same per-household results on every
engine, and those results are the hand-worked answers and the plain-Python second implementation's.

Which engines run depends on the database the suite runs on (scripts/run_tests.py runs it twice):
SQLite → DuckDB (through the sqlite scanner), SQLite in place, Spark; PostgreSQL → PostgreSQL in place,
DuckDB (fed from PostgreSQL as Arrow). Spark is never skipped: without Java the Spark tests fail.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pyarrow as pa
import pytest
from django.db import connection

from jingzhun.identification import codes
from jingzhun.identification.compile import PolicyNotRunnable
from jingzhun.identification.engines import ENGINES
from jingzhun.identification.run import evaluate
from jingzhun.policy import load_policy
from jingzhun.policy.loading import DATA_DIR
from jingzhun.registry.models import Household
from tests import test_identification_data as data
from tests.factories import make_areas

ENGINES_BY_VENDOR = {"sqlite": ("duckdb", "sqlite", "spark"), "postgresql": ("duckdb", "postgres")}
VENDOR = connection.vendor
RUN_ENGINES = ENGINES_BY_VENDOR[VENDOR]
RANDOM_HOUSEHOLDS = 400

# Marked so pytest-django sets the test database up (it only does for marked tests); the tests only read.
pytestmark = pytest.mark.django_db


def test_every_engine_runs_in_one_of_the_two_suites():
    """No engine is left out: the two database runs together cover all four."""
    assert set().union(*ENGINES_BY_VENDOR.values()) == set(ENGINES)
    expected = os.environ.get("JINGZHUN_EXPECT_VENDOR")
    if expected is not None:
        assert expected == VENDOR


@pytest.fixture(scope="module")
def register(django_db_setup, django_db_blocker):
    """Hand-worked and random households, committed (in-place engines read through their own
    connections), removed after the module."""
    with django_db_blocker.unblock():
        data.delete_all()
        make_areas()
        cases = data.hand_worked()
        data.make_random(RANDOM_HOUSEHOLDS)
        policy = data.policy()
        expected = data.reference(policy)
        numbers = {v["number"]: k for k, v in expected.items()}
    yield policy, cases, expected, numbers
    with django_db_blocker.unblock():
        data.delete_all()


@pytest.fixture(scope="module")
def results(register):
    """Each engine's results, computed once per module (Spark starts once)."""
    policy = register[0]
    return {engine: evaluate(policy, engine=engine) for engine in RUN_ENGINES}


@pytest.mark.parametrize("engine", RUN_ENGINES)
def test_engine_gives_the_hand_worked_answers(engine, register, results):
    _, cases, _, numbers = register
    table = results[engine]
    rows = {r["household_id"]: r for r in table.to_pylist()}
    for number, want in cases.items():
        got = rows[numbers[number]]
        per = None if got["per_capita_income"] is None else Decimal(str(got["per_capita_income"])).quantize(Decimal("0.01"))
        assert (got["size"], per, got["status"], got["guarantee_failures"], got["exclusions"], got["deprivations"],
                got["mpi_points"] * 18 // 18, got["reasons"]) == (
            want.size, want.per_capita, want.status, want.guarantee_failures, want.exclusions, want.deprivations,
            want.mpi_points, want.reasons), f"{engine}: household {number}"


@pytest.mark.parametrize("engine", RUN_ENGINES)
def test_engine_agrees_with_the_second_implementation(engine, register, results):
    _, _, expected, _ = register
    table = results[engine]
    assert table.num_rows == len(expected) > RANDOM_HOUSEHOLDS
    # The test policy's weights are sixths and eighteenths: the engine's points are eighteenths.
    for row in table.to_pylist():
        want = expected[row["household_id"]]
        per = None if row["per_capita_income"] is None else Decimal(str(row["per_capita_income"])).quantize(Decimal("0.01"))
        got = {k: row[k] for k in ("size", "status", "guarantee_failures", "exclusions", "deprivations",
                                   "mpi_points", "reasons")}
        assert (got, per) == ({k: want[k] for k in got}, want["per_capita_floor"]), f"{engine}: {want['number']}"


def test_all_engines_give_identical_results(results):
    """Byte for byte: same rows, same order, same types, same values."""
    first, *others = RUN_ENGINES
    for engine in others:
        assert results[engine].schema == results[first].schema
        assert results[engine].equals(results[first]), f"{engine} differs from {first}"


def test_results_cover_every_status_and_reason(results):
    """The data exercise every branch, so agreement is not agreement on trivial cases."""
    table: pa.Table = results[RUN_ENGINES[0]]
    assert set(table.column("status").to_pylist()) == {codes.POOR, codes.MONITORED, codes.NOT_POOR}
    reasons = 0
    for r in table.column("reasons").to_pylist():
        reasons |= r
    assert reasons == 0xFF


@pytest.mark.parametrize("engine", RUN_ENGINES)
def test_area_scope_gives_the_same_rows_as_the_whole_run(engine, register, results):
    from jingzhun.areas.models import code_range
    from jingzhun.registry.models import Household

    scope = code_range(data.VILLAGE2, "village")
    scoped = evaluate(register[0], engine=engine, span=scope)
    ids = set(Household.objects.filter(village_id=data.VILLAGE2).values_list("id", flat=True))
    assert set(scoped.column("household_id").to_pylist()) == ids
    whole = results[engine].filter(pa.compute.is_in(results[engine].column("household_id"), pa.array(sorted(ids))))
    assert scoped.equals(whole)


@pytest.mark.parametrize("engine", RUN_ENGINES)
def test_policy_on_an_encrypted_field_is_refused_naming_the_key(engine, register, tmp_path):
    """Health is stored only encrypted, so no engine can test it in the database: refused, never guessed."""
    with pytest.raises(PolicyNotRunnable, match=r"mpi\.indicators\[3\]\.deprived_when\.field: health"):
        evaluate(load_policy(data.health_policy(tmp_path)), year=data.YEAR, engine=engine)


@pytest.mark.parametrize("engine", RUN_ENGINES)
def test_the_provincial_example_runs(engine, register):
    out = evaluate(load_policy(DATA_DIR / "example-jiangsu-2016.toml"), year=data.YEAR, engine=engine)
    assert out.num_rows == Household.objects.count() > 0
