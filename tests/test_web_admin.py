"""User administration for an area administrator: only their users, no privilege flags, roles inside."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from jingzhun.areas.models import AreaRole
from jingzhun.web.admin import manageable_users
from tests.factories import COUNTY, OTHER_COUNTY, PROVINCE, VILLAGE

pytestmark = pytest.mark.django_db


@pytest.fixture
def county_admin(web) -> User:
    user = User.objects.create_user("admin_a", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=["auth", "areas"]))
    AreaRole.objects.create(user=user, area_id=COUNTY, role="administrator")
    # township_a also holds a role in the other county: not manageable from 龙山县 alone.
    AreaRole.objects.create(user=web.users["township_a"], area_id=OTHER_COUNTY, role="evaluator")
    return User.objects.get(pk=user.pk)


def test_an_area_administrator_manages_only_users_whose_every_role_is_inside(web, county_admin):
    names = set(manageable_users(county_admin).values_list("username", flat=True))
    assert names == {"officer_a", "helper_a", "auditor_a", "no_role", "admin_a"}
    client = Client()
    client.force_login(county_admin)
    listing = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "officer_a" in listing and "officer_b" not in listing and "township_a" not in listing
    root = web.users["root"]
    assert client.get(reverse("admin:auth_user_change", args=[root.pk])).status_code == 302  # not found → redirect


def test_an_area_administrator_cannot_grant_superuser_or_a_role_outside(web, county_admin):
    client = Client()
    client.force_login(county_admin)
    target = web.users["officer_a"]
    url = reverse("admin:auth_user_change", args=[target.pk])
    form = client.get(url).content.decode()
    assert 'name="is_superuser"' not in form and 'name="user_permissions"' not in form
    data = {
        "username": "officer_a", "is_active": "on", "is_superuser": "on", "is_staff": "on",
        "date_joined_0": "2020-01-01", "date_joined_1": "00:00:00",
        "area_roles-TOTAL_FORMS": "2", "area_roles-INITIAL_FORMS": "1", "area_roles-MIN_NUM_FORMS": "0",
        "area_roles-MAX_NUM_FORMS": "1000",
        "area_roles-0-id": str(AreaRole.objects.get(user=target).pk), "area_roles-0-user": str(target.pk),
        "area_roles-0-area": COUNTY, "area_roles-0-role": "officer",
        "area_roles-1-user": str(target.pk), "area_roles-1-area": PROVINCE, "area_roles-1-role": "officer",
    }
    client.post(url, data)
    target.refresh_from_db()
    assert not target.is_superuser and not target.is_staff
    assert set(AreaRole.objects.filter(user=target).values_list("area_id", flat=True)) == {COUNTY}
    data["area_roles-1-area"] = VILLAGE
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(AreaRole.objects.filter(user=target).values_list("area_id", flat=True)) == {COUNTY, VILLAGE}
