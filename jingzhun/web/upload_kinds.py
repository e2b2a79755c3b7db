"""What the checked-upload page can import: the register, and every file an app imports through jingzhun.tabular.

One upload page, one job machinery (`jingzhun.web.uploads`): a kind says only how to check its file and how to
import it, each through the app's own import function — the same one the command line calls, with the user's
areas as the area rule — and which audit action marks its import as committed (a worker that dies after the
commit is then recorded as done, not imported twice). The page offers a user the kinds their roles allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jingzhun import access
from jingzhun.tabular.problems import Problem

SHOWN_ERRORS = 200


@dataclass(frozen=True)
class UploadKind:
    kind: str
    label: str  # "中文 / English"
    ability: str  # what the user's roles must carry (access.ABILITIES)
    template: str  # the blank template's kind (jingzhun.core.blanks), "" when there is none
    # check(path, user) -> the figures the upload row keeps (rows, households, error_count, errors, result)
    check: Callable[[Path, Any], dict[str, Any]]
    # run(path, user, mode) -> (imported?, outcome shown on the page)
    run: Callable[[Path, Any, str], tuple[bool, dict[str, Any]]]
    action: str  # the audit action its import writes (a committed import is found by it)


def figures(rows: int, units: int, problems: list[Problem], plan: dict[str, Any]) -> dict[str, Any]:
    """A check's figures, the same for every kind: what the page shows before the user confirms."""
    return {"rows": rows, "households": units, "error_count": len(problems),
            "rejected_households": len({p.row for p in problems}),
            "errors": [[p.row, p.column, p.value, p.rule] for p in problems[:SHOWN_ERRORS]],
            "result": {"plan": plan}}


def refusal(problems: list[Any]) -> str:
    """The first problem, in words ("中文 / English", as the page's `lang` filter splits them), and how many."""
    first = problems[0]
    zh, _, en = first.rule.partition(" / ")
    if first.row:
        zh, en = f"第{first.row}行“{first.column}”：{zh}", f"row {first.row}, {first.column}: {en or zh}"
    if len(problems) > 1:
        zh, en = f"{zh}（共 {len(problems)} 处）", f"{en or zh} ({len(problems)} problems in all)"
    return f"{zh} / {en}" if en else zh


def refused(imported: bool, problems: list[Problem], outcome: dict[str, Any]) -> dict[str, Any]:
    """`outcome` with, when nothing was imported for `problems`, why in words (the page shows "error"): a
    refusal at the write (another write landed in between, `steps.CONFLICT`) has no row list to read."""
    return outcome if imported or not problems else {**outcome, "error": refusal(problems)}


def _tabular_check(check: Callable[[Path, Any], Any]) -> Callable[[Path, Any], dict[str, Any]]:
    def run(path: Path, user: Any) -> dict[str, Any]:
        outcome = check(path, user)
        return figures(outcome.rows, outcome.rows, list(outcome.problems), {"counts": outcome.counts()})
    return run


def _roster() -> UploadKind:
    from jingzhun.teams.roster_import import import_roster

    def check(path: Path, user: Any) -> dict[str, Any]:
        out = import_roster(path, actor=user.get_username(), user=user, check=True)
        counts = {k: getattr(out, k) for k in ("cadres_inserted", "cadres_updated", "cadres_unchanged",
                                               "teams_inserted", "memberships_inserted", "memberships_updated")}
        return figures(out.rows, out.rows, out.errors, {"counts": counts})

    def run(path: Path, user: Any, mode: str) -> tuple[bool, dict[str, Any]]:
        out = import_roster(path, actor=user.get_username(), user=user, mode=mode)
        done = not out.checked_only and (mode == "valid" or not out.errors)
        return done, refused(done, out.errors, {
            "imported": done, "inserted": out.cadres_inserted, "updated": out.cadres_updated,
            "unchanged": out.cadres_unchanged, "errors": len(out.errors)})

    return UploadKind("roster", "帮扶干部名册 / cadre roster", "import", "roster", check, run, "teams.roster.import")


def _visits(kind: str) -> UploadKind:
    from jingzhun.teams.visits_import.attendance import import_attendance
    from jingzhun.teams.visits_import.visits import import_visits

    importer = import_visits if kind == "visits" else import_attendance

    def check(path: Path, user: Any) -> dict[str, Any]:
        out = importer(path, actor=user.get_username(), user=user, check=True)
        return figures(out.rows, out.rows, out.errors, {"counts": out.counts})

    def run(path: Path, user: Any, mode: str) -> tuple[bool, dict[str, Any]]:
        out = importer(path, actor=user.get_username(), user=user, mode=mode)
        return out.written, refused(out.written, out.errors, {"imported": out.written, "inserted": out.inserted,
                                                              "errors": len(out.errors)})

    label = "走访记录 / visits" if kind == "visits" else "驻村考勤 / attendance"
    return UploadKind(kind, label, "plan", "", check, run, f"{kind}.import")


