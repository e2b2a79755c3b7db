"""Report workbooks through the job queue: a request queues a build, an identical request while it builds joins it,
a worker's child process builds it, the file is read only by its asker or by those who may export the area, and it
is deleted after REPORT_KEEP_HOURS. The cast is tests/web_cast.py's (county A: officer_a, auditor_a, evaluator_a;
county B: officer_b)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.jobs import runner
from jingzhun.jobs.models import Job, JobState
from jingzhun.reports import build
from jingzhun.reports.models import ReportFile, ReportState
from tests.factories import COUNTY, TOWNSHIP
from tests.job_support import ROOT, worker_env
from tests.report_support import token_of


@pytest.fixture
def queued(settings, tmp_path):
    """Requests only queue their builds (no worker runs them unless a test does)."""
    settings.REPORT_DIR = str(tmp_path / "reports")
    settings.REPORTS_SYNCHRONOUS = False
    settings.REPORT_INLINE_HOUSEHOLDS = 0  # every area is "large": a worker's
    return settings


def ask(client, area=COUNTY, year=2020, tables=("scale",)):
    response = client.post(reverse("reports:ask"), {"area": area, "year": str(year), "tables": list(tables)})
    assert response.status_code == 302, response.status_code
    return ReportFile.objects.get(token=token_of(response))


def test_identical_requests_while_one_builds_share_it_and_others_get_their_own(web, queued):
    officer, evaluator, auditor = (web.client(n) for n in ("officer_a", "evaluator_a", "auditor_a"))
    first = ask(officer)
    assert first.state == ReportState.BUILDING and Job.objects.get(pk=first.job_id).state == JobState.QUEUED
    assert ask(officer).pk == first.pk  # a double click
    assert ask(evaluator).pk == first.pk  # may export county A: joins, and may read the file
    # May not export, so may not ask (every report view is a download's: tests/test_downloads.py).
    refused = auditor.post(reverse("reports:ask"), {"area": COUNTY, "year": "2020", "tables": ["scale"]})
    assert refused.status_code == 403
    assert ask(officer, tables=("causes",)).pk != first.pk  # other tables, other build
    assert ask(officer, area=TOWNSHIP).pk != first.pk
    assert Job.objects.filter(kind="report.build").count() == 3
    # The page follows it: "running" while queued, with the stage the progress script shows.
    assert web.client("officer_a").get(reverse("reports:status", args=[first.token])).json() == {
        "state": "running", "stage": "queued", "done": 0.0}
    assert web.client("officer_a").get(reverse("reports:download", args=[first.token])).status_code == 404
    runner.run_inline(Job.objects.get(pk=first.job_id))
    first.refresh_from_db()
    assert first.state == ReportState.DONE and build.file_path(first.token).stat().st_mode & 0o777 == 0o600
    assert ask(officer).pk != first.pk  # built: a new request builds anew (the register may have changed)


def test_a_worker_builds_it_in_a_child_process_and_the_page_offers_it(committed_web, settings, tmp_path):
    settings.REPORT_DIR = str(tmp_path / "reports")
    settings.REPORTS_SYNCHRONOUS = False
    settings.REPORT_INLINE_HOUSEHOLDS = 0
    run = ask(committed_web.client("officer_a"), tables=("scale", "exits"))
    env = worker_env(JINGZHUN_REPORT_DIR=settings.REPORT_DIR)
    done = subprocess.run([sys.executable, "-m", "jingzhun.cli", "worker", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    run.refresh_from_db()
    assert run.state == ReportState.DONE, (run.error, done.stdout)
    client = committed_web.client("officer_a")
    html = client.get(reverse("reports:run", args=[run.token])).content.decode()
    assert reverse("reports:download", args=[run.token]) in html
    response = client.get(reverse("reports:download", args=[run.token]))
    assert response.status_code == 200 and b"".join(response.streaming_content)[:2] == b"PK"
    built = AuditEntry.objects.get(action="report.built")
    assert (built.actor, built.area, built.object_id) == ("officer_a", COUNTY, str(run.pk))
    assert oct(os.stat(build.file_path(run.token)).st_mode & 0o777) == oct(0o600)


def test_only_the_asker_or_an_exporter_of_the_area_reads_the_file(web, settings, tmp_path):
    settings.REPORT_DIR = str(tmp_path / "reports")
    settings.REPORTS_SYNCHRONOUS = True
    run = ask(web.client("evaluator_a"))
    assert run.state == ReportState.DONE
    expected = {"evaluator_a": 200, "officer_a": 200, "root": 200,  # the asker; export over A
                "township_a": 404,  # exports only 石牌镇, not the county the file is of
                "officer_b": 404, "auditor_a": 403, "helper_a": 403, "no_role": 403}  # 403: no export at all
    for username, status in expected.items():
        client = web.client(username)
        for name in ("reports:run", "reports:status", "reports:download"):
            assert client.get(reverse(name, args=[run.token])).status_code == status, (username, name)
    readers = set(AuditEntry.objects.filter(action="report.download").values_list("actor", flat=True))
    assert readers == {u for u, s in expected.items() if s == 200}
    # The asker who no longer exports the county loses the file too.
    AreaRole.objects.filter(user__username="evaluator_a").update(area_id=TOWNSHIP)
    web.users["evaluator_a"].refresh_from_db()
    assert web.client("evaluator_a").get(reverse("reports:download", args=[run.token])).status_code == 404


def test_a_role_taken_away_before_the_build_fails_it_unbuilt_and_unaudited(web, queued):
    run = ask(web.client("officer_a"))
    AreaRole.objects.filter(user__username="officer_a").update(area_id=TOWNSHIP)
    web.users["officer_a"].refresh_from_db()
    runner.run_inline(Job.objects.get(pk=run.job_id))
    run.refresh_from_db()
    assert run.state == ReportState.FAILED and "no longer see" in run.error
    assert not build.file_path(run.token).exists()
    assert not AuditEntry.objects.filter(action="report.built").exists()


def test_a_build_whose_job_failed_is_failed_when_its_page_is_read(web, queued):
    run = ask(web.client("officer_a"))
    Job.objects.filter(pk=run.job_id).update(state=JobState.FAILED, error="SIGKILL")
    page = web.client("officer_a").get(reverse("reports:run", args=[run.token])).content.decode()
    run.refresh_from_db()
    assert run.state == ReportState.FAILED and "SIGKILL" in run.error and "SIGKILL" in page


def test_the_file_is_deleted_after_the_keep_hours(web, settings, tmp_path):
    settings.REPORT_DIR = str(tmp_path / "reports")
    settings.REPORTS_SYNCHRONOUS = True
    settings.REPORT_KEEP_HOURS = 2
    run = ask(web.client("officer_a"))
    path = build.file_path(run.token)
    assert path.is_file()
    assert build.sweep(timezone.now() + dt.timedelta(hours=1, minutes=59)) == 0 and path.is_file()
    assert build.sweep(timezone.now() + dt.timedelta(hours=2, minutes=1)) == 1
    run.refresh_from_db()
    assert run.state == ReportState.EXPIRED and not path.exists() and not path.parent.exists()
    client = web.client("officer_a")
    assert client.get(reverse("reports:download", args=[run.token])).status_code == 404
    assert "已过期删除" in client.get(reverse("reports:run", args=[run.token])).content.decode()
    # The reports page sweeps too: a file past its time is gone once anyone opens the page.
    again = ask(client)
    ReportFile.objects.filter(pk=again.pk).update(finished_at=timezone.now() - dt.timedelta(hours=3))
    assert client.get(reverse("reports:index")).status_code == 200
    assert not build.file_path(again.token).exists()


def test_the_form_needs_its_csrf_token_and_a_post(web, queued):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(web.users["officer_a"])
    assert client.post(reverse("reports:ask"), {"area": COUNTY, "year": "2020"}).status_code == 403
    assert web.client("officer_a").get(reverse("reports:ask")).status_code == 405
    assert not ReportFile.objects.exists()


@override_settings(REPORTS_SYNCHRONOUS=True)
def test_a_hostile_form_is_refused_or_read_as_the_defaults(web, settings, tmp_path):
    settings.REPORT_DIR = str(tmp_path / "reports")
    client = web.client("officer_a")
    for area in ("", "4" * 40, "433130000000\x00", "../../etc"):
        assert client.post(reverse("reports:ask"), {"area": area, "year": "2020"}).status_code in (400, 404), area
    run = ask(client, year="１９９９９", tables=("nonsense", "scale"))
    assert run.year == timezone.localdate().year and run.tables == ["scale"]
    for token in ("x" * 32, "../" + run.token, run.token + "0"):
        assert client.get(f"/reports/{token}/file/").status_code == 404


def test_a_small_area_is_built_by_the_request_itself_a_larger_one_by_a_worker(web, settings, tmp_path):
    """County A has 4 households (tests/web_cast.py), its township 石牌镇 3: with the limit at 3 the township is
    built at once, as the same job (done, audited, its file offered); the county waits for a worker."""
    settings.REPORT_DIR = str(tmp_path / "reports")
    settings.REPORTS_SYNCHRONOUS = False
    settings.REPORT_INLINE_HOUSEHOLDS = 3
    client = web.client("officer_a")
    township = ask(client, area=TOWNSHIP)
    assert township.state == ReportState.DONE and Job.objects.get(pk=township.job_id).state == JobState.DONE
    assert AuditEntry.objects.filter(action="report.built", object_id=str(township.pk)).count() == 1
    assert reverse("reports:download", args=[township.token]) in client.get(
        reverse("reports:run", args=[township.token])).content.decode()
    county = ask(client, area=COUNTY)
    assert county.state == ReportState.BUILDING and Job.objects.get(pk=county.job_id).state == JobState.QUEUED
