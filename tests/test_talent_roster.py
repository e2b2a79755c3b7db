"""The talent-pool roster import: real files through the one import subsystem — resident IDs only as ciphertext,
blind index and mask (the columns read back), an out-of-area row refusing the whole file with nothing
written, a check that writes nothing, re-import unchanged, the command and its audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from jingzhun.audit.models import AuditEntry
from jingzhun.crypto import resident_id_cipher
from jingzhun.tabular.rules import OUTSIDE
from jingzhun.talent.models import Scheme, Talent
from jingzhun.talent.roster import NOT_HERE_SCHEME, SPEC, import_talent
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE, VILLAGE2, make_areas, resident_id
from tests.people_cast import officer

pytestmark = pytest.mark.django_db
RID1 = resident_id("433130", dt.date(1990, 1, 2), 11, True)
RID2 = resident_id("433130", dt.date(1992, 5, 6), 12, False)
RID3 = resident_id("433127", dt.date(1988, 7, 8), 13, True)
HEADER = "姓名,证件号码,专业领域,资质,服务区划代码,引进方式,计划编号,到岗日期\n"


def roster(tmp_path, rows, name="人才.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def county(db):
    make_areas()
    Scheme.objects.create(code="A1", name="龙山计划", recruited="returnee", area_id=COUNTY, start_year=2024)
    Scheme.objects.create(code="B1", name="永顺计划", recruited="returnee", area_id=OTHER_COUNTY, start_year=2024)
    return officer("talent_a", COUNTY)


def test_the_header_is_the_specs():
    assert HEADER.strip().split(",") == SPEC.headers


def test_a_roster_imports_ids_encrypted_and_reimporting_changes_nothing(county, tmp_path):
    path = roster(tmp_path, [["张农技", RID1, "农业技术", "农艺师", VILLAGE, "返乡人才", "A1", "2024-03-01"],
                             ["李医生", RID2.lower(), "health", "", VILLAGE2, "dispatch", "", "2024-04-01"]])
    outcome = import_talent(path, actor="talent_a", user=county)
    assert outcome.imported and outcome.counts() == {"inserted": 2, "updated": 0, "unchanged": 0}
    cipher = resident_id_cipher()
    rows = {t.name: t for t in Talent.objects.all()}
    first = rows["张农技"]
    assert (first.area_id, first.speciality, first.recruited, first.scheme.code, first.qualifications,
            first.start_date) == (VILLAGE, "agriculture", "returnee", "A1", "农艺师", dt.date(2024, 3, 1))
    assert rows["李医生"].scheme_id is None and rows["李医生"].recruited == "dispatch"
    # The ID: ciphertext that decrypts to it, its blind index, its mask — and in clear nowhere in the table.
    for person, number in ((first, RID1), (rows["李医生"], RID2)):
        assert cipher.decrypt(person.resident_id_cipher) == number
        assert bytes(person.resident_id_index) == cipher.index(number)
        assert person.resident_id_masked == number[:6] + "********" + number[-4:]
        assert number.encode() not in bytes(person.resident_id_cipher)
        stored = [str(v) for v in Talent.objects.filter(pk=person.pk).values().get().values()]
        assert not any(number in v for v in stored)
    entry = AuditEntry.objects.get(action="talent_pool.import")
    assert RID1 not in str(entry.detail) and set(entry.areas.values_list("code", flat=True)) == {VILLAGE, VILLAGE2}
    assert import_talent(path, actor="talent_a", user=county).counts() == {"inserted": 0, "updated": 0, "unchanged": 2}
    # Matched by the ID: a changed row updates the person; an empty qualifications cell keeps the stored one.
    path = roster(tmp_path, [["张农技", RID1, "ecommerce", "", VILLAGE2, "returnee", "", "2024-03-01"]])
    assert import_talent(path, actor="talent_a", user=county).counts() == {"inserted": 0, "updated": 1, "unchanged": 0}
    moved = Talent.objects.get(pk=first.pk)
    assert (moved.area_id, moved.speciality, moved.qualifications, moved.scheme.code) == (
        VILLAGE2, "ecommerce", "农艺师", "A1")
    assert Talent.objects.count() == 2


def test_an_out_of_area_row_refuses_the_file_and_nothing_is_written(county, tmp_path):
    theirs = officer("talent_b", OTHER_COUNTY)
    import_talent(roster(tmp_path, [["外县人", RID3, "health", "", OTHER_VILLAGE, "returnee", "B1", "2024-01-01"]],
                         "b.csv"), actor="b", user=theirs)
    path = roster(tmp_path, [["张农技", RID1, "agriculture", "", VILLAGE, "returnee", "", "2024-03-01"],
                             ["越界", RID2, "health", "", OTHER_VILLAGE, "returnee", "", "2024-03-01"],
                             ["借计划", RID1[:-1] + "0" if RID1[-1] != "0" else RID1[:-1] + "1", "health", "",
                              VILLAGE, "returnee", "", "2024-03-01"],
                             ["外县人", RID3, "health", "", VILLAGE, "returnee", "", "2024-03-01"],
                             ["他县计划", resident_id("433130", dt.date(1991, 1, 1), 14, True), "health", "", VILLAGE,
                              "returnee", "B1", "2024-03-01"],
                             ["重复", RID1, "agriculture", "", VILLAGE, "returnee", "", "2024-03-01"]])
    before = list(Talent.objects.values_list("pk", "area_id", "name"))
    refused = import_talent(path, actor="talent_a", user=county)
    assert not refused.imported
    rules = {(p.row, p.column): p.rule for p in refused.problems}
    assert rules[(3, "服务区划代码")] == OUTSIDE
    assert (4, "证件号码") in rules  # a wrong check character
    assert rules[(5, "证件号码")] == OUTSIDE  # in the pool in another county: not taken over
    assert rules[(6, "计划编号")] == NOT_HERE_SCHEME
    assert rules[(7, "证件号码")].endswith("duplicates row 2 (the same person)")
    # No clear ID in any message.
    assert not any(RID1 in p.value or RID3 in p.value for p in refused.problems)
    assert list(Talent.objects.values_list("pk", "area_id", "name")) == before
    assert not AuditEntry.objects.filter(action="talent_pool.import", actor="talent_a").exists()
    # The valid rows only: the first row would be kept, but it shares its person with the bad duplicate row.
    valid = import_talent(path, actor="talent_a", user=county, mode="valid")
    assert not valid.imported and list(Talent.objects.values_list("pk", "area_id", "name")) == before
    assert Talent.objects.get(name="外县人").area_id == OTHER_VILLAGE


def test_check_mode_writes_nothing_and_is_audited(county, tmp_path):
    path = roster(tmp_path, [["张农技", RID1, "agriculture", "", VILLAGE, "returnee", "A1", "2024-03-01"]])
    checked = import_talent(path, actor="talent_a", user=county, mode="check")
    assert not checked.imported and checked.counts() == {"inserted": 1, "updated": 0, "unchanged": 0}
    assert not Talent.objects.exists()
    assert list(AuditEntry.objects.get(action="talent_pool.check").areas.values_list("code", flat=True)) == [VILLAGE]


def test_the_command_imports_and_refuses_like_the_function(county, tmp_path):
    good = roster(tmp_path, [["张农技", RID1, "agriculture", "", VILLAGE, "returnee", "A1", "2024-03-01"]])
    call_command("import_talent", str(good), "--user", "talent_a", "--check")
    assert not Talent.objects.exists()
    call_command("import_talent", str(good), "--user", "talent_a")
    assert Talent.objects.get().area_id == VILLAGE
    bad = roster(tmp_path, [["越界", RID2, "health", "", OTHER_VILLAGE, "returnee", "", "2024-03-01"]], "bad.csv")
    with pytest.raises(CommandError):
        call_command("import_talent", str(bad), "--user", "talent_a")
    assert Talent.objects.count() == 1


# --- schemes and quotas through the talent page ---------------------------------------------------------------


def test_an_officer_adds_a_scheme_and_sets_its_quota_inside_their_areas_only(county, client):
    from django.urls import reverse

    from jingzhun.talent.models import Quota

    client.force_login(county)
    post = lambda action, data: client.post(reverse("talent:write", args=[action]), data)  # noqa: E731
    assert post("scheme", {"code": "A2", "name": "新计划", "recruited": "graduate", "scheme_area": COUNTY,
                           "start_year": "2024"}).status_code == 302
    scheme = Scheme.objects.get(code="A2")
    assert (scheme.area_id, scheme.recruited, scheme.start_year) == (COUNTY, "graduate", 2024)
    assert AuditEntry.objects.get(action="talent.scheme_add").area == COUNTY
    form = {"scheme": scheme.pk, "year": "2025", "post_area": VILLAGE, "speciality": "health", "places": "3"}
    post("quota", form)
    post("quota", {**form, "places": "5"})  # set again: replaced, not added
    assert list(Quota.objects.values_list("scheme__code", "year", "area_id", "speciality", "places")) == [
        ("A2", 2025, VILLAGE, "health", 5)]
    assert AuditEntry.objects.filter(action="talent.quota_set").count() == 2
    # Another county's area, another county's scheme, an unregistered area: not found, nothing written.
    theirs = Scheme.objects.get(code="B1")
    for action, data in (("scheme", {"code": "X", "name": "越界", "recruited": "other", "scheme_area": OTHER_COUNTY,
                                     "start_year": "2024"}),
                         ("quota", {**form, "post_area": OTHER_VILLAGE}),
                         ("quota", {**form, "scheme": theirs.pk}),
                         ("quota", {**form, "post_area": COUNTY[:9] + "999"})):
        assert post(action, data).status_code == 404
    assert not Scheme.objects.filter(code="X").exists() and Quota.objects.count() == 1
    # A quota before the scheme's first year is refused with the rule on the page.
    page = client.post(reverse("talent:write", args=["quota"]), {**form, "year": "2023"}, follow=True)
    assert "早于计划起始年度 2024" in page.content.decode() and Quota.objects.count() == 1
