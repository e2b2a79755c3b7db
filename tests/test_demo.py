"""`jingzhun demo --no-serve`: a small synthetic province, imported through the real import path and put to
work (cadres, teams, pairing, visits, attendance, identification, cross-department lists, appraisal, help
plans), with logins for a province, a county and a township officer, a work team, a helper and an
administrator.

The demo writes `.jingzhun/` relative to the working directory (jingzhun.cli.DEMO_DIR), so every run
here happens in a temporary directory. Expected counts are read from the register files the demo
generated, with the csv module, not from the database.
"""

from __future__ import annotations

import csv
import datetime as dt
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
from django.db import models
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from jingzhun.appraisal.models import Application
from jingzhun.areas.models import Area, AreaRole, VillageRecord
from jingzhun.audit.models import AuditEntry
from jingzhun.crosscheck.models import CrossCheckHit, CrossCheckList
from jingzhun.identification.models import HouseholdResult, IdentificationRun
from jingzhun.plans.models import HelpPlan, PlanMeasure
from jingzhun.registry.models import Household, ImportBatch, IncomeRecord, Member, StatusEvent
from jingzhun.teams import supervision
from jingzhun.teams.models import (
    Attendance,
    Cadre,
    HelperPair,
    PairingRun,
    TeamMembership,
    Visit,
    WorkTeam,
)

# The demo (synthesis, seven imports, hashed passwords) runs once for the module, committed as the
# importer commits; each test then runs in a transaction that is rolled back (see `demo`).
pytestmark = [pytest.mark.django_db, pytest.mark.slow]

HOUSEHOLDS, COUNTIES = 500, 2  # the fewest that give each county a poor village (and a work team)
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
    """Empty every table. The audit tables' guards are lifted and put back exactly as stored by the flush itself
    (tests/conftest.py): recreating a trigger here from an older migration's text once left the audit table
    refusing the retention prune for every later test of the run."""
    call_command("flush", interactive=False, verbosity=0)


def counts() -> dict[str, int]:
    models = (Household, Member, IncomeRecord, StatusEvent, ImportBatch, Area, VillageRecord, User, AreaRole,
              AuditEntry, Cadre, WorkTeam, TeamMembership, PairingRun, HelperPair, Visit, Attendance,
              IdentificationRun, CrossCheckList, CrossCheckHit, Application, HelpPlan, PlanMeasure)
    return {m.__name__: m.objects.count() for m in models}


def test_demo_imports_every_household_of_the_generated_registers(demo):
    years = [p.name for p in demo.registers()]
    assert years == [f"register-{y}.csv" for y in range(2014, timezone.localdate().year + 1)]
    in_files = demo.villages_by_household()
    # The households asked for are those registered 2014–2020; monitored households that were never
    # registered join from 2021.
    assert len(in_files) >= HOUSEHOLDS
    assert set(Household.objects.values_list("number", flat=True)) == set(in_files)
    assert dict(Household.objects.values_list("number", "village_id")) == in_files
    assert len({code[:6] for code in in_files.values()}) == COUNTIES
    assert ImportBatch.objects.count() == len(years)
    last: set[str] = set()
    for path in demo.registers()[6:]:
        with path.open(encoding="utf-8-sig", newline="") as f:
            last |= {row["户编号"] for row in csv.DictReader(f)}
    # The files from 2020 on list only the households still on the register; removed ones were imported
    # in earlier years and stay in the database. (A never-registered monitored household whose risk was
    # eliminated is listed once more, as 申请, in that year's file, then drops out: docs/synth.md.)
    assert last <= set(in_files)
    assert Household.objects.exclude(number__in=last).exclude(status="removed").count() == 0


