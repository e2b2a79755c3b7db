"""Per-county party-branch totals: the province's and a city's weak branches by area, and the dashboard's
figure, read from a few hundred rows instead of joining every branch with its ratings on each view.

Derived data with one writer, `refresh`, called at the end of every write that changes what it counts — the
branch roster import (new branches), rating and re-rating (`service`) — inside that write's transaction. No
triggers, no write on a read; `jingzhun rebuild_people_totals` recounts everything for data loaded otherwise.
Below a county (a township's branches) the figures are counted live by `service`.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from jingzhun.areas.models import Area, code_range
from jingzhun.branches.models import WEAK, Branch, BranchTotal, Rating, RatingTotal
from jingzhun.organisation.totals import COUNTY_DIGITS, county_prefixes, lock_counties, within_counties

WIDE = ("province", "city")  # the levels whose children are counties or above: read from the totals


def built() -> bool:
    """Whether the totals were ever counted (every county gets a `BranchTotal` row, even with no branch)."""
    return BranchTotal.objects.exists()


def recount_all() -> None:
    refresh(None)


def refresh(codes: Iterable[str] | None = None) -> None:
    """Recount the counties holding `codes` (village codes a write touched); None — or never counted yet — all."""
    counties = Area.objects.filter(level="county")
    branches, ratings = Branch.objects.all(), Rating.objects.all()
    if codes is not None and built():
        prefixes = county_prefixes(codes)
        if not prefixes:
            return
        counties = counties.filter(within_counties("code", prefixes))
        branches = branches.filter(within_counties("village_id", prefixes))
        ratings = ratings.filter(within_counties("branch__village_id", prefixes))
    county_codes = list(counties.values_list("code", flat=True))
    with transaction.atomic():
        lock_counties(county_codes)  # then count: a concurrent recount of these counties has committed
        _write(county_codes, branches, ratings)


def _write(county_codes: list[str], branches: QuerySet, ratings: QuerySet) -> None:
    known = set(county_codes)
    count = dict(branches.annotate(county=Substr("village_id", 1, COUNTY_DIGITS)).values("county")
                 .annotate(n=Count("pk")).values_list("county", "n").order_by())
    weak = Q(rating=WEAK)
    rated = (ratings.annotate(county=Substr("branch__village_id", 1, COUNTY_DIGITS)).values("county", "year")
             .annotate(n=Count("pk"), weak=Count("pk", filter=weak),
                       open=Count("pk", filter=weak & ~Q(rerating="rectified")))
             .values_list("county", "year", "n", "weak", "open").order_by())
    BranchTotal.objects.filter(county_id__in=county_codes).delete()
    RatingTotal.objects.filter(county_id__in=county_codes).delete()
    BranchTotal.objects.bulk_create([BranchTotal(county_id=c, branches=count.get(c[:COUNTY_DIGITS], 0))
                                     for c in county_codes], batch_size=2000)
    RatingTotal.objects.bulk_create([
        RatingTotal(county_id=county.ljust(12, "0"), year=year, rated=n, weak=w, unrectified=o)
        for county, year, n, w, o in rated if county.ljust(12, "0") in known], batch_size=2000)


def by_child(area: Area, year: int) -> list[dict[str, object]] | None:
    """For a province or a city: per child area (city or county) with branches, the branches, those rated weak
    in `year` and those of them not rectified — from the totals; None when not counted yet or a narrower area."""
    if area.level not in WIDE or not built():
        return None
    digits = 4 if area.level == "province" else COUNTY_DIGITS
    low, high = code_range(area.code, area.level)
    inside = Q(county_id__gte=low, county_id__lte=high)
    parts: dict[str, dict[str, int]] = {}
    for county, n in BranchTotal.objects.filter(inside, branches__gt=0).values_list("county_id", "branches"):
        part = parts.setdefault(county[:digits], {"branches": 0, "weak": 0, "unrectified": 0})
        part["branches"] += n
    for county, weak, unrectified in RatingTotal.objects.filter(inside, year=year).values_list(
            "county_id", "weak", "unrectified"):
        part = parts.setdefault(county[:digits], {"branches": 0, "weak": 0, "unrectified": 0})
        part["weak"] += weak
        part["unrectified"] += unrectified
    return [{"part": p, **v} for p, v in sorted(parts.items())]


def latest(area: Area, today_year: int) -> tuple[int, int, int] | None:
    """For an area at county level or above: the latest year rated up to `today_year` with its weak and not yet
    rectified branches, from the totals; None when not counted yet, below a county or never rated."""
    if area.level in ("township", "village") or not built():
        return None
    low, high = code_range(area.code, area.level)
    rows = RatingTotal.objects.filter(county_id__gte=low, county_id__lte=high, year__lte=today_year)
    year = rows.order_by("-year").values_list("year", flat=True).first()
    if year is None:
        return None
    found = rows.filter(year=year).aggregate(weak=Sum("weak"), open=Sum("unrectified"))
    return year, found["weak"] or 0, found["open"] or 0
