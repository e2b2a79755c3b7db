"""The yearly adjustment page (动态调整), its XLSX download and the quota check (规模控制), with the cast of
tests/web_cast.py.

The cast's import records one status event per household in 2019 (the income year; an exited household's
exit year). The events added below for 2020 make the groups, worked out by hand from `classify`'s wording:

| household | village (township)        | 2019      | 2020     | group    |
|-----------|---------------------------|-----------|----------|----------|
| A101-1    | 洗车村 (石牌镇)            | poor      | exited   | exited   |
| A101-2    | 白岩村 (石牌镇)            | poor      | removed  | removed  |
| A101-3    | 洗车村 (石牌镇)            | exited    | returned | returned |
| A102-1    | 大井村 (洗洛镇)            | monitored | poor     | — (not new: it was in the register) |
| A103-1    | 洗车村 (石牌镇)            | applicant | poor     | new      |
| A104-2    | 大井村 (洗洛镇)            | (none)    | poor     | new      |
| A105-1    | 白岩村 (石牌镇)            | (none)    | (none)   | — (an open 2020 application) |
| B102-1    | 司城村 (永顺县)            | poor      | exited   | exited   |
| B102-2    | 司城村 (永顺县)            | returned  | (none)   | — (returned both years) |
"""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from jingzhun.appraisal import workflow
from jingzhun.audit.models import AuditEntry
from jingzhun.policy import DATA_DIR
from jingzhun.registry.models import Household, StatusEvent
from tests.factories import COUNTY, OTHER_COUNTY, TOWNSHIP, VILLAGE, VILLAGE2, resident_id
from tests.test_crosscheck import make_household
from tests.web_cast import TOWNSHIP_A2, VILLAGE_A3, numbers_in, page

pytestmark = pytest.mark.django_db

YEAR = 2020
A_CHANGED = {"A101-1", "A101-2", "A101-3", "A103-1", "A104-2"}


def event(number: str, status: str, year: int = YEAR) -> None:
    StatusEvent.objects.create(household=Household.objects.get(number=number), status=status, year=year,
                               recorded_at=timezone.now())


@pytest.fixture
def changes(web):
    event("A101-1", "exited")
    event("A101-2", "removed")
    event("A101-3", "returned")
    event("A102-1", "poor")
    event("B102-1", "exited")
    for seq, (number, village, status) in enumerate([("A103-1", VILLAGE, "poor"), ("A104-2", VILLAGE_A3, "poor"),
                                                      ("A105-1", VILLAGE2, "applicant")], start=900):
        h = make_household(number, village, [resident_id("433130", dt.date(1980, 1, 1), seq, True)], status=status)
        Household.objects.filter(pk=h.pk).update(identified_year=None, exit_year=None)
    event("A103-1", "applicant", 2019)
    event("A103-1", "poor")
    event("A104-2", "poor")
    root = User.objects.get(username="root")
    # Pending: A105-1's open application; A103-1's is not counted again (already identified).
    for number in ("A105-1", "A103-1"):
        workflow.apply(Household.objects.get(number=number), YEAR, applied_by="甲", on=dt.date(2020, 3, 1), user=root)
    return web


def counts(html: str) -> dict[str, list[int]]:
    """The counts table: area code (or "total") → [new, exited, returned, removed]."""
    table = re.search(r'<table class="grid" id="yearly-counts">(.*?)</table>', html, re.S).group(1)
    out = {}
    for code, cells in re.findall(r'<tr[^>]*data-area="(\w+)">(.*?)</tr>', table, re.S):
        out[code] = [int(n.replace(",", "")) for n in re.findall(r'<td class="num">([\d,]+)</td>', cells)]
    return out