def test_demo_logins_work_with_the_printed_passwords(demo):
    logins = demo.logins
    assert list(logins) == ["province", "county", "township", "team", "helper", "admin"]
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
        assert 0 < len(expected) <= len(in_files)
        client = Client()
        assert client.login(username=username, password=demo.logins[username][0])
        response = client.get(reverse("admin:registry_household_changelist"))
        assert response.status_code == 200
        cl = response.context["cl"]
        assert cl.result_count == len(expected), username
        assert set(cl.queryset.values_list("number", flat=True)) == expected, username
    county_only = {n for n, v in in_files.items() if v.startswith(demo.area_of("county")[:6])}
    assert len(county_only) < len(in_files)  # there is another county the county officer does not see


def test_demo_run_twice_duplicates_nothing(demo):
    first = counts()
    assert first["Household"] >= HOUSEHOLDS and first["User"] == 6 and first["AreaRole"] == 5
    again = run_demo(demo.cwd)
    assert counts() == first
    assert again.logins == demo.logins  # the same logins, passwords unchanged …
    for username, (password, _) in again.logins.items():
        assert authenticate(username=username, password=password) is not None, username  # … and still valid


def test_demo_stopped_part_way_is_completed_by_the_next_run(demo):
    # A run killed before its last steps leaves no completion marker for the register and no rows for the
    # stages it did not reach: the next run imports every register file again (changing nothing that is
    # there) and does the missing stages. Households cannot be taken out any more (their identification
    # results, pairs and visits keep them); the stages after the visits can. (Help plans are written by two
    # stages — plans, and monitoring's assistance, which skips itself once its cases exist — so attendance is
    # the stage taken out here.)
    marker = demo.cwd / ".jingzhun" / "demo-data" / "imported"
    # The marker lists the years up to the finished one; the current year's file follows the first pairing.
    assert marker.read_text().split() == [p.name for p in demo.registers()][:-1]
    first = counts()
    assert first["Attendance"] > 0 and first["HelpPlan"] > 0
    Attendance.objects.all().delete()
    marker.unlink()
    again = run_demo(demo.cwd)
    assert marker.exists()
    assert again.output.count(" +0 新增") == len(demo.registers())
    after = counts()
    # Importing the register again records a batch and status events for every file (each is a new import
    # of the same data) and the redone stages are audited; everything else is as it was.
    for history in ("AuditEntry", "ImportBatch", "StatusEvent"):
        assert after.pop(history) > first.pop(history)
    assert after == first
    assert again.logins == demo.logins


