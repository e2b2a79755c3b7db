"""jingzhun.db.prepared: a `.values()` queryset compiled once, run with other parameters — the same rows as the
ORM gives for the same queryset (the second, plain implementation here is the ORM itself), typed the same."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import Q

from jingzhun.db.prepared import Prepared
from jingzhun.registry.models import Household, IncomeRecord, Member, StatusEvent
from jingzhun.web import household_reads

pytestmark = pytest.mark.django_db


def test_rows_are_the_orms_for_every_household_with_the_orms_types(web):
    members = Prepared(lambda h: Member.objects.filter(household_id=h).order_by("-position")
                       .values("pk", "name", "birth_date", "medical_insurance", "resident_id_cipher")[:3])
    for h in Household.objects.all():
        orm = list(Member.objects.filter(household_id=h.pk).order_by("-position")
                   .values("pk", "name", "birth_date", "medical_insurance", "resident_id_cipher")[:3])
        got = members(h.pk)
        assert [{**r, "resident_id_cipher": bytes(r["resident_id_cipher"])} for r in got] == \
            [{**r, "resident_id_cipher": bytes(r["resident_id_cipher"])} for r in orm]
        assert all(isinstance(r["birth_date"], dt.date) and isinstance(r["medical_insurance"], bool) for r in got)
    one = Household.objects.get(number="A101-1").pk
    incomes = household_reads.incomes(one)
    assert incomes == list(IncomeRecord.objects.filter(household_id=one).order_by("year")
                           .values(*household_reads.INCOME_FIELDS))
    # The cast's A101-1 (tests/factories.household_rows): wages 6,000 and production 3,000.50 in 2019.
    assert [(i["year"], i["wage_income"], i["production_income"]) for i in incomes] == [
        (2019, Decimal("6000.00"), Decimal("3000.50"))]
    events = household_reads.events(one)
    assert [e["recorded_at"] for e in events] == list(
        StatusEvent.objects.filter(household_id=one).order_by("recorded_at").values_list("recorded_at", flat=True))
    assert all(e["recorded_at"].tzinfo is not None for e in events)  # aware, as the ORM gives them


def test_compiled_once_and_a_household_without_rows_gives_none(web):
    prepared = Prepared(lambda h: IncomeRecord.objects.filter(household_id=h).values("year"))
    first = prepared.compiled()
    assert prepared(10**12) == [] and prepared.compiled() is first


def test_a_parameter_must_reach_the_sql_once_as_a_value_and_only_values_querysets():
    twice = Prepared(lambda h: Member.objects.filter(Q(household_id=h) | Q(position=h)).values("pk"))
    with pytest.raises(ValueError, match="2 times"):
        twice(1)
    sliced = Prepared(lambda n: Member.objects.values("pk")[:n])  # a LIMIT written into the SQL
    with pytest.raises(ValueError, match="depends on a parameter's value"):
        sliced(2)
    models = Prepared(lambda h: Member.objects.filter(household_id=h))
    with pytest.raises(TypeError):
        models(1)
