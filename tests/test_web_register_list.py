"""The register list officers work with (issue 15): who heads each household, its size, township and village by
name, status and category, the total, numbered pages, an area tree, and a name search that says who matched;
the household page's income table with net and per-person net income.

Every expected row below is worked out from the cast's table (tests/web_cast.py: HOUSEHOLDS, and the members
and incomes of tests/factories.household_rows), never from what the application returns:
- members of every household, in order: the head (named in HOUSEHOLDS), 李秀英 (spouse), 张小军, 张小红, cut to
  the household's size; the category is 一般贫困户 throughout;
- villages: 洗车村 and 白岩村 in 石牌镇, 大井村 in 洗洛镇 (龙山县); 司城村 in 灵溪镇 (永顺县);
- income 2019: wages 6000, production 3000.5, costs 800, property 0, transfers 1200 → net 9400.50.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jingzhun.registry.importer import import_register
from tests.factories import (
    COUNTY,
    OTHER_COUNTY,
    OTHER_VILLAGE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    household_rows,
    resident_id,
    write_csv,
)
from tests.web_cast import TOWNSHIP_A2, VILLAGE_A3, page, web  # noqa: F401 (the fixture)

URL = reverse("web:households")

# number → (head, size, township, village, status, category), from the cast's table.
ROWS = {
    "A101-1": ("王大山", "4", "石牌镇", "洗车村", "贫困户", "一般贫困户"),
    "A101-2": ("王小川", "3", "石牌镇", "白岩村", "贫困户", "一般贫困户"),
    "A101-3": ("赵一", "1", "石牌镇", "洗车村", "已脱贫", "一般贫困户"),
    "A102-1": ("钱二", "2", "洗洛镇", "大井村", "监测对象", "一般贫困户"),
    "B102-1": ("孙三", "3", "灵溪镇", "司城村", "贫困户", "一般贫困户"),
    "B102-2": ("李四", "1", "灵溪镇", "司城村", "返贫", "一般贫困户"),
}
COUNTY_A = ["A101-1", "A101-2", "A101-3", "A102-1"]
LIST = {
    "officer_a": COUNTY_A, "township_a": ["A101-1", "A101-2", "A101-3"], "helper_a": ["A101-1"],
    "officer_b": ["B102-1", "B102-2"],
}
# Every area's name, and which user's areas hold it (a user's tree shows their own areas and nothing else).
AREA_NAMES = {"湖南省", "湘西土家族苗族自治州", "龙山县", "石牌镇", "洗车村", "白岩村", "洗洛镇", "大井村", "永顺县",
              "灵溪镇", "司城村"}
OWN_AREAS = {
    "officer_a": {"龙山县", "石牌镇", "洗车村", "白岩村", "洗洛镇", "大井村"},
    "township_a": {"石牌镇", "洗车村", "白岩村"}, "helper_a": {"洗车村"}, "officer_b": {"永顺县", "灵溪镇", "司城村"},
}


def text(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def rows(html: str) -> list[tuple[str, ...]]:
    """The list's rows as the cells' texts."""
    body = re.search(r'<table class="grid" id="households">.*?<tbody>(.*?)</tbody>', html, re.S)
    assert body, "no register table"
    out = []
    for row in re.findall(r"<tr data-number=[^>]*>(.*?)</tr>", body.group(1), re.S):
        out.append(tuple(text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)))
    return out


def expected(numbers: list[str]) -> list[tuple[str, ...]]:
    return [(n, *ROWS[n]) for n in numbers]


def total(html: str) -> int:
    found = re.search(r'id="total" data-total="(\d+)">(.*?)</p>', html, re.S)
    assert found
    return int(found.group(1))


def tree(html: str) -> tuple[list[tuple[str, str]], set[str]]:
    """The area picker's links (code, name) in order, and the codes of the open branches."""
    picker = re.search(r'<nav class="card area-picker".*?</nav>', html, re.S)
    assert picker
    links = [(code, text(name)) for code, name in re.findall(r'data-area="(\d{12})"[^>]*>(.*?)</a>', picker.group(0))]
    # A branch is its area's link followed by its <details> (the toggle is not inside the link's summary).
    opened = set(re.findall(r'data-area="(\d{12})"[^>]*>[^<]*</a><details open>', picker.group(0)))
    return links, opened


@pytest.mark.parametrize("user", sorted(LIST))
def test_each_user_sees_exactly_their_households_with_names_and_a_total(web, user):  # noqa: F811
    html = page(web.client(user), URL)
    assert rows(html) == expected(LIST[user])
    assert total(html) == len(LIST[user])
    assert f"共 {len(LIST[user])} 户" in html
    # Nothing of the households outside: their numbers and their heads' names.
    for number, (head, *_) in ROWS.items():
        if number not in LIST[user]:
            assert number not in html and head not in html, (user, number)


