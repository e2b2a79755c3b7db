"""The web pages for cross-department hits and appraisal applications, with the cast of tests/web_cast.py."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from django.urls import reverse

from jingzhun.appraisal import workflow
from jingzhun.audit.models import AuditEntry
from jingzhun.crosscheck.actions import import_list
from jingzhun.crosscheck.models import CrossCheckHit
from jingzhun.registry.models import Household
from tests.web_cast import SEES, numbers_in, page

pytestmark = pytest.mark.django_db


@pytest.fixture
def hits(web, tmp_path):
    """A vehicle list naming one member of A101-2 (龙山县) and one of B102-1 (永顺县)."""
    path = tmp_path / "vehicles.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["姓名", "身份证号", "号牌号码"])
        writer.writerow(["甲", web.resident_id("A101-2", 2), "湘U12345"])
        writer.writerow(["乙", web.resident_id("B102-1", 1), "湘U54321"])
    import_list(path, "vehicle", actor="交警大队", today=dt.date(2020, 6, 1))
    assert CrossCheckHit.objects.count() == 2


def test_an_officer_sees_the_hits_of_their_county_and_decides_with_a_reason(web, hits):
    client = web.client("officer_a")
    html = page(client, reverse("web:hits"))
    assert numbers_in(html) == {"A101-2"}
    # The evidence beside the register: the department's row (its plate, its row) and the member's registered name.
    from jingzhun.registry.models import Member
    assert "姓名：甲；号牌号码：湘U12345（名单第 2 行）" in html and "湘U54321" not in html
    assert f"<td>{Member.objects.get(household__number='A101-2', position=2).name}</td>" in html
    hit = CrossCheckHit.objects.get(household__number="A101-2")
    client.post(reverse("web:decide", args=[hit.pk]), {"status": "dismissed", "reason": ""})
    hit.refresh_from_db()
    assert hit.status == "pending"  # no reason, no decision
    client.post(reverse("web:decide", args=[hit.pk]), {"status": "dismissed", "reason": "车辆已于2019年转让"})
    hit.refresh_from_db()
    assert (hit.status, hit.decided_by) == ("dismissed", "officer_a")
    assert AuditEntry.objects.filter(actor="officer_a", object_id=str(hit.pk)).exists()
    other = CrossCheckHit.objects.get(household__number="B102-1")
    client.post(reverse("web:decide", args=[other.pk]), {"status": "confirmed", "reason": "越权"})
    other.refresh_from_db()
    assert other.status == "pending"  # outside 龙山县: refused
    page(web.client("helper_a"), reverse("web:hits"), 403)


def test_applications_page_lists_the_areas_applications_and_overdue_steps(web):
    household = Household.objects.get(number="A101-3")
    officer = web.users["officer_a"]
    app = workflow.apply(household, 2020, applied_by="赵一", on=dt.date(2020, 1, 2), user=officer)
    html = page(web.client("officer_a"), reverse("web:applications"))
    assert "A101-3" in numbers_in(html) and numbers_in(html) <= SEES["officer_a"]
    assert reverse("web:application", args=[app.pk]) in html
    assert 'id="overdue-count">1<' in html  # applied long ago and never appraised
    assert "A101-3" not in page(web.client("officer_b"), reverse("web:applications"))
