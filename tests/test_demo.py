"""`jingzhun demo --no-serve`: a small synthetic province, imported through the real import path, with
logins for a province, a county and a township officer and an administrator.

The demo writes `.jingzhun/` relative to the working directory (jingzhun.cli.DEMO_DIR), so every run
here happens in a temporary directory. Expected counts are read from the register files the demo
generated, with the csv module, not from the database.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from jingzhun.areas.models import Area, AreaRole, VillageRecord
from jingzhun.audit.models import AuditEntry
from jingzhun.registry.models import Household, ImportBatch, IncomeRecord, Member, StatusEvent

# The demo (synthesis, seven imports, hashed passwords) runs once for the module, committed as the
# importer commits; each test then runs in a transaction that is rolled back (see `demo`).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HOUSEHOLDS, COUNTIES = 300, 2
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN = re.compile(r"^  (\S+)\s+(\S+)\s+(.*)$")


@dataclass
class DemoRun:
    cwd: Path
    output: str

    @property
    def logins(self) -> dict[str, tuple[str, str]]:
        """username → (password, where) as printed after the demo's URL line."""
        lines = self.output.split("http://127.0.0.1:8000/  (管理后台 / admin: /admin/)", 1)[1].splitlines()[1:]
        return {m[1]: (m[2], m[3]) for line in lines if (m := LOGIN.match(line))}

    def area_of(self, username: str) -> str:
        return re.search(r"（(\d{12})）", self.logins[username][1])[1]  # type: ignore[index]

    def registers(self) -> list[Path]:
        return sorted((self.cwd / ".jingzhun" / "demo-data").glob("register-*.csv"))

    def villages_by_household(self) -> dict[str, str]:
        """Every household number of every generated register file → its village code."""
        found: dict[str, str] = {}
        for path in self.registers():
            with path.open(encoding="utf-8-sig", newline="") as f:
                for row in csv.DictReader(f):
                    if row["所在村代码"]:
                        found[row["户编号"]] = row["所在村代码"]
                    else:
                        found.setdefault(row["户编号"], "")
        return found


def run_demo(cwd: Path) -> DemoRun:
    out = io.StringIO()
    call_command("demo", no_serve=True, households=HOUSEHOLDS, counties=COUNTIES, stdout=out)
    return DemoRun(cwd, out.getvalue())


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[DemoRun]:
    """One demo run in a fresh working directory, committed; the database is emptied afterwards
    exactly as a transactional test leaves it (the audit table's guard lifted for the flush only).

    Passwords are hashed with a fast hasher here: Argon2 (settings) costs ~0.3 s a hash, and the
    demo's logic does not depend on the algorithm."""
    cwd = tmp_path_factory.mktemp("demo")
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS), django_db_blocker.unblock():
        old = os.getcwd()
        os.chdir(cwd)
        try:
            yield run_demo(cwd)
        finally:
            os.chdir(old)
            empty_database()


def empty_database() -> None:
    guard = importlib.import_module("jingzhun.audit.migrations.0002_append_only")
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("DROP TRIGGER IF EXISTS audit_no_delete")
    try:
        call_command("flush", interactive=False, verbosity=0)
    finally:
        if connection.vendor == "sqlite":
            with connection.cursor() as cur:
                cur.execute(guard.SQLITE[1])


def counts() -> dict[str, int]:
    models = (Household, Member, IncomeRecord, StatusEvent, ImportBatch, Area, VillageRecord, User, AreaRole,
              AuditEntry)
    return {m.__name__: m.objects.count() for m in models}


def test_demo_imports_every_household_of_the_generated_registers(demo):
    years = [p.name for p in demo.registers()]
    assert years == [f"register-{y}.csv" for y in range(2014, 2021)]
    in_files = demo.villages_by_household()
    assert len(in_files) == HOUSEHOLDS  # the synthetic province registers exactly the households asked for
    assert set(Household.objects.values_list("number", flat=True)) == set(in_files)
    assert dict(Household.objects.values_list("number", "village_id")) == in_files
    assert len({code[:6] for code in in_files.values()}) == COUNTIES
    assert ImportBatch.objects.count() == len(years)
    with demo.registers()[-1].open(encoding="utf-8-sig", newline="") as f:
        last = {row["户编号"] for row in csv.DictReader(f)}
    # The last year's file lists only the households still on the register; removed ones were
    # imported in earlier years and stay in the database.
    assert last <= set(in_files)
    assert Household.objects.exclude(number__in=last).exclude(status="removed").count() == 0


