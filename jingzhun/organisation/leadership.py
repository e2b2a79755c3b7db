"""Leadership teams of poor counties and their townships (配班子): seats by post, who holds them and for how
long, and the vacancies. Limited to the user's areas in SQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q

from jingzhun.areas.models import Area, code_range
from jingzhun.organisation import scope
from jingzhun.organisation.models import PostHolding, PostKind


@dataclass(frozen=True)
class Vacancy:
    area: str
    area_name: str
    post: str
    post_name: str
    seats: int
    filled: int

    @property
    def vacant(self) -> int:
        return self.seats - self.filled


def years_served(start: dt.date, end: dt.date | None, today: dt.date) -> float:
    """Years in post to `today` (or to the end), to one decimal: days / 365.25."""
    return round(((end or today) - start).days / 365.25, 1)


def poor_areas(user: object, *, write: bool = False) -> Q:
    """Poor counties and the townships in them, within the user's areas: where leadership posts are kept."""
    return scope.q(user, "code", write=write) & poor_county_areas()


def poor_county_areas() -> Q:
    """Areas (by `code`) that are poor counties or townships in one."""
    counties = list(Area.objects.filter(level="county").exclude(poor_county="").values_list("code", flat=True))
    inside = Q(pk__in=[])
    for code in counties:
        low, high = code_range(code, "county")
        inside |= Q(code__gte=low, code__lte=high)
    return inside & Q(level__in=("county", "township"))


def vacancies(user: object, *, area: str | None = None) -> list[Vacancy]:
    """Every post of a poor county or its townships in the user's areas with fewer serving holders than seats
    (within the county `area`, when given)."""
    where = poor_areas(user)
    if area is not None:
        low, high = code_range(area, "county")
        where &= Q(code__gte=low, code__lte=high)
    return vacancies_where(where)


def vacancies_where(where: Q) -> list[Vacancy]:
    """The vacancies of the areas `where` selects (the dashboard passes its area's subtree of poor areas)."""
    areas = Area.objects.filter(where)
    posts = list(PostKind.objects.filter(active=True))
    filled = Counter({(a, p): n for a, p, n in PostHolding.objects.filter(
        end_date__isnull=True, area__in=areas).values_list("area_id", "post_id").annotate(n=Count("pk"))
        .values_list("area_id", "post_id", "n")})
    found = []
    for code, name, level in areas.order_by("code").values_list("code", "name", "level"):
        for post in posts:
            if post.level == level and filled[(code, post.pk)] < post.seats:
                found.append(Vacancy(code, name, post.code, post.name, post.seats, filled[(code, post.pk)]))
    return found


def vacancy_count(user: object) -> int:
    return sum(v.vacant for v in vacancies(user))


@dataclass(frozen=True)
class Seat:
    post: PostKind
    holdings: list[PostHolding]  # serving holders, earliest first
    vacant: int


def county_team(county: Area, today: dt.date) -> list[Seat]:
    """The county's own posts with their serving holders (and years served on each holding's `served`)."""
    serving = list(PostHolding.objects.filter(area=county, end_date__isnull=True).select_related("cadre", "post")
                   .order_by("start_date", "pk"))
    for h in serving:
        h.served = years_served(h.start_date, h.end_date, today)  # type: ignore[attr-defined]
    seats = []
    for post in PostKind.objects.filter(active=True, level="county"):
        mine = [h for h in serving if h.post_id == post.pk]
        seats.append(Seat(post, mine, max(post.seats - len(mine), 0)))
    return seats
