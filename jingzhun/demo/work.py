"""The demo's work after the register: everything a county does with it, through the entry points users use.

`jingzhun demo` imports the synthetic register; these stages then do what a county's officers, work teams
and helpers would do with it, each through the project's own path:

| stage | path |
|---|---|
| cadres and work teams | `jingzhun import_roster` of a roster file (`synth_work.roster_rows`) |
| cross-department lists | `jingzhun crosscheck import` (a vehicle list and a death list with a few register members) |
| identification | `jingzhun identify --policy national-2020 --year 2020` |
| appraisal | `jingzhun.appraisal.workflow`, as the printed officers and the work team, 2020's applications left at every step |
| pairing | `jingzhun.teams.pairing_db.preview` and `approve`, county by county, as the pairing page does: in the year before last, and again after this year's register (`import_register`) |
| visits | `jingzhun.teams.visits_import.import_visits`, weekly files as townships enter them (the finished year and the last 60 days), and one late batch |
| attendance | `jingzhun import_visits --kind attendance` |
| help plans | `jingzhun.plans.services.save_plan` as the helper (and the officers): the finished year's all approved and done, this year's half approved |

Each stage is skipped when its data is already there and is all-or-nothing (one transaction, one import,
or files imported one by one and recognised afterwards), so a demo stopped half-way completes on the next
run and a second run changes nothing. Generated files are written once under the demo's data directory
and kept: a later run imports the same bytes. The synthetic people and records come from
`jingzhun.demo.synth_work`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from jingzhun import choices
from jingzhun.appraisal import workflow
from jingzhun.appraisal.models import Application
from jingzhun.areas.models import Area, AreaRole
from jingzhun.crosscheck import actions as crosscheck
from jingzhun.crosscheck.models import CrossCheckHit
from jingzhun.demo import synth_work
from jingzhun.identification.models import IdentificationRun
from jingzhun.plans.models import CAUSE_MEASURES, MEASURE_CATEGORY, HelpPlan
from jingzhun.plans.services import MeasureInput, approve_plan, household_causes, save_plan
from jingzhun.registry.importer import import_register
from jingzhun.registry.models import Household, ImportBatch
from jingzhun.teams import pairing_db, roster_import
from jingzhun.teams.models import (
    SERVING,
    Attendance,
    Cadre,
    HelperPair,
    PairingRun,
    TeamMembership,
    Visit,
    WorkTeam,
)
from jingzhun.teams.visits_import import import_visits

ACTOR = "demo"



def finished_year(today: dt.date) -> int:
    """The last complete year: the one the assessment scores, so the demo's helpers and teams have its whole
    record (pairs, visits, attendance, approved plans with their measures done)."""
    return today.year - 1


def repaired_on(today: dt.date) -> dt.date:
    """The day the counties re-paired for this year's register: 20 January (or yesterday, earlier in January)."""
    return min(dt.date(today.year, 1, 20), today - dt.timedelta(days=1))


def paired_on(today: dt.date) -> dt.date:
    """The day the counties' pairing was approved: the spring of the year before last, with the current round of
    work teams, so the pairs run through the whole of the finished year."""
    return dt.date(today.year - 2, 4, 1)


IDENTIFY_POLICY, IDENTIFY_YEAR = "national-2020", 2020
# The day the identification round's applications stand at: the autumn of the last identification year, so each
# is dated (applied, voted, published, announced) inside that year whatever the demo's own day.
APPRAISAL_DAY = dt.date(IDENTIFY_YEAR, 10, 20)
PLANS = 12  # households with a help plan, the helper login's first


@dataclass
class Context:
    data: Path
    seed: int
    today: dt.date
    county: Area  # the county officer's county: where the work of the demo's logins happens
    say: Callable[[str], None]

    def user(self, username: str) -> User:
        return User.objects.get(username=username)


def _aware(when: dt.datetime) -> dt.datetime:
    return timezone.make_aware(when)


# Cadres and work teams --------------------------------------------------------------------------------------