def test_demo_logins_work_with_the_printed_passwords(demo):
    logins = demo.logins
    assert list(logins) == ["province", "county", "township", "admin"]
    for username, (password, _) in logins.items():
        user = authenticate(username=username, password=password)
        assert user is not None and user.username == username, username
        assert authenticate(username=username, password=password + "x") is None
    assert User.objects.get(username="admin").is_superuser
    saved = demo.cwd / ".jingzhun" / "demo-logins.txt"
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert {line.split("\t")[0]: line.split("\t")[1] for line in saved.read_text().splitlines()} == {
        name: password for name, (password, _) in logins.items()}


def test_demo_officers_have_roles_at_their_printed_areas(demo):
    province, county, township = demo.area_of("province"), demo.area_of("county"), demo.area_of("township")
    assert province.endswith("0000000000") and county.endswith("000000") and township.endswith("000")
    assert township.startswith(county[:6]) and county.startswith(province[:2])
    for username, code in (("province", province), ("county", county), ("township", township)):
        assert list(AreaRole.objects.filter(user__username=username).values_list("area_id", flat=True)) == [code]
        user = User.objects.get(username=username)
        assert user.is_staff and not user.is_superuser
    assert User.objects.get(username="county").has_perm("registry.reveal_sensitive")
    assert not User.objects.get(username="township").has_perm("registry.reveal_sensitive")


def test_each_officer_sees_only_their_area_in_the_household_list(demo):
    in_files = demo.villages_by_household()
    for username, prefix_digits in (("province", 2), ("county", 6), ("township", 9)):
        prefix = demo.area_of(username)[:prefix_digits]
        expected = {n for n, village in in_files.items() if village.startswith(prefix)}
        assert 0 < len(expected) <= HOUSEHOLDS
        client = Client()
        assert client.login(username=username, password=demo.logins[username][0])
        response = client.get(reverse("admin:registry_household_changelist"))
        assert response.status_code == 200
        cl = response.context["cl"]
        assert cl.result_count == len(expected), username
        assert set(cl.queryset.values_list("number", flat=True)) == expected, username
    county_only = {n for n, v in in_files.items() if v.startswith(demo.area_of("county")[:6])}
    assert len(county_only) < HOUSEHOLDS  # there is another county the county officer does not see


def test_demo_run_twice_duplicates_nothing(demo):
    first = counts()
    assert first["Household"] == HOUSEHOLDS and first["User"] == 4 and first["AreaRole"] == 3
    again = run_demo(demo.cwd)
    assert counts() == first
    assert again.logins == demo.logins  # the same logins, passwords unchanged …
    for username, (password, _) in again.logins.items():
        assert authenticate(username=username, password=password) is not None, username  # … and still valid


def test_demo_stopped_before_its_last_import_is_completed_by_the_next_run(demo):
    # A run killed before its last imports leaves no completion marker: the next run imports every
    # file again, which adds the missing households and changes nothing that is already there.
    marker = demo.cwd / ".jingzhun" / "demo-data" / "imported"
    assert marker.read_text().split() == [p.name for p in demo.registers()]
    first_seen: dict[str, int] = {}
    for k, path in enumerate(demo.registers()):
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row in csv.DictReader(f):
                first_seen.setdefault(row["户编号"], k)
    latest = max(set(first_seen.values()) - {0})  # the last file that registers new households
    missing = {number for number, k in first_seen.items() if k == latest}
    for model, key in ((Member, "household__number__in"), (IncomeRecord, "household__number__in"),
                       (StatusEvent, "household__number__in"), (Household, "number__in")):
        model.objects.filter(**{key: missing}).delete()  # as if that import had never run
    marker.unlink()
    again = run_demo(demo.cwd)
    assert marker.exists()
    assert set(Household.objects.values_list("number", flat=True)) == set(first_seen)
    assert f"{demo.registers()[latest].name}: +{len(missing)} 新增" in again.output
    assert again.output.count(" +0 新增") == len(demo.registers()) - 1
