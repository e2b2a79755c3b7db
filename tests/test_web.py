"""The web application seen by a cast of users (tests/web_cast.py), through the Django test client,
against every endpoint. Every expected figure is worked out from the households the cast creates."""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import translation

from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household, Member
from jingzhun.web import stats
from jingzhun.web.models import AreaStat, AreaYearStat, LoginFailure
from tests.factories import (
    CITY,
    COUNTY,
    OTHER_COUNTY,
    OTHER_VILLAGE,
    PROVINCE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    household_rows,
    write_csv,
)
from tests.web_cast import HOUSEHOLDS, SEES, TOWNSHIP_A2, VILLAGE_A3, menu, numbers_in, page

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- the cast, every endpoint


@pytest.mark.parametrize("username", list(SEES))
def test_register_list_shows_exactly_the_users_households(web, username):
    client = web.client(username)
    expected = SEES[username]
    if username == "no_role":
        page(client, reverse("web:households"), 403)
        return
    assert numbers_in(page(client, reverse("web:households"))) == expected


@pytest.mark.parametrize("username", list(SEES))
def test_household_pages_open_inside_the_scope_and_are_not_found_outside(web, username):
    client = web.client(username)
    for number in HOUSEHOLDS:
        url = reverse("web:household", args=[number])
        if number in SEES[username]:
            assert number in page(client, url)
        else:
            page(client, url, 403 if username == "no_role" else 404)


@pytest.mark.parametrize("username", list(SEES))
def test_reveal_of_a_member_outside_the_scope_is_not_found(web, username):
    client = web.client(username)
    for number in HOUSEHOLDS:
        member = Member.objects.get(household__number=number, position=1)
        response = client.post(reverse("web:reveal", args=[member.pk]))
        if username == "no_role":
            assert response.status_code == 403
        elif number not in SEES[username]:
            assert response.status_code == 404
        assert web.resident_id(number) not in response.content.decode() or username == "root"


@pytest.mark.parametrize("username", [u for u in SEES if u != "no_role"])
def test_every_menu_item_opens_for_its_users_and_the_api_tokens_page_is_one(web, username):
    client = web.client(username)
    items = menu(page(client, reverse("web:households")))
    assert items["api_tokens"] == reverse("api_tokens")  # every role here reads the register
    for name, url in items.items():
        assert client.get(url, follow=True).status_code == 200, (username, name, url)


def test_a_user_without_the_register_ability_has_no_tokens_page(web):
    client = web.client("no_role")
    assert client.get(reverse("api_tokens")).status_code == 403


def test_anonymous_users_are_sent_to_the_login_page_everywhere(web):
    client = Client()
    member = Member.objects.first()
    for url in [reverse("web:home"), reverse("web:dashboard"), reverse("web:dashboard_area", args=[COUNTY]),
                reverse("web:households"), reverse("web:household", args=["A101-1"]), reverse("web:imports"),
                reverse("web:audit"), reverse("web:reveal", args=[member.pk])]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("web:login")), url


def test_pages_a_role_does_not_grant_are_refused(web):
    helper = web.client("helper_a")
    page(helper, reverse("web:dashboard"), 403)
    # A helper uploads their visits and attendance, nothing else (tests/test_web_upload_kinds.py).
    assert [k for k, _label, _t in helper.get(reverse("web:imports")).context["kinds"]] == ["visits", "attendance"]
    page(helper, reverse("web:audit"), 403)
    assert page(helper, reverse("web:home"), 302) == ""
    auditor = web.client("auditor_a")
    page(auditor, reverse("web:imports"), 403)
    page(auditor, reverse("web:audit"))


# --------------------------------------------------------------------------- dashboard figures


