"""Identification runs: results written in bulk and versioned, audited, rendered into words, aggregated
by area exactly as jingzhun.measures defines the measures; bad input rejected with nothing written."""

from __future__ import annotations

import io
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from jingzhun import measures
from jingzhun.audit.models import AuditEntry
from jingzhun.identification import aggregate, codes, engines
from jingzhun.identification.compile import PolicyNotRunnable, rules
from jingzhun.identification.models import HouseholdResult, IdentificationRun
from jingzhun.identification.run import RunError, data_fingerprint, policy_sha256, run
from jingzhun.policy import loads_policy
from jingzhun.registry.models import Household
from tests import test_identification_data as data
from tests.factories import COUNTY, OTHER_COUNTY, VILLAGE


def native() -> str:
    """The in-place engine of the database the suite runs on."""
    from django.db import connection

    return "sqlite" if connection.vendor == "sqlite" else "postgres"


@pytest.fixture
def register(areas):
    cases = data.hand_worked()
    data.make_random(60, seed=3)
    return cases


def by_number(run_row: IdentificationRun) -> dict[str, HouseholdResult]:
    numbers = dict(Household.objects.values_list("id", "number"))
    return {numbers[r.household_id]: r for r in run_row.results.select_related("run")}


def test_a_run_writes_every_household_with_its_reasons_and_is_audited(register):
    policy = data.policy()
    outcome = run(policy, actor="officer1")
    r = outcome.run
    assert r.finished_at is not None and r.engine == "duckdb" and r.actor == "officer1" and r.year == 2020
    assert r.households == Household.objects.count() == r.results.count()
    assert r.poor + r.monitored + r.not_poor == r.households
    assert r.poor == r.results.filter(status=codes.POOR).count()
    assert r.policy_sha256 == policy_sha256(policy) and r.mpi_denominator == 18
    got = by_number(r)
    assert got["BELOW_LINE"].per_capita_income == Decimal("3999.99")
    assert got["BELOW_LINE"].reason_texts() == [
        "人均纯收入 3,999.99 元，低于贫困线 4,000 元 / per-capita income 3,999.99 yuan is below the line of 4,000"]
    assert got["AT_LINE"].reason_texts() == [
        "人均纯收入 4,000 元，不低于贫困线 4,000 元但低于监测线 6,000 元 / per-capita income 4,000 yuan is at or above "
        "the line of 4,000 but below the monitoring line of 6,000"]
    assert got["ONE_DROPOUT"].reason_texts()[1] == "未达到：义务教育有保障 / compulsory schooling / not met: 义务教育有保障 / compulsory schooling"
    assert got["EXCLUDED"].status == codes.NOT_POOR
    assert got["EXCLUDED"].reason_texts()[-1] == (
        "比对排除：家庭成员名下有小汽车 / a member owns a car / excluded by the cross-department check: "
        "家庭成员名下有小汽车 / a member owns a car")
    assert got["MPI_AT_K"].mpi_score == Fraction(1, 3)
    assert "多维贫困得分 6/18，达到临界值 1/3" in got["MPI_AT_K"].reason_texts()[1]
    assert got["NO_INCOME"].per_capita_income is None
    assert got["NO_INCOME"].reason_texts()[0].startswith("缺少该年度收入记录")
    audit = AuditEntry.objects.get(action="identification.run")
    assert audit.actor == "officer1" and audit.object_id == str(r.id)
    assert audit.detail["households"] == r.households and audit.detail["policy_sha256"] == r.policy_sha256


def test_runs_are_versioned_and_earlier_runs_stay_readable(register):
    first = run(data.policy(), actor="a").run
    # The register changes: a household's income rises above the line, and the policy's line rises.
    hh = Household.objects.get(number="BELOW_LINE")
    hh.incomes.filter(year=2020).update(wage_income=Decimal("20000"))
    higher = loads_policy(data.POLICY_TOML.replace("poverty_line = 4000", "poverty_line = 4500"), file="higher.toml")
    second = run(higher, engine=native(), actor="b").run
    assert IdentificationRun.objects.count() == 2
    assert first.policy_sha256 != second.policy_sha256
    assert first.data_fingerprint != second.data_fingerprint
    old, new = by_number(first)["BELOW_LINE"], by_number(second)["BELOW_LINE"]
    assert (old.status, old.per_capita_income) == (codes.POOR, Decimal("3999.99"))
    assert (new.status, new.per_capita_income) == (codes.NOT_POOR, Decimal("6333.33"))
    # The first run still renders with its own policy (line 4,000), not the later one.
    assert "低于贫困线 4,000 元" in old.reason_texts()[0]
    assert "不低于贫困线 4,500 元" in new.reason_texts()[0]


