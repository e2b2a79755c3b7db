"""The standard set of statistical report tables (建档立卡统计报表): each table's title, its multi-row header and
the figure under each column. The figures come from `counts`; this module only lays them out.

A column is a path of header labels from the top header row down (a shorter path's last label spans the rows
below it; equal labels side by side under the same parent are one merged cell), the key of its figure, and
optionally the key it is a share of (a percentage, computed from the row's own figures, the total row's from
the totals). Every label is (中文, English): the workbook follows the page's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from jingzhun import choices as c
from jingzhun.areas.models import Area
from jingzhun.monitoring.kinds import KIND
from jingzhun.reports import counts

Label = tuple[str, str]
HOUSEHOLDS: Label = ("户数", "households")
PEOPLE: Label = ("人数", "people")


@dataclass(frozen=True)
class Column:
    path: tuple[Label, ...]
    key: str
    share_of: str = ""  # when set: this column is key ÷ share_of, as a percentage


@dataclass(frozen=True)
class Table:
    code: str
    number: str  # the form's number, printed under the title (表1 …)
    title: Label
    note: Label  # the definitions the figures follow (统计口径)
    columns: tuple[Column, ...]
    count: Callable[[object, Area, int, int], counts.Figures]
    # Every figure is a count or sum over rows that fall in exactly one child: the total row is the sum of the
    # groups. False where a figure counts distinct people (a helper of two townships is one helper in the total).
    additive: bool = True
    # The statements whose figures, merged, are `count`'s, when a table shares one with another (table 4 takes
    # table 1's): a workbook of both counts it once (`fill`).
    parts: tuple[Callable[[object, Area, int, int], counts.Figures], ...] = ()


def both(top: Label, prefix: str) -> tuple[Column, ...]:
    """Households and people under one heading: the `{prefix}_h` and `{prefix}_p` figures."""
    return Column((top, HOUSEHOLDS), f"{prefix}_h"), Column((top, PEOPLE), f"{prefix}_p")


SCALE = Table(
    "scale", "表1", ("贫困人口规模及变化表", "Poor population and its changes"),
    ("年初、年末按当年年末前最近一次户状态计；新识别、返贫、脱贫同动态调整口径；人数为现登记家庭成员数。",
     "Start and end of year: each household's latest status of the year before or of the year; newly identified, "
     "returned and exited as the yearly adjustment counts them; people are the members registered now."),
    (*both(("年初贫困人口", "poor at the start of the year"), "start"),
     *both(("本年新识别", "newly identified"), "new"),
     *both(("本年返贫", "returned to poverty"), "returned"),
     *both(("本年脱贫", "exited"), "exited"),
     *both(("年末贫困人口", "poor at the end of the year"), "end"),
     *both(("年末监测对象", "monitored at the end of the year"), "monitored")),
    counts.scale)

CAUSES = Table(
    "causes", "表2", ("致贫原因构成表", "Main causes of poverty"),
    ("年末贫困户（贫困户、返贫户）按主要致贫原因分组。",
     "Households poor at the end of the year (poor or returned), by their main cause."),
    (*both(("合计", "all causes"), "all"),
     *(col for code, zh, en in c.CAUSE.values for col in both((zh, en), code))),
    counts.causes)

COVERAGE = Table(
    "coverage", "表3", ("帮扶责任人与驻村工作队覆盖表", "Helpers and village work teams"),
    ("截至当年12月31日在岗的结对、工作队和队员；需帮扶户为年末贫困户、返贫户和监测对象。",
     "Pairs, teams and team members in place on 31 December; households needing a helper are those poor, "
     "returned or monitored at the end of the year."),
    (Column((("结对帮扶", "helper pairing"), ("需帮扶户数", "households needing a helper")), "need"),
     Column((("结对帮扶", "helper pairing"), ("已落实帮扶责任人户数", "households with a helper")), "helped"),
     Column((("结对帮扶", "helper pairing"), ("覆盖率（%）", "coverage (%)")), "helped", share_of="need"),
     Column((("结对帮扶", "helper pairing"), ("帮扶责任人数", "helpers")), "helpers"),
     Column((("驻村工作队", "village work teams"), ("贫困村数", "poor villages")), "poor_villages"),
     Column((("驻村工作队", "village work teams"), ("已派驻工作队村数", "villages with a team")), "teamed"),
     Column((("驻村工作队", "village work teams"), ("覆盖率（%）", "coverage (%)")), "teamed", share_of="poor_villages"),
     Column((("驻村工作队", "village work teams"), ("驻村干部人数", "team members")), "team_cadres")),
    counts.coverage, additive=False)

EXITS = Table(
    "exits", "表4", ("脱贫退出情况表", "Exits from poverty"),
    ("本年脱贫同动态调整口径；累计脱贫为年末户状态为已脱贫；贫困村出列、贫困县摘帽按登记的出列（摘帽）年度。",
     "Exited in the year as the yearly adjustment counts them; exited in all: status exited at the end of the year; "
     "villages and counties by their registered exit year."),
    (*both(("本年脱贫", "exited in the year"), "exited"),
     *both(("累计脱贫", "exited by the end of the year"), "exited_total"),
     Column((("贫困村", "poor villages"), ("总数", "in all")), "villages"),
     Column((("贫困村", "poor villages"), ("本年出列", "exited in the year")), "villages_exited"),
     Column((("贫困村", "poor villages"), ("累计出列", "exited by the end of the year")), "villages_exited_total"),
     Column((("贫困县", "poor counties"), ("总数", "in all")), "counties"),
     Column((("贫困县", "poor counties"), ("本年摘帽", "exited in the year")), "counties_exited"),
     Column((("贫困县", "poor counties"), ("累计摘帽", "exited by the end of the year")), "counties_exited_total")),
    counts.exits, parts=(counts.scale, counts.exit_areas))

MONITORING = Table(
    "monitoring", "表5", ("防返贫监测对象情况表", "Households monitored for return to poverty"),
    ("当年纳入监测的户（监测年度为当年且已纳入），按监测对象类型；风险消除按该年度监测案件的环节。",
     "Households taken into monitoring with a case of the year, by kind; risk eliminated by that case's state."),
    (*both(("纳入监测合计", "monitored in all"), "all"),
     *(col for code, zh, en in KIND.values for col in both((zh, en), code)),
     *both(("已消除风险", "risk eliminated"), "eliminated"),
     *both(("未消除风险", "risk not yet eliminated"), "open")),
    counts.monitoring)

TABLES: dict[str, Table] = {t.code: t for t in (SCALE, CAUSES, COVERAGE, EXITS, MONITORING)}
