"""Village party branches: rating a branch for a year (a weak one with its rectification), re-rating it, and
the lists — weak branches by area, overdue rectifications — all within the user's areas, in SQL, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr

from jingzhun import access
from jingzhun.areas.models import LEVEL_DIGITS, Area
from jingzhun.audit import log as audit
from jingzhun.branches import totals
from jingzhun.branches.models import ELECTION_KIND, RATING, RERATING, WEAK, WEAK_REASON, Branch, Election, Rating
from jingzhun.organisation.people import Figure
from jingzhun.tabular.rules import OUTSIDE
from jingzhun.teams.models import TeamMembership

WRITE, READ = "manage_people", "people"
CHILD = {"province": "city", "city": "county", "county": "township", "township": "village", "village": "village"}


def _branch(user: object, branch_id: int) -> Branch:
    branch = Branch.objects.filter(pk=branch_id).first()
    if branch is None or not access.can_see_area(user, branch.village_id, WRITE):
        raise LookupError(OUTSIDE)
    return branch


def rate(user: object, branch_id: int, year: int, rating: str, *, actor: str, reason: str = "", detail: str = "",
         plan: str = "", deadline: dt.date | None = None, responsible: str = "") -> Rating:
    """Record a branch's rating for `year` (once per year). A weak rating must name its reason and carry the
    rectification plan, deadline and responsible person."""
    if rating not in RATING.codes:
        raise ValueError("评定结果未知 / unknown rating")
    weak = rating == WEAK
    if weak and (reason not in WEAK_REASON.codes or not plan.strip() or deadline is None or not responsible.strip()):
        raise ValueError("软弱涣散须填写原因、整顿措施、期限和责任人 / a weak branch needs a reason, a rectification "
                         "plan, a deadline and a responsible person")
    with transaction.atomic():
        branch = _branch(user, branch_id)
        if Rating.objects.filter(branch=branch, year=year).exists():
            raise ValueError(f"{year}年度已评定 / already rated for {year}")
        try:
            # Two raters at the same instant both pass the check above; the unique (branch, year) lets one
            # in and refuses the other (after the first commits, on PostgreSQL): the same words, not a 500.
            with transaction.atomic():
                row = Rating.objects.create(
                    branch=branch, year=year, rating=rating, reason=reason if weak else "", detail=detail[:300],
                    plan=plan.strip()[:500] if weak else "", deadline=deadline if weak else None,
                    responsible=responsible.strip()[:40] if weak else "", entered_by=actor)
        except IntegrityError:
            raise ValueError(f"{year}年度已评定 / already rated for {year}") from None
        audit.record(actor, "branch.rate", object_type="branch", object_id=str(branch.pk), area=branch.village_id,
                     year=year, rating=rating)
        totals.refresh([branch.village_id])
    return row


def elect(user: object, branch_id: int, *, held_on: dt.date, kind: str, secretary: str, actor: str,
          votes: int = 0) -> Election:
    """Record an election (换届 or 补选); the elected secretary becomes the branch's secretary."""
    if kind not in ELECTION_KIND.codes or not secretary.strip() or not 0 <= votes <= 100_000:
        raise ValueError("选举须填写类型和当选书记 / an election needs its kind and the secretary elected")
    with transaction.atomic():
        branch = _branch(user, branch_id)
        row = Election.objects.create(branch=branch, held_on=held_on, kind=kind, secretary=secretary.strip()[:40],
                                      votes=votes)
        Branch.objects.filter(pk=branch.pk).update(secretary=row.secretary)
        audit.record(actor, "branch.elect", object_type="branch", object_id=str(branch.pk), area=branch.village_id,
                     held_on=held_on.isoformat(), kind=kind)
    return row


