"""The organisation app's imports (units, unit–village links, secondments) on the one import subsystem: the
area rule on writes (alike whether the record exists), all or nothing, check mode, re-import unchanged,
money to integer fen, the template kinds, and resolving unit reviews."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.organisation import review
from jingzhun.organisation.imports import links, secondments, units
from jingzhun.organisation.models import Secondment, Unit, UnitReview, UnitVillageLink
from jingzhun.tabular import rules
from jingzhun.teams.models import Cadre
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, PROVINCE, VILLAGE, VILLAGE2, make_areas

pytestmark = pytest.mark.django_db(transaction=True)


def write(path: Path, spec, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(spec.headers)
        for row in rows:
            w.writerow([row.get(col.key, "") for col in spec.columns])
    return path


@pytest.fixture
def officer(db):
    make_areas()
    user = User.objects.create_user("county", password="x")
    AreaRole.objects.create(user=user, area_id=COUNTY, role="officer")
    return user


def unit_row(name="县水利局", kind="县直部门", area=COUNTY, level="") -> dict[str, str]:
    return {"name": name, "kind": kind, "area": area, "level": level}


@pytest.mark.parametrize("outside", [OTHER_COUNTY, "433127999000"])  # registered, and not registered
def test_units_outside_the_areas_are_refused_alike(officer, tmp_path, outside):
    path = write(tmp_path / "u.csv", units.SPEC, [unit_row(), unit_row("县林业局", area=outside)])
    out = units.import_units(path, actor="county", user=officer)
    assert not out.imported and not Unit.objects.exists()
    [p] = out.problems
    assert (p.row, p.column, p.rule) == (3, "所属区划代码", rules.OUTSIDE)


def test_units_insert_then_unchanged_and_check_writes_nothing(officer, tmp_path):
    path = write(tmp_path / "u.csv", units.SPEC, [unit_row(), unit_row("县教育局", level="市级")])
    checked = units.import_units(path, actor="county", user=officer, mode="check")
    assert not checked.imported and not Unit.objects.exists() and checked.counts()["inserted"] == 2
    assert AuditEntry.objects.filter(action="units.check").count() == 1
    out = units.import_units(path, actor="county", user=officer)
    assert out.counts() == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert dict(Unit.objects.values_list("name", "level")) == {"县水利局": "county", "县教育局": "city"}
    again = units.import_units(path, actor="county", user=officer)
    assert again.counts() == {"inserted": 0, "updated": 0, "unchanged": 2}


def test_links_in_fen_all_or_nothing_and_the_area_rule(officer, tmp_path):
    Unit.objects.create(name="省财政厅", kind="provincial", level="province", area_id=PROVINCE)
    base = {"unit_name": "省财政厅", "unit_kind": "省直部门", "unit_area": PROVINCE, "village": VILLAGE, "year": "2020",
            "funds_pledged_fen": "12345.67", "projects_pledged": "2", "funds_delivered_fen": "0.1"}
    bad = [base, {**base, "village": OTHER_VILLAGE}]  # the unit is anyone's; the village must be the officer's
    out = links.import_links(write(tmp_path / "a.csv", links.SPEC, bad), actor="county", user=officer)
    assert not out.imported and not UnitVillageLink.objects.exists()
    assert [(p.row, p.column, p.rule) for p in out.problems] == [(3, "村代码", rules.OUTSIDE)]
    unknown = {**base, "village": VILLAGE2, "unit_name": "省财政厅（错）"}
    out = links.import_links(write(tmp_path / "b.csv", links.SPEC, [base, unknown]), actor="county", user=officer)
    assert not out.imported and [(p.row, p.column) for p in out.problems] == [(3, "单位名称")]
    out = links.import_links(write(tmp_path / "c.csv", links.SPEC, [base]), actor="county", user=officer)
    assert out.imported
    link = UnitVillageLink.objects.get()
    assert (link.funds_pledged_fen, link.funds_delivered_fen, link.projects_pledged) == (1_234_567, 10, 2)
    # An empty cell keeps the stored value; a delivered figure updates the row.
    later = {**base, "funds_pledged_fen": "", "projects_delivered": "2"}
    out = links.import_links(write(tmp_path / "d.csv", links.SPEC, [later]), actor="county", user=officer)
    assert out.counts() == {"inserted": 0, "updated": 1, "unchanged": 0}
    link.refresh_from_db()
    assert (link.funds_pledged_fen, link.projects_delivered) == (1_234_567, 2)
    three = {**base, "funds_pledged_fen": "1.005"}
    out = links.import_links(write(tmp_path / "e.csv", links.SPEC, [three]), actor="county", user=officer)
    assert not out.imported and out.problems[0].column == "承诺资金（元）"


def test_secondments_to_the_officers_areas_only(officer, tmp_path):
    Unit.objects.create(name="省财政厅", kind="provincial", level="province", area_id=PROVINCE)
    Cadre.objects.create(personnel_number="P001", name="挂职甲", unit="省财政厅", unit_kind="provincial", rank="staff",
                         home_area_id=VILLAGE)
    row = {"personnel_number": "P001", "unit_name": "省财政厅", "unit_kind": "省直部门", "unit_area": PROVINCE,
           "from_area": PROVINCE, "to_area": COUNTY, "post": "副县长", "start_date": "2020-03-01",
           "end_date": "2022-02-28", "purpose": "产业帮扶"}
    outside = {**row, "to_area": OTHER_COUNTY}
    out = secondments.import_secondments(write(tmp_path / "s.csv", secondments.SPEC, [row, outside]), actor="county",
                                         user=officer)
    assert not out.imported and [(p.row, p.rule) for p in out.problems] == [(3, rules.OUTSIDE)]
    backwards = {**row, "end_date": "2019-01-01"}
    out = secondments.import_secondments(write(tmp_path / "t.csv", secondments.SPEC, [backwards]), actor="county",
                                         user=officer)
    assert not out.imported and out.problems[0].column == "期满日期"
    out = secondments.import_secondments(write(tmp_path / "u.csv", secondments.SPEC, [row]), actor="county",
                                         user=officer)
    assert out.imported
    s = Secondment.objects.get()
    assert (s.to_area_id, s.end_date, s.purpose) == (COUNTY, dt.date(2022, 2, 28), "产业帮扶")
    assert AuditEntry.objects.get(action="secondments.import").areas.get().code == COUNTY


def test_commands_and_blank_templates(officer, tmp_path):
    from python_calamine import CalamineWorkbook

    for kind, spec in (("units", units.SPEC), ("unit_links", links.SPEC), ("secondments", secondments.SPEC)):
        blank = tmp_path / f"{kind}.xlsx"
        call_command("template", str(blank), "--kind", kind)
        assert CalamineWorkbook.from_path(str(blank)).get_sheet_by_index(0).to_python()[0] == spec.headers
    path = write(tmp_path / "u.csv", units.SPEC, [unit_row(area=OTHER_COUNTY)])
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_units", str(path), "--user", "county", stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("import_units", str(path), stdout=out)
    assert "inserted 1" in out.getvalue()


def test_a_review_is_resolved_only_within_the_areas_and_a_merge_moves_the_cadres(officer):
    Cadre.objects.bulk_create([
        Cadre(name="甲", unit="县水利局", unit_kind="county", rank="staff", home_area_id=VILLAGE),
        Cadre(name="乙", unit="县水利局 ", unit_kind="county", rank="staff", home_area_id=VILLAGE2),
        Cadre(name="丙", unit="县水利局", unit_kind="county", rank="staff", home_area_id=OTHER_VILLAGE)])
    from jingzhun.organisation.units import attach_current

    attach_current()
    r = UnitReview.objects.get()
    assert len(r.unit_ids) == 3  # 龙山县's two spellings and 永顺县's 县水利局 share the key
    kept = Unit.objects.get(name="县水利局", area_id=COUNTY)
    spaced = Unit.objects.get(name="县水利局 ")
    other = Unit.objects.get(area_id=OTHER_COUNTY)
    with pytest.raises(review.Refused):  # 永顺县's unit is not the 龙山县 officer's to merge
        review.resolve(officer, "county", r.pk, "merged", kept.pk, "同一单位")
    with pytest.raises(review.Refused):  # nor to call distinct (a decision about every listed unit)
        review.resolve(officer, "county", r.pk, "distinct", None, "不同")
    with pytest.raises(review.Refused):  # the unit kept must be among those merged
        review.resolve(officer, "county", r.pk, "merged", other.pk, "", [kept.pk, spaced.pk])
    # The officer merges their own two spellings; 永顺县's unit is left, so the review stays open for it.
    partly = review.resolve(officer, "county", r.pk, "merged", kept.pk, "同一单位", [kept.pk, spaced.pk])
    assert partly.status == "open" and partly.unit_ids == [kept.pk, other.pk]
    assert Unit.objects.get(pk=spaced.pk).merged_into_id == kept.pk
    assert Unit.objects.get(pk=other.pk).merged_into_id is None
    assert list(Cadre.objects.filter(sending_unit=kept).order_by("pk").values_list("unit", flat=True)) == [
        "县水利局", "县水利局 "]  # the typed text stays
    # The province's administrator decides the rest: two different counties' bodies.
    admin = User.objects.create_superuser("root", password="x")
    done = review.resolve(admin, "root", r.pk, "distinct", None, "两县各自的水利局")
    assert done.status == "distinct" and Unit.objects.get(pk=other.pk).merged_into_id is None
    assert AuditEntry.objects.filter(action="organisation.unit_review").count() == 2


@pytest.mark.parametrize("mode", ["all", "check"])
def test_secondment_cadre_of_another_county_is_not_found_like_no_cadre(officer, tmp_path, mode):
    """The personnel number of a cadre working in another county gives the very answer a number nobody has
    gives (no oracle on other counties' rosters); the lookup is scoped in SQL to the importer's areas."""
    Unit.objects.create(name="省财政厅", kind="provincial", level="province", area_id=PROVINCE)
    Cadre.objects.create(personnel_number="P900", name="外县", unit="省财政厅", unit_kind="provincial", rank="staff",
                         home_area_id=OTHER_VILLAGE)
    row = {"personnel_number": "P900", "unit_name": "省财政厅", "unit_kind": "省直部门", "unit_area": PROVINCE,
           "from_area": PROVINCE, "to_area": COUNTY, "post": "副县长", "start_date": "2020-03-01",
           "end_date": "2022-02-28"}
    answers = []
    for number in ("P900", "P999"):  # elsewhere, and nowhere
        path = write(tmp_path / f"{number}.csv", secondments.SPEC, [{**row, "personnel_number": number}])
        out = secondments.import_secondments(path, actor="county", user=officer, mode=mode)
        assert not Secondment.objects.exists()
        [p] = out.problems
        answers.append((p.row, p.column, p.rule))
    assert answers[0] == answers[1] == (2, "人员编号", secondments.NO_CADRE)
