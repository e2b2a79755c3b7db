"""Helper pairing in the database (jingzhun/teams): the one-active-pair constraint, the adapters that
build the instance (county-local candidates, capacity by rank, skill fit, continuity), preview with its
shortfall report, and approval (history, audit, stale and repeated approvals refused).

Areas are the two counties of tests/factories.py: 龙山县 433130 (镇 433130101, villages …201 and …202)
and 永顺县 433127 (village 433127102203). Every expected number is worked out by hand in the test.
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from django.contrib.auth.models import Permission, User
from django.db import IntegrityError, transaction
from django.urls import reverse

from jingzhun.areas.models import AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.models import Household
from jingzhun.teams import pairing_db
from jingzhun.teams.models import Cadre, HelperPair, PairingProposal, parse_skills
from jingzhun.teams.pairing_db import CapacityExceeded, CostWeights, PairingRefused, approve, build_instance, preview
from tests.factories import COUNTY, OTHER_COUNTY, OTHER_VILLAGE, TOWNSHIP, VILLAGE, VILLAGE2, make_areas

pytestmark = pytest.mark.django_db

SMALL_CAPS = {"section": 1, "staff": 2}


@pytest.fixture
def tree(db):
    make_areas()


def household(number: str, village: str, cause: str = "illness", secondary: str = "", status: str = "poor",
              save: bool = True) -> Household:
    h = Household(
        number=number, village_id=village, category="general", status=status,
        exit_year=2020 if status == "exited" else None, housing_grade="B", drinking_water="safe",
        has_electricity=True, has_production_power=False, road="gravel", sanitary_toilet=False,
        primary_cause=cause, secondary_causes=secondary, food_secure=True, clothing_secure=True,
        schooling_secured=True, medical_secured=True, housing_secured=True, water_secured=True,
    )
    if save:
        h.save()
    return h


def cadre(name: str, area: str, skills: str, rank: str = "staff", save: bool = True) -> Cadre:
    c = Cadre(name=name, unit="县卫健局", unit_kind="county", rank=rank, skills=skills, home_area_id=area)
    if save:
        c.save()
    return c


@pytest.fixture
def small(tree):
    """The hand-worked instance: 5 households, 3 cadres (capacities 1, 2, 2 with SMALL_CAPS).

    Costs (distance 100 per tree step, skill 200 / 100 for a secondary-cause match, no current pairs):
        h1 (村1, 因病)      c1 (村1, medicine, cap 1): 0     c2 (镇, agriculture, cap 2): 100 + 200 = 300
        h2 (村1, 缺技术)    c1: 200                        c2: 100
        h3 (村2, 因病)      c1: 100                        c2: 300
        h4 (永顺, 缺资金)   c3 (永顺村, finance, cap 2): 0
        h5 (永顺, 因病+缺资金) c3: 100 (secondary match)
    龙山县: c1 takes one household, c2 the other two: c1←h1 costs 0 + 100 + 300 = 400, c1←h2 200 + 300 + 300
    = 800, c1←h3 100 + 300 + 100 = 500. So h1→c1, h2→c2, h3→c2; 永顺县 h4, h5 → c3: 100. Total 500.
    """
    hs = {
        "h1": household("h1", VILLAGE, "illness"), "h2": household("h2", VILLAGE, "skills"),
        "h3": household("h3", VILLAGE2, "illness"), "h4": household("h4", OTHER_VILLAGE, "capital"),
        "h5": household("h5", OTHER_VILLAGE, "illness", "capital"),
    }
    cs = {
        "c1": cadre("c1", VILLAGE, "medicine", "section"), "c2": cadre("c2", TOWNSHIP, "agriculture"),
        "c3": cadre("c3", OTHER_VILLAGE, "finance"),
    }
    return hs, cs


def active_pairs() -> dict[str, str]:
    return dict(HelperPair.objects.filter(end_date__isnull=True).values_list("household__number", "cadre__name"))


def test_one_active_pair_per_household_is_a_database_constraint(small):
    hs, cs = small
    first = HelperPair.objects.create(household=hs["h1"], cadre=cs["c1"], start_date=dt.date(2024, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        HelperPair.objects.create(household=hs["h1"], cadre=cs["c2"], start_date=dt.date(2024, 2, 1))
    first.end_date, first.end_reason = dt.date(2024, 3, 1), "调整"
    first.save()
    HelperPair.objects.create(household=hs["h1"], cadre=cs["c2"], start_date=dt.date(2024, 3, 1))
    assert HelperPair.objects.filter(household=hs["h1"]).count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():  # and an end before the start is refused too
        HelperPair.objects.create(household=hs["h2"], cadre=cs["c2"], start_date=dt.date(2024, 3, 1),
                                  end_date=dt.date(2024, 2, 1))


def test_hand_worked_instance(small):
    inst = build_instance(Household.objects.all(), Cadre.objects.all(), capacity_by_rank=SMALL_CAPS)
    assert inst.capacity.tolist() == [1, 2, 2]
    # 龙山县 households have c1 and c2 as candidates, 永顺县 ones only c3: 3×2 + 2×1 arcs.
    assert inst.arc_household.size == 8
    assert set(inst.arc_cost.tolist()) <= {500 + b for b in (0, 100, 200, 300)}
    run = preview(Household.objects.all(), Cadre.objects.all(), actor="tester", capacity_by_rank=SMALL_CAPS)
    assert (run.new, run.moved, run.kept, run.ended, run.unpaired) == (5, 0, 0, 0, 0)
    assert (run.cost_before, run.cost_after) == (0, 500)
    assert run.shortfalls == []
    proposed = dict(PairingProposal.objects.filter(run=run).values_list("household__number", "cadre__name"))
    assert proposed == {"h1": "c1", "h2": "c2", "h3": "c2", "h4": "c3", "h5": "c3"}
    assert HelperPair.objects.count() == 0  # a preview changes no pair
    approve(run, "approver", today=dt.date(2025, 1, 1))
    assert active_pairs() == proposed


def test_continuity_adding_a_household_moves_no_pair(small):
    hs, cs = small
    approve(preview(Household.objects.all(), Cadre.objects.all(), actor="t"), "a", today=dt.date(2025, 1, 1))
    before = active_pairs()
    household("h6", VILLAGE, "illness")  # c1 (capacity 5 now) would suit it and has room
    run = preview(Household.objects.all(), Cadre.objects.all(), actor="t")
    assert (run.new, run.moved, run.kept, run.ended) == (1, 0, 5, 0)
    approve(run, "a", today=dt.date(2025, 2, 1))
    after = active_pairs()
    assert {h: after[h] for h in before} == before and after["h6"] == "c1"


def test_continuity_keeps_a_worse_current_pair_unless_switching_is_free(small):
    hs, cs = small
    # h1 paired by hand with c2 (cost 300 where c1 would cost 0): saving 300 < switching penalty 500.
    pairing_db.pair(hs["h1"], cs["c2"], actor="officer", start=dt.date(2024, 1, 1))
    kept = preview(Household.objects.filter(number="h1"), Cadre.objects.all(), actor="t")
    assert (kept.kept, kept.moved, kept.cost_before, kept.cost_after) == (1, 0, 300, 300)
    moved = preview(Household.objects.filter(number="h1"), Cadre.objects.all(), actor="t",
                    weights=CostWeights(switch=0))
    assert (moved.kept, moved.moved, moved.cost_before, moved.cost_after) == (0, 1, 300, 0)


def test_a_recalled_helpers_households_are_re_paired(small):
    hs, cs = small
    pairing_db.pair(hs["h1"], cs["c1"], actor="o", start=dt.date(2024, 1, 1))
    Cadre.objects.filter(pk=cs["c1"].pk).update(status="recalled")
    # c1's pair is outside this set of households: it is only read, and the preview is consistent.
    only_h2 = preview(Household.objects.filter(number="h2"), Cadre.objects.all(), actor="t")
    assert (only_h2.new, only_h2.moved) == (1, 0)
    run = preview(Household.objects.filter(number="h1"), Cadre.objects.all(), actor="t")
    assert (run.moved, run.cost_before, run.cost_after) == (1, 0, 300)  # c1 is not a candidate: → c2
    approve(run, "a", today=dt.date(2025, 1, 1))
    assert active_pairs() == {"h1": "c2"}


def test_shortfall_per_county(small):
    run = preview(Household.objects.all(), Cadre.objects.all(), actor="t", capacity_by_rank={"section": 1, "staff": 1})
    # 龙山县: 3 households, c1 + c2 = 2 places; 永顺县: 2 households, c3 = 1 place.
    assert run.shortfalls == [[OTHER_COUNTY[:6], "永顺县", 2, 1, 1], [COUNTY[:6], "龙山县", 3, 2, 1]]
    assert (run.new, run.unpaired) == (3, 2)


def test_preview_then_approve_keeps_history_and_audits(small):
    hs, cs = small
    pairing_db.pair(hs["h1"], cs["c2"], actor="officer", start=dt.date(2024, 1, 1))
    pairing_db.pair(hs["h4"], cs["c3"], actor="officer", start=dt.date(2024, 1, 1))
    Household.objects.filter(number="h4").update(status="exited", exit_year=2024)  # no longer needs a helper
    run = preview(Household.objects.all(), Cadre.objects.all(), actor="t", capacity_by_rank=SMALL_CAPS,
                  weights=CostWeights(switch=0))
    assert (run.new, run.moved, run.kept, run.ended) == (3, 1, 0, 1)
    approve(run, "approver", today=dt.date(2025, 6, 1))
    old = HelperPair.objects.get(household=hs["h1"], cadre=cs["c2"])
    assert (old.start_date, old.end_date) == (dt.date(2024, 1, 1), dt.date(2025, 6, 1)) and old.end_reason
    exited = HelperPair.objects.get(household=hs["h4"])
    assert exited.end_date == dt.date(2025, 6, 1) and "no longer needs" in exited.end_reason
    new = HelperPair.objects.get(household=hs["h1"], end_date__isnull=True)
    assert (new.cadre_id, new.start_date, new.run_id) == (cs["c1"].pk, dt.date(2025, 6, 1), run.pk)
    assert active_pairs() == {"h1": "c1", "h2": "c2", "h3": "c2", "h5": "c3"}
    entry = AuditEntry.objects.get(action="pairing.approve")
    assert (entry.actor, entry.object_id, entry.detail) == ("approver", str(run.pk), {"created": 4, "ended": 2})


def test_approving_twice_or_a_stale_preview_is_refused(small):
    hs, cs = small
    run = preview(Household.objects.all(), Cadre.objects.all(), actor="t", capacity_by_rank=SMALL_CAPS)
    stale = preview(Household.objects.all(), Cadre.objects.all(), actor="t", capacity_by_rank=SMALL_CAPS)
    approve(run, "a")
    with pytest.raises(PairingRefused, match="已审批"):
        approve(run, "a")
    with pytest.raises(PairingRefused, match="changed"):  # the first approval changed its counties' pairs
        approve(stale, "a")
    # A change by hand in one county makes a preview of it stale too; nothing is written then.
    fresh = preview(Household.objects.all(), Cadre.objects.all(), actor="t", capacity_by_rank=SMALL_CAPS)
    HelperPair.objects.filter(household=hs["h4"]).update(end_date=dt.date(2030, 1, 1), end_reason="x")
    count = HelperPair.objects.count()
    with pytest.raises(PairingRefused):
        approve(fresh, "a")
    assert HelperPair.objects.count() == count
    fresh.refresh_from_db()
    assert fresh.status == "previewed"
    # So does a proposed helper who was recalled in the meantime.
    again = preview(Household.objects.all(), Cadre.objects.all(), actor="t", capacity_by_rank=SMALL_CAPS)
    Cadre.objects.filter(pk=cs["c3"].pk).update(status="recalled")
    with pytest.raises(PairingRefused, match="no longer serving"):
        approve(again, "a")


def test_capacity_is_enforced_by_the_adapter(small):
    hs, cs = small
    pairing_db.pair(hs["h1"], cs["c1"], actor="o", capacity_by_rank=SMALL_CAPS)
    with pytest.raises(CapacityExceeded):  # c1 (乡科级) holds 1 household at most
        pairing_db.pair(hs["h2"], cs["c1"], actor="o", capacity_by_rank=SMALL_CAPS)
    assert not HelperPair.objects.filter(household=hs["h2"]).exists()
    HelperPair.objects.create(household=hs["h2"], cadre=cs["c1"], start_date=dt.date(2025, 1, 1))  # bypassing it
    with pytest.raises(CapacityExceeded):
        pairing_db.check_capacity([cs["c1"].pk], SMALL_CAPS)


def big_register(n_households: int = 200, n_cadres: int = 40, seed: int = 7) -> None:
    rng = random.Random(seed)
    villages = [VILLAGE, VILLAGE2, OTHER_VILLAGE]
    homes = [VILLAGE, VILLAGE2, TOWNSHIP, COUNTY, OTHER_VILLAGE, OTHER_COUNTY]
    causes = ["illness", "disability", "skills", "capital", "schooling", "marriage", "labour"]
    statuses = ["poor"] * 6 + ["monitored", "exited"]
    Household.objects.bulk_create([
        household(f"B{i:04d}", rng.choice(villages), rng.choice(causes), rng.choice(["", "capital", "skills,capital"]),
                  status=rng.choice(statuses), save=False)
        for i in range(n_households)
    ])
    Cadre.objects.bulk_create([
        cadre(f"K{i:03d}", rng.choice(homes), ",".join(sorted(set(rng.sample(["medicine", "finance", "agriculture",
                                                                               "education", "trade"], 2)))),
              rng.choice(["section", "staff", "division"]), save=False)
        for i in range(n_cadres)
    ])


CAPS = {"section": 3, "staff": 5, "division": 4}


def test_candidates_stay_in_the_county_and_capacity_holds(tree):
    big_register()
    inst = build_instance(Household.objects.all(), Cadre.objects.all(), capacity_by_rank=CAPS, candidates=4)
    h_county = inst.household_area[inst.arc_household] // 10**6
    k_county = inst.cadre_area[inst.arc_helper] // 10**6
    assert inst.arc_household.size and (h_county == k_county).all()
    assert np.bincount(inst.arc_household).max() == 4
    # The arcs' vectorised cost is the documented model (base_cost), and the switching penalty comes on top.
    h, k = inst.arc_household, inst.arc_helper
    model = pairing_db.base_cost(inst.household_area[h], inst.household_primary[h], inst.household_secondary[h],
                                 inst.cadre_area[k], inst.cadre_skills[k], CostWeights())
    assert (inst.arc_base == model).all()
    assert (inst.arc_cost - inst.arc_base == np.where(inst.current_helper[h] == k, 0, 500)).all()
    town = build_instance(Household.objects.all(), Cadre.objects.all(), scope="township")
    assert (inst.household_area[town.arc_household] // 1000 == town.cadre_area[town.arc_helper] // 1000).all()
    run = preview(Household.objects.all(), Cadre.objects.all(), actor="t", capacity_by_rank=CAPS, candidates=4)
    approve(run, "a")
    loads = {}
    for k, rank in Cadre.objects.values_list("id", "rank"):
        loads[k] = (HelperPair.objects.filter(cadre_id=k, end_date__isnull=True).count(), CAPS[rank])
    assert all(n <= cap for n, cap in loads.values())
    needy = Household.objects.filter(status__in=["poor", "monitored"]).count()
    assert run.households == needy == run.new + run.unpaired
    assert HelperPair.objects.filter(household__status="exited").count() == 0


def test_no_query_per_household(tree, django_assert_max_num_queries):
    big_register()
    pairing_db.pair(Household.objects.filter(status="poor", village_id=VILLAGE).first(),  # type: ignore[arg-type]
                    Cadre.objects.filter(home_area_id=VILLAGE).first(), actor="o")  # type: ignore[arg-type]
    # 15: the preview's own 12, and its audit row on SQLite: the chain head read, the row, its areas and the
    # head written (PostgreSQL: 2 statements).
    with django_assert_max_num_queries(15):
        run = preview(Household.objects.all(), Cadre.objects.all(), actor="t", capacity_by_rank=CAPS)
    assert run.households > 100
    # 15 for the approval and 1 for where its households are now (a household moved since the preview makes
    # the run stale), plus the dashboard roll-up refresh (web.stats): a fixed 13 statements (1 village
    # list, 2 deletes, 2 village inserts, 2 per higher level), whatever the number of households.
    # And 2 more for the approval's chained audit row on SQLite (above).
    with django_assert_max_num_queries(16 + 13 + 2):
        approve(run, "a")


def test_admin_lists_are_scoped_and_pairs_read_only(small, client):
    hs, cs = small
    pairing_db.pair(hs["h1"], cs["c1"], actor="o")
    pairing_db.pair(hs["h4"], cs["c3"], actor="o")
    officer = User.objects.create_user("officer_b", is_staff=True)
    officer.user_permissions.set(Permission.objects.filter(content_type__app_label="teams", codename__in=[
        "view_cadre", "add_cadre", "view_helperpair", "add_helperpair", "change_helperpair"]))
    AreaRole.objects.create(user=officer, area_id=OTHER_COUNTY, role="officer")
    client.force_login(officer)
    cadres = client.get(reverse("admin:teams_cadre_changelist"))
    assert [c.name for c in cadres.context["cl"].result_list] == ["c3"]
    pairs = client.get(reverse("admin:teams_helperpair_changelist"))
    assert [p.household.number for p in pairs.context["cl"].result_list] == ["h4"]
    assert client.get(reverse("admin:teams_helperpair_add")).status_code == 403
    form = {"name": "外县干部", "unit": "县农业农村局", "unit_kind": "county", "rank": "staff", "skills": "agriculture",
            "home_area": VILLAGE, "status": "serving", "status_events-TOTAL_FORMS": "0",
            "status_events-INITIAL_FORMS": "0"}
    response = client.post(reverse("admin:teams_cadre_add"), form)
    assert response.status_code == 200 and not Cadre.objects.filter(name="外县干部").exists()  # 龙山县: not theirs
    form["home_area"] = OTHER_VILLAGE
    assert client.post(reverse("admin:teams_cadre_add"), form).status_code == 302
    assert Cadre.objects.get(name="外县干部").home_area_id == OTHER_VILLAGE
    form.update(name="不明专长", skills="astrology")
    assert client.post(reverse("admin:teams_cadre_add"), form).status_code == 200  # unknown skill code: refused
    assert parse_skills("trade, medicine") == ["medicine", "trade"]
