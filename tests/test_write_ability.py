"""Red team (stop 21): every write and every download checks the roles that carry ITS ability, not "any role".

The attack that found the supervision-alerts hole: a user who is an officer of 永顺县 (county B) and also holds
a role over 龙山县 (county A) that only lets them SEE it — an auditor, an evaluator, a helper. Their roles grant the
ability somewhere (B), and they see A; a write or an export that asks "may the user do X at all?" and then "does
the user see this area?" lets them do X in A. Each test below is that attack on one entry point: it fails when the
entry point scopes the write by all of the user's roles, and shows that the same user may still do it in B (or
that an officer of A may), so a test cannot pass by refusing everything.

The expected outcomes come from the cast's table (tests/web_cast.py) and the roles given here, never from
jingzhun.access.
"""

from __future__ import annotations

from io import BytesIO

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from jingzhun.areas.models import AreaRole, VillageRecord
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.models import Household, Member
from jingzhun.teams.models import Cadre, WorkTeam
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE
from tests.test_access import form_data

pytestmark = pytest.mark.django_db

SEE_ONLY = ["auditor", "evaluator", "helper"]


def mixed(name: str, see_role: str, *, staff: bool = False, codenames: tuple[str, ...] = ()) -> tuple[User, Client]:
    """An officer of county B who also holds `see_role` over county A (a helper: over A's village 洗车村)."""
    user = User.objects.create_user(name, is_staff=staff)
    AreaRole.objects.create(user=user, area_id=OTHER_COUNTY, role="officer")
    AreaRole.objects.create(user=user, area_id=VILLAGE if see_role == "helper" else COUNTY, role=see_role)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return user, client


def posted(client: Client, web, url: str, **changes: str):
    """POST the admin form at `url` as it stands (as the user's own page shows it, else as a superuser's), with
    `changes`."""
    page = client.get(url)
    data = form_data(page if page.status_code == 200 and "adminform" in page.context else web.client("root").get(url))
    return client.post(url, {**data, **changes})


def sheet_rows(response) -> list[list]:
    book = CalamineWorkbook.from_filelike(BytesIO(b"".join(response.streaming_content)))
    return book.get_sheet_by_index(0).to_python()[1:]


# --------------------------------------------------------------------------- supervision alerts: the export


def test_alerts_of_a_county_seen_only_as_auditor_are_not_exported_by_an_officer_of_another(web):
    """The page shows A's alerts to an auditor of A (reading is theirs); the XLSX takes them away, which is
    "export" — an ability their role over A does not carry, only their officer role over B. (An evaluator's
    role carries "export": theirs is not this attack.)"""
    _user, client = mixed("m1", "auditor")
    shown = client.get(reverse("web:alerts") + f"?area={COUNTY}&kind=unvisited")
    assert shown.status_code == 200 and len(shown.context["alerts"]) == 3  # A101-1, A101-2, A102-1: they see them
    assert shown.context["may_export"] is False  # no export button where the export is refused
    taken = client.get(reverse("web:alerts") + f"?area={COUNTY}&kind=unvisited&format=xlsx")
    assert taken.status_code in (403, 404)
    assert not AuditEntry.objects.filter(action="supervision.export").exists()
    # Their own county exports: B's two needy households (B102-1 poor, B102-2 returned), nothing of A.
    own = client.get(reverse("web:alerts") + f"?area={OTHER_COUNTY}&kind=unvisited&format=xlsx")
    assert own.status_code == 200
    assert sorted(r[3] for r in sheet_rows(own)) == ["户 B102-1", "户 B102-2"]
    assert client.get(reverse("web:alerts") + f"?area={OTHER_COUNTY}").context["may_export"] is True


# --------------------------------------------------------------------------- the admin: register edits


