"""Importing the register: reading (CSV encodings, XLSX), every validation rule, all-or-nothing and
valid-only modes, idempotent re-import, change records, and that resident IDs never reach the
database or an error report in clear.

Row numbers are the ones a spreadsheet shows: the header is row 1, so the first household's rows are
2, 3, ... Every expected value is known from the rows the test itself wrote.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest
from django.db import connection, transaction

from jingzhun import crypto
from jingzhun.audit.models import AuditEntry
from jingzhun.identity import mask
from jingzhun.registry import reading, template
from jingzhun.registry.importer import ImportResult, import_register
from jingzhun.registry.models import Change, Household, ImportBatch, IncomeRecord, Member, StatusEvent
from jingzhun.registry.reading import FileProblem
from jingzhun.tabular import read as tabular_read
from tests.factories import (
    COUNTY,
    OTHER_VILLAGE,
    VILLAGE,
    VILLAGE2,
    household_rows,
    two_households,
    write_csv,
    write_xlsx,
)

COUNTY_SCOPE = (COUNTY[:6] + "000000", COUNTY[:6] + "999999")


def header(key: str) -> str:
    return template.BY_KEY[key].header


# The importer's own transaction is part of what is tested: it must commit for real (PostgreSQL checks
# the deferred foreign keys only at COMMIT, which never comes inside a test's rolled-back transaction),
# so these tests run on a committed database. One test below imports inside an enclosing transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def run(tmp_path: Path, rows: list[dict[str, str]], name: str = "register.csv", **kwargs) -> ImportResult:
    return import_register(write_csv(tmp_path / name, rows), **kwargs)


def errors_at(result: ImportResult) -> set[tuple[int, str]]:
    return {(e.row, e.column) for e in result.errors}


def only_error(result: ImportResult):
    assert len(result.errors) == 1, result.errors
    assert not result.imported
    return result.errors[0]


def assert_error(result: ImportResult, row: int, key: str, rule_part: str) -> None:
    """Exactly one error, at this row and column, whose rule says this."""
    error = only_error(result)
    assert (error.row, error.column) == (row, header(key))
    assert rule_part in error.rule, error.rule
    assert error.file == result.file_name


def decrypted_ids(household: str) -> list[str]:
    cipher = crypto.resident_id_cipher()
    members = Member.objects.filter(household__number=household).order_by("position")
    return [cipher.decrypt(m.resident_id_cipher) for m in members]


def member_ids_by_person() -> dict[bytes, int]:
    return {bytes(i): pk for pk, i in Member.objects.values_list("pk", "resident_id_index")}


def dump() -> dict[str, list]:
    """Every registry row, ciphertexts included (a rewrite changes them: fresh nonces)."""
    def rows(model):
        out = []
        for row in model.objects.order_by("pk").values():
            out.append({k: bytes(v) if isinstance(v, memoryview | bytes) else v for k, v in row.items()})
        return out
    return {m.__name__: rows(m) for m in (Household, Member, IncomeRecord, StatusEvent, Change, ImportBatch)}


def fifteen(rid: str) -> str:
    return rid[:6] + rid[8:17]


# --------------------------------------------------------------------------- a clean file


def test_clean_file_imports_households_members_and_incomes(areas, tmp_path):
    rows = two_households()
    result = run(tmp_path, rows)
    assert result.ok and result.imported
    assert (result.rows, result.households) == (7, 2)
    assert (result.inserted, result.updated, result.unchanged, result.rejected_households) == (2, 0, 0, 0)
    assert Household.objects.count() == 2
    assert Member.objects.count() == 7
    assert IncomeRecord.objects.count() == 2
    assert StatusEvent.objects.count() == 2  # the first status of each new household


def test_clean_file_stores_the_files_resident_ids_encrypted(areas, tmp_path):
    rows = two_households()
    run(tmp_path, rows)
    assert decrypted_ids("H1") == [r["resident_id"] for r in rows[:4]]
    assert decrypted_ids("H2") == [r["resident_id"] for r in rows[4:]]


def test_clean_file_blind_index_matches_the_id(areas, tmp_path):
    rows = two_households()
    run(tmp_path, rows)
    cipher = crypto.resident_id_cipher()
    assert set(member_ids_by_person()) == {cipher.index(r["resident_id"]) for r in rows}


def test_health_is_stored_encrypted_as_code_and_grade(areas, tmp_path):
    run(tmp_path, two_households())
    cipher = crypto.health_cipher()
    members = Member.objects.filter(household__number="H1").order_by("position")
    # factories: 患有大病, 健康, 健康, 残疾 grade 2
    assert [cipher.decrypt(m.health_cipher) for m in members] == ["serious:", "healthy:", "healthy:", "disabled:2"]


def test_clean_file_values_are_stored_as_codes(areas, tmp_path):
    run(tmp_path, two_households())
    h = Household.objects.get(number="H1")
    assert (h.village_id, h.category, h.status, h.identified_year, h.exit_year) == (VILLAGE, "general", "poor", 2014, None)
    assert (h.arable_land_mu, h.housing_area_m2, h.distance_to_road_km) == (Decimal("2.5"), Decimal("85.5"), Decimal("1.2"))
    assert (h.housing_grade, h.drinking_water, h.road, h.primary_cause) == ("B", "safe", "gravel", "illness")
    assert h.secondary_causes == "skills,capital"  # 缺技术、缺资金, in the CAUSE list's order
    assert (h.has_electricity, h.has_production_power, h.sanitary_toilet, h.medical_secured) == (True, False, False, False)
    income = IncomeRecord.objects.get(household=h)
    assert (income.year, income.wage_income, income.production_income) == (2019, Decimal(6000), Decimal("3000.50"))
    head = Member.objects.get(household=h, position=1)
    assert (head.name, head.relation, head.sex, head.birth_date) == ("张德明", "head", "male", dt.date(1968, 3, 14))
    assert (head.migrant_months, head.ethnicity, head.assistance) == (3, "土家族", "none")
    assert [m.relation for m in h.members.order_by("position")] == ["head", "spouse", "son", "daughter"]


def test_import_is_recorded_as_a_batch_and_audited(areas, tmp_path):
    result = run(tmp_path, two_households())
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert (batch.file_name, batch.rows, batch.households_inserted, batch.mode) == ("register.csv", 7, 2, "all")
    assert batch.finished_at is not None
    assert AuditEntry.objects.filter(action="import", object_id=str(batch.pk)).count() == 1


def detach_staging_database() -> None:
    """Clean-up after a failed import on SQLite: a staging database left attached to the shared
    connection would make every later import in this process fail."""
    if connection.vendor == "sqlite" and connection.connection is not None:
        with connection.cursor() as cur:
            cur.execute("PRAGMA database_list")
            if any(name == "stage" for _, name, _ in cur.fetchall()):
                cur.execute("DETACH DATABASE stage")


def test_import_inside_an_enclosing_transaction(areas, tmp_path):
    try:
        with transaction.atomic():  # as a caller with its own transaction (ATOMIC_REQUESTS, a script) would
            result = run(tmp_path, two_households())
    finally:
        detach_staging_database()
    assert result.imported
    assert Member.objects.count() == 7


# --------------------------------------------------------------------------- re-import


def test_reimporting_the_same_file_changes_nothing(areas, tmp_path):
    rows = two_households()
    run(tmp_path, rows)
    before = dump()
    again = run(tmp_path, rows)
    assert again.imported
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    after = dump()
    for table in ("Household", "Member", "IncomeRecord", "StatusEvent", "Change"):
        assert after[table] == before[table], table
    assert len(after["ImportBatch"]) == 2


def changed_file() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Five households, then the same five with: H1 a name and an income changed; H2 exited in
    2020 and a member added; H3 a member removed; H4 two members swapped; H5 as it was."""
    h1, h2, h3 = household_rows("H1", size=4, seed=1), household_rows("H2", size=3, seed=2), household_rows("H3", size=3, seed=3)
    h4, h5 = household_rows("H4", size=4, seed=4), household_rows("H5", size=3, seed=5)
    old = h1 + h2 + h3 + h4 + h5
    n1 = [dict(r) for r in h1]
    n1[1]["name"] = "李秀兰"
    n1[0]["wage_income"] = "6500"
    n2 = [dict(r) for r in h2]
    n2[0]["status"], n2[0]["exit_year"] = "已脱贫", "2020"
    n2.append(household_rows("H2", size=4, seed=2)[3])
    n3 = h3[:2]
    n4 = [h4[0], h4[1], h4[3], h4[2]]
    return old, n1 + n2 + n3 + n4 + h5


