"""The evaluation's pages over the cast of users: the draw form (officers whose areas hold the whole evaluated
area, the same service as the command), the pages scoped by area, findings written only inside one's areas."""

from __future__ import annotations

import pytest
from django.urls import reverse

from jingzhun.audit.models import AuditEntry
from jingzhun.evaluation.models import Evaluation, SampledHousehold
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, PROVINCE, VILLAGE
from tests.web_cast import FRAME, SAMPLED, evaluation, numbers_in

pytestmark = pytest.mark.django_db
FORM = {"year": "2020", "seed": "7", "households_per_county": "20", "households_per_village": "10",
        "exited_share": "0.5"}


def test_an_officer_draws_their_county_from_the_form_and_nothing_beyond(web):
    evaluation()  # the frame households
    client = web.client("officer_a")
    html = client.get(reverse("evaluation:draw")).content.decode()
    assert f'value="{COUNTY}"' in html and f'value="{OTHER_COUNTY}"' not in html and f'value="{PROVINCE}"' not in html
    response = client.post(reverse("evaluation:draw"), {**FORM, "area": COUNTY, "name": "龙山县 2020"})
    found = Evaluation.objects.get(name="龙山县 2020")
    assert response.status_code == 302 and response["Location"] == reverse("evaluation:detail", args=[found.pk])
    assert set(found.households.values_list("number", flat=True)) == {n for n, v in SAMPLED.items() if v[:6] == COUNTY[:6]}
    assert AuditEntry.objects.get(action="evaluation.draw", object_id=str(found.pk)).actor == "officer_a"
    # The province, or another county: as unknown as a missing area, and nothing drawn.
    for area in (PROVINCE, OTHER_COUNTY, "439999000000"):
        refused = client.post(reverse("evaluation:draw"), {**FORM, "area": area})
        assert refused.status_code == 400 and "区划不存在或不在您的管辖范围内" in refused.content.decode()
    assert Evaluation.objects.count() == 2


def test_the_draw_form_names_each_bad_field_and_draws_nothing(web):
    client = web.client("officer_a")
    response = client.post(reverse("evaluation:draw"), {"area": COUNTY, "year": "20x0", "seed": "-1",
                                                        "households_per_county": "1", "households_per_village": "",
                                                        "exited_share": "1.5"})
    assert response.status_code == 400
    errors = response.content.decode().count("data-field-error")
    assert errors == 5 and not Evaluation.objects.exists()


@pytest.mark.parametrize("username", ["evaluator_a", "township_a", "helper_a", "auditor_a", "no_role"])
def test_only_officers_holding_a_whole_county_may_draw(web, username):
    """An evaluator records findings; a township officer holds no county; the rest have no evaluation at all."""
    client = web.client(username)
    assert client.get(reverse("evaluation:draw")).status_code == 403
    assert client.post(reverse("evaluation:draw"), {**FORM, "area": COUNTY}).status_code == 403
    assert not Evaluation.objects.exists()


def test_the_evaluator_sees_and_writes_only_their_county(web):
    found = evaluation()
    client = web.client("evaluator_a")
    mine = {n for n, v in SAMPLED.items() if v[:6] == COUNTY[:6]}
    html = client.get(reverse("evaluation:detail", args=[found.pk])).content.decode()
    assert numbers_in(html) == mine
    assert "draw-link" not in client.get(reverse("evaluation:list")).content.decode()
    assert client.get(reverse("evaluation:field_list", args=[found.pk, OTHER_VILLAGE])).status_code == 404
    listed = client.get(reverse("evaluation:field_list", args=[found.pk, VILLAGE])).content.decode()
    assert numbers_in(listed) == {"A101-3", "A101-7", "A101-8"}
    for number in FRAME:
        response = client.post(reverse("evaluation:findings", args=[found.pk, number]), {"satisfied": "是"})
        assert response.status_code == (302 if number in mine else 404)
    recorded = set(SampledHousehold.objects.filter(evaluation=found, satisfied=True).values_list("number", flat=True))
    assert recorded == {n for n in FRAME if n in mine}
