"""The roster import as the four steps of `jingzhun.tabular.steps`: check (every rule over the rows, the
stored state read once), plan (the pure diff), apply (the writes); `steps.run` composes them with the reader,
the modes and the audit rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from jingzhun.tabular import steps
from jingzhun.tabular.problems import Problems
from jingzhun.tabular.read import RawTable
from jingzhun.teams.roster import apply as writes
from jingzhun.teams.roster import check as one_row
from jingzhun.teams.roster import rows as across
from jingzhun.teams.roster import state as states
from jingzhun.teams.roster.lines import Line, Report, lines_of
from jingzhun.teams.roster.plan import Plan, make_plan
from jingzhun.teams.roster.spec import SPEC
from jingzhun.teams.roster.stored import Stored, read_stored


@dataclass
class Checked:
    problems: Problems
    lines: list[Line]
    stored: Stored
    state: states.State
    first_row: dict[str, Line]
    units: dict[int, list[int]]

    @property
    def rows_of(self) -> dict[Any, list[int]]:
        return self.units


class Roster:
    spec = SPEC
    action = "teams.roster.import"  # a check: "teams.roster.check"

    def __init__(self, today: dt.date) -> None:
        self.today = today

    def check(self, table: RawTable, cell_problems: list[tuple[int, str, str]], context: steps.Context) -> Checked:
        lines = lines_of(table)
        report = Report(table.file_name)
        report.cell_problems(lines, cell_problems)
        one_row.clear_markers(lines, report)
        stored = read_stored(lines, context.scope)
        one_row.refuse_cadres_outside(lines, stored, report)
        one_row.fill_stored(lines, stored)
        for line in lines:
            one_row.check_cells(line, report, stored, context.scope, self.today)
        for line in lines:
            one_row.check_row(line, report)
        first_row = across.agree(lines, report)
        across.successors_known(lines, first_row, stored, report)
        state = states.lay_over(lines, stored, report)
        states.team_rules(state, report)
        states.not_serving(lines, first_row, state, report)
        states.link_successors(lines, state, report)
        return Checked(report.problems, lines, stored, state, first_row, across.units(lines))

    def plan(self, checked: Checked, keep: list[Any], context: steps.Context) -> Plan:
        kept = {row for unit in keep for row in checked.units[unit]}
        lines = [line for line in checked.lines if line.row in kept]
        return make_plan(lines, checked.first_row, checked.stored, checked.state, self.today, context.file_name)

    def apply(self, plan: Plan, context: steps.Context) -> None:
        writes.apply(plan)
