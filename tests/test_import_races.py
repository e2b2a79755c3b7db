"""The register import under concurrent writes: the check and the plan are made before the write's transaction,
so another write may land in between — another officer's file, or an officer's decision on a household.

The property: one write lands whole; the other is checked and planned again against what is stored now and
either lands correctly (as if it had run second) or is refused in words (中文 / English) naming what clashes —
never an exception out of the importer (the upload page's "Error"), never a partial batch, never a duplicate
household or person.

Two real connections, as in tests/test_simultaneous_writes.py: a thread writes inside a transaction it keeps
open until the import waits on its lock (PostgreSQL: seen in pg_stat_activity; SQLite: a second, the import's
write lock waits for it whatever the timing), then commits. The import's check and plan were made before the
other write was committed — the race, every time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from jingzhun import crypto
from jingzhun.registry import template
from jingzhun.registry.importer import ImportResult, import_register
from jingzhun.registry.models import Change, Household, ImportBatch, Member, StatusEvent
from jingzhun.web.models import Upload
from tests.factories import COUNTY, OTHER_VILLAGE, VILLAGE, VILLAGE2, household_rows, write_csv
from tests.test_hostile_files import post, token_of, uploads_here  # noqa: F401 -- the fixture
from tests.test_simultaneous_writes import first_then

pytestmark = pytest.mark.django_db(transaction=True)

COUNTY_SCOPE = [(COUNTY[:6] + "000000", COUNTY[:6] + "999999")]


def run(tmp_path: Path, rows: list[dict[str, str]], name: str, **kwargs) -> ImportResult:
    return import_register(write_csv(tmp_path / name, rows), **kwargs)


def imported_first(tmp_path: Path, rows: list[dict[str, str]], name: str, **kwargs):
    """The other officer's import, run in the thread of `first_then` (inside its open transaction)."""
    def first() -> None:
        result = run(tmp_path, rows, name, **kwargs)
        assert result.imported, result.errors
    return first


def people(number: str) -> list[str]:
    cipher = crypto.resident_id_cipher()
    return [cipher.decrypt(m.resident_id_cipher)
            for m in Member.objects.filter(household__number=number).order_by("position")]


def no_duplicates() -> None:
    numbers = list(Household.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers))
    indexes = [bytes(i) for i in Member.objects.values_list("resident_id_index", flat=True)]
    assert len(indexes) == len(set(indexes))


def test_two_imports_creating_the_same_new_household_both_land_in_turn(areas, tmp_path):
    """Case 1. Both files create household N1 (with different people). The first lands; the second, planned
    when N1 was not there yet, is planned again: N1 exists, so it is updated to the second file's people."""
    first = household_rows("N1", VILLAGE, size=3, seed=1)
    second = household_rows("N1", VILLAGE, size=2, seed=2)
    result = first_then(None, imported_first(tmp_path, first, "a.csv"), lambda: run(tmp_path, second, "b.csv"))
    assert result.imported and (result.inserted, result.updated) == (0, 1), result.errors
    no_duplicates()
    assert Household.objects.filter(number="N1").count() == 1
    assert people("N1") == [r["resident_id"] for r in second]
    assert ImportBatch.objects.count() == 2
    # The second batch records the first file's people as removed, as a second import in turn would.
    assert sorted(Change.objects.filter(batch_id=result.batch_id, field="member_removed")
                  .values_list("member_position", flat=True)) == [1, 2, 3]


