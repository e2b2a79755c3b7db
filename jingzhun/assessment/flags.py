"""Accountability flags (汰劣): the units of a year's newest scoring runs (in the user's areas) graded lowest
under their scheme, or with confirmed violations in the records — fabricated visits (handled alerts of the
fabrication kinds) or member-months below the residence rule (`jingzhun.assessment.violations`). Households
wrongly identified or exited are shown "no data" until the third-party evaluation's findings are wired in.
"""

from __future__ import annotations

from dataclasses import dataclass

from jingzhun.assessment.models import ScoreResult, ScoringRun
from jingzhun.assessment.scoring_runs import latest_runs, results


@dataclass(frozen=True)
class Flag:
    run: ScoringRun
    result: ScoreResult
    lowest: bool
    reasons: tuple[str, ...]  # "lowest_grade" and the violation kinds with a count above 0


def flags(year: int, user: object | None, unit_type: str | None = None) -> list[Flag]:
    out = []
    for run in latest_runs(year, user, unit_type):
        lowest = run.lowest_grade
        for r in results(run, user):
            reasons = []
            if lowest is not None and r.grade == lowest:
                reasons.append("lowest_grade")
            reasons += [k for k, n in sorted((r.violations or {}).items()) if n]
            if reasons:
                out.append(Flag(run, r, "lowest_grade" in reasons, tuple(reasons)))
    return out
