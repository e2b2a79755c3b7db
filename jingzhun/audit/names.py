"""What the audit log's codes mean to a reader: action names, detail keys and coded values, in Chinese and English.

The log stores codes (`import`, `appraisal.announce`, `{"rows": 45, "counts": {...}}`) so it can be searched and
verified; the audit page shows them as names and sentences through this module. Each app registers the names of
the actions it writes (in its AppConfig.ready, or where it defines them) with `register_actions`, and the coded
values its details carry with `register_values`, so this module knows no app above it. A name is either a lazy
translation or a "中文 / English" text; `text(name, english)` gives the side of the language asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Action code → name. Filled by the apps; see `register_actions`.
ACTIONS: dict[str, Any] = {}
# (action prefix, detail key) → {code: name}: coded values shown by their names (appraisal states, statuses, …).
_VALUES: dict[tuple[str, str], dict[str, str]] = {}

# Detail keys the application writes → "中文 / English". Kept in one table: the same key means the same thing in
# every action (`rows` is always the rows read), which is what lets one sentence builder serve every action.
KEYS: dict[str, str] = {
    "file": "文件 / file", "sha256": "文件摘要 / file digest", "rows": "读取行数 / rows read",
    "rejected_rows": "退回行数 / rows rejected", "counts": "结果 / result", "inserted": "新增 / inserted",
    "updated": "更新 / updated", "unchanged": "未变 / unchanged", "rejected_households": "退回户数 / households rejected",
    "cadres_inserted": "新增干部 / cadres added", "cadres_updated": "更新干部 / cadres updated",
    "cadres_unchanged": "未变干部 / cadres unchanged", "teams_inserted": "新增工作队 / teams added",
    "memberships_inserted": "新增队员 / members added", "memberships_updated": "更新队员 / members updated",
    "memberships_unchanged": "未变队员 / members unchanged", "status_events": "状态变动 / status changes",
    "moves": "调动 / moves", "list": "名单 / list", "rule": "比对规则 / rule", "hits": "命中 / hits",
    "households": "户数 / households", "outside": "辖区外 / outside the areas", "scope": "范围 / scope",
    "household": "农户 / household", "before": "原状态 / before", "after": "新状态 / after", "reason": "理由 / reason",
    "policy": "政策 / policy", "policy_sha256": "政策摘要 / policy digest", "year": "年度 / year",
    "engine": "计算引擎 / engine", "data_fingerprint": "数据指纹 / data fingerprint", "not_poor": "非贫困 / not poor",
    "poor": "贫困 / poor", "monitored": "监测 / monitored", "on": "业务日期 / on", "appraisal": "评议记录 / appraisal",
    "attendees": "参会人数 / attendees", "for": "赞成 / for", "against": "反对 / against", "abstain": "弃权 / abstained",
    "acknowledged_pending": "说明后放行的命中 / pending hits acknowledged", "notice": "公示 / notice",
    "starts_on": "公示开始 / starts on", "ends_on": "公示截止 / ends on", "objection": "异议 / objection",
    "stage": "公示阶段 / stage", "household_status": "户状态 / household status", "new": "新结对 / new pairs",
    "moved": "调整 / moved", "kept": "保持 / kept", "ended": "解除 / ended", "unpaired": "未结对 / unpaired",
    "cost_before": "原方案成本 / cost before", "cost_after": "新方案成本 / cost after", "created": "建立 / created",
    "goal": "帮扶目标 / goal", "plan": "帮扶计划 / plan", "category": "类别 / category",
    "description": "内容 / description", "amount": "金额 / amount", "cadre_id": "帮扶干部 / cadre",
    "due_on": "完成期限 / due on", "status": "状态 / status", "done_on": "完成日期 / done on", "result": "成效 / result",
    "revision": "修改记录 / revision", "changes": "修改内容 / changes", "supersedes": "取代的修改 / supersedes",
    "fields": "字段 / fields", "retention_days": "保留天数 / days kept",
    "cutoff": "截止时间 / cutoff", "role_granted": "授予角色 / role granted", "role_revoked": "撤销角色 / role revoked",
    "member": "成员 / member", "field": "字段 / field", "format": "格式 / format", "area": "区域 / area",
    "username": "用户名 / username", "role": "角色 / role", "permission": "权限 / permission",
    "photos": "照片 / photos", "village": "村 / village", "villages": "村 / villages", "kind": "类别 / kind",
    "mode": "方式 / mode", "areas": "区域 / areas", "changed": "修改 / changed", "batch": "批次 / batch",
    # Exit and monitoring (issue 18).
    "eligible": "符合退出标准 / eligible", "findings": "核实情况 / findings", "passed": "通过 / passed",
    "consent": "本户认可 / consent", "signed_by": "签字人 / signed by", "document": "文书编号 / document",
    "exit_check": "退出核查 / exit check", "override": "破例理由 / override", "reasons": "原因 / reasons",
    "source": "来源 / source", "application": "评议申请 / application", "application_step": "评议环节 / step",
    "measures": "帮扶措施 / measures", "found": "发现 / found", "new_cases": "新立案 / new cases",
    "new_triggers": "新触发 / new triggers", "situation": "情况 / situation", "reported_by": "报告人 / reported by",
    "reporter": "报告人 / reported by", "triggers": "触发条件 / triggers", "take_in": "纳入监测 / taken in",
    "income": "收入 / income", "line": "监测线 / line", "share": "占比 / share", "medical": "医疗支出 / medical",
    "schooling": "教育支出 / schooling", "disaster": "灾害损失 / disaster", "rigid": "刚性支出 / rigid expenses",
    "review": "复核 / review", "contact": "联系方式 / contact", "policies_until": "政策延续至 / policies until",
    "self_report": "农户自主申报 / self-report", "months": "月数 / months", "code": "代码 / code",
    "evaluation": "评估 / evaluation", "seed": "随机种子 / seed", "counties": "县 / counties",
    "sampled": "抽中 / sampled", "certainty": "必选 / certainty", "number": "户编号 / number",
    "version": "版本 / version", "level": "层级 / level", "unit": "单位 / unit", "units": "单位数 / units",
    "values": "数值 / values", "engine_seconds": "计算耗时（秒） / seconds", "township": "乡镇 / township",
    "scheme": "方案 / scheme", "decision": "决定 / decision", "grade": "等次 / grade", "total": "总分 / total",
    "cadre": "干部 / cadre", "talent": "人才 / talent", "amount_fen": "金额（分） / amount (fen)",
    "payment": "支付 / payment", "rating": "评定 / rating", "course": "培训班 / course",
    "speciality": "专业 / speciality", "note": "说明 / note", "alert": "预警 / alert", "key": "标识 / key",
    "basis": "依据 / basis", "candidates": "人选数 / candidates", "post": "职位 / post",
    "reverses": "冲销 / reverses", "period": "考核期 / period", "sizes": "样本量 / sample sizes",
    "subject": "对象 / subject", "unit_type": "考核对象类别 / unit type",
    "token": "令牌 / token", "scopes": "权限范围 / scopes", "expires": "到期 / expires", "name": "名称 / name",
    "expires_at": "到期时间 / expires at",
}
_ORDER = {key: i for i, key in enumerate(KEYS)}
_SHORT = {"sha256", "policy_sha256", "data_fingerprint"}  # digests: the first 12 characters identify them to a reader
_LIST_SHOWN = 5
BILINGUAL = re.compile(r"\s*/\s+(?=[A-Za-z0-9])")


def text(name: Any, english: bool) -> str:
    """A name in one language: the matching side of a "中文 / English" text, or a lazy translation as it renders."""
    parts = BILINGUAL.split(str(name), maxsplit=1)
    if len(parts) == 1:
        return parts[0]
    return parts[1] if english else parts[0]


def register_keys(names: Mapping[str, str]) -> None:
    """Add the names of detail keys an app writes ("中文 / English"); a key means one thing in every action."""
    for key, name in names.items():
        KEYS.setdefault(key, name)
        _ORDER.setdefault(key, len(_ORDER))


def register_actions(names: Mapping[str, Any]) -> None:
    """Add the names of actions an app writes (`{"visits.import": "导入走访记录 / visits imported"}`)."""
    ACTIONS.update(names)


def register_values(key: str, labels: Mapping[str, str], *, prefix: str = "") -> None:
    """Show the coded values of detail `key` (in actions starting with `prefix`) by their "中文 / English" names."""
    _VALUES.setdefault((prefix, key), {}).update(labels)


def register_enum(key: str, enum: Any, *, prefix: str = "") -> None:
    """`register_values` from a jingzhun.choices.Enum."""
    register_values(key, {code: f"{zh} / {en}" for code, zh, en in enum.values}, prefix=prefix)


def action_name(action: str, english: bool) -> str:
    name = ACTIONS.get(action)
    return action if name is None else text(name, english)


def action_choices(english: bool) -> list[tuple[str, str]]:
    """(code, name) of every registered action, ordered by the name shown: the audit page's filter."""
    return sorted(((code, text(name, english)) for code, name in ACTIONS.items()), key=lambda pair: pair[1])


