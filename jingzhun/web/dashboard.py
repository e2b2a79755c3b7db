"""The dashboard's figures for one area, read from the roll-ups (`web.models`) plus two small live counts.

Definitions (the same words as docs/measures.md):
- poor now: households with status poor or returned (返贫); their members are the poor population;
- incidence (贫困发生率): poor population / rural population of the latest year with a village record (村情);
- helper coverage: share of the households needing a helper (`choices.NEEDS_HELPER`: poor, returned,
  monitored) with an active helper (结对);
- team coverage: share of poor villages with an active work team of at least the teams rule's minimum
  (`teams.config.SupervisionConfig.min_team_members`, 3 unless configured).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from jingzhun import choices
from jingzhun.areas.models import LEVEL_DEPTH, LEVEL_DIGITS, Area
from jingzhun.web.models import AreaStat, AreaYearStat

CHILD_LEVEL = {level: nxt for level, nxt in zip(LEVEL_DIGITS, list(LEVEL_DIGITS)[1:], strict=False)}


@dataclass
class Figures:
    households: int = 0
    people: int = 0
    by_status: dict[str, tuple[int, int]] = field(default_factory=dict)  # status → (households, people)
    poor_households: int = 0
    poor_people: int = 0
    need_helper: int = 0
    with_helper: int = 0
    population: int = 0
    population_year: int | None = None

    @property
    def incidence(self) -> float | None:
        return self.poor_people / self.population if self.population else None

    @property
    def helper_coverage(self) -> float | None:
        return self.with_helper / self.need_helper if self.need_helper else None

    def add(self, status: str, households: int, people: int, with_helper: int) -> None:
        h, p = self.by_status.get(status, (0, 0))
        self.by_status[status] = (h + households, p + people)
        self.households += households
        self.people += people
        if status in choices.POOR_NOW:
            self.poor_households += households
            self.poor_people += people
        if status in choices.NEEDS_HELPER:
            self.need_helper += households
            self.with_helper += with_helper


@dataclass
class Dashboard:
    area: Area
    figures: Figures
    causes: list[tuple[str, int]]  # primary cause → poor households, largest first
    years: list[dict[str, Any]]
    children: list[tuple[Area, Figures]]
    poor_villages: int
    poor_villages_with_team: int
    visits_30_days: int

    @property
    def team_coverage(self) -> float | None:
        return self.poor_villages_with_team / self.poor_villages if self.poor_villages else None


def build(area: Area, today: dt.date | None = None) -> Dashboard:
    figures = Figures()
    causes: dict[str, int] = {}
    for status, cause, households, people, helped in AreaStat.objects.filter(area_code=area.code).values_list(
            "status", "cause", "households", "people", "with_helper"):
        figures.add(status, households, people, helped)
        if status in choices.POOR_NOW:
            causes[cause] = causes.get(cause, 0) + households
    years: list[dict[str, Any]] = [dict(y) for y in AreaYearStat.objects.filter(area_code=area.code).order_by("year").values(
        "year", "population", "identified", "exited")]
    with_population = [y for y in years if y["population"]]
    if with_population:
        figures.population = with_population[-1]["population"]
        figures.population_year = with_population[-1]["year"]
    children = _children(area)
    poor_villages, with_team = _team_coverage(area)
    return Dashboard(area, figures, sorted(causes.items(), key=lambda kv: -kv[1]), years, children,
                     poor_villages, with_team, _visits(area, today or timezone.localdate()))


def _children(area: Area) -> list[tuple[Area, Figures]]:
    level = CHILD_LEVEL.get(area.level)
    if level is None:
        return []
    low, high = area.code_range
    kids = {a.code: a for a in Area.objects.filter(parent_id=area.code).order_by("code")}
    figures = {code: Figures() for code in kids}
    rows = (AreaStat.objects.filter(level=level, area_code__gte=low, area_code__lte=high)
            .values("area_code", "status").annotate(h=Sum("households"), p=Sum("people"), w=Sum("with_helper")))
    for row in rows:
        if row["area_code"] in figures:
            figures[row["area_code"]].add(row["status"], row["h"], row["p"], row["w"])
    population = (AreaYearStat.objects.filter(level=level, area_code__gte=low, area_code__lte=high, population__gt=0)
                  .order_by("area_code", "year").values_list("area_code", "year", "population"))
    for code, year, people in population:  # ascending years: the latest one stays
        if code in figures:
            figures[code].population, figures[code].population_year = people, year
    return [(kids[c], figures[c]) for c in kids]


def _team_coverage(area: Area) -> tuple[int, int]:
    from jingzhun.teams.config import SupervisionConfig
    from jingzhun.teams.models import TeamMembership

    low, high = area.code_range
    poor = Area.objects.filter(level="village", poor_village=True, code__gte=low, code__lte=high).count()
    complete = (TeamMembership.objects.filter(end_date__isnull=True, team__end_date__isnull=True,
                                              team__village__poor_village=True,
                                              team__village_id__gte=low, team__village_id__lte=high)
                .values("team__village_id").annotate(n=Count("id")).filter(n__gte=SupervisionConfig().min_team_members).count())
    return poor, complete


def _visits(area: Area, today: dt.date) -> int:
    """Visits recorded in the last 30 days."""
    from jingzhun.teams.models import Visit

    low, high = area.code_range
    since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=29), dt.time()))
    # The visit's own village (recorded with it, indexed with the time): no walk over the area's households.
    return int(Visit.objects.filter(village_id__gte=low, village_id__lte=high, visited_at__gte=since).count())


def levels_above(area: Area) -> list[str]:
    """Codes of the area's ancestors, province first (for the breadcrumb)."""
    return [area.code[:d].ljust(12, "0") for level, d in LEVEL_DIGITS.items()
            if LEVEL_DEPTH[level] < LEVEL_DEPTH[area.level]]


def chart_data(board: Dashboard, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    """What the page's charts draw (passed to the browser with json_script)."""
    f = board.figures
    return {
        "status": [{"name": labels["status"].get(s, s), "value": hp[0]} for s, hp in sorted(f.by_status.items())],
        "causes": [{"name": labels["cause"].get(c, c), "value": n} for c, n in board.causes],
        "years": {"year": [y["year"] for y in board.years], "identified": [y["identified"] for y in board.years],
                  "exited": [y["exited"] for y in board.years]},
        "children": {"name": [a.name for a, _ in board.children],
                     "poor": [cf.poor_people for _, cf in board.children],
                     "incidence": [round(100 * cf.incidence, 2) if cf.incidence is not None else None
                                   for _, cf in board.children]},
    }


