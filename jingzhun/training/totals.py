"""Per-county training totals: the province's coverage page and the dashboard read a few hundred rows instead of
counting 200,000 cadres and their enrolments on every view (issue 17's target, docs/benchmarks.md).

The totals are derived data with one writer: `refresh`, called at the end of every write that changes what
they count — the course roster import (enrolments), the cadre roster import (a cadre's status or station, through
`jingzhun.teams.signals.cadres_changed`) — inside that write's transaction, so a reader sees the totals and the
rows they count change together. No database triggers (a migration that rebuilds a table on SQLite drops them
silently) and no write on a read. `jingzhun rebuild_people_totals` recounts everything for data loaded otherwise.

Definitions are those of `reports` (docs/people.md): a county's serving cadres are those whose stationed area
lies in it; "covered" by a topic in a year = completed a course of the topic starting that year, counted once.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear, Substr

from jingzhun.areas.models import Area, code_range
from jingzhun.organisation.totals import COUNTY_DIGITS, county_prefixes, lock_counties, within_counties
from jingzhun.teams.models import SERVING, Cadre
from jingzhun.training.models import COMPLETED, CadreTotal, CoverageTotal, Enrolment


def built() -> bool:
    """Whether the totals were ever counted (every county gets a row of `CadreTotal`, even with no cadre)."""
    return CadreTotal.objects.exists()


def recount_all() -> None:
    refresh(None)


def refresh(codes: Iterable[str] | None = None) -> None:
    """Recount the totals of the counties holding `codes` (area codes at or below county level: the stationed
    areas a write touched, before and after); None — or totals never counted yet — every county."""
    counties = Area.objects.filter(level="county")
    prefixes: list[str] | None = None
    if codes is not None and built():
        prefixes = county_prefixes(codes)
        if not prefixes:
            return
        counties = counties.filter(within_counties("code", prefixes))
    county_codes = list(counties.values_list("code", flat=True))
    with transaction.atomic():
        lock_counties(county_codes)  # then count: a concurrent recount of these counties has committed
        _write(county_codes, prefixes)


def _write(county_codes: list[str], prefixes: list[str] | None) -> None:
    cadres = Cadre.objects.filter(status=SERVING)
    done = Enrolment.objects.filter(status=COMPLETED, cadre__status=SERVING)
    if prefixes is not None:
        cadres, done = cadres.filter(within_counties("home_area_id", prefixes)), done.filter(
            within_counties("cadre__home_area_id", prefixes))
    serving = dict(cadres.annotate(county=Substr("home_area_id", 1, COUNTY_DIGITS)).values("county")
                   .annotate(n=Count("pk")).values_list("county", "n").order_by())
    covered = (done.annotate(county=Substr("cadre__home_area_id", 1, COUNTY_DIGITS),
                             year=ExtractYear("course__start_date"))
               .values("county", "year", "course__topic").annotate(n=Count("cadre_id", distinct=True))
               .values_list("county", "year", "course__topic", "n").order_by())
    known = set(county_codes)
    CadreTotal.objects.filter(county_id__in=county_codes).delete()
    CoverageTotal.objects.filter(county_id__in=county_codes).delete()
    CadreTotal.objects.bulk_create([CadreTotal(county_id=c, serving=serving.get(c[:COUNTY_DIGITS], 0))
                                    for c in county_codes], batch_size=2000)
    CoverageTotal.objects.bulk_create([
        CoverageTotal(county_id=county.ljust(12, "0"), year=year, topic=topic, covered=n)
        for county, year, topic, n in covered if county.ljust(12, "0") in known], batch_size=2000)


def coverage(area_code: str, year: int) -> tuple[int, dict[str, int]] | None:
    """For an area at county level or above: the serving cadres of its poor counties and, per topic, those of
    them covered in `year` — from the totals; None when the totals were never counted or the area is below a
    county (a township's few hundred cadres are counted live)."""
    area = Area.objects.filter(code=area_code).only("code", "level").first()
    if area is None or area.level in ("township", "village") or not built():
        return None
    low, high = code_range(area.code, area.level)
    poor = Q(county_id__gte=low, county_id__lte=high) & ~Q(county__poor_county="")
    cadres = CadreTotal.objects.filter(poor).aggregate(n=Sum("serving"))["n"] or 0
    covered = dict(CoverageTotal.objects.filter(poor, year=year).values("topic").annotate(n=Sum("covered"))
                   .values_list("topic", "n").order_by())
    return cadres, covered
