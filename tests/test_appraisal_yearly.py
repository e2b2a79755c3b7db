"""The yearly re-identification difference and the quota report.

The SQL difference is held to `classify` (the definition, a few plain `if`s) over every pair of
statuses; the grouped counts and the quota figures are worked out by hand from the households below.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from jingzhun.appraisal import workflow, yearly
from jingzhun.appraisal.yearly import QuotaLine, classify, difference, quota_report
from jingzhun.areas.models import AreaRole
from jingzhun.registry.models import Household, StatusEvent
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE, VILLAGE2, make_areas, resident_id
from tests.test_crosscheck import make_household

pytestmark = pytest.mark.django_db

STATUSES = [None, "applicant", "poor", "exited", "monitored", "returned", "removed"]
_seq = itertools.count(100)


def household(number: str, village: str, events: dict[int, str], *, identified: int | None = None,
              status: str = "poor") -> Household:
    rid = resident_id("433130" if village != OTHER_VILLAGE else "433127", dt.date(1960, 1, 1), next(_seq), True)
    h = make_household(number, village, [rid], status=status)
    # Only what the test says: no identification year unless given, exit (if exited) this year.
    Household.objects.filter(pk=h.pk).update(identified_year=identified, exit_year=2020 if status == "exited" else None)
    for year, st in events.items():
        StatusEvent.objects.create(household=h, status=st, year=year, recorded_at=timezone.now())
    return h


def test_classify_is_the_published_grouping():
    assert classify(None, "poor") == classify("applicant", "poor") == "new"
    assert classify("poor", "exited") == classify("returned", "exited") == "exited"
    assert classify("exited", "returned") == "returned"
    assert classify("poor", "removed") == "removed"
    assert classify("poor", "poor") is None and classify("exited", "exited") is None
    assert classify("removed", "poor") is None  # back from removal is not "new": it needs a look, not a count


def test_sql_difference_equals_classify_for_every_pair(db):
    make_areas()
    expected = {}
    for i, (before, now) in enumerate(itertools.product(STATUSES, STATUSES)):
        events = {y: s for y, s in ((2019, before), (2020, now)) if s is not None}
        household(f"P{i:02d}", VILLAGE, events, status=now or "applicant")
        if classify(before, now) is not None:
            expected[f"P{i:02d}"] = classify(before, now)
    result = difference(2020, User.objects.create_superuser("admin"))
    got = {number: change for change, rows in result.households.items() for number, *_ in rows}
    assert got == expected
    # new: None or applicant → poor (2); exited: poor or returned → exited (2); returned: the 6 befores
    # other than returned (None included); removed: likewise 6.
    assert len(expected) == 2 + 2 + 6 + 6


def test_difference_counts_by_county_and_lists(db):
    make_areas()
    household("N1", VILLAGE, {2019: "applicant", 2020: "poor"})
    household("E1", VILLAGE, {2019: "poor", 2020: "exited"}, status="exited")
    household("R1", VILLAGE2, {2018: "poor", 2019: "exited", 2020: "returned"}, status="returned")
    household("X1", VILLAGE2, {2019: "poor", 2020: "removed"}, status="removed")
    household("C1", VILLAGE, {2017: "poor"})  # poor both years: no change
    household("F1", VILLAGE, {}, identified=2016)  # no events: identified 2016, poor both years
    household("F2", VILLAGE, {}, identified=2020)  # no events: identified this year → new
    household("O1", OTHER_VILLAGE, {2020: "poor"})
    admin = User.objects.create_superuser("admin")
    result = difference(2020, admin)
    assert result.counts == {
        "433130000000": {"new": 2, "exited": 1, "returned": 1, "removed": 1},
        "433127000000": {"new": 1},
    }
    assert [n for n, *_ in result.households["new"]] == ["O1", "F2", "N1"]  # by village code, then number
    assert result.households["returned"] == [("R1", VILLAGE2, "exited", "returned")]
    assert result.total("new") == 3
    # By township, and scoped: an officer of 龙山县 sees only that county.
    officer = User.objects.create_user("o")
    AreaRole.objects.create(user=officer, area_id=COUNTY, role="officer")
    scoped = difference(2020, officer, level="township")
    assert scoped.counts == {"433130101000": {"new": 2, "exited": 1, "returned": 1, "removed": 1}}
    assert difference(2020, admin, area=OTHER_COUNTY).total("new") == 1


def test_quota_report(db):
    make_areas()
    household("N1", VILLAGE, {2020: "poor"})
    household("R1", VILLAGE2, {2019: "exited", 2020: "returned"}, status="returned")
    household("C1", VILLAGE, {2017: "poor"})
    household("E1", VILLAGE, {2020: "exited"}, status="exited")  # exited: not counted
    applicant = household("A1", VILLAGE, {}, status="applicant")
    household("O1", OTHER_VILLAGE, {2020: "poor"})
    admin = User.objects.create_superuser("admin")
    workflow.apply(applicant, 2020, applied_by="甲", on=dt.date(2020, 3, 1), user=admin)
    # An application of a household already identified is not counted twice.
    n1 = Household.objects.get(number="N1")
    workflow.apply(n1, 2020, applied_by="乙", on=dt.date(2020, 3, 1), user=admin)

    lines = quota_report({COUNTY: 3, OTHER_COUNTY: 5}, 2020, admin)
    assert [(x.area, x.quota, x.identified, x.pending, x.proposed, x.over) for x in lines] == [
        (OTHER_COUNTY, 5, 1, 0, 1, 0), (COUNTY, 3, 3, 1, 4, 1)]
    over = yearly.exceeded(lines)
    assert [x.message.split(" / ")[0] for x in over] == ["龙山县 配额 3 户，拟识别 4 户，超出 1 户"]
    with pytest.raises(ValueError, match="not in the area table"):
        quota_report({"439999000000": 1}, 2020, admin)


def test_quota_message_formats_thousands():
    line = QuotaLine("433130000000", "某县", 1200, 1263, 0, 1263, 63)
    assert line.message.startswith("某县 配额 1,200 户，拟识别 1,263 户，超出 63 户")
