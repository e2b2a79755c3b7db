"""The synthetic province generator: file contract, identity rules, reproducibility, realism.

Runs without a database (`python -m pytest tests/test_synth.py -q -p no:django`). One few-thousand
household province is generated per module and shared; a few tests generate their own small ones.
"""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import io
import itertools
import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from jingzhun import choices as c
from jingzhun.demo import synth
from jingzhun.identity import parse_resident_id
from jingzhun.registry import template

YEARS = tuple(range(2014, 2021))
H = {col.key: i for i, col in enumerate(template.COLUMNS)}  # template key → column index
HOUSEHOLD_COLUMNS = [H[k] for k in template.HOUSEHOLD_KEYS if k != "household_number"]


def code_problem(code: str, level: str) -> str | None:
    """jingzhun.areas.models.code_problem (the models module needs Django set up, without a database)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jingzhun.settings")
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    from jingzhun.areas.models import code_problem as check

    return check(code, level)


def read(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    synth.generate(out, 3000, seed=7, years=YEARS, counties=3)
    return out


@pytest.fixture(scope="module")
def registers(province: Path) -> dict[int, list[list[str]]]:
    return {y: read(province / f"register-{y}.csv")[1] for y in YEARS}


@pytest.fixture(scope="module")
def areas(province: Path) -> list[dict[str, str]]:
    with (province / "areas.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def village_records(province: Path) -> dict[tuple[str, int], dict[str, str]]:
    with (province / "villages.csv").open(encoding="utf-8", newline="") as f:
        return {(r["village_code"], int(r["year"])): r for r in csv.DictReader(f)}


@pytest.fixture(scope="module")
def welfare(province: Path) -> dict[tuple[str, int], tuple[float, bool]]:
    with (province / "true-welfare.csv").open(encoding="utf-8", newline="") as f:
        return {(r["household_number"], int(r["year"])): (float(r["true_income_per_capita"]), r["true_poor"] == "1")
                for r in csv.DictReader(f)}


def households(rows: list[list[str]]) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = defaultdict(list)
    for r in rows:
        out[r[H["household_number"]]].append(r)
    return out


def heads(rows: list[list[str]]) -> list[list[str]]:
    return [r for r in rows if r[H["relation"]] == "户主"]


def per_capita(head: list[str], size: int) -> float:
    cell = [float(head[H[k]] or 0) for k in ("wage_income", "production_income", "production_costs",
                                               "property_income", "transfer_income")]
    return (cell[0] + cell[1] - cell[2] + cell[3] + cell[4]) / size


# -- the file contract -----------------------------------------------------------------------------


def test_files_and_headers(province: Path) -> None:
    names = sorted(p.name for p in province.iterdir())
    assert names == sorted(synth.output_files(YEARS))
    assert read(province / "areas.csv")[0] == ["code", "name", "level", "parent_code", "region_class", "poor_county",
                                               "contiguous_region", "poor_village", "exit_year"]
    assert read(province / "villages.csv")[0] == [
        "village_code", "year", "households", "population", "hardened_road", "power_grid", "tap_water", "broadband",
        "clinic", "school", "activity_centre", "distance_to_town_km", "collective_income"]
    assert read(province / "true-welfare.csv")[0] == ["household_number", "year", "true_income_per_capita",
                                                      "true_poor"]
    for y in YEARS:
        header, rows = read(province / f"register-{y}.csv")
        assert header == template.HEADERS
        assert rows and all(len(r) == len(template.HEADERS) for r in rows)
    for p in province.iterdir():
        data = p.read_bytes()
        data.decode("utf-8")
        assert b"\r" not in data and data.endswith(b"\n")


def test_rows_are_what_the_csv_module_writes(province: Path) -> None:
    # The generator joins text itself; it must be byte-for-byte what csv.writer would produce.
    for name in ("areas.csv", "villages.csv", "register-2016.csv", "true-welfare.csv"):
        text = (province / name).read_text(encoding="utf-8")
        _, rows = read(province / name)
        lines = text.split("\n")[1:-1]
        assert len(lines) == len(rows)
        for line, row in zip(lines[:2000], rows[:2000], strict=True):
            out = io.StringIO()
            csv.writer(out, lineterminator="\n").writerow(row)
            assert out.getvalue() == line + "\n"


def test_resident_ids_are_valid_unique_and_stable(registers: dict[int, list[list[str]]]) -> None:
    person: dict[str, tuple[str, str, str]] = {}
    for rows in registers.values():
        ids = [r[H["resident_id"]] for r in rows]
        assert len(ids) == len(set(ids))
        for r in rows:
            rid = parse_resident_id(r[H["resident_id"]], today=dt.date(2030, 1, 1))
            assert rid.number == r[H["resident_id"]]
            assert c.SEX.zh(rid.sex) == r[H["sex"]]
            assert rid.birth_date.isoformat() == r[H["birth_date"]]
            assert r[H["household_number"]].startswith(rid.region_code)  # the county's code
            key = (r[H["name"]], r[H["birth_date"]], r[H["household_number"]])
            assert person.setdefault(rid.number, key) == key  # the same person every year


def test_household_numbers_heads_and_household_columns(registers: dict[int, list[list[str]]]) -> None:
    head_of: dict[str, str] = {}
    for rows in registers.values():
        for number, members in households(rows).items():
            assert re.fullmatch(r"\d{16}", number)
            assert [m[H["relation"]] for m in members].count("户主") == 1
            head = members[0]
            assert head[H["relation"]] == "户主"  # the head's row comes first
            assert head[H["village"]] == number[:12]
            for m in members[1:]:
                assert all(m[i] == "" for i in HOUSEHOLD_COLUMNS)
            assert head_of.setdefault(number, head[H["resident_id"]]) == head[H["resident_id"]]
        # Members of a household are contiguous: each number appears in one run of rows.
        runs = [k for k, _ in itertools.groupby(r[H["household_number"]] for r in rows)]
        assert len(runs) == len(set(runs))


def test_areas_are_a_valid_tree(areas: list[dict[str, str]], registers: dict[int, list[list[str]]],
                                village_records: dict[tuple[str, int], dict[str, str]]) -> None:
    seen: dict[str, str] = {}
    digits = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
    for a in areas:
        assert code_problem(a["code"], a["level"]) is None, a
        assert a["code"] not in seen
        if a["level"] == "province":
            assert a["parent_code"] == ""
        else:
            parent_level = seen[a["parent_code"]]  # parents come first
            assert list(digits).index(parent_level) == list(digits).index(a["level"]) - 1
            assert a["code"].startswith(a["parent_code"][: digits[parent_level]])
        seen[a["code"]] = a["level"]
        assert a["region_class"] in ("east", "central", "west")
        assert a["poor_county"] in ("", "national", "provincial")
        assert a["poor_village"] in ("0", "1")
        assert a["poor_village"] == "0" or a["level"] == "village"
        if a["level"] == "village":
            assert a["name"].endswith("村")
        if a["level"] == "township":
            assert a["name"].endswith(("镇", "乡"))
    assert [a["code"] for a in areas] == sorted(a["code"] for a in areas)
    villages = {code for code, level in seen.items() if level == "village"}
    for rows in registers.values():
        assert {r[H["village"]] for r in heads(rows)} <= villages
    assert {code for code, _ in village_records} == villages


def test_hunan_counties_are_real(areas: list[dict[str, str]]) -> None:
    with (Path(synth.__file__).parents[1] / "data" / "hunan-counties.csv").open(encoding="utf-8") as f:
        real = {r["code"]: r for r in csv.DictReader(f)}
    counties = [a for a in areas if a["level"] == "county"]
    assert [a["code"][:6] for a in counties] == ["430225", "430626", "433124"]  # the demo's three by default
    for a in counties:
        r = real[a["code"][:6]]
        assert (a["name"], a["poor_county"], a["contiguous_region"], a["exit_year"]) == (
            r["name"], r["poor_county"], r["contiguous_region"], r["exit_year"])
    assert areas[0]["code"] == "430000000000" and areas[0]["name"] == "湖南省" and areas[0]["region_class"] == "central"


def test_every_coded_cell_is_a_label_from_choices(registers: dict[int, list[list[str]]]) -> None:
    for col in template.COLUMNS:
        i = H[col.key]
        values = {r[i] for rows in registers.values() for r in rows}
        if col.level != "member" and col.key != "household_number":
            values.discard("")  # empty on other members' rows
        if col.kind in ("enum", "bool"):
            assert col.enum is not None
            assert values <= {zh for _, zh, _ in col.enum.values}, col.header
        elif col.kind == "multi":
            labels = {zh for _, zh, _ in c.CAUSE.values}
            assert {p for v in values for p in v.split("、") if v} <= labels
        elif col.kind == "int":
            values.discard("")
            assert all(re.fullmatch(r"\d+", v) and col.low <= int(v) <= col.high for v in values), col.header  # type: ignore[operator]
        elif col.kind == "decimal":
            values.discard("")
            assert all(re.fullmatch(r"\d+(\.\d{1,2})?", v) for v in values), col.header
        elif col.kind == "date":
            assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", v) for v in values)
        elif col.kind == "text" and col.max_length:
            assert all(len(v) <= col.max_length for v in values), col.header
        if col.required and col.level == "member":
            assert "" not in values, col.header


def test_status_rules(registers: dict[int, list[list[str]]]) -> None:
    for y, rows in registers.items():
        for h in heads(rows):
            status = h[H["status"]]
            assert status != "监测对象"  # monitoring starts in 2021
            if status == "已脱贫":
                assert 2014 <= int(h[H["exit_year"]]) <= y
            if status in ("已清退", "返贫"):
                assert h[H["status_reason"]]
            assert int(h[H["identified_year"]]) <= y
            assert h[H["income_year"]] == str(y)
    statuses = Counter(h[H["status"]] for rows in registers.values() for h in heads(rows))
    assert statuses["返贫"] > 0 and statuses["已清退"] > 0
    reasons = {h[H["status_reason"]] for rows in registers.values() for h in heads(rows) if h[H["status"]] == "已清退"}
    assert any(r.startswith("识别不准") for r in reasons) and any(r.startswith("死亡") for r in reasons)


def test_disability_grade_only_for_disabled(registers: dict[int, list[list[str]]]) -> None:
    for r in registers[2016]:
        assert (r[H["disability_grade"]] != "") == (r[H["health"]] == "残疾")


# -- reproducibility -------------------------------------------------------------------------------


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    a, b, other = tmp_path / "a", tmp_path / "b", tmp_path / "other"
    synth.generate(a, 1500, seed=3, years=(2014, 2017, 2020), counties=2)
    synth.generate(b, 1500, seed=3, years=(2014, 2017, 2020), counties=2)
    synth.generate(other, 1500, seed=4, years=(2014, 2017, 2020), counties=2)
    for p in a.iterdir():
        assert filecmp.cmp(p, b / p.name, shallow=False), p.name
    assert not filecmp.cmp(a / "register-2017.csv", other / "register-2017.csv", shallow=False)


def test_workers_and_year_choice_do_not_change_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth, "_BATCH", 400)  # several batches per county, so workers really share them
    one, two, some = tmp_path / "one", tmp_path / "two", tmp_path / "some"
    synth.generate(one, 2500, seed=5, years=range(2014, 2023), counties=2, workers=1)
    synth.generate(two, 2500, seed=5, years=range(2014, 2023), counties=2, workers=2)
    for p in one.iterdir():
        assert filecmp.cmp(p, two / p.name, shallow=False), p.name
    synth.generate(some, 2500, seed=5, years=(2016, 2021), counties=2)
    for y in (2016, 2021):
        assert filecmp.cmp(one / f"register-{y}.csv", some / f"register-{y}.csv", shallow=False)


# -- realism ---------------------------------------------------------------------------------------


def test_incidence_falls_to_zero_by_2020(registers: dict[int, list[list[str]]],
                                         welfare: dict[tuple[str, int], tuple[float, bool]]) -> None:
    incidence = []
    for y in YEARS:
        hs = heads(registers[y])
        incidence.append(sum(h[H["status"]] in ("贫困户", "返贫") for h in hs) / len(hs))
    assert incidence[0] > 0.75 and incidence[-1] == 0
    assert all(a > b for a, b in zip(incidence, incidence[1:], strict=False))
    true_poor = [statistics.mean(p for (_, yy), (_, p) in welfare.items() if yy == y) for y in YEARS]
    assert true_poor[0] > 0.5 and true_poor[-1] < 0.03


def test_register_and_true_welfare_disagree_a_little(registers: dict[int, list[list[str]]],
                                                     welfare: dict[tuple[str, int], tuple[float, bool]]) -> None:
    for y in (2014, 2016, 2018, 2020):
        hs = [h for h in heads(registers[y]) if h[H["status"]] in ("贫困户", "已脱贫", "返贫")]
        wrong = sum((h[H["status"]] != "已脱贫") != welfare[(h[H["household_number"]], y)][1] for h in hs)
        assert 0.002 < wrong / len(hs) < 0.10, y
    # Households added later (动态调整) were truly poor before the register found them (漏评).
    added = {h[H["household_number"]] for h in heads(registers[2016]) if h[H["identified_year"]] == "2016"}
    assert statistics.mean(welfare[(n, 2014)][1] for n in added) > 0.6


def test_calibration_targets(registers: dict[int, list[list[str]]]) -> None:
    hs = heads(registers[2014])
    primary = Counter(h[H["primary_cause"]] for h in hs)
    assert 0.40 <= primary["因病"] / len(hs) <= 0.47  # 42.4–44.1 % published
    size = len(registers[2014]) / len(hs)
    assert 3.2 <= size <= 3.8
    assisted = sum(h[H["category"]] != "一般贫困户" for h in hs) / len(hs)
    assert 0.12 <= assisted <= 0.30  # about a fifth under 低保/特困
    ethnic = Counter(r[H["ethnicity"]] for r in registers[2014])
    assert ethnic["苗族"] > 0 and ethnic["汉族"] > ethnic["土家族"] > 0  # 花垣县 and 湘西
    totals = [0.0] * 4
    for h in heads(registers[2019]):
        v = [float(h[H[k]]) for k in ("wage_income", "production_income", "production_costs", "property_income",
                                      "transfer_income")]
        for i, x in enumerate((v[0], v[1] - v[2], v[3], v[4])):
            totals[i] += x
    shares = [x / sum(totals) for x in totals]
    for share, target in zip(shares, (0.353, 0.360, 0.014, 0.273), strict=True):  # NBS 2019, poor areas
        assert abs(share - target) < 0.05
    mean_2020 = statistics.mean(per_capita(h, len(m)) for h, m in
                                ((m[0], m) for m in households(registers[2020]).values()))
    assert 8000 < mean_2020 < 14000  # published: 10,740 (national) and 11,945 (Hunan)


def test_illness_goes_with_medical_costs_and_weaker_labour(registers: dict[int, list[list[str]]]) -> None:
    for y in (2014, 2019):
        ill: list[float] = []
        well: list[float] = []
        for members in households(registers[y]).values():
            cost = float(members[0][H["medical_expenses"]])
            (ill if any(m[H["health"]] == "患有大病" for m in members) else well).append(cost)
        assert statistics.mean(ill) > 3 * statistics.mean(well)
    adults = [r for r in registers[2016] if 20 <= 2016 - int(r[H["birth_date"]][:4]) <= 55]
    weak = {"弱劳动力或半劳动力", "丧失劳动力"}

    def share_weak(health: set[str]) -> float:
        group = [r for r in adults if r[H["health"]] in health]
        return sum(r[H["labour"]] in weak for r in group) / len(group)

    assert share_weak({"患有大病", "长期慢性病"}) > 2 * share_weak({"健康"})


def test_disability_goes_with_its_causes(registers: dict[int, list[list[str]]]) -> None:
    with_disabled: list[bool] = []
    without: list[bool] = []
    for members in households(registers[2014]).values():
        causes = members[0][H["primary_cause"]] + "、" + members[0][H["secondary_causes"]]
        (with_disabled if any(m[H["health"]] == "残疾" for m in members) else without).append("因残" in causes)
    assert statistics.mean(with_disabled) > 0.6 and statistics.mean(without) == 0


def test_remote_villages_are_poorer_and_cite_transport(registers: dict[int, list[list[str]]],
                                                        village_records: dict[tuple[str, int], dict[str, str]]) -> None:
    y = 2016
    distance = {code: float(r["distance_to_town_km"]) for (code, yy), r in village_records.items() if yy == y}
    cut = statistics.median(distance.values())
    far: list[float] = []
    near: list[float] = []
    far_transport: list[bool] = []
    near_transport: list[bool] = []
    for members in households(registers[y]).values():
        h = members[0]
        remote = distance[h[H["village"]]] > cut
        (far if remote else near).append(per_capita(h, len(members)))
        (far_transport if remote else near_transport).append("交通条件落后" in h[H["primary_cause"]] + h[H["secondary_causes"]])
    assert statistics.mean(far) < 0.95 * statistics.mean(near)
    assert statistics.mean(far_transport) > 1.5 * statistics.mean(near_transport)


def test_schooling_follows_age(registers: dict[int, list[list[str]]]) -> None:
    for y in (2014, 2018):
        by_age: dict[int, Counter[str]] = defaultdict(Counter)
        for r in registers[y]:
            by_age[y - int(r[H["birth_date"]][:4])][r[H["schooling"]]] += 1
        compulsory = sum((by_age[a]["小学"] + by_age[a]["初中"]) for a in range(7, 15))
        assert compulsory / sum(sum(by_age[a].values()) for a in range(7, 15)) > 0.95
        upper = sum(by_age[a]["普通高中"] + by_age[a]["中职"] for a in (16, 17))
        assert 0.4 < upper / sum(sum(by_age[a].values()) for a in (16, 17)) < 0.95
        assert sum(by_age[a]["失学辍学"] for a in range(7, 17)) / sum(sum(by_age[a].values()) for a in range(7, 17)) < 0.03
        assert all(by_age[a]["在校生状况"] == 0 for a in by_age)
        assert sum(by_age[a][s] for a in range(0, 3) for s in by_age[a] if s != "非在校生") == 0


def test_monitored_households_after_2020(tmp_path: Path) -> None:
    synth.generate(tmp_path, 3000, seed=9, years=(2020, 2021, 2022), counties=2)
    rows = read(tmp_path / "register-2022.csv")[1]
    monitored = [h for h in heads(rows) if h[H["status"]] == "监测对象"]
    assert 0.01 < len(monitored) / len(heads(rows)) < 0.2
    kinds = Counter(h[H["status_reason"]].split("（")[0] for h in monitored)
    assert set(kinds) <= {"脱贫不稳定户", "边缘易致贫户", "突发严重困难户"} and kinds["脱贫不稳定户"] > 0
    assert not [h for h in heads(read(tmp_path / "register-2020.csv")[1]) if h[H["status"]] in ("贫困户", "监测对象")]


# -- scale -----------------------------------------------------------------------------------------


def test_national_scale_plan() -> None:
    plan = synth.plan_counties(30_000_000)
    assert sum(n for _, n in plan) == 30_000_000
    provinces = {k.province_code for k, _ in plan}
    assert "43" in provinces and {"52", "53", "62", "45"} <= provinces
    assert len({k.code for k, _ in plan}) == len(plan)
    for county, _ in plan:
        assert code_problem(county.code.ljust(12, "0"), "county") is None
        assert code_problem(county.city_code.ljust(12, "0"), "city") is None
        assert county.region_class == ("central" if county.province_code == "43" else county.region_class)
    county, n = plan[-1]
    for township in synth.plan_townships(county, n, seed=1):
        assert code_problem(township.code, "township") is None
        assert all(code_problem(v.code, "village") is None for v in township.villages)
    assert sum(n for k, n in plan if k.province_code == "43") < 2_600_000  # Hunan holds ~2.45 M


def test_ids_stay_unique_when_a_slice_is_full() -> None:
    import numpy as np

    counter = synth._IdCounter("433124", part=499, parts=500)  # one number per date and sex
    day = dt.date(1970, 5, 1).toordinal()
    ordinals, sequences = counter.allocate(np.full(6, day), np.array([1, 1, 1, 0, 0, 0]))
    ymd = np.array([int(dt.date.fromordinal(int(o)).strftime("%Y%m%d")) for o in ordinals])
    numbers = counter.numbers(ymd, sequences).to_pylist()
    assert len(set(numbers)) == 6 and len(set(ordinals.tolist())) == 3  # moved on a day, twice per sex
    for number, o in zip(numbers, ordinals, strict=True):
        assert parse_resident_id(number).birth_date == dt.date.fromordinal(int(o))


@pytest.mark.slow
def test_peak_memory_is_flat(tmp_path: Path) -> None:
    """Measures peak RSS at two sizes (reported in docs/synth.md); asserts only that both runs work."""
    code = ("import resource, sys, jingzhun.demo.synth as s; s.generate(sys.argv[1], int(sys.argv[2]), 1, workers=1); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    for n in (20_000, 200_000):
        done = subprocess.run([sys.executable, "-c", code, str(tmp_path / str(n)), str(n)], capture_output=True,
                              text=True, check=True)
        print(f"N={n}: peak RSS {int(done.stdout.split()[-1]) // 1024} MiB")
