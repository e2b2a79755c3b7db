"""User administration for an area administrator: only users holding nothing the administrator could not
grant, never themselves, no privilege flags, only grantable roles inside their areas — every change audited.
The attacks go through the Django test client against the admin's own URLs, as a browser would post them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.web.admin import manageable_users
from tests.factories import COUNTY, OTHER_COUNTY, PROVINCE, VILLAGE, VILLAGE2

pytestmark = pytest.mark.django_db


def change_form(target: User, roles: list[tuple[str, str]], **fields: str) -> dict[str, str]:
    """The user-change form as the admin page posts it, with the inline role formset: the target's existing
    role rows first (edited to `roles` in order), then new rows."""
    existing = list(AreaRole.objects.filter(user=target).order_by("pk"))
    joined = timezone.localtime(User.objects.get(pk=target.pk).date_joined)
    data = {"username": target.username, "is_active": "on", "date_joined_0": f"{joined:%Y-%m-%d}",
            "date_joined_1": f"{joined:%H:%M:%S}", "area_roles-TOTAL_FORMS": str(max(len(roles), len(existing))),
            "area_roles-INITIAL_FORMS": str(len(existing)), "area_roles-MIN_NUM_FORMS": "0",
            "area_roles-MAX_NUM_FORMS": "1000", **fields}
    for i, (area, role) in enumerate(roles):
        data.update({f"area_roles-{i}-user": str(target.pk), f"area_roles-{i}-area": area,
                     f"area_roles-{i}-role": role})
        if i < len(existing):
            data[f"area_roles-{i}-id"] = str(existing[i].pk)
    return data


def password_form(password: str = "Neu-Passwort-2024!") -> dict[str, str]:
    return {"password1": password, "password2": password, "usable_password": "true"}


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
    # Not officer_a (an officer: not grantable), auditor_a, admin_a themselves, township_a (a role elsewhere).
    assert names == {"helper_a", "no_role"}
    client = Client()
    client.force_login(county_admin)
    listing = client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "helper_a" in listing and "officer_b" not in listing and "township_a" not in listing
    assert "officer_a" not in listing
    root = web.users["root"]
    assert client.get(reverse("admin:auth_user_change", args=[root.pk])).status_code == 302  # not found → redirect


def test_an_area_administrator_cannot_grant_superuser_or_a_role_outside(web, county_admin):
    client = Client()
    client.force_login(county_admin)
    target = web.users["helper_a"]
    url = reverse("admin:auth_user_change", args=[target.pk])
    form = client.get(url).content.decode()
    assert 'name="is_superuser"' not in form and 'name="user_permissions"' not in form
    data = change_form(target, [(VILLAGE, "helper"), (PROVINCE, "helper")])
    data.update(is_superuser="on", is_staff="on")
    client.post(url, data)
    target.refresh_from_db()
    assert not target.is_superuser and not target.is_staff
    assert set(AreaRole.objects.filter(user=target).values_list("area_id", flat=True)) == {VILLAGE}
    data = change_form(target, [(VILLAGE, "helper"), (VILLAGE2, "work_team")])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(AreaRole.objects.filter(user=target).values_list("area_id", "role")) == {
        (VILLAGE, "helper"), (VILLAGE2, "work_team")}


def test_an_area_administrator_cannot_take_over_an_officer_who_may_reveal(web, county_admin):
    """The report's attack: reset the password of an officer holding the reveal permission, in the
    administrator's own county. The officer is not theirs to manage: not found, the hash unchanged."""
    officer = web.users["officer_a"]
    officer.set_password("old-secret-1")
    officer.save()
    officer.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    before = User.objects.get(pk=officer.pk).password
    client = Client()
    client.force_login(county_admin)
    response = client.post(reverse("admin:auth_user_password_change", args=[officer.pk]), password_form())
    assert response.status_code == 404
    assert User.objects.get(pk=officer.pk).password == before
    # The same for a helper in the county who was given the reveal permission by a superuser.
    helper = web.users["helper_a"]
    helper.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    assert client.post(reverse("admin:auth_user_password_change", args=[helper.pk]),
                       password_form()).status_code == 404
    assert not AuditEntry.objects.filter(action="user.password").exists()


