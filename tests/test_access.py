"""Area scoping (jingzhun/access.py), masked IDs and the audited reveal (jingzhun/registry/sensitive.py)
and the admin built on them, seen through the Django test client as each kind of user.

Two counties: 龙山县 (433130) with two townships and 永顺县 (433127). Every expected count below is
counted from the households this file creates, never from what the application returns. Besides what
each user sees, the admin's forms must not let a user put a household, a member or a role outside
their areas (a role at the province would be a way to see everything).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser, Permission, User
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jingzhun import access
from jingzhun.areas.models import Area, AreaRole, VillageRecord, code_range
from jingzhun.audit.models import AuditEntry
from jingzhun.registry import sensitive
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household, Member, StatusEvent
from tests.factories import (
    COUNTY,
    OTHER_COUNTY,
    OTHER_TOWNSHIP,
    OTHER_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    household_rows,
    make_areas,
    write_csv,
)

# The importer's own commit is tested in tests/test_import.py; here it only provides the data, inside each
# test's transaction (it then writes with executemany instead of a staged file: the same rows, faster).
pytestmark = pytest.mark.django_db

TOWNSHIP_A2, VILLAGE_A3 = "433130102000", "433130102201"  # a second township of 龙山县, one village

# Household number → (village, members). Numbers are unlike any other text on an admin page.
HOUSEHOLDS = {
    "A101-1": (VILLAGE, 4), "A101-2": (VILLAGE2, 3), "A102-1": (VILLAGE_A3, 2),
    "B102-1": (OTHER_VILLAGE, 3), "B102-2": (OTHER_VILLAGE, 1),
}
A_COUNTY = ["A101-1", "A101-2", "A102-1"]
A_TOWNSHIP = ["A101-1", "A101-2"]
B_COUNTY = ["B102-1", "B102-2"]

# What each user may see: households, areas (codes), area roles (usernames), village records.
ALL_AREAS = {"430000000000", "433100000000", COUNTY, TOWNSHIP, VILLAGE, VILLAGE2, TOWNSHIP_A2, VILLAGE_A3,
             OTHER_COUNTY, OTHER_TOWNSHIP, OTHER_VILLAGE}
SEES = {
    "officer_a": (A_COUNTY, {COUNTY, TOWNSHIP, VILLAGE, VILLAGE2, TOWNSHIP_A2, VILLAGE_A3},
                  {"officer_a", "township_a"}, {VILLAGE}),
    "officer_b": (B_COUNTY, {OTHER_COUNTY, OTHER_TOWNSHIP, OTHER_VILLAGE}, {"officer_b"}, {OTHER_VILLAGE}),
    "township_a": (A_TOWNSHIP, {TOWNSHIP, VILLAGE, VILLAGE2}, {"township_a"}, {VILLAGE}),
    "no_role": ([], set(), set(), set()),
    "root": (list(HOUSEHOLDS), ALL_AREAS, {"officer_a", "officer_b", "township_a"}, {VILLAGE, OTHER_VILLAGE}),
}


def acts() -> int:
    """Audit rows other than logins (each test client's login writes one)."""
    return AuditEntry.objects.exclude(action="login").count()


@dataclass
class Register:
    rows: dict[str, list[dict[str, str]]]  # household number → its template rows
    users: dict[str, User]

    def ids(self, numbers: list[str]) -> list[str]:
        return [r["resident_id"] for n in numbers for r in self.rows[n]]

    def member(self, number: str, position: int = 1) -> Member:
        return Member.objects.get(household__number=number, position=position)

    def client(self, username: str) -> Client:
        client = Client()
        client.force_login(self.users[username])
        return client


def staff(username: str, *areas: str) -> User:
    """A staff user who may view the register and areas (as the demo's officers), with officer roles."""
    user = User.objects.create_user(username, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label__in=["registry", "areas"], codename__startswith="view_"))
    for code in areas:
        AreaRole.objects.create(user=user, area_id=code, role="officer")
    return user


def grant_reveal(user: User) -> User:
    user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    return User.objects.get(pk=user.pk)  # a fresh object: permissions are cached on the instance


