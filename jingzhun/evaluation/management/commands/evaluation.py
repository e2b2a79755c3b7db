"""`jingzhun evaluation draw|import-frame|import-findings|results` — the third-party evaluation from the console."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from jingzhun.evaluation import design, draw, findings, frame_import, results
from jingzhun.evaluation.models import Evaluation
from jingzhun.tabular import command
from jingzhun.tabular.spec import FileProblem


class Command(BaseCommand):
    help = "第三方评估：抽样、导入评估结论、结果 / third-party evaluation: draw, import findings, results"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        d = sub.add_parser("draw", help="抽取样本 / draw a sample")
        d.add_argument("--area", required=True, help="评估范围（县级或以上）/ the area evaluated (county or above)")
        d.add_argument("--year", type=int, required=True)
        d.add_argument("--seed", type=int, required=True)
        d.add_argument("--name", default="")
        d.add_argument("--households-per-county", type=int, default=1000)
        d.add_argument("--households-per-village", type=int, default=20)
        d.add_argument("--exited-share", type=float, default=0.5)
        d.add_argument("--user", help="以该用户身份，仅限其管辖区划 / as this user, within their areas")
        d.add_argument("--actor", default="cli")
        fr = sub.add_parser("import-frame", help="导入非建档立卡户（抽样框）/ import never-registered households (the frame)")
        command.add_arguments(fr)
        f = sub.add_parser("import-findings", help="导入评估结论 / import findings")
        f.add_argument("evaluation", type=int)
        command.add_arguments(f)
        r = sub.add_parser("results", help="各县三率 / the county rates")
        r.add_argument("evaluation", type=int)

    def handle(self, *args: Any, **opts: Any) -> None:
        {"draw": self.draw, "import-frame": self.import_frame, "import-findings": self.import_findings,
         "results": self.results}[opts["action"]](opts)

    def draw(self, opts: dict[str, Any]) -> None:
        user = command.user_of(opts)
        try:
            sizes = design.Sizes(opts["households_per_county"], opts["households_per_village"], opts["exited_share"])
            found = draw.draw(name=opts["name"] or f"{opts['area']} {opts['year']}", year=opts["year"],
                              area_code=opts["area"], seed=opts["seed"], sizes=sizes, user=user,
                              actor=str(getattr(user, "username", user)))
        except (ValueError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"评估 / evaluation {found.pk}: {found.villages.count()} 村 villages, "
                          f"{found.households.count()} 户 households")

    def import_frame(self, opts: dict[str, Any]) -> None:
        user, mode = command.user_of(opts), command.mode_of(opts)
        try:
            outcome = frame_import.import_frame(opts["file"], actor=str(getattr(user, "username", user)), user=user,
                                                mode=mode)
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        self._summary(outcome, opts, mode)

    def _summary(self, outcome: Any, opts: dict[str, Any], mode: str) -> None:
        command.answer_problems(outcome.problems, opts, written=outcome.imported)
        counts = "，".join(f"{k} {v}" for k, v in outcome.counts().items())
        self.stdout.write(("校验完成，未写入 / checked, nothing written; 将会 / would: " if mode == "check" else
                           "已导入 / imported: ") + counts)

    def import_findings(self, opts: dict[str, Any]) -> None:
        user, mode = command.user_of(opts), command.mode_of(opts)
        found = Evaluation.objects.filter(pk=opts["evaluation"]).first()
        if found is None:
            raise CommandError(f"评估 {opts['evaluation']} 不存在 / no evaluation {opts['evaluation']}")
        try:
            outcome = findings.import_findings(found, opts["file"], actor=str(getattr(user, "username", user)),
                                               user=user, mode=mode)
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        self._summary(outcome, opts, mode)

    def results(self, opts: dict[str, Any]) -> None:
        found = Evaluation.objects.filter(pk=opts["evaluation"]).first()
        if found is None:
            raise CommandError(f"评估 {opts['evaluation']} 不存在 / no evaluation {opts['evaluation']}")
        counties = [results.county_rates(found, county) for county in results.counties(found)]
        for rates in [*counties, *([results.overall_rates(found)] if len(counties) > 1 else [])]:
            county = rates.county
            for rate in (rates.wrongly_exited, rates.missed_poor, rates.satisfied):
                p = rate.proportion
                figure = "无数据 / no data" if p is None else f"{p.estimate:.4f} [{p.low:.4f}, {p.high:.4f}] df={p.df}"
                verdict = {None: "-", True: "达标 / passes", False: "未达标 / fails"}[rate.passes]
                self.stdout.write(f"{county}\t{rate.name}\t{figure}\t{rate.recorded}/{rate.sampled}\t{verdict}")