def test_an_auditor_of_a_county_does_not_edit_its_households_in_the_admin(web):
    """With the change permission (given for their own county's work), an officer of B who audits A opens A's
    household read-only: a POST changing it is refused and nothing changes, nothing is audited."""
    _user, client = mixed("m2", "auditor", staff=True, codenames=("view_household", "change_household"))
    target = Household.objects.get(number="A101-1")
    url = reverse("admin:registry_household_change", args=[target.pk])
    response = posted(client, web, url, housing_grade="D", primary_cause="disability")
    assert response.status_code == 403
    after = Household.objects.get(pk=target.pk)
    assert (after.housing_grade, after.primary_cause) == (target.housing_grade, target.primary_cause)
    assert not AuditEntry.objects.filter(action="household.admin_change").exists()
    # The same user edits a household of their own county B.
    own = Household.objects.get(number="B102-1")
    url = reverse("admin:registry_household_change", args=[own.pk])
    assert posted(client, web, url, primary_cause="disability").status_code == 302
    assert Household.objects.get(pk=own.pk).primary_cause == "disability"


def test_an_auditor_of_a_county_does_not_delete_its_households_in_the_admin(web):
    """The list's bulk delete asks for the delete permission without an object: it must not reach A's rows."""
    _user, client = mixed("m3", "auditor", staff=True, codenames=("view_household", "delete_household"))
    target = Household.objects.get(number="A101-2")
    response = client.post(reverse("admin:registry_household_changelist"),
                           {"action": "delete_selected", "_selected_action": [str(target.pk)], "post": "yes"})
    assert response.status_code in (200, 302, 403)
    assert Household.objects.filter(pk=target.pk).exists()
    single = client.post(reverse("admin:registry_household_delete", args=[target.pk]), {"post": "yes"})
    assert single.status_code == 403 and Household.objects.filter(pk=target.pk).exists()


def test_an_auditor_of_a_county_does_not_move_a_household_into_it(web):
    """A move needs both ends in the areas where the user writes the register: B's household into A's village
    is refused for the officer of B who only audits A (the village is not a choice for them)."""
    _user, client = mixed("m4", "auditor", staff=True, codenames=("view_household", "change_household"))
    own = Household.objects.get(number="B102-1")
    url = reverse("admin:registry_household_change", args=[own.pk])
    response = posted(client, web, url, village=VILLAGE)
    assert response.status_code == 200 and "village" in response.context["adminform"].form.errors
    assert Household.objects.get(pk=own.pk).village_id == OTHER_VILLAGE


@pytest.mark.parametrize("see_role", SEE_ONLY)
def test_a_member_of_a_county_seen_only_is_not_edited_in_the_admin(web, see_role):
    _user, client = mixed(f"m5{see_role}", see_role, staff=True, codenames=("view_member", "change_member"))
    member = Member.objects.filter(household__number="A101-1").order_by("position").first()
    url = reverse("admin:registry_member_change", args=[member.pk])
    response = posted(client, web, url, name="改名者")
    assert response.status_code in (302, 403, 404) and response.get("Location", "") != reverse(
        "admin:registry_member_changelist")  # refused, or (a helper, not paired with it) no such member
    assert Member.objects.get(pk=member.pk).name == member.name
    assert not AuditEntry.objects.filter(action="member.admin_change").exists()


def test_a_village_record_of_a_county_seen_only_is_not_added_or_edited_in_the_admin(web):
    _user, client = mixed("m6", "auditor", staff=True,
                          codenames=("view_villagerecord", "change_villagerecord", "add_villagerecord"))
    record = VillageRecord.objects.get(village_id=VILLAGE, year=2019)
    url = reverse("admin:areas_villagerecord_change", args=[record.pk])
    response = posted(client, web, url, population="1")
    assert response.status_code == 403 and VillageRecord.objects.get(pk=record.pk).population == 400
    add = reverse("admin:areas_villagerecord_add")
    added = client.post(add, {**form_data(web.client("root").get(add)), "village": VILLAGE, "year": "2020",
                              "population": "7"})
    assert added.status_code == 200 and "village" in added.context["adminform"].form.errors
    assert not VillageRecord.objects.filter(village_id=VILLAGE, year=2020).exists()
    # Their own county's village: added.
    ok = client.post(add, {**form_data(web.client("root").get(add)), "village": OTHER_VILLAGE, "year": "2020",
                           "population": "7"})
    assert ok.status_code == 302 and VillageRecord.objects.filter(village_id=OTHER_VILLAGE, year=2020).exists()


