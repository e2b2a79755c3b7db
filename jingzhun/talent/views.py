"""Talent pages: the pool (IDs masked), retention by scheme, vacancies by area and speciality, and the special
funds' balances and ledger for an area and year; officers add people, record departures, allocate, pay and
reverse here. The rules and the writing are `pool`'s and `funds`'; these views read the form and show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from jingzhun import access
from jingzhun.organisation import paging
from jingzhun.talent import funds, pool, schemes
from jingzhun.talent.models import DEPARTURE, ENTRY_KIND, RECRUITED, SPECIALITY, Payment, Scheme, Talent
from jingzhun.web import form_write
from jingzhun.web.area_param import chosen_area, chosen_year
from jingzhun.web.pages import requires


def _labels(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rows:
        r["speciality_label"] = SPECIALITY.label(str(r.get("speciality", "")))
    return rows


@requires("people")
def talent_pool(request: HttpRequest) -> HttpResponse:
    area, year = chosen_area(request, "people"), chosen_year(request)
    people = access.within_area(access.scope(Talent.objects.all(), request.user, "area_id", "people"), "area_id",
                                area.code).select_related("scheme").order_by("area_id", "name", "pk")
    schemes = access.within_area(access.scope(Scheme.objects.all(), request.user, "area_id", "people"), "area_id",
                                 area.code).order_by("code")
    ledger = Payment.objects.filter(scheme__in=schemes, year=year).select_related("talent", "scheme").order_by("-pk")
    retention = pool.retention(request.user, area.code, min(dt.date(year, 12, 31), dt.date.today()))
    listed = paging.page(request, "page", people)
    return render(request, "talent/pool.html", {
        "area": area, "year": year, "people": listed, "total": listed.paginator.count, "schemes": schemes,
        "retention": retention, "vacancies": _labels(pool.vacancies(request.user, year, area.code)),
        "balances": [b for b in funds.balances(request.user, year) if b["scheme_id"] in {s.pk for s in schemes}],
        "ledger": paging.page(request, "ledger_page", ledger), "may_write": access.may(request.user, "manage_people"),
        "specialities": SPECIALITY.labels(), "recruited": RECRUITED.labels(), "departures": DEPARTURE.labels(),
        "kinds": {k: v for k, v in ENTRY_KIND.labels().items() if k != "reversal"}, "title": _("Talent"),
    })


def _int(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 15:
        raise ValueError(_("Not a whole number."))
    return int(text)


def _yuan_to_fen(text: str) -> int:
    """Yuan as typed (at most 2 decimals) → integer fen, without floats."""
    whole, _sep, cents = text.strip().partition(".")
    if len(cents) > 2:
        raise ValueError(_("At most two decimals."))
    return _int(whole or "0") * 100 + _int((cents or "0").ljust(2, "0"))


def _join(request: HttpRequest, p: Any, actor: str) -> str:
    scheme = p.get("scheme", "").strip()
    pool.join(request.user, name=p["name"], area_id=p["serving_area"].strip()[:12], speciality=p["speciality"],
              recruited=p["recruited"], start_date=dt.date.fromisoformat(p["start_date"]), actor=actor,
              scheme_id=_int(scheme) if scheme else None, qualifications=p.get("qualifications", ""),
              resident_id=p.get("resident_id", ""))
    return _("Added to the pool.")


def _depart(request: HttpRequest, p: Any, actor: str) -> str:
    pool.depart(request.user, _int(p["talent"]), on=dt.date.fromisoformat(p["on"]), reason=p["reason"], actor=actor)
    return _("Departure recorded.")


def _allocate(request: HttpRequest, p: Any, actor: str) -> str:
    funds.allocate(request.user, _int(p["scheme"]), _int(p["year"]), _yuan_to_fen(p["amount"]),
                   made_on=dt.date.fromisoformat(p["on"]), actor=actor)
    return _("Allocation recorded.")


def _pay(request: HttpRequest, p: Any, actor: str) -> str:
    funds.pay(request.user, _int(p["scheme"]), _int(p["year"]), _int(p["talent"]), _yuan_to_fen(p["amount"]),
              kind=p["kind"], paid_on=dt.date.fromisoformat(p["on"]), actor=actor, reason=p.get("reason", ""))
    return _("Payment recorded.")


def _reverse(request: HttpRequest, p: Any, actor: str) -> str:
    funds.reverse(request.user, _int(p["payment"]), on=dt.date.fromisoformat(p["on"]), actor=actor,
                  reason=p.get("reason", ""))
    return _("Payment reversed.")


def _scheme(request: HttpRequest, p: Any, actor: str) -> str:
    schemes.add_scheme(request.user, code=p["code"], name=p["name"], recruited=p["recruited"],
                       area_id=p["scheme_area"].strip()[:12], start_year=_int(p["start_year"]), actor=actor)
    return _("Scheme added.")


def _quota(request: HttpRequest, p: Any, actor: str) -> str:
    schemes.set_quota(request.user, _int(p["scheme"]), year=_int(p["year"]), area_id=p["post_area"].strip()[:12],
                      speciality=p["speciality"], places=_int(p["places"]), actor=actor)
    return _("Quota set.")


ACTIONS: dict[str, Callable[[HttpRequest, Any, str], str]] = {
    "join": _join, "depart": _depart, "allocate": _allocate, "pay": _pay, "reverse": _reverse, "scheme": _scheme,
    "quota": _quota}


# Money moves: a second submit of the same form (a double click, a resend) must not pay or allot twice.
ONCE = frozenset({"pay", "allocate"})


@require_POST
@requires("manage_people")
def write(request: HttpRequest, action: str) -> HttpResponse:
    """One write of the talent page. Anything outside the user's areas is "not found"; a broken rule is shown
    on the page and nothing is written."""
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404
    form_write.write(request, handler, claim_once=action in ONCE)
    return form_write.back_to(request, "talent:pool")
