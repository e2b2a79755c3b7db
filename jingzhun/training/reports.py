"""Training figures over the user's areas, each one aggregate in SQL: hours per cadre per year, coverage of
cadres serving in poor counties by topic and year, and the gaps (who in a poor county has completed no
poverty-work course this year).

Definitions (docs/people.md): a cadre "in a poor county" is a serving cadre whose stationed area
(`Cadre.home_area`) lies in a county marked national or provincial poor county; a course counts for the
year it starts in; a cadre is "covered" by a topic when they *completed* a course of that topic that year;
hours are the attended hours of every enrolment (completed or not) of courses starting that year.
Coverage of an area at county level or above is read from the per-county totals (`totals`: a few hundred rows,
kept by the writes); below a county, or before the totals were ever counted, it is counted live (a province's
live count takes a few hundred milliseconds, docs/benchmarks.md, "People pages"). The lists are paged.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.db.models.functions import Substr

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.organisation.people import Figure
from jingzhun.teams.models import SERVING, Cadre
from jingzhun.training import totals
from jingzhun.training.models import COMPLETED, POVERTY_WORK, TOPIC, Course, Enrolment

ABILITY = "people"


def poor_county_prefixes() -> list[str]:
    """The 6-digit prefixes of the counties marked poor (national or provincial)."""
    return [code[:6] for code in Area.objects.filter(level="county").exclude(poor_county="").values_list(
        "code", flat=True)]


def cadres_in_poor_counties(user: object, area_code: str | None = None) -> QuerySet:
    """Serving cadres stationed in a poor county, within the user's areas (and `area_code`'s subtree)."""
    qs = access.scope(Cadre.objects.filter(status=SERVING), user, "home_area_id", ABILITY)
    if area_code:
        qs = access.within_area(qs, "home_area_id", area_code)
    return qs.annotate(county=Substr("home_area_id", 1, 6)).filter(county__in=poor_county_prefixes())


def completed(year: int, topic: str) -> QuerySet:
    """Enrolments completed in courses of `topic` starting in `year`."""
    return Enrolment.objects.filter(status=COMPLETED, course__topic=topic, course__start_date__year=year)


@dataclass(frozen=True)
class TopicCoverage:
    topic: str
    cadres: int
    covered: int

    @property
    def share(self) -> float | None:
        return self.covered / self.cadres if self.cadres else None

    @property
    def label(self) -> str:
        return TOPIC.label(self.topic)


def coverage(user: object, area_code: str | None, year: int) -> list[TopicCoverage]:
    """Per topic: serving cadres in poor counties, and how many of them completed a course of it that year.
    An area the user holds whole, at county level or above: from the per-county totals; else counted live."""
    if area_code and access.can_see_area(user, area_code, ABILITY):
        found = totals.coverage(area_code, year)
        if found is not None:
            return [TopicCoverage(topic, found[0], found[1].get(topic, 0)) for topic in TOPIC.codes]
    return live_coverage(user, area_code, year)


def live_coverage(user: object, area_code: str | None, year: int) -> list[TopicCoverage]:
    """`coverage` counted from the rows: the year's completed enrolments (a few per cadre), each joined to its
    cadre by key."""
    cadres = cadres_in_poor_counties(user, area_code)
    total = cadres.count()
    done = Enrolment.objects.filter(status=COMPLETED, course__start_date__year=year, cadre__status=SERVING)
    done = access.scope(done, user, "cadre__home_area_id", ABILITY)
    if area_code:
        done = access.within_area(done, "cadre__home_area_id", area_code)
    covered = dict(done.annotate(county=Substr("cadre__home_area_id", 1, 6)).filter(county__in=poor_county_prefixes())
                   .values("course__topic").annotate(n=Count("cadre_id", distinct=True))
                   .values_list("course__topic", "n").order_by())
    return [TopicCoverage(topic, total, covered.get(topic, 0)) for topic in TOPIC.codes]


def gaps(user: object, area_code: str | None, year: int) -> QuerySet:
    """Serving cadres in poor counties who completed no poverty-work course in `year` (脱贫攻坚业务培训空白)."""
    done = completed(year, POVERTY_WORK).filter(cadre_id=OuterRef("pk"))
    return cadres_in_poor_counties(user, area_code).filter(~Exists(done)).order_by("home_area_id", "name", "pk")


def hours(user: object, area_code: str | None, year: int, limit: int = 200, offset: int = 0
          ) -> list[dict[str, object]]:
    """`limit` cadres from the `offset`-th in the user's areas (by area code) who trained in `year`, with their
    attended hours (tenths) and courses in courses starting that year. Cadres are taken in index order first and
    their enrolments summed after, so a province's page does not rank 200,000 cadres to show 50."""
    courses = list(Course.objects.filter(start_date__year=year).values_list("pk", flat=True))
    qs = access.scope(Cadre.objects.all(), user, "home_area_id", ABILITY)
    if area_code:
        qs = access.within_area(qs, "home_area_id", area_code)
    shown = list(qs.filter(Exists(Enrolment.objects.filter(cadre_id=OuterRef("pk"), course_id__in=courses)))
                 .order_by("home_area_id", "pk").values("pk", "name", "home_area_id")[offset:offset + limit])
    sums = {r["cadre_id"]: r for r in Enrolment.objects.filter(
        cadre_id__in=[c["pk"] for c in shown], course_id__in=courses).values("cadre_id").annotate(
        tenths=Sum("attended_tenths"), courses=Count("course_id", distinct=True)).order_by()}
    return [{"cadre_id": c["pk"], "cadre__name": c["name"], "cadre__home_area_id": c["home_area_id"],
             "tenths": sums[c["pk"]]["tenths"], "courses": sums[c["pk"]]["courses"]} for c in shown]


def training_coverage(user: object, area_code: str | None, year: int) -> dict[str, object]:
    """For the dashboard's people section: cadres in poor counties, those who completed poverty-work
    training in `year`, the share, and the gaps."""
    found = {c.topic: c for c in coverage(user, area_code, year)}[POVERTY_WORK]
    return {"cadres": found.cadres, "covered": found.covered, "share": found.share,
            "gaps": found.cadres - found.covered}


def people_figures(user: object, area: Area, today: dt.date) -> list[Figure]:
    """The dashboard people section's training tiles (`organisation.people.register`): this year's coverage of
    cadres in poor counties by poverty-work training, and the cadres without it."""
    found = {c.topic: c for c in coverage(user, area.code, today.year)}[POVERTY_WORK]
    return [Figure("training_poverty_share", f"{today.year}年贫困县干部脱贫攻坚培训覆盖率 / poor-county cadres trained "
                   f"in poverty work, {today.year}", found.share, "share"),
            Figure("training_gaps", "未参加脱贫攻坚培训的干部 / cadres without poverty-work training",
                   found.cadres - found.covered)]