def _label(action: str, key: str, code: str) -> str | None:
    for (prefix, k), labels in _VALUES.items():
        if k == key and action.startswith(prefix) and code in labels:
            return labels[code]
    return None


def _value(action: str, key: str, value: Any, english: bool) -> str:
    if isinstance(value, bool):
        return ("yes" if value else "no") if english else ("是" if value else "否")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str):
        shown = _label(action, key, value)
        if shown is not None:
            return text(shown, english)
        return value[:12] if key in _SHORT else value
    if isinstance(value, Mapping):
        return "（" + _pairs(action, value, english, inner=True) + "）" if not english else \
            "(" + _pairs(action, value, english, inner=True) + ")"
    if isinstance(value, Iterable):
        items = list(value)
        if not items:
            return "none" if english else "无"
        if all(isinstance(v, (str, int)) for v in items) and len(items) <= _LIST_SHOWN:
            return ("、" if not english else ", ").join(_value(action, key, v, english) for v in items)
        return f"{len(items):,} items" if english else f"{len(items):,} 项"
    return str(value)


_LITERAL = {"file", "sha256", "policy_sha256", "data_fingerprint"}  # shown as typed: file names and digests


def _pairs(action: str, detail: Mapping[str, Any], english: bool, *, inner: bool = False) -> str:
    return "".join(f"{name}{value}{end}" for name, value, _, end in parts(action, detail, english, inner=inner))