@pytest.fixture
def register(db, tmp_path) -> Register:
    make_areas()
    Area.objects.create(code=TOWNSHIP_A2, name="洗洛镇", level="township", parent_id=COUNTY)
    Area.objects.create(code=VILLAGE_A3, name="大井村", level="village", parent_id=TOWNSHIP_A2, poor_village=True)
    rows = {number: household_rows(number, village, size=size, seed=seed)
            for seed, (number, (village, size)) in enumerate(HOUSEHOLDS.items(), start=1)}
    result = import_register(write_csv(tmp_path / "register.csv", [r for rs in rows.values() for r in rs]))
    assert result.ok and result.inserted == 5, result.errors
    VillageRecord.objects.create(village_id=VILLAGE, year=2019, households=120)
    VillageRecord.objects.create(village_id=OTHER_VILLAGE, year=2019, households=80)
    users = {
        "officer_a": staff("officer_a", COUNTY),
        "officer_b": staff("officer_b", OTHER_COUNTY),
        "township_a": staff("township_a", TOWNSHIP),
        "no_role": staff("no_role"),
        "root": User.objects.create_superuser("root", None, None),
    }
    return Register(rows, users)


def masked(rid: str) -> str:
    """First 6 and last 4 visible: 433130********0212."""
    return rid[:6] + "********" + rid[-4:]


def changelist(client: Client, model: str) -> tuple[int, str]:
    """(number of rows the list found, page HTML) of an admin changelist ('app.model')."""
    app, name = model.split(".")
    response = client.get(reverse(f"admin:{app}_{name}_changelist"))
    assert response.status_code == 200, (model, response.status_code)
    return response.context["cl"].result_count, response.content.decode()


def household_pk(number: str) -> int:
    return Household.objects.get(number=number).pk


# --------------------------------------------------------------------------- lists


@pytest.mark.parametrize("username", list(SEES))
def test_lists_show_only_the_users_subtree(register, username):
    numbers, codes, role_users, village_records = SEES[username]
    client = register.client(username)

    count, html = changelist(client, "registry.household")
    assert count == len(numbers)
    for number in HOUSEHOLDS:
        assert (f">{number}<" in html) == (number in numbers), number

    count, html = changelist(client, "registry.member")  # with the IDs masked
    assert count == sum(HOUSEHOLDS[n][1] for n in numbers)
    for number in HOUSEHOLDS:
        for rid in register.ids([number]):
            assert (masked(rid) in html) == (number in numbers), (number, rid)
            assert rid not in html

    count, html = changelist(client, "registry.statusevent")
    assert count == len(numbers)  # one first status per imported household
    for number in HOUSEHOLDS:
        assert (number in html) == (number in numbers), number

    count, html = changelist(client, "areas.area")
    assert count == len(codes)
    for code in ALL_AREAS:
        assert (f">{code}<" in html) == (code in codes), code
    assert changelist(client, "areas.arearole")[0] == len(role_users)
    assert changelist(client, "areas.villagerecord")[0] == len(village_records)