def test_changed_file_updates_only_the_changed_households(areas, tmp_path):
    old, new = changed_file()
    run(tmp_path, old)
    result = run(tmp_path, new, name="changed.csv")
    assert result.ok and result.imported
    assert (result.inserted, result.updated, result.unchanged) == (0, 4, 1)


def test_changed_file_records_exactly_the_changed_fields(areas, tmp_path):
    old, new = changed_file()
    run(tmp_path, old)
    result = run(tmp_path, new, name="changed.csv")
    changes = Change.objects.filter(batch_id=result.batch_id)
    assert {(c.household_number, c.field) for c in changes} == {
        ("H1", "name"), ("H1", "wage_income"),
        ("H2", "status"), ("H2", "exit_year"), ("H2", "member_added"),
        ("H3", "member_removed"),
        ("H4", "position"),
    }
    assert changes.filter(household_number="H4", field="position").count() == 2  # both swapped people
    name = changes.get(field="name")
    assert (name.old_value, name.new_value, name.member_position) == ("李秀英", "李秀兰", 2)
    status = changes.get(field="status")
    assert (status.old_value, status.new_value) == ("poor", "exited")


def test_changed_file_applies_the_changes(areas, tmp_path):
    old, new = changed_file()
    run(tmp_path, old)
    run(tmp_path, new, name="changed.csv")
    assert Member.objects.get(household__number="H1", position=2).name == "李秀兰"
    assert IncomeRecord.objects.get(household__number="H1").wage_income == Decimal(6500)
    h2 = Household.objects.get(number="H2")
    assert (h2.status, h2.exit_year) == ("exited", 2020)
    assert StatusEvent.objects.filter(household=h2).order_by("pk").last().status == "exited"
    assert decrypted_ids("H2") == [r["resident_id"] for r in new if r["household_number"] == "H2"]
    assert decrypted_ids("H3") == [r["resident_id"] for r in old[7:9]]
    assert list(Member.objects.filter(household__number="H4").order_by("position").values_list("name", flat=True)) == [
        "张德明", "李秀英", "张小红", "张小军"]
    assert Member.objects.count() == 17  # 4 + 4 + 2 + 4 + 3
    assert Household.objects.count() == 5


def test_changed_file_keeps_member_ids_of_the_same_people(areas, tmp_path):
    old, new = changed_file()
    run(tmp_path, old)
    before = member_ids_by_person()
    run(tmp_path, new, name="changed.csv")
    after = member_ids_by_person()
    cipher = crypto.resident_id_cipher()
    removed = cipher.index(old[9]["resident_id"])  # H3's third person
    added = cipher.index(new[7]["resident_id"])  # H2's new fourth person
    assert set(before) - set(after) == {removed}
    assert set(after) - set(before) == {added}
    assert {k: after[k] for k in before if k != removed} == {k: v for k, v in before.items() if k != removed}
    assert after[added] not in before.values()


def test_unchanged_household_is_not_rewritten(areas, tmp_path):
    old, new = changed_file()
    run(tmp_path, old)
    h5 = Household.objects.get(number="H5")
    members_before = [(m.pk, bytes(m.resident_id_cipher)) for m in h5.members.order_by("pk")]
    run(tmp_path, new, name="changed.csv")
    h5_after = Household.objects.get(number="H5")
    assert h5_after.updated_at == h5.updated_at
    assert [(m.pk, bytes(m.resident_id_cipher)) for m in h5_after.members.order_by("pk")] == members_before


def test_health_change_is_recorded_without_its_values(areas, tmp_path):
    rows = two_households()
    run(tmp_path, rows)
    rows[1]["health"] = "长期慢性病"  # 李秀英: 健康 → chronic illness
    result = run(tmp_path, rows, name="health.csv")
    changes = list(Change.objects.filter(batch_id=result.batch_id))
    assert [(c.household_number, c.field, c.member_position) for c in changes] == [("H1", "health", 2)]
    for text in ("健康", "healthy", "长期慢性病", "chronic"):
        assert text not in changes[0].old_value + changes[0].new_value
    member = Member.objects.get(household__number="H1", position=2)
    assert crypto.health_cipher().decrypt(member.health_cipher) == "chronic:"


def test_income_of_a_new_year_is_added_and_the_old_year_kept(areas, tmp_path):
    rows = two_households()
    run(tmp_path, rows)
    rows[0]["income_year"], rows[0]["wage_income"] = "2020", "7000"
    result = run(tmp_path, rows, name="2020.csv")
    assert (result.updated, result.unchanged) == (1, 1)
    incomes = IncomeRecord.objects.filter(household__number="H1").order_by("year")
    assert [(i.year, i.wage_income) for i in incomes] == [(2019, Decimal(6000)), (2020, Decimal(7000))]


def test_member_added_to_the_household_holding_the_highest_member_ids(areas, tmp_path):
    h1, h2 = household_rows("H1", size=3, seed=1), household_rows("H2", size=3, seed=2)
    run(tmp_path, h1 + h2)  # H2's members get the highest ids
    before = member_ids_by_person()
    added = household_rows("H2", size=4, seed=2)[3]
    result = run(tmp_path, h1 + h2 + [added], name="added.csv")
    assert result.imported and (result.updated, result.unchanged) == (1, 1)
    after = member_ids_by_person()
    assert {k: after[k] for k in before} == before
    assert after[crypto.resident_id_cipher().index(added["resident_id"])] not in before.values()


def test_person_moving_between_households_of_the_file_keeps_member_id(areas, tmp_path):
    h1, h2 = household_rows("H1", size=4, seed=1), household_rows("H2", size=3, seed=2)
    run(tmp_path, h1 + h2)
    mover = h1[3]  # 张小红 leaves H1 for H2
    before = member_ids_by_person()[crypto.resident_id_cipher().index(mover["resident_id"])]
    result = run(tmp_path, h1[:3] + h2 + [{**mover, "household_number": "H2"}], name="moved.csv")
    assert result.ok, result.errors
    assert mover["resident_id"] in decrypted_ids("H2")
    assert mover["resident_id"] not in decrypted_ids("H1")
    assert member_ids_by_person()[crypto.resident_id_cipher().index(mover["resident_id"])] == before
    assert {(c.household_number, c.field) for c in Change.objects.filter(batch_id=result.batch_id)} == {
        ("H1", "member_removed"), ("H2", "member_added")}