def tile(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert found, name
    return found.group(1)


def test_county_dashboard_figures_are_the_hand_counted_ones(web):
    html = page(web.client("officer_a"), reverse("web:dashboard_area", args=[COUNTY]))
    # Poor now (poor or returned) in 龙山县: A101-1 (4 people) and A101-2 (3 people).
    assert tile(html, "poor_households") == "2"
    assert tile(html, "poor_people") == "7"
    # Rural population 2019: 400 + 300 + 200; 7 / 900 = 0.78 %.
    assert tile(html, "incidence") == "0.8%"
    # Needing a helper: A101-1, A101-2 (poor), A102-1 (monitored); one has a helper: 1/3.
    assert tile(html, "helper_coverage") == "33.3%"
    # Poor villages: 洗车村, 白岩村, 大井村; only 洗车村 has a team of three.
    assert tile(html, "team_coverage") == "33.3%"
    # The township rows below: 石牌镇 (A101-1, A101-2 poor; 7 people) and 洗洛镇 (none poor).
    children = dict(re.findall(r'data-area="(\d{12})">[^<]*</a></td><td class="num">(\d+)</td>', html))
    assert children == {TOWNSHIP: "2", TOWNSHIP_A2: "0"}


def test_visits_in_the_last_30_days_count_the_areas_visits_only(web):
    from django.utils import timezone

    from jingzhun.teams.models import Cadre, Visit

    now = timezone.now()
    helper = Cadre.objects.get(name="周帮扶")
    for household, days_ago in (("A101-1", 3), ("A101-1", 29), ("A101-1", 31), ("B102-1", 2)):
        h = Household.objects.get(number=household)
        at = now - dt.timedelta(days=days_ago)
        Visit.objects.create(cadre=helper, household=h, village_id=h.village_id, visited_at=at, recorded_at=at,
                             entered_by="t")
    html = page(web.client("officer_a"), reverse("web:dashboard_area", args=[COUNTY]))
    assert tile(html, "visits") == "2"  # 3 and 29 days ago; not 31 days ago, not 永顺县's
    html = page(web.client("root"), reverse("web:dashboard_area", args=[PROVINCE]))
    assert tile(html, "visits") == "3"


def test_dashboard_of_an_area_outside_the_scope_is_not_found(web):
    client = web.client("officer_a")
    page(client, reverse("web:dashboard_area", args=[OTHER_COUNTY]), 404)
    page(client, reverse("web:dashboard_area", args=[PROVINCE]), 404)
    page(client, reverse("web:dashboard_area", args=[OTHER_VILLAGE]), 404)
    assert "龙山县" in page(client, reverse("web:dashboard_area", args=[VILLAGE]))


def test_a_helper_role_elsewhere_does_not_widen_an_officers_pages(web):
    """Found by the property test: an officer of 龙山县 who is also a helper at province level."""
    user = web.users["officer_a"]
    AreaRole.objects.create(user=user, area_id=PROVINCE, role="helper")
    client = web.client("officer_a")
    page(client, reverse("web:dashboard_area", args=[PROVINCE]), 404)
    page(client, reverse("web:dashboard_area", args=[OTHER_COUNTY]), 404)
    assert client.get(reverse("web:dashboard")).context["board"].area.code == COUNTY
    assert numbers_in(page(client, reverse("web:households"))) == SEES["officer_a"]


def test_dashboard_starts_at_the_users_own_area(web):
    response = web.client("township_a").get(reverse("web:dashboard"))
    assert response.status_code == 200 and response.context["board"].area.code == TOWNSHIP


def test_province_dashboard_counts_both_counties(web):
    html = page(web.client("root"), reverse("web:dashboard_area", args=[PROVINCE]))
    # Poor now: A101-1 (4), A101-2 (3), B102-1 (3), B102-2 returned (1) → 4 households, 11 people.
    assert (tile(html, "poor_households"), tile(html, "poor_people")) == ("4", "11")
    assert 'data-area="' + CITY + '"' in html


def test_partial_refresh_gives_the_same_rollups_as_a_full_one(web):
    def snapshot() -> tuple[list[tuple], list[tuple]]:
        return (sorted(AreaStat.objects.values_list("area_code", "level", "status", "cause", "households", "people",
                                                    "with_helper")),
                sorted(AreaYearStat.objects.values_list("area_code", "level", "year", "population", "identified",
                                                        "exited")))

    Household.objects.filter(number="A101-2").update(status="exited", exit_year=2020)
    Household.objects.filter(number="B102-1").update(village_id=VILLAGE2)  # a move between counties
    stats.refresh([VILLAGE2, OTHER_VILLAGE])
    partial = snapshot()
    stats.refresh()
    assert partial == snapshot()
    county = dict(AreaStat.objects.filter(area_code=OTHER_COUNTY).values_list("status", "households"))
    assert county == {"returned": 1}


def test_an_import_refreshes_the_dashboard(web, tmp_path):
    rows = household_rows("A101-9", VILLAGE2, size=2, seed=40)
    import_register(write_csv(tmp_path / "more.csv", rows))
    html = page(web.client("officer_a"), reverse("web:dashboard_area", args=[COUNTY]))
    assert (tile(html, "poor_households"), tile(html, "poor_people")) == ("3", "9")


def test_coverage_page_shows_the_hand_counted_gaps(web):
    response = web.client("officer_a").get(reverse("web:coverage"))
    assert response.status_code == 200
    total = response.context["report"].total
    # 龙山县: poor villages 洗车村 (full team), 白岩村, 大井村 → 2 without a team; needing a helper: A101-1
    # (paired), A101-2, A102-1 → 2 without one.
    assert (total.poor_villages, total.villages_without_team) == (3, 2)
    assert (total.needy_households, total.households_without_helper) == (3, 2)
    assert "coverage-gaps" in response.content.decode()
    page(web.client("officer_a"), reverse("web:coverage") + f"?area={OTHER_COUNTY}", 404)


def test_alerts_page_lists_unvisited_households_of_the_area_only(web):
    response = web.client("officer_a").get(reverse("web:alerts"))
    assert response.status_code == 200
    # Work-team rules: 白岩村 and 大井村 are poor villages without a team (0 < 3 members); 洗车村's team
    # of three holds; nobody has attendance records, so each of its three members misses the residence rule.
    kinds = sorted((f.rule, f.village) for f, _label in response.context["findings"])
    assert kinds == sorted([("team_size", VILLAGE2), ("team_size", VILLAGE_A3)] + [("residence", VILLAGE)] * 3)
    unvisited = {a.subject for a in response.context["alerts"] if a.alert.kind == "unvisited"}
    assert unvisited == {"户 A101-1", "户 A101-2", "户 A102-1"}  # nobody has visited anyone
    assert numbers_in(response.content.decode()) <= SEES["officer_a"]
    # Each names its village and links its household.
    html = response.content.decode()
    assert f'href="{reverse("web:household", args=["A101-1"])}"' in html and "洗车村" in html


def test_alerts_filter_by_kind_and_export_what_is_shown(web):
    from python_calamine import CalamineWorkbook

    from jingzhun.audit.models import AuditEntry

    client = web.client("officer_a")
    only = client.get(reverse("web:alerts") + "?kind=over_capacity")
    assert [s.alert.kind for s in only.context["alerts"]] == []
    listed = client.get(reverse("web:alerts") + "?kind=unvisited").context["alerts"]
    assert {s.alert.kind for s in listed} == {"unvisited"} and len(listed) == 3
    response = client.get(reverse("web:alerts") + "?kind=unvisited&format=xlsx")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(BytesIO(b"".join(response.streaming_content))).get_sheet_by_name(
        "督查预警").to_python()[1:]
    assert sorted(r[3] for r in rows) == ["户 A101-1", "户 A101-2", "户 A102-1"]
    assert all("户编号：" in r[5] and "{" not in r[5] for r in rows)  # evidence in words, not JSON
    assert AuditEntry.objects.filter(action="supervision.export", actor="officer_a").count() == 1
    # An auditor sees the alerts but may not take them away or handle them.
    assert web.client("auditor_a").get(reverse("web:alerts") + "?format=xlsx").status_code == 403


def test_an_alert_is_handled_with_a_note_once_and_only_inside_the_officers_areas(web):
    from jingzhun.audit.models import AuditEntry
    from jingzhun.teams.models import AlertNote

    client = web.client("officer_a")
    listed = client.get(reverse("web:alerts") + "?kind=unvisited").context["alerts"]
    target = next(s for s in listed if s.subject == "户 A101-1")
    url = reverse("web:alerts") + "?kind=unvisited"
    # No note, no handling; a made-up key is refused; both write nothing.
    assert "须填写处理情况" in client.post(url, {"key": target.key, "note": " "}).content.decode()
    assert "没有找到该预警" in client.post(url, {"key": "f" * 40, "note": "查了"}).content.decode()
    # Another county's officer cannot handle it: the alert is not among theirs.
    other = web.client("officer_b").post(reverse("web:alerts") + f"?area={COUNTY}&kind=unvisited",
                                         {"key": target.key, "note": "越权处理"})
    assert other.status_code == 404 and not AlertNote.objects.exists()
    own = web.client("officer_b").post(reverse("web:alerts") + f"?area={OTHER_COUNTY}", {"key": target.key, "note": "越权"})
    assert "没有找到该预警" in own.content.decode() and not AlertNote.objects.exists()
    assert web.client("auditor_a").post(url, {"key": target.key, "note": "审计"}).status_code == 403
    assert client.post(url, {"key": target.key, "note": "已电话联系帮扶人，本周内入户"}).status_code == 302
    note = AlertNote.objects.get()
    assert (note.kind, note.area, note.handled_by) == ("unvisited", VILLAGE, "officer_a")
    entry = AuditEntry.objects.get(action="supervision.handle")
    assert entry.area == VILLAGE and entry.detail["note"] == "已电话联系帮扶人，本周内入户"
    # Handled shows, and filters.
    done = client.get(url + "&handled=done").context["alerts"]
    assert [s.subject for s in done] == ["户 A101-1"] and done[0].note == note
    assert "户 A101-1" not in {s.subject for s in client.get(url + "&handled=open").context["alerts"]}
    assert "该预警已处理" in client.post(url, {"key": target.key, "note": "再次"}).content.decode()


def test_an_alert_names_its_helper_and_keeps_its_key_while_the_situation_lasts(web):
    from jingzhun.teams import alert_view
    from jingzhun.teams.models import Cadre
    from jingzhun.teams.supervision import Alert

    cadre = Cadre.objects.get(name="周帮扶")
    alert = Alert("same_minute", VILLAGE, f"帮扶人编号 {cadre.pk}", "…", {"帮扶人编号": cadre.pk, "户ID": []})
    shown = alert_view.shown([alert], web.users["officer_a"])[0]
    assert shown.subject.startswith(f"帮扶人 周帮扶（编号 {cadre.pk}）") and shown.area_name == "洗车村"
    # An unvisited household a day later: more days since the last visit, the same alert (still handled).
    today = Alert("unvisited", VILLAGE, "户 A101-1", "…", {"户ID": 1, "最近走访": "", "距今天数": 30})
    tomorrow = Alert("unvisited", VILLAGE, "户 A101-1", "…", {"户ID": 1, "最近走访": "", "距今天数": 31})
    visited = Alert("unvisited", VILLAGE, "户 A101-1", "…", {"户ID": 1, "最近走访": "2026-12-01", "距今天数": 1})
    assert alert_view.key_of(today) == alert_view.key_of(tomorrow) != alert_view.key_of(visited)


def test_pairing_preview_then_approve_pairs_every_needy_household_of_the_county(web):
    from jingzhun.teams.models import HelperPair, PairingRun

    client = web.client("officer_a")
    assert client.post(reverse("web:pairing"), {"county": OTHER_COUNTY}).status_code == 404
    response = client.post(reverse("web:pairing"), {"county": COUNTY})
    run = PairingRun.objects.get()
    assert response["Location"] == reverse("web:pairing_run", args=[run.pk])
    # Needing a helper in 龙山县: A101-1 (keeps 周帮扶), A101-2 and A102-1 (new); four serving cadres.
    assert (run.households, run.kept, run.new, run.moved, run.unpaired) == (3, 1, 2, 0, 0)
    assert not HelperPair.objects.filter(household__number="A101-2").exists()  # a preview changes nothing
    page(web.client("officer_b"), reverse("web:pairing_run", args=[run.pk]), 404)
    client.post(reverse("web:pairing_approve", args=[run.pk]))
    active = set(HelperPair.objects.filter(end_date__isnull=True).values_list("household__number", flat=True))
    assert active == {"A101-1", "A101-2", "A102-1"}
    html = page(client, reverse("web:dashboard_area", args=[COUNTY]))
    assert tile(html, "helper_coverage") == "100.0%"
    # Approving twice is refused with a message, and changes nothing.
    client.post(reverse("web:pairing_approve", args=[run.pk]))
    assert HelperPair.objects.count() == 3


def test_a_pairing_run_names_its_county_and_explains_each_pairs_cost(web):
    client = web.client("officer_a")
    client.post(reverse("web:pairing"), {"county": COUNTY})
    from jingzhun.teams.models import PairingRun
    html = page(client, reverse("web:pairing_run", args=[PairingRun.objects.get().pk]))
    assert "龙山县" in html and 'id="cost-explained"' in html
    # The cast's cadres live in 洗车村 and have no skills; A102-1 lives in another township of the county and has
    # causes of poverty: two steps of distance (200) and the full skills penalty (200).
    assert "距离：同县 200；专长不对口 200；合计 400" in html


def test_an_officer_changes_a_helper_by_hand_with_a_reason_inside_their_areas_only(web):
    from jingzhun.audit.models import AuditEntry
    from jingzhun.teams.models import Cadre, HelperPair

    client = web.client("officer_a")
    url = reverse("web:pairing_adjust")
    shown = client.get(url + "?household=A101-1")
    assert [k.name for k, _why, _total in shown.context["candidates"]] == ["周帮扶", "队员0", "队员1", "队员2"]
    new = Cadre.objects.get(name="队员1")
    # No reason: refused, nothing changed.
    client.post(url, {"household": "A101-1", "cadre": new.pk, "reason": " "})
    assert HelperPair.objects.get(end_date__isnull=True, household__number="A101-1").cadre.name == "周帮扶"
    # Another county's household, and another county's officer: not found.
    assert client.get(url + "?household=B102-1").status_code == 404
    assert web.client("officer_b").post(url, {"household": "A101-1", "cadre": new.pk, "reason": "越权"}).status_code == 404
    assert web.client("auditor_a").get(url + "?household=A101-1").status_code == 403
    # With a reason: the old pair ends with it, the new one starts, one audit row in the village.
    assert client.post(url, {"household": "A101-1", "cadre": new.pk, "reason": "原帮扶人调岗"}).status_code == 302
    pairs = HelperPair.objects.filter(household__number="A101-1").order_by("pk")
    assert [(p.cadre.name, p.end_date is None) for p in pairs] == [("周帮扶", False), ("队员1", True)]
    assert pairs[0].end_reason == "人工调整：原帮扶人调岗"
    entry = AuditEntry.objects.get(action="pairing.adjust")
    assert entry.area == VILLAGE and entry.detail["reason"] == "原帮扶人调岗"


# --------------------------------------------------------------------------- search


def post_search(client: Client, text: str, status: int = 200) -> str:
    response = client.post(reverse("web:households"), {"q": text})
    assert response.status_code == status
    return response.content.decode()


def test_search_by_full_resident_id_finds_its_household_only(web):
    client = web.client("officer_a")
    rid = web.resident_id("A101-2", 2)
    assert numbers_in(post_search(client, rid)) == {"A101-2"}
    # The same person searched by an officer of the other county: nothing, not even a hint.
    assert numbers_in(post_search(web.client("officer_b"), rid)) == set()


def test_a_resident_id_never_travels_in_a_url(web):
    """A search by ID is a POST answered in place; the page's links (next page, export) carry no ID; an ID in
    a GET (an old bookmark, a hand-made link) is not searched and not echoed."""
    client = web.client("root")
    rid = web.resident_id("A101-2", 2)
    html = page(client, reverse("web:households"))
    assert '<form method="post" class="filters" role="search">' in html
    response = client.post(reverse("web:households"), {"q": rid, "area": COUNTY})
    assert response.status_code == 200 and numbers_in(response.content.decode()) == {"A101-2"}
    assert not re.search(r'href="[^"]*' + rid, response.content.decode())
    response = client.get(reverse("web:households") + f"?q={rid}&status=poor")
    assert response.status_code == 302 and response["Location"] == reverse("web:households") + "?status=poor"
    html = page(client, response["Location"])
    assert rid not in html and "身份证号码请在搜索框中输入" in html
    # A name or number search goes back to a GET, so it pages and bookmarks.
    response = client.post(reverse("web:households"), {"q": "王大", "status": ""})
    assert response.status_code == 302 and response["Location"] == reverse("web:households") + "?q=%E7%8E%8B%E5%A4%A7"


def test_search_by_name_prefix_and_household_number(web):
    client = web.client("officer_a")
    assert numbers_in(page(client, reverse("web:households") + "?q=王")) == {"A101-1", "A101-2"}
    assert numbers_in(page(client, reverse("web:households") + "?q=王大")) == {"A101-1"}
    assert numbers_in(page(client, reverse("web:households") + "?q=A102-1")) == {"A102-1"}
    assert numbers_in(page(client, reverse("web:households") + "?q=孙三")) == set()  # 永顺县


def test_filters_by_status_cause_and_area(web):
    client = web.client("officer_a")
    url = reverse("web:households")
    assert numbers_in(page(client, url + "?status=poor")) == {"A101-1", "A101-2"}
    assert numbers_in(page(client, url + "?cause=illness")) == {"A101-1", "A102-1"}
    assert numbers_in(page(client, url + f"?area={TOWNSHIP_A2}")) == {"A102-1"}
    assert numbers_in(page(client, url + f"?area={OTHER_COUNTY}")) == set()


def test_an_invalid_resident_id_is_reported_not_searched(web):
    html = post_search(web.client("officer_a"), "433130196803140011")
    assert "证件号码无效" in html and numbers_in(html) == set()


def test_following_the_pages_reaches_every_household(web, monkeypatch):
    monkeypatch.setattr("jingzhun.web.views.register.PAGE_SIZE", 2)
    client = web.client("root")
    first = client.get(reverse("web:households"))
    seen = numbers_in(first.content.decode())
    assert len(seen) == 2 and first.context["more"]
    nxt = first.context["next_query"]
    while nxt:
        response = client.get(reverse("web:households") + "?" + nxt)
        seen |= numbers_in(response.content.decode())
        nxt = response.context["next_query"]
    assert seen == set(HOUSEHOLDS)


# --------------------------------------------------------------------------- household page and reveal


def test_household_page_masks_ids_and_shows_the_helper(web):
    html = page(web.client("officer_a"), reverse("web:household", args=["A101-1"]))
    for position in range(1, 5):
        rid = web.resident_id("A101-1", position)
        assert rid not in html
        assert rid[:6] + "********" + rid[-4:] in html
    assert "周帮扶" in html
    assert "患有大病" not in html and "残疾" not in html.replace("残疾等级", "")


def test_reveal_needs_the_permission_and_is_audited_either_way(web):
    member = Member.objects.get(household__number="A101-1", position=1)
    url = reverse("web:reveal", args=[member.pk])
    client = web.client("officer_a")
    assert "confirm-reveal" in page(client, url)  # a GET only asks
    assert not AuditEntry.objects.filter(action__startswith="reveal").exists()
    refused = client.post(url)
    assert refused.status_code == 403 and web.resident_id("A101-1") not in refused.content.decode()
    denied = AuditEntry.objects.get(action="reveal_denied")
    assert (denied.actor, denied.object_id, denied.area) == ("officer_a", str(member.pk), VILLAGE)
    user = web.users["officer_a"]
    user.user_permissions.add(Permission.objects.get(codename="reveal_sensitive"))
    client.force_login(User.objects.get(pk=user.pk))
    shown = client.post(url)
    assert shown.status_code == 200 and web.resident_id("A101-1") in shown.content.decode()
    assert AuditEntry.objects.filter(action="reveal", actor="officer_a", area=VILLAGE).count() == 1


# --------------------------------------------------------------------------- audit page


def test_audit_page_shows_only_rows_of_the_users_area(web):
    from jingzhun.audit import log

    log.record("x", "probe", area=VILLAGE, object_id="in-a")
    log.record("x", "probe", area=OTHER_VILLAGE, object_id="in-b")
    log.record("x", "probe", object_id="no-area")
    html = page(web.client("auditor_a"), reverse("web:audit") + "?action=probe")
    assert "in-a" in html and "in-b" not in html and "no-area" not in html
    html = page(web.client("root"), reverse("web:audit") + "?action=probe")
    assert all(tag in html for tag in ("in-a", "in-b", "no-area"))
    assert "YYYY-MM-DD" in page(web.client("root"), reverse("web:audit") + "?since=yesterday")


# --------------------------------------------------------------------------- login, lockout, headers


def login(client: Client, username: str, password: str) -> int:
    return client.post(reverse("web:login"), {"username": username, "password": password}).status_code


def with_password(user: User) -> None:
    user.set_password("correct horse battery")
    user.save()


def test_login_is_audited_and_locks_after_repeated_failures(web, settings):
    settings.LOCKOUT_FAILURES = 3
    with_password(web.users["officer_a"])
    client = Client()
    assert login(client, "officer_a", "correct horse battery") == 302
    assert AuditEntry.objects.filter(action="login", actor="officer_a").exists()
    client = Client()
    for _ in range(3):
        assert login(client, "officer_a", "wrong") == 200
    assert AuditEntry.objects.filter(action="login_failed", actor="officer_a").count() == 3
    # Locked: the right password is refused too, and the refusal looks like any failure.
    assert login(client, "officer_a", "correct horse battery") == 200
    # Once the window has passed, the account opens again.
    LoginFailure.objects.update(at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    assert login(client, "officer_a", "correct horse battery") == 302


def test_pages_carry_security_headers(web):
    response = web.client("officer_a").get(reverse("web:households"))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_passwords_are_hashed_with_argon2(web):
    with_password(web.users["officer_a"])
    assert User.objects.get(username="officer_a").password.startswith("argon2")


def test_logout_is_a_post_and_is_audited(web):
    client = web.client("officer_a")
    assert client.post(reverse("web:logout")).status_code == 302
    assert AuditEntry.objects.filter(action="logout", actor="officer_a").exists()
    assert client.get(reverse("web:households")).status_code == 302


def test_every_action_the_application_audits_has_a_chinese_name_on_the_audit_page(web):
    """The audit page names actions in the page's language; an action written somewhere in the code but
    missing from the page's table would show as its code. Every `record(…, "action", …)` in the source is
    found and checked."""
    import re
    from pathlib import Path

    from jingzhun.audit import log
    from jingzhun.web.templatetags.jingzhun import lang
    from jingzhun.web.views.audit import ACTIONS

    source = Path(__file__).resolve().parent.parent / "jingzhun"
    written = set()
    for path in source.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        written |= set(re.findall(r"record\([^,()]+, \"([a-z_]+(?:\.[a-z_]+)+|[a-z_]+)\"", text))
    written -= {"store_true", "append"}  # argparse's actions, not audit actions
    missing = sorted(a for a in written if a not in ACTIONS and not a.startswith("appraisal."))
    assert missing == [], missing
    # Names built at run time (crosscheck.confirm / .dismiss) are in the table too; every name renders.
    assert {"crosscheck.confirm", "crosscheck.dismiss", "login", "logout", "reveal"} <= set(ACTIONS)
    names = {a: str(label) for a, label in ACTIONS.items() if not a.startswith("appraisal.")}
    for action in names:
        log.record("x", action, area=VILLAGE, object_id=f"probe-{action}")
    html = page(web.client("root"), reverse("web:audit"))
    with translation.override("zh-hans"):
        chinese = {a: lang(str(ACTIONS[a])) for a in names}  # a "中文 / English" name shows its Chinese side
    assert [a for a, name in chinese.items() if name not in html] == []
    assert "导入干部花名册" in html and "确认比对命中" in html


def test_audit_details_read_as_sentences_with_names_not_codes(web):
    """The audit page writes a row's details as a sentence of named fields in the page's language (coded values by
    their names), and its action filter lists actions by name."""
    from jingzhun.audit import log

    log.record("x", "import", area=VILLAGE, file="register-2014.csv", inserted=2619, updated=0,
               counts={"rows": 45, "hits": 5})
    log.record("x", "appraisal.announce", area=VILLAGE, object_type="application", object_id="7",
               before="approved", after="announced", household_status=["exited", "returned"])
    html = page(web.client("root"), reverse("web:audit"))
    assert "文件：<code>register-2014.csv</code>；结果：（读取行数：45，命中：5）；新增：2,619；更新：0。" in html
    assert "原状态：待公告；新状态：已公告；户状态：已脱贫、返贫。" in html
    assert "{&#x27;" not in html and "{'" not in html  # no Python dict on the page
    assert '<option value="import">导入</option>' in html
    client = web.client("root")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    english = page(client, reverse("web:audit"))
    assert "file: <code>register-2014.csv</code>; result: (rows read: 45, hits: 5); inserted: 2,619; updated: 0." in english
    assert "before: awaiting announcement; after: announced; household status: exited, returned." in english


def test_village_year_rollups_match_a_count_of_the_households(web):
    """Every household counts once in its village's identified year and once in its exit year."""
    from collections import Counter

    Household.objects.filter(number="A101-2").update(status="exited", exit_year=2020)
    stats.refresh()
    expected: Counter = Counter()
    for village, identified, exited in Household.objects.values_list("village_id", "identified_year", "exit_year"):
        if identified is not None:
            expected[(village, identified, "identified")] += 1
        if exited is not None:
            expected[(village, exited, "exited")] += 1
    got: Counter = Counter()
    for village, year, identified, exited in AreaYearStat.objects.filter(level="village").values_list(
            "area_code", "year", "identified", "exited"):
        got[(village, year, "identified")] += identified
        got[(village, year, "exited")] += exited
    assert +got == expected and any(kind == "exited" for _, _, kind in expected)


def test_every_blank_template_downloads_from_the_web_with_its_headers(web, tmp_path):
    """Every kind an app registers (jingzhun.core.blanks) is offered, and what downloads is that kind's workbook:
    the same first row as the command line's `jingzhun template --kind KIND` writes."""
    from python_calamine import CalamineWorkbook

    from jingzhun.core import blanks

    client = web.client("helper_a")  # a blank holds no data: any signed-in role may take one
    html = page(client, reverse("web:templates"))
    kinds = blanks.kinds()
    assert {"register", "roster", "village_records"} <= set(kinds)
    for kind in kinds:
        assert reverse("web:template_download", args=[kind]) in html
        response = client.get(reverse("web:template_download", args=[kind]))
        assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
        got = CalamineWorkbook.from_filelike(BytesIO(b"".join(response.streaming_content))).get_sheet_by_index(0)
        expected = CalamineWorkbook.from_path(str(blanks.write(kind, tmp_path / f"{kind}.xlsx"))).get_sheet_by_index(0)
        assert got.to_python()[0] == expected.to_python()[0] and any(got.to_python()[0])
    assert client.get(reverse("web:template_download", args=["nonsense"])).status_code == 404
    assert Client().get(reverse("web:templates")).status_code == 302
