"""The special-fund ledger (人才专项资金): allocations to a scheme by year, payments to people in the pool, and
reversals — every write under the scheme's row lock, refused when it would overdraw, audited in the same
transaction. Nothing here edits or deletes an entry (the database refuses it too, migration 0002).

What holds for every scheme and year, after any sequence of writes: paid = Σ payments − Σ reversals ≥ 0 and
allocated ≥ paid (tests/test_talent_funds.py drives random sequences against a running sum of its own).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from jingzhun import access
from jingzhun.audit import log as audit
from jingzhun.tabular.rules import OUTSIDE
from jingzhun.talent.models import ENTRY_KIND, REVERSAL, Allocation, Payment, Scheme, Talent

ABILITY = "manage_people"
MAX_FEN = 10**13  # 千亿元: no single entry is larger; keeps sums far from 64-bit overflow


class Refused(ValueError):
    """The write breaks a rule; the message says which, "中文 / English"."""


@dataclass(frozen=True)
class Balance:
    scheme_id: int
    year: int
    allocated: int
    paid: int

    @property
    def remaining(self) -> int:
        return self.allocated - self.paid


def _locked_scheme(user: object, scheme_id: int) -> Scheme:
    """The scheme, its row locked for the transaction (PostgreSQL: FOR UPDATE; SQLite: the write lock the
    IMMEDIATE transaction holds), or LookupError when it is not in the user's areas — the same answer whether
    it exists or not."""
    scheme = Scheme.objects.select_for_update().filter(pk=scheme_id).first()
    if scheme is None or not access.can_see_area(user, scheme.area_id, ABILITY):
        raise LookupError(OUTSIDE)
    return scheme


def _amount(amount_fen: int) -> int:
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or not 0 < amount_fen <= MAX_FEN:
        raise Refused(f"金额应为 1–{MAX_FEN} 分的整数 / the amount must be a whole number of fen, 1 to {MAX_FEN}")
    return amount_fen


def balance(scheme_id: int, year: int) -> Balance:
    """Allocated and paid for one scheme and year, summed in SQL."""
    allocated = Allocation.objects.filter(scheme_id=scheme_id, year=year).aggregate(s=Sum("amount_fen"))["s"] or 0
    paid = Payment.objects.filter(scheme_id=scheme_id, year=year).aggregate(s=Sum("amount_fen"))["s"] or 0
    return Balance(scheme_id, year, int(allocated), int(paid))


def allocate(user: object, scheme_id: int, year: int, amount_fen: int, *, made_on: dt.date, actor: str,
             today: dt.date | None = None) -> Allocation:
    """Record an allocation made on `made_on` (not after `today`, Beijing time: a fund is entered once it has been
    allocated, never ahead of it)."""
    today = today or timezone.localdate()
    if made_on > today:
        raise Refused(f"下达日期 {made_on} 晚于今天 {today}：不能登记尚未下达的资金 / made_on {made_on} is after "
                      f"today {today}: an allocation cannot be dated in the future")
    with transaction.atomic():
        scheme = _locked_scheme(user, scheme_id)
        row = Allocation.objects.create(scheme=scheme, year=year, amount_fen=_amount(amount_fen), made_on=made_on,
                                        entered_by=actor)
        audit.record(actor, "talent.allocate", object_type="scheme", object_id=str(scheme.pk), area=scheme.area_id,
                     year=year, amount_fen=amount_fen)
    return row


def pay(user: object, scheme_id: int, year: int, talent_id: int, amount_fen: int, *, kind: str, paid_on: dt.date,
        actor: str, reason: str = "") -> Payment:
    """Pay a person in the pool from the scheme's fund for `year`; refused when the fund would be overdrawn."""
    if kind == REVERSAL or kind not in ENTRY_KIND.codes:
        raise Refused("类型应为补贴或奖励 / the kind must be a subsidy or an award")
    with transaction.atomic():
        scheme = _locked_scheme(user, scheme_id)
        talent = Talent.objects.filter(pk=talent_id).first()
        if talent is None or not access.can_see_area(user, talent.area_id, ABILITY):
            raise LookupError(OUTSIDE)
        before = balance(scheme.pk, year)
        if _amount(amount_fen) > before.remaining:
            raise Refused(f"{scheme.code} {year}年度余额 {before.remaining} 分，不足支付 {amount_fen} 分 / the fund has "
                          f"{before.remaining} fen left for {year}, less than {amount_fen}")
        row = Payment.objects.create(scheme=scheme, year=year, talent=talent, kind=kind, amount_fen=amount_fen,
                                     paid_on=paid_on, reason=reason[:200], entered_by=actor)
        audit.record(actor, "talent.pay", object_type="payment", object_id=str(row.pk), area=talent.area_id,
                     areas=[scheme.area_id], scheme=scheme.pk, year=year, amount_fen=amount_fen, kind=kind)
    return row


def reverse(user: object, payment_id: int, *, on: dt.date, actor: str, reason: str) -> Payment:
    """Undo a payment with a negative entry referring to it (once; never a reversal of a reversal)."""
    if not reason.strip():
        raise Refused("冲销须说明原因 / a reversal needs a reason")
    with transaction.atomic():
        original = Payment.objects.filter(pk=payment_id).select_related("talent").first()
        if original is None or not access.can_see_area(user, original.talent.area_id, ABILITY):
            raise LookupError(OUTSIDE)
        scheme = _locked_scheme(user, original.scheme_id)
        if original.kind == REVERSAL:
            raise Refused("冲销记录不能再冲销 / a reversal cannot be reversed")
        if Payment.objects.filter(reverses=original).exists():
            raise Refused(f"支付 {original.pk} 已冲销 / payment {original.pk} is reversed already")
        row = Payment.objects.create(scheme=scheme, year=original.year, talent=original.talent, kind=REVERSAL,
                                     amount_fen=-original.amount_fen, reverses=original, paid_on=on,
                                     reason=reason.strip()[:200], entered_by=actor)
        audit.record(actor, "talent.reverse", object_type="payment", object_id=str(row.pk),
                     area=original.talent.area_id, areas=[scheme.area_id], reverses=original.pk,
                     amount_fen=row.amount_fen)
    return row


def balances(user: object, year: int | None = None) -> list[dict[str, object]]:
    """Allocated, paid and remaining per scheme and year for the schemes in the user's areas, in SQL."""
    schemes = access.scope(Scheme.objects.all(), user, "area_id", "people")
    alloc = Allocation.objects.filter(scheme__in=schemes).filter(Q(year=year) if year else Q())
    paid = Payment.objects.filter(scheme__in=schemes).filter(Q(year=year) if year else Q())
    rows: dict[tuple[int, int], dict[str, object]] = {}
    names = dict(schemes.values_list("pk", "name"))
    for source, key in ((alloc, "allocated"), (paid, "paid")):
        for r in source.values("scheme_id", "year").annotate(total=Sum("amount_fen")).order_by():
            row = rows.setdefault((r["scheme_id"], r["year"]), {
                "scheme_id": r["scheme_id"], "scheme": names.get(r["scheme_id"], ""), "year": r["year"],
                "allocated": 0, "paid": 0})
            row[key] = int(r["total"] or 0)
    for row in rows.values():
        row["remaining"] = int(row["allocated"]) - int(row["paid"])  # type: ignore[call-overload]
    return sorted(rows.values(), key=lambda r: (str(r["scheme"]), int(r["year"])))  # type: ignore[call-overload]
