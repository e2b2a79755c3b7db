"""`import_roster`: the cadre roster (帮扶干部名册) and work teams (驻村工作队) from the organisation
department's file — the public entry of `jingzhun.teams.roster` (the importer in four steps; its docstring
says what the file holds and how it is matched), with the outcome its command and callers read.

The contract of every import (`jingzhun.tabular`): every bad row is reported as (file, row, column, value,
rule), ID-shaped values masked; by default nothing is written if any row is bad ("valid": the units with no
bad row are — a unit is the rows joined by a cadre, a team or a successor); importing the same file again
changes nothing, and leaves no audit row; a check run writes nothing and is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

from jingzhun.tabular import rules, steps
from jingzhun.tabular.problems import Problem
from jingzhun.teams.roster.importer import Roster
from jingzhun.teams.roster.plan import COUNTS, Plan
from jingzhun.teams.roster.spec import HEADERS, ROSTER_COLUMNS, SPEC
from jingzhun.teams.roster.template import guide_rows, write_blank_template
from jingzhun.teams.scope import ROSTER_ROLES

__all__ = ["HEADERS", "ROSTER_COLUMNS", "SPEC", "RosterOutcome", "guide_rows", "import_roster",
           "write_blank_template"]


@dataclass
class RosterOutcome:
    file_name: str
    rows: int = 0
    errors: list[Problem] = field(default_factory=list)
    checked_only: bool = False
    cadres_inserted: int = 0
    cadres_updated: int = 0
    cadres_unchanged: int = 0
    teams_inserted: int = 0
    memberships_inserted: int = 0
    memberships_updated: int = 0
    memberships_unchanged: int = 0
    status_events: int = 0

    @classmethod
    def of(cls, outcome: steps.Outcome[Plan], *, checked_only: bool) -> RosterOutcome:
        return cls(outcome.file_name, outcome.rows, outcome.problems, checked_only, **outcome.counts())

    @property
    def changed(self) -> bool:
        return bool(self.cadres_inserted or self.cadres_updated or self.teams_inserted
                    or self.memberships_inserted or self.memberships_updated)

    def counts(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("rows", *COUNTS)}

    def summary(self) -> str:
        return (f"干部 cadres: 新增 {self.cadres_inserted} new, 更新 {self.cadres_updated} updated, "
                f"不变 {self.cadres_unchanged} unchanged; 工作队 teams: 新增 {self.teams_inserted} new; "
                f"队员任职 memberships: 新增 {self.memberships_inserted} new, 更新 {self.memberships_updated} "
                f"updated, 不变 {self.memberships_unchanged} unchanged")


def import_roster(path: str | Path, *, actor: str, ranges: rules.Ranges = None, user: object | None = None,
                  today: dt.date | None = None, check: bool = False, mode: str = "all") -> RosterOutcome:
    """Validate a roster file and, when every row is good (`mode` "all"; "valid": the good units) and `check`
    is false, apply it in one transaction.

    Who may write where: `user` (their officer roles' areas) or bare `ranges` (area code ranges,
    `jingzhun.access.ranges`); neither = the console operator, unrestricted. A row may create a cadre or a
    team only in those areas and may change a stored cadre only when the cadre is wholly in them (home area
    and every open team's village: `jingzhun.teams.scope`). A check run is audited.
    """
    mode = "check" if check else mode
    outcome = steps.run(Roster(today or timezone.localdate()), path, actor=actor,
                        scope=rules.resolve(user, ranges, ROSTER_ROLES), mode=mode, user=user)
    return RosterOutcome.of(outcome, checked_only=mode == "check")
