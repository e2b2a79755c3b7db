"""Recruitment schemes and their quotas, written by officers inside their areas: a scheme is run by one of
the user's areas, a quota is held by one of the user's schemes for a post in one of the user's areas. Anything
else is "not found" (LookupError with the one OUTSIDE message), whether it exists or not. Audited."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.tabular.rules import OUTSIDE
from jingzhun.talent.models import RECRUITED, SPECIALITY, Quota, Scheme

ABILITY = "manage_people"
FIRST_YEAR = 2000


def _year(year: int) -> int:
    if not FIRST_YEAR <= year <= dt.date.today().year + 10:
        raise ValueError(f"年度应在 {FIRST_YEAR}–{dt.date.today().year + 10} 之间 / the year must be between "
                         f"{FIRST_YEAR} and {dt.date.today().year + 10}")
    return year


def _mine(user: object, area_id: str) -> bool:
    """A registered area in the user's areas (an unregistered code is not found either)."""
    return access.can_see_area(user, area_id, ABILITY) and Area.objects.filter(code=area_id).exists()


def add_scheme(user: object, *, code: str, name: str, recruited: str, area_id: str, start_year: int,
               actor: str) -> Scheme:
    """A new scheme run by one of the user's areas (the code unique across the province)."""
    if not _mine(user, area_id):
        raise LookupError(OUTSIDE)
    if recruited not in RECRUITED.codes:
        raise ValueError("引进方式不在代码表中 / unknown way of recruitment")
    code, name = code.strip(), name.strip()
    if not code or not name or len(code) > 32 or len(name) > 120:
        raise ValueError("计划编号（≤32字）与名称（≤120字）必填 / the code (≤32) and name (≤120) are required")
    with transaction.atomic():
        scheme = Scheme.objects.create(code=code, name=name, recruited=recruited, area_id=area_id,
                                       start_year=_year(start_year))
        audit.record(actor, "talent.scheme_add", object_type="talent_scheme", object_id=str(scheme.pk),
                     area=area_id, code=code)
    return scheme


def set_quota(user: object, scheme_id: int, *, year: int, area_id: str, speciality: str, places: int,
              actor: str) -> Quota:
    """The places a scheme offers in a year for a speciality in an area: set (created or replaced)."""
    if speciality not in SPECIALITY.codes:
        raise ValueError("专业领域不在代码表中 / unknown speciality")
    if not 0 <= places <= 100_000:
        raise ValueError("名额应在 0–100000 之间 / the places must be between 0 and 100000")
    with transaction.atomic():
        # The scheme's row lock: two officers setting the same quota do not both insert it.
        scheme = Scheme.objects.select_for_update().filter(pk=scheme_id).first()
        if scheme is None or not access.can_see_area(user, scheme.area_id, ABILITY) \
                or not _mine(user, area_id):
            raise LookupError(OUTSIDE)
        if year < scheme.start_year:
            raise ValueError(f"早于计划起始年度 {scheme.start_year} / before the first year of the scheme, {scheme.start_year}")
        quota, _created = Quota.objects.update_or_create(scheme=scheme, year=_year(year), area_id=area_id,
                                                         speciality=speciality, defaults={"places": places})
        audit.record(actor, "talent.quota_set", object_type="talent_quota", object_id=str(quota.pk), area=area_id,
                     areas=[scheme.area_id, area_id], scheme=scheme.code, year=year, speciality=speciality,
                     places=places)
    return quota