def test_an_area_administrator_cannot_grant_themselves_a_role(web, county_admin):
    client = Client()
    client.force_login(county_admin)
    url = reverse("admin:auth_user_change", args=[county_admin.pk])
    response = client.post(url, change_form(county_admin, [(COUNTY, "administrator"), (COUNTY, "officer")]))
    assert response.status_code in (302, 404)
    assert set(AreaRole.objects.filter(user=county_admin).values_list("role", flat=True)) == {"administrator"}
    # Nor through the role table's own admin page (the same rules: themselves, an officer role).
    for role in ("officer", "helper"):
        response = client.post(reverse("admin:areas_arearole_add"),
                               {"user": str(county_admin.pk), "area": VILLAGE, "role": role})
        assert response.status_code == 200 and "user" in response.context["adminform"].form.errors
    own = AreaRole.objects.get(user=county_admin)
    response = client.post(reverse("admin:areas_arearole_change", args=[own.pk]),
                           {"user": str(county_admin.pk), "area": COUNTY, "role": "officer"})
    assert response.status_code == 403
    assert set(AreaRole.objects.filter(user=county_admin).values_list("role", flat=True)) == {"administrator"}
    # Nor through a group: groups (and their permissions) are for superusers.
    reveal = Permission.objects.get(codename="reveal_sensitive")
    response = client.post(reverse("admin:auth_group_add"), {"name": "揭示", "permissions": [str(reveal.pk)]})
    assert response.status_code == 403 and not Group.objects.exists()


def test_an_area_administrator_grants_only_the_configured_roles(web, county_admin, settings):
    client = Client()
    client.force_login(county_admin)
    target = web.users["no_role"]
    url = reverse("admin:auth_user_change", args=[target.pk])
    for role in ("officer", "evaluator", "auditor", "administrator"):
        response = client.post(url, change_form(target, [(VILLAGE, role)]))
        assert response.status_code == 200 and "errornote" in response.content.decode(), role
        assert not AreaRole.objects.filter(user=target).exists()
    settings.ADMIN_GRANTABLE_ROLES = ["helper", "work_team", "evaluator"]
    assert client.post(url, change_form(target, [(VILLAGE, "evaluator")])).status_code == 302
    assert list(AreaRole.objects.filter(user=target).values_list("area_id", "role")) == [(VILLAGE, "evaluator")]


