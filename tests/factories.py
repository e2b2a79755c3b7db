"""Small hand-made registers for tests: valid rows, built from the template, that tests then break."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from jingzhun.areas.models import Area
from jingzhun.identity import check_char
from jingzhun.registry import template

PROVINCE, CITY, COUNTY = "430000000000", "433100000000", "433130000000"
TOWNSHIP, VILLAGE, VILLAGE2 = "433130101000", "433130101201", "433130101202"
OTHER_COUNTY, OTHER_TOWNSHIP, OTHER_VILLAGE = "433127000000", "433127102000", "433127102203"


def make_areas() -> None:
    rows = [
        (PROVINCE, "湖南省", "province", None), (CITY, "湘西土家族苗族自治州", "city", PROVINCE),
        (COUNTY, "龙山县", "county", CITY), (TOWNSHIP, "石牌镇", "township", COUNTY),
        (VILLAGE, "洗车村", "village", TOWNSHIP), (VILLAGE2, "白岩村", "village", TOWNSHIP),
        (OTHER_COUNTY, "永顺县", "county", CITY), (OTHER_TOWNSHIP, "灵溪镇", "township", OTHER_COUNTY),
        (OTHER_VILLAGE, "司城村", "village", OTHER_TOWNSHIP),
    ]
    for code, name, level, parent in rows:
        Area.objects.create(code=code, name=name, level=level, parent_id=parent, region_class="central",
                            poor_county="national" if level == "county" else "",
                            poor_village=level == "village")


def resident_id(region: str, birth: dt.date, seq: int, male: bool) -> str:
    last = seq * 2 + (1 if male else 0)
    body = f"{region}{birth:%Y%m%d}{last % 1000:03d}"
    return body + check_char(body)


def household_rows(number: str, village: str = VILLAGE, *, size: int = 3, seed: int = 0, year: int = 2019) -> list[dict[str, str]]:
    """One household as template rows (Chinese headers → cell text)."""
    base = {
        "household_number": number, "village": village, "category": "一般贫困户", "status": "贫困户",
        "identified_year": "2014", "exit_year": "", "status_reason": "", "arable_land_mu": "2.5",
        "forest_land_mu": "10", "housing_area_m2": "85.5", "housing_grade": "B级", "drinking_water": "安全",
        "has_electricity": "是", "has_production_power": "否", "road": "砂石路", "distance_to_road_km": "1.2",
        "sanitary_toilet": "否", "primary_cause": "因病", "secondary_causes": "缺技术、缺资金",
        "food_secure": "是", "clothing_secure": "是", "schooling_secured": "是", "medical_secured": "否",
        "housing_secured": "是", "water_secured": "是", "income_year": str(year), "wage_income": "6000",
        "production_income": "3000.5", "production_costs": "800", "property_income": "0",
        "transfer_income": "1200", "medical_expenses": "4500",
    }
    people = [
        ("张德明", "户主", dt.date(1968, 3, 14), True, "患有大病", "", "弱劳动力或半劳动力"),
        ("李秀英", "配偶", dt.date(1970, 9, 2), False, "健康", "", "普通劳动力"),
        ("张小军", "之子", dt.date(2008, 6, 30), True, "健康", "", "无劳动力"),
        ("张小红", "之女", dt.date(2012, 1, 8), False, "残疾", "2", "无劳动力"),
    ][:size]
    rows = []
    for i, (name, relation, birth, male, health, grade, labour) in enumerate(people):
        member = {
            "name": name, "resident_id": resident_id("433130", birth, seed * 10 + i, male),
            "relation": relation, "sex": "男" if male else "女", "birth_date": birth.isoformat(),
            "ethnicity": "土家族", "education": "小学" if birth.year < 2000 else "初中",
            "schooling": "非在校生" if birth.year < 2000 else "初中", "health": health,
            "disability_grade": grade, "labour": labour, "migrant_months": "0" if i else "3",
            "medical_insurance": "是", "pension_insurance": "是" if birth.year < 2000 else "否", "assistance": "无",
        }
        row = {k: "" for k in template.HOUSEHOLD_KEYS}
        row["household_number"] = number  # the key: on every row; the rest on the head's row only
        if relation == "户主":
            row.update(base)
        row.update(member)
        rows.append(row)
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(template.HEADERS)
        for row in rows:
            writer.writerow([row.get(col.key, "") for col in template.COLUMNS])
    return path


def two_households() -> list[dict[str, str]]:
    """H1: rows 2–5 (4 people), H2: rows 6–8 (3 people)."""
    return household_rows("H1", size=4, seed=1) + household_rows("H2", size=3, seed=2)


def write_xlsx(path: Path, rows: list[dict[str, str]], *, numeric_id_row: int | None = None,
               as_text: bool = False) -> Path:
    """As an officer's workbook: numbers as numbers, dates as dates, IDs as text (except one if asked);
    `as_text`: every cell as text, as in the template and the exports (columns formatted "@")."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("户成员")
    date_format = book.add_format({"num_format": "yyyy-mm-dd"})
    text_format = book.add_format({"num_format": "@"})
    for j, col in enumerate(template.COLUMNS):
        sheet.write_string(0, j, col.header)
    for i, row in enumerate(rows, start=1):
        for j, col in enumerate(template.COLUMNS):
            value = row.get(col.key, "")
            if value == "":
                continue
            if as_text:
                sheet.write_string(i, j, value, text_format)
            elif col.key == "resident_id":
                if i + 1 == numeric_id_row:
                    sheet.write_number(i, j, float(value))
                else:
                    sheet.write_string(i, j, value)
            elif col.kind in ("int", "decimal"):
                sheet.write_number(i, j, float(value))
            elif col.kind == "date":
                sheet.write_datetime(i, j, dt.datetime.fromisoformat(value), date_format)
            else:
                sheet.write_string(i, j, value)
    book.close()
    return path


def numbered_register(n: int, prefix: str = "Q", village: str = VILLAGE) -> list[dict[str, str]]:
    """n households of 3 with distinct numbers (prefix + 5 digits) and resident IDs (household k's people get
    region 4kkkkk): a register of any size for the kill, queue and limit tests."""
    rows = []
    for k in range(n):
        household = household_rows(f"{prefix}{k:05d}", village, size=3, seed=0)
        for i, row in enumerate(household):
            birth = dt.date.fromisoformat(row["birth_date"])
            row["resident_id"] = resident_id(f"4{k:05d}", birth, i, row["sex"] == "男")
        rows += household
    return rows
