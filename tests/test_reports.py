"""The statistical report tables (报表): every figure against a register counted by hand, the official layout of the
workbook, the area rule and the audit.

The register is the cast's (tests/web_cast.py: county A with townships 石牌镇 — villages 洗车村 and 白岩村 — and
洗洛镇 — village 大井村; county B elsewhere), given a history for 2020 here:

  household  township  members  events (year: status)                   at the start of 2020 → at its end
  A101-1     石牌镇     4        2019 applicant, 2020 poor               applicant → poor       (newly identified)
  A101-2     石牌镇     3        2014 poor, 2020 exited                  poor → exited          (exited)
  A101-3     石牌镇     1        2014 poor, 2019 exited, 2020 returned   exited → returned      (returned)
  A102-1     洗洛镇     2        2014 poor, 2018 exited, 2020 monitored  exited → monitored
  B102-1/2   county B: never in county A's report.

Causes (the register's main cause): A101-1 因病, A101-3 因学. Helper 周帮扶 pairs A101-1 (since 2019) and A102-1 (2020);
A101-3's pair ended in June 2020. One work team of three in 洗车村 since 2019. Poor villages: 洗车村 (exits 2021),
白岩村 (2020), 大井村 (2019); county A is a poor county that exits in 2020. Monitoring cases of 2020: A101-1 sudden
and eliminated, A102-1 edge and monitored, A101-2 dismissed (never taken in), B102-1 unstable.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from jingzhun.areas.models import Area
from jingzhun.audit.models import AuditEntry
from jingzhun.monitoring.models import Case
from jingzhun.registry.models import Household, StatusEvent
from jingzhun.reports.models import ReportFile
from jingzhun.teams.models import Cadre, HelperPair
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_TOWNSHIP, PROVINCE, TOWNSHIP, VILLAGE, VILLAGE2
from tests.report_support import ask, here, token_of, workbook_response
from tests.web_cast import TOWNSHIP_A2, VILLAGE_A3, page

YEAR = 2020
ROWS = ["石牌镇", "洗洛镇"]
NS = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}

# Hand-counted, column by column, for county A in 2020: (石牌镇, 洗洛镇, 合计).
SCALE = {  # start h/p, new h/p, returned h/p, exited h/p, end h/p, monitored h/p
    "石牌镇": [1, 3, 1, 4, 1, 1, 1, 3, 2, 5, 0, 0],
    "洗洛镇": [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2],
    "合计": [1, 3, 1, 4, 1, 1, 1, 3, 2, 5, 1, 2],
}
CAUSES_SHIPAI = {"all": (2, 5), "因病": (1, 4), "因学": (1, 1)}  # every other cause 0; 洗洛镇 all 0
COVERAGE = {  # need, helped, share, helpers, poor villages, with a team, share, team members
    "石牌镇": [2, 1, 0.5, 1, 2, 1, 0.5, 3],
    "洗洛镇": [1, 1, 1.0, 1, 1, 0, 0.0, 0],
    "合计": [3, 2, 2 / 3, 1, 3, 1, 1 / 3, 3],  # one helper in two townships is one helper
}
EXITS = {  # exited h/p, exited by year end h/p, villages all/in year/by end, counties all/in year/by end
    "石牌镇": [1, 3, 1, 3, 2, 1, 1, 0, 0, 0],
    "洗洛镇": [0, 0, 0, 0, 1, 0, 1, 0, 0, 0],
    "合计": [1, 3, 1, 3, 3, 1, 2, 1, 1, 1],
}
MONITORING = {  # all h/p, unstable h/p, edge h/p, sudden h/p, eliminated h/p, not yet h/p
    "石牌镇": [1, 4, 0, 0, 0, 0, 1, 4, 1, 4, 0, 0],
    "洗洛镇": [1, 2, 0, 0, 1, 2, 0, 0, 0, 0, 1, 2],
    "合计": [2, 6, 0, 0, 1, 2, 1, 4, 1, 4, 1, 2],
}


def events(number: str, *history: tuple[int, str]) -> None:
    h = Household.objects.get(number=number)
    StatusEvent.objects.filter(household=h).delete()  # the import's own event (its income year) gives way
    for i, (year, status) in enumerate(history):
        StatusEvent.objects.create(household=h, status=status, year=year,
                                   recorded_at=dt.datetime(2024, 1, 1, 0, i, tzinfo=dt.UTC))


def case(number: str, kind: str, state: str, *, taken: bool) -> None:
    h = Household.objects.get(number=number)
    Case.objects.create(household=h, village_id=h.village_id, year=YEAR, source="screening", kind=kind, state=state,
                        opened_on=dt.date(2020, 4, 1), check_due=dt.date(2020, 4, 15), decide_due=dt.date(2020, 4, 30),
                        monitored_since=dt.date(2020, 5, 1) if taken else None, created_by="test")


@pytest.fixture
def history(web):
    events("A101-1", (2019, "applicant"), (2020, "poor"))
    events("A101-2", (2014, "poor"), (2020, "exited"))
    events("A101-3", (2014, "poor"), (2019, "exited"), (2020, "returned"))
    events("A102-1", (2014, "poor"), (2018, "exited"), (2020, "monitored"))
    helper = Cadre.objects.get(name="周帮扶")
    HelperPair.objects.create(household=Household.objects.get(number="A102-1"), cadre=helper,
                              start_date=dt.date(2020, 2, 1))
    other = Cadre.objects.create(name="前帮扶", unit="县教育局", unit_kind="county", rank="staff", home_area_id=VILLAGE)
    HelperPair.objects.create(household=Household.objects.get(number="A101-3"), cadre=other,
                              start_date=dt.date(2019, 1, 1), end_date=dt.date(2020, 6, 30))
    for code, year in ((VILLAGE, 2021), (VILLAGE2, 2020), (VILLAGE_A3, 2019)):
        Area.objects.filter(code=code).update(exit_year=year)
    Area.objects.filter(code=COUNTY).update(exit_year=2020)
    case("A101-1", "sudden", "eliminated", taken=True)
    case("A102-1", "edge", "monitored", taken=True)
    case("A101-2", "edge", "dismissed", taken=False)
    case("B102-1", "unstable", "monitored", taken=True)
    return web


def workbook(client, area, year, tables=()) -> bytes:
    response = workbook_response(client, area, year, [tables] if isinstance(tables, str) else tables)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return b"".join(response.streaming_content)


def sheets(body: bytes) -> dict[str, list[list[object]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(body))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def table_rows(grid: list[list[object]]) -> dict[str, list[float]]:
    """Area name → its figures: the rows from the first area row to 合计 / Total."""
    out = {}
    for row in grid:
        if row and row[0] in (*ROWS, "合计", "Total", "龙山县", "永顺县", "灵溪镇", "石牌镇", "洗洛镇") and any(
                isinstance(v, int | float) and not isinstance(v, bool) for v in row[1:]):
            out[str(row[0])] = [float(v) for v in row[1:] if v != ""]
    return out


def sheet_named(found: dict[str, list[list[object]]], number: str) -> list[list[object]]:
    return next(grid for name, grid in found.items() if name.startswith(number))


def test_every_figure_of_the_five_tables_equals_the_hand_count(history):
    found = sheets(workbook(history.client("officer_a"), area=COUNTY, year=YEAR))
    assert [name.split(" ")[0] for name in found] == ["表1", "表2", "表3", "表4", "表5"]
    assert table_rows(sheet_named(found, "表1")) == {k: [float(v) for v in vs] for k, vs in SCALE.items()}
    causes = sheet_named(found, "表2")
    header = next(r for r in causes if "因病" in r)
    got = table_rows(causes)
    for name in ROWS + ["合计"]:
        want = [0.0] * (len(got[name]))
        if name != "洗洛镇":
            for label, (h, p) in CAUSES_SHIPAI.items():
                j = 0 if label == "all" else header.index(label) - 1
                want[j], want[j + 1] = h, p
        assert got[name] == want, name
    coverage = table_rows(sheet_named(found, "表3"))
    assert coverage.keys() == COVERAGE.keys()
    for name, want in COVERAGE.items():
        assert coverage[name] == pytest.approx(want), name
    assert table_rows(sheet_named(found, "表4")) == {k: [float(v) for v in vs] for k, vs in EXITS.items()}
    assert table_rows(sheet_named(found, "表5")) == {k: [float(v) for v in vs] for k, vs in MONITORING.items()}


def test_the_layout_is_the_official_one(history):
    body = workbook(history.client("officer_a"), area=COUNTY, year=YEAR, tables="scale")
    grid = next(iter(sheets(body).values()))
    assert grid[0][0] == "2020年贫困人口规模及变化表" and grid[1][-1] == "表1"
    info = " ".join(str(v) for v in grid[2] if v)
    assert "填报单位：湖南省湘西土家族苗族自治州龙山县" in info and "统计年度：2020年" in info and "单位：户、人" in info
    assert grid[3][0] == "单位名称" and grid[3][1] == "年初贫困人口" and grid[4][1:3] == ["户数", "人数"]
    names = [row[0] for row in grid]
    assert names.index("石牌镇") < names.index("洗洛镇") < names.index("合计")
    assert any(str(v).startswith("统计口径：") for row in grid for v in row)
    footer = " ".join(str(v) for v in grid[-1] if v)
    assert "制表人：" in footer and "审核人：" in footer and "填报日期：" in footer
    # The merged cells: the title across every column, the area-name heading down both header rows, each
    # heading over its two columns; and the number cells right-aligned with thousands separators.
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        sheet = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
        styles = ElementTree.fromstring(z.read("xl/styles.xml"))
    merged = {m.get("ref") for m in sheet.iterfind(".//x:mergeCell", NS)}
    assert {"A1:M1", "A4:A5", "B4:C4", "L4:M4"} <= merged
    xfs = styles.find("x:cellXfs", NS).findall("x:xf", NS)
    cell = sheet.find(".//x:c[@r='B6']", NS)
    xf = xfs[int(cell.get("s"))]
    custom = {f.get("numFmtId"): f.get("formatCode") for f in styles.iterfind(".//x:numFmt", NS)}
    assert custom.get(xf.get("numFmtId"), {"3": "#,##0"}.get(xf.get("numFmtId"))) == "#,##0"
    assert xf.find("x:alignment", NS).get("horizontal") == "right"


def test_the_headers_follow_the_pages_language(history):
    client = history.client("officer_a")
    client.cookies["django_language"] = "en"
    grid = next(iter(sheets(workbook(client, area=COUNTY, year=YEAR, tables="scale")).values()))
    assert grid[0][0] == "Poor population and its changes, 2020" and grid[3][0] == "Area"
    assert "households" in grid[4] and "Total" in [row[0] for row in grid]


def test_a_county_officer_gets_their_county_and_its_townships_never_another_county(history):
    a, b = history.client("officer_a"), history.client("officer_b")
    for area in (COUNTY, TOWNSHIP):
        assert ask(b, area, YEAR).status_code == 404
    page(b, f"{reverse('reports:index')}?area={COUNTY}", 404)
    assert ask(history.client("township_a"), COUNTY, YEAR).status_code == 404
    assert ask(history.client("helper_a"), COUNTY, YEAR).status_code == 403
    page(history.client("no_role"), reverse("reports:index"), 403)
    assert not ReportFile.objects.exists()
    assert not AuditEntry.objects.filter(action__in=["report.download", "report.built"]).exists()
    # County B's own report holds only county B: the import's events (its income year 2019) make B102-1
    # (3 people) poor and B102-2 (1 person) returned all through 2020; B102-1's case of 2020.
    found = sheets(workbook(b, area=OTHER_COUNTY, year=YEAR))
    scale = table_rows(sheet_named(found, "表1"))
    assert scale == {"灵溪镇": [2, 4, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0], "合计": [2, 4, 0, 0, 0, 0, 0, 0, 2, 4, 0, 0]}
    assert table_rows(sheet_named(found, "表5"))["合计"] == [1, 3, 1, 3, 0, 0, 0, 0, 0, 0, 1, 3]
    # A township officer's report of their township: its villages, and the township's figures only.
    township = sheets(workbook(history.client("township_a"), area=TOWNSHIP, year=YEAR, tables="scale"))
    rows = table_rows(next(iter(township.values())))
    assert rows["合计"] == [float(v) for v in SCALE["石牌镇"]]
    # The county officer's own report, in the province-wide view, is the same as the superuser's county A.
    root = sheets(workbook(history.client("root"), area=COUNTY, year=YEAR, tables="scale"))
    assert table_rows(next(iter(root.values()))) == {k: [float(v) for v in vs] for k, vs in SCALE.items()}
    assert table_rows(next(iter(sheets(workbook(a, area=COUNTY, year=YEAR, tables="scale")).values()))) == {
        k: [float(v) for v in vs] for k, vs in SCALE.items()}


def test_a_helper_pair_of_another_county_is_not_counted_even_with_a_cadre_of_this_one(history):
    helper = Cadre.objects.get(name="周帮扶")
    HelperPair.objects.create(household=Household.objects.get(number="B102-2"), cadre=helper,
                              start_date=dt.date(2020, 1, 1))
    b = table_rows(sheet_named(sheets(workbook(history.client("officer_b"), area=OTHER_COUNTY, year=YEAR,
                                               tables="coverage")), "表3"))
    # B102-1 (poor) and B102-2 (returned) need a helper; 周帮扶 helps B102-2 there and two households here.
    assert b["合计"][:4] == pytest.approx([2, 1, 0.5, 1])
    a = table_rows(sheet_named(sheets(workbook(history.client("officer_a"), area=COUNTY, year=YEAR,
                                               tables="coverage")), "表3"))
    assert a["合计"] == pytest.approx(COVERAGE["合计"])


def test_the_build_and_every_download_are_audited_with_area_year_and_tables(history):
    client = history.client("officer_a")
    asked = ask(client, TOWNSHIP, YEAR, ["causes", "scale", "nonsense"])
    run = ReportFile.objects.get(token=token_of(asked))
    built = AuditEntry.objects.get(action="report.built")
    assert (built.actor, built.area, built.object_id) == ("officer_a", TOWNSHIP, str(run.pk))
    assert built.detail == {"year": YEAR, "tables": ["scale", "causes"]}
    assert not AuditEntry.objects.filter(action="report.download").exists()  # built, not yet read
    for _ in range(2):
        with here():
            response = client.get(reverse("reports:download", args=[run.token]))
        assert response.status_code == 200 and set(response["Cache-Control"].split(", ")) == {"private", "no-store"}
    entries = AuditEntry.objects.filter(action="report.download").order_by("pk")
    assert [(e.actor, e.area, e.object_id, e.detail) for e in entries] == [
        ("officer_a", TOWNSHIP, str(run.pk), {"year": YEAR, "tables": ["scale", "causes"]})] * 2


def test_the_page_offers_only_the_users_areas(history):
    html = page(history.client("officer_a"), reverse("reports:index"))
    offered = set(re.findall(r'<option value="(\d{12})"', html))
    assert offered == {COUNTY, TOWNSHIP, TOWNSHIP_A2}
    html = page(history.client("township_a"), reverse("reports:index"))
    assert set(re.findall(r'<option value="(\d{12})"', html)) == {TOWNSHIP}
    assert "贫困人口规模及变化表" in html and "防返贫监测对象情况表" in html


# Which areas each of the cast's users may report on, by hand: their figures role's area and the areas below it,
# when that role also exports (the workbook is a download): an auditor sees the dashboard but takes no tables.
A_AREAS = {COUNTY, TOWNSHIP, TOWNSHIP_A2, VILLAGE}
REPORTS_ON = {"officer_a": A_AREAS, "auditor_a": None, "evaluator_a": A_AREAS,
              "officer_b": {OTHER_COUNTY, OTHER_TOWNSHIP}, "township_a": {TOWNSHIP, VILLAGE},
              "root": {PROVINCE, COUNTY, TOWNSHIP, TOWNSHIP_A2, VILLAGE, OTHER_COUNTY, OTHER_TOWNSHIP},
              "helper_a": None, "no_role": None}  # None: the page is refused (403) whatever the area


@pytest.mark.parametrize("username", list(REPORTS_ON))
def test_each_user_reports_on_their_areas_only(web, username):
    client, allowed = web.client(username), REPORTS_ON[username]
    for area in (PROVINCE, COUNTY, TOWNSHIP, TOWNSHIP_A2, VILLAGE, OTHER_COUNTY, OTHER_TOWNSHIP):
        status = 403 if allowed is None else 200 if area in allowed else 404
        assert client.get(reverse("reports:index"), {"area": area, "year": YEAR}).status_code == status, area
        response = workbook_response(client, area, YEAR)
        assert response.status_code == status, (username, area, response.status_code)
    assert AuditEntry.objects.filter(action="report.download").count() == len(allowed or ())
    assert AuditEntry.objects.filter(action="report.built").count() == len(allowed or ())
