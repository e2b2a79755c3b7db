"""The assessment's pages with the cast of tests/web_cast.py: every page renders for a county officer, in
Chinese and English; a scheme uploads through the page; runs, units, exports, sign-off, shortlist, flags and
decisions are limited to the officer's areas (404 outside, nothing written)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from python_calamine import CalamineWorkbook

from jingzhun.assessment import scoring_runs, snapshots
from jingzhun.assessment.models import Decision, SchemeFile, ScoreResult, Signoff
from jingzhun.audit.models import AuditEntry
from jingzhun.teams.models import Cadre
from tests.factories import COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2
from tests.test_assessment_decisions import VILLAGE_SCHEME
from tests.web_cast import TOWNSHIP_A2, VILLAGE_A3, page

pytestmark = pytest.mark.django_db
YEAR = 2019


def native() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgres"


def scored(web) -> dict[str, int]:
    """The cast's 2019 figures computed and scored: villages under the test scheme (province-wide), counties
    under the shipped county scheme, work teams and helpers under theirs."""
    snapshots.compute(YEAR, engine="duckdb")
    row = SchemeFile.objects.create(name_zh="村级测试方案", name_en="Village test scheme", unit_type="village", year=2020,
                                    file_name="v.toml", text=VILLAGE_SCHEME, sha256="x", area_code="",
                                    uploaded_by="root", uploaded_at="2020-01-01T00:00:00Z")
    runs = {"village": scoring_runs.run(f"upload:{row.pk}", YEAR, actor="t").pk}
    for name, ref in (("county", "file:county-leadership-2016.toml"), ("work_team", "file:work-team.toml"),
                      ("cadre", "file:helper.toml")):
        runs[name] = scoring_runs.run(ref, YEAR, actor="t").pk
    return runs


def urls(runs: dict[str, int]) -> list[str]:
    helper = Cadre.objects.get(name="周帮扶").pk
    return [reverse("assessment:index"), reverse("assessment:run", args=[runs["village"]]),
            reverse("assessment:unit", args=[runs["village"], VILLAGE]),
            reverse("assessment:sheet", args=[runs["village"], VILLAGE]),
            reverse("assessment:run", args=[runs["county"]]), reverse("assessment:unit", args=[runs["county"], COUNTY]),
            reverse("assessment:run", args=[runs["work_team"]]), reverse("assessment:run", args=[runs["cadre"]]),
            reverse("assessment:trends") + f"?unit_type=village&unit={VILLAGE}",
            reverse("assessment:signoff") + f"?year={YEAR}", reverse("assessment:cadre", args=[helper]),
            reverse("assessment:shortlist") + f"?year={YEAR}", reverse("assessment:flags") + f"?year={YEAR}"]


def test_every_assessment_page_renders_for_a_county_officer(committed_web):
    web = committed_web
    runs = scored(web)
    client = web.client("officer_a")
    for url in urls(runs):
        page(client, url)
    ranked = page(client, reverse("assessment:run", args=[runs["village"]]))
    assert VILLAGE in ranked and VILLAGE2 in ranked and OTHER_VILLAGE not in ranked
