"""jingzhun appraisal overdue|notice|history|diff|quota: the appraisal-and-notice workflow's reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from jingzhun.appraisal import deadlines, notices, yearly
from jingzhun.appraisal.models import STATE, Application, Notice
from jingzhun.core.operator import acting_user, add_operator_arguments, day_of


class Command(BaseCommand):
    help = "评议公示：超期清单、打印公示、办理记录、年度动态调整、规模控制 / Appraisal and notice reports"

    def add_arguments(self, parser: Any) -> None:
        add_operator_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        overdue = sub.add_parser("overdue", help="超期清单 / overdue applications")
        overdue.add_argument("--area", help="区划代码 / area code (its whole subtree)")
        overdue.add_argument("--today", help="以该日为准 YYYY-MM-DD / as of this day")
        for state in deadlines.DEFAULT_LIMITS:
            overdue.add_argument(f"--{state.replace('_', '-')}-days", type=int, dest=f"limit_{state}",
                                 help=f"{state} 的期限（天）/ days allowed")
        notice = sub.add_parser("notice", help="打印公示 / print a notice (HTML or XLSX by the file's suffix)")
        notice.add_argument("--id", type=int, required=True)
        notice.add_argument("--out", required=True)
        history = sub.add_parser("history", help="办理记录 / an application's steps")
        history.add_argument("--id", type=int, required=True)
        diff = sub.add_parser("diff", help="年度动态调整 / this year's identification against last year's")
        diff.add_argument("--year", type=int, required=True)
        diff.add_argument("--area")
        diff.add_argument("--level", default="county", choices=["province", "city", "county", "township", "village"])
        diff.add_argument("--list", action="store_true", help="同时列出各户 / also list the households")
        quota = sub.add_parser("quota", help="规模控制 / check the policy's area quotas")
        quota.add_argument("--policy", required=True, help="政策文件 / policy TOML file")
        quota.add_argument("--year", type=int, help="默认取政策年度 / default: the policy's year")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            user = acting_user(opts["user"], opts["actor"])
            getattr(self, "do_" + opts["action"])(user, opts)
        except (LookupError, ValueError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None

    def do_overdue(self, user: object, opts: dict[str, Any]) -> None:
        overrides = {k: opts[f"limit_{k}"] for k in deadlines.DEFAULT_LIMITS if opts.get(f"limit_{k}") is not None}
        items = deadlines.overdue(user, today=day_of(opts["today"]), area=opts["area"], overrides=overrides)
        for o in items:
            self.stdout.write(f"{o.application_id:>6}  {o.household_number}  {o.village}  {o.description}  "
                              f"（自 {o.since} 起，期限 {o.limit_days} 天）")
        self.stdout.write(f"共 {len(items)} 件超期 / {len(items)} overdue")

    def do_notice(self, user: object, opts: dict[str, Any]) -> None:
        notice = Notice.objects.select_related("village__parent__parent").filter(pk=opts["id"]).first()
        if notice is None:
            raise CommandError(f"公示 {opts['id']} 不存在 / no notice {opts['id']}")
        out = Path(opts["out"])
        if out.suffix.lower() == ".xlsx":
            notices.write_xlsx(notice, out, user)
        else:
            out.write_text(notices.render_html(notice, user), encoding="utf-8")
        self.stdout.write(f"已输出 / written: {out}")

    def do_history(self, user: object, opts: dict[str, Any]) -> None:
        from jingzhun import access

        app = access.scope(Application.objects.all(), user, "village_id").filter(pk=opts["id"]).first()
        if app is None:
            raise CommandError(f"申请 {opts['id']} 不存在或不在您的管辖范围 / no application {opts['id']} in your areas")
        self.stdout.write(f"申请 {app.pk}  户 {app.household.number}  {app.year} 年  当前：{STATE.zh(app.state)}")
        for step in app.steps.all():
            before = STATE.zh(step.from_state) if step.from_state else "—"
            self.stdout.write(f"  {step.on}  {step.action:<16} {before} → {STATE.zh(step.to_state)}  {step.actor}  {step.reason}")

    def do_diff(self, user: object, opts: dict[str, Any]) -> None:
        result = yearly.difference(opts["year"], user, area=opts["area"], level=opts["level"])
        labels = [(code, zh) for code, zh, _ in yearly.CHANGES]
        self.stdout.write("区划代码        " + "  ".join(zh for _, zh in labels))
        for code, counts in sorted(result.counts.items()):
            self.stdout.write(f"{code}    " + "  ".join(f"{counts.get(c, 0):>4}" for c, _ in labels))
        self.stdout.write("合计 / total    " + "  ".join(f"{result.total(c):>4}" for c, _ in labels))
        if opts["list"]:
            for change, zh in labels:
                for number, village, before, now in result.households.get(change, []):
                    self.stdout.write(f"  {zh}  {number}  {village}  {before or '—'} → {now}")

    def do_quota(self, user: object, opts: dict[str, Any]) -> None:
        from jingzhun.policy.loading import load_policy

        policy = load_policy(opts["policy"])
        if not policy.quotas:
            self.stdout.write(f"{policy.name} 未设配额 / the policy sets no quotas")
            return
        try:
            lines = yearly.quota_report(dict(policy.quotas), opts["year"] or policy.year, user)
        except ValueError as error:  # a quota area missing from the area table: say which, no traceback
            raise CommandError(f"{opts['policy']}: {error}") from error
        for line in lines:
            self.stdout.write(("超出 " if line.over else "     ") + line.message)
        if len(lines) < len(policy.quotas):
            hidden = len(policy.quotas) - len(lines)
            self.stdout.write(f"另有 {hidden} 个配额区域不在您的管辖范围内，未列出 / {hidden} quota areas outside "
                              "your areas are not listed")
        over = yearly.exceeded(lines)
        if over:
            raise CommandError(f"{len(over)} 个地区超出配额 / {len(over)} areas over their quota")
