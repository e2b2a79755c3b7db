"""The register template (建档立卡导入模板): one row per household member.

The household number (户编号) is on every row: it says which household a row belongs to. The other
household columns are filled on the head's row (与户主关系 = 户主); on the other rows of the same
household they may be left empty or repeat the head's values exactly; anything else is an error.
Income columns are for the year in 收入年度; a file carries one year per household.

This table is the single definition of the file format: the importer validates with it, the exporter
writes with it, the synthetic generator produces it, the blank template and docs/template.md are
generated from it.
"""

from __future__ import annotations

from decimal import Decimal

from jingzhun import choices as c
from jingzhun.tabular.spec import Column, Spec, normalise_header


def _money(key: str, header: str, alias: str, note: str = "") -> Column:
    return Column(key, header, alias, "income", "decimal", False, low=Decimal(0), high=Decimal(10_000_000), note=note)


COLUMNS: tuple[Column, ...] = (
    Column("household_number", "户编号", "household_number", "household", "text", max_length=32, text_only=True,
           note="每户唯一；同一户的各行相同；仅字母、数字、“-”和“_” / unique per household, the same on each of its rows; letters, digits, '-' and '_' only"),
    Column("village", "所在村代码", "village_code", "household", "village",
           note="12位统计用区划代码，须为已登记的村 / a 12-digit code of a registered village"),
    Column("category", "贫困户属性", "category", "household", "enum", enum=c.HOUSEHOLD_CATEGORY),
    Column("status", "户状态", "status", "household", "enum", enum=c.HOUSEHOLD_STATUS),
    Column("identified_year", "识别年度", "identified_year", "household", "int", False, low=2013, high=2100),
    Column("exit_year", "脱贫年度", "exit_year", "household", "int", False, low=2013, high=2100,
           note="户状态为已脱贫时必填 / required when the status is exited"),
    Column("status_reason", "状态变更原因", "status_reason", "household", "text", False, max_length=200,
           note="户状态为已清退或返贫时必填 / required when removed or returned"),
    Column("arable_land_mu", "耕地面积（亩）", "arable_land_mu", "household", "decimal", False,
           low=Decimal(0), high=Decimal(10_000)),
    Column("forest_land_mu", "林地面积（亩）", "forest_land_mu", "household", "decimal", False,
           low=Decimal(0), high=Decimal(100_000)),
    Column("housing_area_m2", "住房面积（平方米）", "housing_area_m2", "household", "decimal", False,
           low=Decimal(0), high=Decimal(10_000)),
    Column("housing_grade", "住房安全等级", "housing_grade", "household", "enum", enum=c.HOUSING_GRADE),
    Column("drinking_water", "饮水状况", "drinking_water", "household", "enum", enum=c.DRINKING_WATER),
    Column("has_electricity", "通生活用电", "has_electricity", "household", "bool", enum=c.YES_NO),
    Column("has_production_power", "通生产用电", "has_production_power", "household", "bool", enum=c.YES_NO),
    Column("road", "入户路", "road", "household", "enum", enum=c.ROAD),
    Column("distance_to_road_km", "距村主干路（公里）", "distance_to_road_km", "household", "decimal", False,
           low=Decimal(0), high=Decimal(500)),
    Column("sanitary_toilet", "卫生厕所", "sanitary_toilet", "household", "bool", enum=c.YES_NO),
    Column("primary_cause", "主要致贫原因", "primary_cause", "household", "enum", enum=c.CAUSE),
    Column("secondary_causes", "其他致贫原因", "secondary_causes", "household", "multi", False, enum=c.CAUSE,
           note="可多选，以“、”分隔 / several allowed, separated by 、 , or ;"),
    Column("food_secure", "不愁吃", "food_secure", "household", "bool", enum=c.YES_NO),
    Column("clothing_secure", "不愁穿", "clothing_secure", "household", "bool", enum=c.YES_NO),
    Column("schooling_secured", "义务教育有保障", "schooling_secured", "household", "bool", enum=c.YES_NO),
    Column("medical_secured", "基本医疗有保障", "medical_secured", "household", "bool", enum=c.YES_NO),
    Column("housing_secured", "住房安全有保障", "housing_secured", "household", "bool", enum=c.YES_NO),
    Column("water_secured", "饮水安全有保障", "water_secured", "household", "bool", enum=c.YES_NO),
    Column("income_year", "收入年度", "income_year", "income", "int", False, low=2013, high=2100,
           note="为空：本次不改收入，各项收入也须为空 / empty: the income is left as it is (leave the amounts empty too)"),
    _money("wage_income", "工资性收入（元）", "wage_income"),
    _money("production_income", "生产经营性收入（元）", "production_income"),
    _money("production_costs", "生产经营性支出（元）", "production_costs"),
    _money("property_income", "财产性收入（元）", "property_income"),
    _money("transfer_income", "转移性收入（元）", "transfer_income"),
    _money("medical_expenses", "医疗自付支出（元）", "medical_expenses"),
    Column("name", "姓名", "name", "member", "text", max_length=40),
    Column("resident_id", "证件号码", "resident_id", "member", "resident_id", text_only=True,
           note="18位居民身份证号码（旧15位自动升位）；Excel 中请设为文本格式 / 18 characters; format as text in Excel"),
    Column("relation", "与户主关系", "relation", "member", "enum", enum=c.RELATION),
    Column("sex", "性别", "sex", "member", "enum", enum=c.SEX, note="须与证件号码一致 / must agree with the ID"),
    Column("birth_date", "出生日期", "birth_date", "member", "date",
           note="YYYY-MM-DD，须与证件号码一致 / must agree with the ID"),
    Column("ethnicity", "民族", "ethnicity", "member", "enum", enum=c.ETHNICITY),
    Column("education", "文化程度", "education", "member", "enum", enum=c.EDUCATION),
    Column("schooling", "在校生状况", "schooling", "member", "enum", enum=c.SCHOOLING),
    Column("health", "健康状况", "health", "member", "enum", enum=c.HEALTH),
    Column("disability_grade", "残疾等级", "disability_grade", "member", "int", False, low=1, high=4,
           note="健康状况为残疾时必填，1–4级 / required for a disability, grade 1–4"),
    Column("labour", "劳动技能", "labour", "member", "enum", enum=c.LABOUR),
    Column("migrant_months", "务工时间（月）", "migrant_months", "member", "int", False, low=0, high=12, default="0"),
    Column("medical_insurance", "参加城乡居民基本医疗保险", "medical_insurance", "member", "bool", enum=c.YES_NO),
    Column("pension_insurance", "参加城乡居民基本养老保险", "pension_insurance", "member", "bool", enum=c.YES_NO),
    Column("assistance", "低保/特困", "assistance", "member", "enum", enum=c.ASSISTANCE),
)

BY_KEY = {col.key: col for col in COLUMNS}
HEADERS = [col.header for col in COLUMNS]
HOUSEHOLD_KEYS = [col.key for col in COLUMNS if col.level in ("household", "income")]
MEMBER_KEYS = [col.key for col in COLUMNS if col.level == "member"]
MULTI_SEPARATORS = "、,，;；"


SPEC = Spec("register", COLUMNS)


def header_lookup() -> dict[str, str]:
    """Accepted header spellings (Chinese, English alias, any case/whitespace) → column key."""
    return dict(SPEC.lookup)


__all__ = ["BY_KEY", "COLUMNS", "Column", "HEADERS", "HOUSEHOLD_KEYS", "MEMBER_KEYS", "SPEC", "header_lookup",
           "normalise_header"]