def roster(ctx: Context) -> None:
    """Cadres and a work team in every poor village, as the organisation department's roster file imported
    with `jingzhun import_roster`. The file is written once; importing it again changes nothing."""
    path = ctx.data / "roster.csv"
    if not path.exists():
        if Cadre.objects.exists():  # a demo database from before the roster file: its cadres stay as they are
            return
        _write_roster(ctx, path)
    out = io.StringIO()
    call_command("import_roster", str(path), "--actor", ACTOR, stdout=out)
    if "nothing changed" not in out.getvalue():
        ctx.say(f"  帮扶干部 / cadres: {Cadre.objects.count()}, 驻村工作队 / work teams: {WorkTeam.objects.count()}")


def _write_roster(ctx: Context, path: Path) -> None:
    plans = []
    needing = (Household.objects.filter(status__in=choices.NEEDS_HELPER).values("village_id")
               .annotate(n=Count("id")).values_list("village_id", "n"))
    per_county: dict[str, int] = {}
    for village, n in needing:
        per_county[village[:6]] = per_county.get(village[:6], 0) + n
    areas = {a.code: a for a in Area.objects.all()}
    counties = sorted({code[:6] for code in Household.objects.values_list("village_id", flat=True).distinct()})
    for prefix in counties:
        county = areas[prefix.ljust(12, "0")]
        city = areas[prefix[:4].ljust(12, "0")]
        province = areas[prefix[:2].ljust(12, "0")]
        inside = [a for code, a in sorted(areas.items()) if code.startswith(prefix)]
        plans.append(synth_work.CountyPlan(
            county=synth_work.Place(county.code, county.name), city=synth_work.Place(city.code, city.name),
            province=synth_work.Place(province.code, province.name),
            townships=tuple(synth_work.Place(a.code, a.name) for a in inside if a.level == "township"),
            poor_villages=tuple(synth_work.Place(a.code, a.name) for a in inside
                                if a.level == "village" and a.poor_village),
            needing_helper=per_county.get(prefix, 0)))
    made = synth_work.roster(plans, seed=ctx.seed, today=ctx.today)
    ctx.data.mkdir(parents=True, exist_ok=True)
    synth_work.write_csv(path, roster_import.HEADERS, (
        [row.get(c.key, "") for c in roster_import.ROSTER_COLUMNS] for row in synth_work.roster_rows(made)))


# Cross-department lists -------------------------------------------------------------------------------------


def _latest_register(ctx: Context) -> list[dict[str, str]]:
    path = sorted(ctx.data.glob("register-*.csv"))[-1]
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def crosscheck_lists(ctx: Context) -> None:
    """A vehicle list and a death list, each with a few members of the county's register among outsiders,
    imported with `jingzhun crosscheck import`; one hit dismissed by the county officer."""
    rows = _latest_register(ctx)
    rng = random.Random(f"{ctx.seed}:crosscheck")
    county = ctx.county.code[:6]
    heads = [(r["证件号码"], r["姓名"]) for r in rows if r["与户主关系"] == "户主" and r["户编号"][:6] == county]
    others = [(r["证件号码"], r["姓名"]) for r in rows if r["与户主关系"] != "户主" and r["户编号"][:6] == county
              and r["出生日期"] < "1950"]
    register_ids = {r["证件号码"] for r in rows}
    counties = sorted({r["户编号"][:6] for r in rows})
    picks = {"vehicle": (rng.sample(heads, min(5, len(heads))), 40),
             "deceased": (rng.sample(others, min(2, len(others))), 15)}
    names = {"vehicle": "公安交管-机动车登记名单.csv", "deceased": "公安-死亡人员名单.csv"}
    for rule, (members, outsiders) in picks.items():
        path = ctx.data / names[rule]
        if not path.exists():
            synth_work.write_csv(path, synth_work.LIST_HEADERS[rule], synth_work.department_list(
                rule, members, outsiders=outsiders, counties=counties, register_ids=register_ids, seed=ctx.seed,
                today=ctx.today))
        out = io.StringIO()
        call_command("crosscheck", "--actor", ACTOR, "import", str(path), "--rule", rule, stdout=out)
        if "already imported" not in out.getvalue():
            ctx.say("  " + out.getvalue().strip().split(" / ")[0])
    officer = ctx.user("county")
    if not CrossCheckHit.objects.exclude(status="pending").exists():
        hit = crosscheck.visible_hits(officer).filter(status="pending", rule="vehicle").order_by("id").first()
        if hit is not None:
            crosscheck.decide(hit.pk, "dismissed", "经核实，该车辆为农用三轮车，已于去年报废，不影响认定",
                              user=officer)