@pytest.mark.parametrize("user", sorted(OWN_AREAS))
def test_the_area_tree_holds_only_the_users_areas(web, user):  # noqa: F811
    html = page(web.client(user), URL)
    links, _ = tree(html)
    # Closed below the first level: the villages of a county officer show once a township is opened.
    shown = {name for _, name in links}
    assert shown <= OWN_AREAS[user]
    # No other area is named anywhere on the page, but the township and village of a household the user sees
    # (a helper's household lies in a township that is not theirs).
    beside = {part for number in LIST[user] for part in ROWS[number][2:4]}
    for name in AREA_NAMES - OWN_AREAS[user] - beside:
        assert name not in html, (user, name)
    # Every own area is reachable: opening each link in turn shows them all.
    seen, todo = set(shown), [code for code, _ in links]
    while todo:
        code = todo.pop()
        below, _ = tree(page(web.client(user), f"{URL}?area={code}"))
        for c, name in below:
            if name not in seen:
                seen.add(name)
                todo.append(c)
    assert seen == OWN_AREAS[user]


def test_choosing_areas_in_the_tree_narrows_the_list_and_its_count(web):  # noqa: F811
    client = web.client("officer_a")
    links, opened = tree(page(client, URL))
    assert links == [(COUNTY, "龙山县"), (TOWNSHIP, "石牌镇"), (TOWNSHIP_A2, "洗洛镇")] and opened == {COUNTY}
    html = page(client, f"{URL}?area={VILLAGE}")
    links, opened = tree(html)
    assert links == [(COUNTY, "龙山县"), (TOWNSHIP, "石牌镇"), (VILLAGE, "洗车村"), (VILLAGE2, "白岩村"),
                     (TOWNSHIP_A2, "洗洛镇")]
    assert opened == {COUNTY, TOWNSHIP}
    assert f'data-area="{VILLAGE}" class="chosen"' in html
    assert rows(html) == expected(["A101-1", "A101-3"]) and total(html) == 2
    html = page(client, f"{URL}?area={TOWNSHIP_A2}&status=monitored")
    assert rows(html) == expected(["A102-1"]) and total(html) == 1
    # The tree's links keep the other filters (and choose no page).
    assert f'href="?status=monitored&amp;area={VILLAGE_A3}"' in html
    # The words searched stay in the search box only: a number of another county typed there is not echoed.
    html = page(client, f"{URL}?q=B102-2&status=poor")
    typed = re.sub(r'name="next" type="hidden" value="[^"]*"|name="q" value="[^"]*"', "", html)  # the user's own
    assert rows(html) == [] and total(html) == 0 and "B102-2" not in typed
    assert f'href="?status=poor&amp;area={TOWNSHIP}"' in html
    # Another county's area: nothing listed, counted or named.
    html = page(client, f"{URL}?area={OTHER_VILLAGE}")
    assert rows(html) == [] and total(html) == 0
    assert "司城村" not in html and "B102" not in html
    # The helper's village holds two households; the helper sees only their own.
    html = page(web.client("helper_a"), f"{URL}?area={VILLAGE}")
    assert rows(html) == expected(["A101-1"]) and total(html) == 1


def test_numbered_pages(web, monkeypatch):  # noqa: F811
    monkeypatch.setattr("jingzhun.web.views.register.PAGE_SIZE", 3)
    client = web.client("officer_a")
    first = page(client, URL)
    assert rows(first) == expected(COUNTY_A[:3]) and total(first) == 4
    assert "第 1 页，共 2 页" in first
    assert 'href="?page=2" rel="next"' in first and 'href="?page=2" rel="last"' in first
    assert 'rel="prev"' not in first and 'rel="first"' not in first
    second = page(client, URL + "?page=2")
    assert rows(second) == expected(COUNTY_A[3:]) and total(second) == 4
    assert 'href="?" rel="first"' in second and 'href="?" rel="prev"' in second and 'rel="next"' not in second
    # Past the last page: the last; not a number: the first.
    assert rows(page(client, URL + "?page=99")) == expected(COUNTY_A[3:])
    assert rows(page(client, URL + "?page=x")) == expected(COUNTY_A[:3])
    # The pages follow the filters, and keep them in their links.
    html = page(client, URL + "?status=poor&page=1")
    assert rows(html) == expected(["A101-1", "A101-2"]) and "rel=\"next\"" not in html
    monkeypatch.setattr("jingzhun.web.views.register.PAGE_SIZE", 1)
    html = page(client, URL + "?cause=illness")
    assert rows(html) == expected(["A101-1"]) and 'href="?cause=illness&amp;page=2" rel="next"' in html
    # A root sees all six households across pages, each once.
    seen = []
    for n in range(1, 7):
        seen += [r[0] for r in rows(page(web.client("root"), f"{URL}?page={n}"))]
    assert seen == list(ROWS)