def test_demo_puts_every_part_to_work(demo):
    # Cadres, and a team of at least three with one first secretary in every poor village.
    poor = set(Area.objects.filter(level="village", poor_village=True).values_list("code", flat=True))
    assert poor and Cadre.objects.count() > len(poor) * 3
    teams = set(WorkTeam.objects.filter(end_date__isnull=True).values_list("village_id", flat=True))
    assert teams == poor
    for village in poor:
        open_ = TeamMembership.objects.filter(team__village_id=village, end_date__isnull=True, cadre__status="serving")
        assert open_.count() >= 3, village
        assert open_.filter(role="first_secretary").count() == 1, village
    assert TeamMembership.objects.filter(end_kind="recalled", replaced_by__isnull=False).exists()
    # Pairing approved county by county: every household needing a helper has one, none above capacity.
    needing = Household.objects.filter(status__in=["poor", "returned", "monitored"])
    assert needing.exists()
    # One run per county, and one more where households taken into monitoring needed a helper.
    assert PairingRun.objects.filter(status="approved").count() >= COUNTIES
    active = HelperPair.objects.filter(end_date__isnull=True)
    assert set(active.values_list("household_id", flat=True)) == set(needing.values_list("pk", flat=True))
    loads = [row["n"] for row in active.values("cadre_id").annotate(n=models.Count("id"))]
    assert max(loads) <= 5
    # Visits only by a household's helper, from the finished year's first day to yesterday; attendance of team
    # members.
    # Each visit by the household's helper of the time: inside one of the pair's days (a household re-paired in
    # January had its earlier helper until then).
    periods: dict[tuple[int, int], list[tuple[dt.date, dt.date | None]]] = {}
    for cadre, household, start, end in HelperPair.objects.values_list("cadre_id", "household_id", "start_date",
                                                                        "end_date"):
        periods.setdefault((cadre, household), []).append((start, end))
    for cadre, household, at in Visit.objects.values_list("cadre_id", "household_id", "visited_at"):
        day = timezone.localtime(at).date()
        assert any(s <= day and (e is None or day < e) for s, e in periods.get((cadre, household), [])), (cadre, at)
    today = timezone.localdate()
    days = {timezone.localtime(v).date() for v in Visit.objects.values_list("visited_at", flat=True)}
    assert min(days) >= dt.date(today.year - 1, 1, 1) and max(days) < today
    assert max(days) >= today - dt.timedelta(days=7)
    members = set(TeamMembership.objects.values_list("cadre_id", flat=True))
    assert Attendance.objects.exists() and set(Attendance.objects.values_list("cadre_id", flat=True)) <= members
    # One identification run with a result for every household; cross-department hits; applications
    # at several steps; help plans for paired households, some approved.
    run = IdentificationRun.objects.get()
    assert run.finished_at is not None and run.policy_name.startswith("全国 2020") and run.year == 2020
    assert run.households == Household.objects.count() == HouseholdResult.objects.filter(run=run).count()
    assert CrossCheckList.objects.count() == 2 and CrossCheckHit.objects.count() >= 2
    assert CrossCheckHit.objects.filter(status="dismissed").count() == 1
    states = set(Application.objects.values_list("state", flat=True))
    assert {"applied", "appraised", "rejected", "first_notice", "approved", "announced"} <= states
    plans = HelpPlan.objects.filter(year=today.year)
    assert plans.count() >= 5 and plans.filter(approved_at__isnull=False).exists()
    assert not plans.exclude(household__in=active.values("household_id")).exists()
    assert PlanMeasure.objects.filter(plan__in=plans).count() >= plans.count()


def test_supervision_finds_the_planted_patterns(demo):
    window = supervision.window_for(demo.area_of("county"), since=timezone.now() - dt.timedelta(days=90))
    kinds = {a.kind for a in supervision.alerts(window)}
    assert {"copied_notes", "same_coordinates", "same_minute", "bulk_late_entry", "residence", "unvisited"} <= kinds
    assert "over_capacity" not in kinds


def test_demo_dashboard_shows_helper_and_team_coverage(demo):
    client = Client()
    assert client.login(username="county", password=demo.logins["county"][0])
    response = client.get(reverse("web:dashboard"))
    assert response.status_code == 200
    board = response.context["board"]
    assert board.figures.need_helper > 0 and board.figures.helper_coverage == 1.0
    assert board.poor_villages > 0 and board.team_coverage == 1.0


def test_demo_helper_and_team_logins_open_their_pages(demo):
    helper = Cadre.objects.get(user__username="helper")
    own = list(HelperPair.objects.filter(cadre=helper, end_date__isnull=True).values_list("household__number", flat=True))
    assert own and demo.logins["helper"][1].startswith(Area.objects.get(code=demo.area_of("helper")).name)
    client = Client()
    assert client.login(username="helper", password=demo.logins["helper"][0])
    assert client.get(reverse("web:household", args=[own[0]])).status_code == 200
    other = HelperPair.objects.filter(end_date__isnull=True).exclude(cadre=helper).values_list(
        "household__number", flat=True).first()
    assert client.get(reverse("web:household", args=[other])).status_code == 404  # only their own households
    assert HelpPlan.objects.filter(household__number__in=own, drafted_by__username="helper",
                                   year=timezone.localdate().year).count() == len(own)

    team = Client()
    assert team.login(username="team", password=demo.logins["team"][0])
    membership = TeamMembership.objects.get(cadre__user__username="team", end_date__isnull=True)
    assert membership.role == "first_secretary" and membership.team.village_id == demo.area_of("team")
    response = team.get(reverse("web:alerts"))
    assert response.status_code == 200 and response.context["area"].code == demo.area_of("team")
    officer = Client()
    assert officer.login(username="county", password=demo.logins["county"][0])
    response = officer.get(reverse("web:alerts"))
    assert response.status_code == 200 and response.context["total"] > 0