# Identification ---------------------------------------------------------------------------------------------


def identify(ctx: Context) -> None:
    if IdentificationRun.objects.filter(finished_at__isnull=False).exists():
        return
    out = io.StringIO()
    call_command("identify", "--policy", IDENTIFY_POLICY, "--year", str(IDENTIFY_YEAR), "--actor", ACTOR, stdout=out)
    lines = out.getvalue().splitlines()
    ctx.say("  " + "; ".join(line.strip() for line in lines[:3]))


# Appraisal --------------------------------------------------------------------------------------------------

# (step, day offset from the application): the path of an application that goes all the way.
SCHEDULE = (("apply", 0), ("appraise", 5), ("crosscheck", 7), ("publish_first", 8), ("close_first", 16),
            ("township_approve", 18), ("publish_second", 19), ("close_second", 27), ("county_approve", 30),
            ("announce", 32))
# Where each application stops: one at every step, one rejected by the village vote, one objected to.
STOPS = ("apply", "appraise", "reject", "crosscheck", "publish_first", "object", "close_first",
         "township_approve", "publish_second", "close_second", "county_approve", "announce")


def appraisal(ctx: Context) -> None:
    """Identification applications of the last identification year (2020) in the county officer's county, one
    stopped at each step of the workflow, dated in that year's autumn round: after 2020 nobody is identified as
    poor (today's applications are the monitoring and exit ones, `jingzhun.demo.monitoring` and `.exits`). Village
    steps are taken by the work team in its own village, township steps by the township officer in theirs, the
    rest by the county officer."""
    if Application.objects.filter(kind="identify").exists():  # exits (jingzhun.demo.exits) are another stage
        return
    county, township = ctx.user("county"), ctx.user("township")
    team = User.objects.filter(username="team").first() or county
    team_village = AreaRole.objects.filter(user=team, role="work_team").values_list("area_id", flat=True).first()
    town = AreaRole.objects.get(user=township).area_id[:9]
    low, high = ctx.county.code_range
    rng = random.Random(f"{ctx.seed}:appraisal")
    pool = list(Household.objects.filter(village_id__gte=low, village_id__lte=high, status=choices.EXITED)
                .order_by("number").values_list("pk", "village_id"))
    hit = set(CrossCheckHit.objects.filter(household__village_id__gte=low, household__village_id__lte=high)
              .values_list("household_id", flat=True))
    # The team's village and a household with a cross-department hit come first: both show on the pages.
    first = [h for h in pool if h[1] == team_village][:2] + [h for h in pool if h[0] in hit][:1]
    rest = rng.sample([h for h in pool if h not in first], min(len(STOPS) - len(first), len(pool) - len(first)))
    chosen = first + rest
    year, day = IDENTIFY_YEAR, APPRAISAL_DAY

    def who(level: str, village: str) -> User:
        if level == "village" and village == team_village:
            return team
        if level in ("village", "township") and village.startswith(town):
            return township
        return county

    with transaction.atomic():
        for (household, village), stop in zip(chosen, STOPS, strict=False):
            last = dict(SCHEDULE).get(stop, {"reject": 5, "object": 12}.get(stop, 0))
            start = day - dt.timedelta(days=last + rng.randrange(1, 6))
            app = workflow.apply(household, year, applied_by="户主本人", on=start, user=who("village", village))
            for step, offset in SCHEDULE[1:] if stop != "apply" else ():
                on = start + dt.timedelta(days=offset)
                if stop == "reject" and step == "appraise":
                    workflow.appraise(app.pk, held_on=on, attendees=31, votes_for=9, votes_against=18,
                                      votes_abstain=4, minutes="村民代表认为该户家庭收入稳定，不符合条件。",
                                      user=who("village", village))
                    break
                if stop == "object" and step == "close_first":
                    workflow.object_(app.pk, on=on - dt.timedelta(days=4), raised_by="本村村民",
                                     reason="反映该户有家庭成员在县城稳定务工，收入未如实申报", user=who("village", village))
                    break
                _step(app.pk, step, on, village, who)
                if step == stop:
                    break
    ctx.say(f"  评议公示申请 / appraisal applications: {len(chosen)}")