# --------------------------------------------------------------------------- validation rules


def test_bad_check_digit_is_reported_masked(areas, tmp_path):
    rows = two_households()
    rid = rows[1]["resident_id"]
    wrong = rid[:17] + ("0" if rid[17] != "0" else "1")
    rows[1]["resident_id"] = wrong
    result = run(tmp_path, rows)
    assert_error(result, 3, "resident_id", "校验码")
    assert result.errors[0].value == mask(wrong)


def test_fifteen_digit_id_is_accepted_and_stored_upgraded(areas, tmp_path):
    rows = two_households()
    rid = rows[0]["resident_id"]  # born 1968
    rows[0]["resident_id"] = fifteen(rid)
    result = run(tmp_path, rows)
    assert result.ok, result.errors
    assert decrypted_ids("H1")[0] == rid


def test_lower_case_x_is_stored_upper_case(areas, tmp_path):
    # the first factory household whose IDs include an X check character
    seed = next(n for n in range(3, 50) if any(r["resident_id"].endswith("X") for r in household_rows("HX", seed=n)))
    hx = household_rows("HX", seed=seed)
    with_x = next(r for r in hx if r["resident_id"].endswith("X"))
    upper = with_x["resident_id"]
    with_x["resident_id"] = upper.lower()
    result = run(tmp_path, two_households() + hx)
    assert result.ok, result.errors
    assert upper in decrypted_ids("HX")


def test_sex_disagreeing_with_the_id(areas, tmp_path):
    rows = two_households()
    rows[0]["sex"] = "女"  # the head's ID has an odd 17th digit
    assert_error(run(tmp_path, rows), 2, "sex", "17th digit")


def test_birth_date_disagreeing_with_the_id(areas, tmp_path):
    rows = two_households()
    rows[0]["birth_date"] = "1968-03-15"  # the ID says 1968-03-14
    assert_error(run(tmp_path, rows), 2, "birth_date", "birth date in the ID")


def test_birth_date_with_slashes_is_accepted(areas, tmp_path):
    rows = two_households()
    rows[0]["birth_date"] = "1968/03/14"
    assert run(tmp_path, rows).ok


def test_unknown_village_code(areas, tmp_path):
    rows = two_households()
    rows[4]["village"] = "433130101299"
    assert_error(run(tmp_path, rows), 6, "village", "not a registered village")


def test_village_of_another_county_is_accepted_without_scope(areas, tmp_path):
    rows = two_households()
    rows[4]["village"] = OTHER_VILLAGE
    assert run(tmp_path, rows).ok


def test_village_outside_scope(areas, tmp_path):
    rows = two_households()
    rows[4]["village"] = OTHER_VILLAGE
    assert_error(run(tmp_path, rows, scope=COUNTY_SCOPE), 6, "village", "not a registered village")


def test_village_inside_scope_is_accepted(areas, tmp_path):
    rows = two_households()
    rows[4]["village"] = VILLAGE2
    assert run(tmp_path, rows, scope=COUNTY_SCOPE).ok


def test_bad_enum_value(areas, tmp_path):
    rows = two_households()
    rows[0]["category"] = "贫困"
    result = run(tmp_path, rows)
    assert_error(result, 2, "category", "not an allowed value")
    assert "一般贫困户" in result.errors[0].rule  # the allowed values are listed
    assert result.errors[0].value == "贫困"


def test_enum_code_and_english_label_are_accepted(areas, tmp_path):
    rows = two_households()
    rows[0]["category"], rows[4]["category"] = "dibao", "general"
    assert run(tmp_path, rows).ok
    assert dict(Household.objects.values_list("number", "category")) == {"H1": "dibao", "H2": "general"}


def test_decimal_with_three_places(areas, tmp_path):
    rows = two_households()
    rows[0]["arable_land_mu"] = "2.555"
    assert_error(run(tmp_path, rows), 2, "arable_land_mu", "at most 2 decimals")


def test_negative_income(areas, tmp_path):
    rows = two_households()
    rows[0]["wage_income"] = "-100"
    assert_error(run(tmp_path, rows), 2, "wage_income", "between 0 and")


def test_text_too_long(areas, tmp_path):
    rows = two_households()
    rows[2]["name"] = "张" * 41
    assert_error(run(tmp_path, rows), 4, "name", "longer than 40")


def test_text_of_exactly_the_maximum_length_is_accepted(areas, tmp_path):
    rows = two_households()
    rows[2]["name"] = "张" * 40
    assert run(tmp_path, rows).ok


def test_household_with_two_heads(areas, tmp_path):
    rows = two_households()
    rows[1].update({k: rows[0][k] for k in template.HOUSEHOLD_KEYS})  # a full second head row
    rows[1]["relation"] = "户主"
    assert_error(run(tmp_path, rows), 2, "relation", "found 2")


def test_household_without_a_head(areas, tmp_path):
    rows = two_households()
    rows[0]["relation"] = "其他"
    result = run(tmp_path, rows)
    assert not result.imported
    heads = [e for e in result.errors if e.column == header("relation")]
    assert [(e.row, "found 0" in e.rule) for e in heads] == [(2, True)]


def test_household_cell_on_a_non_head_row_differing_from_the_heads(areas, tmp_path):
    rows = two_households()
    rows[1]["category"] = "低保贫困户"  # the head's row says 一般贫困户
    assert_error(run(tmp_path, rows), 3, "category", "differs from the head's row")


def test_household_cells_repeated_on_every_row_are_accepted(areas, tmp_path):
    rows = two_households()
    for row in rows[1:4]:
        row.update({k: rows[0][k] for k in template.HOUSEHOLD_KEYS})
    result = run(tmp_path, rows)
    assert result.ok, result.errors
    assert Household.objects.count() == 2


def test_same_id_twice_in_the_file_points_to_the_first_row(areas, tmp_path):
    rows = two_households()
    first = rows[1]
    rows[5].update(resident_id=first["resident_id"], sex=first["sex"], birth_date=first["birth_date"])  # row 7
    result = run(tmp_path, rows)
    assert_error(result, 7, "resident_id", "already on row 3")
    assert result.errors[0].value == mask(first["resident_id"])


def test_same_person_as_fifteen_and_eighteen_digits_is_a_duplicate(areas, tmp_path):
    rows = two_households()
    first = rows[0]  # born 1968
    rows[5].update(resident_id=fifteen(first["resident_id"]), sex=first["sex"], birth_date=first["birth_date"])
    assert_error(run(tmp_path, rows), 7, "resident_id", "already on row 2")


def test_id_registered_in_another_household_in_the_database(areas, tmp_path):
    run(tmp_path, two_households())
    h9 = household_rows("H9", size=3, seed=9)
    someone = household_rows("H1", size=4, seed=1)[0]
    h9[1].update(resident_id=someone["resident_id"], sex=someone["sex"], birth_date=someone["birth_date"])
    result = run(tmp_path, h9, name="h9.csv")
    assert_error(result, 3, "resident_id", "already registered in household H1")
    assert result.errors[0].value == mask(someone["resident_id"])


