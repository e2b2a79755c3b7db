"""The Simplified Chinese UI strings, kept as a table here and written into the .po file by
`python scripts/zh_hans.py` (after `django-admin makemessages -l zh_Hans` in jingzhun/). The .mo is compiled
by msgfmt (Debian gettext) or, without it, by polib. tests/test_web_i18n.py fails on any string missing here."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ZH = {
    "Not permitted": "无权访问",
    "Your roles do not allow this page.": "您的角色无权访问此页面。",
    "Not found": "未找到",
    "There is nothing here, or it is outside your area.": "此处没有内容，或不在您的管辖区域内。",
    "Audit log": "审计日志",
    "User": "用户",
    "Action": "操作",
    "From": "起始日期",
    "To": "截止日期",
    "Search": "查询",
    "Time": "时间",
    "Role": "角色",
    "Area": "区域",
    "Object": "对象",
    "Address": "地址",
    "Details": "详情",
    "No entries.": "没有记录。",
    "Older entries": "更早的记录",
    "Jingzhun precision poverty alleviation": "精准扶贫管理系统",
    "Precision poverty alleviation": "精准扶贫管理系统",
    "Log out": "退出",
    "Dashboard": "统计总览",
    "Poor households now": "现有贫困户",
    "Poor population": "贫困人口",
    "Poverty incidence": "贫困发生率",
    "Households with a helper": "已结对帮扶户",
    "Poor villages with a full work team": "驻村工作队配齐的贫困村",
    "Visits in the last 30 days": "近30天走访次数",
    "Households by status": "各状态户数",
    "Primary causes of poverty (poor households)": "主要致贫原因（现有贫困户）",
    "Identified and exited households by year": "历年识别与脱贫户数",
    "Identified": "识别",
    "Exited": "脱贫",
    "Poverty incidence by area (%%)": "下级区域贫困发生率（%%）",
    "Status": "状态",
    "Households": "户数",
    "People": "人数",
    "Total": "合计",
    "Areas below": "下级区域",
    "Poor households": "贫困户数",
    "Households in this area": "本区域贫困户名单",
    "Household": "贫困户",
    "1. Family": "一、家庭基本情况",
    "Category": "贫困户属性",
    "Members": "家庭人口",
    "Identified in": "识别年度",
    "Exited in": "脱贫年度",
    "2. Production and living conditions": "二、生产生活条件",
    "Arable land (mu)": "耕地面积（亩）",
    "Forest land (mu)": "林地面积（亩）",
    "Housing area (m²)": "住房面积（平方米）",
    "Housing safety grade": "住房安全等级",
    "Drinking water": "饮水状况",
    "Electricity": "通生活用电",
    "yes,no": "是,否",
    "Road to the house": "入户路",
    "Sanitary toilet": "卫生厕所",
    "3. Causes of poverty": "三、致贫原因",
    "Primary cause": "主要致贫原因",
    "Other causes": "其他致贫原因",
    "5. Basic guarantees": "五、“两不愁三保障”",
    "Enough food": "不愁吃",
    "Enough clothing": "不愁穿",
    "Compulsory schooling secured": "义务教育有保障",
    "Basic medical care secured": "基本医疗有保障",
    "Safe housing secured": "住房安全有保障",
    "Safe water secured": "饮水安全有保障",
    "4. Income by year (yuan)": "四、历年收入（元）",
    "Net income by source": "分来源纯收入",
    "Net income": "纯收入",
    "Wages": "工资性收入",
    "Net production income": "生产经营性净收入",
    "Property income": "财产性收入",
    "Transfers": "转移性收入",
    "Year": "年度",
    "Production income": "生产经营性收入",
    "Production costs": "生产经营性支出",
    "No income records.": "暂无收入记录。",
    "7. Members": "七、家庭成员",
    "Name": "姓名",
    "Resident ID": "证件号码",
    "Relation": "与户主关系",
    "Sex": "性别",
    "Birth date": "出生日期",
    "Education": "文化程度",
    "Schooling": "在校生状况",
    "Health": "健康状况",
    "Labour": "劳动技能",
    "Assistance": "低保/特困",
    "Reveal (audited)": "查看（留痕）",
    "Helper": "帮扶责任人",
    "since": "结对于",
    "No active helper.": "尚无帮扶责任人。",
    "Visits": "走访记录",
    "No visits recorded.": "暂无走访记录。",
    "6. Status history": "六、状态变化",
    "Register": "建档立卡",
    "Name, resident ID or household number": "姓名、证件号码或户编号",
    "Area code": "区划代码",
    "All": "全部",
    "Household number": "户编号",
    "Village": "村",
    "No households found.": "没有找到贫困户。",
    "Next page": "下一页",
    "Import register file": "导入建档立卡数据",
    "CSV or XLSX file in the register template": "按模板填写的 CSV 或 XLSX 文件",
    "Upload and check": "上传并校验",
    "The file is checked first; nothing is imported until you confirm.": "文件先校验，确认后才导入。",
    "Recent uploads": "最近上传",
    "File": "文件",
    "Uploaded": "上传时间",
    "Rows": "行数",
    "Errors": "错误数",
    "State": "状态",
    "No uploads yet.": "尚无上传。",
    "Log in": "登录",
    "Wrong user name or password, or too many failed attempts: try again later.": "用户名或密码错误，或失败次数过多，请稍后再试。",
    "User name": "用户名",
    "Password": "密码",
    "Reveal sensitive information": "查看敏感信息",
    "You do not have permission to reveal sensitive information. The attempt has been recorded.": "您没有查看敏感信息的权限，本次操作已记录。",
    "Disability grade": "残疾等级",
    "This reveal has been recorded in the audit log.": "本次查看已记入审计日志。",
    "Revealing the resident ID, health and disability grade is recorded in the audit log with your name, the time and your address.": "查看证件号码、健康状况和残疾等级将连同您的用户名、时间和地址记入审计日志。",
    "Reveal and record": "查看并留痕",
    "Import": "数据导入",
    "Households with errors": "有错误的户数",
    "The file has errors. Correct them and upload again, or import only the households without errors.": "文件有错误。请改正后重新上传，或只导入没有错误的户。",
    "Import valid households only": "只导入无错误的户",
    "Confirm import": "确认导入",
    "Error": "错误",
    "New households": "新增户数",
    "Updated households": "更新户数",
    "Unchanged households": "未变户数",
    "Validation report": "校验报告",
    "Download the full report (XLSX)": "下载完整报告（XLSX）",
    "The first 200 errors are shown below.": "下表列出前200条错误。",
    "Row": "行号",
    "Column": "列",
    "Value": "值",
    "Rule": "规则",
    "checked, not imported": "已校验，未导入",
    "importing": "正在导入",
    "imported": "已导入",
    "failed": "导入失败",
    "Administration": "系统管理",
    "%(field)s: a date is written YYYY-MM-DD": "%(field)s：日期格式应为 YYYY-MM-DD",
    "No such area in your scope": "您的管辖范围内没有该区域",
    "No such upload": "没有该上传记录",
    "Choose a CSV or XLSX file to upload.": "请选择要上传的 CSV 或 XLSX 文件。",
    "Import %(file)s": "导入 %(file)s",
    "The file has errors: correct them, or import the valid households only.": "文件有错误：请改正，或只导入无错误的户。",
    "No report": "没有报告",
    "Not a valid resident ID: %(why)s": "证件号码无效：%(why)s",
    "Area code must be 12 digits": "区划代码应为12位数字",
    "Household %(number)s": "贫困户 %(number)s",
    "No such member in your scope": "您的管辖范围内没有该成员",
    "Export this area (XLSX, audited)": "导出本区域名单（XLSX，留痕）",
    "No such area": "没有该区域",
    "log in": "登录",
    "log out": "退出",
    "failed login": "登录失败",
    "reveal": "查看敏感信息",
    "reveal refused": "查看被拒绝",
    "export": "导出",
    "export finished": "导出完成",
    "import": "导入",
    "audit log pruned": "清理审计日志",
    "member": "家庭成员",
    "register": "建档立卡名单",
    "import batch": "导入批次",
    "Helper and team coverage": "帮扶覆盖情况",
    "Supervision alerts": "督查预警",
    "Coverage": "帮扶覆盖",
    "Supervision": "督查预警",
    "No gaps: every poor village has a full team, every household needing help has a helper, no helper is overloaded.": "全部到位：每个贫困村都有完整的驻村工作队，每户需帮扶户都有帮扶责任人，没有超负荷的帮扶人。",
    "Poor villages": "贫困村数",
    "Poor villages without a full team": "无完整工作队的贫困村",
    "Households needing a helper": "需帮扶户数",
    "Households without a helper": "无帮扶人的户",
    "Helpers": "在岗帮扶人",
    "Overloaded helpers": "超负荷帮扶人",
    "Visits in the last N days": "统计最近 N 天的走访",
    "Alert": "预警",
    "Subject": "对象",
    "No alerts.": "没有预警。",
    "The first %(shown)s of %(total)s alerts are listed.": "共 %(total)s 条预警，下表列出前 %(shown)s 条。",
}
# Chinese has one plural form.
PLURALS = {
    "%(gaps)s gap to close.": ["尚有 %(gaps)s 处缺口需要补齐。"],
}

PO = Path(__file__).resolve().parent.parent / "jingzhun" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def main() -> None:
    import polib

    po = polib.pofile(str(PO))
    missing = []
    for entry in po:
        if entry.msgid_plural and entry.msgid in PLURALS:
            entry.msgstr_plural = dict(enumerate(PLURALS[entry.msgid]))
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif entry.msgid in ZH:
            entry.msgstr = ZH[entry.msgid]
            if "fuzzy" in entry.flags:
                entry.flags.remove("fuzzy")
        elif not entry.obsolete:
            missing.append(entry.msgid)
    po.metadata["Content-Type"] = "text/plain; charset=UTF-8"
    po.metadata["Language"] = "zh_Hans"
    po.save()
    mo = PO.with_suffix(".mo")
    if shutil.which("msgfmt"):
        subprocess.run(["msgfmt", "--check-format", "-o", str(mo), str(PO)], check=True)
    else:
        po.save_as_mofile(str(mo))
    if missing:
        sys.exit("untranslated: " + "; ".join(missing))


if __name__ == "__main__":
    main()
