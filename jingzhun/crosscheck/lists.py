"""What a department's list looks like: one `Spec` per rule — the resident-ID column and the rule's evidence
columns — read by the one reader (`jingzhun.tabular.read`).

Departments send their own layouts, so each column accepts a few spellings of its header (Chinese first,
English aliases): the column's own header, its key, and the spellings in `extra_headers`. Only the columns
named here are read; anything else in the file (addresses of people who are not in the register, phone
numbers, ...) is dropped by the reader and never stored.
"""

from __future__ import annotations

from jingzhun.tabular.spec import Column, Spec

#: The resident-ID column's header in reports, and its key.
ID_HEADER = "证件号码"
ID_KEY = "resident_id"
ID_SPELLINGS = ("身份证号", "身份证号码", "公民身份号码", "居民身份证号码")

# An 18-digit ID typed into a number cell has lost digits already (Excel keeps 15): `text_only` refuses it.
RESIDENT_ID = Column(ID_KEY, ID_HEADER, "id_number", kind="resident_id", text_only=True,
                     note="18位（或旧版15位）居民身份证号码 / the resident ID, 18 characters (or a legacy 15 digits)")
NAME = Column("name", "姓名", "name", required=False)


def _date(key: str, header: str, *, required: bool = False) -> Column:
    return Column(key, header, key, kind="date", required=required,
                  note="如 2020-05-01、2020/5/1、2020.5.1 或 20200501，不晚于今天 / a date, not in the future")


#: Per rule (the policy's [exclusions.<key>]), the evidence columns of a list.
EVIDENCE: dict[str, tuple[Column, ...]] = {
    "vehicle": (
        NAME,
        Column("plate", "号牌号码", "plate"),
        Column("vehicle_type", "车辆类型", "vehicle_type", required=False),
        _date("registered_on", "登记日期"),
    ),
    "business": (
        NAME,
        Column("business_name", "市场主体名称", "business_name"),
        Column("credit_code", "统一社会信用代码", "credit_code", required=False),
        _date("registered_on", "成立日期"),
    ),
    "public_payroll": (
        NAME,
        Column("employer", "工作单位", "employer"),
        Column("post", "职务", "post", required=False),
    ),
    "commercial_housing": (
        NAME,
        Column("property_address", "房屋坐落", "property_address"),
        _date("registered_on", "登记日期"),
    ),
    "deceased": (
        NAME,
        _date("death_date", "死亡日期", required=True),
    ),
    # Monitoring signals (防返贫监测部门预警): who, and what the department recorded.
    "major_illness": (
        NAME,
        Column("medical_spending", "医疗费用（元）", "medical_spending", required=False),
        Column("diagnosis", "病种", "diagnosis", required=False),
        _date("settled_on", "结算日期"),
    ),
    "disability": (
        NAME,
        Column("disability_grade", "残疾等级", "disability_grade", required=False),
        _date("registered_on", "登记日期"),
    ),
    "disaster": (
        NAME,
        Column("loss", "损失情况", "loss"),
        _date("occurred_on", "受灾日期"),
    ),
    "earner_death": (
        NAME,
        _date("death_date", "死亡日期", required=True),
    ),
    "unemployment": (
        NAME,
        _date("registered_on", "失业登记日期"),
    ),
}

#: More spellings departments use, per rule: header → key.
SPELLINGS: dict[str, dict[str, str]] = {
    "vehicle": {"车牌号": "plate", "车牌号码": "plate", "初次登记日期": "registered_on"},
    "business": {"企业名称": "business_name", "字号名称": "business_name", "名称": "business_name",
                 "登记日期": "registered_on"},
    "public_payroll": {"单位名称": "employer", "岗位": "post"},
    "commercial_housing": {"房屋地址": "property_address", "购房日期": "registered_on"},
    "deceased": {},
    "major_illness": {"医疗总费用": "medical_spending", "疾病名称": "diagnosis"},
    "disability": {"残疾级别": "disability_grade"},
    "disaster": {"灾情": "loss"},
    "earner_death": {},
    "unemployment": {"登记日期": "registered_on"},
}

#: The file of each rule: the ID column, then the evidence columns.
SPECS: dict[str, Spec] = {
    rule: Spec(f"crosscheck_{rule}", (RESIDENT_ID, *columns),
               {**{spelling: ID_KEY for spelling in ID_SPELLINGS}, **SPELLINGS[rule]})
    for rule, columns in EVIDENCE.items()
}