def test_every_audit_detail_the_demo_writes_has_a_name_on_the_audit_page(demo):
    """The audit page writes details as sentences of named fields: a key written by the demo's work (which runs every
    import and workflow users have) but missing from jingzhun.audit.names would show as its code."""
    import jingzhun.web.views.audit  # noqa: F401  (registers the older apps' names)
    from jingzhun.audit import names

    def keys(detail: object) -> set[str]:
        if not isinstance(detail, dict):
            return set()
        return set(detail) | {k for v in detail.values() for k in keys(v)}

    written = set().union(*(keys(d) for d in AuditEntry.objects.values_list("detail", flat=True)))
    assert written and sorted(written - set(names.KEYS)) == []
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert sorted(actions - set(names.ACTIONS)) == []
def test_demo_fills_the_organisation_parts(demo):
    from jingzhun.organisation.models import PostHolding, Secondment, Shortlist, UnitVillageLink, VillageTyping
    # Every cadre has a unit record; links, types, leadership with vacancies, secondments and a shortlist exist.
    assert not Cadre.objects.filter(sending_unit__isnull=True).exists()
    assert UnitVillageLink.objects.exists() and VillageTyping.objects.exists()
    assert PostHolding.objects.exists() and Secondment.objects.exists()
    assert Shortlist.objects.count() == 1


def test_no_identification_after_2020(demo):
    # Nobody is identified as poor after 2020: the demo's identification applications, their steps and notices
    # all lie in the last identification round; today's applications are monitoring and exit ones.
    from jingzhun.appraisal.models import Notice, Step

    identify = Application.objects.filter(kind="identify")
    assert identify.exists() and Application.objects.filter(kind="monitor").exists()
    assert max(identify.values_list("year", flat=True)) <= 2020
    assert max(identify.values_list("applied_on", flat=True)).year <= 2020
    assert max(Step.objects.filter(application__kind="identify").values_list("on", flat=True)).year <= 2020
    notices = Notice.objects.filter(applications__kind="identify")
    assert notices.exists() and max(notices.values_list("ends_on", flat=True)).year <= 2020


def test_the_finished_year_has_a_shortlist_flags_and_decisions(demo):
    from jingzhun.assessment import flags, shortlist
    from jingzhun.assessment.models import Decision, ScoreResult, ScoringRun

    year = timezone.localdate().year - 1
    assert set(ScoringRun.objects.filter(year=year).values_list("unit_type", flat=True)) >= {"county", "work_team",
                                                                                         "cadre"}
    found = shortlist.shortlist(None, today=timezone.localdate())
    assert found
    for h in found:
        # Evidence: at least the required years of frontline service on record, and every scored year graded top
        # by score() over the computed indicators (the stored result of the newest run).
        assert h.years >= shortlist.required_years() and h.services
        assert h.scored and all(s.top and s.year == year for s in h.scored)
        for s in h.scored:
            result = ScoreResult.objects.get(run_id=s.run, unit=s.unit)
            assert result.grade == s.grade and result.total >= 90 and result.rank == s.rank
    assert flags.flags(year, None)
    assert Decision.objects.filter(year=year).exists()


