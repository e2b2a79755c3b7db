"""Input nested deeper than Python's recursion limit — a scheme's TOML, a boundary file's GeoJSON, an API body —
is refused with the rule in words, never a 500 or a traceback: the parsers (tomllib, json) recurse, and a
RecursionError is no parse error they report themselves. Each file is small (well under its size limit)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jingzhun.assessment import scheme_store, schemes
from jingzhun.assessment.models import SchemeFile
from jingzhun.maps import geojson
from jingzhun.policy import loading
from jingzhun.policy.model import Policy
from tests.api_support import api_for
from tests.web_cast import Web

pytestmark = pytest.mark.django_db

DEEP = 50_000  # brackets: 100 KB, half a scheme's size limit


def deep_toml() -> str:
    return 'name = "x"\nweights = ' + "[" * DEEP + "]" * DEEP + "\n"


def test_a_deeply_nested_scheme_is_refused_by_the_page(web: Web):
    client = web.client("officer_a")
    response = client.post(reverse("assessment:index"), {
        "action": "upload", "file": SimpleUploadedFile("深.toml", deep_toml().encode())}, follow=True)
    assert response.status_code == 200
    assert "嵌套过深" in response.content.decode()
    assert not SchemeFile.objects.exists()


def test_a_deeply_nested_scheme_is_a_scheme_error():
    with pytest.raises(schemes.SchemeError, match="嵌套过深"):
        schemes.parse_scheme(deep_toml(), "深.toml")
    assert len(deep_toml().encode()) < scheme_store.MAX_BYTES


def test_a_deeply_nested_policy_file_is_a_policy_error():
    with pytest.raises(loading.PolicyError, match="嵌套过深"):
        loading.loads_model(deep_toml(), "深.toml", Policy)


def test_a_deeply_nested_boundary_file_is_a_boundary_problem(tmp_path: Path):
    path = tmp_path / "深.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ' + "[" * DEEP + "]" * DEEP + "}")
    with pytest.raises(geojson.BoundaryProblem, match="嵌套过深"):
        geojson.read(path)


def test_a_deeply_nested_api_body_is_a_problem_not_a_500(web: Web):
    api = api_for(web.users["helper_a"], "read", "write")
    body = '{"household_number": "A101-1", "visited_at": "2024-05-06T09:30:00+08:00", "notes": ' + \
        "[" * DEEP + "]" * DEEP + "}"
    response = api.client.post("/api/v1/visits", body, content_type="application/json", headers=api.headers)
    assert 400 <= response.status_code < 500, response.status_code
    assert response["Content-Type"].startswith("application/problem+json")
    json.loads(response.content)  # a problem document


def test_a_deeply_nested_monitoring_policy_is_a_policy_error():
    from jingzhun.monitoring import policy

    with pytest.raises(policy.PolicyError, match="嵌套过深"):
        policy.parse(deep_toml(), "深.toml")


def test_a_number_too_long_for_python_is_a_boundary_problem(tmp_path: Path):
    """json.loads raises a plain ValueError (not a JSONDecodeError) for an integer of over 4,300 digits."""
    path = tmp_path / "长.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [' + "1" * 5000 + "]}")
    with pytest.raises(geojson.BoundaryProblem, match="不是 JSON 文件"):
        geojson.read(path)
    path.write_text('{"type": "FeatureCollection", "features": [NaN]}')
    with pytest.raises(geojson.BoundaryProblem, match="NaN"):  # its own words still
        geojson.read(path)


def test_an_integer_too_long_for_python_is_refused_in_words(web: Web):
    """tomllib raises a plain ValueError (not a TOMLDecodeError) for an integer of over 4,300 digits."""
    text = 'name_zh = "x"\nyear = ' + "1" * 5000 + "\n"
    response = web.client("officer_a").post(reverse("assessment:index"), {
        "action": "upload", "file": SimpleUploadedFile("长.toml", text.encode())}, follow=True)
    assert response.status_code == 200 and "TOML" in response.content.decode()
    assert not SchemeFile.objects.exists()
    with pytest.raises(loading.PolicyError):
        loading.loads_model(text, "长.toml", Policy)
    from jingzhun.monitoring import policy

    with pytest.raises(policy.PolicyError):
        policy.parse(text, "长.toml")
