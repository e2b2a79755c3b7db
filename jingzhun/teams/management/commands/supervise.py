from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jingzhun.teams import rules, supervision
from jingzhun.teams.config import SupervisionConfig
from jingzhun.teams.export import write_alerts_xlsx


def _month(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"{text}: 月份应为 YYYY-MM / a month as YYYY-MM") from None


class Command(BaseCommand):
    help = "督查预警（附证据）/ Supervision alerts with evidence, printed and optionally exported to XLSX"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--area", required=True, help="区划代码 / area code (its whole subtree is checked)")
        parser.add_argument("--days", type=int, help="超过多少天未走访 / days without a visit (default 30)")
        parser.add_argument("--as-of", help="检查时点 YYYY-MM-DD（当天结束）/ check as of the end of this day")
        parser.add_argument("--since", help="只看此日期之后的走访 / only visits from this date")
        parser.add_argument("--month", help="驻村天数月份 YYYY-MM（默认上月）/ residence month (default last month)")
        parser.add_argument("--kind", action="append", choices=list(supervision.KINDS), help="只看某类 / only these")
        parser.add_argument("--rules", action="store_true", help="同时列出工作队规则检查 / also team-rule findings")
        parser.add_argument("--xlsx", help="导出到 Excel 文件 / export to this .xlsx file")
        parser.add_argument("--limit", type=int, default=50, help="每类最多打印条数 / rows printed per kind")
        parser.add_argument("--actor", default="cli")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            config = SupervisionConfig.from_env(visit_days=opts["days"])
        except ValueError as e:
            raise CommandError(str(e)) from None
        as_of = timezone.now()
        if opts["as_of"]:
            day = dt.date.fromisoformat(opts["as_of"])
            as_of = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))
        since = None
        if opts["since"]:
            since = timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(opts["since"]), dt.time()))
        try:
            window = supervision.window_for(opts["area"], as_of=as_of, since=since)
        except ValueError as e:
            raise CommandError(str(e)) from None
        if opts["month"]:
            window.first_month = window.last_month = _month(opts["month"])
        found = supervision.alerts(window, config, opts["kind"])
        by_kind: dict[str, list[supervision.Alert]] = {}
        for a in found:
            by_kind.setdefault(a.kind, []).append(a)
        for kind, label in supervision.KINDS.items():
            if opts["kind"] and kind not in opts["kind"]:
                continue
            items = by_kind.get(kind, [])
            mark = "✓" if not items else "⚠"
            self.stdout.write(f"{mark} {label}: {len(items)}")
            for a in items[: opts["limit"]]:
                self.stdout.write(f"    [{a.area}] {a.subject} — {a.summary}")
                self.stdout.write(f"        证据 / evidence: {a.evidence}")
            if len(items) > opts["limit"]:
                self.stdout.write(f"    … 另有 {len(items) - opts['limit']} 条 / more")
        if opts["rules"]:
            today = timezone.localtime(as_of).date()
            for f in rules.team_size(today, window.root, None, config) + rules.term(window.root, None, config) \
                    + rules.recall(window.root, None, config):
                self.stdout.write(f"⚠ {rules.RULES[f.rule]} [{f.village} {f.village_name}] {f.subject} — {f.summary}")
        if opts["xlsx"]:
            write_alerts_xlsx(found, opts["xlsx"], actor=opts["actor"], scope=opts["area"])
            self.stdout.write(f"已导出 / exported {len(found)} 条 → {opts['xlsx']}")
        self.stdout.write(f"合计 / total: {len(found)}")