def listed(html: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for number, group in re.findall(r'<tr data-household="([^"]+)" data-group="(\w+)">', html):
        out.setdefault(group, []).append(number)
    return out


def test_the_county_officer_sees_the_groups_by_township_with_totals_and_lists(changes):
    html = page(changes.client("officer_a"), reverse("web:yearly"))  # default: their county, the latest year
    assert "2020年动态调整" in html
    assert counts(html) == {TOWNSHIP: [1, 1, 1, 1], TOWNSHIP_A2: [1, 0, 0, 0], "total": [2, 1, 1, 1]}
    assert listed(html) == {"new": ["A103-1", "A104-2"], "exited": ["A101-1"], "returned": ["A101-3"],
                            "removed": ["A101-2"]}
    assert f'href="{reverse("web:household", args=["A101-1"])}"' in html
    row = re.search(r'<tr data-household="A101-1".*?</tr>', html, re.S).group(0)
    assert "洗车村" in row and "贫困户" in row and "已脱贫" in row  # village, 2019 → 2020
    assert numbers_in(html) == A_CHANGED and "B102" not in html


def test_drill_down_to_a_township_and_a_village(changes):
    client = changes.client("officer_a")
    county = page(client, reverse("web:yearly") + f"?year={YEAR}")
    assert f"?year={YEAR}&amp;area={TOWNSHIP}" in county  # the township row is a link
    html = page(client, reverse("web:yearly") + f"?year={YEAR}&area={TOWNSHIP}")
    assert counts(html) == {VILLAGE: [1, 1, 1, 0], VILLAGE2: [0, 0, 0, 1], "total": [1, 1, 1, 1]}
    assert f'data-area="{COUNTY}"' in html  # the trail back to the county
    village = page(client, reverse("web:yearly") + f"?year={YEAR}&area={VILLAGE2}")
    assert counts(village) == {VILLAGE2: [0, 0, 0, 1], "total": [0, 0, 0, 1]}
    assert listed(village) == {"removed": ["A101-2"]}


def test_a_township_officer_sees_their_township_only(changes):
    client = changes.client("township_a")
    html = page(client, reverse("web:yearly") + f"?year={YEAR}")
    assert counts(html) == {VILLAGE: [1, 1, 1, 0], VILLAGE2: [0, 0, 0, 1], "total": [1, 1, 1, 1]}
    assert "A104-2" not in html
    page(client, reverse("web:yearly") + f"?area={COUNTY}", 404)
    page(client, reverse("web:yearly") + f"?area={TOWNSHIP_A2}", 404)


def test_the_other_county_sees_none_of_this_county(changes):
    client = changes.client("officer_b")
    html = page(client, reverse("web:yearly"))
    assert counts(html)["total"] == [0, 1, 0, 0] and listed(html) == {"exited": ["B102-1"]}
    assert not numbers_in(html) & A_CHANGED
    for code in (COUNTY, TOWNSHIP, VILLAGE, "439999999999"):  # theirs or nobody's: the same 404
        page(client, reverse("web:yearly") + f"?area={code}", 404)
        assert client.get(reverse("web:yearly_export") + f"?area={code}&year={YEAR}").status_code == 404


def test_who_may_open_the_page(changes):
    for who in ("helper_a", "no_role"):
        for url in (reverse("web:yearly"), reverse("web:yearly_quotas"), reverse("web:yearly_export")):
            assert changes.client(who).get(url).status_code == 403, (who, url)
    assert changes.client("auditor_a").get(reverse("web:yearly")).status_code == 200
    assert changes.client("auditor_a").get(reverse("web:yearly_export")).status_code == 403  # no export ability
    assert Client().get(reverse("web:yearly")).status_code == 302  # to the login
    assert "动态调整" in page(changes.client("officer_a"), reverse("web:households"))  # in the navigation
    assert "动态调整" not in page(changes.client("helper_a"), reverse("web:households"))


def test_the_list_is_capped_with_a_note(changes, monkeypatch):
    monkeypatch.setattr("jingzhun.web.views.yearly.SHOWN", 1)
    html = page(changes.client("officer_a"), reverse("web:yearly") + f"?year={YEAR}")
    assert listed(html)["new"] == ["A103-1"]  # the first by village, then number
    assert "共 2 户，此处列出前 1 户" in html and html.count("data-capped=") == 1
    assert counts(html)["total"] == [2, 1, 1, 1]  # the counts are never capped


def test_a_bad_year_is_refused_with_a_message(changes):
    html = page(changes.client("officer_a"), reverse("web:yearly") + "?year=20x0", 400)
    assert "年度：请填写年份" in html


def test_the_xlsx_holds_the_difference_and_is_audited(changes):
    response = changes.client("officer_a").get(reverse("web:yearly_export") + f"?year={YEAR}")
    assert response.status_code == 200
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(response.streaming_content)))
    rows = [[str(c) for c in r] for r in book.get_sheet_by_index(0).to_python()]
    assert rows[0] == ["变化类别", "户编号", "所在村代码", "所在村", "上年状态", "本年状态"]
    assert rows[1:] == [
        ["脱贫", "A101-1", VILLAGE, "洗车村", "贫困户", "已脱贫"],
        ["返贫", "A101-3", VILLAGE, "洗车村", "已脱贫", "返贫"],
        ["新识别", "A103-1", VILLAGE, "洗车村", "申请", "贫困户"],
        ["清退", "A101-2", VILLAGE2, "白岩村", "贫困户", "已清退"],
        ["新识别", "A104-2", VILLAGE_A3, "大井村", "", "贫困户"],
    ]
    ids = {r["resident_id"] for rs in changes.rows.values() for r in rs}
    assert not any(rid in cell for rid in ids for row in rows for cell in row)
    entry = AuditEntry.objects.get(action="export", actor="officer_a", object_type="yearly_difference")
    assert entry.area == COUNTY and entry.detail["masked"] is True and entry.detail["year"] == YEAR
    assert AuditEntry.objects.get(action="export.finished", object_type="yearly_difference").detail["rows"] == 5
    # The other county's officer, for their own county: B102-1 alone.
    other = changes.client("officer_b").get(reverse("web:yearly_export") + f"?year={YEAR}")
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(other.streaming_content)))
    assert [r[1] for r in book.get_sheet_by_index(0).to_python()[1:]] == ["B102-1"]


