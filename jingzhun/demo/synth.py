"""Synthetic province generator (合成省份数据): areas, village records and a multi-year 建档立卡 register.

`generate(out_dir, households, seed, years)` writes, under `out_dir`:

- `areas.csv` — province → city → county → township → village, parents before children (code order).
  Hunan's real 123 county-level divisions (codes, names, poor-county flags, contiguous regions, exit
  years) from `jingzhun/data/hunan-counties.csv`; synthetic townships and villages below them; further
  provinces (real province codes, synthetic cities and counties) when N outgrows Hunan.
- `villages.csv` — one record per village and year (村情): infrastructure, distance, collective income.
- `register-YYYY.csv` — the import template (`jingzhun.registry.template`), one row per member.
- `true-welfare.csv` — the hidden true per-capita income of every simulated household and year, and
  whether it was truly under the line, so targeting errors (inclusion, wrong exit, missed poor) can be
  measured against the register.

How, and why:

- Vectorised: households are simulated as numpy arrays over a batch of villages (about 20 k
  households), and rows are assembled by Arrow compute kernels (string joins in C++) and written as
  raw buffers. Per-household Python would be ~50× slower; the model is the same either way.
- Streaming: the areas are planned one county at a time and households one batch at a time, and each
  batch is written before the next is made, so memory is bounded by the batch, whatever N is.
  Resident-ID counters are per county (the ID's region code is the county's) and dropped after it.
- One simulation, several files: a household is simulated over the whole period once (2014 to the
  last year asked for, never less than 2020) and all its year rows come from that one history.
- Reproducible: random numbers come from generator instances seeded from the seed and an area code
  (`random.Random(str)` for the area plan, numpy `PCG64` seeded by `SeedSequence` for households),
  never global state or `hash()`; iteration is in code order. Years after 2020 draw from separate
  per-batch, per-year generators, so asking for more years never changes the earlier files.
- Parallel without changing bytes: with `workers > 1` each worker process re-runs the same
  deterministic simulation and writes a disjoint set of the output files.

Calibration sources and which figures are assumptions: docs/synth.md.
"""

from __future__ import annotations

import csv
import io
import math
import os
import random
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import IO, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from jingzhun import choices as c
from jingzhun.identity import CHECK_CHARS, WEIGHTS
from jingzhun.registry import template

# ---------------------------------------------------------------------------------------------------
# Published anchors and assumptions (docs/synth.md says which is which)
# ---------------------------------------------------------------------------------------------------

FIRST_YEAR = 2014  # 建档立卡 registration year; the simulation always starts here
LAST_POOR_YEAR = 2020  # everyone has exited by the end of 2020 (published)
MAX_YEAR = 2030

# National rural poverty line in current prices (calibration.md §1; 2014 [P], others [U]).
_LINE = {2014: 2800, 2015: 2855, 2016: 2952, 2017: 2952, 2018: 2995, 2019: 3218, 2020: 4000}


def poverty_line(year: int) -> float:
    """The line true per-capita income is compared with (after 2020: +4 %/year, an assumption)."""
    if year in _LINE:
        return float(_LINE[year])
    return 4000.0 * 1.04 ** (year - 2020)


def monitoring_line(year: int) -> float:
    """防止返贫 monitoring line: 6,000 yuan in 2021 (BRIEF), then +5 %/year (assumed)."""
    return 6000.0 * 1.05 ** (year - 2021)


def _reference_income(year: int) -> float:
    """A smooth line-like path for households whose income is not tied to an exit year."""
    return 2800.0 * 1.045 ** (year - FIRST_YEAR)


# Share of a county's 2014 register still poor at the end of each year 2014..2020, by the county's
# exit cohort (年度). Shapes follow Hunan: 682万 registered in 2014, 83万 left end-2018, 19.9万
# end-2019, 0 end-2020 (calibration.md §6); a county leaves in its cohort year with few poor left.
_REMAINING: dict[int | None, tuple[float, ...]] = {
    2016: (0.66, 0.30, 0.04, 0.02, 0.010, 0.005, 0.0),
    2017: (0.80, 0.58, 0.33, 0.05, 0.020, 0.010, 0.0),
    2018: (0.84, 0.70, 0.52, 0.30, 0.050, 0.015, 0.0),
    2019: (0.88, 0.78, 0.64, 0.45, 0.200, 0.035, 0.0),
    2020: (0.90, 0.82, 0.70, 0.55, 0.350, 0.120, 0.0),
    None: (0.78, 0.62, 0.45, 0.28, 0.120, 0.040, 0.0),  # not a poor county
}

# Households added to the register after 2014 by 动态调整 (share of all ever-registered households).
_IDENTIFIED = ((2014, 0.855), (2015, 0.06), (2016, 0.05), (2017, 0.018), (2018, 0.01), (2019, 0.005),
               (2020, 0.002))
# Yearly hazard that a still-poor household that is truly above the line is removed (清退 after
# 回头看 and 比对); truly poor households are removed at _REMOVE_WRONGLY.
_REMOVE_ERROR = {2015: 0.35, 2016: 0.30, 2017: 0.15, 2018: 0.10, 2019: 0.05, 2020: 0.02}
_REMOVE_WRONGLY = 0.002
_MOVE_AWAY = 0.002  # whole household moves away (迁出), per year
# Yearly hazard that an exited household falls back (返贫); none after 2020 (monitoring instead).
_RETURN = {2015: 0.02, 2016: 0.015, 2017: 0.01, 2018: 0.006, 2019: 0.003}
# Self-paid share of medical costs (健康扶贫 raised reimbursement to ~88 % by 2019, calibration.md §8).
_SELF_PAY = {2014: 0.50, 2015: 0.45, 2016: 0.38, 2017: 0.22, 2018: 0.13, 2019: 0.11, 2020: 0.10}
_MEDICAL_COVER = {2014: 0.93, 2015: 0.95, 2016: 0.97, 2017: 0.99}  # 100 % from 2018 ([P] 2019)

# Primary cause weights. Illness is published (42–44 %); the rest are assumptions. Causes that do not
# fit a household (因学 with nobody in school, 缺劳力 with two workers) are not drawn for it.
_CAUSE_WEIGHTS = {
    "illness": 0.42, "disability": 0.06, "schooling": 0.22, "disaster": 0.03, "marriage": 0.005,
    "land": 0.03, "water": 0.02, "skills": 0.12, "capital": 0.09, "labour": 0.17, "transport": 0.03,
    "motivation": 0.03, "other": 0.015,
}
_SIZES = (0.14, 0.20, 0.17, 0.19, 0.16, 0.09, 0.035, 0.015)  # household size 1..8 (assumption, mean ≈ 3.5)

# Capacity (registered households at full size) of a county by kind; Hunan sums to ~2.45 M.
_CAPACITY = {("national", "county"): 38_000, ("national", "city"): 38_000, ("national", "district"): 25_000,
             ("provincial", "county"): 25_000, ("provincial", "city"): 25_000, ("provincial", "district"): 12_000,
             ("", "county"): 15_000, ("", "city"): 14_000, ("", "district"): 4_000}
# Registered households per village at full size, by county kind (Hunan ≈ 24 k villages, 6,920 poor).
_PER_VILLAGE = {"national": 127, "provincial": 114, "": 68}
_PER_VILLAGE_DISTRICT = 63
_POOR_VILLAGE_SHARE = {"national": 0.36, "provincial": 0.30, "": 0.23}
_POOR_VILLAGE_SHARE_DISTRICT = 0.05
_VILLAGES_PER_TOWNSHIP = 14
_NEAR_POOR_SHARE = 0.15  # never-registered near-poor households simulated per registered household
_BATCH = 10_000  # registered households simulated together (memory is proportional to this)

# The demo's first counties: 花垣县 (十八洞村, where 精准扶贫 was first proposed), 平江县, 炎陵县 —
# three national poor counties with three different exit cohorts.
_SHOWCASE = ("433124", "430626", "430225")

# ---------------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------------

# Common surnames, weights roughly by frequency, with Hunan's frequent ones (刘 谭 彭 曾 邓 唐 肖) raised.
_HAN_SURNAMES = (
    "李7 王6 张6 刘7 陈5 杨3 赵2 黄3 周3 吴2 徐1 孙1 胡2 朱1 高1 林1 何2 郭1 马1 罗2 梁1 宋1 郑1 谢2 韩1 唐2 "
    "冯1 于1 董1 肖2 程1 曹1 袁1 邓2 许1 傅1 沈1 曾2 彭2 吕1 苏1 卢1 蒋2 蔡1 贾1 丁1 魏1 薛1 叶1 阎1 余1 潘1 "
    "杜1 戴1 夏1 钟1 汪1 田1 任1 姜1 范1 方1 石1 姚1 谭2 廖1 邹1 熊1 金1 陆1 郝1 孔1 白1 崔1 康1 毛1 邱1 秦1 "
    "江1 史1 顾1 侯1 邵1 孟1 龙1 万1 段1 雷1 钱1 汤1 尹1 黎1 易1 常1 武1 乔1 贺1 赖1 龚1 文1 欧阳.5 向1 伍1 "
    "符1 颜1 聂1 粟1 左1"
)
_ETHNIC_SURNAMES = {
    "苗族": "龙5 吴5 石4 杨4 麻3 田2 滕2 施1 张1 欧1",
    "土家族": "彭5 向5 田4 覃3 王2 张2 李2 杨2 黄1 宋1",
    "侗族": "杨5 吴5 龙3 粟2 姚2 石2 欧1 陆1 张1",
    "瑶族": "盘5 赵4 李3 邓3 冯2 黄2 奉2 沈1 唐1",
    "布依族": "王4 罗3 韦3 陈2 黄2 杨2 吴1",
    "壮族": "韦5 黄4 覃3 陆2 莫2 蒙2 梁2 农1 李1",
    "彝族": "李3 杨3 罗3 马2 沙2 吉1 阿1 王1",
    "回族": "马8 杨2 丁2 白2 海1 纳1 李1 沙1",
    "白族": "杨4 李3 段2 赵2 张2",
    "哈尼族": "李3 白2 杨2 卢1 马1",
    "傣族": "刀3 岩2 玉2 依1",
    "东乡族": "马5 汪1 妥1",
    "土族": "李3 祁2 鲁1 吕1",
}


def _words(text: str) -> list[str]:
    return text.split()


# Given-name characters by era of birth; the register's people were born from the 1920s to 2020.
_GIVEN = {
    ("old", "male"): "德 福 贵 富 荣 发 昌 顺 忠 友 万 和 生 金 银 林 山 水 才 财 清 明 国 华 文 光 先 正 仁 义 礼 长 春",
    ("old", "female"): "秀 英 兰 珍 桂 梅 菊 花 凤 翠 莲 香 玉 娥 姣 妹 秋 冬 春 元 满 桃 群 芝",
    ("mid", "male"): "建 国 军 华 明 强 伟 勇 平 春 林 海 文 德 成 志 红 东 新 兵 辉 斌 杰 俊 涛 波 磊 刚 峰 云 亮 松",
    ("mid", "female"): "红 霞 艳 琴 燕 娟 丽 芳 敏 静 平 英 华 玲 萍 梅 丹 慧 琼 利 群 秀 兰 莉 君",
    ("new", "male"): "浩 宇 轩 子 泽 睿 博 晨 豪 阳 俊 杰 鹏 磊 文 一 航 铭 宏 鑫 涛 凯 成 康 伟 天 嘉",
    ("new", "female"): "欣 怡 涵 雨 佳 思 诗 梓 馨 萱 琪 婷 雪 悦 可 心 语 彤 妍 梦 颖 慧 静 月 晴 艺 芊",
}
_TIBETAN = _words("扎西 卓玛 次仁 格桑 达瓦 央金 拉姆 多吉 平措 尼玛 旦增 索朗 德吉 曲珍 巴桑 白玛 顿珠 次旦 措姆 普布")
_UYGHUR_MALE = _words("艾力 买买提 阿不都 热合曼 吐尔逊 艾合买提 依明 努尔 亚森 卡德尔 司马义 肉孜 阿里木 玉素甫")
_UYGHUR_FEMALE = _words("阿依古丽 古丽米拉 热依拉 帕提古丽 努尔古丽 阿依努尔 米娜 祖丽菲亚 再娜甫 布合力其")
_MONGOL = _words("巴特尔 其木格 乌云 额尔敦 斯琴 宝力道 那顺 苏和 乌兰 图雅 朝鲁 阿拉坦 吉日格勒 萨仁")
_NAME_STYLE = {"藏族": "tibetan", "门巴族": "tibetan", "珞巴族": "tibetan", "维吾尔族": "uyghur", "哈萨克族": "uyghur",
               "柯尔克孜族": "uyghur", "塔吉克族": "uyghur", "乌孜别克族": "uyghur", "塔塔尔族": "uyghur",
               "蒙古族": "mongol"}

# Place-name syllables for townships and villages (typical of Hunan's hills).
_PLACE_FIRST = (
    "石龙桃清白马青枫黄长新大小高东西南北上下金银铜梅竹松柏杨柳茶花凤鹤狮虎牛鹿岩溪沙水田坪塘湾桥山岭峰"
    "源泉湖洲坡寨庄铺口门家坝红绿紫蓝福寿太平安乐永兴隆盛富和双三五九百千万古老中合丰利民"
)
_PLACE_SECOND = "山溪坪桥田湾冲塘岭口坡洞寨铺江河源潭湖洲坝岩林峰垭坳堡庄园头里寺殿营屯关滩井台"
_PLACE_SUFFIX3 = "坪湾冲塘岭口坡洞寨铺坝岩垭"

