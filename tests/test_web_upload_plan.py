"""Issue 14: the upload page shows the plan before confirming — how many households would be inserted, updated,
moved and left unchanged, and a sample of the changes — and checking writes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jingzhun.registry.models import Household
from tests.factories import VILLAGE, VILLAGE2, household_rows, write_csv
from tests.test_hostile_files import post, token_of, uploads_here  # noqa: F401 -- the fixture
from tests.web_cast import Web

pytestmark = pytest.mark.django_db


def test_the_upload_page_shows_what_confirming_would_do(web: Web, uploads_here, tmp_path):  # noqa: F811
    # A101-1 (洗车村, 4 people) moves to 白岩村 with a new wage; R9 is new; A101-3 is sent unchanged.
    moved = [dict(r) for r in web.rows["A101-1"]]
    moved[0]["village"], moved[0]["wage_income"] = VILLAGE2, "9100"
    rows = moved + household_rows("R9", VILLAGE, size=2, seed=90) + web.rows["A101-3"]
    path = write_csv(tmp_path / "plan.csv", rows)
    client = web.client("officer_a")
    response = post(client, "plan.csv", path.read_bytes())
    page = response.content.decode()
    assert Household.objects.get(number="A101-1").village_id == VILLAGE  # a check writes nothing
    assert not Household.objects.filter(number="R9").exists()
    assert 'id="plan"' in page
    plan = response.context["upload"].result["plan"]
    assert (plan["inserted"], plan["updated"], plan["moved"], plan["unchanged"]) == (1, 1, 1, 1)
    assert ["A101-1", "", "所在村代码", VILLAGE, VILLAGE2] in plan["changes"]
    assert ["A101-1", "", "工资性收入（元）", "6000.00", "9100.00"] in plan["changes"]
    assert "迁往他村户数" in page and VILLAGE2 in page
    # Confirming carries out exactly that plan.
    client.post(reverse("web:upload_confirm", args=[token_of(response)]), {"mode": "all"})
    assert Household.objects.get(number="A101-1").village_id == VILLAGE2
    assert Household.objects.filter(number="R9").exists()
