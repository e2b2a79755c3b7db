"""The talent pool: resident IDs kept like a member's (ciphertext, blind index, mask), retention by scheme and
vacancies by area and speciality against hand counts, and the area rule on every write and read."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError

from jingzhun.audit.models import AuditEntry
from jingzhun.crypto import resident_id_cipher
from jingzhun.talent import pool
from jingzhun.talent.models import Quota, Scheme, Talent
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, PROVINCE, VILLAGE, VILLAGE2, make_areas, resident_id
from tests.people_cast import officer

pytestmark = pytest.mark.django_db
RID = resident_id("433130", dt.date(1995, 4, 3), 7, True)


@pytest.fixture
def county(db):
    make_areas()
    return officer("talent_a", COUNTY)


def test_a_resident_id_is_stored_encrypted_indexed_and_masked_never_in_clear(county):
    person = pool.join(county, name="张农技", area_id=VILLAGE, speciality="agriculture", recruited="commissioner",
                       start_date=dt.date(2024, 1, 1), actor="a", resident_id=RID)
    row = Talent.objects.get(pk=person.pk)
    cipher = resident_id_cipher()
    assert cipher.decrypt(row.resident_id_cipher) == RID and bytes(row.resident_id_index) == cipher.index(RID)
    assert row.resident_id_masked == RID[:6] + "********" + RID[-4:]
    assert RID not in str(AuditEntry.objects.get(action="talent.join").detail)
    # The same person twice is refused by the blind index.
    with pytest.raises(IntegrityError):
        pool.join(county, name="张农技", area_id=VILLAGE2, speciality="agriculture", recruited="commissioner",
                  start_date=dt.date(2024, 1, 1), actor="a", resident_id=RID.lower())
    with pytest.raises(ValueError):
        pool.join(county, name="错号", area_id=VILLAGE, speciality="health", recruited="returnee",
                  start_date=dt.date(2024, 1, 1), actor="a", resident_id=RID[:-1] + ("0" if RID[-1] != "0" else "1"))


def test_joining_or_leaving_outside_the_users_areas_is_refused_alike(county):
    with pytest.raises(LookupError) as refused:
        pool.join(county, name="外县", area_id=OTHER_VILLAGE, speciality="health", recruited="returnee",
                  start_date=dt.date(2024, 1, 1), actor="a")
    theirs = pool.join(officer("talent_b", OTHER_COUNTY), name="外县", area_id=OTHER_VILLAGE, speciality="health",
                       recruited="returnee", start_date=dt.date(2024, 1, 1), actor="b")
    with pytest.raises(LookupError) as again:
        pool.depart(county, theirs.pk, on=dt.date(2024, 6, 1), reason="career", actor="a")
    with pytest.raises(LookupError) as missing:
        pool.depart(county, 10**9, on=dt.date(2024, 6, 1), reason="career", actor="a")
    assert str(refused.value) == str(again.value) == str(missing.value)
    assert Talent.objects.get(pk=theirs.pk).end_date is None
    # One's own village, another county's scheme: refused alike (it would count in their retention and quotas).
    other = Scheme.objects.create(code="B", name="永顺计划", recruited="returnee", area_id=OTHER_COUNTY, start_year=2024)
    with pytest.raises(LookupError) as scheme:
        pool.join(county, name="借名", area_id=VILLAGE, speciality="health", recruited="returnee", scheme_id=other.pk,
                  start_date=dt.date(2024, 1, 1), actor="a")
    assert str(scheme.value) == str(refused.value) and not other.talent.exists()


def test_retention_by_scheme_equals_the_hand_count(county):
    """Scheme G (graduates) recruits 4 in the county: two from 2022-01-01 still serving, one from 2022-01-01
    leaving 2023-01-01 (career), one from 2023-07-01 leaving 2023-12-31 (family). One returnee outside any
    scheme, from 2023-01-01, serving. On 2023-12-31: G recruited 4, serving 2, rate 0.5, departures career 1,
    family 1; days served 729 + 729 + 365 + 183 = 2006. On 2022-12-31: G recruited 3, serving 3."""
    g = Scheme.objects.create(code="G", name="三支一扶", recruited="graduate", area_id=COUNTY, start_year=2022)
    start, mid = dt.date(2022, 1, 1), dt.date(2023, 7, 1)
    ids = [pool.join(county, name=f"毕业生{i}", area_id=VILLAGE, speciality="education", recruited="graduate",
                     scheme_id=g.pk, start_date=day, actor="a").pk for i, day in enumerate([start, start, start, mid])]
    pool.depart(county, ids[2], on=dt.date(2023, 1, 1), reason="career", actor="a")
    pool.depart(county, ids[3], on=dt.date(2023, 12, 31), reason="family", actor="a")
    pool.join(county, name="返乡者", area_id=VILLAGE2, speciality="ecommerce", recruited="returnee",
              start_date=dt.date(2023, 1, 1), actor="a")
    got = {r.scheme: r for r in pool.retention(county, None, dt.date(2023, 12, 31))}
    assert (got["三支一扶"].recruited, got["三支一扶"].serving, got["三支一扶"].rate) == (4, 2, 0.5)
    assert got["三支一扶"].departures == {"career": 1, "family": 1}
    assert got["三支一扶"].person_days == 2006
    assert (got[""].recruited, got[""].serving) == (1, 1)
    early = {r.scheme: r for r in pool.retention(county, None, dt.date(2022, 12, 31))}
    assert (early["三支一扶"].recruited, early["三支一扶"].serving) == (3, 3) and "" not in early
    assert pool.talent_retention(county, COUNTY, 2023) == {"recruited": 5, "serving": 3, "rate": 0.6, "departed": 2}
    assert pool.talent_retention(officer("talent_b", OTHER_COUNTY), OTHER_COUNTY, 2023)["recruited"] == 0
    assert pool.talent_retention(officer("prov", PROVINCE), PROVINCE, 2023)["recruited"] == 5


def test_vacancies_by_area_and_speciality_equal_quota_minus_recruits(county):
    """2024 quotas: VILLAGE agriculture 3, VILLAGE health 1, VILLAGE2 agriculture 2. Recruited in 2024 through
    the scheme: 2 agriculture in VILLAGE (one of whom has left: still filled a place), 1 agriculture in VILLAGE2
    outside the scheme (fills nothing), 1 health in VILLAGE in 2023 (another year: fills nothing)."""
    s = Scheme.objects.create(code="K", name="科技特派员", recruited="commissioner", area_id=COUNTY, start_year=2024)
    for area, spec, places in [(VILLAGE, "agriculture", 3), (VILLAGE, "health", 1), (VILLAGE2, "agriculture", 2)]:
        Quota.objects.create(scheme=s, year=2024, area_id=area, speciality=spec, places=places)
    day = dt.date(2024, 3, 1)
    a = [pool.join(county, name=f"农{i}", area_id=VILLAGE, speciality="agriculture", recruited="commissioner",
                   scheme_id=s.pk, start_date=day, actor="a") for i in range(2)]
    pool.depart(county, a[0].pk, on=dt.date(2024, 9, 1), reason="health", actor="a")
    pool.join(county, name="外招", area_id=VILLAGE2, speciality="agriculture", recruited="returnee", start_date=day,
              actor="a")
    pool.join(county, name="医", area_id=VILLAGE, speciality="health", recruited="commissioner", scheme_id=s.pk,
              start_date=dt.date(2023, 3, 1), actor="a")
    got = {(r["area"], r["speciality"]): (r["places"], r["filled"], r["vacant"]) for r in pool.vacancies(county, 2024)}
    assert got == {(VILLAGE, "agriculture"): (3, 2, 1), (VILLAGE, "health"): (1, 0, 1),
                   (VILLAGE2, "agriculture"): (2, 0, 2)}
    assert pool.vacancies(officer("talent_b", OTHER_COUNTY), 2024) == []
