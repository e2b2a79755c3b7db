"""The talent pool's writes and figures: a person joins (their resident ID encrypted, blind-indexed and kept
masked, as a household member's), leaves with a reason; retention by scheme; vacancies by area and speciality.
Every figure is one aggregate in SQL over the user's areas."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, Sum

from jingzhun import access
from jingzhun.areas.models import Area
from jingzhun.audit import log as audit
from jingzhun.crypto import resident_id_cipher
from jingzhun.identity import mask, parse_resident_id
from jingzhun.organisation.people import Figure
from jingzhun.tabular.rules import OUTSIDE
from jingzhun.talent.models import DEPARTURE, Quota, Scheme, Talent

ABILITY = "manage_people"


def join(user: object, *, name: str, area_id: str, speciality: str, recruited: str, start_date: dt.date,
         actor: str, scheme_id: int | None = None, qualifications: str = "", resident_id: str = "") -> Talent:
    """Add a person to the pool in one of the user's areas. The ID, when given, is checked (GB 11643) and
    stored only as ciphertext, blind index and mask; a person already in the pool is refused by the index."""
    if not access.can_see_area(user, area_id, ABILITY) or not Area.objects.filter(code=area_id).exists():
        raise LookupError(OUTSIDE)  # an unregistered code in one's range is as unknown as one elsewhere
    # The scheme too must be the user's: joining another area's scheme would change its retention and quotas.
    if scheme_id is not None:
        scheme_area = Scheme.objects.filter(pk=scheme_id).values_list("area_id", flat=True).first()
        if scheme_area is None or not access.can_see_area(user, scheme_area, ABILITY):
            raise LookupError(OUTSIDE)
    talent = Talent(name=name.strip()[:40], area_id=area_id, speciality=speciality, recruited=recruited,
                    scheme_id=scheme_id, start_date=start_date, qualifications=qualifications[:200])
    if resident_id.strip():
        number = parse_resident_id(resident_id).number
        cipher = resident_id_cipher()
        talent.resident_id_cipher, talent.resident_id_index = cipher.encrypt(number), cipher.index(number)
        talent.resident_id_masked = mask(number)
    try:
        talent.full_clean(exclude=["resident_id_cipher", "resident_id_index", "scheme"])
    except ValidationError as exc:  # a code not in its table, a blank name: the form's problem, not a 500
        fields = ", ".join(sorted(exc.message_dict))
        raise ValueError(f"登记信息无效：{fields} / not a valid record: {fields}") from None
    with transaction.atomic():
        talent.save()
        audit.record(actor, "talent.join", object_type="talent", object_id=str(talent.pk), area=area_id)
    return talent


def depart(user: object, talent_id: int, *, on: dt.date, reason: str, actor: str) -> Talent:
    if reason not in DEPARTURE.codes:
        raise ValueError(f"离岗原因应为：{'、'.join(DEPARTURE.labels().values())} / unknown departure reason")
    with transaction.atomic():
        talent = Talent.objects.select_for_update().filter(pk=talent_id, end_date__isnull=True).first()
        if talent is None or not access.can_see_area(user, talent.area_id, ABILITY):
            raise LookupError(OUTSIDE)
        if on < talent.start_date:
            raise ValueError("离岗日期早于到岗日期 / the departure is before the start")
        Talent.objects.filter(pk=talent.pk).update(end_date=on, departure=reason)
        audit.record(actor, "talent.depart", object_type="talent", object_id=str(talent.pk), area=talent.area_id,
                     reason=reason, on=on.isoformat())
        talent.end_date, talent.departure = on, reason
    return talent


@dataclass(frozen=True)
class Retention:
    scheme_id: int | None
    scheme: str
    recruited: int  # started on or before the day
    serving: int  # of those, still serving on the day
    person_days: int  # days served by them up to the day (or their departure)
    departures: dict[str, int]

    @property
    def rate(self) -> float | None:
        return None if not self.recruited else self.serving / self.recruited

    @property
    def years_served(self) -> float | None:
        return None if not self.recruited else self.person_days / self.recruited / 365.25


def retention(user: object, area_code: str | None, on: dt.date) -> list[Retention]:
    """Per scheme (people recruited outside any scheme under None): how many had started by `on`, how many
    still served on `on`, their mean years served, and departures by reason — in the user's areas."""
    qs = access.scope(Talent.objects.filter(start_date__lte=on), user, "area_id", "people")
    if area_code:
        qs = access.within_area(qs, "area_id", area_code)
    left = Q(end_date__isnull=False, end_date__lte=on)
    rows = qs.values("scheme_id").annotate(recruited=Count("id"), gone=Count("id", filter=left)).order_by("scheme_id")
    names = dict(Scheme.objects.filter(pk__in=[r["scheme_id"] for r in rows]).values_list("pk", "name"))
    reasons: dict[int | None, dict[str, int]] = {}
    for r in qs.filter(left).values("scheme_id", "departure").annotate(n=Count("id")).order_by():
        reasons.setdefault(r["scheme_id"], {})[r["departure"]] = r["n"]
    # Days served: the sum over people of (min(end, on) − start), as date arithmetic in Python over the few
    # distinct (start, end) pairs the aggregate returns, so SQLite and PostgreSQL agree to the day.
    days: dict[int | None, int] = {}
    for r in qs.values("scheme_id", "start_date", "end_date").annotate(n=Count("id")).order_by():
        end = min(r["end_date"] or on, on)
        days[r["scheme_id"]] = days.get(r["scheme_id"], 0) + (end - r["start_date"]).days * r["n"]
    return [Retention(r["scheme_id"], names.get(r["scheme_id"], ""), r["recruited"], r["recruited"] - r["gone"],
                      days.get(r["scheme_id"], 0), reasons.get(r["scheme_id"], {})) for r in rows]


