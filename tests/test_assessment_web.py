"""The assessment's pages with the cast of tests/web_cast.py: every page renders for a county officer, in
Chinese and English; a scheme uploads through the page; runs, units, exports, sign-off, shortlist, flags and
decisions are limited to the officer's areas (404 outside, nothing written)."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from python_calamine import CalamineWorkbook

from jingzhun.assessment import scoring_runs, snapshots
from jingzhun.assessment.models import Decision, SchemeFile, ScoreResult, Signoff
from jingzhun.audit.models import AuditEntry
from jingzhun.teams.models import Cadre
from jingzhun.web import once
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
                                    uploaded_by="officer_a", uploaded_at="2020-01-01T00:00:00Z")
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
            reverse("assessment:records", args=[runs["village"], VILLAGE, "visits_per_household"]),
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


def test_assessment_pages_in_chinese_have_no_untranslated_words_and_render_in_english(committed_web):
    from tests.test_web_pages import LATIN_ALLOWED, visible_text

    web = committed_web
    runs = scored(web)
    client = web.client("officer_a")
    for url in urls(runs):
        text = visible_text(page(client, url)).replace("officer_a", "")
        words = set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN_ALLOWED
        words -= {w for w in words if re.fullmatch(r"[A-Z]\d*|[AB]|v\d*", w)}
        assert not words, (url, sorted(words), [t for t in text.split('\n') if words & set(re.findall(r'[A-Za-z]{2,}', t))][:5])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = page(client, reverse("assessment:unit", args=[runs["village"], VILLAGE]))
    assert "Poverty incidence" in html or "poverty incidence" in html
    assert "Accountability flags" in page(client, reverse("assessment:flags") + f"?year={YEAR}")


def test_a_scheme_uploads_through_the_page_and_a_bad_one_is_refused_with_its_problems(committed_web):
    client = committed_web.client("officer_a")
    bad = VILLAGE_SCHEME.replace('code = "helper_coverage"', 'code = "team_size"')
    response = client.post(reverse("assessment:index"), {
        "action": "upload", "file": SimpleUploadedFile("坏.toml", bad.encode())}, follow=True)
    assert "indicators[2].code" in response.content.decode() and SchemeFile.objects.count() == 0
    client.post(reverse("assessment:index"), {"action": "upload",
                                              "file": SimpleUploadedFile("好.toml", VILLAGE_SCHEME.encode())})
    (row,) = SchemeFile.objects.all()
    assert row.area_code == COUNTY and row.uploaded_by == "officer_a"
    snapshots.compute(YEAR, engine="duckdb")
    response = client.post(reverse("assessment:index"), {"action": "score", "scheme": f"upload:{row.pk}",
                                                         "year": str(YEAR), "area": ""})
    run = scoring_runs.visible_runs(None).get()
    assert response.status_code == 302 and run.area_code == COUNTY
    # Ranked among the county's villages only: 洗车, 白岩, 大井.
    assert set(ScoreResult.objects.filter(run=run).values_list("unit", flat=True)) == {VILLAGE, VILLAGE2, VILLAGE_A3}
    # Another county's officer may neither use the scheme nor score this county.
    other = committed_web.client("officer_b")
    other.post(reverse("assessment:index"), {"action": "score", "scheme": f"upload:{row.pk}", "year": str(YEAR)})
    other.post(reverse("assessment:index"), {"action": "score", "scheme": "file:work-team.toml", "year": str(YEAR),
                                             "area": COUNTY})
    assert scoring_runs.visible_runs(None).count() == 1


def test_nothing_outside_the_officers_areas_is_shown_or_decided(committed_web):
    web = committed_web
    runs = scored(web)
    b = web.client("officer_b")
    ranked = page(b, reverse("assessment:run", args=[runs["village"]]))
    assert OTHER_VILLAGE in ranked and VILLAGE not in ranked and VILLAGE2 not in ranked
    for url in (reverse("assessment:unit", args=[runs["village"], VILLAGE]),
                reverse("assessment:sheet", args=[runs["village"], VILLAGE]),
                reverse("assessment:records", args=[runs["village"], VILLAGE, "visits_per_household"]),
                reverse("assessment:run", args=[runs["work_team"]]),  # the only team is in 龙山县
                reverse("assessment:trends") + f"?unit_type=village&unit={VILLAGE}",
                reverse("assessment:cadre", args=[Cadre.objects.get(name="周帮扶").pk])):
        page(b, url, 404)
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(
        b.get(reverse("assessment:run_xlsx", args=[runs["village"]])).streaming_content)))
    assert [r[1] for r in book.get_sheet_by_index(0).to_python()[1:]] == [OTHER_VILLAGE]
    assert AuditEntry.objects.filter(action="export", object_type="assessment_run").count() == 1
    decide = {"subject": "flag", "unit_type": "village", "unit": VILLAGE, "year": str(YEAR), "decision": "talk",
              "reason": "越权"}
    assert b.post(reverse("assessment:decide"), decide).status_code == 404
    assert b.post(reverse("assessment:signoff"), {"year": str(YEAR), "township": TOWNSHIP,
                                                  "action": "submit"}).status_code == 404
    assert not Decision.objects.exists() and not Signoff.objects.exists()
    for name in ("helper_a", "auditor_a"):
        assert web.client(name).get(reverse("assessment:index")).status_code == 403
        assert web.client(name).post(reverse("assessment:decide"), decide).status_code == 403


def test_a_decision_form_sent_twice_records_one_decision(committed_web):
    """A double click, the browser's resend or a replayed request of the decision form: one warning, not two
    (the form carries a one-time token, `jingzhun.web.once`); a form without its token records nothing."""
    web = committed_web
    scored(web)
    a = web.client("officer_a")
    form = a.get(reverse("assessment:flags") + f"?year={YEAR}").content.decode()
    token = re.search(r'name="once" value="([^"]+)"', form)
    assert token is not None, "the decision form carries a one-time token"
    decide = {"subject": "flag", "unit_type": "village", "unit": VILLAGE2, "year": str(YEAR), "decision": "talk",
              "reason": "等次最低，约谈", "once": token.group(1)}
    for _ in range(3):
        assert a.post(reverse("assessment:decide"), decide).status_code == 302
    assert Decision.objects.count() == 1
    assert AuditEntry.objects.filter(action="assessment.decide").count() == 1
    a.post(reverse("assessment:decide"), {k: v for k, v in decide.items() if k != "once"})
    assert Decision.objects.count() == 1


def test_a_decision_through_the_page_needs_a_reason(committed_web):
    web = committed_web
    scored(web)
    a = web.client("officer_a")
    decide = {"subject": "flag", "unit_type": "village", "unit": VILLAGE2, "year": str(YEAR), "decision": "talk",
              "reason": "  "}
    shown = a.post(reverse("assessment:decide"), decide, follow=True).content.decode()
    assert "须说明理由" in shown and not Decision.objects.exists()
    a.post(reverse("assessment:decide"), {**decide, "reason": "等次最低，约谈", "on": "2020-03-01",
                                          "once": once.new_token()})
    (d,) = Decision.objects.all()
    assert (d.area_code, d.decided_by, str(d.decided_on)) == (VILLAGE2, "officer_a", "2020-03-01")
    assert "等次最低，约谈" in page(a, reverse("assessment:flags") + f"?year={YEAR}")
    a.post(reverse("assessment:signoff"), {"year": str(YEAR), "township": TOWNSHIP, "action": "submit"})
    assert Signoff.objects.get(township=TOWNSHIP).state == "submitted"
    assert TOWNSHIP_A2 in page(a, reverse("assessment:signoff") + f"?year={YEAR}")


def test_an_id_in_a_schemes_file_name_is_masked_where_it_is_kept_shown_and_audited(committed_web):
    """The register's uploads mask an ID typed into a file's name (stop 21); a scheme's upload did not."""
    import datetime as dt

    from tests.factories import resident_id

    client = committed_web.client("officer_a")
    rid = resident_id("433130", dt.date(1990, 1, 1), 1, True)
    client.post(reverse("assessment:index"), {"action": "upload",
                                              "file": SimpleUploadedFile(f"{rid}.toml", VILLAGE_SCHEME.encode())})
    (row,) = SchemeFile.objects.all()
    assert rid not in row.file_name and row.file_name.startswith(rid[:6])
    entry = AuditEntry.objects.get(action="assessment.scheme.upload")
    assert rid not in str(entry.detail)
    assert rid not in page(client, reverse("assessment:index"))