# Extra provinces beyond Hunan: real province codes and names; cities and counties are synthetic.
# (code, name, region class, contiguous regions, minority mix)
_PROVINCES: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("52", "贵州省", "west", ("乌蒙山片区", "武陵山片区", "滇桂黔石漠化片区"),
     "苗族.15 布依族.08 侗族.06 土家族.05 彝族.03 仡佬族.02 水族.01"),
    ("53", "云南省", "west", ("乌蒙山片区", "滇桂黔石漠化片区", "滇西边境片区", "四省藏区"),
     "彝族.11 哈尼族.04 白族.04 傣族.03 壮族.03 苗族.03 傈僳族.02"),
    ("62", "甘肃省", "west", ("六盘山片区", "秦巴山片区", "四省藏区"), "回族.05 藏族.02 东乡族.02"),
    ("45", "广西壮族自治区", "west", ("滇桂黔石漠化片区",), "壮族.32 瑶族.03 苗族.01 侗族.01 仫佬族.005"),
    ("51", "四川省", "west", ("秦巴山片区", "乌蒙山片区", "四省藏区"), "彝族.03 藏族.02 羌族.004"),
    ("61", "陕西省", "west", ("秦巴山片区", "六盘山片区", "吕梁山片区"), "回族.004"),
    ("64", "宁夏回族自治区", "west", ("六盘山片区",), "回族.36"),
    ("63", "青海省", "west", ("六盘山片区", "四省藏区"), "藏族.25 回族.15 土族.04 撒拉族.02"),
    ("15", "内蒙古自治区", "west", ("大兴安岭南麓片区", "燕山—太行山片区"), "蒙古族.18 满族.02 回族.01"),
    ("65", "新疆维吾尔自治区", "west", ("南疆四地州",), "维吾尔族.45 哈萨克族.07 回族.04 柯尔克孜族.01"),
    ("54", "西藏自治区", "west", ("西藏片区",), "藏族.9"),
    ("14", "山西省", "central", ("吕梁山片区", "燕山—太行山片区"), "回族.002"),
    ("41", "河南省", "central", ("大别山片区", "秦巴山片区"), "回族.01"),
    ("42", "湖北省", "central", ("武陵山片区", "秦巴山片区", "大别山片区"), "土家族.04 苗族.004"),
    ("36", "江西省", "central", ("罗霄山片区",), "畲族.002"),
    ("34", "安徽省", "central", ("大别山片区",), "回族.005"),
    ("22", "吉林省", "central", ("大兴安岭南麓片区",), "朝鲜族.04 满族.03"),
    ("23", "黑龙江省", "central", ("大兴安岭南麓片区",), "满族.03 朝鲜族.01"),
    ("13", "河北省", "east", ("燕山—太行山片区",), "满族.03 回族.008"),
    ("37", "山东省", "east", (), "回族.005"),
    ("35", "福建省", "east", (), "畲族.01"),
    ("44", "广东省", "east", (), "瑶族.002 壮族.002"),
    ("32", "江苏省", "east", (), "回族.002"),
    ("33", "浙江省", "east", (), "畲族.004"),
    ("21", "辽宁省", "east", (), "满族.12 蒙古族.02"),
    ("46", "海南省", "east", (), "黎族.15 苗族.01"),
)

# Minority shares in Hunan counties with large minority populations (others: almost all 汉族).
_HUNAN_ETHNIC = {
    "433101": "苗族.45 土家族.30", "433122": "苗族.55 土家族.10", "433123": "苗族.55 土家族.15",
    "433124": "苗族.75 土家族.10", "433125": "土家族.55 苗族.30", "433126": "土家族.50 苗族.30",
    "433127": "土家族.75 苗族.05", "433130": "土家族.60 苗族.10",
    "430802": "土家族.70", "430811": "土家族.60", "430821": "土家族.50", "430822": "土家族.80 白族.05",
    "431202": "侗族.15 苗族.05", "431221": "侗族.30 苗族.10", "431222": "土家族.30 苗族.10",
    "431223": "苗族.15 土家族.10", "431224": "苗族.10 瑶族.05", "431225": "侗族.60 苗族.10", "431226": "苗族.80",
    "431227": "侗族.80", "431228": "侗族.50 苗族.05", "431229": "苗族.45 侗族.25", "431230": "侗族.75 苗族.05",
    "431271": "侗族.05 苗族.05", "431281": "侗族.10 苗族.10",
    "430529": "苗族.55 侗族.05 瑶族.05", "430527": "苗族.45 侗族.20", "430528": "瑶族.10", "430524": "瑶族.03",
    "430525": "瑶族.05", "431129": "瑶族.65", "431125": "瑶族.50", "431126": "瑶族.10", "431123": "瑶族.10",
    "430726": "土家族.50", "431022": "瑶族.03", "431026": "瑶族.05",
}
_HUNAN_DEFAULT_ETHNIC = "土家族.003 苗族.003"

# Status reasons (free text in the template; written as the Chinese a county office would use).
_REMOVAL_REASONS = (
    ("识别不准（比对发现有财政供养人员）", 0.25), ("识别不准（比对发现有小汽车）", 0.2),
    ("识别不准（比对发现有商品房）", 0.15), ("识别不准（比对发现有工商注册）", 0.1), ("识别不准（家庭收入超过标准）", 0.3),
)
_DEATH, _MOVED = "死亡（户内人员全部死亡）", "迁出（户籍迁出）"
_RETURN_REASONS = (("因病返贫", 0.6), ("因灾返贫", 0.15), ("因意外事故返贫", 0.1), ("因学返贫", 0.05),
                   ("务工收入下降返贫", 0.1))
_SHOCKS = (("因病", 0.55), ("因灾", 0.2), ("因意外事故", 0.1), ("务工收入下降", 0.15))
_MONITOR_KINDS = ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")  # the three kinds of 监测对象
# The reason `monitoring.cases.approve_elimination` records when a monitored household's risk is eliminated.
_ELIMINATED = "防返贫监测：风险消除"
_REASONS = (*(r for r, _ in _REMOVAL_REASONS), _DEATH, _MOVED, *(r for r, _ in _RETURN_REASONS),
            *(f"{k}（{s}）" for k in _MONITOR_KINDS for s in (*(s for s, _ in _SHOCKS), "收入不稳定")), _ELIMINATED)
_R_REMOVAL, _R_DEATH, _R_MOVED = 0, len(_REMOVAL_REASONS), len(_REMOVAL_REASONS) + 1
_R_RETURN = _R_MOVED + 1
_R_MONITOR = _R_RETURN + len(_RETURN_REASONS)  # + kind × 5 + shock (4 = 收入不稳定)
_R_ELIMINATED = len(_REASONS) - 1

# ---------------------------------------------------------------------------------------------------
# Coded values: indices into the choices.py enums (the files carry their Chinese labels)
# ---------------------------------------------------------------------------------------------------


def _index(enum: c.Enum) -> dict[str, int]:
    return {code: i for i, code in enumerate(enum.codes)}


def _labels(enum: c.Enum) -> list[str]:
    return [zh for _, zh, _ in enum.values]


_HEALTH, _LABOUR, _SCHOOLING, _EDUCATION = (_index(c.HEALTH), _index(c.LABOUR), _index(c.SCHOOLING),
                                            _index(c.EDUCATION))
_RELATION, _STATUS, _CATEGORY, _CAUSE = (_index(c.RELATION), _index(c.HOUSEHOLD_STATUS),
                                         _index(c.HOUSEHOLD_CATEGORY), _index(c.CAUSE))
_HOUSING, _WATER, _ROAD, _ASSIST = _index(c.HOUSING_GRADE), _index(c.DRINKING_WATER), _index(c.ROAD), _index(c.ASSISTANCE)
_SEX = _index(c.SEX)
HEALTHY, CHRONIC, SERIOUS, DISABLED = (_HEALTH[k] for k in ("healthy", "chronic", "serious", "disabled"))
ORDINARY, SKILLED, WEAK, LOST, NO_LABOUR = (_LABOUR[k] for k in ("ordinary", "skilled", "weak", "lost", "none"))
S_NONE, S_PRE, S_PRIMARY, S_JUNIOR, S_SENIOR, S_VOC, S_HIGHER, S_DROPOUT = (
    _SCHOOLING[k] for k in ("none", "preschool", "primary", "junior", "senior", "vocational", "higher", "dropout"))
E_PRE, E_ILLITERATE, E_PRIMARY, E_JUNIOR, E_SENIOR, E_VOC, E_COLLEGE = (
    _EDUCATION[k] for k in ("preschool", "illiterate", "primary", "junior", "senior", "vocational", "college"))
ST_APPLICANT, ST_POOR, ST_EXITED, ST_MONITORED, ST_RETURNED, ST_REMOVED = (
    _STATUS[k] for k in ("applicant", "poor", "exited", "monitored", "returned", "removed"))
CAUSES = c.CAUSE.codes
_ETHNICITIES = list(c.ETHNICITIES)
_ETHNIC_INDEX = {e: i for i, e in enumerate(_ETHNICITIES)}
_HAN_INDEX = _ETHNIC_INDEX["汉族"]

_YES, _NO = c.YES_NO.zh("1"), c.YES_NO.zh("0")
_YN = (_NO, _YES)  # index by a bool


def _combo(*parts: list[str]) -> list[str]:
    """Every combination of several coded columns, joined by commas, indexed row-major."""
    out = list(parts[0])
    for labels in parts[1:]:
        out = [f"{a},{b}" for a in out for b in labels]
    return out


# A member's yearly cells are written through two lookup tables of pre-joined labels, so a row is a
# few string joins in C++ instead of fifteen formatted cells.
_GRADES = ["", "1", "2", "3", "4"]
_MEMBER_A = _combo(_labels(c.EDUCATION), _labels(c.SCHOOLING), _labels(c.HEALTH), _GRADES, _labels(c.LABOUR))
_MEMBER_B = [s + "\n" for s in _combo(list(_YN), list(_YN), _labels(c.ASSISTANCE))]
_HOUSE_A = _combo(_labels(c.HOUSEHOLD_CATEGORY), _labels(c.HOUSEHOLD_STATUS))
_HOUSE_B = _combo(_labels(c.HOUSING_GRADE), _labels(c.DRINKING_WATER), list(_YN), list(_YN), _labels(c.ROAD))
_HOUSE_C = _combo(list(_YN), _labels(c.CAUSE))
_HOUSE_D = _combo(*[list(_YN)] * 6)

# The rows are pre-joined text; these are the template columns, in order, that the layout assumes.
_HOUSEHOLD_ORDER = (
    "household_number", "village", "category", "status", "identified_year", "exit_year", "status_reason",
    "arable_land_mu", "forest_land_mu", "housing_area_m2", "housing_grade", "drinking_water", "has_electricity",
    "has_production_power", "road", "distance_to_road_km", "sanitary_toilet", "primary_cause", "secondary_causes",
    "food_secure", "clothing_secure", "schooling_secured", "medical_secured", "housing_secured", "water_secured",
    "income_year", "wage_income", "production_income", "production_costs", "property_income", "transfer_income",
    "medical_expenses",
)
_MEMBER_ORDER = (
    "name", "resident_id", "relation", "sex", "birth_date", "ethnicity", "education", "schooling", "health",
    "disability_grade", "labour", "migrant_months", "medical_insurance", "pension_insurance", "assistance",
)
if tuple(template.HOUSEHOLD_KEYS) != _HOUSEHOLD_ORDER or tuple(template.MEMBER_KEYS) != _MEMBER_ORDER:
    raise ImportError("jingzhun.demo.synth is out of date with jingzhun.registry.template: update the row layout")
# Other members' rows: the household number, then every other household and income column empty.
_NON_HEAD_GAP = "," * (len(_HOUSEHOLD_ORDER) - 2)

AREA_HEADER = ["code", "name", "level", "parent_code", "region_class", "poor_county", "contiguous_region",
               "poor_village", "exit_year"]
VILLAGE_HEADER = ["village_code", "year", "households", "population", "hardened_road", "power_grid", "tap_water",
                  "broadband", "clinic", "school", "activity_centre", "distance_to_town_km", "collective_income"]
TRUE_WELFARE_HEADER = ["household_number", "year", "true_income_per_capita", "true_poor"]

# ---------------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------------


def _mix(spec: str) -> tuple[tuple[str, float], ...]:
    """"李7 王6" or "苗族.45 土家族.3" → ((name, weight), …)."""
    out = []
    for item in spec.split():
        i = next(k for k, ch in enumerate(item) if ch.isdigit() or ch == ".")
        out.append((item[:i], float(item[i:])))
    return tuple(out)


def _dec(x: float, places: int = 1) -> str:
    """A plain decimal as the template expects: no thousands separator, at most `places` decimals."""
    s = f"{x:.{places}f}"
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def _uniform_int(rng: np.random.Generator, lo: Any, hi: Any, n: int) -> np.ndarray:
    """Integers in [lo, hi] (scalars or arrays), derived from uniform draws."""
    return (np.asarray(lo) + np.floor(rng.random(n) * (np.asarray(hi) - np.asarray(lo) + 1))).astype(np.int64)


def _categorical(rng: np.random.Generator, weights: Sequence[float], n: int) -> np.ndarray:
    cum = np.cumsum(np.asarray(weights, dtype=float))
    return np.searchsorted(cum / cum[-1], rng.random(n), side="right").astype(np.int64)


def _categorical_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One draw per row of a (n, k) weight matrix."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights))[:, None] * cum[:, -1:]
    return np.minimum((u >= cum).sum(axis=1), weights.shape[1] - 1)


