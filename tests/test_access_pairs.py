"""The access layer learns whose households a helper sees from the teams app (`access.register_pair_source`,
called by `TeamsConfig.ready`); it imports no app above it, and without a source a helper sees nothing.

One village with two households; a helper paired with H1 only. Expected sets are the numbers this file
creates and pairs, not what the application returns.
"""

from __future__ import annotations

import ast
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from jingzhun import access, access_cache
from jingzhun.areas.models import AreaRole
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household
from jingzhun.teams.models import Cadre, HelperPair, paired_household_ids
from tests.factories import COUNTY, VILLAGE, make_areas, two_households, write_csv

ACCESS = Path(access.__file__)


def project_imports(path: Path) -> set[str]:
    """The project modules a file imports (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jingzhun"):
            found.update(f"{node.module}.{a.name}" if node.module == "jingzhun" else node.module for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("jingzhun"))
    return found


def test_access_imports_only_the_area_tree() -> None:
    """access.py is the bottom layer: of this project it imports the area models only — and its cache of
    grants (jingzhun.access_cache), itself importing the area models only — never the teams app or anything
    else built on it."""
    assert project_imports(ACCESS) == {"jingzhun.areas.models", "jingzhun.access_cache"}
    assert project_imports(Path(access_cache.__file__)) == {"jingzhun.areas.models"}


def test_the_teams_app_registers_its_pair_source() -> None:
    previous = access.register_pair_source(None)
    try:
        assert previous is paired_household_ids
    finally:
        access.register_pair_source(previous)


@pytest.fixture
def helper(db, tmp_path) -> Iterator[User]:
    make_areas()
    result = import_register(write_csv(tmp_path / "register.csv", two_households()))
    assert result.ok and result.inserted == 2, result.errors
    user = User.objects.create_user("helper_h1")
    AreaRole.objects.create(user=user, area_id=COUNTY, role="helper")
    cadre = Cadre.objects.create(name="王帮扶", unit="县农业农村局", unit_kind="county", rank="staff",
                                 home_area_id=VILLAGE, user=user)
    HelperPair.objects.create(household=Household.objects.get(number="H1"), cadre=cadre,
                              start_date=dt.date(2019, 3, 1))
    yield User.objects.get(pk=user.pk)


def seen(user: User) -> set[str]:
    return set(access.households(Household.objects.all(), user).values_list("number", flat=True))


def test_a_helper_sees_their_paired_household(helper: User) -> None:
    assert seen(helper) == {"H1"}


def test_without_a_pair_source_a_helper_sees_nothing(helper: User) -> None:
    officer = User.objects.create_user("officer_v")
    AreaRole.objects.create(user=officer, area_id=VILLAGE, role="officer")
    previous = access.register_pair_source(None)
    try:
        assert seen(helper) == set()
        assert seen(officer) == {"H1", "H2"}  # other roles do not depend on it
    finally:
        access.register_pair_source(previous)
    assert seen(User.objects.get(pk=helper.pk)) == {"H1"}


def test_a_registered_source_decides(helper: User) -> None:
    """Whatever source is registered is what the helper sees (here: every household), still within the
    helper's areas."""
    previous = access.register_pair_source(lambda user_pk: Household.objects.values("pk"))
    try:
        assert seen(helper) == {"H1", "H2"}
    finally:
        access.register_pair_source(previous)