def test_disability_without_grade(areas, tmp_path):
    rows = two_households()
    rows[3]["disability_grade"] = ""  # 张小红: 残疾
    assert_error(run(tmp_path, rows), 5, "disability_grade", "required when the health status is disability")


def test_grade_without_disability(areas, tmp_path):
    rows = two_households()
    rows[2]["disability_grade"] = "1"  # 张小军: 健康
    assert_error(run(tmp_path, rows), 4, "disability_grade", "only for a person with a disability")


def test_disability_grade_out_of_range(areas, tmp_path):
    rows = two_households()
    rows[3]["disability_grade"] = "5"  # 张小红: 残疾; grades are 1–4
    assert_error(run(tmp_path, rows), 5, "disability_grade", "between 1 and 4")


def test_exit_year_out_of_range(areas, tmp_path):
    rows = two_households()
    rows[0]["status"], rows[0]["exit_year"] = "已脱贫", "2012"  # exit years are 2013–2100
    assert_error(run(tmp_path, rows), 2, "exit_year", "between 2013 and 2100")


def test_exited_without_exit_year(areas, tmp_path):
    rows = two_households()
    rows[0]["status"] = "已脱贫"
    assert_error(run(tmp_path, rows), 2, "exit_year", "required when the status is exited")


def test_exited_with_exit_year_is_accepted(areas, tmp_path):
    rows = two_households()
    rows[0]["status"], rows[0]["exit_year"] = "已脱贫", "2020"
    assert run(tmp_path, rows).ok
    assert Household.objects.get(number="H1").exit_year == 2020


def test_removed_without_reason(areas, tmp_path):
    rows = two_households()
    rows[4]["status"] = "已清退"
    assert_error(run(tmp_path, rows), 6, "status_reason", "required when the status is removed")


def test_returned_without_reason(areas, tmp_path):
    rows = two_households()
    rows[4]["status"] = "返贫"
    assert_error(run(tmp_path, rows), 6, "status_reason", "required when the status is removed or returned")


def test_missing_required_cell(areas, tmp_path):
    rows = two_households()
    rows[2]["ethnicity"] = ""
    assert_error(run(tmp_path, rows), 4, "ethnicity", "required")


def test_all_errors_are_reported_in_one_run(areas, tmp_path):
    rows = two_households()
    rows[0]["category"] = "贫困"  # row 2
    rows[1]["sex"] = "男"  # row 3: 李秀英's ID is a woman's
    rows[3]["disability_grade"] = ""  # row 5
    rows[4]["village"] = "433130101299"  # row 6
    rows[5]["name"] = "李" * 41  # row 7
    result = run(tmp_path, rows)
    assert errors_at(result) == {
        (2, header("category")), (3, header("sex")), (5, header("disability_grade")),
        (6, header("village")), (7, header("name")),
    }
    assert len(result.errors) == 5
    assert result.rejected_households == 2
    assert [e.row for e in result.errors] == sorted(e.row for e in result.errors)


# --------------------------------------------------------------------------- modes


def test_mode_all_with_an_error_imports_nothing(areas, tmp_path):
    old, new = changed_file()
    run(tmp_path, old)
    before = dump()
    new.append({**household_rows("H6", seed=6)[0]})
    new[0]["category"] = "贫困"  # one error in H1; the rest are valid changes and a new household
    result = run(tmp_path, new, name="changed.csv")
    assert not result.imported and result.batch_id is None
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 0)
    assert dump() == before


def test_mode_valid_imports_exactly_the_valid_households(areas, tmp_path):
    rows = two_households() + household_rows("H3", size=3, seed=3)
    rows[4]["category"] = "贫困"  # H2 is invalid
    result = run(tmp_path, rows, mode="valid")
    assert result.imported
    assert (result.inserted, result.rejected_households) == (2, 1)
    assert errors_at(result) == {(6, header("category"))}
    assert sorted(Household.objects.values_list("number", flat=True)) == ["H1", "H3"]
    assert Member.objects.count() == 7
    assert ImportBatch.objects.get(pk=result.batch_id).rejected_rows == 1


def test_mode_valid_leaves_invalid_existing_household_as_it_was(areas, tmp_path):
    old, new = changed_file()
    run(tmp_path, old)
    before = [r for r in dump()["Household"] if r["number"] == "H1"]
    new[0]["category"] = "贫困"  # H1 changed and invalid: kept as in the database
    result = run(tmp_path, new, name="changed.csv", mode="valid")
    assert result.imported and result.updated == 3
    assert [r for r in dump()["Household"] if r["number"] == "H1"] == before
    assert Member.objects.get(household__number="H1", position=2).name == "李秀英"


def test_mode_valid_does_not_take_a_member_from_a_rejected_household(areas, tmp_path):
    h1, h2 = household_rows("H1", size=4, seed=1), household_rows("H2", size=3, seed=2)
    run(tmp_path, h1 + h2)
    mover = h1[3]
    rejected_h1 = [dict(r) for r in h1[:3]]
    rejected_h1[0]["category"] = "贫困"  # H1 is rejected, so it stays as in the database, with the mover …
    result = run(tmp_path, rejected_h1 + h2 + [{**mover, "household_number": "H2"}], name="m.csv", mode="valid")
    assert result.imported
    assert decrypted_ids("H1") == [r["resident_id"] for r in h1]
    assert decrypted_ids("H2") == [r["resident_id"] for r in h2]  # … so it cannot also be in H2:
    assert (8, header("resident_id")) in errors_at(result)  # the mover's row in H2 is reported
    assert result.rejected_households == 2


def test_unknown_mode_is_refused(areas, tmp_path):
    with pytest.raises(ValueError, match="mode"):
        run(tmp_path, two_households(), mode="some")


# --------------------------------------------------------------------------- file formats


