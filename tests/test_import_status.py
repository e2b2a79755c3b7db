"""The register import's status events across yearly files: every change of status between two files becomes an
event dated so that the status at the end of each year (`appraisal.yearly.status_at`, the assessment's
`exprs.latest_status`) is what the files said. Hand-worked: four households over the files of 2020–2023."""

from __future__ import annotations

from pathlib import Path

import ibis
import pyarrow as pa
import pytest
from django.utils import timezone

from jingzhun.appraisal.yearly import status_at
from jingzhun.assessment import exprs
from jingzhun.registry.importer import event_years, import_register
from jingzhun.registry.models import Household, StatusEvent
from tests.factories import household_rows, write_csv

pytestmark = pytest.mark.django_db(transaction=True)

# (status, exit year, reason) of each household in each year's file; None: not in that file.
POOR, EXITED, MONITORED, RETURNED = ("贫困户", "", ""), ("已脱贫", "2019", ""), ("监测对象", "2019", "因病"), \
    ("返贫", "2019", "因灾")
FILES: dict[int, dict[str, tuple[str, str, str] | None]] = {
    # H1 exits in 2021; H2 (exited 2019) is monitored in 2021 and its risk is eliminated in 2022; H3 (exited
    # 2019) returns to poverty in 2022 and exits again in 2023; H4 stays exited and leaves the 2023 file.
    2020: {"H1": POOR, "H2": EXITED, "H3": EXITED, "H4": EXITED},
    2021: {"H1": ("已脱贫", "2021", ""), "H2": MONITORED, "H3": EXITED, "H4": EXITED},
    2022: {"H1": ("已脱贫", "2021", ""), "H2": EXITED, "H3": RETURNED, "H4": EXITED},
    2023: {"H1": ("已脱贫", "2021", ""), "H2": EXITED, "H3": ("已脱贫", "2023", ""), "H4": None},
}
# The events each file adds (household → (year, status)), worked by hand from the table above: a new household's
# first status (an exit dated its exit year), then one event per change of status, dated the file's year —
# except H1's exit, dated its exit year 2021, which comes after its last event (poor, 2020).
EXPECTED_EVENTS = {
    "H1": [(2020, "poor"), (2021, "exited")],
    "H2": [(2019, "exited"), (2021, "monitored"), (2022, "exited")],
    "H3": [(2019, "exited"), (2022, "returned"), (2023, "exited")],
    "H4": [(2019, "exited")],
}
# The status at the end of each year, as the files said (H4: as its last file said).
EXPECTED_STATUS = {
    2020: {"H1": "poor", "H2": "exited", "H3": "exited", "H4": "exited"},
    2021: {"H1": "exited", "H2": "monitored", "H3": "exited", "H4": "exited"},
    2022: {"H1": "exited", "H2": "exited", "H3": "returned", "H4": "exited"},
    2023: {"H1": "exited", "H2": "exited", "H3": "exited", "H4": "exited"},
}


def year_file(tmp_path: Path, year: int) -> Path:
    rows = []
    for seed, (number, cells) in enumerate(FILES[year].items(), start=1):
        if cells is None:
            continue
        household = household_rows(number, size=2, seed=seed, year=year)
        household[0]["status"], household[0]["exit_year"], household[0]["status_reason"] = cells
        rows += household
    return write_csv(tmp_path / f"register-{year}.csv", rows)


def events() -> dict[str, list[tuple[int | None, str]]]:
    out: dict[str, list[tuple[int | None, str]]] = {}
    for number, year, status in StatusEvent.objects.order_by("household__number", "pk").values_list(
            "household__number", "year", "status"):
        out.setdefault(number, []).append((year, status))
    return out


def statuses_sql(year: int) -> dict[str, str]:
    return dict(Household.objects.annotate(at=status_at(year)).values_list("number", "at"))


def statuses_assessment(year: int) -> dict[str, str]:
    """The assessment's rule (`exprs.latest_status` then `exprs.status_at`) over the stored events, on DuckDB."""
    rows = list(StatusEvent.objects.values("id", "household_id", "status", "year", "recorded_at"))
    event = ibis.memtable(pa.Table.from_pylist(rows))
    hh = ibis.memtable(pa.Table.from_pylist(list(Household.objects.values("id", "number", "exit_year",
                                                                          "identified_year"))))
    latest = exprs.latest_status(event, year, "s")
    j = hh.left_join(latest, hh["id"] == latest["s_hid"])
    out = ibis.duckdb.connect().to_pyarrow(j.select(number=j["number"], at=exprs.status_at(j, year, "s")))
    return dict(zip(out["number"].to_pylist(), out["at"].to_pylist()))


def test_two_years_of_files_record_every_change_of_status(areas, tmp_path):
    for year in FILES:
        result = import_register(year_file(tmp_path, year))
        assert result.imported, result.errors
    assert events() == EXPECTED_EVENTS
    for year, expected in EXPECTED_STATUS.items():
        assert statuses_sql(year) == expected, year
        assert statuses_assessment(year) == expected, year


def test_the_end_of_monitoring_is_not_dated_before_the_monitoring(areas, tmp_path):
    """The demo's fault: a monitored household whose risk was eliminated comes back as exited with its old exit
    year; dated that year, the event sorted before the monitoring and the household stayed monitored."""
    for year in (2020, 2021, 2022):
        import_register(year_file(tmp_path, year))
    assert statuses_sql(2022)["H2"] == "exited"
    assert Household.objects.get(number="H2").status == "exited"


def test_reimporting_a_year_adds_no_event(areas, tmp_path):
    for year in (2020, 2021, 2021):
        import_register(year_file(tmp_path, year))
    assert events()["H2"] == [(2019, "exited"), (2021, "monitored")]


def test_a_change_without_an_income_year_is_dated_the_year_of_the_import(areas, tmp_path):
    """No income year in the row: the file says the status as of its import, so the event takes that year
    (without a year it would never be read)."""
    import_register(year_file(tmp_path, 2020))
    rows = household_rows("H2", size=2, seed=2, year=2021)
    rows[0].update(status="监测对象", exit_year="2019", status_reason="因病")
    for key in ("income_year", "wage_income", "production_income", "production_costs", "property_income",
                "transfer_income", "medical_expenses"):
        rows[0][key] = ""
    assert import_register(write_csv(tmp_path / "no-income.csv", rows)).imported
    assert events()["H2"] == [(2019, "exited"), (timezone.localdate().year, "monitored")]


def test_event_years_rule_row_by_row():
    """The rule on its own, one row per case: (status, exit year, income year, latest stored event year)."""
    cases = [
        (("exited", 2019, 2020, None), 2019),      # new household: its exit year
        (("exited", 2021, 2021, 2020), 2021),      # an exit after its last event: the exit year
        (("exited", 2019, 2022, 2021), 2022),      # monitoring ended, back to an old exit: the file's year
        (("exited", 2021, 2022, 2021), 2022),      # exit year equal to the last event's: the file's year
        (("monitored", 2019, 2021, 2019), 2021),   # any other status: the file's year
        (("poor", None, None, None), 2030),        # no income year: the year of the import
        (("exited", 2019, None, 2024), 2030),
    ]
    status, exit_year, income_year, last = (pa.array(list(col)) for col in zip(*(c for c, _ in cases)))
    got = event_years(status, pa.array(exit_year.to_pylist(), pa.int64()), pa.array(income_year.to_pylist(), pa.int64()),
                      pa.array(last.to_pylist(), pa.int64()), 2030).to_pylist()
    assert got == [want for _, want in cases]