def test_the_status_at_each_years_end_is_what_that_years_file_said(demo):
    """Every household listed in a register file of the monitoring era, up to the finished year, has at that year's
    end (the assessment's and the yearly difference's rule: its latest event of a year ≤ it) the status the file
    gave it — households with a monitoring case or an application excepted: their steps, taken after the files were
    imported (the 2020 round's among them), change the status between files. Before, a
    monitored household whose risk was eliminated came back as 已脱贫 dated its old exit year, or dropped out of
    the files, and stayed monitored in every later year."""
    from jingzhun import choices
    from jingzhun.appraisal.yearly import status_at
    from jingzhun.monitoring.models import Case

    code = choices.HOUSEHOLD_STATUS.lookup()
    cased = set(Case.objects.values_list("household__number", flat=True)) | set(
        Application.objects.values_list("household__number", flat=True))
    finished = timezone.localdate().year - 1
    for path in demo.registers():
        year = int(path.stem.split("-")[1])
        if not 2021 <= year <= finished:
            continue
        with path.open(encoding="utf-8-sig", newline="") as f:
            said = {row["户编号"]: code[row["户状态"]] for row in csv.DictReader(f) if row["户状态"]}
        stored = dict(Household.objects.filter(number__in=said).annotate(at=status_at(year))
                      .values_list("number", "at"))
        wrong = {n: (said[n], stored[n]) for n in said if n not in cased and stored[n] != said[n]}
        assert not wrong, (year, list(wrong.items())[:5])


def test_the_finished_years_work_teams_are_graded_apart(demo):
    """Teams slip at different rates (`synth_work.lapse_table`): the one that slips often has short months
    deducted (at least two, 5 points each) and scores below the one that keeps every rule."""
    from jingzhun.assessment.models import ScoreResult, ScoringRun

    run = ScoringRun.objects.filter(year=timezone.localdate().year - 1, unit_type="work_team").latest("pk")
    totals = [round(t, 4) for t in ScoreResult.objects.filter(run=run).values_list("total", flat=True)]
    assert len(totals) >= 2 and len(set(totals)) >= 2
    assert min(totals) <= 90 and max(totals) > min(totals)


def test_the_finished_years_counties_are_graded_from_their_values(demo):
    """The county-leadership scheme grades the demo's counties on their own figures: the third-party evaluation
    is of the year assessed (so a county whose findings are all in has its 错退率, 漏评率 and 群众认可度, not "no
    data"), the counties are not all graded the lowest, and each stored total, grade and missing list is what
    `jingzhun.assessment.score` gives again from the stored values under the run's own scheme text. Before, the
    evaluation was of the current, unfinished year: 45 of the 100 points had no data in every county, the most
    any county could reach was 55, and all were 较差 whatever their figures."""
    from jingzhun.assessment import scheme_store, score, scoring_runs
    from jingzhun.assessment.models import ScoreResult, ScoringRun
    from jingzhun.evaluation import results
    from jingzhun.evaluation.models import Evaluation

    year = timezone.localdate().year - 1
    run = ScoringRun.objects.filter(year=year, unit_type="county").latest("pk")
    found = list(ScoreResult.objects.filter(run=run).order_by("unit"))
    assert len(found) == COUNTIES
    scheme = scheme_store.parse(run.scheme_text, "run")
    values = {r.unit: {k: v.value for k, v in scoring_runs.unit_values(run, r).items()} for r in found}
    counts = {r.unit: {k: n for k, n in r.deductions.items() if n is not None} for r in found}
    again = score(values, scheme.scoring_indicators(scheme_store.directions()),
                  deductions=scheme.scoring_deductions(), counts=counts, grades=scheme.scoring_grades(),
                  excellent_share=scheme.excellent_share)
    for r in found:
        s = again[r.unit]
        assert (r.total, r.grade, sorted(r.missing)) == (pytest.approx(s.total), s.grade or "", sorted(s.missing)), r.unit
    lowest = run.grades[-1][0]
    assert {r.grade for r in found} != {lowest}, [(r.unit, r.total, r.grade) for r in found]
    evaluation = Evaluation.objects.filter(year=year).latest("pk")
    complete = {c for c in results.counties(evaluation) if results.county_rates(evaluation, c).status == "complete"}
    assert complete
    evaluated = {"exit_error_rate", "missed_rate", "satisfaction"}
    for r in found:
        assert (r.unit in complete) == evaluated.isdisjoint(r.missing), (r.unit, r.missing)
