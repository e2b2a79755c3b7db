"""The cast for the web tests: areas, households, users of every kind, and small page helpers.

Two counties: 龙山县 (433130, two townships) and 永顺县 (433127). Every expected figure below is worked out
from the households this file creates (listed in HOUSEHOLDS), never taken from what the application returns.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from jingzhun.areas.models import Area, AreaRole, VillageRecord
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre, HelperPair, TeamMembership, WorkTeam
from jingzhun.web import stats
from tests.factories import (
    COUNTY,
    OTHER_COUNTY,
    OTHER_VILLAGE,
    PROVINCE,
    TOWNSHIP,
    VILLAGE,
    VILLAGE2,
    household_rows,
    make_areas,
    write_csv,
)

TOWNSHIP_A2, VILLAGE_A3 = "433130102000", "433130102201"

# number → (village, members, status, exit year, primary cause, first member's name)
HOUSEHOLDS = {
    "A101-1": (VILLAGE, 4, "贫困户", "", "因病", "王大山"),
    "A101-2": (VILLAGE2, 3, "贫困户", "", "缺技术", "王小川"),
    "A101-3": (VILLAGE, 1, "已脱贫", "2019", "因学", "赵一"),
    "A102-1": (VILLAGE_A3, 2, "监测对象", "", "因病", "钱二"),
    "B102-1": (OTHER_VILLAGE, 3, "贫困户", "", "缺资金", "孙三"),
    "B102-2": (OTHER_VILLAGE, 1, "返贫", "2018", "因灾", "李四"),
}
POPULATION_2019 = {VILLAGE: 400, VILLAGE2: 300, VILLAGE_A3: 200, OTHER_VILLAGE: 500}
A_COUNTY = {"A101-1", "A101-2", "A101-3", "A102-1"}
A_TOWNSHIP = {"A101-1", "A101-2", "A101-3"}
B_COUNTY = {"B102-1", "B102-2"}
HELPER_SEES = {"A101-1"}
SEES = {
    "officer_a": A_COUNTY, "officer_b": B_COUNTY, "township_a": A_TOWNSHIP, "helper_a": HELPER_SEES,
    "auditor_a": A_COUNTY, "evaluator_a": A_COUNTY, "no_role": set(), "root": set(HOUSEHOLDS),
}
# The third-party evaluation's never-registered households (`FrameHousehold`), numbered like the cast's
# households so that `numbers_in` finds them on any page: two in 洗车村, one in 大井村, two in 司城村.
FRAME = {"A101-7": VILLAGE, "A101-8": VILLAGE, "A102-7": VILLAGE_A3, "B102-7": OTHER_VILLAGE, "B102-8": OTHER_VILLAGE}
# The evaluation `evaluation()` draws samples every exited household (A101-3) and every frame household.
SAMPLED = {"A101-3": VILLAGE, **FRAME}


@dataclass
class Web:
    rows: dict[str, list[dict[str, str]]]
    users: dict[str, User]

    def client(self, username: str) -> Client:
        client = Client()
        client.force_login(self.users[username])
        return client

    def resident_id(self, number: str, position: int = 1) -> str:
        return self.rows[number][position - 1]["resident_id"]


def _rows() -> dict[str, list[dict[str, str]]]:
    out = {}
    for seed, (number, (village, size, status, exit_year, cause, name)) in enumerate(HOUSEHOLDS.items(), start=1):
        rows = household_rows(number, village, size=size, seed=seed)
        rows[0].update(status=status, exit_year=exit_year, primary_cause=cause, name=name,
                       status_reason="因灾返贫" if status == "返贫" else "")
        out[number] = rows
    return out


def role(username: str, code: str, kind: str) -> User:
    user = User.objects.create_user(username)  # no password: Argon2 is slow by design; login tests set one
    AreaRole.objects.create(user=user, area_id=code, role=kind)
    return user


@pytest.fixture
def web(db, tmp_path) -> Web:
    return build_cast(tmp_path)


@pytest.fixture
def committed_web(committed_db, tmp_path) -> Web:
    """The cast in a committed database, for code that reads through a connection of its own."""
    return build_cast(tmp_path)


def build_cast(tmp_path: Path) -> Web:
    make_areas()
    Area.objects.create(code=TOWNSHIP_A2, name="洗洛镇", level="township", parent_id=COUNTY)
    Area.objects.create(code=VILLAGE_A3, name="大井村", level="village", parent_id=TOWNSHIP_A2, poor_village=True)
    for village, people in POPULATION_2019.items():
        VillageRecord.objects.create(village_id=village, year=2019, population=people)
    rows = _rows()
    result = import_register(write_csv(tmp_path / "register.csv", [r for rs in rows.values() for r in rs]))
    assert result.ok and result.inserted == len(HOUSEHOLDS), result.errors
    users = {
        "officer_a": role("officer_a", COUNTY, "officer"),
        "officer_b": role("officer_b", OTHER_COUNTY, "officer"),
        "township_a": role("township_a", TOWNSHIP, "officer"),
        "helper_a": role("helper_a", VILLAGE, "helper"),
        "auditor_a": role("auditor_a", COUNTY, "auditor"),
        "evaluator_a": role("evaluator_a", COUNTY, "evaluator"),
        "no_role": User.objects.create_user("no_role"),
        "root": User.objects.create_superuser("root", None, None),
    }
    # helper_a helps A101-1; a work team of three in 洗车村 (VILLAGE) only.
    start = dt.date(2019, 3, 1)
    helper = Cadre.objects.create(name="周帮扶", unit="县农业农村局", unit_kind="county", rank="staff",
                                  home_area_id=VILLAGE, user=users["helper_a"])
    HelperPair.objects.create(household=Household.objects.get(number="A101-1"), cadre=helper, start_date=start)
    team = WorkTeam.objects.create(village_id=VILLAGE, start_date=start)
    for i, kind in enumerate(["first_secretary", "member", "member"]):
        member = Cadre.objects.create(name=f"队员{i}", unit="省财政厅", unit_kind="provincial", rank="staff",
                                      home_area_id=VILLAGE)
        TeamMembership.objects.create(cadre=member, team=team, role=kind, start_date=start)
    stats.refresh()  # the pairs and teams above were written directly, not through an import
    return Web(rows, users)


def page(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def numbers_in(html: str) -> set[str]:
    return set(re.findall(r"\b[AB]10\d-\d\b", html))


# The organisation records of each county (issue 17): a unit, a link, posts and a holder, a secondment and a
# shortlist — each named after its county, so a page showing the other county's records names them.
ORGANISATION_NAMES = {COUNTY: ("龙山县水利局", "龙山挂职干部", "龙山书记"), OTHER_COUNTY: ("永顺县林业局", "永顺挂职干部", "永顺书记")}
ORGANISATION_VILLAGES = {COUNTY: VILLAGE, OTHER_COUNTY: OTHER_VILLAGE}


def add_organisation() -> dict[str, dict[str, int]]:
    """The records above (once); returns each county's record ids by kind."""
    from django.utils import timezone

    from jingzhun.organisation.models import (
        PostHolding,
        PostKind,
        Secondment,
        Shortlist,
        ShortlistEntry,
        Unit,
        UnitVillageLink,
    )

    post, _ = PostKind.objects.get_or_create(code="county_secretary", defaults={"name": "县委书记", "level": "county"})
    PostKind.objects.get_or_create(code="deputy_head", defaults={"name": "副县长", "level": "county", "seats": 2})
    ids: dict[str, dict[str, int]] = {}
    today = timezone.localdate()
    for county, (unit_name, seconded, secretary) in ORGANISATION_NAMES.items():
        unit, made = Unit.objects.get_or_create(name=unit_name, kind="county", area_id=county,
                                                defaults={"level": "county"})
        village = ORGANISATION_VILLAGES[county]
        if made:
            UnitVillageLink.objects.create(unit=unit, village_id=village, year=today.year, funds_pledged_fen=500_000)
            holder = Cadre.objects.create(name=secretary, unit=unit_name, unit_kind="county", rank="division",
                                          home_area_id=village)
            PostHolding.objects.create(area_id=county, post=post, cadre=holder, start_date=dt.date(2018, 1, 1))
            away = Cadre.objects.create(name=seconded, unit="省财政厅", unit_kind="provincial", rank="section",
                                        home_area_id=village)
            Secondment.objects.create(cadre=away, from_unit=away.sending_unit, from_area_id="430000000000",
                                      to_area_id=county, post="副县长", start_date=dt.date(today.year, 1, 1),
                                      end_date=today + dt.timedelta(days=20))
            shortlist = Shortlist.objects.create(area_id=county, post=PostKind.objects.get(code="deputy_head"),
                                                 basis="人选仅依据服务记录 / shortlists use service records alone",
                                                 created_by="seed", created_at=timezone.now())
            ShortlistEntry.objects.create(shortlist=shortlist, cadre=away, rank=1, evidence={"service_years": 2.0})
        ids[county] = {"unit": unit.pk, "shortlist": Shortlist.objects.filter(area_id=county).first().pk}
    return ids
def evaluation() -> Any:
    """One evaluation of the province over the cast, made once: its sizes exceed the frame, so every village
    is certain and every household of the frame sampled (`SAMPLED`)."""
    from jingzhun.evaluation import design, draw
    from jingzhun.evaluation.models import Evaluation, FrameHousehold

    found = Evaluation.objects.filter(name="全省评估").first()
    if found is not None:
        return found
    FrameHousehold.objects.bulk_create([FrameHousehold(number=n, village_id=v, head_name="户主") for n, v in FRAME.items()])
    return draw.draw(name="全省评估", year=2020, area_code=PROVINCE, seed=1, sizes=design.Sizes(20, 10, 0.5), user=None,
                     actor="root")
def menu(html: str) -> dict[str, str]:
    """The layout's navigation: page name → address."""
    return {name: url for url, name in re.findall(r'<a href="([^"]+)" data-page="([^"]+)">', html)}