def _step(app_id: int, step: str, on: dt.date, village: str, who: Callable[[str, str], User]) -> None:
    if step == "appraise":
        workflow.appraise(app_id, held_on=on, attendees=35, votes_for=29, votes_against=3, votes_abstain=3,
                          minutes="召开村民代表大会民主评议，多数代表同意纳入。", user=who("village", village))
    elif step == "crosscheck":
        app = Application.objects.get(pk=app_id)
        pending = CrossCheckHit.objects.filter(household_id=app.household_id, status="pending").exists()
        workflow.crosscheck(app_id, on=on, user=who("village", village),
                            acknowledge="已报县公安局复核，先行公示" if pending else "")
    elif step in ("publish_first", "publish_second"):
        level = "village" if step == "publish_first" else "township"
        workflow.publish_notice([app_id], stage=step.removeprefix("publish_"), starts_on=on,
                                contact="村委会 0731-8888 6688", user=who(level, village))
    elif step in ("close_first", "close_second"):
        workflow.close_notice(app_id, on=on, user=who("village" if step == "close_first" else "township", village))
    elif step == "township_approve":
        workflow.township_review(app_id, approve=True, on=on, user=who("township", village), opinion="经入户核查属实")
    elif step == "county_approve":
        workflow.county_review(app_id, approve=True, on=on, user=who("county", village), opinion="同意")
    elif step == "announce":
        workflow.announce(app_id, on=on, user=who("county", village))


# Pairing ----------------------------------------------------------------------------------------------------


def current_year_file(path: Path, today: dt.date) -> bool:
    """A register file of a year after the finished one (the current year's)."""
    return int(path.stem.removeprefix("register-")) > finished_year(today)


def import_register_file(path: Path, say: Callable[[str], None]) -> None:
    result = import_register(path, actor=ACTOR)
    if not result.imported:
        raise SystemExit(f"{path.name}: {len(result.errors)} errors, first: {result.errors[:3]}")
    say(f"  {path.name}: +{result.inserted} 新增, {result.updated} 更新, {result.unchanged} 未变")


def current_register(ctx: Context) -> None:
    """The current year's register files, unless the latest import is the last of them already (a run after a
    stopped one imports the earlier years again, and so this year's after them)."""
    files = [p for p in sorted(ctx.data.glob("register-*.csv")) if current_year_file(p, ctx.today)]
    latest = ImportBatch.objects.filter(kind="register").order_by("-id").values_list("file_name", flat=True).first()
    if files and Path(latest or "").name != files[-1].name:
        for path in files:
            import_register_file(path, ctx.say)


def _pair(ctx: Context, day: dt.date, rounds: int) -> None:
    """Each county with fewer than `rounds` approved runs paired on `day`: its households needing a helper now
    (the preview is given all the county's households, so the pairs of those that no longer need one end)."""
    counts: dict[str, int] = {}
    for r in PairingRun.objects.filter(status="approved"):
        for c in r.parameters.get("counties", []):
            counts[c] = counts.get(c, 0) + 1
    counties = sorted({code[:6] for code in Household.objects.filter(status__in=choices.NEEDS_HELPER)
                       .values_list("village_id", flat=True).distinct()})
    for prefix in counties:
        if counts.get(prefix, 0) >= rounds:
            continue
        low, high = prefix.ljust(12, "0"), prefix.ljust(12, "9")
        households = Household.objects.filter(village_id__gte=low, village_id__lte=high)
        cadres = Cadre.objects.filter(home_area_id__gte=low, home_area_id__lte=high, status=SERVING)
        run = pairing_db.approve(pairing_db.preview(households, cadres, actor="county"), "county", today=day)
        ctx.say(f"  结对 / pairing {prefix} {day}: {run.new} 新增 new, {run.ended} 结束 ended, "
                f"{run.unpaired} 无帮扶人 unpaired")


def pairing(ctx: Context) -> None:
    """Each county's pairing computed and approved as its officer would on the pairing page: in the spring of the
    year before last, for the households needing a helper by the finished year's register; then this year's
    register is imported and the counties re-pair in January for those needing one now — which ends the pairs
    of households that no longer do. The helpers' records of the finished year follow these pairs."""
    _pair(ctx, paired_on(ctx.today), 1)
    current_register(ctx)
    _pair(ctx, repaired_on(ctx.today), 2)