def test_two_imports_moving_one_person_into_different_households_land_one_move(areas, tmp_path):
    """Case 2. H1's fourth person moves to H2 in one file and to H3 in the other. The first lands; the second,
    checked again, finds the person registered in H2 (a household it does not carry) and refuses the row —
    in words, nothing of its file written (mode all)."""
    h1, h2, h3 = (household_rows(n, VILLAGE, size=s, seed=k) for n, s, k in (("H1", 4, 1), ("H2", 3, 2), ("H3", 3, 3)))
    assert run(tmp_path, h1 + h2 + h3, "start.csv").imported
    mover = h1[3]
    to_h2 = h1[:3] + h2 + [{**mover, "household_number": "H2"}]
    to_h3 = h1[:3] + h3 + [{**mover, "household_number": "H3"}]
    result = first_then(None, imported_first(tmp_path, to_h2, "a.csv"), lambda: run(tmp_path, to_h3, "b.csv"))
    assert not result.imported
    assert [(e.row, e.column) for e in result.errors] == [(8, template.BY_KEY["resident_id"].header)]
    assert "已在户 H2 登记 / already registered in household H2" in result.errors[0].rule
    no_duplicates()
    assert mover["resident_id"] in people("H2") and mover["resident_id"] not in people("H1") + people("H3")
    assert people("H3") == [r["resident_id"] for r in h3]
    assert ImportBatch.objects.count() == 2


def test_an_import_updating_a_household_an_officer_decides_on_meanwhile_records_the_decision_it_overrides(
        areas, tmp_path):
    """Case 3, an officer's decision. The import changes H1's arable land; meanwhile an officer announces H1 as
    monitored (status and its event, as `appraisal.workflow.announce` writes them). The import was planned with
    H1 poor and its status unchanged; it rewrites the household's fields, so written as planned it puts the
    status back to poor silently — no change row, no status event, the register contradicting its own history.
    Planned again, it lands as an import after the decision does: the status change from monitored back to poor
    recorded, with its event."""
    rows = household_rows("H1", VILLAGE, size=3, seed=1)
    assert run(tmp_path, rows, "start.csv").imported
    events = StatusEvent.objects.count()

    def officer() -> None:
        hh = Household.objects.select_for_update().get(number="H1")
        Household.objects.filter(pk=hh.pk).update(status="monitored", status_reason="")
        StatusEvent.objects.create(household=hh, status="monitored", year=2019, reason="", occurred_on=dt.date(2019, 6, 1),
                                   recorded_at=dt.datetime.now(dt.UTC))

    rows[0]["arable_land_mu"] = "3"
    result = first_then(None, officer, lambda: run(tmp_path, rows, "b.csv"))
    assert result.imported and result.updated == 1, result.errors
    h1 = Household.objects.get(number="H1")
    assert h1.status == "poor"
    changes = set(Change.objects.filter(batch_id=result.batch_id).values_list("field", "old_value", "new_value"))
    assert ("status", "monitored", "poor") in changes and ("arable_land_mu", "2.50", "3.00") in changes
    assert StatusEvent.objects.count() == events + 2  # the officer's, and the import's back to poor
    assert StatusEvent.objects.filter(household=h1).order_by("-pk").values_list("status", flat=True)[0] == "poor"


def test_an_import_updating_a_household_another_import_moves_meanwhile_moves_it_back_recorded(areas, tmp_path):
    """Case 3, another import. One file moves H1 to 白岩村; the other, planned with H1 still in 洗车村, changes
    its income. Planned again, the second moves H1 back (its file says 洗车村), and records that move."""
    rows = household_rows("H1", VILLAGE, size=3, seed=1)
    assert run(tmp_path, rows, "start.csv").imported
    moved = household_rows("H1", VILLAGE2, size=3, seed=1)
    rows[0]["wage_income"] = "7000"
    result = first_then(None, imported_first(tmp_path, moved, "a.csv"), lambda: run(tmp_path, rows, "b.csv"))
    assert result.imported and result.updated == 1, result.errors
    assert Household.objects.get(number="H1").village_id == VILLAGE
    changes = set(Change.objects.filter(batch_id=result.batch_id).values_list("field", "old_value", "new_value"))
    assert ("village", VILLAGE2, VILLAGE) in changes and ("wage_income", "6000.00", "7000.00") in changes
    no_duplicates()


