"""The special-fund ledger: allocations, payments and reversals in integer fen keep every scheme's balance
equal to an independent running sum and never overdraw; the ledger cannot be edited; the area rule holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jingzhun.audit.models import AuditEntry
from jingzhun.talent import funds
from jingzhun.talent.models import Payment, Scheme, Talent
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, VILLAGE, make_areas
from tests.people_cast import officer

pytestmark = pytest.mark.django_db
DAY = dt.date(2024, 3, 1)


@pytest.fixture
def ledger(db):
    make_areas()
    scheme = Scheme.objects.create(code="S1", name="三支一扶", recruited="graduate", area_id=COUNTY, start_year=2024)
    other = Scheme.objects.create(code="S2", name="永顺人才", recruited="returnee", area_id=OTHER_COUNTY,
                                  start_year=2024)
    people = [Talent.objects.create(name=f"人才{i}", speciality="agriculture", area_id=VILLAGE, recruited="graduate",
                                    scheme=scheme, start_date=DAY) for i in range(3)]
    stranger = Talent.objects.create(name="外县人才", speciality="health", area_id=OTHER_VILLAGE, recruited="returnee",
                                     scheme=other, start_date=DAY)
    return {"scheme": scheme, "other": other, "people": people, "stranger": stranger,
            "officer": officer("fund_a", COUNTY), "officer_b": officer("fund_b", OTHER_COUNTY)}


steps_ = st.lists(st.one_of(
    st.tuples(st.just("allocate"), st.sampled_from([2024, 2025]), st.integers(1, 50_000)),
    st.tuples(st.just("pay"), st.sampled_from([2024, 2025]), st.integers(0, 2), st.integers(1, 40_000)),
    st.tuples(st.just("reverse"), st.integers(0, 30)),
), min_size=1, max_size=25)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=steps_)
def test_random_payments_and_reversals_balance_and_never_overdraw(ledger, sequence):
    scheme, user = ledger["scheme"], ledger["officer"]
    allocated = {2024: 0, 2025: 0}
    paid = {2024: 0, 2025: 0}
    payments: list[tuple[int, int, int]] = []  # (pk, year, amount) of payments made here, in order
    reversed_: set[int] = set()
    with transaction.atomic():
        sid = transaction.savepoint()
        for step in sequence:
            if step[0] == "allocate":
                funds.allocate(user, scheme.pk, step[1], step[2], made_on=DAY, actor="t")
                allocated[step[1]] += step[2]
            elif step[0] == "pay":
                _, year, who, amount = step
                if amount > allocated[year] - paid[year]:
                    with pytest.raises(funds.Refused):
                        funds.pay(user, scheme.pk, year, ledger["people"][who].pk, amount, kind="subsidy",
                                  paid_on=DAY, actor="t")
                else:
                    row = funds.pay(user, scheme.pk, year, ledger["people"][who].pk, amount, kind="award",
                                    paid_on=DAY, actor="t")
                    paid[year] += amount
                    payments.append((row.pk, year, amount))
            elif payments:
                pk, year, amount = payments[step[1] % len(payments)]
                if pk in reversed_:
                    with pytest.raises(funds.Refused):
                        funds.reverse(user, pk, on=DAY, actor="t", reason="重复发放")
                else:
                    funds.reverse(user, pk, on=DAY, actor="t", reason="重复发放")
                    reversed_.add(pk)
                    paid[year] -= amount
            for year in (2024, 2025):
                got = funds.balance(scheme.pk, year)
                assert (got.allocated, got.paid) == (allocated[year], paid[year])
                assert 0 <= got.paid <= got.allocated
        shown = {(r["year"]): (r["allocated"], r["paid"], r["remaining"]) for r in funds.balances(user)}
        for year in (2024, 2025):
            if allocated[year] or paid[year]:
                assert shown[year] == (allocated[year], paid[year], allocated[year] - paid[year])
        transaction.savepoint_rollback(sid)


def test_a_payment_that_would_overdraw_is_refused_and_leaves_nothing(ledger):
    scheme, user, who = ledger["scheme"], ledger["officer"], ledger["people"][0]
    funds.allocate(user, scheme.pk, 2024, 100_000, made_on=DAY, actor="t")  # 1,000.00 元
    funds.pay(user, scheme.pk, 2024, who.pk, 60_000, kind="subsidy", paid_on=DAY, actor="t")
    audited = AuditEntry.objects.count()
    with pytest.raises(funds.Refused, match="40000"):
        funds.pay(user, scheme.pk, 2024, who.pk, 40_001, kind="subsidy", paid_on=DAY, actor="t")
    assert Payment.objects.count() == 1 and AuditEntry.objects.count() == audited
    funds.pay(user, scheme.pk, 2024, who.pk, 40_000, kind="subsidy", paid_on=DAY, actor="t")  # exactly the rest
    assert funds.balance(scheme.pk, 2024).remaining == 0
    # Another year's money is another fund.
    with pytest.raises(funds.Refused):
        funds.pay(user, scheme.pk, 2025, who.pk, 1, kind="subsidy", paid_on=DAY, actor="t")


def test_a_reversal_refers_to_its_payment_and_cannot_repeat_or_be_reversed(ledger):
    scheme, user, who = ledger["scheme"], ledger["officer"], ledger["people"][1]
    funds.allocate(user, scheme.pk, 2024, 5_000, made_on=DAY, actor="t")
    payment = funds.pay(user, scheme.pk, 2024, who.pk, 5_000, kind="award", paid_on=DAY, actor="t")
    undo = funds.reverse(user, payment.pk, on=DAY, actor="t", reason="发错人")
    assert (undo.amount_fen, undo.reverses_id, undo.kind) == (-5_000, payment.pk, "reversal")
    with pytest.raises(funds.Refused):
        funds.reverse(user, payment.pk, on=DAY, actor="t", reason="again")
    with pytest.raises(funds.Refused):
        funds.reverse(user, undo.pk, on=DAY, actor="t", reason="undo the undo")
    with pytest.raises(funds.Refused):
        funds.reverse(user, payment.pk, on=DAY, actor="t", reason=" ")
    assert funds.balance(scheme.pk, 2024).paid == 0
    assert list(AuditEntry.objects.filter(action__startswith="talent.").order_by("id").values_list("action", flat=True)) == [
        "talent.allocate", "talent.pay", "talent.reverse"]


def test_the_database_refuses_edits_and_deletes_of_the_ledger(ledger):
    scheme, user, who = ledger["scheme"], ledger["officer"], ledger["people"][0]
    funds.allocate(user, scheme.pk, 2024, 500, made_on=DAY, actor="t")
    payment = funds.pay(user, scheme.pk, 2024, who.pk, 500, kind="subsidy", paid_on=DAY, actor="t")
    for sql in ("UPDATE talent_payment SET amount_fen = 1 WHERE id = %s", "DELETE FROM talent_payment WHERE id = %s"):
        with pytest.raises(Exception, match="append-only"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [payment.pk])
    assert Payment.objects.get(pk=payment.pk).amount_fen == 500
    # A payment with the wrong sign, or a reversal without its original, breaks the table's own check.
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(scheme=scheme, year=2024, talent=who, kind="subsidy", amount_fen=-1, paid_on=DAY,
                               entered_by="t")
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(scheme=scheme, year=2024, talent=who, kind="reversal", amount_fen=-1, paid_on=DAY,
                               entered_by="t")


def test_amounts_are_whole_positive_fen(ledger):
    scheme, user = ledger["scheme"], ledger["officer"]
    for bad in (0, -5, 1.5, True, funds.MAX_FEN + 1):
        with pytest.raises(funds.Refused):
            funds.allocate(user, scheme.pk, 2024, bad, made_on=DAY, actor="t")  # type: ignore[arg-type]


def test_no_write_outside_the_users_areas_and_the_refusal_names_nothing(ledger):
    scheme, other, user = ledger["scheme"], ledger["other"], ledger["officer"]
    funds.allocate(ledger["officer_b"], other.pk, 2024, 9_000, made_on=DAY, actor="b")
    funds.allocate(user, scheme.pk, 2024, 9_000, made_on=DAY, actor="a")
    attempts = [
        lambda: funds.allocate(user, other.pk, 2024, 1, made_on=DAY, actor="a"),
        lambda: funds.pay(user, other.pk, 2024, ledger["stranger"].pk, 1, kind="award", paid_on=DAY, actor="a"),
        # Their own scheme's money to a person of another county: refused too.
        lambda: funds.pay(user, scheme.pk, 2024, ledger["stranger"].pk, 1, kind="award", paid_on=DAY, actor="a"),
        lambda: funds.allocate(user, 999_999, 2024, 1, made_on=DAY, actor="a"),
    ]
    for attempt in attempts:
        with pytest.raises(LookupError) as refused:
            attempt()
        assert "永顺" not in str(refused.value) and "S2" not in str(refused.value)
    theirs = funds.pay(ledger["officer_b"], other.pk, 2024, ledger["stranger"].pk, 100, kind="award", paid_on=DAY,
                       actor="b")
    with pytest.raises(LookupError):
        funds.reverse(user, theirs.pk, on=DAY, actor="a", reason="x")
    assert funds.balance(other.pk, 2024).paid == 100
    assert {r["scheme_id"] for r in funds.balances(user)} == {scheme.pk}


def test_an_allocation_dated_in_the_future_is_refused_and_writes_nothing(ledger):
    from jingzhun.talent.models import Allocation

    scheme, user = ledger["scheme"], ledger["officer"]
    before = AuditEntry.objects.count()
    with pytest.raises(funds.Refused) as refused:
        funds.allocate(user, scheme.pk, 2024, 1_000, made_on=DAY + dt.timedelta(days=1), actor="t", today=DAY)
    assert "下达日期 2024-03-02" in str(refused.value) and "made_on 2024-03-02 is after today 2024-03-01" in str(
        refused.value)
    assert not Allocation.objects.exists() and AuditEntry.objects.count() == before
    # Today itself, and the past, are accepted.
    funds.allocate(user, scheme.pk, 2024, 1_000, made_on=DAY, actor="t", today=DAY)
    funds.allocate(user, scheme.pk, 2024, 1_000, made_on=DAY - dt.timedelta(days=400), actor="t", today=DAY)
    assert funds.balance(scheme.pk, 2024).allocated == 2_000


def test_without_a_given_today_the_service_refuses_tomorrow(ledger):
    from django.utils import timezone

    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(funds.Refused, match="made_on"):
        funds.allocate(ledger["officer"], ledger["scheme"].pk, 2024, 1_000, made_on=tomorrow, actor="t")


def test_the_allocation_form_refuses_a_future_date_in_words(web):
    """Through the page: tomorrow (Beijing time) is refused with the rule in words, nothing is allotted."""
    from django.urls import reverse
    from django.utils import timezone

    from jingzhun.talent.models import Allocation
    from tests.people_web import add_people
    from tests.test_replay import rendered_form

    ids = add_people()[COUNTY]
    client = web.client("officer_a")
    url = reverse("talent:write", args=["allocate"])
    form = rendered_form(client, reverse("talent:pool") + f"?year=2024&area={COUNTY}", url)
    before = Allocation.objects.filter(scheme_id=ids["scheme"]).count()
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post(url, {**form, "scheme": str(ids["scheme"]), "amount": "500", "on": tomorrow.isoformat(),
                                 "year": str(tomorrow.year)}, follow=True)
    assert Allocation.objects.filter(scheme_id=ids["scheme"]).count() == before
    # The page shows the message's half in its language (`lang` filter): the field and the rule, in Chinese.
    assert f"下达日期 {tomorrow} 晚于今天 {timezone.localdate()}：不能登记尚未下达的资金" in response.content.decode()