def test_a_name_search_shows_the_head_the_village_and_who_matched(web):  # noqa: F811
    # "李": 李秀英 is the spouse in every household of two or more; 李四 heads B102-2.
    html = page(web.client("officer_a"), URL + "?q=李")
    found = rows(html)
    assert [r[0] for r in found] == ["A101-1", "A101-2", "A102-1"] and total(html) == 3
    assert [(r[1], r[4]) for r in found] == [("王大山 （匹配成员：李秀英）", "洗车村"),
                                             ("王小川 （匹配成员：李秀英）", "白岩村"), ("钱二 （匹配成员：李秀英）", "大井村")]
    assert "李四" not in html and "司城村" not in html
    html = page(web.client("officer_b"), URL + "?q=李")
    assert [(r[0], r[1], r[4]) for r in rows(html)] == [("B102-1", "孙三 （匹配成员：李秀英）", "司城村"),
                                                        ("B102-2", "李四", "司城村")]
    # The head's own name: no note.
    assert rows(page(web.client("officer_a"), URL + "?q=王大山")) == expected(["A101-1"])


def test_a_resident_id_search_shows_names_but_no_birth_date_and_no_id_in_links(web):  # noqa: F811
    rid = web.resident_id("A101-2", 2)  # 李秀英, born 1970-09-02
    response = web.client("officer_a").post(URL, {"q": rid})
    html = response.content.decode()
    assert rows(html) == expected(["A101-2"]) and total(html) == 1
    assert "1970-09-02" not in html and "1970年9月2日" not in html
    assert not re.search(r'href="[^"]*' + rid, html)
    assert rows(web.client("officer_b").post(URL, {"q": rid}).content.decode()) == []


def test_english_labels(web):  # noqa: F811
    client = web.client("officer_a")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = page(client, URL)
    assert "4 households in all" in html and "Head of household" in html and "Township" in html
    assert rows(html)[0] == ("A101-1", "王大山", "4", "石牌镇", "洗车村", "poor", "general")


def add_households(tmp_path, count: int) -> list[str]:
    numbers = [f"C{i:03d}" for i in range(count)]
    records = [r for i, n in enumerate(numbers) for r in household_rows(n, VILLAGE2, size=1 + i % 4)]
    # People of their own: sequence numbers after the cast's (its last is 63), one per person.
    for seq, r in enumerate(records, start=70):
        r["resident_id"] = resident_id("433130", dt.date.fromisoformat(r["birth_date"]), seq, r["sex"] == "男")
    result = import_register(write_csv(tmp_path / "more.csv", records))
    assert result.ok, result.errors
    return numbers


def queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


def test_a_page_of_fifty_takes_a_fixed_few_queries_and_one_count(web, tmp_path, monkeypatch,  # noqa: F811
                                                                 django_assert_max_num_queries):
    numbers = add_households(tmp_path, 60)
    client = web.client("officer_a")
    client.get(URL)  # the session and the user, loaded once
    with django_assert_max_num_queries(12):
        html = page(client, URL + "?area=" + VILLAGE2)
    shown = rows(html)
    assert len(shown) == 50 and total(html) == 61
    assert shown[0] == ("A101-2", "王小川", "3", "石牌镇", "白岩村", "贫困户", "一般贫困户")
    # household_rows: sizes 1..4 in turn; the head is 张德明 in every added household.
    assert shown[1:] == [(n, "张德明", str(1 + i % 4), "石牌镇", "白岩村", "贫困户", "一般贫困户")
                         for i, n in enumerate(numbers[:49])]
    sql = queries(client, URL + "?area=" + VILLAGE2)
    assert sum(1 for q in sql if "__count" in q) == 1, sql
    # The number of queries does not grow with the rows shown.
    for size in (1, 7, 50):
        monkeypatch.setattr("jingzhun.web.views.register.PAGE_SIZE", size)
        assert len(queries(client, URL + "?area=" + VILLAGE2)) == len(sql), size
        assert len(queries(client, URL + "?q=张")) == len(queries(client, URL + "?q=王"))


def test_income_table_with_net_and_per_person_and_separators(web):  # noqa: F811
    client = web.client("officer_a")
    for number, _size, per_person in (("A101-1", 4, "2,350.13"), ("A101-2", 3, "3,133.50"), ("A101-3", 1, "9,400.50"),
                                     ("A102-1", 2, "4,700.25")):
        html = page(client, reverse("web:household", args=[number]))
        row = re.search(r'<tr data-year="2019">(.*?)</tr>', html, re.S)
        assert row, number
        cells = [text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
        # 9400.50 / 4 = 2350.125: half up to the fen, 2,350.13.
        assert cells == ["2019", "6,000.00", "3,000.50", "800.00", "0.00", "1,200.00", "9,400.50", per_person], number
    assert "纯收入" in html and "人均纯收入" in html


def test_no_one_outside_sees_a_household_page_through_the_list(web):  # noqa: F811
    # officer_b's list links only their own households; the others' pages are not found for them.
    html = page(web.client("officer_b"), URL)
    assert set(re.findall(r'href="/households/([^/"]+)/"', html)) == {"B102-1", "B102-2"}
    page(web.client("officer_b"), reverse("web:household", args=["A101-1"]), 404)
    assert OTHER_COUNTY not in page(web.client("officer_a"), URL)
