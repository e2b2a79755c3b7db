"""The evaluation's three indicators in the assessment snapshots (错退率 exit_error_rate, 漏评率 missed_rate,
群众认可度 satisfaction): hand-worked on the tiny evaluation of tests/test_evaluation.py, "no data" (None, never 0)
before findings, while incomplete, for villages and townships and with no evaluation of the year; a changed
finding gives a new fingerprint and a new version while the old one stays readable.

The frame (tests/test_evaluation.py): county A (龙山县) has two villages, county B (永顺县) one, all certain; each
village has 8 exited and 6 never-registered households, 6 and 4 of them drawn, so every exited household weighs
8/6 and every never-registered one 6/4. County A: 12 exited + 8 others; B: 6 + 4. The city holds both counties.
"""

from __future__ import annotations

import pytest

from jingzhun.assessment import snapshots
from jingzhun.assessment.catalogue import BY_CODE
from jingzhun.evaluation import draw, findings
from tests.factories import CITY, COUNTY, OTHER_COUNTY, PROVINCE, TOWNSHIP, VILLAGE
from tests.test_evaluation import SIZES, findings_file, frame  # noqa: F401 (frame: the fixture)

pytestmark = pytest.mark.django_db(transaction=True)  # the engines read the committed database
CODES = ("exit_error_rate", "missed_rate", "satisfaction")
NONE = {code: None for code in CODES}


def native() -> str:
    from django.db import connection

    return "sqlite" if connection.vendor == "sqlite" else "postgres"


def rows_of(unit_type: str, version: int | None = None, year: int = 2020) -> dict[str, dict[str, tuple]]:
    out: dict[str, dict[str, tuple]] = {}
    for v in snapshots.values(unit_type, year, version=version, indicators=list(CODES)):
        out.setdefault(v.unit, {})[v.indicator] = (v.numerator, v.denominator, v.value)
    return out


def values(unit_type: str, unit: str, version: int | None = None, year: int = 2020) -> dict[str, float | None]:
    return {code: cell[2] for code, cell in rows_of(unit_type, version, year)[unit].items()}


def compute(year: int = 2020):
    return snapshots.compute(year, engine=native())


def numbers(ev, county: str, group: str) -> list[str]:
    return sorted(ev.households.filter(county=county, group=group).values_list("number", flat=True))


def record(ev, path, county: str, *, wrong: int, unsatisfied: int, others: bool = True) -> None:
    """The first `wrong` exited households wrongly exited; the first `unsatisfied` exited ones not satisfied; the
    never-registered all not missed and satisfied (left unrecorded when `others` is False)."""
    rows = [[n, "是", "是", "是" if i < wrong else "否", "", "否" if i < unsatisfied else "是"]
            for i, n in enumerate(numbers(ev, county, "exited"))]
    if others:
        rows += [[n, "是", "是", "", "否", "是"] for n in numbers(ev, county, "other")]
    outcome = findings.import_findings(ev, findings_file(path, rows), actor="t")
    assert outcome.ok and outcome.imported, outcome.problems


def assert_close(found: dict[str, float | None], expected: dict[str, float]) -> None:
    assert set(found) == set(expected)
    for code, value in expected.items():
        assert found[code] == pytest.approx(value, rel=1e-12, abs=1e-12), code


def test_declared_from_the_evaluation():
    for code in CODES:
        ind = BY_CODE[code]
        assert ind.available and ind.evaluation_rate and ind.formula is None and ind.needs == "evaluation"
    assert not BY_CODE["funds_disbursed_share"].available  # no fund module yet


def test_no_data_without_an_evaluation_and_before_findings(frame):  # noqa: F811
    compute()
    for unit_type, unit in (("county", COUNTY), ("city", CITY), ("province", PROVINCE)):
        assert values(unit_type, unit) == NONE  # no evaluation of the year: None, never 0
    draw.draw(name="a", year=2020, area_code=PROVINCE, seed=5, sizes=SIZES, user=None, actor="t")
    compute()
    for unit_type, unit in (("county", COUNTY), ("county", OTHER_COUNTY), ("city", CITY), ("province", PROVINCE)):
        assert rows_of(unit_type)[unit] == {code: (None, None, None) for code in CODES}  # drawn, nothing recorded


