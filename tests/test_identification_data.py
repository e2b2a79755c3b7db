"""A register for the identification tests: hand-worked households with known answers, random ones
checked against a plain-Python second implementation, and the test policy they are judged by."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from django.utils import timezone

from jingzhun.policy import loads_policy
from jingzhun.policy.loading import DATA_DIR
from jingzhun.policy.model import Check, Policy
from tests.factories import OTHER_VILLAGE, VILLAGE, VILLAGE2

YEAR = 2020

POLICY_TOML = """
name = "测试政策 / test policy"
year = 2020
scope = "national"
poverty_line = 4000
monitoring_line = 6000

[income]
sources = ["wage_income", "production_income", "transfer_income"]
subtract = ["production_costs"]
per_capita = true

[guarantees.housing]
label = "住房安全有保障 / safe housing"
require = [{ field = "housing_grade", op = "in", value = ["A", "B"] }]

[guarantees.schooling]
label = "义务教育有保障 / compulsory schooling"
require = [{ field = "schooling", op = "ne", value = "dropout", members = "all" }]

[guarantees.medical]
label = "基本医疗有保障 / basic medical care"
require = [
  { field = "medical_secured", op = "eq", value = true },
  { field = "medical_insurance", op = "eq", value = true, members = "all" },
]

[exclusions.vehicle]
label = "家庭成员名下有小汽车 / a member owns a car"
department = "公安交通管理 / traffic police"
action = "exclude"

[exclusions.business]
label = "家庭成员注册公司 / a member runs a business"
department = "市场监督管理 / market regulation"
action = "review"

[mpi]
k = "1/3"

[[mpi.indicators]]
name = "toilet"
label = "无卫生厕所 / no sanitary toilet"
weight = "1/6"
deprived_when = { field = "sanitary_toilet", op = "eq", value = false }

[[mpi.indicators]]
name = "electricity"
label = "未通生活用电 / no household electricity"
weight = "1/18"
deprived_when = { field = "has_electricity", op = "eq", value = false }

[[mpi.indicators]]
name = "power"
label = "未通生产用电 / no production power"
weight = "1/18"
deprived_when = { field = "has_production_power", op = "eq", value = false }

[[mpi.indicators]]
name = "remote"
label = "距主干路超过5公里 / more than 5 km from the road"
weight = "1/18"
deprived_when = { field = "distance_to_road_km", op = "gt", value = 5 }

[[mpi.indicators]]
name = "elderly"
label = "有65岁及以上成员 / a member aged 65 or over"
weight = "1/3"
deprived_when = { field = "age", op = "ge", value = 65, members = "any" }