# Visits and attendance --------------------------------------------------------------------------------------


def visits(ctx: Context) -> None:
    """Weekly visit files (and one entered late), written once, each imported unless already stored."""
    manifest = ctx.data / "visits.json"
    if not manifest.exists():
        since = dt.date(finished_year(ctx.today), 1, 1)
        # The pairs of the finished year and today's: each household visited by its helper of the time.
        pairs = [synth_work.Pair(*row) for row in (
            HelperPair.objects.filter(Q(end_date__isnull=True) | Q(end_date__gt=since)).order_by("household__number", "start_date")
            .values_list("cadre_id", "household__number", "household__village_id", "household__village__parent__name",
                         "start_date", "end_date"))]
        batches = synth_work.visits(pairs, seed=ctx.seed, today=ctx.today, county=ctx.county.code[:6], since=since)
        for b in batches:
            synth_work.write_csv(ctx.data / b.name, synth_work.VISIT_HEADER, b.rows)
        manifest.write_text(json.dumps([{"file": b.name, "actor": b.actor, "entered_at": b.entered_at.isoformat()}
                                        for b in batches], ensure_ascii=False, indent=1))
    total = 0
    for b in json.loads(manifest.read_text()):
        entered = _aware(dt.datetime.fromisoformat(b["entered_at"]))
        if Visit.objects.filter(entered_by=b["actor"], recorded_at=entered).exists():
            continue
        # The service, not the command: the command stamps the moment it runs, and these files stand for
        # weeks of entries made when they happened (the late batch is the one supervision should flag).
        outcome = import_visits(ctx.data / b["file"], actor=b["actor"], now=entered)
        if outcome.errors:
            raise SystemExit(f"{b['file']}: {len(outcome.errors)} errors, first: {outcome.errors[:3]}")
        total += outcome.inserted
    if total:
        ctx.say(f"  入户走访 / visits: {total}")


def team_lapses(ctx: Context) -> dict[str, synth_work.Lapses]:
    """How often each work team's village fell short in the finished year (attendance and plans read the same)."""
    return synth_work.lapse_table(ctx.seed, WorkTeam.objects.filter(end_date__isnull=True)
                                  .values_list("village_id", flat=True))


def attendance(ctx: Context) -> None:
    if Attendance.objects.exists():
        return
    path = ctx.data / "attendance.csv"
    if not path.exists():
        members = list(TeamMembership.objects.filter(end_date__isnull=True, cadre__status=SERVING)
                       .values_list("cadre_id", "team__village_id", "start_date"))
        synth_work.write_csv(path, synth_work.ATTENDANCE_HEADER,
                             synth_work.attendance(members, seed=ctx.seed, today=ctx.today,
                                                   since=dt.date(finished_year(ctx.today), 1, 1),
                                                   lapses=team_lapses(ctx)))
    out = io.StringIO()
    call_command("import_visits", str(path), "--kind", "attendance", "--actor", ACTOR, stdout=out)
    ctx.say("  驻村考勤 / attendance: " + out.getvalue().strip())


# Help plans -------------------------------------------------------------------------------------------------

_MEASURE_TEXT = {
    "production": ("发展油茶种植 3 亩，提供种苗和技术指导", 3000),
    "relocation": ("纳入易地扶贫搬迁安置", 0),
    "ecology": ("聘为生态护林员", 10000),
    "education": ("落实子女教育资助（雨露计划）", 3000),
    "social": ("纳入农村低保，按月发放保障金", 4200),
    "health": ("办理慢性病卡，落实先诊疗后付费", 1500),
    "housing": ("实施 C 级危房改造", 20000),
    "credit": ("申请扶贫小额信贷 3 万元发展养殖", 30000),
    "welfare_job": ("安排村保洁公益岗位", 6000),
    "training": ("参加县人社局组织的电工技能培训", 800),
    "water": ("接通集中供水管网", 1200),
    "other": ("协调解决实际困难", 500),
}
_GOALS = ("年内家庭人均纯收入稳定超过监测线，两不愁三保障持续巩固",
          "通过产业和务工增加收入，消除返贫风险",
          "落实健康和兜底保障，防止因病返贫")