def names_and_ids() -> list[tuple[str, str, str]]:
    cipher = crypto.resident_id_cipher()
    return [(m.household.number, m.name, cipher.decrypt(m.resident_id_cipher))
            for m in Member.objects.select_related("household").order_by("household__number", "position")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_import_the_same(areas, tmp_path, encoding):
    rows = two_households()
    result = import_register(write_csv(tmp_path / "enc.csv", rows, encoding=encoding))
    assert result.ok and result.inserted == 2, result.errors
    assert names_and_ids() == [(r["household_number"], r["name"], r["resident_id"]) for r in rows]
    # The same register in UTF-8 finds every value equal: nothing was mis-decoded.
    again = import_register(write_csv(tmp_path / "utf8.csv", rows))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_excel_style_csv_gbk_with_crlf_line_ends(areas, tmp_path):
    rows = two_households()
    path = write_csv(tmp_path / "excel.csv", rows, encoding="gbk")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    result = import_register(path)
    assert result.ok and result.inserted == 2, result.errors
    assert names_and_ids() == [(r["household_number"], r["name"], r["resident_id"]) for r in rows]


def test_cells_with_surrounding_spaces_are_trimmed(areas, tmp_path):
    rows = two_households()
    for row in rows:
        row.update({k: f" {v} " for k, v in row.items() if v})
    result = run(tmp_path, rows)
    assert result.ok, result.errors
    assert names_and_ids() == [(r["household_number"].strip(), r["name"].strip(), r["resident_id"].strip())
                               for r in rows]


def test_gb18030_four_byte_character_in_a_name(areas, tmp_path):
    rows = two_households()
    rows[1]["name"] = "王𠮷"  # U+20BB7: not in GBK, four bytes in GB18030
    path = write_csv(tmp_path / "gb.csv", rows, encoding="gb18030")
    assert "𠮷".encode("gb18030") in path.read_bytes()
    result = import_register(path)
    assert result.ok, result.errors
    assert Member.objects.get(household__number="H1", position=2).name == "王𠮷"


def test_xlsx_imports_the_same_as_csv(areas, tmp_path):
    rows = two_households()
    result = import_register(write_xlsx(tmp_path / "register.xlsx", rows))
    assert result.ok and result.inserted == 2, result.errors
    assert names_and_ids() == [(r["household_number"], r["name"], r["resident_id"]) for r in rows]
    again = import_register(write_csv(tmp_path / "register.csv", rows))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_xlsx_id_stored_as_a_number_is_refused(areas, tmp_path):
    rows = two_households()
    numeric = next(i for i, r in enumerate(rows) if r["resident_id"][-1] != "X")
    result = import_register(write_xlsx(tmp_path / "register.xlsx", rows, numeric_id_row=numeric + 2))
    assert not result.imported
    id_errors = [e for e in result.errors if e.column == header("resident_id")]
    assert any(e.row == numeric + 2 and "format as text" in e.rule for e in id_errors), result.errors
    assert {e.row for e in result.errors} == {numeric + 2}


def test_csv_row_with_the_wrong_number_of_cells_is_refused(areas, tmp_path):
    path = write_csv(tmp_path / "register.csv", two_households())
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] += ",extra"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FileProblem, match="wrong number of cells"):
        import_register(path, mode="valid")  # even in valid-only mode: the row cannot be placed
    assert Household.objects.count() == 0


def test_csv_row_with_too_many_cells_is_named(areas, tmp_path):
    path = write_csv(tmp_path / "register.csv", two_households())
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[3] += ",extra"  # line index 3 = spreadsheet row 4
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FileProblem) as info:
        import_register(path)
    assert "row 4" in str(info.value)
    assert Household.objects.count() == 0


def test_csv_row_with_too_few_cells_is_named(areas, tmp_path):
    path = write_csv(tmp_path / "register.csv", two_households())
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[6] = lines[6].rsplit(",", 1)[0]  # spreadsheet row 7 loses its last cell
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FileProblem, match="row 7"):
        import_register(path, mode="valid")


def test_blank_line_in_csv_does_not_shift_row_numbers(areas, tmp_path):
    rows = two_households()
    rows[4]["category"] = "贫困"  # H2's head
    path = write_csv(tmp_path / "register.csv", rows)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines.insert(3, "")  # a blank spreadsheet row 4: H2's head is now on row 7
    path.write_text("\n".join(lines), encoding="utf-8")
    assert errors_at(import_register(path)) == {(7, header("category"))}


def test_empty_row_in_xlsx_does_not_shift_row_numbers(areas, tmp_path):
    rows = two_households()
    rows[4]["category"] = "贫困"
    path = write_xlsx(tmp_path / "register.xlsx", [*rows[:2], {}, *rows[2:]])  # an empty row 4
    assert errors_at(import_register(path)) == {(7, header("category"))}


# An XLSX of text cells only (the template, the exports) is read straight into Arrow by fastexcel
# (reading._read_xlsx_text); any other sheet cell by cell (reading._read_xlsx_cells). The two must
# give the same table; the tests below check the fast one takes the text-only files, and only those.


def both_readers(path: Path) -> pa.Table:
    fast = tabular_read._read_xlsx_text(path, template.SPEC)
    assert fast is not None, "an all-text sheet should take the fast reader"
    cells, problems = tabular_read._read_xlsx_cells(path, template.SPEC)
    assert problems == []
    assert fast.table.schema == cells.table.schema
    assert fast.table.equals(cells.table), (fast.table.to_pydict(), cells.table.to_pydict())
    return fast.table


def test_xlsx_of_text_cells_imports_the_same_as_csv(areas, tmp_path):
    rows = two_households()
    path = write_xlsx(tmp_path / "register.xlsx", rows, as_text=True)
    assert both_readers(path).column("name").to_pylist() == [r["name"] for r in rows]
    result = import_register(path)
    assert result.ok and result.inserted == 2, result.errors
    assert names_and_ids() == [(r["household_number"], r["name"], r["resident_id"]) for r in rows]
    again = import_register(write_csv(tmp_path / "register.csv", rows))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_xlsx_text_cells_arrive_as_typed(tmp_path):
    import xlsxwriter

    path = tmp_path / "register.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    text = book.add_format({"num_format": "@"})
    name, reason, number = (template.HEADERS.index(header(k)) for k in ("name", "status_reason", "household_number"))
    extra = len(template.HEADERS)  # an unknown column after the template's
    sheet.write_row(0, 0, [*template.HEADERS, "备注"])
    sheet.write_string(1, number, "H1", text)
    sheet.write_string(1, name, "NA", text)  # texts a dtype guess would call null stay text
    sheet.write_string(1, reason, "第一行\n第二行", text)
    sheet.write_string(1, extra, "#N/A", text)
    # row 3 empty
    sheet.write_string(3, extra, "只有备注")  # only an unknown column filled: kept, as row 4
    sheet.write_string(4, number, "H2", text)
    sheet.write_string(4, name, "  ", text)  # whitespace is the validation's to trim
    sheet.write_formula(4, reason, "=NA()", None, "#N/A")  # an error cell is empty
    for r in (5, 6):  # formatted but empty rows, as Excel leaves at the end
        sheet.write_blank(r, name, None, text)
    book.close()

    table = both_readers(path)
    assert table.column("_row").to_pylist() == [2, 4, 5]
    assert table.column("household_number").to_pylist() == ["H1", "", "H2"]
    assert table.column("name").to_pylist() == ["NA", "", "  "]
    assert table.column("status_reason").to_pylist() == ["第一行\n第二行", "", ""]
    assert "备注" not in table.column_names and len(table.column_names) == len(template.HEADERS) + 1


def template_sheet(path: Path):  # -> (xlsxwriter Workbook, Worksheet) with the template's header row
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, template.HEADERS)
    return book, sheet


def test_xlsx_column_mixing_text_and_numbers_is_read_cell_by_cell(tmp_path):
    path = tmp_path / "register.xlsx"
    book, sheet = template_sheet(path)
    land, water, birth = (template.HEADERS.index(header(k)) for k in ("arable_land_mu", "has_electricity", "birth_date"))
    sheet.write_string(1, land, "3")
    sheet.write_number(2, land, 2.5)  # one number among texts
    sheet.write_number(3, land, 4)
    sheet.write_string(1, water, "是")
    sheet.write_boolean(2, water, False)
    sheet.write_string(1, birth, "1968-03-14")
    sheet.write_datetime(3, birth, dt.datetime(1970, 9, 2), book.add_format({"num_format": "yyyy-mm-dd"}))
    book.close()

    assert tabular_read._read_xlsx_text(path, template.SPEC) is None  # not text made by fastexcel ("2.5", "false", ...)
    raw, problems = reading.read_any(path)
    assert problems == []
    assert raw.table.column("arable_land_mu").to_pylist() == ["3", "2.5", "4"]
    assert raw.table.column("has_electricity").to_pylist() == ["是", "否", ""]
    assert raw.table.column("birth_date").to_pylist() == ["1968-03-14", "", "1970-09-02"]


