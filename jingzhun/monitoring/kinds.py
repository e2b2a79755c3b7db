"""The coded values of monitoring (防止返贫动态监测), each with its Chinese and English label."""

from __future__ import annotations

from jingzhun.choices import Enum

#: The three kinds of monitored household (监测对象类型).
KIND = Enum("monitoring_kind", (
    ("unstable", "脱贫不稳定户", "unstable exited household"),
    ("edge", "边缘易致贫户", "near-poor household at risk"),
    ("sudden", "突发严重困难户", "household in sudden severe hardship"),
))

#: The three ways a household comes to be checked (发现途径).
SOURCE = Enum("monitoring_source", (
    ("self_report", "农户自主申报", "the household's own report"),
    ("screening", "干部排查", "officers' screening"),
    ("signal", "部门筛查预警", "department signal"),
))

#: Department signals (部门预警), imported as lists through the cross-department path: each is a
#: `jingzhun.crosscheck` list kind of the same code.
SIGNAL = Enum("monitoring_signal", (
    ("major_illness", "大病医疗支出", "major-illness spending"),
    ("disability", "残疾登记", "disability registration"),
    ("disaster", "灾害损失", "disaster losses"),
    ("earner_death", "主要劳动力死亡", "death of the main earner"),
    ("unemployment", "失业登记", "unemployment"),
))

#: What found the household (触发条件): the policy's triggers, a department signal, or its own report.
TRIGGER = Enum("monitoring_trigger", (
    ("income", "人均纯收入低于监测范围", "per-capita income under the monitoring line"),
    ("rigid", "刚性支出超过收入一定比例", "rigid expenses above the policy's share of income"),
    *((f"signal_{code}", f"部门预警：{zh}", f"department signal: {en}") for code, zh, en in SIGNAL.values),
    ("self_report", "农户自主申报", "the household's own report"),
))

#: A case's way from being found to a decision, and on to risk elimination.
STATE = Enum("monitoring_state", (
    ("open", "待核实", "awaiting check"),
    ("checked", "待研究认定", "awaiting decision"),
    ("monitored", "已纳入监测", "monitored"),
    ("dismissed", "核实不纳入", "not taken in"),
    ("elimination", "风险消除公示中", "risk elimination under notice"),
    ("eliminated", "已消除风险", "risk eliminated"),
))

#: The states of a case still being worked on or followed (a household has at most one such case).
OPEN_STATES = ("open", "checked", "monitored", "elimination")
#: The states with a deadline to check or to decide.
WAITING = {"open": "check", "checked": "decide"}

#: The rigid expenses (刚性支出) the policy may count.
EXPENSE = Enum("rigid_expense", (
    ("medical", "医疗自付支出", "out-of-pocket medical"),
    ("schooling", "教育支出", "schooling"),
    ("disaster", "灾害损失支出", "disaster"),
))

#: The steps of a case, as its history names them.
ACTION = Enum("monitoring_action", (
    ("open", "发现立案", "found"),
    ("check", "入户核实", "checked"),
    ("decided", "认定（评议公示审批）", "decided (appraisal, notices, approval)"),
    ("assist", "制定帮扶措施", "assistance planned"),
    ("propose_elimination", "风险消除公示", "risk elimination proposed and published"),
    ("object_elimination", "公示异议", "objection"),
    ("approve_elimination", "批准风险消除", "risk elimination approved"),
))

#: The audit log's names of monitoring's actions and objects, as "中文 / English" (the audit page shows one side).
AUDIT_ACTIONS = {
    "monitoring.report": "农户自主申报 / self-report",
    "monitoring.screen": "防返贫排查 / monitoring screening",
    **{f"monitoring.{code}": f"{zh} / {en}" for code, zh, en in ACTION.values},
}
AUDIT_OBJECTS = {"monitoring_case": "监测对象 / monitoring case", "monitoring_screening": "防返贫排查 / screening"}