[[mpi.indicators]]
name = "no_migrant"
label = "无外出务工成员 / nobody works away"
weight = "1/3"
deprived_when = { field = "migrant_months", op = "eq", value = 0, members = "all" }
"""


def policy() -> Policy:
    return loads_policy(POLICY_TOML, file="test-policy.toml")


# Every member works away 3 months unless said otherwise, so "no_migrant" is not deprived by default.
DEFAULT_HOUSEHOLD: dict[str, Any] = dict(
    category="general", status="poor", identified_year=2014, housing_grade="B", drinking_water="safe",
    has_electricity=True, has_production_power=True, road="hardened", distance_to_road_km=Decimal("1.20"),
    sanitary_toilet=True, primary_cause="illness", food_secure=True, clothing_secure=True,
    schooling_secured=True, medical_secured=True, housing_secured=True, water_secured=True)
DEFAULT_MEMBER: dict[str, Any] = dict(
    relation="other", sex="male", birth_date=dt.date(1980, 5, 1), ethnicity="汉族", education="junior",
    schooling="none", labour="ordinary", migrant_months=3, medical_insurance=True, pension_insurance=True)


@dataclass
class Expected:
    size: int
    per_capita: Decimal | None
    status: int
    guarantee_failures: int = 0
    exclusions: int = 0
    deprivations: int = 0
    mpi_points: int = 0  # in 18ths (the common denominator of the test policy)
    reasons: int = 0


_counter = [0]


def make_household(number: str, *, village: str = VILLAGE, members: list[dict[str, Any]] | None = None,
                   income: dict[str, Any] | None = None, hits: list[tuple[str, str]] = (), **fields: Any) -> Any:
    from jingzhun.crosscheck.models import CrossCheckHit, CrossCheckList
    from jingzhun.registry.models import Household, IncomeRecord, Member

    hh = Household.objects.create(number=number, village_id=village, **{**DEFAULT_HOUSEHOLD, **fields})
    for pos, overrides in enumerate(members if members is not None else [{}], start=1):
        _counter[0] += 1
        m = {**DEFAULT_MEMBER, **overrides}
        if pos == 1:
            m["relation"] = "head"
        Member.objects.create(household=hh, position=pos, name=f"成员{pos}", resident_id_cipher=b"x",
                              resident_id_index=_counter[0].to_bytes(16, "big"), health_cipher=b"x", **m)
    if income is not None:
        IncomeRecord.objects.create(household=hh, year=income.pop("year", YEAR), **income)
    for rule, status in hits:
        lst, _ = CrossCheckList.objects.get_or_create(
            rule=rule, file_sha256="0" * 64,
            defaults=dict(department="测试", file_name="t.csv", imported_by="test", imported_at=timezone.now()))
        decided = {} if status == "pending" else dict(reason="核实 / checked", decided_by="test", decided_at=timezone.now())
        CrossCheckHit.objects.create(household=hh, member_position=1, rule=rule, source_list=lst, status=status, **decided)
    return hh


def yuan(value: str) -> Decimal:
    return Decimal(value)


# Bits: guarantees by schema order (food_clothing 0, schooling 1, medical 2, housing 3, water 4);
# exclusions (vehicle 0, business 1, ...); indicators in file order (toilet 0 … no_migrant 5).
SCHOOLING, MEDICAL, HOUSING = 1 << 1, 1 << 2, 1 << 3
VEHICLE, BUSINESS = 1 << 0, 1 << 1


def hand_worked() -> dict[str, Expected]:
    """Households whose answers were worked out by hand from the test policy (line 4,000, monitoring
    6,000, k = 1/3 = 6/18)."""
    from jingzhun.identification import codes as c

    cases: dict[str, Expected] = {}
    # Exactly at the line: 8,000 for 2 people is 4,000 each — not below the line, below monitoring.
    make_household("AT_LINE", members=[{}, {}], income=dict(wage_income=8000))
    cases["AT_LINE"] = Expected(2, yuan("4000.00"), c.MONITORED, reasons=c.INCOME_BELOW_MONITORING)
    # One fen under the line in total: 11,999.99 for 3 people is 3,999.996… → 3,999.99 (rounded down), poor.
    make_household("BELOW_LINE", members=[{}, {}, {}], income=dict(wage_income=Decimal("12999.99"), production_costs=1000))
    cases["BELOW_LINE"] = Expected(3, yuan("3999.99"), c.POOR, reasons=c.INCOME_BELOW_LINE)
    # Exactly at the monitoring line: neither poor nor monitored.
    make_household("AT_MONITORING", income=dict(wage_income=3000, production_income=2000, transfer_income=1000))
    cases["AT_MONITORING"] = Expected(1, yuan("6000.00"), c.NOT_POOR)
    # Score exactly k: toilet 3/18 + electricity, power, remote 1/18 each = 6/18 = 1/3 (distance 5.01 > 5).
    make_household("MPI_AT_K", income=dict(wage_income=10000), sanitary_toilet=False, has_electricity=False,
                   has_production_power=False, distance_to_road_km=Decimal("5.01"))
    cases["MPI_AT_K"] = Expected(1, yuan("10000.00"), c.POOR, deprivations=0b1111, mpi_points=6, reasons=c.MPI_POOR)
    # Just under k: 5 km exactly is not "more than 5 km", so 5/18.
    make_household("MPI_BELOW_K", income=dict(wage_income=10000), sanitary_toilet=False, has_electricity=False,
                   has_production_power=False, distance_to_road_km=Decimal("5.00"))
    cases["MPI_BELOW_K"] = Expected(1, yuan("10000.00"), c.NOT_POOR, deprivations=0b0111, mpi_points=5)
    # Age at the end of the data year: born 1955 is 65 in 2020 (deprived, 6/18 → poor); born 1956 is 64.
    make_household("AGED_65", income=dict(wage_income=10000), members=[{"birth_date": dt.date(1955, 12, 31)}])
    cases["AGED_65"] = Expected(1, yuan("10000.00"), c.POOR, deprivations=1 << 4, mpi_points=6, reasons=c.MPI_POOR)
    make_household("AGED_64", income=dict(wage_income=10000), members=[{"birth_date": dt.date(1956, 1, 1)}])
    cases["AGED_64"] = Expected(1, yuan("10000.00"), c.NOT_POOR)
    # A guarantee failing only through one member: the third of three dropped out of school.
    make_household("ONE_DROPOUT", income=dict(wage_income=30000), members=[{}, {}, {"schooling": "dropout"}])
    cases["ONE_DROPOUT"] = Expected(3, yuan("10000.00"), c.POOR, guarantee_failures=SCHOOLING, reasons=c.GUARANTEE_FAILED)
    # "all members insured" fails through one member; the household flag alone is met.
    make_household("ONE_UNINSURED", income=dict(wage_income=30000), members=[{}, {"medical_insurance": False}])
    cases["ONE_UNINSURED"] = Expected(2, yuan("15000.00"), c.POOR, guarantee_failures=MEDICAL, reasons=c.GUARANTEE_FAILED)
    # Poor by income but a confirmed vehicle hit excludes it.
    make_household("EXCLUDED", income=dict(wage_income=1000), hits=[("vehicle", "confirmed")])
    cases["EXCLUDED"] = Expected(1, yuan("1000.00"), c.NOT_POOR, exclusions=VEHICLE,
                                 reasons=c.INCOME_BELOW_LINE | c.EXCLUDED)
    # A pending hit counts too; a dismissed one does not.
    make_household("PENDING_HIT", income=dict(wage_income=1000), hits=[("vehicle", "pending")])
    cases["PENDING_HIT"] = Expected(1, yuan("1000.00"), c.NOT_POOR, exclusions=VEHICLE,
                                    reasons=c.INCOME_BELOW_LINE | c.EXCLUDED)
    make_household("DISMISSED_HIT", income=dict(wage_income=1000), hits=[("vehicle", "dismissed")])
    cases["DISMISSED_HIT"] = Expected(1, yuan("1000.00"), c.POOR, reasons=c.INCOME_BELOW_LINE)
    # A review hit does not change the status; it is a reason to look again.
    make_household("REVIEW", income=dict(wage_income=1000), hits=[("business", "pending")], housing_grade="C")
    cases["REVIEW"] = Expected(1, yuan("1000.00"), c.POOR, guarantee_failures=HOUSING, exclusions=BUSINESS,
                               reasons=c.INCOME_BELOW_LINE | c.GUARANTEE_FAILED | c.REVIEW)
    # No income record for the year: income is not assessed (an income of another year is ignored).
    make_household("NO_INCOME", income=dict(year=2019, wage_income=100))
    cases["NO_INCOME"] = Expected(1, None, c.NOT_POOR, reasons=c.NO_INCOME_RECORD)
    # Costs above income: a negative per-capita income, rounded down to the fen (−0.005 → −0.01).
    make_household("NEGATIVE", members=[{}, {}], income=dict(production_income=Decimal("0.99"), production_costs=1))
    cases["NEGATIVE"] = Expected(2, yuan("-0.01"), c.POOR, reasons=c.INCOME_BELOW_LINE)
    # No members: nothing per capita; "all members" checks hold vacuously ("nobody works away" is
    # deprived, 6/18 = k, so poor by the index), "any member" checks do not.
    make_household("NO_MEMBERS", members=[], income=dict(wage_income=100))
    cases["NO_MEMBERS"] = Expected(0, None, c.POOR, deprivations=1 << 5, mpi_points=6, reasons=c.MPI_POOR | c.NO_MEMBERS)
    return cases


def make_random(n: int, seed: int = 7) -> None:
    """`n` random households in three villages, with random members, incomes and hits."""
    rnd = random.Random(seed)
    for i in range(n):
        members = []
        for _ in range(rnd.choice([0, 1, 1, 2, 3, 3, 4, 5, 7])):
            members.append({"birth_date": dt.date(rnd.randint(1930, 2019), rnd.randint(1, 12), rnd.randint(1, 28)),
                            "schooling": rnd.choice(["none", "primary", "junior", "dropout"] + ["none"] * 8),
                            "medical_insurance": rnd.random() > 0.05, "migrant_months": rnd.choice([0, 0, 3, 12])})
        income = None
        if rnd.random() > 0.05:
            income = {f: Decimal(rnd.randint(0, 1_500_000)) / 100 for f in
                      ("wage_income", "production_income", "transfer_income", "property_income")}
            income["production_costs"] = Decimal(rnd.randint(0, 400_000)) / 100
            income["year"] = YEAR if rnd.random() > 0.05 else 2019
        hits = [(rule, rnd.choice(["pending", "confirmed", "dismissed"]))
                for rule in ("vehicle", "business", "public_payroll") if rnd.random() < 0.06]
        make_household(f"R{i:04d}", village=rnd.choice([VILLAGE, VILLAGE2, OTHER_VILLAGE]), members=members,
                       income=income, hits=hits, housing_grade=rnd.choice("AABBBCD"),
                       sanitary_toilet=rnd.random() > 0.3, has_electricity=rnd.random() > 0.1,
                       has_production_power=rnd.random() > 0.3, medical_secured=rnd.random() > 0.05,
                       distance_to_road_km=Decimal(rnd.choice([0, 250, 500, 501, 900])) / 100)


# --------------------------------------------------------------------------- a second implementation


def _holds(check: Check, value: Any) -> bool:
    v = check.value
    if isinstance(value, Decimal) or isinstance(value, int) and not isinstance(value, bool):
        value, v = Fraction(value), ([Fraction(str(x)) for x in v] if isinstance(v, list) else Fraction(str(v)))
    return {"eq": lambda: value == v, "ne": lambda: value != v, "in": lambda: value in v,
            "not_in": lambda: value not in v, "lt": lambda: value < v, "le": lambda: value <= v,
            "gt": lambda: value > v, "ge": lambda: value >= v}[check.op]()


def reference(policy: Policy, year: int = YEAR) -> dict[int, dict[str, Any]]:
    """Every household's result computed in plain Python from the ORM, straight from the policy's words."""
    from jingzhun.identification import codes as c
    from jingzhun.registry.models import Household

    out: dict[int, dict[str, Any]] = {}
    line, mon = Fraction(policy.poverty_line), Fraction(policy.monitoring_line or 0)
    households = Household.objects.prefetch_related("members", "incomes", "crosscheck_hits")
    for hh in households:
        members = list(hh.members.all())
        incomes = [i for i in hh.incomes.all() if i.year == year]

        def holds(check: Check, hh: Any = hh, members: list[Any] = members) -> bool:
            if check.field == "age":
                values = [year - m.birth_date.year for m in members]
            elif check.members is not None:
                values = [getattr(m, check.field) for m in members]
            else:
                return _holds(check, getattr(hh, check.field))
            results = [_holds(check, x) for x in values]
            return all(results) if check.members == "all" else any(results)

        g = sum(1 << i for i, name in enumerate(c.GUARANTEE_NAMES)
                if getattr(policy.guarantees, name) and not all(holds(x) for x in getattr(policy.guarantees, name).require))
        hit_rules = {h.rule for h in hh.crosscheck_hits.all() if h.status != "dismissed"}
        x = sum(1 << i for i, name in enumerate(c.EXCLUSION_NAMES) if getattr(policy.exclusions, name) and name in hit_rules)
        excluded = any(getattr(policy.exclusions, n).action == "exclude" for n in hit_rules if getattr(policy.exclusions, n))
        review = any(getattr(policy.exclusions, n).action == "review" for n in hit_rules if getattr(policy.exclusions, n))
        score, dep = Fraction(0), 0
        for i, ind in enumerate(policy.mpi.indicators if policy.mpi else []):
            if holds(ind.deprived_when):
                score += ind.weight
                dep |= 1 << i
        mpi_poor = bool(policy.mpi) and score >= policy.mpi.k
        per = None
        if incomes and members:
            inc = incomes[0]
            net = sum(Fraction(getattr(inc, f)) for f in policy.income.sources) - sum(
                Fraction(getattr(inc, f)) for f in policy.income.subtract)
            per = net / len(members)
        below = per is not None and per < line
        below_mon = per is not None and not below and bool(policy.monitoring_line) and per < mon
        poor = not excluded and (below or g > 0 or mpi_poor)
        status = c.POOR if poor else c.MONITORED if (not excluded and below_mon) else c.NOT_POOR
        reasons = ((c.INCOME_BELOW_LINE if below else 0) | (c.INCOME_BELOW_MONITORING if below_mon else 0)
                   | (c.GUARANTEE_FAILED if g else 0) | (c.MPI_POOR if mpi_poor else 0) | (c.EXCLUDED if excluded else 0)
                   | (c.REVIEW if review else 0) | (0 if incomes else c.NO_INCOME_RECORD) | (0 if members else c.NO_MEMBERS))
        out[hh.id] = {"number": hh.number, "size": len(members), "status": status, "guarantee_failures": g,
                      "exclusions": x, "deprivations": dep, "mpi_points": int(score * 18), "reasons": reasons,
                      "per_capita_floor": None if per is None else Decimal(int((per * 100).__floor__())) / 100}
    return out


def delete_all() -> None:
    from jingzhun.areas.models import Area
    from jingzhun.crosscheck.models import CrossCheckHit, CrossCheckList
    from jingzhun.identification.models import HouseholdResult, IdentificationRun
    from jingzhun.registry.models import Household, IncomeRecord, Member

    for model in (HouseholdResult, IdentificationRun, CrossCheckHit, CrossCheckList, IncomeRecord, Member, Household):
        model.objects.all().delete()
    for level in ("village", "township", "county", "city", "province"):
        Area.objects.filter(level=level).delete()


def health_policy(folder: Path) -> Path:
    """The provincial example with its medical-costs indicator testing `health` instead: a policy on an
    encrypted field, which every engine must refuse."""
    text = (DATA_DIR / "example-jiangsu-2016.toml").read_text(encoding="utf-8")
    proxy = 'deprived_when = { field = "medical_expenses", op = "gt", value = 5000 }'
    assert proxy in text
    path = folder / "health.toml"
    path.write_text(text.replace(proxy, 'deprived_when = { field = "health", op = "eq", value = "serious", '
                                        'members = "any" }'), encoding="utf-8")
    return path