def test_a_cadre_and_a_work_team_of_a_county_seen_only_are_not_edited_in_the_admin(web):
    _user, client = mixed("m7", "auditor", staff=True,
                          codenames=("view_cadre", "change_cadre", "view_workteam", "change_workteam"))
    cadre = Cadre.objects.get(name="周帮扶")
    url = reverse("admin:teams_cadre_change", args=[cadre.pk])
    response = posted(client, web, url, name="冒名")
    assert response.status_code == 403 and Cadre.objects.get(pk=cadre.pk).name == "周帮扶"
    team = WorkTeam.objects.get(village_id=VILLAGE)
    url = reverse("admin:teams_workteam_change", args=[team.pk])
    response = posted(client, web, url, end_date="2020-01-01")
    assert response.status_code == 403 and WorkTeam.objects.get(pk=team.pk).end_date is None


def test_an_admin_edit_and_delete_of_ones_own_rows_is_audited_with_their_area(web):
    """Every write in the admin is an audit row in its area (the register's pages had one, the other tables none):
    the officer of B's change of a village record of B, and its deletion."""
    _user, client = mixed("m8", "auditor", staff=True,
                          codenames=("view_villagerecord", "change_villagerecord", "delete_villagerecord"))
    record = VillageRecord.objects.create(village_id=OTHER_VILLAGE, year=2020, population=9)
    url = reverse("admin:areas_villagerecord_change", args=[record.pk])
    assert posted(client, web, url, population="10").status_code == 302
    entry = AuditEntry.objects.get(action="admin.change")
    assert (entry.actor, entry.object_type, entry.object_id, entry.area) == ("m8", "areas.villagerecord",
                                                                             str(record.pk), OTHER_VILLAGE)
    assert entry.detail["fields"] == ["population"]
    deleted = client.post(reverse("admin:areas_villagerecord_delete", args=[record.pk]), {"post": "yes"})
    assert deleted.status_code == 302 and not VillageRecord.objects.filter(pk=record.pk).exists()
    gone = AuditEntry.objects.get(action="admin.delete")
    assert (gone.object_type, gone.object_id, gone.area) == ("areas.villagerecord", str(record.pk), OTHER_VILLAGE)
    # A's record, through the list's bulk delete: refused whole, nothing deleted, nothing recorded.
    theirs = VillageRecord.objects.get(village_id=VILLAGE, year=2019)
    client.post(reverse("admin:areas_villagerecord_changelist"),
                {"action": "delete_selected", "_selected_action": [str(theirs.pk)], "post": "yes"})
    assert VillageRecord.objects.filter(pk=theirs.pk).exists()
    assert AuditEntry.objects.filter(action="admin.delete").count() == 1


def test_a_new_area_is_added_only_inside_the_areas_where_the_user_writes(web):
    """The area's own code says where it lies, not a choice offered: an officer of B (who audits A) adding an
    area coded inside A, under a parent of B, is refused and nothing is added; the same inside B is added."""
    from jingzhun.areas.models import Area

    _user, client = mixed("m9", "auditor", staff=True, codenames=("view_area", "add_area"))
    add = reverse("admin:areas_area_add")
    base = {**form_data(web.client("root").get(add)), "name": "新村", "level": "village", "parent": OTHER_COUNTY}
    refused = client.post(add, {**base, "code": "433130109201"})
    assert refused.status_code in (200, 403) and not Area.objects.filter(code="433130109201").exists()
    added = client.post(add, {**base, "code": "433127109201"})
    assert added.status_code == 302 and Area.objects.filter(code="433127109201").exists()