def test_xlsx_with_numbers_in_its_first_rows_skips_the_fast_reader(tmp_path, monkeypatch):
    typed = write_xlsx(tmp_path / "typed.xlsx", two_households())
    text = write_xlsx(tmp_path / "text.xlsx", two_households(), as_text=True)
    assert tabular_read._typed_cells_ahead(typed) and not tabular_read._typed_cells_ahead(text)

    def no_fast_reader(path: Path, spec: object) -> None:
        raise AssertionError("the whole sheet parsed only to learn it holds numbers")

    monkeypatch.setattr(tabular_read, "_read_xlsx_text", no_fast_reader)
    raw, _ = reading.read_any(typed)
    assert raw.table.column("identified_year").to_pylist()[0] == "2014"


def test_xlsx_number_far_down_a_text_sheet_is_still_read_cell_by_cell(tmp_path):
    path = tmp_path / "register.xlsx"
    book, sheet = template_sheet(path)
    number, land, rid = (template.HEADERS.index(header(k)) for k in ("household_number", "arable_land_mu", "resident_id"))
    last = 5000  # well past the start of the sheet's XML that is looked at before parsing
    for i in range(1, last):
        sheet.write_string(i, number, f"H{i}")
    sheet.write_number(last, land, 2.5)
    sheet.write_number(last, rid, 433130196803140010)  # an ID typed as a number: digits lost
    book.close()

    assert not tabular_read._typed_cells_ahead(path)
    raw, problems = reading.read_any(path)
    assert raw.table.num_rows == last and raw.table.column("_row").to_pylist()[-1] == last + 1
    assert raw.table.column("arable_land_mu").to_pylist()[-2:] == ["", "2.5"]
    assert raw.table.column("resident_id").to_pylist()[-1] == ""
    assert [(row, key) for row, key, _ in problems] == [(last + 1, "resident_id")]


def write_text_sheet(path: Path, rows: list[list[str]], start_row: int = 0) -> Path:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for i, row in enumerate(rows, start=start_row):
        sheet.write_row(i, 0, row)
    book.close()
    return path


def test_xlsx_header_must_be_row_1(tmp_path):
    path = write_text_sheet(tmp_path / "register.xlsx", [template.HEADERS, ["H1"]], start_row=1)
    with pytest.raises(FileProblem, match="missing required columns"):
        reading.read_any(path)


def test_xlsx_duplicate_header_is_a_file_problem(tmp_path):
    path = write_text_sheet(tmp_path / "register.xlsx", [[*template.HEADERS, header("name")], ["H1"]])
    with pytest.raises(FileProblem, match="duplicates"):
        reading.read_any(path)


def test_empty_or_damaged_xlsx_is_a_file_problem(tmp_path):
    with pytest.raises(FileProblem, match="the file is empty"):
        reading.read_any(write_text_sheet(tmp_path / "empty.xlsx", []))
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(FileProblem, match="cannot read the workbook"):
        reading.read_any(damaged)


