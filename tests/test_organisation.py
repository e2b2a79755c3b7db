"""Units from cadres' typed text (the teams 0006 migration and `organisation.units`), coverage, the team-skill
fit, vacancies, shortlists and secondment shares — each against a hand-counted answer.

Areas are tests/factories.py's: 湖南省 430000 › 湘西州 433100 › 龙山县 433130 (石牌镇 …101: villages …201,
…202) and 永顺县 433127 (灵溪镇 …102: village …203); both counties poor, every village poor.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from jingzhun.areas.models import Area, AreaRole
from jingzhun.audit.models import AuditEntry
from jingzhun.organisation import coverage, fit, leadership, secondments, shortlists, units
from jingzhun.organisation.models import (
    PostHolding,
    PostKind,
    Secondment,
    Unit,
    UnitReview,
    UnitVillageLink,
    VillageType,
    VillageTyping,
)
from jingzhun.teams.models import Cadre, HelperPair, TeamMembership, WorkTeam
from tests.factories import (
    COUNTY,
    OTHER_COUNTY,
    OTHER_VILLAGE,
    PROVINCE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    make_areas,
)

pytestmark = pytest.mark.django_db
TODAY = dt.date(2020, 6, 30)

# (typed unit, kind, station) — what the free-text column held before units existed.
TYPED = [
    ("县农业农村局", "county", VILLAGE),
    ("县农业农村局", "county", VILLAGE2),  # same county: the same unit
    ("县农业农村局", "county", OTHER_VILLAGE),  # another county's body of the same name: not a duplicate
    ("省财政厅", "provincial", VILLAGE),
    ("省财政厅", "city", OTHER_VILLAGE),  # the same name at another level: listed
    ("中国农业银行湖南分行", "central", VILLAGE),
    ("中国农业银行　湖南分行", "central", VILLAGE2),  # an ideographic space: listed
    ("ＡＢＣ建工", "enterprise", VILLAGE),
    ("ABC建工", "enterprise", VILLAGE2),  # full-width letters: listed
    ("湘西建工", "enterprise", VILLAGE),
    ("湘西建工", "enterprise", OTHER_VILLAGE),  # an enterprise in two counties: listed
    ("省财政厅 ", "provincial", VILLAGE2),  # a trailing space is a spelling too: kept, listed with 省财政厅
]


@pytest.fixture
def tree(db):
    make_areas()


def typed_cadres() -> list[Cadre]:
    """Cadres as the migration finds them: typed text, no unit record (bulk_create skips `save`)."""
    return Cadre.objects.bulk_create([Cadre(name=f"干部{i}", unit=u, unit_kind=k, rank="staff", home_area_id=home)
                                      for i, (u, k, home) in enumerate(TYPED)])


def test_attach_keeps_every_typed_value_and_lists_the_ambiguous(tree):
    typed_cadres()
    counts = units.attach_current()
    assert counts["cadres"] == len(TYPED)
    # Every cadre has a unit whose name is exactly what was typed.
    got = list(Cadre.objects.order_by("pk").values_list("unit", "sending_unit__name", "sending_unit__kind",
                                                          "sending_unit__area_id"))
    assert [(u, n) for u, n, _, _ in got] == [(u, u) for u, _, _ in TYPED]
    # Hand count: 县农业农村局 ×2 (two counties), 省财政厅 (province), 省财政厅 (city), 省财政厅␠, 2 banks,
    # 2 ABC, 湘西建工 ×2 (two counties) = 11.
    assert Unit.objects.count() == 11 == counts["units"]
    assert [a for _, _, _, a in got[:3]] == [COUNTY, COUNTY, OTHER_COUNTY]
    assert got[3][3] == PROVINCE and got[4][3] == "433100000000"
    reviews = {r.key: len(r.unit_ids) for r in UnitReview.objects.all()}
    assert reviews == {"省财政厅": 3, "中国农业银行湖南分行": 2, "ABC建工": 2, "湘西建工": 2}
    assert all(r.status == "open" for r in UnitReview.objects.all())
    # Nothing merged: no unit points to another.
    assert not Unit.objects.filter(merged_into__isnull=False).exists()


def test_attach_is_idempotent_and_a_saved_cadre_gets_its_unit(tree):
    typed_cadres()
    units.attach_current()
    again = units.attach_current()
    assert again == {"units": 0, "cadres": 0, "reviews": 0}
    c = Cadre.objects.create(name="新干部", unit="县农业农村局", unit_kind="county", rank="staff",
                             home_area_id=VILLAGE2)
    assert c.sending_unit.name == "县农业农村局" and c.sending_unit.area_id == COUNTY
    assert Unit.objects.count() == 11


def test_an_edited_cadre_follows_their_typed_unit(tree):
    c = Cadre.objects.create(name="改单位", unit="县农业农村局", unit_kind="county", rank="staff", home_area_id=VILLAGE)
    first = c.sending_unit_id
    c.unit = "县水利局"
    c.save()
    assert c.sending_unit.name == "县水利局" and c.sending_unit_id != first
    c.home_area_id = OTHER_VILLAGE  # stationed in another county: that county's body of the name
    c.save()
    assert c.sending_unit.area_id == OTHER_COUNTY


def test_normalised():
    assert units.normalised("ＡＢＣ 建工　（湘西）") == "ABC建工(湘西)"


@pytest.fixture
def officers(tree):
    county = User.objects.create_user("county", password="x")
    AreaRole.objects.create(user=county, area_id=COUNTY, role="officer")
    other = User.objects.create_user("other", password="x")
    AreaRole.objects.create(user=other, area_id=OTHER_COUNTY, role="officer")
    return county, other


def test_coverage_hand_counted(officers):
    county, other = officers
    a = Unit.objects.create(name="县水利局", kind="county", level="county", area_id=COUNTY)
    Unit.objects.create(name="县教育局", kind="county", level="county", area_id=COUNTY)  # no village in 2020
    b = Unit.objects.create(name="县林业局", kind="county", level="county", area_id=OTHER_COUNTY)
    UnitVillageLink.objects.create(unit=a, village_id=VILLAGE, year=2020, funds_pledged_fen=100_000,
                                   funds_delivered_fen=100_000, projects_pledged=2, projects_delivered=1)
    UnitVillageLink.objects.create(unit=a, village_id=VILLAGE2, year=2019)  # another year: VILLAGE2 uncovered
    UnitVillageLink.objects.create(unit=b, village_id=OTHER_VILLAGE, year=2020, people_pledged=1)
    mine = coverage.coverage(county, 2020)
    assert [v.code for v in mine.villages_without_unit] == [VILLAGE2]
    assert [u.name for u in mine.units_without_village] == ["县教育局"]
    assert [(x.unit.name, x.village_id) for x in mine.unmet] == [("县水利局", VILLAGE)]  # 1 of 2 projects
    limited = coverage.coverage(county, 2020, limit=0)  # a page's first rows; the totals count them all
    assert limited.unmet == [] and limited.totals == {"villages_without_unit": 1, "units_without_village": 1, "unmet": 1}
    theirs = coverage.coverage(other, 2020)  # 永顺县's officer sees only 永顺县
    assert theirs.villages_without_unit == [] and theirs.units_without_village == []
    assert [(x.unit.name, x.village_id) for x in theirs.unmet] == [("县林业局", OTHER_VILLAGE)]


def cadre(name: str, skills: str = "", home: str = VILLAGE, birth: dt.date | None = dt.date(1980, 1, 1)) -> Cadre:
    return Cadre.objects.create(name=name, unit="县直", unit_kind="county", rank="staff", skills=skills,
                                home_area_id=home, birth_date=birth)


def test_team_skill_misfits_hand_counted(officers):
    county, _ = officers
    weak = VillageType.objects.create(code="industry_weak", name="产业薄弱", skills="agriculture,ecommerce")
    infra = VillageType.objects.create(code="infra_weak", name="基础设施薄弱", skills="construction,water")
    VillageTyping.objects.create(village_id=VILLAGE, village_type=weak)
    VillageTyping.objects.create(village_id=VILLAGE2, village_type=infra)
    t1 = WorkTeam.objects.create(village_id=VILLAGE, start_date=dt.date(2019, 1, 1))
    t2 = WorkTeam.objects.create(village_id=VILLAGE2, start_date=dt.date(2019, 1, 1))
    TeamMembership.objects.create(cadre=cadre("甲", "agriculture"), team=t1, role="member", start_date=dt.date(2019, 1, 1))
    TeamMembership.objects.create(cadre=cadre("乙", "ecommerce,finance"), team=t1, role="member",
                                  start_date=dt.date(2019, 1, 1))
    TeamMembership.objects.create(cadre=cadre("丙", "water"), team=t2, role="member", start_date=dt.date(2019, 1, 1))
    # 丁 had construction but left: it does not count.
    TeamMembership.objects.create(cadre=cadre("丁", "construction"), team=t2, role="member",
                                  start_date=dt.date(2019, 1, 1), end_date=dt.date(2019, 12, 31), end_kind="term_end")
    found = fit.misfits(county)
    assert [(m.village, m.missing) for m in found] == [(VILLAGE2, ("construction",))]


@pytest.fixture
def posts(tree):
    secretary = PostKind.objects.create(code="county_secretary", name="县委书记", level="county", seats=1, order=1)
    deputy = PostKind.objects.create(code="deputy_head", name="副县长", level="county", seats=3, order=3)
    PostKind.objects.create(code="township_secretary", name="乡镇党委书记", level="township", seats=1)
    return secretary, deputy


def test_vacancies_hand_counted(officers, posts):
    county, _ = officers
    secretary, deputy = posts
    PostHolding.objects.create(area_id=COUNTY, post=secretary, cadre=cadre("书记"), start_date=dt.date(2016, 7, 1))
    PostHolding.objects.create(area_id=COUNTY, post=deputy, cadre=cadre("副一"), start_date=dt.date(2018, 1, 1))
    PostHolding.objects.create(area_id=COUNTY, post=deputy, cadre=cadre("副二"), start_date=dt.date(2017, 1, 1),
                               end_date=dt.date(2019, 1, 1))  # left: the seat is vacant again
    found = [(v.area, v.post, v.vacant) for v in leadership.vacancies(county)]
    # 龙山县: 2 of 3 deputy seats empty; 石牌镇: no township secretary. 永顺县 is outside the officer's areas.
    assert found == [(COUNTY, "deputy_head", 2), (TOWNSHIP, "township_secretary", 1)]
    assert leadership.vacancy_count(county) == 3
    team = leadership.county_team(Area.objects.get(pk=COUNTY), TODAY)
    assert [(s.post.code, [h.served for h in s.holdings], s.vacant) for s in team] == [
        ("county_secretary", [4.0], 0), ("deputy_head", [2.5], 2)]  # 1461 and 911 days / 365.25


def test_union_days():
    d = dt.date
    assert shortlists.union_days([(d(2020, 1, 1), d(2020, 1, 11)), (d(2020, 1, 6), d(2020, 1, 21)),
                                  (d(2020, 3, 1), d(2020, 3, 2))]) == 21
    assert shortlists.union_days([(d(2020, 1, 1), d(2020, 12, 31)), (d(2020, 2, 1), d(2020, 3, 1))]) == 365


def serve(c: Cadre, start: dt.date, end: dt.date | None = None) -> None:
    team = WorkTeam.objects.filter(village_id=c.home_area_id, end_date__isnull=True).first() or \
        WorkTeam.objects.create(village_id=c.home_area_id, start_date=dt.date(2010, 1, 1))
    TeamMembership.objects.create(cadre=c, team=team, role="member", start_date=start, end_date=end,
                                  end_kind="term_end" if end else "")


def test_shortlist_hand_counted_and_decision_audited(officers, posts):
    county, other = officers
    _, deputy = posts
    from tests.test_teams import household

    a = cadre("甲", "agriculture")
    serve(a, dt.date(2015, 6, 30))  # 5.0 years
    b = cadre("乙", "agriculture,finance")
    serve(b, dt.date(2017, 6, 30), dt.date(2019, 6, 30))  # 2 years in a team …
    HelperPair.objects.create(household=household("H1", VILLAGE), cadre=b, start_date=dt.date(2018, 6, 30))
    # … and a pair from 2018-06-30 to today: the union is 2017-06-30 → 2020-06-30, 3.0 years, not 4
    c = cadre("丙", "")
    serve(c, dt.date(2016, 6, 30))  # 4 years but no agriculture skill
    d = cadre("丁", "agriculture", birth=dt.date(1960, 1, 1))  # 60: outside the band
    serve(d, dt.date(2010, 1, 1))
    e = cadre("戊", "agriculture", birth=None)  # unknown age fails the band
    serve(e, dt.date(2010, 1, 1))
    f = cadre("己", "agriculture")
    serve(f, dt.date(2019, 6, 30))  # 1 year: too short
    g = cadre("庚", "agriculture", home=OTHER_VILLAGE)  # outside 龙山县's officer's areas
    serve(g, dt.date(2010, 1, 1))
    profile = shortlists.Profile(min_service_years=2, skills_any=["agriculture"], age_min=30, age_max=50, limit=10)
    sl = shortlists.build(county, "county", COUNTY, "deputy_head", TODAY, profile)
    entries = list(sl.entries.order_by("rank").values_list("cadre__name", "evidence"))
    assert [(n, e["service_years"]) for n, e in entries] == [("甲", 5.0), ("乙", 3.0)]
    # The assessment app hands over its grades at start-up (AssessmentConfig.ready); nobody here has been scored,
    # so the list is the service records' and says grades were consulted.
    assert sl.basis == shortlists.WITH_GRADES and all("grade" not in e or e["grade"] is None for _, e in entries)
    assert AuditEntry.objects.filter(action="organisation.shortlist", area=COUNTY).count() == 1
    with pytest.raises(shortlists.Refused):
        shortlists.build(other, "other", COUNTY, "deputy_head", TODAY, profile)  # not their county
    with pytest.raises(shortlists.Refused):
        shortlists.decide(other, "other", sl.pk, a.pk, "理由", TODAY)  # nor their shortlist
    with pytest.raises(shortlists.Refused):
        shortlists.decide(county, "county", sl.pk, a.pk, "  ", TODAY)  # no reason
    with pytest.raises(shortlists.Refused):
        shortlists.decide(county, "county", sl.pk, c.pk, "理由", TODAY)  # not on the list
    shortlists.decide(county, "county", sl.pk, b.pk, "扶贫经历丰富", TODAY)
    assert PostHolding.objects.filter(area_id=COUNTY, post=deputy, cadre=b, end_date__isnull=True).exists()
    assert AuditEntry.objects.filter(action="organisation.decide", area=COUNTY).count() == 1
    with pytest.raises(shortlists.Refused):
        shortlists.decide(county, "county", sl.pk, a.pk, "再决定", TODAY)  # decided once
    # 乙 now holds a post: a new shortlist leaves them out.
    again = shortlists.build(county, "county", COUNTY, "deputy_head", TODAY, profile)
    assert list(again.entries.values_list("cadre__name", flat=True)) == ["甲"]


def test_grade_hook_changes_the_basis(officers, posts):
    county, _ = officers
    previous = shortlists.register_grade_source(lambda ids, year: dict.fromkeys(ids, "优秀"))
    try:
        a = cadre("甲")
        serve(a, dt.date(2015, 6, 30))
        sl = shortlists.build(county, "county", COUNTY, "deputy_head", TODAY, shortlists.Profile())
        assert sl.basis == shortlists.WITH_GRADES
        assert sl.entries.get().evidence["grade"] == "优秀"
    finally:
        shortlists.register_grade_source(previous)


def test_secondment_share_and_ending_soon(officers):
    county, _ = officers
    rich = Area.objects.create(code="430100000000", name="长沙市", level="city", parent_id=PROVINCE)
    Area.objects.create(code="430102000000", name="芙蓉区", level="county", parent_id=rich.code)
    unit = Unit.objects.create(name="省财政厅", kind="provincial", level="province", area_id=PROVINCE)
    c = cadre("挂职甲")

    def second(to: str, start: dt.date, end: dt.date) -> None:
        Secondment.objects.create(cadre=c, from_unit=unit, from_area_id=PROVINCE, to_area_id=to, post="副县长",
                                  start_date=start, end_date=end)

    second(COUNTY, dt.date(2019, 3, 1), dt.date(2020, 7, 15))
    second(TOWNSHIP, dt.date(2019, 4, 1), dt.date(2021, 4, 1))
    second("430102000000", dt.date(2019, 5, 1), dt.date(2020, 8, 1))
    second(OTHER_COUNTY, dt.date(2020, 1, 1), dt.date(2020, 7, 1))
    admin = User.objects.create_superuser("root", password="x")
    shares = [(s.year, s.total, s.to_poor) for s in secondments.share_by_year(admin)]
    assert shares == [(2019, 3, 2), (2020, 1, 1)]
    assert [(s.year, s.total, s.to_poor) for s in secondments.share_by_year(county)] == [(2019, 2, 2)]
    soon = [s.to_area_id for s in secondments.ending_within(county, TODAY, 30)]
    assert soon == [COUNTY]  # 永顺县's (1 July) is outside the county officer's areas
    assert [s.to_area_id for s in secondments.ending_within(admin, TODAY, 30)] == [OTHER_COUNTY, COUNTY]


@pytest.mark.django_db(transaction=True)
def test_the_migration_itself_keeps_every_value():
    """teams 0007 run for real: cadres written at 0006 (typed text only) come out with units of their text."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("organisation", "0001_units"), ("teams", "0006_alert_notes")]
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(before)
    try:
        old = MigrationExecutor(connection).loader.project_state(before).apps
        old.get_model("areas", "Area")  # the tree is written through the current models (same table)
        make_areas()
        OldCadre = old.get_model("teams", "Cadre")
        OldCadre.objects.bulk_create([OldCadre(name=f"干部{i}", unit=u, unit_kind=k, rank="staff",
                                               home_area_id=home) for i, (u, k, home) in enumerate(TYPED)])
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    got = list(Cadre.objects.order_by("pk").values_list("unit", "sending_unit__name"))
    assert got == [(u, u) for u, _, _ in TYPED]
    assert Unit.objects.count() == 11 and UnitReview.objects.count() == 4
