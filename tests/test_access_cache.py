"""Grants and permissions kept per process under the user's access stamp (jingzhun.access_cache): served
without a query while nothing changed, and never stale — whatever path changes a role, a permission, a group,
an area or the user's own flags, the very next request of the same session sees the change.

Expected households come from the cast's table (tests/web_cast.py), not from jingzhun.access."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jingzhun import access_cache
from jingzhun.areas.models import Area, AreaRole
from jingzhun.registry.models import Household
from tests.api_support import api_for
from tests.factories import COUNTY, OTHER_COUNTY, VILLAGE
from tests.web_cast import A_COUNTY, B_COUNTY, HOUSEHOLDS

pytestmark = pytest.mark.django_db

A, B = "A101-1", "B102-1"  # a household of each county


def status(client, number: str) -> int:
    return client.get(reverse("web:household", args=[number])).status_code


def seen(client) -> set[str]:
    return {n for n in HOUSEHOLDS if status(client, n) == 200}


@pytest.fixture
def officer(web):
    """officer_a's session, its grants already kept (one page read)."""
    client = web.client("officer_a")
    assert status(client, A) == 200 and status(client, B) == 404
    return client


def test_grants_and_permissions_come_from_the_cache_while_nothing_changes(web, officer):
    with CaptureQueriesContext(connection) as queries:
        assert status(officer, A) == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "areas_arearole" not in sql and "auth_permission" not in sql
    access_cache.clear()  # a new process: read again, once
    with CaptureQueriesContext(connection) as queries:
        assert status(officer, A) == 200
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert "areas_arearole" in sql and "auth_permission" in sql


def test_a_role_added_through_the_orm_is_seen_at_once(web, officer):
    AreaRole.objects.create(user=web.users["officer_a"], area_id=OTHER_COUNTY, role="officer")
    assert seen(officer) == A_COUNTY | B_COUNTY


def test_a_role_removed_through_a_queryset_delete_is_gone_at_once(web, officer):
    AreaRole.objects.filter(user=web.users["officer_a"]).delete()
    assert status(officer, A) == 403  # no role left: no register ability at all


def test_a_queryset_update_which_sends_no_signal_is_seen_at_once(web, officer):
    AreaRole.objects.filter(user=web.users["officer_a"]).update(area_id=OTHER_COUNTY)
    assert seen(officer) == B_COUNTY


def test_bulk_create_ignoring_conflicts_is_seen_at_once(web, officer):
    # SQLite would let the outer INSERT OR IGNORE override a conflict clause inside the trigger.
    AreaRole.objects.bulk_create([AreaRole(user=web.users["officer_a"], area_id=OTHER_COUNTY, role="officer"),
                                  AreaRole(user=web.users["officer_a"], area_id=COUNTY, role="officer")],
                                 ignore_conflicts=True)
    assert seen(officer) == A_COUNTY | B_COUNTY


def test_raw_sql_is_seen_at_once(web, officer):
    with connection.cursor() as cur:
        cur.execute("DELETE FROM areas_arearole WHERE user_id = %s", [web.users["officer_a"].pk])
    assert status(officer, A) == 403


def test_a_helper_role_narrowed_to_pairs_is_seen_at_once(web, officer):
    AreaRole.objects.filter(user=web.users["officer_a"]).update(role="helper", area_id=VILLAGE)
    assert seen(officer) == set()  # officer_a is nobody's helper


def test_an_areas_level_changed_is_seen_at_once(web, officer):
    # The county recorded as a province would span the whole province (43…): both counties.
    with connection.cursor() as cur:
        cur.execute("UPDATE areas_area SET level = 'province' WHERE code = %s", [COUNTY])
    assert seen(officer) == A_COUNTY | B_COUNTY
    Area.objects.filter(code=COUNTY).update(level="county")
    assert seen(officer) == A_COUNTY


def test_deactivation_and_superuser_flags_are_seen_at_once(web, officer):
    User.objects.filter(pk=web.users["officer_a"].pk).update(is_superuser=True)
    assert seen(officer) == set(HOUSEHOLDS)
    User.objects.filter(pk=web.users["officer_a"].pk).update(is_superuser=False)
    assert seen(officer) == A_COUNTY
    User.objects.filter(pk=web.users["officer_a"].pk).update(is_active=False)
    response = officer.get(reverse("web:household", args=[A]))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def birth_shown(client) -> bool:
    """Whether the household page shows 张德明's whole birth date (the reveal permission) or the year only."""
    html = client.get(reverse("web:household", args=[A])).content.decode()
    assert ">1968<" in html or "1968-03-14" in html
    return "1968-03-14" in html


def test_permissions_given_and_taken_directly_or_through_a_group_are_seen_at_once(web, officer):
    reveal = Permission.objects.get(codename="reveal_sensitive", content_type__app_label="registry")
    user = web.users["officer_a"]
    assert not birth_shown(officer)
    user.user_permissions.add(reveal)
    assert birth_shown(officer)
    user.user_permissions.remove(reveal)
    assert not birth_shown(officer)
    group = Group.objects.create(name="revealers")
    user.groups.add(group)
    assert not birth_shown(officer)
    group.permissions.add(reveal)  # a change to the group, not to the user
    assert birth_shown(officer)
    group.permissions.clear()
    assert not birth_shown(officer)


def test_the_api_sees_a_role_change_at_once(web):
    api = api_for(web.users["officer_a"])
    pk = Household.objects.get(number=A).pk
    assert api.get(f"/households/{pk}").status_code == 200
    assert api.get(f"/households/{pk}").status_code == 200  # served from the cache now
    AreaRole.objects.filter(user=web.users["officer_a"]).update(area_id=OTHER_COUNTY)
    assert api.get(f"/households/{pk}").status_code == 404
