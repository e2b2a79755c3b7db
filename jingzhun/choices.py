"""Coded values of the register: one list per concept, each value with its code (stored), its
Chinese label (the template and the UI) and its English label.

Imports accept the Chinese label or the code; exports write the Chinese label. Everything that shows
or checks a coded value reads it from here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Enum:
    name: str
    values: tuple[tuple[str, str, str], ...]  # (code, 中文, English)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(code, zh) for code, zh, _ in self.values]

    @property
    def codes(self) -> list[str]:
        return [v[0] for v in self.values]

    def lookup(self) -> dict[str, str]:
        """Accepted spellings → code."""
        table = {}
        for code, zh, en in self.values:
            table[zh] = code
            table[code] = code
            table[en] = code
        return table

    def label(self, code: str) -> str:
        """The label in the active UI language (Chinese unless English is chosen); the code if unknown."""
        from django.utils import translation

        english = (translation.get_language() or "zh-hans").startswith("en")
        for c, zh, en in self.values:
            if c == code:
                return en if english else zh
        return code

    def labels(self) -> dict[str, str]:
        return {c: self.label(c) for c in self.codes}

    def zh(self, code: str) -> str:
        for c, zh, _ in self.values:
            if c == code:
                return zh
        raise KeyError(code)


LEVEL = Enum("level", (
    ("province", "省", "province"),
    ("city", "市", "city"),
    ("county", "县", "county"),
    ("township", "乡", "township"),
    ("village", "村", "village"),
))
REGION_CLASS = Enum("region_class", (
    ("east", "东部", "east"),
    ("central", "中部", "central"),
    ("west", "西部", "west"),
))
POOR_COUNTY = Enum("poor_county", (
    ("national", "国家级贫困县", "national"),
    ("provincial", "省级贫困县", "provincial"),
))
HOUSEHOLD_CATEGORY = Enum("household_category", (
    ("general", "一般贫困户", "general"),
    ("dibao", "低保贫困户", "minimum-living-guarantee"),
    ("tekun", "特困供养贫困户", "extreme-poverty support"),
))
# The household statuses, named once: code that compares a status names its constant, so a misspelt status is
# an error where it is written, not a comparison that is silently never true.
APPLICANT, POOR, EXITED, MONITORED, RETURNED, REMOVED = "applicant", "poor", "exited", "monitored", "returned", "removed"
HOUSEHOLD_STATUS = Enum("household_status", (
    (APPLICANT, "申请", "applicant"),
    (POOR, "贫困户", "poor"),
    (EXITED, "已脱贫", "exited"),
    (MONITORED, "监测对象", "monitored"),
    (RETURNED, "返贫", "returned"),
    (REMOVED, "已清退", "removed"),
))
# In poverty now (贫困户, 返贫): the dashboards' poor households, and what counts against the yearly quota.
POOR_NOW = (POOR, RETURNED)
# Needing a helper (结对帮扶): poor, poor again, and monitored for return to poverty.
NEEDS_HELPER = (POOR, RETURNED, MONITORED)
CAUSE = Enum("cause", (
    ("illness", "因病", "illness"),
    ("disability", "因残", "disability"),
    ("schooling", "因学", "schooling costs"),
    ("disaster", "因灾", "disaster"),
    ("marriage", "因婚", "marriage"),
    ("land", "缺土地", "lack of land"),
    ("water", "缺水", "lack of water"),
    ("skills", "缺技术", "lack of skills"),
    ("capital", "缺资金", "lack of capital"),
    ("labour", "缺劳力", "lack of labour"),
    ("transport", "交通条件落后", "poor transport"),
    ("motivation", "自身发展动力不足", "lack of motivation"),
    ("other", "其他", "other"),
))
HOUSING_GRADE = Enum("housing_grade", (
    ("A", "A级", "grade A (safe)"),
    ("B", "B级", "grade B (basically safe)"),
    ("C", "C级", "grade C (partly dangerous)"),
    ("D", "D级", "grade D (dangerous)"),
))
DRINKING_WATER = Enum("drinking_water", (
    ("safe", "安全", "safe"),
    ("basic", "基本安全", "basically safe"),
    ("unsafe", "不安全", "unsafe"),
))
ROAD = Enum("road", (
    ("hardened", "硬化路", "hardened road"),
    ("gravel", "砂石路", "gravel road"),
    ("dirt", "土路", "dirt road"),
    ("none", "未通路", "no road"),
))
RELATION = Enum("relation", (
    ("head", "户主", "head"),
    ("spouse", "配偶", "spouse"),
    ("son", "之子", "son"),
    ("daughter", "之女", "daughter"),
    ("daughter_in_law", "之儿媳", "daughter-in-law"),
    ("son_in_law", "之女婿", "son-in-law"),
    ("grandson", "之孙子", "grandson"),
    ("granddaughter", "之孙女", "granddaughter"),
    ("father", "之父", "father"),
    ("mother", "之母", "mother"),
    ("sibling", "兄弟姐妹", "sibling"),
    ("other", "其他", "other"),
))
SEX = Enum("sex", (("male", "男", "male"), ("female", "女", "female")))
EDUCATION = Enum("education", (
    ("preschool", "学龄前儿童", "pre-school child"),
    ("illiterate", "文盲或半文盲", "illiterate or semi-literate"),
    ("primary", "小学", "primary"),
    ("junior", "初中", "junior secondary"),
    ("senior", "高中", "senior secondary"),
    ("vocational", "中专", "vocational secondary"),
    ("college", "大专及以上", "college and above"),
))
SCHOOLING = Enum("schooling", (
    ("none", "非在校生", "not in school"),
    ("preschool", "学前教育", "pre-school"),
    ("primary", "小学", "primary"),
    ("junior", "初中", "junior secondary"),
    ("senior", "普通高中", "senior secondary"),
    ("vocational", "中职", "secondary vocational"),
    ("higher", "高职高专及以上", "higher education"),
    ("dropout", "失学辍学", "dropped out"),
))
HEALTH = Enum("health", (
    ("healthy", "健康", "healthy"),
    ("chronic", "长期慢性病", "chronic illness"),
    ("serious", "患有大病", "serious illness"),
    ("disabled", "残疾", "disability"),
))
LABOUR = Enum("labour", (
    ("ordinary", "普通劳动力", "ordinary labour"),
    ("skilled", "技能劳动力", "skilled labour"),
    ("weak", "弱劳动力或半劳动力", "weak or half labour"),
    ("lost", "丧失劳动力", "lost labour capacity"),
    ("none", "无劳动力", "no labour capacity"),
))
ASSISTANCE = Enum("assistance", (
    ("none", "无", "none"),
    ("dibao", "低保", "minimum living guarantee"),
    ("tekun", "特困供养", "extreme-poverty support"),
))
# The kinds of unit that send cadres (派出单位): on `organisation.Unit` and, as typed in rosters, on `teams.Cadre`.
UNIT_KIND = Enum("unit_kind", (
    ("central", "中央单位定点帮扶", "central unit (designated support)"),
    ("provincial", "省直部门", "provincial department"),
    ("city", "市直部门", "city department"),
    ("county", "县直部门", "county department"),
    ("township", "乡镇", "township"),
    ("institution", "事业单位", "public institution"),
    ("enterprise", "企业", "enterprise"),
    ("partner_region", "东西部协作", "east–west partner region"),
    ("other", "其他", "other"),
))
YES_NO = Enum("yes_no", (("1", "是", "yes"), ("0", "否", "no")))

ETHNICITIES = ["汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族", "朝鲜族", "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族", "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族", "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族", "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族", "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族", "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族"]
assert len(ETHNICITIES) == 56
ETHNICITY = Enum("ethnicity", tuple((e, e, e) for e in ETHNICITIES))