def plans(ctx: Context) -> None:
    """The finished year's plans (`finished_year_plans`), then this year's: for the helper login's households
    (written by the helper) and a few more of the county (by the county officer), every other one approved by
    the county officer."""
    if HelpPlan.objects.exists():
        return
    helper, officer = ctx.user("helper"), ctx.user("county")
    with transaction.atomic():
        done = finished_year_plans(ctx, helper, officer)
    ctx.say(f"  {finished_year(ctx.today)} 年帮扶计划 / help plans: {done}")
    low, high = ctx.county.code_range
    active = (HelperPair.objects.filter(end_date__isnull=True, household__village_id__gte=low,
                                        household__village_id__lte=high)
              .select_related("household", "cadre").order_by("household__number"))
    own = [p for p in active if p.cadre.user_id == helper.pk]
    others = [p for p in active if p.cadre.user_id != helper.pk]
    chosen = (own + others)[:max(PLANS, len(own))]
    year = ctx.today.year
    with transaction.atomic():
        for n, pair in enumerate(chosen):
            causes = household_causes(pair.household) or ["other"]
            categories = sorted(CAUSE_MEASURES.get(causes[0], CAUSE_MEASURES["other"]))[:2]
            measures = []
            for k, category in enumerate(categories):
                text, amount = _MEASURE_TEXT[category]
                done = k == 0 and n % 3 == 0
                measures.append(MeasureInput(
                    category=category, description=text, amount=Decimal(amount), cadre=pair.cadre_id,
                    due_on=dt.date(year, 12, 31), status="done" if done else ("in_progress" if k == 0 else "planned"),
                    done_on=ctx.today - dt.timedelta(days=10) if done else None,
                    result=f"已{MEASURE_CATEGORY.zh(category)}，户主满意" if done else ""))
            writer = helper if pair.cadre.user_id == helper.pk else officer
            plan = save_plan(writer, pair.household_id, year, _GOALS[n % len(_GOALS)], measures, today=ctx.today)
            if n % 2 == 1:
                approve_plan(officer, plan.pk)
    ctx.say(f"  帮扶计划 / help plans: {len(chosen)}")


def _done_on(due: dt.date, late: bool, spread: int) -> dt.date:
    """A measure's day done: 3–22 days before its due date, or, done late, 5–24 days after it (still in the year:
    the last measures are due on 30 November)."""
    return due + dt.timedelta(days=5 + spread) if late else due - dt.timedelta(days=3 + spread)


def finished_year_plans(ctx: Context, helper: User, officer: User) -> int:
    """A plan of the finished year for every household paired at its end, written by its helper (the helper login) or
    an officer over it (the county officer in their county, the province officer elsewhere), approved, its
    two measures due in the year and done on time (a few days before their due date) — except, at the share of
    the village's `team_lapses`, a plan left unapproved or a measure done late: the year's record the
    helpers and teams are assessed on, not the same in every village."""
    year = finished_year(ctx.today)
    province = ctx.user("province")
    low, high = ctx.county.code_range
    end = dt.date(year, 12, 31)
    # (A household removed from the register since gets no plan: the plan service refuses it.)
    pairs = (HelperPair.objects.filter(Q(end_date__isnull=True) | Q(end_date__gt=end), start_date__lte=end)
             .exclude(household__status=choices.REMOVED).select_related("household", "cadre")
             .order_by("household__number"))
    by_village: dict[str, list[str]] = {}
    for pair in pairs:
        by_village.setdefault(pair.household.village_id, []).append(pair.household.number)
    # The teams' villages slip as their attendance does (the same table); elsewhere every plan is approved.
    lapses = team_lapses(ctx)
    unapproved = synth_work.unapproved_plans(ctx.seed, by_village, lapses)
    for n, pair in enumerate(pairs):
        causes = household_causes(pair.household) or ["other"]
        categories = sorted(CAUSE_MEASURES.get(causes[0], CAUSE_MEASURES["other"]))[:2]
        share = lapses[pair.household.village_id].plans if pair.household.village_id in lapses else 0.0
        number = pair.household.number
        measures = []
        for k, category in enumerate(categories):
            text, amount = _MEASURE_TEXT[category]
            due = dt.date(year, 6, 30) if k == 0 else dt.date(year, 11, 30)
            late = synth_work.lapsed(ctx.seed, share, "late", number, str(k))
            measures.append(MeasureInput(
                category=category, description=text, amount=Decimal(amount), cadre=pair.cadre_id, due_on=due,
                status="done", done_on=_done_on(due, late, (n + k) % 20),
                result=f"已{MEASURE_CATEGORY.zh(category)}，户主满意"))
        mine = low <= pair.household.village_id <= high
        approver = officer if mine else province
        writer = helper if pair.cadre.user_id == helper.pk and pair.end_date is None else approver
        plan = save_plan(writer, pair.household_id, year, _GOALS[n % len(_GOALS)], measures, today=ctx.today)
        if number not in unapproved:
            approve_plan(approver, plan.pk)
    return len(pairs)