def tabular(kind: str, label: str, ability: str, importer: Callable[..., Any], action: str) -> UploadKind:
    """A kind whose import function is `importer(path, *, actor, user, mode) -> steps.Outcome` (the one import
    subsystem's shape) and whose blank template has the same kind name."""
    def run(path: Path, user: Any, mode: str) -> tuple[bool, dict[str, Any]]:
        out = importer(path, actor=user.get_username(), user=user, mode=mode)
        return out.imported, refused(out.imported, list(out.problems), {"imported": out.imported, **out.counts(),
                                                                        "errors": len(out.problems)})

    check = _tabular_check(lambda path, user: importer(path, actor=user.get_username(), user=user, mode="check"))
    return UploadKind(kind, label, ability, kind, check, run, action)


def _rosters() -> list[UploadKind]:
    from jingzhun.areas.village_records import import_village_records
    from jingzhun.branches.elections import import_branch_elections
    from jingzhun.branches.roster import import_branch_roster
    from jingzhun.evaluation.frame_import import import_frame
    from jingzhun.organisation.imports.links import import_links
    from jingzhun.organisation.imports.secondments import import_secondments
    from jingzhun.organisation.imports.units import import_units
    from jingzhun.talent.roster import import_talent
    from jingzhun.training.roster import import_course_roster

    return [tabular("village_records", "村情 / village records", "import", import_village_records,
                    "village_records.import"),
            tabular("course_roster", "培训班学员名册 / course roster", "manage_people", import_course_roster,
                    "course_roster.import"),
            tabular("branch_roster", "村党组织名册 / party-branch roster", "manage_people", import_branch_roster,
                    "branch_roster.import"),
            tabular("branch_elections", "村党组织换届选举 / party-branch elections", "manage_people",
                    import_branch_elections, "branch_elections.import"),
            tabular("talent_pool", "人才库名册 / talent-pool roster", "manage_people", import_talent,
                    "talent_pool.import"),
            tabular("evaluation_frame", "未建档户名单（评估抽样框） / never-registered households (evaluation frame)",
                    "evaluate", import_frame, "evaluation_frame.import"),
            tabular("units", "单位名录 / units", "organise", import_units, "units.import"),
            tabular("unit_links", "单位联系村 / unit–village links", "organise", import_links, "unit_links.import"),
            tabular("secondments", "挂职 / secondments", "organise", import_secondments, "secondments.import")]


def _department_list(rule: str, label: str) -> UploadKind:
    from jingzhun.crosscheck import actions

    def check(path: Path, user: Any) -> dict[str, Any]:
        out = actions.check_list(path, rule, actor=user.get_username(), user=user)
        return figures(out.rows, out.rows, list(out.problems), {"counts": out.counts()})

    def run(path: Path, user: Any, mode: str) -> tuple[bool, dict[str, Any]]:
        try:
            out = actions.import_list(path, rule, actor=user.get_username(), user=user, mode=mode)
        except actions.ListRejected as exc:
            return False, {"imported": False, "errors": len(exc.problems), "error": str(exc)}
        return True, {"imported": True, "already": out.already_imported, "rows": out.rows, "hits": out.hits,
                      "households": out.households, "outside": out.outside}

    return UploadKind(f"crosscheck.{rule}", f"部门比对名单：{label}", "crosscheck", "", check, run,
                      "crosscheck.import")


def _register() -> UploadKind:
    # The register keeps its own check and import in jingzhun.web.uploads (its plan, progress and batches).
    def unused(*args: Any) -> Any:
        raise AssertionError("the register's upload runs through jingzhun.web.uploads")
    return UploadKind("register", "建档立卡 / poverty register", "import", "register", unused, unused, "import")


def kinds() -> dict[str, UploadKind]:
    """Every kind, the register first. Built on use: the importers pull in their apps' models."""
    from jingzhun.crosscheck.models import RULE

    found = [_register(), _roster(), _visits("visits"), _visits("attendance"), *_rosters()]
    found += [_department_list(code, f"{zh} / department list: {en}") for code, zh, en in RULE.values]
    return {k.kind: k for k in found}


def offered(user: Any) -> list[UploadKind]:
    """The kinds `user` may upload: those whose ability their roles carry."""
    return [k for k in kinds().values() if access.may(user, k.ability)]