def write_table(path: Path, headers: list[str], rows: list[list[str]]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def test_missing_required_column_is_a_file_problem_naming_it(areas, tmp_path):
    keep = [col for col in template.COLUMNS if col.key != "village"]
    rows = [[r.get(col.key, "") for col in keep] for r in two_households()]
    path = write_table(tmp_path / "register.csv", [col.header for col in keep], rows)
    with pytest.raises(FileProblem, match="所在村代码"):
        import_register(path)


def test_optional_column_may_be_left_out(areas, tmp_path):
    keep = [col for col in template.COLUMNS if col.key != "forest_land_mu"]
    rows = [[r.get(col.key, "") for col in keep] for r in two_households()]
    result = import_register(write_table(tmp_path / "register.csv", [col.header for col in keep], rows))
    assert result.ok, result.errors
    assert Household.objects.get(number="H1").forest_land_mu == 0


def test_english_alias_headers_are_accepted(areas, tmp_path):
    rows = two_households()
    path = write_table(tmp_path / "english.csv", [col.alias for col in template.COLUMNS],
                       [[r.get(col.key, "") for col in template.COLUMNS] for r in rows])
    result = import_register(path)
    assert result.ok and result.inserted == 2, result.errors
    assert names_and_ids() == [(r["household_number"], r["name"], r["resident_id"]) for r in rows]


def test_headers_with_ascii_parentheses_and_spaces_are_accepted(areas, tmp_path):
    headers = [h.replace("（", "(").replace("）", ")").replace("面积", "面 积") for h in template.HEADERS]
    assert headers != template.HEADERS
    rows = [[r.get(col.key, "") for col in template.COLUMNS] for r in two_households()]
    result = import_register(write_table(tmp_path / "ascii.csv", headers, rows))
    assert result.ok, result.errors
    assert Household.objects.get(number="H1").arable_land_mu == Decimal("2.5")


def test_unknown_extra_column_is_ignored(areas, tmp_path):
    headers = [*template.HEADERS, "备注"]
    rows = [[*(r.get(col.key, "") for col in template.COLUMNS), "随便写"] for r in two_households()]
    assert import_register(write_table(tmp_path / "extra.csv", headers, rows)).ok


def test_unsupported_file_type_is_a_file_problem(tmp_path):
    path = tmp_path / "register.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(FileProblem, match=".csv"):
        import_register(path)


# --------------------------------------------------------------------------- privacy


def clear_forms(ids18: list[str]) -> set[str]:
    """Every clear form of these resident IDs: 18-digit, and 15-digit for those born in 19xx."""
    return {f for rid in ids18 for f in ([rid, fifteen(rid)] if rid[6:8] == "19" else [rid])}


def columns_containing(needle: str) -> list[str]:
    """Every column of the registry and audit tables where `needle` occurs, found by SQL: text as
    text (LIKE), binary as bytes (so a clear ID inside a blob is found too)."""
    hits = []
    with connection.cursor() as cur:
        tables = [t for t in connection.introspection.table_names(cur) if t.startswith(("registry_", "audit_"))]
        for table in tables:
            for col in connection.introspection.get_table_description(cur, table):
                q_table, q_col = connection.ops.quote_name(table), connection.ops.quote_name(col.name)
                if connection.vendor == "postgresql":
                    cur.execute("SELECT data_type FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
                                [table, col.name])
                    if cur.fetchone()[0] == "bytea":
                        sql = f"SELECT count(*) FROM {q_table} WHERE position(convert_to(%s, 'UTF8') IN {q_col}) > 0"
                        cur.execute(sql, [needle])
                    else:
                        cur.execute(f"SELECT count(*) FROM {q_table} WHERE CAST({q_col} AS TEXT) LIKE %s", [f"%{needle}%"])
                else:
                    cur.execute(f"SELECT count(*) FROM {q_table} WHERE instr(CAST({q_col} AS BLOB), CAST(%s AS BLOB)) > 0",
                                [needle])
                if cur.fetchone()[0]:
                    hits.append(f"{table}.{col.name}")
    return hits


def privacy_file() -> tuple[list[dict[str, str]], list[str]]:
    rows = two_households() + household_rows("H3", size=4, seed=3)
    ids18 = [r["resident_id"] for r in rows]
    rows[0]["resident_id"] = fifteen(rows[0]["resident_id"])  # one legacy number in the file
    return rows, ids18


def test_no_clear_resident_id_in_the_database(areas, tmp_path):
    rows, ids18 = privacy_file()
    result = run(tmp_path, rows)
    assert result.ok, result.errors
    for rid in clear_forms(ids18):
        assert columns_containing(rid) == [], rid
    assert columns_containing("张德明") != []  # the search does find what is stored in clear


def test_no_clear_resident_id_in_the_sqlite_file(areas, tmp_path):
    if connection.vendor != "sqlite":
        pytest.skip("a byte search of the database file is for SQLite; PostgreSQL is searched by SQL above")
    rows, ids18 = privacy_file()
    result = run(tmp_path, rows)
    assert result.ok, result.errors
    name = Path(connection.settings_dict["NAME"])
    data = b"".join(p.read_bytes() for p in (name, Path(f"{name}-wal")) if p.exists())
    assert "张德明".encode() in data  # committed rows are in these bytes
    for rid in clear_forms(ids18):
        assert rid.encode("ascii") not in data, rid
        assert rid.encode("utf-16-le") not in data, rid


def test_error_reports_never_contain_a_clear_id(areas, tmp_path):
    run(tmp_path, two_households())
    rows = household_rows("H5", size=4, seed=5) + household_rows("H6", size=4, seed=6)
    taken = household_rows("H1", size=4, seed=1)[0]
    rows[0].update(resident_id=taken["resident_id"])  # registered in H1 (and sex/birth agree)
    rows[1]["resident_id"] = rows[1]["resident_id"][:17] + ("1" if rows[1]["resident_id"][17] != "1" else "2")
    rows[2]["sex"] = "女"  # 张小军's ID is a man's
    rows[3]["birth_date"] = "2012-01-09"
    rows[4]["resident_id"] = fifteen(rows[0]["resident_id"])  # the registered person again, 15 digits
    rows[5]["resident_id"] = rows[5]["resident_id"][:16]  # too short
    rows[6]["resident_id"] = rows[6]["resident_id"] + "9"  # too long
    result = run(tmp_path, rows, name="bad.csv")
    assert len(result.errors) >= 7
    originals = [r["resident_id"] for r in household_rows("H5", size=4, seed=5) + household_rows("H6", size=4, seed=6)]
    secrets = clear_forms([*originals, taken["resident_id"]]) | {r["resident_id"] for r in rows}
    for error in result.errors:
        for rid in secrets:
            assert rid not in error.value and rid not in error.rule, (error, rid)
    id_values = {e.value for e in result.errors if e.column == header("resident_id")}
    assert mask(taken["resident_id"]) in id_values


def test_file_problem_message_never_contains_a_clear_id(areas, tmp_path):
    rows = two_households()
    path = write_csv(tmp_path / "register.csv", rows)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[2] += ",extra"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(FileProblem) as info:
        import_register(path)
    for rid in clear_forms([r["resident_id"] for r in rows]):
        assert rid not in str(info.value)


def test_spaces_on_some_rows_only_make_no_difference(areas, tmp_path):
    """" 是" and "是" in one column are one value: a member's row repeating the head's household
    cells with spaces is not a mismatch, and each coded value parses as the trimmed text."""
    rows = two_households()
    household_keys = [k for k in template.HOUSEHOLD_KEYS if k != "household_number"]
    for row in rows:
        if row["relation"] != "户主":
            head = next(r for r in rows if r["household_number"] == row["household_number"] and r["relation"] == "户主")
            row.update({k: f"  {head[k]} " for k in household_keys if head[k]})
            row.update({k: f" {v}" for k, v in row.items() if v and k not in household_keys})
    result = run(tmp_path, rows)
    assert result.ok, result.errors
    plain = run(tmp_path, two_households(), name="plain.csv")
    assert (plain.inserted, plain.updated, plain.unchanged) == (0, 0, 2)


def test_gbk_file_that_starts_like_utf8_is_read_as_gbk(areas, tmp_path, monkeypatch):
    """The first megabyte decides the likely encoding; Arrow's own check of every cell catches a
    GBK file whose start happened to be plain ASCII, and the file is read again as GB18030."""
    rows = two_households()
    path = write_csv(tmp_path / "gbk.csv", rows, encoding="gbk")
    monkeypatch.setattr(tabular_read, "_likely_encoding", lambda p: "utf-8")
    raw = tabular_read.read_csv(path, template.SPEC)
    assert raw.encoding == "gb18030"
    result = import_register(path)
    assert result.ok and result.inserted == 2, result.errors
    assert names_and_ids() == [(r["household_number"], r["name"], r["resident_id"]) for r in rows]


def test_import_batch_records_the_files_sha256(areas, tmp_path):
    import hashlib

    path = write_csv(tmp_path / "register.csv", two_households())
    result = import_register(path)
    assert result.ok
    assert ImportBatch.objects.get(pk=result.batch_id).file_sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_tables_staged_in_halves_land_whole_and_in_order(areas, tmp_path, monkeypatch):
    """A large staged table is written as two halves by two threads and loaded half after half:
    every row lands once, members keep their positions and their ids follow the file's order."""
    from jingzhun.db import loader

    monkeypatch.setattr(loader, "PLAIN_BELOW", 0)  # staged, as a large load is
    monkeypatch.setattr(loader, "SPLIT_ROWS", 2)
    rows = two_households()
    result = run(tmp_path, rows)
    assert result.ok and result.inserted == 2, result.errors
    assert names_and_ids() == [(r["household_number"], r["name"], r["resident_id"]) for r in rows]
    members = list(Member.objects.order_by("id").values_list("household__number", "position"))
    assert members == [("H1", 1), ("H1", 2), ("H1", 3), ("H1", 4), ("H2", 1), ("H2", 2), ("H2", 3)]
    assert IncomeRecord.objects.count() == StatusEvent.objects.count() == 2


def test_birth_dates_read_from_id_bytes_match_the_calendar():
    """The vectorised reading of digits 7–14 as days since 1970 agrees with Python's calendar on
    every day from 1900 to 2030, leap days and the years before 1970 included."""
    import numpy as np

    from jingzhun.registry.validation import _id_birth_days

    days = [dt.date(1900, 1, 1) + dt.timedelta(days=k) for k in range((dt.date(2030, 12, 31) - dt.date(1900, 1, 1)).days + 1)]
    ids = np.array([list(f"430224{d:%Y%m%d}0011".encode()) for d in days], dtype=np.uint8)
    assert _id_birth_days(ids).tolist() == [(d - dt.date(1970, 1, 1)).days for d in days]


def test_amount_rules_apply_to_every_row_holding_a_bad_text(areas, tmp_path):
    """Amounts are checked once per distinct text: the same bad text on two households is two
    errors; an amount outside its range, and one with letters, are refused; the empty cell is 0."""
    rows = two_households()
    h2 = next(i for i, r in enumerate(rows) if r["household_number"] == "H2")
    rows[0]["wage_income"] = rows[h2]["wage_income"] = "12,000"
    rows[0]["production_income"] = "-1"
    rows[h2]["transfer_income"] = "1e5"
    result = run(tmp_path, rows)
    assert sorted((e.row, e.column, e.value) for e in result.errors) == sorted([
        (2, header("wage_income"), "12,000"), (h2 + 2, header("wage_income"), "12,000"),
        (2, header("production_income"), "-1"), (h2 + 2, header("transfer_income"), "1e5")])
    assert [e.rule for e in result.errors if e.value == "-1"] == ["应在 0–10000000 之间 / must be between 0 and 10000000"]
    fine = two_households()
    fine[0]["property_income"] = ""
    fine[0]["wage_income"] = " 6000.5 "
    assert run(tmp_path, fine, name="fine.csv").ok
    income = IncomeRecord.objects.get(household__number="H1")
    assert (income.property_income, income.wage_income) == (Decimal("0"), Decimal("6000.50"))


def test_foreign_keys_checked_at_end_refuse_a_row_without_its_parent(areas, tmp_path):
    """A first load checks foreign keys once, as sets, over the rows it added: a row whose parent is
    missing rolls the whole transaction back, and SQLite enforces keys row by row again afterwards.
    (On PostgreSQL the same row fails at commit, its keys being checked there.)"""
    from django.db import IntegrityError

    from jingzhun.db import ForeignKeysAtEnd

    assert run(tmp_path, two_households()).ok
    household = Household.objects.get(number="H1")
    with (pytest.raises(IntegrityError, match="registry_incomerecord|FOREIGN KEY|foreign key"),
          ForeignKeysAtEnd(inserts_only=True) as keys, transaction.atomic()):
        keys.mark()
        IncomeRecord.objects.create(household=household, year=2031)  # has its parent
        IncomeRecord.objects.create(household_id=household.id + 1000, year=2031)  # has none
        keys.check()
    assert not IncomeRecord.objects.filter(year=2031).exists()
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA foreign_keys")
            assert cur.fetchone()[0] == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        IncomeRecord.objects.create(household_id=household.id + 1000, year=2032)


def test_foreign_keys_checked_at_end_find_a_parent_missing_inside_the_id_range(areas, tmp_path, monkeypatch):
    """The check proves most rows by ranges (the parent's ids have no gaps, the new values lie between
    its ends); a missing id between the ends is a gap, so those values are looked up one by one."""
    from django.db import IntegrityError

    from jingzhun.db import ForeignKeysAtEnd, foreign_keys

    monkeypatch.setattr(foreign_keys, "LOOK_UP_BELOW", 0)  # ranges first, as for a large load

    assert run(tmp_path, two_households()).ok
    third = Household.objects.get(number="H2")
    third.pk, third.number = None, "H3"
    third.save()
    gap = Household.objects.get(number="H2").pk
    Household.objects.filter(pk=gap).delete()
    first, last = Household.objects.order_by("pk").values_list("pk", flat=True)
    assert first < gap < last
    with (pytest.raises(IntegrityError, match="registry_incomerecord|FOREIGN KEY|foreign key"),
          ForeignKeysAtEnd(inserts_only=True) as keys, transaction.atomic()):
        keys.mark()
        IncomeRecord.objects.create(household_id=first, year=2031)
        IncomeRecord.objects.create(household_id=gap, year=2031)
        IncomeRecord.objects.create(household_id=last, year=2031)
        keys.check()
    assert not IncomeRecord.objects.filter(year=2031).exists()
    with ForeignKeysAtEnd(inserts_only=True) as keys, transaction.atomic():  # the ends alone are fine
        keys.mark()
        IncomeRecord.objects.create(household_id=first, year=2031)
        IncomeRecord.objects.create(household_id=last, year=2031)
        keys.check()
    assert IncomeRecord.objects.filter(year=2031).count() == 2


def test_indexes_rebuilt_after_a_large_batch_are_whole_and_the_cache_is_given_back(areas, tmp_path):
    """Indexes dropped for a large batch are built again (on SQLite with a small sort memory, on
    worker threads): afterwards the table has the same indexes, they enforce what they did, and the
    connection's page cache size is what it was — after the rebuild, and after an import (which
    works with a large cache)."""
    from django.db import IntegrityError

    from jingzhun import db

    def cache_size() -> int:
        with connection.cursor() as cur:
            cur.execute("PRAGMA cache_size")
            return cur.fetchone()[0]

    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cur:
            cur.execute("PRAGMA cache_size = -12345")
    assert run(tmp_path, two_households()).ok
    if connection.vendor == "sqlite":
        assert cache_size() == -12345

    def indexes() -> set[str]:
        with connection.cursor() as cur:
            return {c for c, info in connection.introspection.get_constraints(cur, "registry_member").items()
                    if info["index"] and not info["primary_key"]}

    before = indexes()
    assert "person_in_one_household" in before
    with transaction.atomic(), db.indexes_deferred("registry_member", 1_000_000):
        assert "person_in_one_household" not in indexes()
    assert indexes() == before
    if connection.vendor == "sqlite":
        assert cache_size() == -12345
    member = Member.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(household=member.household, position=99, name="重复", relation="other", sex="male",
                              birth_date=dt.date(2000, 1, 1), resident_id_cipher=b"x",
                              resident_id_index=member.resident_id_index, health_cipher=b"x")


def test_a_late_table_that_fails_to_stage_rolls_the_whole_import_back(areas, tmp_path, monkeypatch):
    """On SQLite incomes, status events and changes are staged by a thread while the transaction
    loads households and members. If that fails, nothing of the import lands and its staging folder
    is gone. (PostgreSQL copies every table inside the transaction: nothing is staged.)"""
    import tempfile

    from jingzhun.db import loader

    def disk_full(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(loader, "PLAIN_BELOW", 0)  # staged, as a large load is
    monkeypatch.setattr(loader.Loader, "_fill", disk_full)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    if connection.vendor == "sqlite":
        with pytest.raises(OSError, match="disk full"):
            run(tmp_path, two_households())
        assert not Household.objects.exists() and not Member.objects.exists()
        assert not ImportBatch.objects.exists() and not IncomeRecord.objects.exists()
        assert list(scratch.iterdir()) == []
    else:
        assert run(tmp_path, two_households()).ok
        assert IncomeRecord.objects.count() == 2


def test_the_import_transaction_locks_the_database_at_once_but_not_attached_files(areas, tmp_path):
    """`db.atomic_writing` holds the main database's write lock from its first statement, as BEGIN
    IMMEDIATE does, so another writer waits; a file attached beforehand (a late table's staging
    file) stays writable by another connection meanwhile."""
    import sqlite3

    from jingzhun import db

    if connection.vendor != "sqlite":  # PostgreSQL: an ordinary atomic block
        with db.atomic_writing("registry_importbatch"):
            assert connection.in_atomic_block
        return
    attached = tmp_path / "late.sqlite3"
    with sqlite3.connect(attached) as con:
        con.execute("CREATE TABLE t (x)")
    connection.ensure_connection()
    with connection.cursor() as cur:
        cur.execute("ATTACH DATABASE %s AS late", [str(attached)])
    try:
        with db.atomic_writing("registry_importbatch"):
            other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            other.close()
            with sqlite3.connect(attached, timeout=0) as filler:
                filler.execute("INSERT INTO t VALUES (1)")
            with connection.cursor() as cur:
                cur.execute("SELECT x FROM late.t")
                assert cur.fetchall() == [(1,)]
    finally:
        with connection.cursor() as cur:
            cur.execute("DETACH DATABASE late")
    other = sqlite3.connect(connection.settings_dict["NAME"], timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # free again after the commit
    other.execute("ROLLBACK")
    other.close()
