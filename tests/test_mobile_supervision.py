"""The supervision alerts that read what the phone recorded: entry time against visit time (late_entry) and the
location the phone reported (poor_location). Planted visits, each on one side of a limit, with the alerts and
their counts worked out by hand."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from jingzhun.teams import supervision
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.models import Visit
from jingzhun.teams.supervision import Window
from tests.factories import COUNTY, OTHER_VILLAGE, VILLAGE, VILLAGE2, make_areas
from tests.test_teams import cadre, household

pytestmark = pytest.mark.django_db
BJ = zoneinfo.ZoneInfo("Asia/Shanghai")
AS_OF = dt.datetime(2020, 6, 30, 12, 0, tzinfo=BJ)
AT = dt.datetime(2020, 6, 10, 9, 0, tzinfo=BJ)


@pytest.fixture
def tree(db):
    make_areas()


def visit(h_number: str, village: str, *, lag: dt.timedelta = dt.timedelta(0), channel: str = "phone",
          accuracy: str | None = "10", located: bool = True, by: str = "王帮扶", minutes: int = 0) -> Visit:
    k = cadre(f"k-{h_number}", village, "")
    h = household(h_number, village)
    at = AT + dt.timedelta(minutes=minutes)
    return Visit.objects.create(cadre=k, household=h, visited_at=at, recorded_at=at + lag, entered_by=by,
                                latitude=Decimal("28.5") if located else None,
                                longitude=Decimal("109.4") if located else None,
                                location_accuracy=None if accuracy is None or not located else Decimal(accuracy),
                                channel=channel)


def test_late_entry_counts_visits_entered_one_by_one_beyond_the_limit(tree):
    limit = dt.timedelta(hours=72)
    late = [visit("L1", VILLAGE, lag=limit + dt.timedelta(seconds=1)),
            visit("L2", VILLAGE, lag=dt.timedelta(days=10), channel="api")]
    visit("L3", VILLAGE, lag=limit)  # exactly at the limit: not late
    visit("L4", VILLAGE, lag=dt.timedelta(days=10), channel="file")  # a file's import: bulk_late_entry's business
    visit("L5", VILLAGE, lag=dt.timedelta(days=4), by="李录入")  # another person: an alert of their own
    visit("L6", OTHER_VILLAGE, lag=dt.timedelta(days=4))  # outside the window's root
    found = supervision.late_entry(supervision.window_for(COUNTY, as_of=AS_OF), SupervisionConfig())
    assert [(a.evidence["录入人"], a.evidence["走访数"], a.area) for a in found] == [
        ("李录入", 1, VILLAGE), ("王帮扶", 2, VILLAGE)]
    mine = found[1]
    assert mine.evidence["走访ID"] == sorted(v.pk for v in late)
    assert mine.evidence["最长滞后小时"] == 240 and mine.label.startswith("走访录入滞后")
    # A province that allows five days: only the ten-day-late visit is left.
    relaxed = supervision.late_entry(Window(AS_OF), SupervisionConfig(entry_lag_hours=120))
    assert [(a.evidence["录入人"], a.evidence["走访数"]) for a in relaxed] == [("王帮扶", 1)]


def test_poor_location_reads_the_phones_accuracy_and_missing_locations(tree):
    bad = [visit("P1", VILLAGE, accuracy="100.1"),  # just worse than 100 m
           visit("P2", VILLAGE, located=False),  # no location at all
           visit("P3", VILLAGE, accuracy=None)]  # coordinates without the accuracy the phone reports
    visit("P4", VILLAGE, accuracy="100")  # exactly the limit: precise enough
    visit("P5", VILLAGE, accuracy="8.5")
    visit("P6", VILLAGE, located=False, channel="file")  # a file's visit: never held to the phone's rule
    visit("P7", VILLAGE, located=False, channel="api")
    visit("P8", VILLAGE2, accuracy="900", by="李录入")
    found = supervision.poor_location(Window(AS_OF), SupervisionConfig())
    assert [(a.area, a.evidence["录入人"], a.evidence["走访数"], a.evidence["无定位数"]) for a in found] == [
        (VILLAGE, "王帮扶", 3, 2), (VILLAGE2, "李录入", 1, 0)]
    assert found[0].evidence["走访ID"] == sorted(v.pk for v in bad)
    assert found[0].evidence["最大误差米"] == "100" and found[1].evidence["最大误差米"] == "900"
    loose = supervision.poor_location(Window(AS_OF), SupervisionConfig(location_accuracy_m=1000))
    assert [(a.evidence["录入人"], a.evidence["走访数"]) for a in loose] == [("王帮扶", 2)]


def test_the_new_kinds_run_with_all_the_others(tree):
    visit("A1", VILLAGE, lag=dt.timedelta(days=5), located=False)
    kinds = {a.kind for a in supervision.alerts(Window(AS_OF), kinds=["late_entry", "poor_location"])}
    assert kinds == {"late_entry", "poor_location"}


def test_an_accuracy_without_coordinates_cannot_be_stored(tree):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Visit.objects.create(cadre=cadre("k", VILLAGE, ""), household=household("X", VILLAGE), visited_at=AT,
                             recorded_at=AT, entered_by="x", location_accuracy=Decimal("5"))


@pytest.mark.parametrize("check", ["late_entry", "poor_location"])
def test_the_typed_visit_alerts_read_only_the_channel_index_on_sqlite(tree, check):
    """The two alerts over typed visits are answered from the covering index `visit_channel_time` (teams 0009),
    searched by channel and the window's time, never by a scan of every visit (bench/bench_visit_channel.py)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL chooses its plan from its statistics")
    visit("P1", VILLAGE, lag=dt.timedelta(days=10), accuracy="500")
    window = supervision.window_for(COUNTY, as_of=AS_OF, since=AS_OF - dt.timedelta(days=90))
    with CaptureQueriesContext(connection) as seen:
        assert supervision.CHECKS[check](window, SupervisionConfig())
    sql = next(q["sql"] for q in seen.captured_queries if "teams_visit" in q["sql"])
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + sql)
        plan = " ".join(str(row[-1]) for row in cur.fetchall())
    assert "COVERING INDEX visit_channel_time (channel=? AND visited_at>? AND visited_at<?)" in plan, plan