def _phi(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF (Abramowitz–Stegun 7.1.26, |error| < 2e-7): no scipy needed."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return 0.5 * (1.0 + np.sign(x) * (1.0 - poly * np.exp(-z * z)))


def _group_any(flags: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(groups, weights=flags.astype(np.float64), minlength=n) > 0


def _group_sum(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(groups, weights=values.astype(np.float64), minlength=n)


def _strings(values: Sequence[str]) -> pa.Array:
    return pa.array(values, pa.string())


def _lookup(table: pa.Array, codes: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """table[codes] as a string array, null where mask is true."""
    return table.take(pa.array(codes, mask=mask))


def _text(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Numbers as plain text (ints as 1234, floats as 1234.5), null where mask is true."""
    return pa.array(values, mask=mask).cast(pa.string())


def _join(*parts: Any) -> pa.Array:
    return pc.binary_join_element_wise(*parts, ",", null_handling="replace", null_replacement="")


def _string_bytes(rows: pa.Array) -> memoryview:
    """The concatenated values of a string array (each row ends in a newline), without copying."""
    if len(rows) == 0:
        return memoryview(b"")
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset: rows.offset + len(rows) + 1]
    return memoryview(rows.buffers()[2])[offsets[0]: offsets[-1]]


def _write_strings(f: IO[bytes], rows: pa.Array) -> None:
    f.write(_string_bytes(rows))


_T_MEMBER_A, _T_MEMBER_B = _strings(_MEMBER_A), _strings(_MEMBER_B)
_T_HOUSE_A, _T_HOUSE_B, _T_HOUSE_C, _T_HOUSE_D = (_strings(x) for x in (_HOUSE_A, _HOUSE_B, _HOUSE_C, _HOUSE_D))
_T_RELATION, _T_SEX, _T_ETHNIC = _strings(_labels(c.RELATION)), _strings(_labels(c.SEX)), _strings(_ETHNICITIES)
_T_REASON, _T_CHECK = _strings(list(_REASONS)), _strings(list(CHECK_CHARS))

# Everything written without quoting must not need it (Arrow also refuses such values when writing).
for _text_item in (_HAN_SURNAMES, _PLACE_FIRST, _PLACE_SECOND, *_GIVEN.values(), *_ETHNIC_SURNAMES.values(), *_REASONS,
                   *_TIBETAN, *_UYGHUR_MALE, *_UYGHUR_FEMALE, *_MONGOL, *template.HEADERS,
                   *(zh for e in (c.EDUCATION, c.SCHOOLING, c.HEALTH, c.LABOUR, c.CAUSE, c.RELATION) for _, zh, _ in e.values)):
    assert not set(',"\r\n') & set(_text_item), _text_item

# ---------------------------------------------------------------------------------------------------
# Area plan (plain Python: a nation has ~1,500 counties and ~250 k villages, written as planned)
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class County:
    code: str  # 6 digits
    name: str
    city_code: str  # 6 digits, ends in 00
    city_name: str
    province_code: str  # 2 digits
    province_name: str
    region_class: str
    poor_county: str  # national / provincial / ""
    contiguous_region: str
    exit_year: int | None  # as areas.csv writes it (the announcement year)
    cohort: int | None  # the 年度 the exit counts for; drives household exit timing
    kind: str  # county / city / district
    ethnic: tuple[tuple[str, float], ...]  # minority shares, e.g. (("苗族", 0.45),); the rest is 汉族

    @property
    def urban(self) -> bool:
        return self.kind == "district" and not self.poor_county

    @property
    def capacity(self) -> int:
        return _CAPACITY[(self.poor_county, self.kind)]

    @property
    def per_village(self) -> int:
        return _PER_VILLAGE_DISTRICT if self.urban else _PER_VILLAGE[self.poor_county]

    @property
    def poor_village_share(self) -> float:
        return _POOR_VILLAGE_SHARE_DISTRICT if self.urban else _POOR_VILLAGE_SHARE[self.poor_county]


def _kind(name: str) -> str:
    return "district" if name.endswith("区") else "city" if name.endswith("市") else "county"


def hunan_counties() -> list[County]:
    """Hunan's 123 county-level divisions from the packaged copy of hunan-counties.csv."""
    path = Path(__file__).resolve().parents[1] / "data" / "hunan-counties.csv"
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            cohort = row["exit_cohort_year"] or row["exit_year"]
            out.append(County(
                code=row["code"], name=row["name"], city_code=row["city_code"], city_name=row["city_name"],
                province_code="43", province_name="湖南省", region_class="central",
                poor_county=row["poor_county"], contiguous_region=row["contiguous_region"],
                exit_year=int(row["exit_year"]) if row["exit_year"] else None,
                cohort=int(cohort) if cohort else None, kind=_kind(row["name"]),
                ethnic=_mix(_HUNAN_ETHNIC.get(row["code"], _HUNAN_DEFAULT_ETHNIC)),
            ))
    return out


def _place_name(rng: random.Random, used: set[str], suffix: str, three: float = 0.0) -> str:
    for _ in range(200):
        name = rng.choice(_PLACE_FIRST) + rng.choice(_PLACE_SECOND)
        if rng.random() < three:
            name += rng.choice(_PLACE_SUFFIX3)
        if name[0] != name[1] and name + suffix not in used:
            used.add(name + suffix)
            return name + suffix
    # Very large areas run out of short names; a number keeps them unique.
    name = f"{rng.choice(_PLACE_FIRST)}{rng.choice(_PLACE_SECOND)}{len(used)}{suffix}"
    used.add(name)
    return name


def _synthetic_province(index: int) -> list[County]:
    """The counties of the index-th extra province: 9 cities, ~90 counties, about Hunan's capacity.

    Names depend only on the province (not on the seed), so the same N always gives the same map.
    """
    code, name, region, regions, ethnic = _PROVINCES[index]
    rng = random.Random(f"province:{code}")
    poor_share = {"west": 0.62, "central": 0.35, "east": 0.10}[region]
    used: set[str] = set()
    counties: list[County] = []
    for ci in range(1, 10):
        city_name = _place_name(rng, used, "市")
        n = rng.randint(8, 12)
        for j in range(n):
            # GB/T 2260 layout: districts 01–20, counties 21–80, county-level cities 81–99.
            if j < (2 if ci == 1 else 1):
                kind, ccode = "district", f"{j + 2:02d}"
            elif j == n - 1 and rng.random() < 0.5:
                kind, ccode = "city", "81"
            else:
                kind, ccode = "county", f"{20 + j:02d}"
            r = rng.random()
            p = poor_share * (0.3 if kind == "district" else 1.0)
            poor = "national" if r < p else "provincial" if r < p + 0.05 else ""
            cohort = None
            if poor:
                weights = (0.05, 0.12, 0.25, 0.33, 0.25) if region == "west" else (0.1, 0.3, 0.35, 0.25, 0.0)
                cohort = 2016 + bisect_right(list(accumulate(weights)), rng.random() * sum(weights))
            contiguous = rng.choice(regions) if regions and (poor == "national" or rng.random() < 0.1) else ""
            # Minority shares vary a lot between counties: scale the province's mix per county.
            mix = tuple((e, min(0.95, share * rng.lognormvariate(0, 0.8))) for e, share in _mix(ethnic))
            counties.append(County(
                code=f"{code}{ci:02d}{ccode}", name=_place_name(rng, used, {"district": "区", "city": "市"}.get(kind, "县")),
                city_code=f"{code}{ci:02d}00", city_name=city_name, province_code=code, province_name=name,
                region_class=region, poor_county=poor, contiguous_region=contiguous,
                exit_year=min(cohort + 1, 2020) if cohort else None, cohort=cohort, kind=kind, ethnic=mix,
            ))
    return counties


def _preference(counties: list[County]) -> list[County]:
    """Order in which counties are taken for a run: poor counties first (national, then provincial)."""
    rank = {"national": 0, "provincial": 1, "": 2}
    showcase = {code: i for i, code in enumerate(_SHOWCASE)}
    return sorted(counties, key=lambda k: (showcase.get(k.code, len(showcase)), rank[k.poor_county],
                                           k.kind == "district", k.code))


def plan_counties(households: int, counties: int | None = None) -> list[tuple[County, int]]:
    """The counties of a run and the registered households of each, in code order.

    Without `counties`: as few counties as hold N at full size (a small run is a few poor counties at
    a realistic density; ~2.45 M fills Hunan; more adds provinces). With it: exactly that many.
    """
    if households < 1:
        raise ValueError("households must be at least 1")
    if counties is not None and not 1 <= counties <= households:
        raise ValueError("counties must be between 1 and the number of households")
    chosen: list[County] = []
    capacity = 0
    pool = _preference(hunan_counties())
    extra = 0
    while (counties is None and capacity < households) or (counties is not None and len(chosen) < counties):
        if not pool:
            if extra >= len(_PROVINCES):
                raise ValueError("households exceed what the built-in provinces can hold")
            pool = _preference(_synthetic_province(extra))
            extra += 1
        county = pool.pop(0)
        chosen.append(county)
        capacity += county.capacity
    counts = _allocate(households, [float(k.capacity) for k in chosen])
    return sorted(zip(chosen, counts, strict=True), key=lambda kc: kc[0].code)


def _allocate(total: int, weights: list[float]) -> list[int]:
    """Split `total` into integers proportional to `weights` (largest remainder), each ≥ 1 if possible."""
    s = sum(weights)
    quotas = [total * w / s for w in weights]
    counts = [int(q) for q in quotas]
    if total >= len(weights):
        counts = [max(1, x) for x in counts]
    order = sorted(range(len(weights)), key=lambda i: (-(quotas[i] - int(quotas[i])), i))
    i = 0
    while sum(counts) < total:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts) > total:
        j = max(range(len(counts)), key=lambda k: (counts[k], -k))
        counts[j] -= 1
    return counts


_FACILITIES = ("hardened_road", "power_grid", "tap_water", "broadband", "clinic", "activity_centre")


@dataclass
class Village:
    code: str
    name: str
    poor: bool
    exit_year: int | None  # 出列年度 of a poor village
    distance_km: float
    remote: float  # 0 (near the township seat) … 1 (far)
    households: int  # registered households allocated
    total_households: int  # all households in 2014 (村情)
    population: int
    adopted: dict[str, int]  # facility → first year it is there (2013 = before the period)
    school_closed: int  # year the village school closes (consolidation); 0 = none; 9999 = stays
    collective: float  # 2014 collective income
    collective_growth: float


@dataclass
class Township:
    code: str
    name: str
    villages: list[Village] = field(default_factory=list)


def plan_townships(county: County, households: int, seed: int) -> list[Township]:
    """Townships and villages of one county, with each village's households and facilities."""
    rng = random.Random(f"{seed}:county:{county.code}")
    n_villages = max(1, round(households / county.per_village))
    if households > n_villages * 9000 or n_villages > 999 * 999:
        raise ValueError(f"{county.name}: too many households for one county ({households})")
    per_township = max(_VILLAGES_PER_TOWNSHIP, math.ceil(n_villages / 999))
    n_townships = max(1, min(999, round(n_villages / per_township)))
    # Distance from the township seat: mountainous poor counties are more spread out.
    median_km = {"national": 9.0, "provincial": 7.0, "": 5.0}[county.poor_county] * (0.5 if county.urban else 1.0)
    distances = [min(60.0, rng.lognormvariate(math.log(median_km), 0.6)) for _ in range(n_villages)]
    remote = [min(1.0, d / 25.0) for d in distances]
    # Poor villages: mostly the remote ones, in a realistic share for the county's kind.
    n_poor = round(county.poor_village_share * n_villages)
    by_score = sorted(range(n_villages), key=lambda i: -(remote[i] + rng.gauss(0, 0.25)))
    poor = set(by_score[:n_poor])
    counts = _allocate(households, [(2.2 if i in poor else 1.0) * rng.lognormvariate(0, 0.3)
                                    for i in range(n_villages)])
    # Statistical codes: towns (镇) from 101, 乡 from 201; villages (村委会) from 201.
    n_towns = round(n_townships * (0.5 if county.poor_county else 0.65))
    n_xiang = n_townships - n_towns
    if n_towns <= 99 and n_xiang <= 199:
        township_codes = [101 + i for i in range(n_towns)] + [201 + i for i in range(n_xiang)]
    else:
        township_codes = list(range(1, n_townships + 1))
    sizes = _allocate(n_villages, [rng.uniform(0.6, 1.4) for _ in range(n_townships)])
    minority = county.ethnic[0][0] if county.ethnic and county.ethnic[0][1] >= 0.2 else ""
    used: set[str] = set()
    townships: list[Township] = []
    v = 0
    for t, tcode in enumerate(township_codes):
        if t >= n_towns and minority and rng.random() < 0.25:
            name = _place_name(rng, used, minority + "乡")  # 民族乡
        else:
            name = _place_name(rng, used, "镇" if t < n_towns else "乡")
        township = Township(f"{county.code}{tcode:03d}000", name)
        village_codes = [201 + i for i in range(sizes[t])] if sizes[t] <= 199 else list(range(1, sizes[t] + 1))
        vused: set[str] = set()
        for vcode in village_codes:
            township.villages.append(_make_village(rng, f"{township.code[:9]}{vcode:03d}", vused, v in poor,
                                                   distances[v], remote[v], counts[v], county))
            v += 1
        townships.append(township)
    return townships


def _village_exit(rng: random.Random, cohort: int | None) -> int:
    if cohort is None:  # poor villages outside poor counties
        return 2015 + bisect_right((0.08, 0.28, 0.58, 0.86, 0.97), rng.random())
    # Within a poor county most villages leave in the last two years before the county does.
    years = list(range(max(2015, cohort - 3), cohort + 1))
    weights = [1.0 + 2.0 * k for k in range(len(years))]
    return years[min(len(years) - 1, bisect_right(list(accumulate(weights)), rng.random() * sum(weights)))]


def _make_village(rng: random.Random, code: str, used: set[str], poor: bool, distance: float, remote: float,
                  households: int, county: County) -> Village:
    name = _place_name(rng, used, "村", three=0.3)
    exit_year = _village_exit(rng, county.cohort) if poor else None
    # 2014 coverage falls with remoteness; a poor village has what exit requires by its exit year.
    base = {"hardened_road": 0.85 - 0.6 * remote, "power_grid": 0.8 - 0.4 * remote, "tap_water": 0.55 - 0.4 * remote,
            "broadband": 0.35 - 0.3 * remote, "clinic": 0.6 - 0.3 * remote, "activity_centre": 0.45 - 0.3 * remote}
    adopted = {}
    for f in _FACILITIES:
        if rng.random() < base[f] - (0.15 if poor else 0.0):
            adopted[f] = 2013
        elif poor and f != "tap_water":
            adopted[f] = rng.randint(2015, exit_year or 2020)
        else:
            late = 2021 if f in ("tap_water", "broadband") else 2020
            adopted[f] = rng.randint(2015, late + (3 if remote > 0.6 else 0))
    school_closed = 0
    if rng.random() < 0.45 + 0.15 * remote:  # a primary school or teaching point (教学点) in 2014
        school_closed = rng.randint(2015, 2022) if rng.random() < 0.25 else 9999
    share = rng.uniform(0.22, 0.40) if poor else rng.uniform(0.02, 0.08) if county.urban else rng.uniform(0.06, 0.20)
    total = max(households, round(households / share))
    collective = 0.0 if poor and rng.random() < 0.6 else rng.lognormvariate(math.log(15000 if poor else 60000), 0.8)
    return Village(code, name, poor, exit_year, round(distance, 1), remote, households, total,
                   round(total * rng.uniform(3.1, 3.7)), adopted, school_closed, collective,
                   rng.uniform(0.08, 0.25) if poor else rng.uniform(0.03, 0.12))


def _village_record(v: Village, year: int) -> str:
    t = year - FIRST_YEAR
    flags = ["1" if v.adopted[f] <= year else "0" for f in _FACILITIES]
    school = "1" if v.school_closed > year else "0"
    collective = v.collective * (1 + v.collective_growth) ** t
    if v.poor and v.exit_year and year >= v.exit_year:  # exit needs a collective income (assumed 5万)
        collective = max(collective, 50000.0 + 5000.0 * (year - v.exit_year))
    households = round(v.total_households * (1 + 0.004 * t))
    population = round(v.population * (1 - 0.003 * t))  # out-migration slowly empties villages
    return (f"{v.code},{year},{households},{population},{flags[0]},{flags[1]},{flags[2]},{flags[3]},{flags[4]},"
            f"{school},{flags[5]},{_dec(v.distance_km)},{_dec(collective, 0)}\n")


# ---------------------------------------------------------------------------------------------------
# Households: a batch of villages simulated as arrays
# ---------------------------------------------------------------------------------------------------

# Household structures and member roles (members are laid out head, spouse, children, child's
# spouse, grandchildren, parents — the order a register lists them).
SOLO, COUPLE, PARENT_CHILD, YOUNG_COUPLE, NUCLEAR, SINGLE_PARENT, WITH_PARENTS, THREE_GEN = range(8)
R_HEAD, R_SPOUSE, R_CHILD, R_CSPOUSE, R_GRAND, R_PARENT = range(6)
# After junior secondary (shares among poor households' children; an assumption).
T_OLD, T_DROP, T_JUNIOR, T_SENIOR, T_SENIOR_COLLEGE, T_VOC, T_VOC_COLLEGE, T_NO_SCHOOL = range(-1, 7)

_ORD_BASE = 1850  # first birth year the day tables cover
_YEAR_START = np.array([(np.datetime64(f"{y}-01-01") - np.datetime64("0001-01-01")).astype(int) + 1
                        for y in range(_ORD_BASE, MAX_YEAR + 2)], dtype=np.int64)  # proleptic ordinals
_EPOCH_ORDINAL = 719163  # ordinal of 1970-01-01


class _IdCounter:
    """Resident-ID sequence numbers for one batch: a counter per (birth date, sex).

    The 3-digit sequence (odd for men, even for women) gives 500 numbers per region, date and sex. A
    county's batches get disjoint slices of those 500, so batches need no shared state and can run in
    parallel, yet every ID in the county is unique. Within its slice a batch permutes the counter (×a
    prime, offset by the date) so numbers do not all end in 001; if a slice is ever full for a date,
    the person's birth date moves on a day (realistic: 出生日期 and the ID still agree).
    """

    def __init__(self, region: str, part: int = 0, parts: int = 1):
        if not 0 <= part < parts <= 500:
            raise ValueError("a county can have at most 500 batches")
        self.region = region
        self.width = 500 // parts
        self.start = part * self.width
        self.step = next(p for p in (37, 41, 43, 47) if self.width % p)  # coprime with the width: a permutation
        self.counts = np.zeros((_YEAR_START[-1] - _YEAR_START[0]) * 2, dtype=np.int32)
        digits = np.array([int(ch) for ch in region])
        self.region_sum = int((digits * np.array(WEIGHTS[:6])).sum())

    def allocate(self, ordinal: np.ndarray, male: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ordinal, sequence) for each person, in order; ordinals move on a day only on overflow."""
        ordinal = ordinal.copy()
        seq = np.zeros(len(ordinal), dtype=np.int64)
        todo = np.arange(len(ordinal))
        while len(todo):
            key = (ordinal[todo] - _YEAR_START[0]) * 2 + male[todo]
            order = np.argsort(key, kind="stable")
            sk = key[order]
            first = np.r_[True, sk[1:] != sk[:-1]]
            group_start = np.maximum.accumulate(np.where(first, np.arange(len(sk)), 0))
            n = self.counts[sk] + (np.arange(len(sk)) - group_start)
            ok = n < self.width
            np.add.at(self.counts, sk[ok], 1)
            idx = todo[order[ok]]
            seq[idx] = (self.start + (n[ok] * self.step + ordinal[idx]) % self.width) * 2 + male[idx]
            todo = np.sort(todo[order[~ok]])
            ordinal[todo] += 1
        return ordinal, seq

    def numbers(self, ymd: np.ndarray, seq: np.ndarray) -> pa.Array:
        digits = [(ymd // 10 ** (7 - i)) % 10 for i in range(8)] + [(seq // 10 ** (2 - i)) % 10 for i in range(3)]
        total = self.region_sum + sum(d * w for d, w in zip(digits, WEIGHTS[6:], strict=True))
        check = _T_CHECK.take(pa.array(total % 11))
        seq_text = pc.utf8_lpad(_text(seq), width=3, padding="0")
        return pc.binary_join_element_wise(pa.scalar(self.region), _text(ymd), seq_text, check, "")


def _names_pool(spec: str) -> tuple[np.ndarray, np.ndarray]:
    pairs = _mix(spec)
    w = np.array([x for _, x in pairs])
    return np.array([n for n, _ in pairs], dtype=object), np.cumsum(w) / w.sum()


_HAN_POOL = _names_pool(_HAN_SURNAMES)
_ETHNIC_POOLS = {_ETHNIC_INDEX[k]: _names_pool(v) for k, v in _ETHNIC_SURNAMES.items()}
_GIVEN_POOLS = {k: np.array(v.split(), dtype=object) for k, v in _GIVEN.items()}


class _Batch:
    """A batch of villages of one county: households, members and their whole history as arrays.

    Household arrays have length H (registered first in each village by registration year, then the
    never-registered near-poor), member arrays length M (grouped by household, head first). Yearly
    arrays are indexed [t, ·] with t = year − 2014.
    """

    def __init__(self, county: County, villages: list[Village], seed: int, horizon: int, ids: _IdCounter):
        self.county = county
        self.villages = villages
        self.horizon = horizon
        self.T = horizon - FIRST_YEAR + 1
        self.ids = ids
        entropy = [seed, int(villages[0].code)]
        self.rng = np.random.default_rng(np.random.SeedSequence(entropy))
        # Years after 2020 have their own generators, so extending --years leaves earlier years alone.
        self.post = {y: np.random.default_rng(np.random.SeedSequence([*entropy, y]))
                     for y in range(LAST_POOR_YEAR + 1, horizon + 1)}
        self.remaining = np.array(_REMAINING[county.cohort if county.poor_county else None])
        self._households()
        self._members()
        self._people()
        self._causes()
        self._timeline()
        self._simulate()

    # -- households ---------------------------------------------------------------------------------

    def _households(self) -> None:
        rng = self.rng
        V = len(self.villages)
        registered = np.array([v.households for v in self.villages])
        near = np.round(registered * _NEAR_POOR_SHARE * (0.6 + 0.8 * rng.random(V))).astype(np.int64)
        per_village = registered + near
        H = int(per_village.sum())
        hv = np.repeat(np.arange(V), per_village)
        starts = np.r_[0, np.cumsum(per_village)[:-1]]
        reg = (np.arange(H) - starts[hv]) < registered[hv]
        years = np.array([y for y, _ in _IDENTIFIED])
        ident = np.where(reg, years[_categorical(rng, [w for _, w in _IDENTIFIED], H)], 9999)
        # Household numbers follow registration order: the 2014 list, later additions, then near-poor.
        order = np.lexsort((np.arange(H), ident, hv))
        self.H, self.hv, self.reg, self.ident = H, hv, reg[order], ident[order]
        seq = np.arange(H) - starts[hv] + 1
        codes = [v.code for v in self.villages]
        self.numbers = _strings([f"{codes[v]}{s:04d}" for v, s in zip(hv.tolist(), seq.tolist(), strict=True)])
        self.village_codes = _strings(codes)
        self.remote = np.array([v.remote for v in self.villages])[hv]
        self.adopted = {f: np.array([v.adopted[f] for v in self.villages])[hv] for f in _FACILITIES}

        size = _categorical(rng, _SIZES, H) + 1
        # Near-poor households are a little larger (more workers is part of why they are not poor).
        size = np.where(~self.reg & (rng.random(H) < 0.3), np.minimum(size + 1, 8), size)
        u = rng.random((5, H))
        st = np.select(
            [size == 1, (size == 2) & (u[0] < 0.55), (size == 2) & (u[0] < 0.80), size == 2,
             u[0] < np.where(size >= 5, 0.45, 0.22), u[0] < np.where(size >= 5, 0.63, 0.40), u[1] < 0.1],
            [SOLO, COUPLE, PARENT_CHILD, YOUNG_COUPLE, THREE_GEN, WITH_PARENTS, SINGLE_PARENT], NUCLEAR)
        n_sp = (np.isin(st, (COUPLE, YOUNG_COUPLE, NUCLEAR, WITH_PARENTS))
                | ((st == THREE_GEN) & (size >= 4) & (u[2] < 0.85))).astype(np.int64)
        n_pa = np.where(st == WITH_PARENTS, np.where((size >= 5) & (u[3] < 0.4), 2, 1), 0)
        n_cs = (st == THREE_GEN).astype(np.int64)
        grand = size - 1 - n_sp - 1 - n_cs
        n_ch = np.select([st == PARENT_CHILD, st == NUCLEAR, st == SINGLE_PARENT, st == WITH_PARENTS, st == THREE_GEN],
                         [1, size - 2, size - 1, size - 2 - n_pa, 1 + (grand > 3)], 0)
        n_gr = size - 1 - n_sp - n_ch - n_cs - n_pa
        self.size0, self.structure = size, st
        self.role_counts = np.stack([np.ones(H, np.int64), n_sp, n_ch, n_cs, n_gr, n_pa], axis=1)
        # Head's age and sex by structure (age at the end of 2014).
        old = u[4] < 0.68
        lo = np.select([st == SOLO, st == COUPLE, st == PARENT_CHILD, st == YOUNG_COUPLE, st == WITH_PARENTS,
                        st == THREE_GEN], [np.where(old, 60, 32), 45, 35, 22, 28, 48], np.minimum(24 + 2 * n_ch, 50))
        hi = np.select([st == SOLO, st == COUPLE, st == PARENT_CHILD, st == YOUNG_COUPLE, st == WITH_PARENTS,
                        st == THREE_GEN], [np.where(old, 90, 59), 85, 80, 44, 50, 72], 55)
        self.head_age = _uniform_int(rng, lo, hi, H)
        p_male = np.select([st == SOLO, st == PARENT_CHILD, st == SINGLE_PARENT, st == THREE_GEN],
                           [np.where(old, 0.55, 0.8), 0.6, 0.5, 0.9], 0.92)
        self.head_male = rng.random(H) < p_male

    # -- members ------------------------------------------------------------------------------------

    def _members(self) -> None:
        rng, H = self.rng, self.H
        counts = self.role_counts.ravel()
        role = np.repeat(np.tile(np.arange(6), H), counts)
        mh = np.repeat(np.arange(H), self.size0)
        group_first = np.repeat(np.cumsum(counts) - counts, counts)
        pos = np.arange(len(role)) - group_first
        M = len(role)
        st = self.structure[mh]
        head_age = self.head_age[mh]
        # Children: the first one's age from the parent's, then 1–5 years apart (3–10 in 3-generation
        # households, where the first child is the married one living with the parents).
        first = np.select([self.structure == PARENT_CHILD, self.structure == THREE_GEN],
                          [np.maximum(0, self.head_age - _uniform_int(rng, 22, 35, H)),
                           np.clip(self.head_age - _uniform_int(rng, 22, 30, H), 20, 45)],
                          np.minimum(self.head_age - _uniform_int(rng, 21, 30, H), 30))
        gap = np.where(pos == 0, 0, np.where(st == THREE_GEN, _uniform_int(rng, 3, 10, M), _uniform_int(rng, 1, 5, M)))
        gap = np.where((role == R_CHILD) | (role == R_GRAND), gap, 0)
        running = np.cumsum(gap)
        within = running - running[group_first]
        child_age = np.maximum(0, first[mh] - within)
        child0 = np.zeros(H, np.int64)
        is_child0 = (role == R_CHILD) & (pos == 0)
        child0[mh[is_child0]] = child_age[is_child0]
        grand_first = np.minimum(child0 - _uniform_int(rng, 20, 28, H), 16)
        u = rng.random((4, M))
        age = np.select(
            [role == R_HEAD, role == R_SPOUSE, role == R_PARENT, role == R_CHILD, role == R_CSPOUSE],
            [head_age,
             np.maximum(20, head_age + np.where(st == COUPLE, _uniform_int(rng, -6, 3, M), _uniform_int(rng, -4, 3, M))),
             np.minimum(95, head_age + _uniform_int(rng, 22, 32, M)),
             child_age,
             np.maximum(19, child0[mh] + _uniform_int(rng, -3, 3, M))],
            np.maximum(0, grand_first[mh] - within))
        child0_male = np.zeros(H, bool)
        son_first = u[0] < np.where(st == THREE_GEN, 0.85, 0.53)
        child0_male[mh[is_child0]] = son_first[is_child0]
        hm = self.head_male[mh]
        two_parents = self.role_counts[mh, R_PARENT] == 2
        male = np.select(
            [role == R_HEAD, role == R_SPOUSE, role == R_PARENT, (role == R_CHILD) & (pos == 0), role == R_CSPOUSE],
            [hm, ~hm, np.where(two_parents, pos == 0, u[1] < 0.35), son_first, ~child0_male[mh]],
            u[2] < 0.53)
        birth_year = FIRST_YEAR - age
        born = np.zeros(M, np.int64)
        order_key = pos + np.array([0, 1, 10, 30, 40, 60])[role]  # head, spouse, children, …, parents
        # Births 2015–2020 to a wife of 20–40 (the head's or a son's); the universal two-child policy
        # from 2016 raised them. At most one birth a household a year, two in all, none past 8 people.
        mother = ((role == R_SPOUSE) & hm) | ((role == R_CSPOUSE) & ~male)
        extra_h, extra_role, extra_year = [], [], []
        births = np.zeros(H, np.int64)
        for y in range(FIRST_YEAR + 1, LAST_POOR_YEAR + 1):
            a = y - birth_year
            p = np.where((a >= 20) & (a <= 40), (0.09 if y in (2016, 2017) else 0.06) * np.where(a < 33, 1.0, 0.5), 0.0)
            room = (births < 2) & (self.size0 + births < 8)
            fire = np.flatnonzero(mother & room[mh] & (rng.random(M) < p))
            _, keep = np.unique(mh[fire], return_index=True)
            fire = fire[np.sort(keep)]
            births[mh[fire]] += 1
            extra_h.append(mh[fire])
            extra_role.append(np.where(role[fire] == R_CSPOUSE, R_GRAND, R_CHILD))
            extra_year.append(np.full(len(fire), y))
        bh, brole, by = (np.concatenate(x).astype(np.int64) for x in (extra_h, extra_role, extra_year))
        nb = len(bh)
        bmale = rng.random(nb) < 0.53
        mh = np.r_[mh, bh]
        role = np.r_[role, brole]
        male = np.r_[male, bmale]
        birth_year = np.r_[birth_year, by]
        born = np.r_[born, by]
        order_key = np.r_[order_key, 100 + (by - FIRST_YEAR)]
        order = np.lexsort((np.arange(len(mh)), order_key, mh))
        self.M = len(mh)
        self.mh, self.role, self.male = mh[order], role[order], male[order]
        self.birth_year, self.born = birth_year[order], born[order]
        rel = np.select(
            [self.role == R_HEAD, self.role == R_SPOUSE, self.role == R_CHILD, self.role == R_CSPOUSE,
             self.role == R_GRAND],
            [_RELATION["head"], _RELATION["spouse"], np.where(self.male, _RELATION["son"], _RELATION["daughter"]),
             np.where(self.male, _RELATION["son_in_law"], _RELATION["daughter_in_law"]),
             np.where(self.male, _RELATION["grandson"], _RELATION["granddaughter"])],
            np.where(self.male, _RELATION["father"], _RELATION["mother"]))
        self.relation = rel
        self.is_head = self.role == R_HEAD
        self.head_index = np.flatnonzero(self.is_head)  # member index of each household's head (H)

    # -- people: dates, IDs, names, health, schooling -------------------------------------------------

    def _people(self) -> None:
        rng, M, H = self.rng, self.M, self.H
        by = self.birth_year
        days = _YEAR_START[by - _ORD_BASE + 1] - _YEAR_START[by - _ORD_BASE]
        ordinal = _YEAR_START[by - _ORD_BASE] + np.floor(rng.random(M) * days).astype(np.int64)
        ordinal, seq = self.ids.allocate(ordinal, self.male.astype(np.int64))
        dates = (ordinal - _EPOCH_ORDINAL).astype("datetime64[D]")
        self.birth_year = dates.astype("datetime64[Y]").astype(np.int64) + 1970
        self.born = np.where(self.born > 0, np.maximum(self.born, self.birth_year), 0)  # if an ID moved a birth day
        month = (dates.astype("datetime64[M]").astype(np.int64) % 12) + 1
        day = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
        ymd = self.birth_year * 10000 + month * 100 + day
        ids = self.ids.numbers(ymd, seq)
        # The school year starts on 1 September: a child starts primary in the autumn after turning 6.
        self.school_start = self.birth_year + 6 + (month > 8)
        # Ethnicity: the head's from the county mix; spouses and a son's wife mostly the same.
        mix = self.county.ethnic
        eth_codes = np.array([_ETHNIC_INDEX[e] for e, _ in mix] + [_HAN_INDEX])
        shares = [s for _, s in mix]
        weights = [*shares, max(0.0, 1.0 - sum(shares))]
        head_eth = eth_codes[_categorical(rng, weights, H)]
        own = eth_codes[_categorical(rng, weights, M)]
        married_in = (self.role == R_SPOUSE) | (self.role == R_CSPOUSE)
        eth = np.where(married_in & (rng.random(M) < 0.2), own, head_eth[self.mh])
        self.eth = eth
        names = self._names(head_eth, eth)
        self.static = _join(names, ids, _T_RELATION.take(pa.array(self.relation)),
                            _T_SEX.take(pa.array(np.where(self.male, _SEX["male"], _SEX["female"]))),
                            pa.array(dates).cast(pa.string()),
                            _T_ETHNIC.take(pa.array(eth)))
        # Health in 2014: prevalence rises with age; registered poor households are sicker (×1.5).
        age = FIRST_YEAR - self.birth_year
        boost = np.where(self.reg[self.mh], 1.5, 1.0)
        p_dis = (0.03 + 0.0006 * np.maximum(0, age)) * boost
        p_ser = (0.004 + 0.0006 * np.maximum(0, age - 30)) * boost
        p_chr = (0.03 + 0.0045 * np.maximum(0, age - 30)) * boost
        r = rng.random(M)
        health = np.select([r < p_dis, r < p_dis + p_ser, r < p_dis + p_ser + p_chr], [DISABLED, SERIOUS, CHRONIC],
                           HEALTHY)
        young_ill = (age < 16) & ((health == SERIOUS) | (health == CHRONIC)) & (rng.random(M) < 0.7)
        health = np.where(young_ill | (self.born > 0), HEALTHY, health)
        self.health0 = health
        self.grade = 1 + _categorical(rng, (0.15, 0.25, 0.30, 0.30), M)
        self.u_lab, self.u_skill, self.u_ins, self.u_pen, self.u_pre = rng.random((5, M))
        # Schooling track (born 1990 on) and adult education (earlier cohorts), both assumptions
        # shaped on census cohorts of poor rural areas.
        u = rng.random(M)
        drop = np.where(self.birth_year <= 2002, 0.025, 0.004)
        junior = np.select([self.birth_year <= 1995, self.birth_year <= 2000], [0.40, 0.25], 0.12)
        rest = 1.0 - drop - junior
        track = np.select([u < drop, u < drop + junior, u < drop + junior + 0.17 * rest,
                           u < drop + junior + 0.45 * rest, u < drop + junior + 0.80 * rest],
                          [T_DROP, T_JUNIOR, T_SENIOR, T_SENIOR_COLLEGE, T_VOC], T_VOC_COLLEGE)
        track = np.where((health == DISABLED) & (self.grade == 1), T_NO_SCHOOL, track)
        self.track = np.where(self.birth_year >= 1990, track, T_OLD)
        u = rng.random(M)
        f = ~self.male
        cuts = np.select(
            [self.birth_year < 1950, self.birth_year < 1965, self.birth_year < 1980],
            [np.stack([np.where(f, 0.65, 0.35), np.full(M, 0.85), np.full(M, 0.98), np.full(M, 1.0), np.full(M, 1.0)]),
             np.stack([np.where(f, 0.30, 0.12), np.full(M, 0.60), np.full(M, 0.92), np.full(M, 0.98), np.full(M, 0.995)]),
             np.stack([np.where(f, 0.08, 0.04), np.full(M, 0.40), np.full(M, 0.88), np.full(M, 0.95), np.full(M, 0.99)])],
            np.stack([np.full(M, 0.02), np.full(M, 0.16), np.full(M, 0.72), np.full(M, 0.84), np.full(M, 0.95)]))
        edu = E_ILLITERATE + (u[None, :] >= cuts).sum(axis=0)
        edu = np.where((health == DISABLED) & (self.grade <= 2) & (rng.random(M) < 0.5), E_ILLITERATE, edu)
        self.adult_edu = edu
        schooled = ((self.track == T_OLD) & np.isin(edu, (E_SENIOR, E_VOC, E_COLLEGE))) | np.isin(
            self.track, (T_SENIOR, T_SENIOR_COLLEGE, T_VOC, T_VOC_COLLEGE))
        self.skill_factor = np.where(schooled, 2.0, 1.0)

    def _names(self, head_eth: np.ndarray, eth: np.ndarray) -> pa.Array:
        rng, M, H = self.rng, self.M, self.H
        family = self._surnames(head_eth)  # the family's surname (the father's line)
        outsider = self._surnames(eth)  # a married-in member's own surname
        role, male = self.role, self.male
        male_spouse = np.zeros(H, bool)
        male_spouse[self.mh[(role == R_SPOUSE) & male]] = True
        takes_family = np.select(
            [role == R_HEAD, role == R_SPOUSE, role == R_CSPOUSE, role == R_PARENT],
            [self.head_male[self.mh] | ~male_spouse[self.mh], male, np.zeros(M, bool), male], True)
        surname = np.where(takes_family, family[self.mh], outsider)
        era = np.select([self.birth_year < 1960, self.birth_year < 1995], [0, 1], 2)
        given1 = np.empty(M, dtype=object)
        given2 = np.empty(M, dtype=object)
        u = rng.random((3, M))
        for e, era_name in enumerate(("old", "mid", "new")):
            for sex in (True, False):
                sel = (era == e) & (male == sex)
                pool = _GIVEN_POOLS[(era_name, "male" if sex else "female")]
                given1[sel] = pool[(u[0, sel] * len(pool)).astype(np.int64)]
                given2[sel] = pool[(u[1, sel] * len(pool)).astype(np.int64)]
        single = (u[2] < 0.25) | (given1 == given2)
        given2[single] = ""
        names = [s + a + b for s, a, b in zip(surname.tolist(), given1.tolist(), given2.tolist(), strict=True)]
        # Tibetan, Uyghur-style and Mongolian names do not follow surname + given name.
        styled = np.flatnonzero(np.isin(eth, [_ETHNIC_INDEX[e] for e in _NAME_STYLE]))
        if len(styled):
            pr = random.Random(int(rng.integers(0, 2**63)))
            for i in styled.tolist():  # in member order, so a head is named before the children
                style = _NAME_STYLE[_ETHNICITIES[eth[i]]]
                if style == "tibetan":
                    a, b = pr.sample(_TIBETAN, 2)
                    names[i] = a + b if pr.random() < 0.7 else a
                elif style == "uyghur":
                    own = pr.choice(_UYGHUR_MALE if male[i] else _UYGHUR_FEMALE)
                    head = names[self.head_index[self.mh[i]]]
                    father = head.split("·")[0] if role[i] in (R_CHILD, R_GRAND) and "·" in head else ""
                    names[i] = own + "·" + (father or pr.choice(_UYGHUR_MALE))
                elif pr.random() < 0.5:
                    names[i] = pr.choice(_MONGOL)
        return _strings(names)

    def _surnames(self, eth: np.ndarray) -> np.ndarray:
        """A surname for each ethnicity given: the ethnic group's common ones, or (20 %) a Han one."""
        out = np.empty(len(eth), dtype=object)
        u = self.rng.random((2, len(eth)))
        han = np.ones(len(eth), bool)
        for e, (names, cum) in _ETHNIC_POOLS.items():
            sel = (eth == e) & (u[0] < 0.8)
            out[sel] = names[np.searchsorted(cum, u[1, sel], side="right")]
            han &= ~sel
        out[han] = _HAN_POOL[0][np.searchsorted(_HAN_POOL[1], u[1, han], side="right")]
        return out

    def _schooling(self, y: int, idx: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(schooling, education) codes in the autumn of year y, for members idx (default all)."""
        sel = slice(None) if idx is None else idx
        track, start, by = self.track[sel], self.school_start[sel], self.birth_year[sel]
        g = y - start  # 0 = first year of primary
        preschool = (y - by >= 3) & (self.u_pre[sel] < 0.62 + 0.04 * (y - FIRST_YEAR))
        senior = (track == T_SENIOR) | (track == T_SENIOR_COLLEGE)
        college = (track == T_SENIOR_COLLEGE) | (track == T_VOC_COLLEGE)
        school = np.select(
            [track == T_OLD, track == T_NO_SCHOOL, g < 0, g < 6, (track == T_DROP) & (g < 9) & (g >= 7), g < 9,
             (track == T_DROP) | (track == T_JUNIOR), g < 12, college & (g < 15)],
            [S_NONE, S_NONE, np.where(preschool, S_PRE, S_NONE), S_PRIMARY, S_DROPOUT, S_JUNIOR,
             S_NONE, np.where(senior, S_SENIOR, S_VOC), S_HIGHER], S_NONE)
        done = np.select([college, senior], [E_COLLEGE, E_SENIOR], E_VOC)
        edu = np.select(
            [track == T_OLD, track == T_NO_SCHOOL, g < 0, g < 6, track == T_DROP, g < 9, track == T_JUNIOR, g < 12,
             college & (g < 15)],
            [self.adult_edu[sel], np.where(g < 0, E_PRE, E_ILLITERATE), E_PRE, E_PRIMARY, np.where(g >= 7, E_PRIMARY,
             E_JUNIOR), E_JUNIOR, E_JUNIOR, np.where(senior, E_SENIOR, E_VOC), E_COLLEGE], done)
        return school, edu

    def _labour(self, y: int, health: np.ndarray, student: np.ndarray, idx: np.ndarray | None = None) -> np.ndarray:
        sel = slice(None) if idx is None else idx
        age = y - self.birth_year[sel]
        u, grade = self.u_lab[sel], self.grade[sel]
        # Skills training (技能培训) raised the skilled share year by year; schooling doubles it.
        skilled = self.u_skill[sel] < (0.12 + 0.03 * (y - FIRST_YEAR)) * self.skill_factor[sel]
        return np.select(
            [(age < 16) | student, health == DISABLED, health == SERIOUS, age >= 75, age >= 65, health == CHRONIC,
             age >= 60],
            [NO_LABOUR, np.where(grade <= 2, LOST, np.where(u < 0.7, WEAK, ORDINARY)), np.where(u < 0.5, LOST, WEAK),
             LOST, np.where(u < 0.65, WEAK, LOST), np.where(u < 0.6, WEAK, ORDINARY), np.where(u < 0.45, ORDINARY, WEAK)],
            np.where(skilled, SKILLED, ORDINARY))

    # -- causes, capacity, category, living conditions ----------------------------------------------

    def _causes(self) -> None:
        """Causes of poverty, earning capacity, 低保/特困, land and housing, as registered in 2014."""
        rng, H, M, mh = self.rng, self.H, self.M, self.mh
        y = FIRST_YEAR
        alive = self.born == 0
        age = y - self.birth_year
        school, _ = self._schooling(y)
        in_school = alive & np.isin(school, (S_PRIMARY, S_JUNIOR, S_SENIOR, S_VOC, S_HIGHER))
        older = alive & np.isin(school, (S_SENIOR, S_VOC, S_HIGHER))
        n_school = _group_sum(in_school, mh, H)
        n_older = _group_sum(older, mh, H)

        def labour_units(health: np.ndarray) -> np.ndarray:
            lab = self._labour(y, health, in_school)
            units = np.where(np.isin(lab, (ORDINARY, SKILLED)), 1.0, np.where(lab == WEAK, 0.5, 0.0))
            return _group_sum(units * alive, mh, H)

        units = labour_units(self.health0)
        weights = np.tile(np.array([_CAUSE_WEIGHTS[k] for k in CAUSES]), (H, 1))
        weights[:, _CAUSE["schooling"]] *= (n_older > 0) | (n_school >= 2)
        weights[:, _CAUSE["labour"]] *= units <= 1.0
        weights[:, _CAUSE["transport"]] *= 0.3 + 2.5 * self.remote
        no_tap = self.adopted["tap_water"] > FIRST_YEAR
        weights[:, _CAUSE["water"]] *= np.where(no_tap, 2.0, 0.5)
        primary = _categorical_rows(rng, weights)
        # Make the household agree with its primary cause: an ill member for 因病, a disabled one for 因残.
        health = self.health0.copy()
        sick = _group_any(alive & ((health == SERIOUS) | (health == CHRONIC)), mh, H)
        need = (primary == _CAUSE["illness"]) & ~sick
        pick = self._pick_member(need, np.where(alive & (age >= 18), age + 20 * rng.random(M), -1.0))
        health[pick] = np.where(rng.random(len(pick)) < 0.4, SERIOUS, CHRONIC)
        disabled_any = _group_any(alive & (health == DISABLED), mh, H)
        need = (primary == _CAUSE["disability"]) & ~disabled_any
        pick = self._pick_member(need, np.where(alive & (age >= 5), rng.random(M), -1.0))
        health[pick] = DISABLED
        self.health0 = health
        units = labour_units(health)
        sick = _group_any(alive & ((health == SERIOUS) | (health == CHRONIC)), mh, H)
        serious = _group_any(alive & (health == SERIOUS), mh, H)
        disabled = _group_any(alive & (health == DISABLED), mh, H)
        severe = _group_any(alive & (health == DISABLED) & (self.grade <= 2), mh, H)
        # Further causes (multi-select), each likely when the household's facts support it; at most 3.
        p = np.zeros((H, len(CAUSES)))
        p[:, _CAUSE["illness"]] = np.where(sick, 0.7, 0.02)
        p[:, _CAUSE["disability"]] = np.where(disabled, 0.8, 0.0)
        p[:, _CAUSE["schooling"]] = np.select([(n_older > 0) | (n_school >= 2), n_school > 0], [0.5, 0.05], 0.0)
        for cause, q in (("disaster", 0.04), ("marriage", 0.005), ("land", 0.08), ("skills", 0.4), ("capital", 0.35),
                         ("motivation", 0.06), ("other", 0.01)):
            p[:, _CAUSE[cause]] = q
        p[:, _CAUSE["water"]] = np.where(no_tap, 0.15, 0.02)
        p[:, _CAUSE["labour"]] = np.where(units <= 1.0, 0.6, 0.03)
        p[:, _CAUSE["transport"]] = 0.6 * self.remote
        p[np.arange(H), primary] = 0.0
        chosen = rng.random((H, len(CAUSES))) < p
        rank = np.argsort(np.argsort(np.where(chosen, rng.random((H, len(CAUSES))), 2.0), axis=1), axis=1)
        chosen &= rank < 3
        bits = (chosen * (1 << np.arange(len(CAUSES)))).sum(axis=1)
        labels = _labels(c.CAUSE)
        cache: dict[int, str] = {}
        texts = []
        for b in bits.tolist():
            if b not in cache:
                cache[b] = "、".join(labels[i] for i in range(len(CAUSES)) if b >> i & 1)
            texts.append(cache[b])
        self.primary, self.secondary = primary, _strings(texts)
        # Earning capacity k (≈ standard normal over registered households): workers per head,
        # schooling, remoteness, illness, disability and the county's poverty; plus luck.
        adult = alive & (age >= 18)
        schooled = adult & (((self.track == T_OLD) & np.isin(self.adult_edu, (E_JUNIOR, E_SENIOR, E_VOC, E_COLLEGE)))
                            | np.isin(self.track, (T_JUNIOR, T_SENIOR, T_SENIOR_COLLEGE, T_VOC, T_VOC_COLLEGE)))
        edu_share = _group_sum(schooled, mh, H) / np.maximum(1, _group_sum(adult, mh, H))
        k = (1.2 * (units / self.size0 - 0.4) + 0.4 * edu_share - 0.9 * self.remote - 0.4 * serious - 0.2 * sick
             - 0.3 * disabled - (0.25 if self.county.poor_county == "national" else 0.0) + 0.45 * rng.standard_normal(H))
        self.k = (k - _K_MEAN) / _K_SD
        # 低保/特困: about a fifth of poor households — those without workers, seriously ill or disabled.
        z = (-2.3 + 2.0 * (units == 0) + 0.9 * serious + 1.0 * severe + 1.2 * ((self.size0 == 1) & (self.head_age >= 60))
             + 0.5 * (units <= 0.5) - 1.5 * ~self.reg)
        assisted = rng.random(H) < 1 / (1 + np.exp(-z))
        tekun = (self.size0 == 1) & (units == 0) & (rng.random(H) < 0.6)
        self.category = np.where(assisted, np.where(tekun, _CATEGORY["tekun"], _CATEGORY["dibao"]), _CATEGORY["general"])
        self.dibao_from = np.where(assisted, FIRST_YEAR, 9999)
        # Land and housing: remote mountain households have less arable land, more forest, worse houses.
        u = rng.random((12, H))
        remote = self.remote
        self.land = np.round(self.size0 * (0.4 + 1.2 * u[0]) * (1.1 - 0.4 * remote), 1)
        self.forest = np.round(np.where(u[1] < 0.3 + 0.6 * remote, self.size0 * 6 * u[2] * (0.3 + 1.5 * remote), 0.0), 1)
        self.area = np.round(30 + self.size0 * (15 + 25 * u[3]), 1)
        r = u[4] - np.where(self.reg, 0.10 * remote, -0.3)
        self.grade0 = np.select([r < 0.10, r < 0.28, r < 0.70], [_HOUSING["D"], _HOUSING["C"], _HOUSING["B"]],
                                _HOUSING["A"])
        self.u_water, self.u_road, self.u_prod, self.u_house = u[5], u[6], u[7], u[8]
        self.road_dist = np.round(np.minimum(20.0, np.exp(math.log(0.3) + 1.5 * remote + 0.8 * rng.standard_normal(H))), 2)
        self.toilet_year = np.where(u[9] < np.where(self.reg, 0.25, 0.45), 2013,
                                    _uniform_int(rng, 2015, 2026 + (4 * remote).astype(np.int64), H))
        self.food_year = np.where(u[10] < 0.95, 2013, 2015)
        self.cost_ratio = 0.25 + 0.20 * u[11]
        self.bias = -0.08 + 0.08 * rng.standard_normal(H)  # persistent under-reporting of income
        # Cells that never change, joined once: the year loop only takes them.
        self.cells_front = _join(self.numbers, self.village_codes.take(pa.array(self.hv)))
        self.cells_land = _join(_text(self.land), _text(self.forest), _text(self.area))
        self.cells_other = pc.binary_join_element_wise(self.numbers, _NON_HEAD_GAP, ",")  # a non-head's row start

    def _pick_member(self, need: np.ndarray, score: np.ndarray) -> np.ndarray:
        """For each household where need is true, the member with the highest score (if any > −1)."""
        order = np.lexsort((score, self.mh))
        last = np.r_[self.mh[order][1:] != self.mh[order][:-1], True]
        best = order[last]  # one per household, in household order
        ok = need[self.mh[best]] & (score[best] > -1)
        return best[ok]

    # -- timeline: identification, exit, return ------------------------------------------------------

    def _timeline(self) -> None:
        rng, H = self.rng, self.H
        # Exit year from the county's cohort curve; stronger households leave earlier (a Gaussian
        # copula with weight 0.5 on capacity: k is about standard normal, so the curve keeps its shape).
        s = _phi(0.5 * np.clip(self.k, -3, 3) + math.sqrt(0.75) * rng.standard_normal(H))
        a = self.ident
        rem = self.remaining
        s = s * np.where(a > FIRST_YEAR, rem[np.clip(a - FIRST_YEAR, 0, 6)], 1.0)
        years = np.arange(FIRST_YEAR, LAST_POOR_YEAR + 1)
        ok = ((years[None, :] > a[:, None]) | (a[:, None] == FIRST_YEAR)) & (rem[None, :] < s[:, None])
        exit_year = np.where(ok.any(axis=1), years[np.argmax(ok, axis=1)], LAST_POOR_YEAR)
        self.first_exit = np.where(self.reg, exit_year, 0)
        # A few exited households fall back (返贫) before 2020 and exit again a year or two later.
        returned = np.zeros(H, np.int64)
        eligible = self.reg & (rng.random(H) < 0.9)
        for y in range(2015, 2020):
            fire = eligible & (returned == 0) & (y > self.first_exit) & (rng.random(H) < _RETURN[y])
            returned[fire] = y
        self.returned = returned
        self.reexit = np.where(returned > 0, np.minimum(LAST_POOR_YEAR, returned + np.where(rng.random(H) < 0.7, 1, 2)), 0)
        self.return_reason = _R_RETURN + _categorical(rng, [w for _, w in _RETURN_REASONS], H)
        self.final_exit = np.where(returned > 0, self.reexit, self.first_exit)
        # Dangerous houses (C/D) are rebuilt by the exit year (safe housing is an exit condition).
        last = np.minimum(self.first_exit, 2019)
        first = np.minimum(np.maximum(self.ident, 2015), last)
        rebuilt = np.where(self.reg, np.where(rng.random(H) < 0.97, _uniform_int(rng, first, last, H), 9999),
                           _uniform_int(rng, 2015, 2024, H))
        self.repair_year = np.where(self.grade0 >= _HOUSING["C"], rebuilt, 9999)

    # -- years -------------------------------------------------------------------------------------

    def _simulate(self) -> None:
        H, M, T, mh = self.H, self.M, self.T, self.mh
        health = np.empty((T, M), np.int8)
        mig = np.zeros((T, M), np.int8)
        self.true = np.zeros((T, H))
        self.report = np.zeros((T, H))
        self.meds = np.zeros((T, H), np.int64)
        self.monitor = np.full((T, H), -1, np.int64)  # reason index of a monitored household, else −1
        self.first_monitored = np.full(H, 9999, np.int64)
        died = np.full(M, 9999, np.int64)
        gone = np.full(H, 9999, np.int64)
        removed = np.zeros(H, np.int64)
        reason = np.zeros(H, np.int64)
        category, dibao_from = self.category.copy(), self.dibao_from.copy()
        eps = 0.2 * self.rng.standard_normal(H)
        head = self.head_index
        solo = self.size0 == 1
        reg, ident, first_exit = self.reg, self.ident, self.first_exit
        anchor_line = np.array([poverty_line(x) for x in range(FIRST_YEAR, LAST_POOR_YEAR + 1)])
        for t in range(T):
            y = FIRST_YEAR + t
            rng = self.rng if y <= LAST_POOR_YEAR else self.post[y]
            age = y - self.birth_year
            alive = (self.born <= y) & (died > y)
            if t == 0:
                health[0] = self.health0
            else:
                prev = health[t - 1].astype(np.int64)
                u = rng.random(M)
                over40 = np.maximum(0, age - 40)
                p_c, p_s = 0.006 + 0.0008 * over40, 0.003 + 0.0004 * over40
                health[t] = np.select(
                    [(prev == HEALTHY) & (u < p_c), (prev == HEALTHY) & (u < p_c + p_s), prev == HEALTHY,
                     (prev == CHRONIC) & (u < 0.03), (prev == CHRONIC) & (u < 0.04 + 0.0003 * over40), prev == CHRONIC,
                     (prev == SERIOUS) & (u < 0.30), (prev == SERIOUS) & (u < 0.40)],
                    [CHRONIC, SERIOUS, HEALTHY, HEALTHY, SERIOUS, CHRONIC, CHRONIC, HEALTHY], prev)
                q = np.minimum(0.5, 0.0006 * np.exp(0.09 * (age - 30)) * np.select(
                    [health[t] == SERIOUS, health[t] == HEALTHY], [3.0, 1.0], 1.3))
                dies = alive & (self.born < y) & (rng.random(M) < q)
                # The head is kept (simpler than re-heading); a person living alone who dies ends the household.
                died = np.where(dies & ~self.is_head, y, died)
                ends = solo & dies[head] & (gone == 9999)
                moves = (gone == 9999) & ~ends & (rng.random(H) < _MOVE_AWAY)
                listed_reg = reg & (ident <= y) & (removed == 0)
                removed = np.where((ends | moves) & listed_reg, y, removed)
                reason = np.where(ends & listed_reg, _R_DEATH, np.where(moves & listed_reg, _R_MOVED, reason))
                gone = np.where(ends | moves, y, gone)
                alive = (self.born <= y) & (died > y)
            # Migrant work: the same people go year after year (3–12 months), more each year.
            h = health[t]
            weak = (h == CHRONIC) | (h == DISABLED) | (age > 55)
            able = alive & (age >= 16) & (age <= 60) & (h != SERIOUS) & ~((h == DISABLED) & (self.grade <= 2))
            p = np.where(weak, 0.12, 0.40 + 0.03 * t) * np.where(self.role == R_PARENT, 0.4, 1.0)
            base = 3 + (9 * self.u_skill).astype(np.int64)
            months = np.clip(base + (5 * rng.random(M)).astype(np.int64) - 2 - 4 * weak, 1, 12)
            mig[t] = np.where(able & (self.u_lab < p), months, 0)
            # True per-capita income: under the line while poor, above it after exit, AR(1) noise.
            eps = 0.5 * eps + 0.173 * rng.standard_normal(H)
            line = poverty_line(y)
            in_return = (self.returned > 0) & (self.returned <= y) & (y < self.reexit)
            anchor = np.where((self.returned > 0) & (y >= self.reexit), self.reexit, first_exit)
            grow = 0.22 * (min(y, LAST_POOR_YEAR) - anchor) + 0.08 * max(0, y - LAST_POOR_YEAR)
            exited_income = anchor_line[np.clip(anchor - FIRST_YEAR, 0, 6)] * np.exp(0.47 + 0.15 * self.k + grow + eps)
            true = np.select(
                [~reg, y < ident, in_return, y < first_exit],
                [_reference_income(y) * np.exp(0.40 + 0.07 * t + 0.2 * self.k + eps),
                 line * np.exp(-0.30 + 0.2 * self.k + eps),
                 line * np.exp(-0.35 + 0.15 * self.k + eps),
                 line * np.exp(-0.42 + 0.03 * t + 0.2 * self.k + eps)],
                exited_income)
            if y > LAST_POOR_YEAR:
                true = self._monitor(rng, t, y, true, reg & (removed == 0), gone)
            self.true[t] = true
            self.report[t] = true * np.exp(self.bias + 0.08 * rng.standard_normal(H))
            # Medical costs paid out of pocket, by each living member's health; more for a sudden illness.
            share = _SELF_PAY.get(y, 0.12)
            z = rng.standard_normal(M)
            cost = np.select([h == SERIOUS, h == CHRONIC, h == DISABLED, z > 0.4],
                             [15000 * np.exp(0.6 * z) * share, 2500 * np.exp(0.6 * z) * min(0.6, 1.6 * share),
                              800 * np.exp(0.6 * z) * share, 300 * np.exp(0.8 * z) * share], 0.0)
            meds = _group_sum(cost * alive, mh, H)
            if y > LAST_POOR_YEAR:
                ill = (self.monitor[t] >= 0) & ((self.monitor[t] - _R_MONITOR) % 5 == 0)  # …（因病）
                meds += np.where(ill, 20000 * share, 0.0)
            self.meds[t] = np.round(meds).astype(np.int64)
            if y <= LAST_POOR_YEAR and t > 0:
                # Removal while poor: mostly households that were never poor (识别不准), after 回头看 and 比对.
                poor_now = reg & (ident < y) & (y < first_exit) & ~in_return & (removed == 0) & (gone > y)
                above = self.true[t - 1] >= poverty_line(y - 1)
                u = rng.random(H)
                out = poor_now & (u < np.where(above, _REMOVE_ERROR.get(y, 0.0), _REMOVE_WRONGLY))
                removed = np.where(out, y, removed)
                reason = np.where(out, _R_REMOVAL + _categorical(rng, [w for _, w in _REMOVAL_REASONS], H), reason)
                # 兜底: poor households with nobody able to work move onto 低保 in 2017–2020.
                if y >= 2017:
                    lab = self._labour(y, h, np.zeros(M, bool))
                    worker = _group_any(alive & np.isin(lab, (ORDINARY, SKILLED)), mh, H)
                    move = (category == _CATEGORY["general"]) & reg & (y < first_exit) & ~worker & (rng.random(H) < 0.25)
                    category = np.where(move, _CATEGORY["dibao"], category)
                    dibao_from = np.where(move, y, dibao_from)
        self.health, self.mig, self.died, self.gone = health, mig, died, gone
        self.removed, self.reason, self.category, self.dibao_from = removed, reason, category, dibao_from

    def _monitor(self, rng: np.random.Generator, t: int, y: int, true: np.ndarray, exited: np.ndarray,
                 gone: np.ndarray) -> np.ndarray:
        """After 2020: shocks, and who becomes a monitored household (监测对象) in year y.

        Exited households found at risk are 脱贫不稳定户; never-registered (or removed) ones are
        边缘易致贫户, or 突发严重困难户 after a large shock. Risk is eliminated after 1–3 years.
        """
        H = self.H
        u = rng.random((4, H))
        shock = _categorical(rng, [w for _, w in _SHOCKS], H)
        prev = self.monitor[t - 1] if y > LAST_POOR_YEAR + 1 else np.full(H, -1)
        stays = (prev >= 0) & (u[0] < 0.45) & (gone > y)
        shocked = (prev < 0) & (u[1] < np.where(exited, 0.03, 0.02))
        true = np.where(shocked, true * 0.5, np.where(stays, true * 0.8, true))
        fresh = (prev < 0) & (gone > y) & (true < monitoring_line(y)) & (u[2] < np.where(shocked, 0.7, 0.45))
        kind = np.where(exited, 0, np.where(shocked & (true >= 1.2 * poverty_line(y)), 2, 1))
        why = np.where(shocked, shock, 4)
        self.monitor[t] = np.select([stays, fresh], [prev, _R_MONITOR + kind * 5 + why], -1)
        self.first_monitored = np.where(fresh, np.minimum(self.first_monitored, y), self.first_monitored)
        return true

    # -- output --------------------------------------------------------------------------------------

    def _on_list(self, y: int) -> np.ndarray:
        return self.reg & (self.ident <= y) & ((self.removed == 0) | (self.removed >= y))

    def _monitored(self, y: int) -> np.ndarray:
        return self.monitor[y - FIRST_YEAR] >= 0 if y > LAST_POOR_YEAR else np.zeros(self.H, bool)

    def eliminated(self, y: int) -> np.ndarray:
        """Households off the poor list (never registered, or removed) whose monitoring ended in year y: risk
        eliminated (风险消除). Like a removal, the file of that year lists them once more, with the status the
        risk elimination gives them (`monitoring.cases.approve_elimination`: the status before monitoring,
        申请 for a never-registered household), so the register records that their monitoring ended."""
        if y <= LAST_POOR_YEAR + 1:
            return np.zeros(self.H, bool)
        return (self._monitored(y - 1) & ~self._monitored(y) & ~self._on_list(y) & (self.gone >= y)
                & (self.first_monitored < y))

    def listed(self, y: int) -> np.ndarray:
        """Households in the register file of year y."""
        return ((self.gone >= y) & (self._monitored(y) | self._on_list(y))) | self.eliminated(y)

    def register_rows(self, y: int) -> tuple[pa.Array, int]:
        """The rows of year y's register file (one string per member, ending in a newline)."""
        t = y - FIRST_YEAR
        hh = self.listed(y)
        death = (self.gone == y) & (self.reason == _R_DEATH)
        rows_mask = hh[self.mh] & (self.born <= y) & (self.died > y) & (~death[self.mh] | self.is_head)
        idx = np.flatnonzero(rows_mask)
        if not len(idx):
            return pa.array([], pa.string()), 0
        mh = self.mh[idx]
        # Members' yearly cells.
        health = self.health[t, idx].astype(np.int64)
        school, edu = self._schooling(y, idx)
        student = np.isin(school, (S_PRIMARY, S_JUNIOR, S_SENIOR, S_VOC, S_HIGHER))
        labour = self._labour(y, health, student, idx)
        grade = np.where(health == DISABLED, self.grade[idx], 0)
        age = y - self.birth_year[idx]
        months = self.mig[t, idx].astype(np.int64)
        insured = self.u_ins[idx] < _MEDICAL_COVER.get(y, 1.0)
        pension = (age >= 16) & ~student & (self.u_pen[idx] < np.minimum(0.99, 0.78 + 0.03 * t) + 0.1 * (age >= 60))
        category = np.where(self.dibao_from[mh] <= y, self.category[mh], _CATEGORY["general"])
        assist = np.select([category == _CATEGORY["dibao"], category == _CATEGORY["tekun"]],
                           [_ASSIST["dibao"], _ASSIST["tekun"]], _ASSIST["none"])
        a = (((edu * len(_SCHOOLING) + school) * len(_HEALTH) + health) * 5 + grade) * len(_LABOUR) + labour
        b = (insured * 2 + pension) * len(_ASSIST) + assist
        # Household cells, for the heads (one per listed household, in order).
        H = self.H
        n = _group_sum(np.ones(len(idx)), mh, H)
        heads = np.flatnonzero(hh)
        units = np.where(np.isin(labour, (ORDINARY, SKILLED)), 1.0, np.where(labour == WEAK, 0.5, 0.0))
        workers = _group_sum(units, mh, H)
        away = _group_sum(months / 12.0, mh, H)
        elderly = _group_sum(age >= 60, mh, H)
        students = _group_sum(student, mh, H)
        disabled = _group_sum(health == DISABLED, mh, H)
        dropout = _group_any(school == S_DROPOUT, mh, H)
        uninsured = _group_any(~insured, mh, H)
        serious = _group_any(health == SERIOUS, mh, H)
        hcat = np.where(self.dibao_from <= y, self.category, _CATEGORY["general"])
        monitored = self.monitor[t] >= 0
        in_return = (self.returned > 0) & (self.returned <= y) & (y < self.reexit)
        ended = self.eliminated(y)
        status = np.select([ended & self.reg, ended, self.removed == y, monitored, in_return, y >= self.first_exit],
                           [ST_REMOVED, ST_APPLICANT, ST_REMOVED, ST_MONITORED, ST_RETURNED, ST_EXITED], ST_POOR)
        exited = status == ST_EXITED
        shown_exit = np.where(exited, np.where((self.returned > 0) & (y >= self.reexit), self.reexit, self.first_exit),
                              np.where(monitored & self.reg & ((self.removed == 0) | (self.removed > y)), self.final_exit, 0))
        reason = np.select([ended, status == ST_REMOVED, status == ST_RETURNED, status == ST_MONITORED],
                           [_R_ELIMINATED, self.reason, self.return_reason, self.monitor[t]], -1)
        ident = np.where(self.reg & (self.ident <= y), self.ident, self.first_monitored)
        # Income: recorded per-capita income × members, split by source. The weights follow each
        # household's workers, migrants, elderly, 低保 and land, scaled to NBS 2019 poor-area shares.
        total = self.report[t] * n
        dib = np.where(hcat != _CATEGORY["general"], n, 0)
        w_wage = W_WAGE[0] * away + W_WAGE[1] * np.maximum(0.0, workers - away)
        w_bus = W_BUS[0] * workers + W_BUS[1] * self.land + W_BUS[2]
        w_prop = W_PROP[0] + W_PROP[1] * self.forest
        w_tr = W_TR[0] + W_TR[1] * elderly + W_TR[2] * dib + W_TR[3] * students + W_TR[4] * disabled + W_TR[5] * n
        w_sum = w_wage + w_bus + w_prop + w_tr
        business = total * w_bus / w_sum
        gross = np.round(business / (1 - self.cost_ratio))
        money = [np.round(total * w_wage / w_sum), gross, np.round(gross - business), np.round(total * w_prop / w_sum),
                 np.round(total * w_tr / w_sum), self.meds[t]]
        # Living conditions.
        repaired = (self.grade0 >= _HOUSING["C"]) & (self.repair_year <= y)
        grade_h = np.where(repaired, np.where(self.u_house < 0.6, _HOUSING["B"], _HOUSING["A"]), self.grade0)
        tap = self.adopted["tap_water"] <= y
        water = np.where(tap, np.where(self.u_water < 0.85, _WATER["safe"], _WATER["basic"]),
                         np.select([(self.u_water < 0.35) & ~exited, self.u_water < 0.8], [_WATER["unsafe"], _WATER["basic"]],
                                   _WATER["safe"]))
        hardened = (self.u_road < min(0.95, 0.3 + 0.1 * t) * (1.1 - 0.4 * self.remote)) | (exited & (self.u_road < 0.8))
        road = np.where(self.adopted["hardened_road"] <= y, np.where(hardened, _ROAD["hardened"], _ROAD["gravel"]),
                        np.select([self.u_road < 0.6, self.u_road < 0.95], [_ROAD["gravel"], _ROAD["dirt"]], _ROAD["none"]))
        power = (self.adopted["power_grid"] <= y) & (self.u_prod < 0.92)
        electricity = (y >= 2016) | (self.u_prod < 0.99)
        food = (self.food_year <= y) | exited
        clothing = food | (self.u_water < 0.5)
        medical_ok = ~uninsured & ~(serious & (y < 2017) & (self.u_prod < 0.3))
        house_a = hcat * len(_STATUS) + status
        house_b = (((grade_h * 3 + water) * 2 + electricity) * 2 + power) * 4 + road
        house_c = (self.toilet_year <= y) * len(CAUSES) + self.primary
        house_d = ((((food * 2 + clothing) * 2 + ~dropout) * 2 + medical_ok) * 2 + (grade_h <= _HOUSING["B"])) * 2 + (
            water != _WATER["unsafe"])
        s = pa.array(heads)
        head_part = _join(
            self.cells_front.take(s), _T_HOUSE_A.take(pa.array(house_a[heads])), _text(ident[heads]),
            _text(shown_exit[heads], shown_exit[heads] == 0),
            _lookup(_T_REASON, np.maximum(reason[heads], 0), reason[heads] < 0), self.cells_land.take(s),
            _T_HOUSE_B.take(pa.array(house_b[heads])), _text(self.road_dist[heads]),
            _T_HOUSE_C.take(pa.array(house_c[heads])), self.secondary.take(s), _T_HOUSE_D.take(pa.array(house_d[heads])),
            pa.scalar(str(y)), *(_text(m[heads].astype(np.int64)) for m in money))
        # Every row: the head's row carries the household cells, the others only the household number.
        is_head = self.is_head[idx]
        start = pa.concat_arrays([head_part, self.cells_other]).take(
            pa.array(np.where(is_head, np.cumsum(is_head) - 1, len(heads) + mh)))
        rows = _join(start, self.static.take(pa.array(idx)), _T_MEMBER_A.take(pa.array(a)), _text(months, age < 16),
                     _T_MEMBER_B.take(pa.array(b)))
        return rows, len(heads)

    def welfare_rows(self, years: Sequence[int]) -> pa.Array:
        """true-welfare.csv rows: every simulated household, every year it existed, by household."""
        hs, ys = [], []
        for year in years:
            sel = np.flatnonzero(self.gone >= year)
            hs.append(sel)
            ys.append(np.full(len(sel), year))
        h, y = np.concatenate(hs), np.concatenate(ys)
        order = np.lexsort((y, h))
        h, y = h[order], y[order]
        true = self.true[y - FIRST_YEAR, h]
        lines = np.array([poverty_line(x) for x in range(FIRST_YEAR, MAX_YEAR + 1)])[y - FIRST_YEAR]
        flag = np.where(true < lines, "1\n", "0\n")
        return _join(self.numbers.take(pa.array(h)), _text(y), _text(np.round(true, 2)), pa.array(flag))


# Income-source weights per household (see register_rows), tuned so that registered households'
# income in 2019 splits like NBS's poor-area figures: wages 35.3 %, business 36.0 %, property 1.4 %,
# transfers 27.3 % (calibration.md §5).
W_WAGE = (1.15, 0.30)  # per migrant-year, per local worker
W_BUS = (0.42, 0.035, 0.08)  # per worker, per mu of land, base
W_PROP = (0.03, 0.002)  # base, per mu of forest
W_TR = (0.20, 0.30, 0.36, 0.10, 0.15, 0.05)  # base, per elderly, per 低保 member, per student, per disabled, per member

# Standardisation of the capacity score over registered households (measured on a Hunan run).
_K_MEAN, _K_SD = -0.50, 0.70


# ---------------------------------------------------------------------------------------------------
# Driving a run
# ---------------------------------------------------------------------------------------------------


@dataclass
class Summary:
    out_dir: Path
    seed: int
    years: tuple[int, ...]
    households: int = 0  # households ever in the register, N
    near_poor: int = 0  # never-registered households simulated for true-welfare.csv
    provinces: int = 0
    cities: int = 0
    counties: int = 0
    townships: int = 0
    villages: int = 0
    poor_villages: int = 0
    register_households: dict[int, int] = field(default_factory=dict)
    register_rows: dict[int, int] = field(default_factory=dict)
    true_welfare_rows: int = 0
    seconds: float = 0.0
    workers: int = 1

    @property
    def rows(self) -> int:
        """Member rows in all register files."""
        return sum(self.register_rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


ProgressFn = Callable[[int, int], None]


def output_files(years: Sequence[int]) -> list[str]:
    return ["areas.csv", "villages.csv", "true-welfare.csv", *(f"register-{y}.csv" for y in years)]


def default_workers(households: int) -> int:
    """Worker processes worth starting: none for small runs, else one per CPU (at most 8)."""
    if households < 2 * _BATCH:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def parse_years(text: str) -> tuple[int, ...]:
    """"2014-2020", "2016,2018" or "2019" → the years."""
    out: set[int] = set()
    for part in text.split(","):
        part = part.strip()
        if "-" in part:
            a, b = part.split("-", 1)
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return tuple(sorted(out))


@dataclass
class _Task:
    """One batch: enough to rebuild it anywhere (a worker process gets this, pickled)."""

    number: int  # position in the run: batches are written in this order
    county: County
    villages: list[Village]
    part: int  # batch number within the county
    parts: int  # batches in the county
    seed: int
    horizon: int
    years: tuple[int, ...]


@dataclass
class _Result:
    """A built batch: its rows per file, and what the summary counts."""

    rows: dict[str, pa.Array]  # file name → rows (emptied once written by a worker)
    counts: dict[str, int]  # file name → rows
    listed: dict[int, int]  # year → households in that year's register
    households: int
    near_poor: int


def _build(task: _Task) -> _Result:
    batch = _Batch(task.county, task.villages, task.seed, task.horizon,
                   _IdCounter(task.county.code, task.part, task.parts))
    rows: dict[str, pa.Array] = {}
    listed: dict[int, int] = {}
    for y in task.years:
        rows[f"register-{y}.csv"], listed[y] = batch.register_rows(y)
    rows["true-welfare.csv"] = batch.welfare_rows(task.years)
    return _Result(rows, {k: len(v) for k, v in rows.items()}, listed, int(batch.reg.sum()),
                   int((~batch.reg).sum()))


def generate(out_dir: str | os.PathLike[str], households: int, seed: int,
             years: Sequence[int] = tuple(range(FIRST_YEAR, LAST_POOR_YEAR + 1)), counties: int | None = None,
             progress: ProgressFn | None = None, workers: int = 1) -> Summary:
    """Write areas.csv, villages.csv, register-YYYY.csv and true-welfare.csv under out_dir.

    `households` registered households (N) over `counties` counties (default: as many as N needs);
    `progress(done, total)` is called as households are written; `workers` processes build batches in
    parallel (the output is the same for any number of workers).
    """
    years = tuple(sorted(set(years)))
    if not years or years[0] < FIRST_YEAR or years[-1] > MAX_YEAR:
        raise ValueError(f"years must lie within {FIRST_YEAR}–{MAX_YEAR}")
    if seed < 0:
        raise ValueError("seed must be 0 or more")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plan = plan_counties(households, counties)
    started = time.perf_counter()
    workers = max(1, workers) if hasattr(os, "pwrite") else 1
    summary = Summary(out, seed, years, workers=workers)
    summary.register_rows = dict.fromkeys(years, 0)
    summary.register_households = dict.fromkeys(years, 0)
    batch_files = [*(f"register-{y}.csv" for y in years), "true-welfare.csv"]
    headers = {"areas.csv": AREA_HEADER, "villages.csv": VILLAGE_HEADER, "true-welfare.csv": TRUE_WELFARE_HEADER}
    for name in output_files(years):
        (out / name).write_bytes(_csv_line(headers.get(name, template.HEADERS)))
    total = sum(n for _, n in plan)
    done = 0

    def record(result: _Result) -> None:
        nonlocal done
        for y in years:
            summary.register_rows[y] += result.counts[f"register-{y}.csv"]
            summary.register_households[y] += result.listed[y]
        summary.true_welfare_rows += result.counts["true-welfare.csv"]
        summary.households += result.households
        summary.near_poor += result.near_poor
        done += result.households
        if progress is not None:
            progress(done, total)

    with (out / "areas.csv").open("ab", buffering=1 << 20) as areas, \
            (out / "villages.csv").open("ab", buffering=1 << 20) as village_file:
        tasks = _tasks(plan, seed, years, areas, village_file, summary)
        if workers == 1:
            handles = {name: (out / name).open("ab", buffering=1 << 22) for name in batch_files}
            try:
                for task in tasks:
                    result = _build(task)
                    for name in batch_files:
                        _write_strings(handles[name], result.rows[name])
                    record(result)
            finally:
                for f in handles.values():
                    f.close()
        else:
            _run_parallel(out, batch_files, tasks, workers, record)
    summary.seconds = time.perf_counter() - started
    return summary


# Worker processes write their batch straight into the output files (os.pwrite at offsets handed out
# in batch order), so rows never travel back through a pipe: only the counts do.
_shared: dict[str, Any] = {}


def _init_worker(out: Path, files: list[str], offsets: Any, turn: Any, cond: Any, failed: Any) -> None:
    _shared.update(fds=[os.open(out / name, os.O_WRONLY) for name in files], files=files, offsets=offsets,
                   turn=turn, cond=cond, failed=failed)


def _build_and_write(task: _Task) -> _Result:
    sh = _shared
    try:
        result = _build(task)
    except BaseException:
        with sh["cond"]:
            sh["failed"].value = 1
            sh["cond"].notify_all()
        raise
    buffers = [_string_bytes(result.rows[name]) for name in sh["files"]]
    with sh["cond"]:
        # Wait for the previous batch to take its place in the files, then take ours.
        sh["cond"].wait_for(lambda: sh["turn"].value == task.number or sh["failed"].value)
        if sh["failed"].value:
            raise RuntimeError("another batch failed")
        starts = [sh["offsets"][i] for i in range(len(buffers))]
        for i, b in enumerate(buffers):
            sh["offsets"][i] += len(b)
        sh["turn"].value += 1
        sh["cond"].notify_all()
    for fd, start, view in zip(sh["fds"], starts, buffers, strict=True):
        while len(view):
            n = os.pwrite(fd, view, start)
            view, start = view[n:], start + n
    result.rows = {}
    return result


def _run_parallel(out: Path, files: list[str], tasks: Iterator[_Task], workers: int,
                  record: Callable[[_Result], None]) -> None:
    import multiprocessing as mp
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    offsets = ctx.Array("q", [(out / name).stat().st_size for name in files], lock=False)
    turn = ctx.Value("q", 0, lock=False)
    failed = ctx.Value("b", 0, lock=False)
    cond = ctx.Condition()
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(out, files, offsets, turn, cond, failed)) as pool:
        pending: deque[Future[_Result]] = deque()
        for task in tasks:
            pending.append(pool.submit(_build_and_write, task))
            while len(pending) > workers:  # a few batches in flight bound memory
                record(pending.popleft().result())
        while pending:
            record(pending.popleft().result())


def _tasks(plan: list[tuple[County, int]], seed: int, years: tuple[int, ...], areas: IO[bytes],
           village_file: IO[bytes], summary: Summary) -> Iterator[_Task]:
    """Write the area tree and village records county by county, yielding each county's batches."""
    horizon = max(LAST_POOR_YEAR, years[-1])
    last_province = last_city = ""
    number = 0
    for county, n in plan:
        if county.province_code != last_province:
            last_province = county.province_code
            summary.provinces += 1
            _area(areas, county.province_code.ljust(12, "0"), county.province_name, "province", "",
                  county.region_class)
        if county.city_code != last_city:
            last_city = county.city_code
            summary.cities += 1
            _area(areas, county.city_code.ljust(12, "0"), county.city_name, "city",
                  county.province_code.ljust(12, "0"), county.region_class)
        summary.counties += 1
        ccode = county.code.ljust(12, "0")
        _area(areas, ccode, county.name, "county", county.city_code.ljust(12, "0"), county.region_class,
              county.poor_county, county.contiguous_region, exit_year=county.exit_year)
        villages: list[Village] = []
        for township in plan_townships(county, n, seed):
            summary.townships += 1
            _area(areas, township.code, township.name, "township", ccode, county.region_class)
            for v in township.villages:
                summary.villages += 1
                summary.poor_villages += v.poor
                _area(areas, v.code, v.name, "village", township.code, county.region_class,
                      poor_village=v.poor, exit_year=v.exit_year)
                village_file.write("".join(_village_record(v, y) for y in years).encode())
                villages.append(v)
        groups = _batches(villages, max(_BATCH, math.ceil(n / 500)))
        for part, group in enumerate(groups):
            yield _Task(number, county, group, part, len(groups), seed, horizon, years)
            number += 1


def _batches(villages: list[Village], size: int) -> list[list[Village]]:
    """Consecutive villages grouped into batches of about `size` registered households."""
    out: list[list[Village]] = [[]]
    n = 0
    for v in villages:
        if n >= size:
            out.append([])
            n = 0
        out[-1].append(v)
        n += v.households
    return out


def _csv_line(values: Sequence[str]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue().encode()


def _area(f: IO[bytes], code: str, name: str, level: str, parent: str, region: str, poor_county: str = "",
          contiguous: str = "", poor_village: bool = False, exit_year: int | None = None) -> None:
    f.write(f"{code},{name},{level},{parent},{region},{poor_county},{contiguous},{int(poor_village)},"
            f"{exit_year or ''}\n".encode())
