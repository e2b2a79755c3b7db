"""A cadre's frontline service from the records, and the promotion shortlist (选优).

Service: the cadre's work-team memberships and helper pairs (jingzhun.teams), each a period of days; frontline
days are the days covered by at least one of them (overlaps counted once; the end day not counted), up to
today; a year of service is 365.25 days. The shortlist: cadres (in the user's areas, by their home area) with at least
``ASSESSMENT_SHORTLIST_YEARS`` years of service (setting, default 1: a year of the current round; a province
that asks for a whole term sets 2) whose every scored year in their term
reached one of the top ``ASSESSMENT_SHORTLIST_TOP_GRADES`` grades (setting, default 1: the top grade) — as a
helper (unit type cadre) and as a member of a work team scored that year — with at least one scored year.
A scored year is the newest run of its kind and year that scored the cadre or their team.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from jingzhun import access
from jingzhun.assessment.models import ScoreResult
from jingzhun.assessment.scoring_runs import visible_runs

YEAR_DAYS = 365.25


def required_years() -> float:
    return float(getattr(settings, "ASSESSMENT_SHORTLIST_YEARS", 1))


def top_grades() -> int:
    return int(getattr(settings, "ASSESSMENT_SHORTLIST_TOP_GRADES", 1))


@dataclass(frozen=True)
class Service:
    kind: str  # "team" or "pair"
    start: dt.date
    end: dt.date | None
    village: str
    village_name: str
    detail: str  # the team's role, or the household number (only when the user may see it)
    team: int | None = None


@dataclass(frozen=True)
class Scored:
    year: int
    unit_type: str  # "cadre" or "work_team"
    unit: str
    run: int
    scheme: str
    total: float
    rank: int
    grade: str
    top: bool


@dataclass
class History:
    cadre: Any
    services: list[Service] = field(default_factory=list)
    days: int = 0
    scored: list[Scored] = field(default_factory=list)

    @property
    def years(self) -> float:
        return self.days / YEAR_DAYS

    @property
    def sustained(self) -> bool:
        return bool(self.scored) and all(s.top for s in self.scored)

    @property
    def shortlisted(self) -> bool:
        return self.years >= required_years() and self.sustained


def frontline_days(periods: list[tuple[dt.date, dt.date | None]], today: dt.date) -> int:
    """Days covered by the periods (start inclusive, end exclusive), overlaps counted once, open periods up to
    today: the organisation's leadership shortlists' own count (`organisation.shortlists.union_days`)."""
    from jingzhun.organisation.shortlists import union_days

    return union_days((s, min(e or today, today)) for s, e in periods)


def cadre_grades(cadre_ids: list[int], year: int) -> dict[int, str]:
    """{cadre: grade} of the year's newest helper (unit type cadre) scoring, for the organisation's leadership
    shortlists (`jingzhun.organisation.shortlists.register_grade_source`)."""
    rows = ScoreResult.objects.filter(run__unit_type="cadre", run__year=year).order_by(
        "-run__created_at", "-run_id").values_list("unit", "grade")
    wanted = {str(c) for c in cadre_ids}
    out: dict[int, str] = {}
    for unit, grade in rows.iterator(chunk_size=5000):
        if unit in wanted and int(unit) not in out and grade:
            out[int(unit)] = grade
    return out


def cadres_in_scope(user: object | None):  # type: ignore[no-untyped-def]
    from jingzhun.teams.models import Cadre

    qs = Cadre.objects.all()
    return qs if user is None else access.scope(qs, user, "home_area_id", ability="assess")


def _services(cadres: QuerySet[Any], user: object | None) -> dict[int, list[Service]]:
    """The memberships and pairs of the cadres (a queryset, used as a subquery: no list of ids in the SQL)."""
    from jingzhun.registry.models import Household
    from jingzhun.teams.models import TEAM_ROLE, HelperPair, TeamMembership

    ids = cadres.values("pk")
    out: dict[int, list[Service]] = defaultdict(list)
    for m in TeamMembership.objects.filter(cadre_id__in=ids).select_related("team__village").order_by("start_date"):
        out[m.cadre_id].append(Service("team", m.start_date, m.end_date, m.team.village_id, m.team.village.name,
                                       TEAM_ROLE.label(m.role), m.team_id))
    pairs = HelperPair.objects.filter(cadre_id__in=ids)
    # The household numbers the user may open; the other pairs are listed by village and dates only.
    seen = Household.objects.filter(pk__in=pairs.values("household_id"))
    numbers = dict((seen if user is None else access.households(seen, user)).values_list("pk", "number"))
    for cadre, start, end, hid, village, name in pairs.order_by("start_date").values_list(
            "cadre_id", "start_date", "end_date", "household_id", "household__village_id", "household__village__name"):
        out[cadre].append(Service("pair", start, end, village, name, numbers.get(hid, "")))
    return out


def _newest(user: object | None) -> dict[tuple[str, str, int], ScoreResult]:
    """The newest visible result of each (unit type, unit, year) of the cadre and work-team runs."""
    runs = visible_runs(user).filter(unit_type__in=["cadre", "work_team"])
    rows = ScoreResult.objects.filter(run__in=runs).select_related("run").order_by("-run__created_at", "-run_id")
    newest: dict[tuple[str, str, int], ScoreResult] = {}
    for r in rows.iterator(chunk_size=5000):
        newest.setdefault((r.run.unit_type, r.unit, r.run.year), r)
    return newest


def _scored(services: dict[int, list[Service]], user: object | None) -> dict[int, list[Scored]]:
    """Each cadre's scored years: their own results (unit type cadre) and their teams' in the years they served."""
    members: dict[int, list[tuple[int, Service]]] = defaultdict(list)
    for cadre, ss in services.items():
        for s in ss:
            if s.team is not None:
                members[s.team].append((cadre, s))
    k = top_grades()
    out: dict[int, list[Scored]] = defaultdict(list)
    for (unit_type, unit, year), r in _newest(user).items():
        top = r.grade in [g[0] for g in r.run.grades[:k]]
        item = Scored(year, unit_type, unit, r.run_id, r.run.scheme_name, r.total, r.rank, r.grade, top)
        if unit_type == "cadre":
            if unit.isdigit() and int(unit) in services:
                out[int(unit)].append(item)
            continue
        served = {c for c, s in members.get(int(unit), []) if s.start.year <= year <= (s.end.year if s.end else 9999)}
        for cadre in served:
            out[cadre].append(item)
    for items in out.values():
        items.sort(key=lambda s: (s.year, s.unit_type))
    return out


def histories(user: object | None, *, today: dt.date | None = None, cadre: int | None = None) -> list[History]:
    """The service history of every cadre in the user's areas (or of one), with their scored years."""
    today = today or dt.date.today()
    qs = cadres_in_scope(user).select_related("home_area").order_by("pk")
    if cadre is not None:
        qs = qs.filter(pk=cadre)
    services = _services(qs, user)
    # Every cadre in scope counts for their own results, with or without service on record.
    scored = _scored({c: services.get(c, []) for c in qs.values_list("pk", flat=True)}, user)
    out = []
    for c in qs:
        ss = services.get(c.pk, [])
        out.append(History(c, ss, frontline_days([(s.start, s.end) for s in ss], today), scored.get(c.pk, [])))
    return out


def shortlist(user: object | None, *, today: dt.date | None = None) -> list[History]:
    return [h for h in histories(user, today=today) if h.shortlisted]
