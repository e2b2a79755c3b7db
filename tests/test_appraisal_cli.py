"""The command line of cross-department checks and the appraisal workflow: the same actions, reported
in Chinese with English alongside; errors become CommandError and change nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from jingzhun.appraisal import workflow
from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.crosscheck.models import CrossCheckHit, CrossCheckList
from jingzhun.registry.models import StatusEvent
from tests.factories import OTHER_COUNTY, VILLAGE, make_areas, resident_id
from tests.test_crosscheck import make_household, write

pytestmark = pytest.mark.django_db

HEAD = resident_id("433130", dt.date(1968, 3, 14), 21, True)
D = dt.date(2020, 3, 1)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def hh(db):
    make_areas()
    return make_household("H1", VILLAGE, [HEAD], status="applicant")


def test_crosscheck_import_list_hits_decide(hh, tmp_path):
    path = write(tmp_path / "v.csv", ["身份证号", "号牌号码"], [[HEAD, "湘U12345"]])
    assert "1 people in 1 households hit" in run("crosscheck", "import", "--rule", "vehicle", str(path))
    assert "already imported" in run("crosscheck", "import", "--rule", "vehicle", str(path))
    assert CrossCheckList.objects.count() == 1
    assert "0 new hits" in run("crosscheck", "rematch")
    listing = run("crosscheck", "list")
    assert "v.csv" in listing and "待核实 1" in listing
    hit = CrossCheckHit.objects.get()
    assert "湘U12345" in run("crosscheck", "hits", "--status", "pending")
    with pytest.raises(CommandError):
        run("crosscheck", "decide", str(hit.pk), "--confirm", "--reason", " ")
    assert "confirmed" in run("crosscheck", "--actor", "王科长", "decide", str(hit.pk), "--confirm",
                              "--reason", "入户核实属实")
    assert AuditEntry.objects.get(action="crosscheck.confirm").actor == "王科长"


def test_crosscheck_bad_rows_and_scoped_user(hh, tmp_path):
    path = write(tmp_path / "bad.csv", ["身份证号", "号牌号码"], [["123", "湘U1"]])
    with pytest.raises(CommandError, match="nothing imported"):
        run("crosscheck", "import", "--rule", "vehicle", "--report", str(tmp_path / "r.xlsx"), str(path))
    assert not CrossCheckList.objects.exists()
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(tmp_path / "r.xlsx")).get_sheet_by_index(0).to_python()
    assert (int(rows[1][0]), *rows[1][1:3]) == (2, "证件号码", "***")
    with pytest.raises(CommandError, match="no active user"):
        run("crosscheck", "--user", "nobody", "list")
    run("crosscheck", "import", "--rule", "vehicle", str(write(tmp_path / "v.csv", ["身份证号", "号牌号码"], [[HEAD, "湘U1"]])))
    other = User.objects.create_user("other")
    AreaRole.objects.create(user=other, area_id=OTHER_COUNTY, role="officer")
    assert run("crosscheck", "--user", "other", "hits") == ""
    with pytest.raises(CommandError, match="in your areas"):
        run("crosscheck", "--user", "other", "decide", str(CrossCheckHit.objects.get().pk), "--dismiss", "--reason", "x")


def test_appraisal_overdue_notice_history(hh, tmp_path):
    admin = User.objects.create_superuser("admin")
    app = workflow.apply(hh, 2020, applied_by="甲", on=D, user=admin)
    workflow.appraise(app.pk, held_on=D, attendees=3, votes_for=2, votes_against=1, votes_abstain=0, minutes="同意",
                      user=admin)
    workflow.crosscheck(app.pk, on=D, user=admin)
    notice = workflow.publish_notice([app.pk], stage="first", starts_on=D, contact="村委会", user=admin)
    assert "共 0 件超期" in run("appraisal", "overdue", "--area", VILLAGE, "--today", "2020-03-07")
    out = run("appraisal", "overdue", "--area", VILLAGE, "--today", "2020-03-09")
    assert "一次公示中：已超期 2 天" in out and "共 1 件超期" in out
    html = tmp_path / "n.html"
    run("appraisal", "notice", "--id", str(notice.pk), "--out", str(html))
    text = html.read_text(encoding="utf-8")
    assert HEAD not in text and HEAD[:6] + "********" + HEAD[-4:] in text
    run("appraisal", "notice", "--id", str(notice.pk), "--out", str(tmp_path / "n.xlsx"))
    assert (tmp_path / "n.xlsx").stat().st_size > 0
    history = run("appraisal", "history", "--id", str(app.pk))
    assert "publish_first" in history and "一次公示中" in history
    with pytest.raises(CommandError, match="no notice"):
        run("appraisal", "notice", "--id", "999", "--out", str(html))
    with pytest.raises(CommandError, match="no area"):
        run("appraisal", "overdue", "--area", "999999999999")


def test_appraisal_diff_and_quota(hh, tmp_path):
    admin = User.objects.create_superuser("admin")
    app = workflow.apply(hh, 2020, applied_by="甲", on=D, user=admin)
    policy = tmp_path / "p.toml"
    policy.write_text("\n".join([
        'name = "测试"', "year = 2020", 'scope = "province"', 'area = "430000000000"', "poverty_line = 4000",
        "[income]", 'sources = ["wage_income"]', "per_capita = true", "[guarantees]", "[quotas]",
        '"433130000000" = 0', '"433127000000" = 5',
    ]), encoding="utf-8")
    with pytest.raises(CommandError, match="1 areas over their quota"):
        run("appraisal", "quota", "--policy", str(policy))
    missing = tmp_path / "missing.toml"
    missing.write_text(policy.read_text(encoding="utf-8").replace("433127000000", "439999000000"), encoding="utf-8")
    with pytest.raises(CommandError, match="missing.toml: .*quota area 439999000000 is not in the area table"):
        run("appraisal", "quota", "--policy", str(missing))
    assert app.state == "applied"  # an open application of a household not yet identified counts as proposed
    StatusEvent.objects.create(household=hh, status="poor", year=2020, recorded_at=timezone.now())
    out = run("appraisal", "diff", "--year", "2020", "--list")
    assert "433130000000       1" in out and "新识别  H1" in out


def test_admin_pages_are_read_only_and_scoped(hh, tmp_path, client):
    from django.urls import reverse

    from jingzhun.crosscheck.actions import import_list

    admin = User.objects.create_superuser("admin")
    app = workflow.apply(hh, 2020, applied_by="甲", on=D, user=admin)
    import_list(write(tmp_path / "v.csv", ["身份证号", "号牌号码"], [[HEAD, "湘U1"]]), "vehicle", actor="t", today=D)
    client.force_login(admin)
    for name in ("crosscheck_crosschecklist", "crosscheck_crosscheckhit", "appraisal_application", "appraisal_notice",
                 "appraisal_objection", "appraisal_villageappraisal"):
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:appraisal_application_change", args=[app.pk])).status_code == 200
    assert client.get(reverse("admin:appraisal_application_add")).status_code == 403
    other = User.objects.create_user("other", is_staff=True)
    AreaRole.objects.create(user=other, area_id=OTHER_COUNTY, role="officer")
    from django.contrib.auth.models import Permission

    other.user_permissions.add(*Permission.objects.filter(codename__in=["view_application", "view_crosscheckhit"]))
    client.force_login(other)
    page = client.get(reverse("admin:appraisal_application_changelist"))
    assert page.status_code == 200 and "0 评议申请" in page.content.decode()
    hits = client.get(reverse("admin:crosscheck_crosscheckhit_changelist")).content.decode()
    assert "0 比对命中" in hits