def vacancies(user: object, year: int, area_code: str | None = None) -> list[dict[str, object]]:
    """Per area and speciality: the places the year's quotas offer, the people recruited into them (started
    that year through a scheme holding such a quota, serving in exactly the quota's area, of its speciality)
    and the places left."""
    quotas = access.scope(Quota.objects.filter(year=year), user, "area_id", "people")
    if area_code:
        quotas = access.within_area(quotas, "area_id", area_code)
    offered = {(r["area_id"], r["speciality"]): r["places"] for r in
               quotas.values("area_id", "speciality").annotate(places=Sum("places")).order_by()}
    filled: dict[tuple[str, str], int] = {}
    # One filter() call: the three conditions on the same quota row (a second call would join quotas again).
    people = Talent.objects.filter(scheme__quotas__in=quotas, start_date__year=year,
                                   area_id=F("scheme__quotas__area_id"), speciality=F("scheme__quotas__speciality"))
    for r in people.values("area_id", "speciality").annotate(n=Count("id", distinct=True)).order_by():
        filled[(r["area_id"], r["speciality"])] = r["n"]
    return [{"area": area, "speciality": spec, "places": places, "filled": filled.get((area, spec), 0),
             "vacant": max(0, places - filled.get((area, spec), 0))}
            for (area, spec), places in sorted(offered.items())]



def talent_retention(user: object, area_code: str | None, year: int) -> dict[str, object]:
    """For the dashboard's people section: on 31 December of `year`, the people recruited by then in the
    user's areas (below `area_code`), those still serving, and the rate."""
    found = retention(user, area_code, dt.date(year, 12, 31))
    recruited = sum(r.recruited for r in found)
    serving = sum(r.serving for r in found)
    return {"recruited": recruited, "serving": serving, "rate": serving / recruited if recruited else None,
            "departed": recruited - serving}


def people_figures(user: object, area: Area, today: dt.date) -> list[Figure]:
    """The dashboard people section's talent tile (`organisation.people.register`): retention today."""
    found = retention(user, area.code, min(today, dt.date(today.year, 12, 31)))
    recruited = sum(r.recruited for r in found)
    rate = sum(r.serving for r in found) / recruited if recruited else None
    return [Figure("talent_retention", "人才留任率 / talent retention", rate, "share")]