# --------------------------------------------------------------------------- quotas


def policy_file(quotas: str) -> SimpleUploadedFile:
    text = (DATA_DIR / "example-hunan-2020.toml").read_text(encoding="utf-8")
    text = text[: text.index("[quotas]")] + "[quotas]\n" + quotas
    return SimpleUploadedFile("湖南配额.toml", text.encode())


def quota_rows(html: str) -> dict[str, list[str]]:
    table = re.search(r'<table class="grid" id="quotas">(.*?)</table>', html, re.S).group(1)
    return {code: re.findall(r'<td class="num[^"]*"[^>]*>([^<]*)</td>', cells)
            for code, cells in re.findall(r'<tr data-area="(\d+)"[^>]*>(.*?)</tr>', table, re.S)}


def test_an_uploaded_policy_shows_over_by_exactly(changes):
    # 龙山县 in 2020: identified A101-3 (returned), A102-1, A103-1, A104-2 (poor) = 4; pending A105-1 = 1;
    # proposed 5 against a quota of 1: over by 4. 永顺县 is not the officer's: not shown.
    quotas = f"{COUNTY} = 1\n{OTHER_COUNTY} = 5\n"
    response = changes.client("officer_a").post(reverse("web:yearly_quotas"), {"file": policy_file(quotas)})
    html = response.content.decode()
    assert response.status_code == 200
    assert quota_rows(html) == {COUNTY: ["1", "4", "1", "5", "4"]}
    assert re.search(rf'<tr data-area="{COUNTY}" class="short">', html)  # over: in red
    assert "超出配额：1 个配额区域中有 1 个超出，共超出 4 户。" in html
    assert "另有 1 个配额区域不在您的管辖范围内" in html and "永顺县" not in html
    # 永顺县's officer: B102-2 (returned) identified, nothing pending: 1 of 5, within.
    response = changes.client("officer_b").post(reverse("web:yearly_quotas"), {"file": policy_file(quotas)})
    html = response.content.decode()
    assert quota_rows(html) == {OTHER_COUNTY: ["5", "1", "0", "1", "—"]}
    assert "全部 1 个配额区域均未超出配额。" in html and "龙山县" not in html


