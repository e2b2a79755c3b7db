"""Candidate shortlists for a leadership vacancy, built from the records by the profile (`profile.toml`),
each candidate with the evidence, and the decision recorded and audited with its reason.

The criteria: frontline service years (the union of the cadre's work-team memberships and helper pairs —
overlapping periods count once), skills, an age band, and assessment grades once the assessment app exists.
Until then `assessment_grades` answers nothing and a shortlist says it used service records alone.
Ranking: service years (longest first), then skills matched, then the cadre's id (a stable order).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field, field_validator

from jingzhun.audit import log as audit
from jingzhun.organisation import scope
from jingzhun.organisation.models import PostHolding, PostKind, Shortlist, ShortlistEntry
from jingzhun.teams.models import SERVING, SKILL, Cadre, HelperPair, TeamMembership

PROFILE_FILE = Path(__file__).with_name("profile.toml")
SERVICE_ONLY = "人选仅依据服务记录（考核评价尚未接入）/ shortlists use service records alone"
WITH_GRADES = "人选依据服务记录和考核等次 / shortlists use service records and assessment grades"


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_service_years: float = Field(2.0, ge=0, le=60)
    skills_any: list[str] = []
    age_min: int | None = Field(None, ge=18, le=70)
    age_max: int | None = Field(None, ge=18, le=70)
    limit: int = Field(10, ge=1, le=100)

    @field_validator("skills_any")
    @classmethod
    def known_skills(cls, value: list[str]) -> list[str]:
        unknown = set(value) - set(SKILL.codes)
        if unknown:
            raise ValueError(f"未知专长 / unknown skills: {', '.join(sorted(unknown))}")
        return value


def load_profile(path: Path = PROFILE_FILE) -> Profile:
    return Profile.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))


# The assessment app (being built) registers a function (cadre ids, year) → {cadre id: grade}.
GradeSource = Callable[[list[int], int], dict[int, str]]
_grade_source: GradeSource | None = None


def register_grade_source(source: GradeSource | None) -> GradeSource | None:
    global _grade_source
    previous, _grade_source = _grade_source, source
    return previous


def assessment_grades(cadre_ids: list[int], year: int) -> dict[int, str] | None:
    """The hook for assessment grades: None until the assessment app registers its source."""
    return None if _grade_source is None else _grade_source(cadre_ids, year)


class Refused(ValueError):
    """A shortlist or decision the user may not make, or one the records do not allow."""


def union_days(periods: Iterable[tuple[dt.date, dt.date]]) -> int:
    """Days covered by the periods (start inclusive, end exclusive), overlaps counted once."""
    total, reach = 0, None
    for start, end in sorted(periods):
        if reach is not None and start < reach:
            start = reach
        if end > start:
            total += (end - start).days
            reach = end if reach is None or end > reach else reach
    return total


def service_days(cadre_ids: list[int], today: dt.date) -> dict[int, int]:
    """cadre id → days of frontline service (team memberships and helper pairs, open ones to `today`)."""
    periods: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for part in _chunks(cadre_ids):
        for model in (TeamMembership, HelperPair):
            for cadre, start, end in model.objects.filter(cadre_id__in=part, start_date__lte=today).values_list(
                    "cadre_id", "start_date", "end_date"):
                periods[cadre].append((start, min(end or today, today)))
    return {c: union_days(periods.get(c, [])) for c in cadre_ids}


def _chunks(items: list[int], step: int = 5000) -> Iterable[list[int]]:
    for i in range(0, len(items), step):
        yield items[i : i + step]


def age_on(birth: dt.date, today: dt.date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


@dataclass(frozen=True)
class Candidate:
    cadre_id: int
    name: str
    service_years: float
    skills_matched: tuple[str, ...]
    age: int | None
    grade: str | None


def candidates(user: object, profile: Profile, today: dt.date) -> list[Candidate]:
    """Serving cadres in the user's areas (where they may write) who meet every criterion, best first."""
    holding = PostHolding.objects.filter(cadre_id=OuterRef("pk"), end_date__isnull=True)
    qs = Cadre.objects.filter(scope.q(user, "home_area_id", write=True), status=SERVING).exclude(Exists(holding))
    if profile.age_max is not None:  # born after today minus (age_max + 1) years
        qs = qs.filter(birth_date__gt=_years_before(today, profile.age_max + 1))
    if profile.age_min is not None:
        qs = qs.filter(birth_date__lte=_years_before(today, profile.age_min))
    rows = list(qs.values_list("pk", "name", "skills", "birth_date"))
    wanted = set(profile.skills_any)
    rows = [r for r in rows if not wanted or wanted & set(r[2].split(","))]
    days = service_days([r[0] for r in rows], today)
    grades = assessment_grades([r[0] for r in rows], today.year) or {}
    found = [Candidate(pk, name, round(days[pk] / 365.25, 2), tuple(s for s in SKILL.codes if s in wanted
                       and s in skills.split(",")), age_on(birth, today) if birth else None, grades.get(pk))
             for pk, name, skills, birth in rows if days[pk] / 365.25 >= profile.min_service_years]
    found.sort(key=lambda c: (-c.service_years, -len(c.skills_matched), c.cadre_id))
    return found[: profile.limit]


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def build(user: object, actor: str, area: str, post_code: str, today: dt.date,
          profile: Profile | None = None) -> Shortlist:
    """A shortlist for a vacancy of `post_code` in `area` (a poor county or township the user may write)."""
    if not scope.covers(user, area, write=True):
        raise Refused("区划不在您的管辖范围内 / the area is outside your areas")
    post = PostKind.objects.filter(code=post_code, active=True).first()
    if post is None:
        raise Refused(f"没有职务 {post_code} / no post {post_code}")
    profile = profile or load_profile()
    found = candidates(user, profile, today)
    basis = SERVICE_ONLY if _grade_source is None else WITH_GRADES
    with transaction.atomic():
        shortlist = Shortlist.objects.create(area_id=area, post=post, criteria=profile.model_dump(), basis=basis,
                                             created_by=actor, created_at=timezone.now())
        ShortlistEntry.objects.bulk_create([ShortlistEntry(
            shortlist=shortlist, cadre_id=c.cadre_id, rank=i + 1,
            evidence={"service_years": c.service_years, "skills": list(c.skills_matched), "age": c.age,
                      "grade": c.grade}) for i, c in enumerate(found)])
        audit.record(actor, "organisation.shortlist", object_type="shortlist", object_id=str(shortlist.pk),
                     area=area, post=post.code, candidates=[c.cadre_id for c in found], basis=basis)
    return shortlist


