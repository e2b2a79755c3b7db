"""Identification runs in the web: the run's figures by area within the user's scope, and the household
page's verdict with its reasons. The cast (tests/web_cast.py) has the same income on every household:
6,000 + 3,000.50 − 800 + 0 + 1,200 = 9,400.50 yuan; the 2019 national line is 3,218 yuan per person."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from jingzhun.identification.run import run
from jingzhun.policy.loading import national
from tests.factories import COUNTY, OTHER_COUNTY
from tests.web_cast import page

pytestmark = pytest.mark.django_db


@pytest.fixture
def web(committed_web):
    """The engine reads the register through a connection of its own: the cast must be committed."""
    return committed_web


@pytest.fixture
def identified(web):
    # The database's own engine, in place (the conformance suite proves every engine gives the same rows).
    engine = "postgres" if connection.vendor == "postgresql" else "sqlite"
    return run(national(2019), year=2019, engine=engine, actor="test").run


def test_run_page_shows_only_the_users_counties(web, identified):
    response = web.client("officer_a").get(reverse("web:identification_run", args=[identified.pk]) + "?level=county")
    assert response.status_code == 200
    rows = {r.code: r for r, _name in response.context["rows"]}
    assert set(rows) == {COUNTY}
    # 龙山县: A101-1 (4 people: 2,350.12 a head) and A101-2 (3: 3,133.50) are below 3,218; A101-3 (1) and
    # A102-1 (2: 4,700.25) are not.
    assert (rows[COUNTY].households, rows[COUNTY].persons) == (4, 10)
    rows = {r.code for r, _n in web.client("root").get(
        reverse("web:identification_run", args=[identified.pk]) + "?level=county").context["rows"]}
    assert rows == {COUNTY, OTHER_COUNTY}
    assert "A101" not in page(web.client("officer_b"), reverse("web:identification_run", args=[identified.pk]))


def test_household_page_gives_the_verdict_and_its_reasons(web, identified):
    html = page(web.client("officer_a"), reverse("web:household", args=["A101-1"]))
    # 9,400.50 ÷ 4 = 2,350.125, shown rounded down to the fen (docs/identification.md).
    assert "人均纯收入 2,350.12 元，低于贫困线 3,218 元" in html
    html = page(web.client("officer_a"), reverse("web:household", args=["A101-3"]))
    assert "人均纯收入 9,400.50 元，不低于贫困线 3,218 元" in html


def test_runs_page_lists_the_run(web, identified):
    html = page(web.client("officer_a"), reverse("web:identification"))
    assert reverse("web:identification_run", args=[identified.pk]) in html


def welfare_file(tmp_path, poor: dict[str, int]):
    path = tmp_path / "true-welfare.csv"
    lines = ["household_number,year,true_income_per_capita,true_poor"]
    lines += [f"{number},2019,{2000 if flag else 9000},{flag}" for number, flag in poor.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_accuracy_by_area_with_a_hand_worked_reference(web, identified, tmp_path):
    # Every cast household fails the medical guarantee (基本医疗有保障 否), so the run selects all of them.
    # Reference: in 龙山县 A101-1 and A101-2 truly poor, A101-3 and A102-1 not → eligible 2, selected 4:
    # exclusion error 0, inclusion error of the selected 2/4, of the non-eligible 2/2, coverage 4/4.
    path = welfare_file(tmp_path, {"A101-1": 1, "A101-2": 1, "A101-3": 0, "A102-1": 0, "B102-1": 1, "B102-2": 0})
    client = web.client("officer_a")
    with open(path, "rb") as f:
        response = client.post(reverse("web:accuracy"), {"run_a": identified.pk, "level": "county", "reference": f})
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [code for _name, code, _cells in rows] == [COUNTY]  # not 永顺县, not the whole file
    a = rows[0][2][0][1]
    assert (a.households, a.eligible, a.selected) == (4, 2, 4)
    assert (a.exclusion_error, a.inclusion_error_of_selected, a.inclusion_error_of_noneligible, a.coverage) == (
        0.0, 0.5, 1.0, 1.0)


def test_accuracy_rejects_a_bad_reference_file_naming_the_line(web, identified, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("household_number,year,true_income_per_capita,true_poor\nA101-1,2019,abc,1\n", encoding="utf-8")
    with open(path, "rb") as f:
        response = web.client("officer_a").post(reverse("web:accuracy"),
                                                {"run_a": identified.pk, "level": "county", "reference": f})
    assert response.status_code == 400 and "bad.csv:2: true_income_per_capita" in response.content.decode()