def rerate(user: object, rating_id: int, result: str, *, on: dt.date, actor: str) -> Rating:
    """Re-rate a weak branch after its rectification: rectified, or still weak."""
    if result not in RERATING.codes or not result:
        raise ValueError("复评结果未知 / unknown re-rating")
    with transaction.atomic():
        row = Rating.objects.select_for_update().filter(pk=rating_id, rating=WEAK).select_related("branch").first()
        if row is None or not access.can_see_area(user, row.branch.village_id, WRITE):
            raise LookupError(OUTSIDE)
        Rating.objects.filter(pk=row.pk).update(rerating=result, rerated_on=on)
        audit.record(actor, "branch.rerate", object_type="branch", object_id=str(row.branch_id),
                     area=row.branch.village_id, year=row.year, result=result)
        totals.refresh([row.branch.village_id])
        row.rerating, row.rerated_on = result, on
    return row


def first_secretaries(villages: list[str]) -> dict[str, str]:
    """Village → the name of the serving first secretary of its open work team (from the teams app)."""
    rows = TeamMembership.objects.filter(team__village_id__in=villages, team__end_date__isnull=True,
                                         role="first_secretary", end_date__isnull=True)
    return dict(rows.values_list("team__village_id", "cadre__name"))


def visible(user: object, area_code: str | None = None) -> QuerySet:
    qs = access.scope(Branch.objects.all(), user, "village_id", READ)
    return access.within_area(qs, "village_id", area_code) if area_code else qs


def overdue(user: object, today: dt.date, area_code: str | None = None) -> QuerySet:
    """Weak ratings whose rectification deadline has passed without a re-rating of "rectified"."""
    # The branch's village through the join (ranges on its unique index), not a subquery of every branch.
    qs = access.scope(Rating.objects.filter(rating=WEAK, deadline__lt=today), user, "branch__village_id", READ)
    if area_code:
        qs = access.within_area(qs, "branch__village_id", area_code)
    return qs.exclude(rerating="rectified").select_related("branch").order_by("deadline", "branch__village_id")


def weak_branches(user: object, area_code: str, year: int) -> list[dict[str, object]]:
    """For the branch page and the dashboard's people section: per area one level below `area_code`, the
    branches, those rated weak in `year`, and those of them not yet rectified. A province or a city: from the
    per-county totals (`totals`); a county or a township: counted live (a few hundred branches)."""
    area = Area.objects.filter(code=area_code).only("code", "level").first()
    if area is None or not access.can_see_area(user, area.code, READ):
        return []
    rows = totals.by_child(area, year)
    if rows is None:
        rows = _live_by_child(user, area, year)
    codes = [str(r["part"]).ljust(12, "0") for r in rows]
    names = dict(Area.objects.filter(code__in=codes).values_list("code", "name"))
    return [{"code": code, "name": names.get(code, ""), "branches": r["branches"], "weak": r["weak"],
             "unrectified": r["unrectified"]} for code, r in zip(codes, rows, strict=True)]


def _live_by_child(user: object, area: Area, year: int) -> list[dict[str, Any]]:
    digits = LEVEL_DIGITS[CHILD[area.level]]
    weak = Q(ratings__year=year, ratings__rating=WEAK)
    return list(visible(user, area.code).annotate(part=Substr("village_id", 1, digits)).values("part")
                .annotate(branches=Count("id", distinct=True), weak=Count("id", filter=weak, distinct=True),
                          unrectified=Count("id", filter=weak & ~Q(ratings__rerating="rectified"), distinct=True))
                .order_by("part"))


def people_figures(user: object, area: Area, today: dt.date) -> list[Figure]:
    """The dashboard people section's branch tiles (`organisation.people.register`): in the latest year rated
    (up to this year), the branches rated weak or lax and those not yet rectified — from the per-county totals at
    county level and above, counted live below."""
    found = totals.latest(area, today.year) if access.can_see_area(user, area.code, READ) else None
    if found is None:
        qs = Rating.objects.filter(branch__in=visible(user, area.code), year__lte=today.year)
        latest = qs.order_by("-year").values_list("year", flat=True).first()
        weak = qs.filter(year=latest or today.year, rating=WEAK)
        found = (latest or today.year, weak.count(), weak.exclude(rerating="rectified").count())
    year, weak_n, open_n = found
    return [Figure("weak_branches", f"{year}年软弱涣散村党组织 / weak or lax branches, {year}", weak_n),
            Figure("weak_unrectified", "其中未整顿转化 / of them not yet rectified", open_n)]