def decide(user: object, actor: str, shortlist_id: int, cadre_id: int, reason: str, today: dt.date) -> Shortlist:
    """Record the decision: the chosen candidate takes the post from `today`; the reason is required."""
    reason = reason.strip()
    if not reason:
        raise Refused("须填写决定理由 / a decision needs its reason")
    with transaction.atomic():
        shortlist = Shortlist.objects.select_for_update().filter(
            scope.q(user, "area_id", write=True), pk=shortlist_id).first()
        if shortlist is None:
            raise Refused("没有这份名单，或不在您的管辖范围内 / no such shortlist in your areas")
        if shortlist.status != "open":
            raise Refused("名单已决定或撤回 / the shortlist is already decided or withdrawn")
        if not shortlist.entries.filter(cadre_id=cadre_id).exists():
            raise Refused("人选不在名单中 / the candidate is not on the shortlist")
        Shortlist.objects.filter(pk=shortlist.pk).update(status="decided", chosen_id=cadre_id, decided_by=actor,
                                                         decided_at=timezone.now(), reason=reason[:500])
        PostHolding.objects.create(area_id=shortlist.area_id, post_id=shortlist.post_id, cadre_id=cadre_id,
                                   start_date=today)
        audit.record(actor, "organisation.decide", object_type="shortlist", object_id=str(shortlist.pk),
                     area=shortlist.area_id, cadre=cadre_id, reason=reason[:500])
        shortlist.refresh_from_db()
    return shortlist
