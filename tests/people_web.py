"""People records on the web cast (tests/web_cast.py): in each county a cadre on a course, a person in the
talent pool with a scheme, its fund and a payment, and a party branch rated weak with an overdue
rectification. Each record carries a name that appears nowhere else, so a page that shows another county's
record is caught by name (`OUTSIDE_NAMES`)."""

from __future__ import annotations

import datetime as dt

from jingzhun.branches.models import Branch, Election, Rating
from jingzhun.talent.models import Allocation, Payment, Scheme, Talent
from jingzhun.teams.models import Cadre
from jingzhun.training.models import Course, Enrolment
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE

YEAR = 2024
DAY = dt.date(YEAR, 3, 4)
# county → the names of its people records, as pages show them.
NAMES = {
    COUNTY: {"course": "龙山脱贫攻坚专题班", "cadre": "龙学员", "talent": "龙人才", "scheme": "龙山三支一扶",
             "branch": "洗车村党支部", "elected": "龙换届书记"},
    OTHER_COUNTY: {"course": "永顺电商考察班", "cadre": "永学员", "talent": "永人才", "scheme": "永顺返乡计划",
                   "branch": "司城村党支部", "elected": "永换届书记"},
}
VILLAGE_OF = {COUNTY: VILLAGE, OTHER_COUNTY: OTHER_VILLAGE}


def add_people() -> dict[str, dict[str, int]]:
    """The records above; returns county → the ids of its course, talent, scheme, payment, branch, rating."""
    ids: dict[str, dict[str, int]] = {}
    for county, names in NAMES.items():
        village = VILLAGE_OF[county]
        course = Course.objects.create(code=f"C-{county[:6]}", title=names["course"], topic="poverty_work",
                                       kind="thematic", start_date=DAY, end_date=DAY, hours_tenths=80, place="党校",
                                       organiser="组织部", area_id=county)
        cadre = Cadre.objects.create(personnel_number=f"P-{county[:6]}", name=names["cadre"], unit="县直",
                                     unit_kind="county", rank="staff", home_area_id=village)
        Enrolment.objects.create(course=course, cadre=cadre, status="incomplete", attended_tenths=40)
        scheme = Scheme.objects.create(code=f"S-{county[:6]}", name=names["scheme"], recruited="graduate",
                                       area_id=county, start_year=YEAR)
        talent = Talent.objects.create(name=names["talent"], speciality="health", area_id=village,
                                       recruited="graduate", scheme=scheme, start_date=DAY)
        Allocation.objects.create(scheme=scheme, year=YEAR, amount_fen=100_000, made_on=DAY, entered_by="t")
        payment = Payment.objects.create(scheme=scheme, year=YEAR, talent=talent, kind="subsidy", amount_fen=30_000,
                                         paid_on=DAY, entered_by="t")
        branch = Branch.objects.create(village_id=village, name=names["branch"], secretary="书记", members=30)
        Election.objects.create(branch=branch, held_on=DAY, kind="regular", secretary=names["elected"], votes=21)
        rating = Rating.objects.create(branch=branch, year=YEAR, rating="weak", reason="leader", plan="整顿",
                                       deadline=dt.date(YEAR, 6, 30), responsible="乡党委", entered_by="t")
        ids[county] = {"course": course.pk, "talent": talent.pk, "scheme": scheme.pk, "payment": payment.pk,
                       "branch": branch.pk, "rating": rating.pk, "cadre": cadre.pk}
    return ids


def names_outside(county_codes_seen: set[str]) -> set[str]:
    """The names of the people records of the counties not in `county_codes_seen`."""
    return {name for county, names in NAMES.items() if county not in county_codes_seen for name in names.values()}