def test_an_import_updating_a_household_moved_out_of_the_importers_areas_meanwhile_is_refused_in_words(
        areas, tmp_path):
    """Case 3, a move out of the importer's areas (by an officer over both counties). Checked again, the import
    refuses H1's rows as any household now outside its areas: a row problem naming the rule, nothing written."""
    rows = household_rows("H1", VILLAGE, size=3, seed=1)
    assert run(tmp_path, rows, "start.csv").imported
    rows[0]["wage_income"] = "7000"

    def officer() -> None:
        Household.objects.filter(number="H1").update(village_id=OTHER_VILLAGE)

    result = first_then(None, officer, lambda: run(tmp_path, rows, "b.csv", scope=COUNTY_SCOPE))
    assert not result.imported
    assert {e.row for e in result.errors} == {2, 3, 4}
    assert all("outside your areas" in e.rule for e in result.errors)
    assert Household.objects.get(number="H1").village_id == OTHER_VILLAGE
    assert ImportBatch.objects.count() == 1
    with transaction.atomic():  # the income stayed as it was
        assert Household.objects.get(number="H1").incomes.get(year=2019).wage_income == 6000


# --- the web upload: its confirm is the import that meets the other write --------------------------------------


def test_an_upload_confirmed_while_another_file_creates_its_new_household_lands(committed_web, uploads_here, tmp_path):  # noqa: F811
    """Case 1 through the upload page. Before, the page showed "ConcurrentWrite: registry_household changed while
    this import was prepared; run it again" (English only, the class name) and the upload failed. A race on
    PostgreSQL only: on SQLite the confirm's own first write (the upload's state) already queues behind the other
    file's transaction, so its check sees R9 — the same answer, reached without a retry."""
    web = committed_web
    mine = household_rows("R9", VILLAGE, size=2, seed=90)
    client = web.client("officer_a")
    response = post(client, "r9.csv", write_csv(tmp_path / "r9.csv", mine).read_bytes())
    token = token_of(response)
    other = household_rows("R9", VILLAGE, size=3, seed=91)
    page = first_then(web, imported_first(tmp_path, other, "other.csv"),
                      lambda: client.post(reverse("web:upload_confirm", args=[token]), {"mode": "all"}, follow=True))
    upload = Upload.objects.get(token=token)
    assert upload.state == "done", upload.result
    assert (upload.result["inserted"], upload.result["updated"]) == (0, 1)
    assert people("R9") == [r["resident_id"] for r in mine]
    assert "ConcurrentWrite" not in page.content.decode()
    no_duplicates()


def test_an_upload_confirmed_while_its_household_leaves_the_officers_areas_says_why(committed_web, uploads_here,  # noqa: F811
                                                                                   tmp_path):
    """Case 3 through the upload page: the household moves out of the officer's areas between the check and the
    confirm's write. The page names the row and the rule (before: "ScopeChanged: …", no row); nothing written."""
    web = committed_web
    rows = [dict(r) for r in web.rows["A101-1"]]
    rows[0]["wage_income"] = "9100"
    client = web.client("officer_a")
    token = token_of(post(client, "a.csv", write_csv(tmp_path / "a.csv", rows).read_bytes()))

    def moved_out() -> None:
        Household.objects.filter(number="A101-1").update(village_id=OTHER_VILLAGE)

    page = first_then(web, moved_out, lambda: client.post(reverse("web:upload_confirm", args=[token]), {"mode": "all"},
                                                          follow=True))
    upload = Upload.objects.get(token=token)
    assert upload.state == "failed" and not upload.result["imported"]
    assert upload.result["error"].startswith("第2行“户编号”：此户编号已登记在您的管辖范围以外")
    assert "row 2, 户编号: this household number is registered outside" in upload.result["error"]
    assert "此户编号已登记在您的管辖范围以外" in page.content.decode()
    assert Household.objects.get(number="A101-1").village_id == OTHER_VILLAGE
    assert str(Household.objects.get(number="A101-1").incomes.get(year=2019).wage_income) == "6000.00"
