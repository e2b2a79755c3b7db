"""jingzhun crosscheck import|list|hits|decide: cross-department checks (比对) from the command line."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from jingzhun.core.operator import acting_user, add_operator_arguments
from jingzhun.crosscheck import actions
from jingzhun.crosscheck.models import HIT_STATUS, RULE, CrossCheckList
from jingzhun.tabular.spec import FileProblem

SHOWN_PROBLEMS = 200


class Command(BaseCommand):
    help = "部门比对：导入名单、查看命中、核实 / Cross-department checks: import lists, list hits, decide"

    def add_arguments(self, parser: Any) -> None:
        add_operator_arguments(parser)
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入部门名单 / import a department list (CSV or XLSX)")
        imp.add_argument("file")
        imp.add_argument("--rule", required=True, choices=RULE.codes, help="比对规则 / the policy's exclusion key")
        imp.add_argument("--department", default="", help="来源部门（默认取政策中的部门）/ source department")
        imp.add_argument("--report", help="错误报告 XLSX 路径 / write the problems to this XLSX file")
        how = imp.add_mutually_exclusive_group()
        how.add_argument("--check", action="store_true",
                         help="只校验并预览命中，不写入 / validate and preview the hits, write nothing")
        how.add_argument("--valid-only", action="store_true",
                         help="只导入无误的行 / import the valid rows, report the others")
        sub.add_parser("list", help="已导入的名单及命中统计 / imported lists and hit counts")
        sub.add_parser("rematch", help="补充比对：名单导入后登记的成员 / match members registered after the lists were imported")
        hits = sub.add_parser("hits", help="列出命中 / list hits")
        hits.add_argument("--status", choices=HIT_STATUS.codes)
        hits.add_argument("--rule", choices=RULE.codes)
        hits.add_argument("--limit", type=int, default=100)
        decide = sub.add_parser("decide", help="核实命中 / confirm or dismiss a hit")
        decide.add_argument("hit", type=int)
        group = decide.add_mutually_exclusive_group(required=True)
        group.add_argument("--confirm", action="store_true")
        group.add_argument("--dismiss", action="store_true")
        decide.add_argument("--reason", required=True, help="核实说明（必填）/ the reason (required)")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            user = acting_user(opts["user"], opts["actor"])
        except LookupError as exc:
            raise CommandError(str(exc)) from None
        getattr(self, "do_" + opts["action"])(user, opts)

    def do_import(self, user: object, opts: dict[str, Any]) -> None:
        actor = str(getattr(user, "username", user))
        if opts["check"]:
            self._check(user, actor, opts)
            return
        try:
            result = actions.import_list(opts["file"], opts["rule"], actor=actor, department=opts["department"],
                                         user=user, mode="valid" if opts["valid_only"] else "all")
        except (FileProblem, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        except actions.ListRejected as exc:
            self._problems(exc.problems, opts["report"])
            raise CommandError(str(exc)) from None
        if result.already_imported:
            self.stdout.write(f"该名单已于 {result.list.imported_at:%Y-%m-%d %H:%M} 导入（名单 {result.list.pk}），未重复导入 / "
                              f"already imported as list {result.list.pk}; nothing changed")
            return
        if result.problems:
            self._problems(result.problems, opts["report"])
            self.stdout.write(f"{len(result.problems)} 处错误，所在行未导入 / {len(result.problems)} problems: "
                              "their rows were left out")
        self.stdout.write(f"已导入名单 {result.list.pk}（{RULE.zh(opts['rule'])}）：{result.rows} 行，命中 {result.hits} 人、"
                          f"{result.households} 户 / imported list {result.list.pk}: {result.rows} rows, "
                          f"{result.hits} people in {result.households} households hit")
        if result.outside:
            self.stdout.write(f"另有 {result.outside} 行命中您管辖区划以外的户，未记录 / {result.outside} rows matched "
                              "households outside your areas: not recorded")

    def _check(self, user: object, actor: str, opts: dict[str, Any]) -> None:
        try:
            outcome = actions.check_list(opts["file"], opts["rule"], actor=actor, user=user)
        except (FileProblem, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        problems = [(p.row, p.column, p.value, p.rule) for p in outcome.problems]
        self._problems(problems, opts["report"])
        counts = outcome.counts()
        self.stdout.write(f"校验 {outcome.rows} 行，{len(problems)} 处错误；无误的行将命中 {counts.get('hits', 0)} 人、"
                          f"{counts.get('households', 0)} 户，另有 {counts.get('outside', 0)} 行在管辖区划以外；未写入 / "
                          f"checked {outcome.rows} rows, {len(problems)} problems; the valid rows would hit "
                          f"{counts.get('hits', 0)} people in {counts.get('households', 0)} households "
                          f"({counts.get('outside', 0)} rows outside your areas); nothing written")

    def _problems(self, problems: list[tuple[int, str, str, str]], report: str | None) -> None:
        for row, column, value, rule in problems[:SHOWN_PROBLEMS]:
            self.stderr.write(f"第{row}行 / row {row}  {column}  {value!r}  {rule}")
        if len(problems) > SHOWN_PROBLEMS:
            self.stderr.write(f"…… 另有 {len(problems) - SHOWN_PROBLEMS} 处 / and {len(problems) - SHOWN_PROBLEMS} more")
        if report and problems:
            _write_report(problems, report)
            self.stderr.write(f"错误报告 / report: {report}")

    def do_list(self, user: object, opts: dict[str, Any]) -> None:
        for lst in CrossCheckList.objects.all():
            self.stdout.write(f"{lst.pk:>5}  {lst.imported_at:%Y-%m-%d}  {RULE.zh(lst.rule):<6}  {lst.file_name}  "
                              f"行 {lst.row_count}  命中 {lst.hit_count}  {lst.department}  ({lst.imported_by})")
        self.stdout.write("命中（您的管辖范围）/ hits in your areas:")
        for row in actions.summary(user):
            self.stdout.write(f"  {RULE.zh(row['rule']):<6} 待核实 {row['pending']}  已确认 {row['confirmed']}  "
                              f"已排除 {row['dismissed']}")

    def do_rematch(self, user: object, opts: dict[str, Any]) -> None:
        if not getattr(user, "is_superuser", False):
            raise CommandError("补充比对覆盖全部名单和全部户，须以操作员身份运行 / rematching covers the whole register: run it as the operator")
        found = actions.rematch(actor=str(getattr(user, "username", user)))
        self.stdout.write(f"新增命中 {found} 条 / {found} new hits")

    def do_hits(self, user: object, opts: dict[str, Any]) -> None:
        qs = actions.visible_hits(user).select_related("household").order_by("household__number", "id")
        if opts["status"]:
            qs = qs.filter(status=opts["status"])
        if opts["rule"]:
            qs = qs.filter(rule=opts["rule"])
        for hit in qs[: opts["limit"]]:
            evidence = "；".join("、".join(f"{k}:{v}" for k, v in r.items()) for r in hit.evidence.get("rows", []))
            self.stdout.write(f"{hit.pk:>6}  {hit.household.number}  成员{hit.member_position}  {RULE.zh(hit.rule)}  "
                              f"{HIT_STATUS.zh(hit.status)}  {evidence}")

    def do_decide(self, user: object, opts: dict[str, Any]) -> None:
        status = "confirmed" if opts["confirm"] else "dismissed"
        try:
            hit = actions.decide(opts["hit"], status, opts["reason"], user=user)
        except (actions.DecisionRefused, PermissionDenied) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"命中 {hit.pk}：{HIT_STATUS.zh(hit.status)} / hit {hit.pk}: {hit.status}")


def _write_report(problems: list[tuple[int, str, str, str]], path: str) -> None:
    """Every problem as a row (IDs already masked by the checks), for the department to fix. Its four columns
    (row, column, value, rule) are what departments have been sent: kept, rather than the file-first layout of
    `jingzhun.tabular.report`."""
    import xlsxwriter

    from jingzhun import cells

    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("错误 errors")
    cells.write_row(sheet, 0, 0, ["行号 / row", "列 / column", "值 / value", "规则 / rule"])
    for i, problem in enumerate(problems, start=1):
        cells.write_row(sheet, i, 0, problem)  # a department's cells: text, never formulas
    sheet.set_column(0, 2, 16)
    sheet.set_column(3, 3, 60)
    book.close()