def parts(action: str, detail: Mapping[str, Any] | None, english: bool, *, inner: bool = False
          ) -> list[tuple[str, str, bool, str]]:
    """The details as (name with its colon, value, literal?, punctuation after) in the language asked for: a page
    sets literal values (file names, digests) apart; joined they read as one sentence."""
    out: list[tuple[str, str, bool]] = []
    # In the order of KEYS, not as stored: PostgreSQL's jsonb keeps keys in its own order, and a sentence should
    # read the same on both databases.
    for key, value in sorted((detail or {}).items(), key=lambda kv: (_ORDER.get(kv[0], len(_ORDER)), kv[0])):
        if value is None or value == "":
            continue
        name = text(KEYS[key], english) if key in KEYS else key
        out.append((name + (": " if english else "："), _value(action, key, value, english), key in _LITERAL))
    ends = ((", " if english else "，") if inner else ("; " if english else "；"), "" if inner else
            ("." if english else "。"))
    return [(n, v, lit, ends[1] if i == len(out) - 1 else ends[0]) for i, (n, v, lit) in enumerate(out)]


def describe(action: str, detail: Mapping[str, Any] | None, english: bool) -> str:
    """The row's details as one sentence in the language asked for: "文件：register-2014.csv；新增：2,619。"."""
    return _pairs(action, detail or {}, english)