def test_user_without_a_role_sees_nothing_and_anonymous_is_sent_to_log_in(register):
    for model in ("registry.household", "registry.member", "areas.area"):
        assert changelist(register.client("no_role"), model)[0] == 0
    response = Client().get(reverse("admin:registry_household_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


# --------------------------------------------------------------------------- detail pages


OUTSIDE = [  # (user, a household outside their subtree)
    ("officer_a", "B102-1"), ("officer_b", "A101-1"), ("township_a", "A102-1"), ("no_role", "A101-1"),
]


@pytest.mark.parametrize(("username", "number"), OUTSIDE)
def test_detail_pages_outside_the_subtree_are_not_shown(register, username, number):
    client = register.client(username)
    member = register.member(number)
    village = HOUSEHOLDS[number][0]
    urls = [
        reverse("admin:registry_household_change", args=[household_pk(number)]),
        reverse("admin:registry_household_history", args=[household_pk(number)]),
        reverse("admin:registry_member_change", args=[member.pk]),
        reverse("admin:areas_area_change", args=[village]),
    ]
    secrets = [*register.ids([number]), *(masked(rid) for rid in register.ids([number]))]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 404), (url, response.status_code)
        if response.status_code == 302:
            assert response["Location"] == reverse("admin:index"), url  # "does not exist", not a login
        body = response.content.decode()
        assert number not in body and all(s not in body for s in secrets), url


def test_household_page_inside_the_subtree_shows_masked_members_and_income(register):
    response = register.client("officer_a").get(reverse("admin:registry_household_change",
                                                        args=[household_pk("A101-1")]))
    assert response.status_code == 200
    html = response.content.decode()
    for rid in register.ids(["A101-1"]):
        assert masked(rid) in html and rid not in html
    for name in ("张德明", "李秀英", "张小军", "张小红"):
        assert name in html
    incomes = [f for f in response.context["inline_admin_formsets"] if f.opts.model.__name__ == "IncomeRecord"]
    assert len(incomes) == 1
    assert [(form.original.year, form.original.wage_income) for form in incomes[0]] == [(2019, 6000)]


def test_member_page_inside_the_subtree_is_masked_and_hides_health(register):
    head = register.member("A101-1")  # 张德明, 患有大病
    response = register.client("township_a").get(reverse("admin:registry_member_change", args=[head.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    rid = register.rows["A101-1"][0]["resident_id"]
    assert masked(rid) in html and rid not in html
    assert "患有大病" not in html
    assert reverse("admin:registry_member_reveal", args=[head.pk]) in html


def test_superuser_sees_both_counties_detail_pages(register):
    client = register.client("root")
    for number in ("A102-1", "B102-2"):
        assert client.get(reverse("admin:registry_household_change", args=[household_pk(number)])).status_code == 200


# --------------------------------------------------------------------------- changes stay in scope


def form_data(response) -> dict[str, str]:
    """The POST an unchanged admin form (with its inlines) would send, from the page's own forms."""
    data: dict[str, str] = {}

    def add(form) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value is not False:  # an unchecked box is simply not sent
                data[form.add_prefix(name)] = "" if value is None else str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update({f"{formset.prefix}-{k}": str(v) for k, v in formset.management_form.initial.items()})
        for form in formset.forms:
            add(form)
    return data


def editor(register: Register, username: str, *codenames: str) -> Client:
    user = register.users[username]
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return register.client(username)


def test_officer_may_move_a_household_only_within_their_area(register):
    client = editor(register, "officer_a", "change_household")
    url = reverse("admin:registry_household_change", args=[household_pk("A101-1")])
    data = form_data(client.get(url))
    refused = client.post(url, {**data, "village": OTHER_VILLAGE})  # into 永顺县: out of sight, into B's register
    assert refused.status_code == 200 and "village" in refused.context["adminform"].form.errors
    assert Household.objects.get(number="A101-1").village_id == VILLAGE
    moved = client.post(url, {**data, "village": VILLAGE_A3})  # within 龙山县: allowed
    assert moved.status_code == 302
    assert Household.objects.get(number="A101-1").village_id == VILLAGE_A3
    # … and audited with both villages, so the officers of each see it (issue 13, item 9)
    row = AuditEntry.objects.get(action="household.admin_change")
    assert row.object_id == "A101-1" and sorted(row.areas.values_list("code", flat=True)) == [VILLAGE, VILLAGE_A3]


def test_officer_may_move_a_member_only_into_a_household_they_see(register):
    client = editor(register, "officer_a", "change_member")
    member = register.member("A101-1", 4)
    url = reverse("admin:registry_member_change", args=[member.pk])
    data = form_data(client.get(url))
    refused = client.post(url, {**data, "household": str(household_pk("B102-2"))})
    assert refused.status_code == 200 and "household" in refused.context["adminform"].form.errors
    assert Member.objects.get(pk=member.pk).household.number == "A101-1"
    moved = client.post(url, {**data, "household": str(household_pk("A102-1"))})
    assert moved.status_code == 302
    assert Member.objects.get(pk=member.pk).household.number == "A102-1"


def test_officer_cannot_grant_a_role_outside_their_area(register):
    # Granting roles is the administrator role's (jingzhun.web.admin: grantable roles, inside its areas).
    AreaRole.objects.create(user=register.users["officer_a"], area_id=COUNTY, role="administrator")
    client = editor(register, "officer_a", "add_arearole")
    url = reverse("admin:areas_arearole_add")
    data = {**form_data(client.get(url)), "user": str(register.users["officer_a"].pk), "role": "officer"}
    refused = client.post(url, {**data, "area": "430000000000"})  # the province: would see everything
    assert refused.status_code == 200 and "area" in refused.context["adminform"].form.errors
    assert set(AreaRole.objects.filter(user__username="officer_a").values_list("area_id", flat=True)) == {COUNTY}
    assert changelist(register.client("officer_a"), "registry.household")[0] == len(A_COUNTY)
    plain = User.objects.create_user("plain")  # no_role holds view permissions: not an administrator's to manage
    granted = client.post(url, {**data, "user": str(plain.pk), "area": VILLAGE, "role": "helper"})
    assert granted.status_code == 302
    assert list(AreaRole.objects.filter(user__username="plain").values_list("area_id", flat=True)) == [VILLAGE]


# --------------------------------------------------------------------------- reveal


def reveal(client: Client, member: Member):
    return client.post(reverse("admin:registry_member_reveal", args=[member.pk]))


def test_opening_the_reveal_page_only_asks_and_writes_no_audit_row(register):
    register.users["officer_a"] = grant_reveal(register.users["officer_a"])
    member = register.member("A101-1", 4)
    rid = register.rows["A101-1"][3]["resident_id"]
    before = acts()
    response = register.client("officer_a").get(reverse("admin:registry_member_reveal", args=[member.pk]))
    assert response.status_code == 200 and 'method="post"' in response.content.decode()
    assert acts() == before
    assert rid not in response.content.decode()


def test_reveal_without_permission_is_refused_shows_no_id_and_is_audited(register):
    member = register.member("A101-1", 4)  # 张小红, 残疾 2
    rid = register.rows["A101-1"][3]["resident_id"]
    response = reveal(register.client("officer_a"), member)
    assert response.status_code == 403
    html = response.content.decode()
    assert rid not in html and "残疾" not in html
    assert not AuditEntry.objects.filter(action="reveal").exists()
    denied = AuditEntry.objects.get(action="reveal_denied")
    assert (denied.actor, denied.object_type, denied.object_id) == ("officer_a", "member", str(member.pk))


def test_reveal_with_permission_shows_the_id_and_writes_exactly_one_audit_row(register):
    register.users["officer_a"] = grant_reveal(register.users["officer_a"])
    member = register.member("A101-1", 4)  # 张小红, 残疾 2
    rid = register.rows["A101-1"][3]["resident_id"]
    before = acts()
    response = reveal(register.client("officer_a"), member)
    assert response.status_code == 200
    html = response.content.decode()
    assert rid in html
    assert "残疾" in html and "<td>2</td>" in html
    assert acts() == before + 1
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor, entry.object_type, entry.object_id) == ("officer_a", "member", str(member.pk))
    assert entry.detail == {"fields": ["resident_id", "health", "disability_grade"]}
    assert entry.address == "127.0.0.1"
    assert rid not in str(entry.__dict__)


def test_reveal_of_another_countys_member_is_not_found_and_not_performed(register):
    register.users["officer_a"] = grant_reveal(register.users["officer_a"])
    member = register.member("B102-1")
    before = acts()
    response = reveal(register.client("officer_a"), member)
    assert response.status_code == 404
    assert register.rows["B102-1"][0]["resident_id"] not in response.content.decode()
    assert acts() == before


def test_reveal_with_permission_but_no_role_is_not_found(register):
    register.users["no_role"] = grant_reveal(register.users["no_role"])
    response = reveal(register.client("no_role"), register.member("A101-1"))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action__startswith="reveal").exists()


def test_superuser_may_reveal_in_any_county(register):
    member = register.member("B102-2")
    response = reveal(register.client("root"), member)
    assert response.status_code == 200
    assert register.rows["B102-2"][0]["resident_id"] in response.content.decode()
    assert AuditEntry.objects.filter(action="reveal", actor="root", object_id=str(member.pk)).count() == 1


def test_reveal_needs_a_logged_in_staff_user(register):
    response = reveal(Client(), register.member("A101-1"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    assert not AuditEntry.objects.filter(action__startswith="reveal").exists()


# --------------------------------------------------------------------------- access.py and sensitive.py


@pytest.mark.parametrize(("code", "level", "expected"), [
    ("430000000000", "province", ("430000000000", "439999999999")),
    ("433100000000", "city", ("433100000000", "433199999999")),
    ("433130000000", "county", ("433130000000", "433130999999")),
    ("433130101000", "township", ("433130101000", "433130101999")),
    ("433130101201", "village", ("433130101201", "433130101201")),
])
def test_code_range_of_each_level(code, level, expected):
    assert code_range(code, level) == expected


def test_ranges_of_each_kind_of_user(register):
    users = register.users
    assert access.ranges(users["officer_a"]) == [("433130000000", "433130999999")]
    assert access.ranges(users["township_a"]) == [("433130101000", "433130101999")]
    assert access.ranges(users["no_role"]) == []
    assert access.ranges(users["root"]) is None
    assert access.ranges(AnonymousUser()) == []


def test_inactive_user_sees_nothing_despite_roles(register):
    user = register.users["officer_a"]
    user.is_active = False
    user.save()
    assert access.ranges(user) == []
    assert access.scope(Household.objects.all(), user, "village_id").count() == 0
    assert not access.can_see_area(user, VILLAGE)


def test_scope_is_the_union_of_the_users_roles(register):
    user = register.users["township_a"]
    AreaRole.objects.create(user=user, area_id=OTHER_COUNTY, role="work_team")
    numbers = set(access.scope(Household.objects.all(), user, "village_id").values_list("number", flat=True))
    assert numbers == {*A_TOWNSHIP, *B_COUNTY}
    members = access.scope(Member.objects.all(), user, "household__village_id")
    assert members.count() == 4 + 3 + 3 + 1


def test_village_role_sees_exactly_its_village(register):
    user = staff("village_a", VILLAGE2)  # a range of one code: 433130101202 … 433130101202
    assert access.ranges(user) == [(VILLAGE2, VILLAGE2)]
    assert list(access.scope(Household.objects.all(), user, "village_id").values_list("number", flat=True)) == ["A101-2"]
    assert access.scope(Member.objects.all(), user, "household__village_id").count() == 3
    client = Client()
    client.force_login(user)
    assert changelist(client, "registry.household")[0] == 1
    assert changelist(client, "areas.area")[0] == 1


def test_scope_filters_in_sql_on_the_code_range(register):
    with CaptureQueriesContext(connection) as queries:
        qs = access.scope(StatusEvent.objects.all(), register.users["officer_b"], "household__village_id")
        assert qs.count() == 2
    assert len(queries) == 2  # the user's roles, then the count: no rows fetched to be filtered in Python
    sql = queries.captured_queries[-1]["sql"]
    assert "433127000000" in sql and "433127999999" in sql  # filtered in SQL, not after fetching


def test_can_see_area_at_the_edges_of_the_range(register):
    officer = register.users["officer_a"]
    for code in (COUNTY, VILLAGE, "433130999999"):  # the county's own code … its last possible code
        assert access.can_see_area(officer, code), code
    for code in ("433100000000", "433131000000", "433129999999", OTHER_VILLAGE):  # its city, its neighbours
        assert not access.can_see_area(officer, code), code
    assert access.can_see_area(register.users["root"], OTHER_VILLAGE)
    assert not access.can_see_area(register.users["no_role"], VILLAGE)


def test_masked_resident_id_shows_first_six_and_last_four(register):
    for number in HOUSEHOLDS:
        for position, row in enumerate(register.rows[number], start=1):
            shown = sensitive.masked_resident_id(register.member(number, position))
            assert shown == masked(row["resident_id"])
            assert shown.count("*") == 8


def test_sensitive_reveal_refuses_without_permission_and_records_it(register):
    member = register.member("A102-1")
    with pytest.raises(PermissionDenied):
        sensitive.reveal(register.users["officer_a"], member, address="10.0.0.7")
    entry = AuditEntry.objects.get(action="reveal_denied")
    assert (entry.actor, entry.object_id, entry.address) == ("officer_a", str(member.pk), "10.0.0.7")


def test_sensitive_reveal_returns_the_clear_values(register):
    user = grant_reveal(register.users["officer_a"])
    head = register.member("A101-1")  # 张德明: 患有大病, no grade
    assert sensitive.reveal(user, head) == {
        "resident_id": register.rows["A101-1"][0]["resident_id"], "health": "serious", "disability_grade": ""}
    assert AuditEntry.objects.filter(action="reveal", actor="officer_a").count() == 1
