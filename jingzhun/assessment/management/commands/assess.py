"""jingzhun assess compute|refresh|show|submit|approve|return|score|shortlist|flags: indicator snapshots, their
sign-off, scoring runs under a scheme, the promotion shortlist and the accountability flags."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from jingzhun.assessment import flags, scoring_runs, shortlist, signoff, snapshots
from jingzhun.assessment.catalogue import UNIT_TYPES
from jingzhun.core.operator import acting_user, add_operator_arguments
from jingzhun.identification.engines import ENGINES, EngineUnavailable

# A version writes only the values that changed (jingzhun.assessment.snapshots.changes).
WRITTEN = "个值写入（未变的值沿用上一版）/ values written (unchanged values carry over)"


class Command(BaseCommand):
    help = "考核指标：计算、刷新、查看、报送与审核 / Assessment indicators: compute, refresh, show, sign off"

    def add_arguments(self, parser: Any) -> None:
        add_operator_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        comp = sub.add_parser("compute", help="计算全部指标（新版本）/ compute every indicator as a new version")
        comp.add_argument("--year", type=int, required=True)
        comp.add_argument("--engine", default="duckdb", choices=ENGINES)
        comp.add_argument("--area", help="区划代码 / area code (its subtree)")
        ref = sub.add_parser("refresh", help="刷新一个村及其上级 / refresh one village and its ancestors")
        ref.add_argument("--village", required=True)
        ref.add_argument("--year", type=int, required=True)
        show = sub.add_parser("show", help="查看指标值 / show values")
        show.add_argument("--year", type=int, required=True)
        show.add_argument("--unit-type", default="county", choices=UNIT_TYPES)
        show.add_argument("--area")
        show.add_argument("--version", type=int)
        for name in ("submit", "approve", "return"):
            p = sub.add_parser(name, help={"submit": "乡镇报送 / a township submits", "approve": "审核通过 / approve",
                                           "return": "退回（须说明原因）/ return with a reason"}[name])
            p.add_argument("--township", required=True)
            p.add_argument("--year", type=int, required=True)
            if name != "submit":
                p.add_argument("--level", required=True, choices=signoff.APPROVAL_LEVELS)
            if name == "return":
                p.add_argument("--reason", required=True)
        score = sub.add_parser("score", help="按方案评分 / score under a scheme")
        score.add_argument("--scheme", required=True, help="file:helper.toml 或 upload:12 / file:NAME or upload:ID")
        score.add_argument("--year", type=int, required=True)
        score.add_argument("--area", help="区划代码 / area code (its subtree)")
        sub.add_parser("shortlist", help="提拔推荐名单 / the promotion shortlist")
        fl = sub.add_parser("flags", help="问责提示 / accountability flags")
        fl.add_argument("--year", type=int, required=True)

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            user = acting_user(opts["user"], opts["actor"])
            getattr(self, "do_" + opts["action"])(user, opts)
        except (LookupError, ValueError, EngineUnavailable) as exc:
            raise CommandError(str(exc)) from None

    def _needs_operator(self, user: object) -> None:
        # Computing writes every area's figures: the console operator's job, not a scoped user's.
        if not getattr(user, "is_superuser", False):
            raise CommandError("计算由系统操作员运行（不带 --user）/ computations are run by the operator (no --user)")

    def do_compute(self, user: object, opts: dict[str, Any]) -> None:
        self._needs_operator(user)
        snap = snapshots.compute(opts["year"], engine=opts["engine"], area=opts["area"], actor=str(user))
        self.stdout.write(f"{snap.period} 第 {snap.version} 版 / version {snap.version}: {snap.units} 个考核对象 units, "
                          f"{snap.rows} {WRITTEN}, {snap.seconds:.2f} s ({snap.engine})")

    def do_refresh(self, user: object, opts: dict[str, Any]) -> None:
        self._needs_operator(user)
        snap = snapshots.refresh(opts["village"], opts["year"], actor=str(user))
        self.stdout.write(f"{snap.period} 第 {snap.version} 版 / version {snap.version}: {snap.rows} {WRITTEN}, "
                          f"{snap.seconds:.2f} s")

    def do_show(self, user: object, opts: dict[str, Any]) -> None:
        qs = snapshots.values(opts["unit_type"], opts["year"], opts["area"], opts["version"], user=user)
        for unit, table in snapshots.as_table(qs).items():
            shown = ", ".join(f"{k}={'无数据/no data' if v is None else round(v, 4)}" for k, v in sorted(table.items()))
            self.stdout.write(f"{unit}: {shown}")

    def do_submit(self, user: object, opts: dict[str, Any]) -> None:
        s = signoff.submit(user, opts["township"], opts["year"])
        self.stdout.write(f"{s.township} {s.period}: 已报送第 {s.version} 版 / submitted version {s.version}")

    def do_approve(self, user: object, opts: dict[str, Any]) -> None:
        s = signoff.approve(user, opts["township"], opts["year"], opts["level"])
        self.stdout.write(f"{s.township} {s.period}: {s.level} 审核通过 / approved (version {s.version})")

    def do_return(self, user: object, opts: dict[str, Any]) -> None:
        s = signoff.send_back(user, opts["township"], opts["year"], opts["level"], opts["reason"])
        self.stdout.write(f"{s.township} {s.period}: 已退回 / returned: {s.reason}")

    def do_score(self, user: object, opts: dict[str, Any]) -> None:
        scoped = None if getattr(user, "is_superuser", False) else user
        run = scoring_runs.run(opts["scheme"], opts["year"], opts["area"], user=scoped, actor=str(user))
        self.stdout.write(f"评分批次 / run {run.pk}: {run.scheme_name} {run.year}, {run.units} 个考核对象 units")
        for r in scoring_runs.results(run, scoped):
            self.stdout.write(f"{r.rank}\t{r.unit}\t{r.total:.2f}\t{r.grade or '—'}")

    def do_shortlist(self, user: object, opts: dict[str, Any]) -> None:
        scoped = None if getattr(user, "is_superuser", False) else user
        for h in shortlist.shortlist(scoped):
            years = ", ".join(f"{s.year} {s.grade}" for s in h.scored)
            self.stdout.write(f"{h.cadre.pk}\t{h.cadre.name}\t{h.years:.1f} 年 years\t{years}")

    def do_flags(self, user: object, opts: dict[str, Any]) -> None:
        scoped = None if getattr(user, "is_superuser", False) else user
        for f in flags.flags(opts["year"], scoped):
            self.stdout.write(f"{f.run.unit_type}\t{f.result.unit}\t{f.result.total:.2f}\t{f.result.grade or '—'}"
                              f"\t{', '.join(f.reasons)}")