def test_the_shipped_example_and_another_year(changes):
    client = changes.client("officer_a")
    key = "file:example-hunan-2020.toml"
    html = page(client, reverse("web:yearly_quotas"))
    assert f'value="{key}"' in html and "national" not in html  # national policies set no quotas
    html = page(client, reverse("web:yearly_quotas") + f"?policy={key}")
    assert quota_rows(html) == {COUNTY: ["8,000", "4", "1", "5", "—"]}
    # 2019: A101-1, A101-2 poor (A101-3 exited, A102-1 monitored); A105-1 applied for 2020, not 2019.
    html = page(client, reverse("web:yearly_quotas") + f"?policy={key}&year=2019")
    assert quota_rows(html) == {COUNTY: ["8,000", "2", "0", "2", "—"]}
    page(client, reverse("web:yearly_quotas") + "?policy=file:../../settings.py", 404)
    page(client, reverse("web:yearly_quotas") + "?policy=file:national-2020.toml&year=x", 400)


def test_a_bad_policy_file_names_the_key_and_the_rule(changes):
    client = changes.client("officer_a")
    response = client.post(reverse("web:yearly_quotas"), {"file": policy_file(f"{COUNTY} = -1\n")})
    html = response.content.decode()
    assert response.status_code == 400
    assert f"湖南配额.toml: quotas.{COUNTY}: 须不小于 0" in html
    response = client.post(reverse("web:yearly_quotas"), {"file": policy_file("439999000000 = 3\n")})
    assert response.status_code == 400 and "配额区划 439999000000 不存在" in response.content.decode()
    response = client.post(reverse("web:yearly_quotas"), {"file": SimpleUploadedFile("x.toml", b"name = [")})
    assert response.status_code == 400 and "TOML 语法错误" in response.content.decode()


def test_both_languages_render(changes):
    client = changes.client("officer_a")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = page(client, reverse("web:yearly") + f"?year={YEAR}")
    assert "Yearly adjustment 2020" in html and "newly identified" in html and "Status in 2019" in html
    assert counts(html)["total"] == [2, 1, 1, 1]
    response = client.post(reverse("web:yearly_quotas"), {"file": policy_file(f"{COUNTY} = 1\n")})
    assert "Over the quota: 1 of 1 quota areas, by 4 households in all." in response.content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    html = page(client, reverse("web:yearly") + f"?year={YEAR}")
    assert "新识别" in html and "2019年状态" in html


def test_the_policy_of_an_identification_run_can_be_checked(changes):
    from jingzhun.identification.models import IdentificationRun
    from jingzhun.policy import loads_policy

    text = policy_file(f"{COUNTY} = 2\n").read().decode()
    policy = loads_policy(text).model_dump(mode="json")
    now = timezone.now()
    run = IdentificationRun.objects.create(
        policy_name="示例：湖南省 2020 / example: Hunan 2020", policy_year=2020, policy_scope="province",
        policy_area="430000000000", policy_sha256="a" * 64, policy=policy, year=2020, data_fingerprint="f",
        engine="duckdb", actor="t", started_at=now, finished_at=now)
    client = changes.client("officer_a")
    assert f'value="run:{run.pk}"' in page(client, reverse("web:yearly_quotas"))
    html = page(client, reverse("web:yearly_quotas") + f"?policy=run:{run.pk}")
    assert quota_rows(html) == {COUNTY: ["2", "4", "1", "5", "3"]}  # proposed 5 against 2: over by 3
    page(client, reverse("web:yearly_quotas") + f"?policy=run:{run.pk + 1}", 404)
