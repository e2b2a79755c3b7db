"""Leadership teams of poor counties and their townships (配班子): seats by post, who holds them and for how
long, and the vacancies. Limited to the user's areas in SQL."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q

from jingzhun import access
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


Spans = list[tuple[str, str]]


def poor_spans(within: Spans | None) -> Spans:
    """The code ranges of poor counties cut to `within` (None: everywhere) — worked out in Python from the
    poor counties (dozens), so the queries below are a few ranges on an indexed column, not a subquery."""
    found = []
    for code in Area.objects.filter(level="county").exclude(poor_county="").order_by("code").values_list(
            "code", flat=True):
        low, high = code_range(code, "county")
        for lo, hi in within if within is not None else [(low, high)]:
            if max(lo, low) <= min(hi, high):
                found.append((max(lo, low), min(hi, high)))
    return found


def spans_q(spans: Spans, field: str) -> Q:
    q = Q(pk__in=[])
    for low, high in spans:
        q |= Q(**{f"{field}__gte": low, f"{field}__lte": high})
    return q


def user_spans(user: object, *, write: bool = False, area: str | None = None) -> Spans:
    """The poor counties' ranges within the user's areas (for reading, or writing), and within `area`."""
    spans = access.ranges(user, ability=scope.WRITE if write else scope.READ)
    if area is not None:
        own = [code_range(area, "county")]
        spans = own if spans is None else [(max(lo, own[0][0]), min(hi, own[0][1])) for lo, hi in spans
                                           if max(lo, own[0][0]) <= min(hi, own[0][1])]
    return poor_spans(spans)


def poor_areas(user: object, *, write: bool = False) -> Q:
    """Poor counties and the townships in them, within the user's areas: where leadership posts are kept."""
    return Q(code__in=[code for code, _, _ in areas_in(user_spans(user, write=write))])


def vacancies(user: object, *, area: str | None = None) -> list[Vacancy]:
    """Every post of a poor county or its townships in the user's areas with fewer serving holders than seats
    (within the county `area`, when given)."""
    return vacancies_in(user_spans(user, area=area))


def areas_in(spans: Spans) -> list[tuple[str, str, str]]:
    """(code, name, level) of the poor counties and their townships in `spans`, in code order: found through
    the counties' codes and the parent index (a few hundred rows), then cut to the spans in Python — an OR of
    dozens of ranges over the whole area table would read every area."""
    if not spans:
        return []
    counties = sorted({low[:6] + "000000" for low, _ in spans})
    rows = Area.objects.filter(Q(code__in=counties) | Q(parent_id__in=counties, level="township")).values_list(
        "code", "name", "level")
    return sorted(r for r in rows if any(lo <= r[0] <= hi for lo, hi in spans))


def vacancies_in(spans: Spans) -> list[Vacancy]:
    """The vacancies of the poor counties and townships in `spans`."""
    if not spans:
        return []
    posts = list(PostKind.objects.filter(active=True))
    filled = _filled(spans)
    found = []
    for code, name, level in areas_in(spans):
        for post in posts:
            if post.level == level and filled[(code, post.pk)] < post.seats:
                found.append(Vacancy(code, name, post.code, post.name, post.seats, filled[(code, post.pk)]))
    return found


def _filled(spans: Spans) -> Counter[tuple[str, int]]:
    """Serving holders per (area, post) in `spans`: one range in SQL (the spans' hull, on the open-holding
    index), the spans themselves in Python — dozens of OR'd ranges cost more to compile than to run."""
    low, high = min(lo for lo, _ in spans), max(hi for _, hi in spans)
    rows = PostHolding.objects.filter(area_id__gte=low, area_id__lte=high, end_date__isnull=True).values(
        "area_id", "post_id").annotate(n=Count("pk")).values_list("area_id", "post_id", "n")
    return Counter({(a, p): n for a, p, n in rows if any(lo <= a <= hi for lo, hi in spans)})


def vacant_seats(spans: Spans) -> int:
    """How many seats are vacant in `spans` (the dashboard's figure): every area's seats, less the serving
    holders of each (area, post) up to its seats."""
    if not spans:
        return 0
    posts = {p.pk: p for p in PostKind.objects.filter(active=True)}
    per_level = Counter(level for _, _, level in areas_in(spans))
    seats = sum(per_level.get(p.level, 0) * p.seats for p in posts.values())
    taken = sum(min(n, posts[post].seats) for (_, post), n in _filled(spans).items() if post in posts)
    return seats - taken


def vacancy_count(user: object) -> int:
    return vacant_seats(user_spans(user))


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
