"""The demo's exits: one application stopped at each step of the exit procedure in each county with
exits of the last exit year; the eligible ones filed without an override; a second run files nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from jingzhun.appraisal.models import Application
from jingzhun.areas.models import AreaRole
from jingzhun.demo import exits
from jingzhun.registry.models import Household, IncomeRecord
from tests.factories import COUNTY, VILLAGE, make_areas, resident_id
from tests.test_crosscheck import make_household

pytestmark = pytest.mark.django_db


def test_the_demo_files_an_exit_at_every_step_once(db):
    make_areas()
    officer = User.objects.create_user("county")
    AreaRole.objects.create(user=officer, area_id=COUNTY, role="officer")
    for i in range(len(exits.STOPS) + 2):
        hh = make_household(f"E{i:02d}", VILLAGE, [resident_id("433130", dt.date(1960, 1, 1 + i), 60 + i, True)],
                            status="exited")
        Household.objects.filter(pk=hh.pk).update(exit_year=2020)
        for year in (2019, 2020):
            # Two of them below the 2020 line: they are filed with the override, after the eligible ones.
            wage = Decimal(3000 if i >= len(exits.STOPS) - 1 and year == 2020 else 8000)
            IncomeRecord.objects.create(household=hh, year=year, wage_income=wage, production_income=0,
                                        production_costs=0, property_income=0, transfer_income=0,
                                        medical_expenses=0)
    said: list[str] = []
    assert exits.run(dt.date(2026, 5, 1), say=said.append) == len(exits.STOPS)
    apps = Application.objects.filter(kind="exit").order_by("household__number")
    states = [a.state for a in apps]
    assert states == ["applied", "appraised", "rejected", "verified", "rejected", "rejected", "consented",
                      "first_notice", "applied", "township_review", "approved", "announced"]
    overridden = [a.household.number for a in apps if a.steps.get(action="apply").reason]
    assert overridden == ["E11"]  # eleven eligible households first, then one proposed over the check
    assert apps.get(state="announced").policies_until == 2025
    assert exits.run(dt.date(2026, 5, 1), say=said.append) == 0
    assert said[0].startswith("  脱贫退出申请 / exit applications: 12")
