"""The people pages (training, talent, party branches) for the cast of users: each renders its own area's
records and nothing of the other county's, needs its ability, refuses writes outside the user's areas with a
plain "not found", and every write goes through the service and its audit row."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from jingzhun.audit.models import AuditEntry
from jingzhun.branches.models import Branch, Rating
from jingzhun.talent.models import Payment, Talent
from jingzhun.training.models import Course, Enrolment
from jingzhun.web import once
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE
from tests.people_web import DAY, NAMES, YEAR, add_people, names_outside
from tests.test_hostile_files import uploads_here  # noqa: F401 -- the fixture
from tests.web_cast import page

pytestmark = pytest.mark.django_db
PAGES = ("training:courses", "talent:pool", "branches:list")


@pytest.fixture
def people(web):
    return add_people()


@pytest.mark.parametrize("name", PAGES)
def test_a_county_officer_sees_their_countys_records_and_none_of_the_others(web, people, name):
    html = page(web.client("officer_a"), reverse(name) + f"?year={YEAR}")
    shown = {n for n in NAMES[COUNTY].values() if n in html}
    assert shown, name
    assert not any(n in html for n in names_outside({COUNTY})), name
    html = page(web.client("officer_b"), reverse(name) + f"?year={YEAR}")
    assert not any(n in html for n in names_outside({OTHER_COUNTY})), name
    # Asking for the other county by its code is "not found", not an empty page of it.
    page(web.client("officer_a"), reverse(name) + f"?area={OTHER_COUNTY}", 404)


@pytest.mark.parametrize("name", PAGES)
def test_the_pages_need_the_people_ability(web, people, name):
    page(web.client("no_role"), reverse(name), 403)
    page(web.client("helper_a"), reverse(name), 403)
    page(web.client("auditor_a"), reverse(name) + f"?year={YEAR}")  # auditors read


def test_the_hand_counted_figures_show(web, people):
    html = page(web.client("officer_a"), reverse("talent:pool") + f"?year={YEAR}")
    assert "100,000" in html and "30,000" in html and "70,000" in html  # allocated, paid, remaining (fen)
    html = page(web.client("officer_a"), reverse("training:courses") + f"?year={YEAR}")
    # 龙学员 did not complete the course, and the cast's helper and three team members in 洗车村 took none.
    assert 'id="gap-count">5<' in html
    html = page(web.client("root"), reverse("branches:list") + f"?year={YEAR}&area=433100000000")
    assert html.count("党支部") >= 2


def test_writes_outside_the_users_areas_are_not_found_and_change_nothing(web, people):
    client = web.client("officer_a")
    theirs = people[OTHER_COUNTY]
    before = (Payment.objects.count(), Talent.objects.count(), Rating.objects.count(), Course.objects.count())
    posts = [
        (reverse("talent:write", args=["pay"]), {"scheme": theirs["scheme"], "year": YEAR, "talent": theirs["talent"],
                                                  "amount": "1", "kind": "award", "on": "2024-05-01"}),
        (reverse("talent:write", args=["pay"]), {"scheme": people[COUNTY]["scheme"], "year": YEAR,
                                                  "talent": theirs["talent"], "amount": "1", "kind": "award",
                                                  "on": "2024-05-01"}),
        (reverse("talent:write", args=["reverse"]), {"payment": theirs["payment"], "reason": "x", "on": "2024-05-01"}),
        (reverse("talent:write", args=["allocate"]), {"scheme": theirs["scheme"], "year": YEAR, "amount": "9",
                                                       "on": "2024-05-01"}),
        (reverse("talent:write", args=["depart"]), {"talent": theirs["talent"], "reason": "career", "on": "2024-05-01"}),
        (reverse("talent:write", args=["join"]), {"name": "x", "serving_area": OTHER_VILLAGE, "speciality": "health",
                                                   "recruited": "returnee", "start_date": "2024-05-01"}),
        (reverse("branches:write", args=["rate"]), {"branch": theirs["branch"], "year": 2025, "rating": "good"}),
        (reverse("branches:write", args=["rerate"]), {"rating": theirs["rating"], "result": "rectified",
                                                       "on": "2024-05-01"}),
        (reverse("training:add_course"), {"code": "X1", "title": "越权", "topic": "other", "kind": "thematic",
                                          "start_date": "2024-01-01", "end_date": "2024-01-02", "hours": "4",
                                          "area": OTHER_COUNTY}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    after = (Payment.objects.count(), Talent.objects.count(), Rating.objects.count(), Course.objects.count())
    assert after == before and Rating.objects.get(pk=theirs["rating"]).rerating == ""
    # A reader may not write at all.
    assert web.client("auditor_a").post(posts[0][0], posts[0][1]).status_code == 403


def test_an_officers_writes_land_and_are_audited(web, people):
    client = web.client("officer_a")
    mine = people[COUNTY]
    client.post(reverse("talent:write", args=["pay"]), {"scheme": mine["scheme"], "year": YEAR,
                                                         "talent": mine["talent"], "amount": "123.45", "kind": "award",
                                                         "on": "2024-05-01", "once": once.new_token()})
    assert Payment.objects.filter(talent_id=mine["talent"], amount_fen=12_345).exists()
    response = client.post(reverse("talent:write", args=["pay"]), {
        "scheme": mine["scheme"], "year": YEAR, "talent": mine["talent"], "amount": "1000", "kind": "award",
        "on": "2024-05-01", "once": once.new_token()}, follow=True)
    assert "不足支付" in response.content.decode()  # 1,000 元 > the 576.55 元 left
    client.post(reverse("branches:write", args=["rerate"]), {"rating": mine["rating"], "result": "rectified",
                                                             "on": "2024-07-01"})
    assert Rating.objects.get(pk=mine["rating"]).rerating == "rectified"
    assert {"talent.pay", "branch.rerate"} <= set(AuditEntry.objects.values_list("action", flat=True))


def roster_upload(client, kind: str, name: str, text: str, mode: str | None):
    """Upload through the one checked-upload page; confirm in `mode` ("all", "valid") unless None (check only)."""
    from jingzhun.web.models import Upload
    from tests.test_hostile_files import token_of

    response = client.post(reverse("web:imports"), {"kind": kind, "file": SimpleUploadedFile(name, text.encode())},
                           follow=True)
    if mode is not None:
        client.post(reverse("web:upload_confirm", args=[token_of(response)]), {"mode": mode})
    return Upload.objects.order_by("-pk").first(), response


def test_a_roster_upload_checks_then_imports_within_the_users_areas(web, people, uploads_here):  # noqa: F811
    client = web.client("officer_a")
    assert 'href="/imports/?kind=course_roster"' in page(client, reverse("training:courses") + f"?year={YEAR}")
    text = "班次编号,人员编号,姓名,状态,出勤学时\n" + f"C-{COUNTY[:6]},P-{COUNTY[:6]},龙学员,已结业,8\n"
    checked, _ = roster_upload(client, "course_roster", "名册.csv", text, None)
    assert checked.state == "checked" and Enrolment.objects.get(cadre__name="龙学员").status != "completed"
    done, _ = roster_upload(client, "course_roster", "名册.csv", text, "all")
    done.refresh_from_db()
    assert done.state == "done" and Enrolment.objects.get(cadre__name="龙学员").status == "completed"
    foreign = "班次编号,人员编号,姓名,状态,出勤学时\n" + f"C-{OTHER_COUNTY[:6]},P-{OTHER_COUNTY[:6]},永学员,已结业,8\n"
    refused, response = roster_upload(client, "course_roster", "x.csv", foreign, "all")
    refused.refresh_from_db()
    html = response.content.decode()
    assert refused.error_count and refused.state == "checked" and "不是您管辖范围内已登记的干部" in html  # the user's own cell, refused …
    assert Enrolment.objects.get(cadre__name="永学员").status == "incomplete"  # … and nothing written
    assert "永顺电商考察班" not in html and "司城村" not in html


def test_the_dashboard_functions_are_scoped(web, people):
    from jingzhun.branches.service import weak_branches
    from jingzhun.talent.pool import talent_retention
    from jingzhun.training.reports import training_coverage

    officer = web.users["officer_a"]
    assert training_coverage(officer, COUNTY, YEAR) == {"cadres": 1 + 4, "covered": 0, "share": 0.0, "gaps": 5}
    assert talent_retention(officer, COUNTY, YEAR)["recruited"] == 1
    assert [r["weak"] for r in weak_branches(officer, COUNTY, YEAR)] == [1]
    assert training_coverage(officer, OTHER_COUNTY, YEAR) == {"cadres": 0, "covered": 0, "share": None, "gaps": 0}
    assert weak_branches(officer, OTHER_COUNTY, YEAR) == []


def test_a_branch_roster_upload_writes_only_the_users_villages(web, people, uploads_here):  # noqa: F811
    client = web.client("officer_a")
    text = f"村代码,党组织名称,书记,党员人数\n{VILLAGE},洗车村党支部,新书记,41\n{OTHER_VILLAGE},司城村党支部,冒名,1\n"
    row, response = roster_upload(client, "branch_roster", "b.csv", text, "all")
    assert "已登记在您的管辖区划以外" in response.content.decode()
    assert not Branch.objects.filter(secretary__in=["新书记", "冒名"]).exists()  # all or nothing: refused
    roster_upload(client, "branch_roster", "b.csv", text, "valid")
    assert Branch.objects.get(village_id=VILLAGE).secretary == "新书记"
    assert Branch.objects.get(village_id=OTHER_VILLAGE).secretary == "书记"
    refused = client.post(reverse("web:imports"), {"kind": "branch_roster",
                                                   "file": SimpleUploadedFile("b.txt", b"x")}, follow=True)
    assert "CSV" in refused.content.decode()


def test_roster_exports_round_trip_into_their_imports_and_hold_only_the_users_areas(web, people, tmp_path):
    import io

    from python_calamine import CalamineWorkbook

    from jingzhun.branches.roster import import_branch_roster
    from jingzhun.training.roster import import_course_roster

    client = web.client("officer_a")
    for name, importer, query in (("training:export_roster", import_course_roster, f"?year={YEAR}"),
                                  ("branches:export_roster", import_branch_roster, "")):
        response = client.get(reverse(name) + query)
        assert response.status_code == 200, name
        data = b"".join(response.streaming_content)
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
        text = " ".join(str(c) for r in rows for c in r)
        assert not any(n in text for n in names_outside({COUNTY})), name
        assert len(rows) == 2, (name, rows)  # the header and the one record of 龙山县
        path = tmp_path / f"{name.split(':')[0]}.xlsx"
        path.write_bytes(data)
        again = importer(path, actor="officer_a", user=web.users["officer_a"])
        assert again.ok and again.counts()["unchanged"] == 1, (name, again.problems)
    assert AuditEntry.objects.filter(action="export", object_type__in=["course_roster", "branch_roster"]).count() == 2
    assert web.client("auditor_a").get(reverse("branches:export_roster")).status_code == 403
    assert client.get(reverse("branches:export_roster") + f"?area={OTHER_COUNTY}").status_code == 404


def test_branch_elections_export_round_trip_and_upload_within_the_users_areas(web, people, tmp_path, uploads_here):  # noqa: F811
    import io

    from python_calamine import CalamineWorkbook

    from jingzhun.branches.elections import import_branch_elections
    from jingzhun.branches.models import Election

    client = web.client("officer_a")
    assert 'href="/imports/?kind=branch_elections"' in page(client, reverse("branches:list"))
    response = client.get(reverse("branches:export_elections"))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    # The one election of 洗车村 (tests/people_web.py), none of 永顺县's.
    assert [[str(c) for c in r] for r in rows[1:]] == [[VILLAGE, DAY.isoformat(), "换届选举", "龙换届书记", "21"]]
    path = tmp_path / "elections.xlsx"
    path.write_bytes(data)
    again = import_branch_elections(path, actor="officer_a", user=web.users["officer_a"])
    assert again.ok and again.counts() == {"inserted": 0, "updated": 0, "unchanged": 1}, again.problems
    assert web.client("auditor_a").get(reverse("branches:export_elections")).status_code == 403
    assert client.get(reverse("branches:export_elections") + f"?area={OTHER_COUNTY}").status_code == 404
    # Through the one upload page: another county's row refuses the file; valid-only lands the user's row alone.
    text = f"村代码,选举日期,类型,当选书记,参会党员\n{VILLAGE},{YEAR}-05-01,补选,龙补选,19\n{OTHER_VILLAGE},{YEAR}-05-01,补选,冒名,1\n"
    _, response = roster_upload(client, "branch_elections", "e.csv", text, "all")
    assert "已登记在您的管辖区划以外" in response.content.decode() and not Election.objects.filter(held_on__month=5).exists()
    roster_upload(client, "branch_elections", "e.csv", text, "valid")
    assert list(Election.objects.filter(held_on__month=5).values_list("secretary", flat=True)) == ["龙补选"]
    assert Branch.objects.get(village_id=VILLAGE).secretary == "龙补选"
    assert Branch.objects.get(village_id=OTHER_VILLAGE).secretary == "书记"


def test_a_course_in_an_unregistered_area_of_ones_county_is_not_found_not_a_500(web, people):
    """433130999999 lies in 龙山县's code range but is no registered area: the course's foreign key refused
    it at commit (an IntegrityError, a 500). It is as unknown as an area elsewhere now."""
    before = Course.objects.count()
    response = web.client("officer_a").post(reverse("training:add_course"), {
        "code": "U1", "title": "无此区划", "topic": "other", "kind": "thematic", "start_date": "2024-01-01",
        "end_date": "2024-01-02", "hours": "4", "area": "433130999999"})
    assert response.status_code == 404 and Course.objects.count() == before


@pytest.mark.parametrize("change", [{"serving_area": "433130999999"}, {"speciality": "nope"}, {"name": ""}])
def test_a_talent_with_an_unregistered_area_or_a_bad_code_is_refused_not_a_500(web, people, change):
    """full_clean's ValidationError (an area in range but unregistered, a code not in its table) went up as a
    500; now an unknown area is "not found" and a bad field a refusal naming it, and nothing is written."""
    before = Talent.objects.count()
    form = {"name": "新人", "serving_area": VILLAGE, "speciality": "health", "recruited": "returnee",
            "start_date": "2024-05-01", "once": once.new_token(), **change}
    response = web.client("officer_a").post(reverse("talent:write", args=["join"]), form)
    assert response.status_code in (302, 404) and Talent.objects.count() == before
