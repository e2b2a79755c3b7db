"""Issue 15: every file an app imports goes through the one checked-upload page — the register, the roster, visits,
attendance, village records and department lists — each through its app's own import function with the user's
areas, checked first, imported only on confirming."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from jingzhun.crosscheck.models import CrossCheckHit
from jingzhun.teams.models import Cadre, Visit
from jingzhun.web.models import Upload
from tests.test_hostile_files import token_of, uploads_here  # noqa: F401 -- the fixture
from tests.web_cast import Web

pytestmark = pytest.mark.django_db


def upload(client, kind: str, path: Path):
    return client.post(reverse("web:imports"), {"kind": kind, "file": SimpleUploadedFile(path.name, path.read_bytes())},
                       follow=True)


def write(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def visits_file(tmp_path: Path, name: str, number: str) -> Path:
    helper = Cadre.objects.get(name="周帮扶")
    when = (timezone.localtime() - timezone.timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    return write(tmp_path / name, ["帮扶人编号", "户编号", "走访时间", "走访记录"], [[str(helper.pk), number, when, "了解就业情况"]])


def test_a_helper_uploads_their_visit_checked_first_then_confirmed(web: Web, uploads_here, tmp_path):  # noqa: F811
    client = web.client("helper_a")
    response = upload(client, "visits", visits_file(tmp_path, "mine.csv", "A101-1"))
    assert response.status_code == 200 and not Visit.objects.exists()  # checking writes nothing
    row = Upload.objects.get()
    assert (row.kind, row.state, row.rows, row.error_count) == ("visits", "checked", 1, 0)
    assert row.result["plan"]["counts"]["inserted"] == 1 and 'id="plan"' in response.content.decode()
    client.post(reverse("web:upload_confirm", args=[token_of(response)]), {"mode": "all"})
    row.refresh_from_db()
    assert row.state == "done" and Visit.objects.filter(household__number="A101-1").count() == 1


def test_a_helpers_visit_to_a_household_not_theirs_is_refused_and_nothing_lands(web: Web, uploads_here, tmp_path):  # noqa: F811
    client = web.client("helper_a")
    response = upload(client, "visits", visits_file(tmp_path, "not-mine.csv", "A101-2"))
    row = Upload.objects.get()
    assert row.error_count == 1 and "A101-2" not in str(row.errors[0][3])  # refused without naming where it is
    client.post(reverse("web:upload_confirm", args=[token_of(response)]), {"mode": "all"})
    row.refresh_from_db()
    assert row.state == "checked" and not Visit.objects.exists()  # "all" refused while there are errors


def test_a_kind_the_roles_do_not_allow_is_refused(web: Web, uploads_here, tmp_path):  # noqa: F811
    # A helper may not upload the register or a department list; an auditor nothing at all.
    path = visits_file(tmp_path, "x.csv", "A101-1")
    for kind in ("register", "crosscheck.vehicle", "roster", "nonsense"):
        response = upload(web.client("helper_a"), kind, path)
        assert "您不能上传这类文件" in response.content.decode()
    assert not Upload.objects.exists()
    assert web.client("auditor_a").get(reverse("web:imports")).status_code == 403


def test_an_officer_uploads_a_department_list_whose_hits_stay_in_the_county(web: Web, uploads_here, tmp_path):  # noqa: F811
    path = write(tmp_path / "车辆.csv", ["姓名", "身份证号", "号牌号码"], [
        ["甲", web.resident_id("A101-2", 2), "湘U12345"], ["乙", web.resident_id("B102-1", 1), "湘U54321"]])
    client = web.client("officer_a")
    response = upload(client, "crosscheck.vehicle", path)
    assert Upload.objects.get().state == "checked" and not CrossCheckHit.objects.exists()
    client.post(reverse("web:upload_confirm", args=[token_of(response)]), {"mode": "all"})
    row = Upload.objects.get()
    assert row.state == "done" and row.result["hits"] == 1 and row.result["outside"] == 1
    assert list(CrossCheckHit.objects.values_list("household__number", flat=True)) == ["A101-2"]
    page = client.get(reverse("web:upload", args=[row.token])).content.decode()
    assert "命中" in page and "部门比对名单" in page


def test_every_upload_kind_has_its_blank_template_and_every_tabular_template_is_uploadable(web):
    """The import page and the templates page list the same files: a kind with a template names a registered one,
    and every registered template but the register's own is an upload kind (the register's is "register")."""
    from jingzhun.core import blanks
    from jingzhun.web import upload_kinds

    kinds = upload_kinds.kinds()
    templates = set(blanks.kinds())
    assert {k.template for k in kinds.values() if k.template} <= templates
    # Findings belong to one evaluation: they are uploaded on its page (jingzhun.evaluation), not here.
    per_evaluation = {"evaluation_findings"}
    assert templates - per_evaluation <= {k.template for k in kinds.values()}
    officer = [k.kind for k in upload_kinds.offered(web.users["officer_a"])]
    assert {"register", "roster", "village_records", "units", "unit_links", "secondments", "course_roster",
            "branch_roster", "branch_elections", "talent_pool", "crosscheck.vehicle"} <= set(officer)


def test_a_kind_refused_at_its_write_says_why_in_words():
    """Nothing imported for problems: the page's "error" names the first in both languages, and how many."""
    from jingzhun.tabular.problems import Problem
    from jingzhun.web import upload_kinds

    whole = Problem("f.csv", 0, "", "", "同时有其他写入 / another write at the same moment")
    row = Problem("f.csv", 3, "走访时间", "x", "该走访已录入 / this visit is already recorded")
    assert upload_kinds.refused(False, [whole], {"imported": False})["error"] == (
        "同时有其他写入 / another write at the same moment")
    assert upload_kinds.refused(False, [row, whole], {"imported": False})["error"] == (
        "第3行“走访时间”：该走访已录入（共 2 处） / row 3, 走访时间: this visit is already recorded (2 problems in all)")
    assert "error" not in upload_kinds.refused(True, [row], {"imported": True})
    assert "error" not in upload_kinds.refused(False, [], {"imported": False})