def test_hand_worked_county_values_and_incomplete_findings(frame):  # noqa: F811
    ev = draw.draw(name="a", year=2020, area_code=PROVINCE, seed=5, sizes=SIZES, user=None, actor="t")
    # County A's exited households only: its never-registered ones still have no finding — incomplete.
    record(ev, frame / "half.csv", COUNTY, wrong=1, unsatisfied=1, others=False)
    compute()
    assert values("county", COUNTY) == NONE
    record(ev, frame / "a.csv", COUNTY, wrong=1, unsatisfied=1)
    compute()
    # 1 of 12 exited wrongly exited (equal weights); none of 8 missed; satisfied: 11 exited (8/6 each) and 8
    # others (6/4 each) of 12·8/6 + 8·6/4 = 28: (44/3 + 12) / 28 = 20/21.
    assert_close(values("county", COUNTY), {"exit_error_rate": 1 / 12, "missed_rate": 0.0, "satisfaction": 20 / 21})
    a = rows_of("county")[COUNTY]
    assert [a[c][:2] for c in CODES] == [(None, 12.0), (None, 8.0), (None, 20.0)]  # denominators: recorded
    # County B has no findings; the city and the province (both counties) are incomplete; villages and
    # townships are not estimated.
    assert values("county", OTHER_COUNTY) == NONE
    assert values("city", CITY) == NONE and values("province", PROVINCE) == NONE
    assert values("village", VILLAGE) == NONE and values("township", TOWNSHIP) == NONE


def test_above_a_county_one_stratified_estimate_over_its_counties(frame):  # noqa: F811
    ev = draw.draw(name="a", year=2020, area_code=PROVINCE, seed=5, sizes=SIZES, user=None, actor="t")
    record(ev, frame / "a.csv", COUNTY, wrong=1, unsatisfied=1)
    record(ev, frame / "b.csv", OTHER_COUNTY, wrong=2, unsatisfied=1)
    compute()
    # B: 2 of 6 wrongly exited; satisfied (5·8/6 + 4·6/4) / (6·8/6 + 4·6/4) = (20/3 + 6) / 14 = 19/21.
    assert_close(values("county", OTHER_COUNTY), {"exit_error_rate": 2 / 6, "missed_rate": 0.0,
                                                  "satisfaction": 19 / 21})
    # The city and the province: (1 + 2) / 18 exited; 0 of 12 missed; satisfied (16·8/6 + 12·6/4) / (18·8/6 +
    # 12·6/4) = (64/3 + 18) / 42 = 59/63 — not the mean of the counties' rates (20/21 and 19/21).
    whole = {"exit_error_rate": 3 / 18, "missed_rate": 0.0, "satisfaction": 59 / 63}
    assert_close(values("city", CITY), whole)
    assert_close(values("province", PROVINCE), whole)
    # A newer evaluation of county A alone: A now reads it (no findings yet: no data); it does not speak for
    # the city or the province, which keep the province-wide evaluation; B is not in it and keeps the old one.
    draw.draw(name="b", year=2020, area_code=COUNTY, seed=7, sizes=SIZES, user=None, actor="t")
    compute()
    assert values("county", COUNTY) == NONE
    assert values("county", OTHER_COUNTY)["exit_error_rate"] == pytest.approx(2 / 6)
    assert_close(values("province", PROVINCE), whole)
    assert values("county", COUNTY, year=2020) == NONE
    compute(2021)
    assert values("county", OTHER_COUNTY, year=2021) == NONE  # an evaluation of 2020 says nothing of 2021


def test_a_changed_finding_makes_a_new_fingerprint_and_version(frame):  # noqa: F811
    ev = draw.draw(name="a", year=2020, area_code=PROVINCE, seed=5, sizes=SIZES, user=None, actor="t")
    record(ev, frame / "a.csv", COUNTY, wrong=1, unsatisfied=1)
    first = compute()
    same = compute()
    assert same.data_fingerprint == first.data_fingerprint  # nothing changed
    record(ev, frame / "a2.csv", COUNTY, wrong=2, unsatisfied=1)  # a second household found wrongly exited
    second = compute()
    assert second.data_fingerprint != first.data_fingerprint and second.version == first.version + 2
    assert values("county", COUNTY, second.version)["exit_error_rate"] == pytest.approx(2 / 12)
    assert values("county", COUNTY, first.version)["exit_error_rate"] == pytest.approx(1 / 12)  # still readable
