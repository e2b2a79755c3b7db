"""The indicator catalogue (考核指标), as data: what each indicator is, for which units, and how its value is
made from the additive counts ("parts") that `jingzhun.assessment.compute` measures per unit.

Every computed indicator is a formula over parts that add up: a township's parts are the sums of its
villages' parts, a county's of its townships', and so on, so a higher level's ratio is its summed numerator
over its summed denominator — never an average of its children's ratios. The one exception is the median
income, made from the households' values themselves. The third-party evaluation's three rates (错退率, 漏评率,
群众认可度) are not parts but its estimates: `evaluation_rate` names the rate and `jingzhun.assessment.evaluated`
reads it for counties and above. An indicator whose data another module will bring (funds) is declared with
`needs` naming that module and no formula: its value is None ("no data"), never 0.

Definitions (the year Y is the period; "the end of Y" is 31 December, Beijing time):
- status at the end of Y: the household's latest status event of a year ≤ Y (latest year, then latest
  recorded, then highest id), else from its fields (exit year ≤ Y: exited; identified year ≤ Y: poor) — the
  same rule as the yearly difference (`jingzhun.appraisal.yearly.status_at`). The start of Y is the end of Y−1.
- registered poor: status poor or returned, and monitored too when Y ≥ 2021 (监测对象 after the transition).
- per-capita net income: (wages + production income − production costs + property + transfers) of Y, in fen,
  divided by the household's members (rounded down to the fen), for households poor or monitored at the end
  of Y with an income record of Y and at least one member.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

AREA_LEVELS = ("village", "township", "county", "city", "province")
UNIT_TYPES = (*AREA_LEVELS, "work_team", "cadre")
UNIT_LABELS = {"village": ("村", "village"), "township": ("乡镇", "township"), "county": ("县", "county"),
               "city": ("市", "city"), "province": ("省", "province"), "work_team": ("驻村工作队", "work team"),
               "cadre": ("帮扶干部", "cadre")}
#: The additive counts each unit is measured by (compute.py makes them; catalogue formulas read them).
PARTS = ("poor_start", "poor_end", "poor_pop_end", "population", "exited", "returned", "inc_sum", "inc_n",
         "inc_prev_sum", "inc_prev_n", "housing_ok", "water_ok", "road_ok", "vr_ok", "vr_n", "helper_ok",
         "poor_villages", "team_ok", "visits", "paired", "mm", "mm_met", "alerts", "hh_base", "plans_ok",
         "measures_due", "measures_on_time")

# Parts by name, one array entry per unit (compute.py); a formula gives (numerator, denominator, value) arrays,
# the value NaN where it cannot be made (nothing to divide by) — stored as None, never as 0.
Parts = Mapping[str, np.ndarray]
Result = tuple[np.ndarray, np.ndarray | None, np.ndarray]
Formula = Callable[[Parts], Result]


def _f(p: Parts, name: str) -> np.ndarray:
    return np.asarray(p[name], dtype=np.float64)


def _div(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    ok = d != 0
    return np.where(ok, n / np.where(ok, d, 1.0), np.nan)


def _count(part: str) -> Formula:
    def f(p: Parts) -> Result:
        n = _f(p, part)
        return n, None, n
    return f


def _ratio(num: str, den: str, scale: float = 1.0) -> Formula:
    def f(p: Parts) -> Result:
        n, d = _f(p, num), _f(p, den)
        return n, d, _div(n, d) * scale
    return f


def _reduction(p: Parts) -> Result:
    start, end = _f(p, "poor_start"), _f(p, "poor_end")
    return start - end, start, _div(start - end, start)


def _mean(p: Parts) -> Result:
    total, n = _f(p, "inc_sum") / 100, _f(p, "inc_n")
    return total, n, _div(total, n)


def _growth(p: Parts) -> Result:
    now = _div(_f(p, "inc_sum") / 100, _f(p, "inc_n"))
    before = _div(_f(p, "inc_prev_sum") / 100, _f(p, "inc_prev_n"))
    usable = ~np.isnan(now) & ~np.isnan(before) & (before != 0)
    return now, before, np.where(usable, _div(now, np.where(usable, before, 1.0)) - 1, np.nan)


def _median(p: Parts) -> Result:
    raise AssertionError("the median is made from the households' values (compute.medians), not from parts")


@dataclass(frozen=True)
class Indicator:
    code: str
    zh: str
    en: str
    units: tuple[str, ...]
    direction: str  # "higher" or "lower" is better
    definition_zh: str
    definition_en: str
    needs: str  # the module whose data it reads ("register", "teams", "plans", … or a module still to come)
    formula: Formula | None = None  # None: no data until `needs` brings it
    no_data_reason: str = ""
    period: str = "year"
    kind: str = "ratio"  # count, ratio, mean, growth, median, estimate
    # The third-party evaluation's rate this indicator is (jingzhun.assessment.evaluated), "" for the others.
    evaluation_rate: str = ""

    @property
    def available(self) -> bool:
        """A value can exist: made from the parts, or estimated by the evaluation (still None where none covers
        the unit)."""
        return self.formula is not None or bool(self.evaluation_rate)

    def describe(self) -> dict[str, Any]:
        return {"code": self.code, "zh": self.zh, "en": self.en, "units": list(self.units), "period": self.period,
                "direction": self.direction, "definition_zh": self.definition_zh,
                "definition_en": self.definition_en, "needs": self.needs, "available": self.available,
                "no_data_reason": self.no_data_reason, "kind": self.kind, "evaluation_rate": self.evaluation_rate}


AREAS = AREA_LEVELS
TEAM = ("work_team",)
CADRE = ("cadre",)


def _i(code: str, zh: str, en: str, units: tuple[str, ...], direction: str, dzh: str, den: str, needs: str,
       formula: Formula | None, kind: str = "ratio", reason: str = "") -> Indicator:
    return Indicator(code, zh, en, units, direction, dzh, den, needs, formula, reason, kind=kind)


_NO_EVAL = ("第三方评估按县抽样估计：村、乡镇不估计；县及以上须有本年度覆盖该地区且结论已全部录入的评估，否则无数据 / "
            "the third-party evaluation estimates counties and above, not villages or townships: no data unless "
            "an evaluation of the year covers the area and all its findings are recorded")


def _evaluated(code: str, zh: str, en: str, direction: str, dzh: str, den: str, rate: str) -> Indicator:
    return Indicator(code, zh, en, AREAS, direction, dzh, den, "evaluation", None, _NO_EVAL, kind="estimate",
                     evaluation_rate=rate)


_EVAL_DEF = ("本年度最新一次抽中该县（市、省：覆盖其全境）的第三方评估的分层整群加权估计，须结论全部录入",
             "the weighted stratified cluster estimate of the latest third-party evaluation of Y that sampled the "
             "county (a city or province: that covers all of it), once all its findings there are recorded")
CATALOGUE: tuple[Indicator, ...] = (
    _i("poor_households_start", "年初建档立卡贫困户数", "registered poor households at the start of the year", AREAS,
       "lower", "上年末状态为贫困户、返贫户（2021年起含监测对象）的户数", "households whose status at the end of "
       "Y−1 was poor or returned (and monitored from 2021)", "register", _count("poor_start"), "count"),
    _i("poor_households_end", "年末建档立卡贫困户数", "registered poor households at the end of the year", AREAS,
       "lower", "本年末状态为贫困户、返贫户（2021年起含监测对象）的户数", "households whose status at the end of Y "
       "was poor or returned (and monitored from 2021)", "register", _count("poor_end"), "count"),
    _i("poverty_incidence", "贫困发生率", "poverty incidence", AREAS, "lower",
       "年末贫困人口 ÷ 农村人口；贫困人口为年末贫困户的现有成员数；农村人口取该村本年村情总人口（大于0时），"
       "否则取该村全部登记户的成员数",
       "members of the households poor at the end of Y ÷ rural population: the village record's population of "
       "Y where it is above 0, else the members of all the village's registered households", "register",
       _ratio("poor_pop_end", "population")),
    _i("poor_reduction_rate", "贫困户减少率", "reduction of poor households", AREAS, "higher",
       "（年初贫困户数 − 年末贫困户数）÷ 年初贫困户数", "(start − end) ÷ start, in registered poor households",
       "register", _reduction),
    _i("exited_households", "脱贫户数", "households exited", AREAS, "higher",
       "上年末为贫困户或返贫户、本年末为已脱贫的户数（状态变化）", "households poor or returned at the end of Y−1 "
       "and exited at the end of Y (status events)", "register", _count("exited"), "count"),
    _i("returned_households", "返贫户数", "households returned to poverty", AREAS, "lower",
       "本年末为返贫、上年末不是返贫的户数（状态变化）", "households returned at the end of Y that were not at "
       "the end of Y−1 (status events)", "register", _count("returned"), "count"),
    _i("income_mean", "贫困户和监测户人均纯收入均值", "mean per-capita net income of poor and monitored households",
       AREAS, "higher", "年末为贫困户、返贫户或监测对象且有本年收入记录的户，各户人均纯收入（元）的平均数",
       "the mean over households poor, returned or monitored at the end of Y with an income record of Y of "
       "their per-capita net income (yuan)", "register", _mean, "mean"),
    _i("income_median", "贫困户和监测户人均纯收入中位数", "median per-capita net income of poor and monitored "
       "households", AREAS, "higher", "同上各户人均纯收入的中位数（偶数户取中间两户的平均）",
       "the median of the same households' per-capita net incomes (even count: the mean of the middle two)",
       "register", _median, "median"),
    _i("income_growth", "人均纯收入增长率", "growth of per-capita net income", (*AREAS, *CADRE), "higher",
       "本年人均纯收入均值 ÷ 上年均值 − 1（上年按上年末的贫困户和监测户；干部：其结对户本年与上年）",
       "income_mean of Y ÷ income_mean of Y−1 − 1 (Y−1 over the households poor or monitored at its end; a "
       "cadre: their households paired in Y, in Y and in Y−1)", "register", _growth, "growth"),
    _i("safe_housing_share", "住房安全有保障比例", "share with safe housing", AREAS, "higher",
       "年末贫困户中“住房安全有保障”为是的比例（登记户的现有字段）",
       "share of the households poor at the end of Y whose record says housing is secured (the household's "
       "current field)", "register", _ratio("housing_ok", "poor_end")),
    _i("safe_water_share", "饮水安全有保障比例", "share with safe water", AREAS, "higher",
       "年末贫困户中“饮水安全有保障”为是的比例", "share of the households poor at the end of Y whose record says "
       "drinking water is secured", "register", _ratio("water_ok", "poor_end")),
    _i("road_share", "入户路硬化比例", "share with a hardened road", AREAS, "higher",
       "年末贫困户中入户路为硬化路的比例", "share of the households poor at the end of Y with a hardened road to "
       "the house", "register", _ratio("road_ok", "poor_end")),
    _i("village_infrastructure", "村基础设施达标比例", "villages with road, water and clinic", AREAS, "higher",
       "有本年村情的村中，同时通硬化路、通自来水、有标准化卫生室的村的比例（无村情则无数据）",
       "share of the villages with a village record of Y whose record shows a hardened road, tap water and a "
       "clinic (no record: no data)", "areas", _ratio("vr_ok", "vr_n")),
    _i("helper_coverage", "帮扶责任人覆盖率", "helper coverage", (*AREAS, *TEAM), "higher",
       "年末贫困户中年末有在结对帮扶人的比例（工作队：其所在村）", "share of the households poor at the end of Y "
       "with a helper pair active on 31 December (a work team: its village's)", "teams",
       _ratio("helper_ok", "poor_end")),
    _i("team_coverage", "驻村工作队覆盖率", "work-team coverage", AREAS, "higher",
       "贫困村中12月31日有在岗队员不少于3人的工作队的比例（同工作队人数规则）",
       "share of poor villages with a team of at least the rule's members (3) serving on 31 December (the "
       "team-size rule)", "teams", _ratio("team_ok", "poor_villages")),
    _i("visits_per_household", "户均走访次数", "visits per paired household", (*AREAS, *TEAM, *CADRE), "higher",
       "本年走访次数 ÷ 本年内曾结对的户数（地区按走访所在村；干部按本人）",
       "visits in Y ÷ households with a helper pair at some time in Y (areas: by the visit's village; a cadre: "
       "their own visits and households)", "teams", _ratio("visits", "paired")),
    _i("residence_days_met", "驻村天数达标率", "residence rule met", (*AREAS, *TEAM), "higher",
       "本年已结束的整月中，工作队员驻村满20天的“队员·月”所占比例（同驻村天数规则）",
       "share of the work-team member-months of Y (whole months covered by the membership, ended by the time "
       "computed) with at least 20 attendance days in the team's village (the residence rule)", "teams",
       _ratio("mm_met", "mm")),
    _i("alerts_per_100", "每百户督查预警数", "supervision alerts per 100 households", (*AREAS, *TEAM, *CADRE),
       "lower", "本年预警数 ×100 ÷ 年末贫困户数（干部：本年结对户数）；预警为：年末超过30天未走访的户、同一分钟多户"
       "走访、驻村天数不足的队员·月", "alerts of Y × 100 ÷ households poor at the end of Y (a cadre: households "
       "paired in Y); the alerts: households not visited in the last 30 days of Y, one helper at several "
       "households in one minute, member-months below the residence rule", "teams",
       _ratio("alerts", "hh_base", 100.0)),
    _i("plans_approved_share", "帮扶计划审核通过率", "share with an approved help plan", (*AREAS, *TEAM, *CADRE),
       "higher", "年末贫困户中有本年已审核帮扶计划的比例（干部：本年结对户）", "share of the households poor at "
       "the end of Y with an approved help plan of Y (a cadre: their households paired in Y)", "plans",
       _ratio("plans_ok", "hh_base")),
    _i("measures_on_time", "帮扶措施按期完成率", "measures completed on time", (*AREAS, *TEAM, *CADRE), "higher",
       "计划完成日期在本年内的措施（不含已取消）中，已完成且完成日期不晚于计划日期的比例",
       "share of the plan measures due in Y (not cancelled) that are done by their due date", "plans",
       _ratio("measures_on_time", "measures_due")),
    _evaluated("exit_error_rate", "错退率", "wrong exits", "lower", "已脱贫户中被第三方评估核实为错误退出的比例：" +
               _EVAL_DEF[0], "share of the exited households found wrongly exited: " + _EVAL_DEF[1], "wrongly_exited"),
    _evaluated("missed_rate", "漏评率", "missed households", "lower", "非建档立卡户中被第三方评估认定应纳未纳的比例："
               + _EVAL_DEF[0], "share of the never-registered households found poor (missed): " + _EVAL_DEF[1],
               "missed_poor"),
    _evaluated("satisfaction", "群众认可度", "satisfaction", "higher", "抽样户中认可帮扶和退出工作的比例：" +
               _EVAL_DEF[0], "share of the sampled households satisfied with the help and the exits: " + _EVAL_DEF[1],
               "satisfied"),
    _i("funds_disbursed_share", "扶贫资金拨付率", "share of poverty funds disbursed", (*AREAS,), "higher",
       "已拨付扶贫资金 ÷ 下达资金", "poverty funds disbursed ÷ allocated", "funds", None,
       reason="扶贫资金模块尚未接入：没有资金数据 / no data until the fund module brings its ledger"),
)
BY_CODE: dict[str, Indicator] = {i.code: i for i in CATALOGUE}


def indicator(code: str) -> Indicator:
    try:
        return BY_CODE[code]
    except KeyError:
        raise ValueError(f"未知指标 {code} / unknown indicator {code}") from None


def for_unit(unit_type: str) -> list[Indicator]:
    if unit_type not in UNIT_TYPES:
        raise ValueError(f"未知考核对象类型 {unit_type} / unknown unit type {unit_type}")
    return [i for i in CATALOGUE if unit_type in i.units]