def test_the_policy_digest_ignores_layout_but_not_rules():
    a = data.policy()
    b = loads_policy("# a comment\n" + data.POLICY_TOML.replace('k = "1/3"', "k = \"2/6\""), file="b.toml")
    c = loads_policy(data.POLICY_TOML.replace('k = "1/3"', 'k = "1/2"'), file="c.toml")
    assert policy_sha256(a) == policy_sha256(b) != policy_sha256(c)


def test_fingerprint_changes_with_the_data(register):
    before = data_fingerprint(2020, None)
    assert before[1]["households"] == Household.objects.count()
    data.make_household("NEW", income=dict(wage_income=1))
    assert data_fingerprint(2020, None)[0] != before[0]


def test_area_run_covers_only_the_area(register):
    from jingzhun.areas.models import code_range

    r = run(data.policy(), area=OTHER_COUNTY).run
    low, high = code_range(OTHER_COUNTY, "county")
    assert r.area_code == OTHER_COUNTY
    assert r.households == Household.objects.filter(village__code__range=(low, high)).count() == r.results.count() > 0


def _arrays(run_row: IdentificationRun, county: str | None):
    rows = run_row.results.all()
    if county:
        rows = rows.filter(household__village__code__startswith=county[:6])
    return list(rows.order_by("household_id").values_list("size", "per_capita_income", "mpi_points", "deprivations", "status"))


@pytest.mark.parametrize("engine", ["duckdb", "native"])
def test_aggregates_equal_the_measures_library(register, engine):
    r = run(data.policy(), engine=engine if engine == "duckdb" else native()).run
    policy = data.policy()
    weights = [ind.weight for ind in policy.mpi.indicators]
    got = {a.code: a for a in aggregate.by_area(r, "county")}
    assert set(got) == {COUNTY, OTHER_COUNTY}
    for county in (COUNTY, OTHER_COUNTY):
        rows = _arrays(r, county)
        a = got[county]
        persons = np.array([row[0] for row in rows], dtype=float)
        assert a.households == len(rows) and a.persons == persons.sum()
        # FGT over households with a per-capita income, weighted by their size.
        inc = [(float(row[1]), row[0]) for row in rows if row[1] is not None]
        y, pop = np.array([p for p, _ in inc]), np.array([s for _, s in inc], dtype=float)
        for alpha, value in ((0, a.P0), (1, a.P1), (2, a.P2)):
            assert value == pytest.approx(measures.fgt(y, 4000, alpha, population=pop), rel=1e-12, abs=1e-15)
        # Alkire–Foster from the deprivation bits, person-weighted.
        g = np.array([[row[3] >> j & 1 for j in range(len(weights))] for row in rows])
        af = measures.alkire_foster(g, weights, policy.mpi.k, population=persons)
        assert (pytest.approx(af.H, rel=1e-12), pytest.approx(af.A, rel=1e-12),
                                    pytest.approx(af.M0, rel=1e-12)) == (a.H, a.A, a.M0)
        assert af.poor.tolist() == [row[2] >= 6 for row in rows]
        poor_persons = sum(row[0] for row in rows if row[4] == codes.POOR)
        assert a.incidence == pytest.approx(poor_persons / persons.sum())


def test_cli_prints_counts_and_timing(register):
    out = io.StringIO()
    call_command("identify", "--policy", "national-2020", "--engine", "duckdb", "--actor", "cli-test", stdout=out)
    text = out.getvalue()
    r = IdentificationRun.objects.get()
    assert f"户数 / households {r.households:,}" in text
    assert f"贫困 / poor {r.poor:,}  监测 / monitored {r.monitored:,}  非贫困 / not poor {r.not_poor:,}" in text
    assert "用时 / time" in text and r.policy_name == "全国 2020 / national 2020"


@pytest.mark.parametrize("args, message", [
    (["--policy", "national-1999"], "--policy national-1999"),
    (["--policy", "national-2020", "--area", "999999999999"], "--area 999999999999"),
    (["--policy", "HEALTH"], "mpi.indicators[3].deprived_when.field: health"),
])
def test_cli_rejects_bad_input_and_writes_nothing(register, args, message, tmp_path):
    args = [str(data.health_policy(tmp_path)) if a == "HEALTH" else a for a in args]
    with pytest.raises(CommandError) as err:
        call_command("identify", *args, stdout=io.StringIO())
    assert message in str(err.value)
    assert IdentificationRun.objects.count() == 0 and HouseholdResult.objects.count() == 0
    assert not AuditEntry.objects.filter(action="identification.run").exists()