def populate(ctx: Context, before_pairing: Callable[[], None], after_pairing: Callable[[], None]) -> None:
    """Every stage in order. `before_pairing` makes the work-team login (appraisal needs it),
    `after_pairing` the helper login (plans need it)."""
    roster(ctx)
    before_pairing()
    crosscheck_lists(ctx)
    identify(ctx)
    appraisal(ctx)
    pairing(ctx)
    after_pairing()
    visits(ctx)
    attendance(ctx)
    plans(ctx)
    later_work(ctx)


def later_work(ctx: Context) -> None:
    """The organisation department's work and today's (exit, monitoring), each module its own stage that skips
    itself when its records are there already."""
    from jingzhun.demo import evaluation, exits, monitoring, organisation, people

    organisation.run(ctx.today, ctx.say, ctx.seed)
    people.run(ctx.today, say=ctx.say)
    exits.run(ctx.today, say=ctx.say)
    monitoring.run(ctx.today, say=ctx.say)
    pair_the_newly_monitored(ctx)
    evaluation.run(ctx)
    assess(ctx)
    boundaries(ctx)


def boundaries(ctx: Context) -> None:
    """The map's boundaries: synthetic (jingzhun.demo.boundaries), loaded through the import command."""
    from jingzhun.demo import boundaries as synthetic
    from jingzhun.maps.models import Boundary

    if Boundary.objects.exists():
        return
    path = ctx.data / "boundaries.geojson"
    n = synthetic.write(path)
    call_command("import_boundaries", str(path), "--source", synthetic.SOURCE, "--licence", synthetic.LICENCE,
                 "--actor", ACTOR, stdout=io.StringIO())
    ctx.say(f"地图边界 / map boundaries: {n}")


def assess(ctx: Context) -> None:
    """The assessment of the demo's years: indicators computed, scored under the shipped schemes, flags and a few
    decisions (jingzhun.demo.assessment_decisions); once."""
    from jingzhun.assessment.models import ScoringRun
    from jingzhun.demo import assessment_decisions

    if ScoringRun.objects.exists():
        return
    done = assessment_decisions.run(ctx.today)
    ctx.say(f"  考核 / assessment: {len(done['runs'])} 次评分 scoring runs, {done['decisions']} 项决定 decisions")


def pair_the_newly_monitored(ctx: Context) -> None:
    """Households taken into monitoring need a helper: the county re-pairs (keeping every working pair) where
    one has none — the pairing page's preview and approval, as after any change of who needs help."""
    active = HelperPair.objects.filter(end_date__isnull=True).values("household_id")
    unpaired = (Household.objects.filter(status__in=choices.NEEDS_HELPER).exclude(pk__in=active)
                .values_list("village_id", flat=True))
    for prefix in sorted({code[:6] for code in unpaired}):
        low, high = prefix.ljust(12, "0"), prefix.ljust(12, "9")
        households = Household.objects.filter(village_id__gte=low, village_id__lte=high,
                                              status__in=choices.NEEDS_HELPER)
        cadres = Cadre.objects.filter(home_area_id__gte=low, home_area_id__lte=high, status=SERVING)
        run = pairing_db.approve(pairing_db.preview(households, cadres, actor="county"), "county", today=ctx.today)
        ctx.say(f"  监测户结对 / pairing the monitored {prefix}: {run.new} 新增 new, {run.moved} 调整 moved")
