"""The demo's people work (jingzhun.demo.people): on a small county with cadres it fills training, the talent
pool with balanced funds, and party branches with weak ratings — through the real paths (audited) — and a
second run changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from jingzhun.audit.models import AuditEntry
from jingzhun.branches.models import Branch, Election, Rating
from jingzhun.demo import people
from jingzhun.talent import funds
from jingzhun.talent.models import Payment, Scheme, Talent
from jingzhun.training.models import Course, Enrolment
from tests.factories import OTHER_VILLAGE, VILLAGE, VILLAGE2, make_areas
from tests.people_cast import cadre

pytestmark = pytest.mark.django_db
TODAY = dt.date(2024, 9, 15)


def test_the_demo_fills_every_people_part_once(db):
    make_areas()
    for i in range(30):
        cadre(f"D{i:03d}", f"干部{i}", (VILLAGE, VILLAGE2, OTHER_VILLAGE)[i % 3])
    people.run(TODAY, say=lambda _text: None)
    assert Course.objects.count() == 8  # four in each county
    assert Enrolment.objects.filter(course__topic="poverty_work", course__start_date__year=2024).exists()
    assert Talent.objects.count() == 24 and Talent.objects.filter(end_date__isnull=False).exists()
    assert Payment.objects.filter(kind="reversal").count() == 2
    for scheme in Scheme.objects.all():
        got = funds.balance(scheme.pk, 2024)
        assert 0 < got.paid <= got.allocated
    assert Branch.objects.count() == 3 and Rating.objects.filter(year=2023).count() == 3
    # Each branch's 2021 election, through the elections import (one audit row per county's file).
    assert set(Election.objects.filter(kind="regular").values_list("branch__village_id", flat=True)) == {
        VILLAGE, VILLAGE2, OTHER_VILLAGE}
    assert AuditEntry.objects.filter(action="branch_elections.import").count() == 2
    assert AuditEntry.objects.filter(action="course_roster.import").count() == 2
    counts = (Course.objects.count(), Enrolment.objects.count(), Payment.objects.count(), Rating.objects.count())
    people.run(TODAY, say=lambda _text: None)
    assert (Course.objects.count(), Enrolment.objects.count(), Payment.objects.count(), Rating.objects.count()) == counts


@pytest.mark.parametrize("today", [dt.date(2025, 1, 1), dt.date(2025, 1, 3), dt.date(2025, 1, 15)])
def test_the_demo_run_in_january_allocates_in_the_past(db, today):
    """The demo's fund is allocated on 15 January, or on the day before a run earlier than that: never ahead of
    the day it runs (the service refuses a future date)."""
    from jingzhun.talent.models import Allocation

    make_areas()
    for i in range(6):
        cadre(f"J{i:03d}", f"干部{i}", (VILLAGE, OTHER_VILLAGE)[i % 2])
    people.run(today, say=lambda _text: None)
    days = set(Allocation.objects.values_list("made_on", flat=True))
    assert days == {min(dt.date(2025, 1, 15), today - dt.timedelta(days=1))}


def test_the_demos_allocation_day_is_before_every_day_of_the_year():
    day = dt.date(2028, 1, 1)
    while day.year == 2028:
        made = people.allocated_on(day)
        assert made < day and (made == dt.date(2028, 1, 15) or day <= dt.date(2028, 1, 15))
        day += dt.timedelta(days=1)