def test_an_in_place_engine_needs_its_own_database(register):
    from django.db import connection

    other = "postgres" if connection.vendor == "sqlite" else "sqlite"
    with pytest.raises(engines.EngineUnavailable, match="the register is not in"):
        run(data.policy(), engine=other)
    assert IdentificationRun.objects.count() == 0
    with pytest.raises(ValueError, match="engine: "):
        run(data.policy(), engine="oracle")


def test_unknown_area_is_named(register):
    with pytest.raises(RunError, match="--area 433130101299"):
        run(data.policy(), area="433130101299")


def test_a_check_on_an_encrypted_field_is_refused_with_its_key():
    bad = loads_policy(data.POLICY_TOML.replace(
        '{ field = "age", op = "ge", value = 65, members = "any" }',
        '{ field = "health", op = "eq", value = "serious", members = "any" }'), file="bad.toml")
    with pytest.raises(PolicyNotRunnable, match=r"mpi.indicators\[5\].deprived_when.field: health"):
        rules(bad)


def test_spark_without_java_fails_loudly(monkeypatch):
    """CI must fail, not skip, when Spark cannot run."""
    monkeypatch.setattr(engines, "_SPARK", None)
    monkeypatch.setattr(engines.shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    with pytest.raises(engines.EngineUnavailable, match="Spark needs Java"):
        engines.spark_session()


def test_reasons_render_numbers_as_officers_write_them():
    assert codes.yuan(Decimal("3512")) == "3,512" and codes.yuan(Decimal("3512.5")) == "3,512.50"
    assert VILLAGE  # the hand-made areas are the test register's


def test_aggregates_and_results_are_scoped_to_the_users_areas(register):
    from django.contrib.auth.models import User

    from jingzhun.areas.models import AreaRole
    from tests.factories import TOWNSHIP

    r = run(data.policy()).run
    everything = {a.code: a for a in aggregate.by_area(r, "county")}
    officer = User.objects.create_user("county_officer")
    AreaRole.objects.create(user=officer, area_id=OTHER_COUNTY, role="officer")
    AreaRole.objects.create(user=officer, area_id="433127102000", role="officer")  # inside the county: counted once
    assert aggregate.by_area_for(officer, r, "county") == [everything[OTHER_COUNTY]]
    visible = set(aggregate.results_for(officer, r).values_list("household__number", flat=True))
    assert visible == set(Household.objects.filter(village__code__startswith=OTHER_COUNTY[:6]).values_list("number", flat=True))
    # A helper has no dashboard: no aggregates.
    helper = User.objects.create_user("helper")
    AreaRole.objects.create(user=helper, area_id=TOWNSHIP, role="helper")
    assert aggregate.by_area_for(helper, r, "county") == []
    admin = User.objects.create_superuser("root")
    assert aggregate.by_area_for(admin, r, "county") == list(everything.values())


DERIVED_POLICY = """
name = "派生字段 / derived fields"
year = 2020
scope = "national"
poverty_line = 1

[income]
sources = ["wage_income"]
per_capita = true

[guarantees.food_clothing]
label = "至少两人 / at least two people"
require = [{ field = "household_size", op = "ge", value = 2 }]

[guarantees.housing]
label = "工资至少8000元 / wages of at least 8,000"
require = [{ field = "wage_income", op = "ge", value = 8000 }]
"""


@pytest.mark.parametrize("engine", ["duckdb", "native"])
def test_derived_and_income_fields_in_checks(register, engine):
    """household_size is the member count; an income field is read from the year's record in fen, and a
    household without one fails the check (a missing value satisfies nothing)."""
    from jingzhun.identification.run import evaluate

    policy = loads_policy(DERIVED_POLICY, file="derived.toml")
    results = evaluate(policy, engine=engine if engine == "duckdb" else native())
    numbers = dict(Household.objects.values_list("id", "number"))
    got = {numbers[row["household_id"]]: row["guarantee_failures"] for row in results.to_pylist()}
    assert {n: got[n] for n in ("AT_LINE", "BELOW_LINE", "AT_MONITORING", "NO_INCOME", "ONE_DROPOUT", "EXCLUDED")} == {
        "AT_LINE": 0, "BELOW_LINE": 0, "AT_MONITORING": 1 | 8, "NO_INCOME": 1 | 8, "ONE_DROPOUT": 0, "EXCLUDED": 1 | 8}
