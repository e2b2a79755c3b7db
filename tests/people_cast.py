"""People records for the tests of training, talent and branches, on the area tree of tests/factories.py
(龙山县 433130 and 永顺县 433127, both national poor counties). Every expected figure in those tests is
worked out from what this file creates."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User

from jingzhun.areas.models import Area, AreaRole
from jingzhun.teams.models import Cadre
from tests.factories import OTHER_VILLAGE, VILLAGE, VILLAGE2


def officer(username: str, code: str, role: str = "officer") -> User:
    user = User.objects.create_user(username)
    AreaRole.objects.create(user=user, area_id=code, role=role)
    return User.objects.get(pk=user.pk)


def cadre(number: str, name: str, village: str = VILLAGE, status: str = "serving") -> Cadre:
    return Cadre.objects.create(personnel_number=number, name=name, unit="县农业农村局", unit_kind="county",
                                rank="staff", home_area_id=village, status=status)


def rich_county() -> str:
    """A county that is not poor (no poor_county mark), with one village: 433101 吉首市."""
    Area.objects.create(code="433101000000", name="吉首市", level="county", parent_id="433100000000")
    Area.objects.create(code="433101001000", name="镇溪街道", level="township", parent_id="433101000000")
    Area.objects.create(code="433101001001", name="富村", level="village", parent_id="433101001000")
    return "433101001001"


DAY = dt.date(2024, 5, 6)
VILLAGES = (VILLAGE, VILLAGE2, OTHER_VILLAGE)