def test_another_administrator_or_a_user_with_permissions_is_not_manageable(web, county_admin):
    peer = User.objects.create_user("admin_a2")
    AreaRole.objects.create(user=peer, area_id=VILLAGE, role="administrator")
    staff = User.objects.create_user("staff_a", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_household"))
    grouped = User.objects.create_user("grouped_a")
    grouped.groups.add(Group.objects.create(name="g"))
    names = set(manageable_users(county_admin).values_list("username", flat=True))
    assert not names & {"admin_a2", "staff_a", "grouped_a"}
    client = Client()
    client.force_login(county_admin)
    for user in (peer, staff, grouped):
        assert client.post(reverse("admin:auth_user_password_change", args=[user.pk]),
                           password_form()).status_code == 404


def test_every_user_role_and_password_change_is_audited(web, county_admin):
    client = Client()
    client.force_login(county_admin)
    target = web.users["helper_a"]
    url = reverse("admin:auth_user_change", args=[target.pk])
    assert client.post(url, change_form(target, [(VILLAGE, "helper"), (VILLAGE2, "work_team")])).status_code == 302
    grant = AuditEntry.objects.get(action="role.grant")
    assert (grant.actor, grant.object_id, grant.area) == ("admin_a", str(target.pk), VILLAGE2)
    assert grant.detail["target"] == "helper_a" and grant.detail["role_granted"] == "work_team"
    # Revoking the helper role (the row marked for deletion), changing the e-mail.
    data = change_form(target, [(VILLAGE, "helper"), (VILLAGE2, "work_team")], email="h@example.org")
    data["area_roles-0-DELETE"] = "on"
    assert client.post(url, data).status_code == 302
    revoke = AuditEntry.objects.get(action="role.revoke")
    assert (revoke.area, revoke.detail["role_revoked"], revoke.detail["target"]) == (VILLAGE, "helper", "helper_a")
    change = AuditEntry.objects.filter(action="user.change").order_by("-id").first()
    assert "email" in change.detail["fields"]
    assert sorted(change.areas.values_list("code", flat=True)) == [VILLAGE, VILLAGE2]  # the row's areas (item 9)
    # A new password.
    response = client.post(reverse("admin:auth_user_password_change", args=[target.pk]), password_form())
    assert response.status_code == 302
    assert User.objects.get(pk=target.pk).check_password("Neu-Passwort-2024!")
    entry = AuditEntry.objects.get(action="user.password")
    assert (entry.actor, entry.object_id, entry.area) == ("admin_a", str(target.pk), VILLAGE2)
    assert "Neu-Passwort" not in str(entry.detail)
    # A new user.
    response = client.post(reverse("admin:auth_user_add"), {
        "username": "new_helper", **password_form(), "area_roles-TOTAL_FORMS": "1", "area_roles-INITIAL_FORMS": "0",
        "area_roles-MIN_NUM_FORMS": "0", "area_roles-MAX_NUM_FORMS": "1000", "area_roles-0-area": VILLAGE,
        "area_roles-0-role": "helper"})
    assert response.status_code == 302
    created = AuditEntry.objects.get(action="user.create")
    assert created.detail["target"] == "new_helper" and created.actor == "admin_a"
    assert AuditEntry.objects.filter(action="role.grant", area=VILLAGE, detail__target="new_helper").count() == 1


def test_a_superuser_granting_permissions_is_audited(web):
    client = web.client("root")
    target = web.users["officer_a"]
    reveal = Permission.objects.get(codename="reveal_sensitive")
    data = change_form(target, [(COUNTY, "officer")], user_permissions=str(reveal.pk))
    response = client.post(reverse("admin:auth_user_change", args=[target.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert target.user_permissions.filter(pk=reveal.pk).exists()
    entry = AuditEntry.objects.get(action="permission.grant")
    assert entry.actor == "root" and entry.detail["permissions"] == ["registry.reveal_sensitive"]
    assert entry.area == COUNTY and entry.detail["target"] == "officer_a"


def test_the_role_table_keeps_the_rules(web, county_admin):
    client = Client()
    client.force_login(county_admin)
    target = web.users["no_role"]
    url = reverse("admin:areas_arearole_add")
    refused = client.post(url, {"user": str(target.pk), "area": VILLAGE, "role": "officer"})
    assert refused.status_code == 200 and "role" in refused.context["adminform"].form.errors
    refused = client.post(url, {"user": str(target.pk), "area": OTHER_COUNTY, "role": "helper"})
    assert refused.status_code == 200 and "area" in refused.context["adminform"].form.errors
    assert client.post(url, {"user": str(target.pk), "area": VILLAGE, "role": "helper"}).status_code == 302
    grant = AuditEntry.objects.get(action="role.grant")
    assert (grant.actor, grant.area, grant.detail["target"]) == ("admin_a", VILLAGE, "no_role")
    # An officer's role in the county is not the administrator's to delete.
    officer_role = AreaRole.objects.get(user=web.users["officer_a"])
    assert client.post(reverse("admin:areas_arearole_delete", args=[officer_role.pk]), {"post": "yes"}).status_code == 403
    assert AreaRole.objects.filter(pk=officer_role.pk).exists()


@pytest.mark.parametrize("weak", ["a", "12345678901234", "password1234", "helper_a2026"])
def test_a_weak_password_is_refused_and_nothing_changes(web, weak):
    """ASVS V6.2.1/V6.2.4/V6.2.11: too short, only digits, common, or the user's own name."""
    root = web.users["root"]
    target = web.users["helper_a"]
    before = User.objects.get(pk=target.pk).password
    client = Client()
    client.force_login(root)
    response = client.post(reverse("admin:auth_user_password_change", args=[target.pk]), password_form(weak))
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert User.objects.get(pk=target.pk).password == before
    assert not AuditEntry.objects.filter(action="user.password").exists()


def test_a_helper_in_the_admin_sees_only_their_paired_households(web):
    """As on every page (access.households): a helper role counts only the helper's own pairs, not the whole
    village — A101-3 is in the same village as their A101-1."""
    helper = web.users["helper_a"]
    helper.is_staff = True
    helper.save()
    helper.user_permissions.add(*Permission.objects.filter(codename__in=["view_household", "view_member"]))
    client = Client()
    client.force_login(helper)
    households = client.get(reverse("admin:registry_household_changelist"))
    assert {h.number for h in households.context["cl"].result_list} == {"A101-1"}
    members = client.get(reverse("admin:registry_member_changelist"))
    assert {m.household.number for m in members.context["cl"].result_list} == {"A101-1"}
