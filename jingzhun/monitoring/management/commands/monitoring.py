"""jingzhun monitoring screen|overdue|list|rules: return-to-poverty monitoring from the console."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from jingzhun.core.operator import acting_user, add_operator_arguments, day_of
from jingzhun.monitoring import calendar, layered, overdue, policy, screening
from jingzhun.monitoring.kinds import TRIGGER


class Command(BaseCommand):
    help = "防返贫动态监测：排查、超期预警、分层分类清单、政策 / Return-to-poverty monitoring"

    def add_arguments(self, parser: Any) -> None:
        add_operator_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        screen = sub.add_parser("screen", help="批量排查 / screen households against the policy's triggers")
        screen.add_argument("--year", type=int, required=True, help="收入年度 / the income year screened")
        screen.add_argument("--area", help="区划代码 / area code (its whole subtree)")
        screen.add_argument("--today", help="发现日期 YYYY-MM-DD / the day found (deadlines count from it)")
        late = sub.add_parser("overdue", help="超期清单 / cases past their deadline")
        late.add_argument("--area")
        late.add_argument("--today")
        one = sub.add_parser("list", help="县级分层分类帮扶对象清单 / the county's one list")
        one.add_argument("--county", required=True, help="县级区划代码 / the county's 12-digit code")
        rules = sub.add_parser("rules", help="某地某年的监测政策 / the monitoring rules of an area and year")
        rules.add_argument("--area", required=True)
        rules.add_argument("--year", type=int, required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            user = acting_user(opts["user"], opts["actor"])
            getattr(self, "do_" + opts["action"])(user, opts)
        except (LookupError, ValueError, PermissionDenied, PermissionError) as exc:
            raise CommandError(str(exc)) from None

    def do_screen(self, user: object, opts: dict[str, Any]) -> None:
        result = screening.screen(opts["year"], today=day_of(opts["today"]), actor=str(user), user=user,
                                  area=opts["area"])
        for code, n in sorted(result.found.items()):
            self.stdout.write(f"  {TRIGGER.zh(code)}：{n} 户 / {code}: {n}")
        self.stdout.write(f"发现 {result.households} 户，新立案 {result.new_cases} 件，新增触发记录 {result.new_triggers} 条 / "
                          f"{result.households} households found, {result.new_cases} new cases, "
                          f"{result.new_triggers} new triggers")
        for year in result.uncovered_years:
            self.stderr.write(f"注意：节假日文件不含 {year} 年，按周一至周五计算工作日 / the holiday calendar lacks {year}: "
                              "working days are Monday to Friday")

    def do_overdue(self, user: object, opts: dict[str, Any]) -> None:
        today = day_of(opts["today"])
        items = overdue.overdue(user, today=today, area=opts["area"])
        for o in items:
            self.stdout.write(f"{o.case_id:>6}  {o.household_number}  {o.village}  {o.description}")
        self.stdout.write(f"共 {len(items)} 件超期 / {len(items)} overdue")
        if not calendar.official().covers(today.year):
            self.stderr.write(f"注意：节假日文件不含 {today.year} 年 / the holiday calendar lacks {today.year}")

    def do_list(self, user: object, opts: dict[str, Any]) -> None:
        rows = layered.county_list(user, opts["county"])
        for r in rows:
            self.stdout.write(f"{r.number}  {r.village}  {'；'.join(r.reasons)}")
        self.stdout.write(f"共 {len(rows)} 户 / {len(rows)} households")

    def do_rules(self, user: object, opts: dict[str, Any]) -> None:
        r = policy.rules(opts["area"], opts["year"])
        self.stdout.write(f"监测范围 / line: {r.line} 元（{'已核实' if r.line_certain else '未核实'} / "
                          f"{'sourced' if r.line_certain else 'unverified'}）— {r.line_source}")
        self.stdout.write(f"核实 {r.check_days} 个工作日，认定 {r.decide_days} 个工作日 / check {r.check_days}, decide "
                          f"{r.decide_days} working days")
        self.stdout.write(f"刚性支出超过收入 {r.rigid_share} 倍（{', '.join(r.rigid_expenses)}）/ rigid share")
        self.stdout.write(f"风险消除：稳定 {r.stable_months} 个月，公示 {r.notice_days} 天 / elimination")
        self.stdout.write(f"文件 / files: {', '.join(r.files)}")
