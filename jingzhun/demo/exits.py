"""The demo's exits (脱贫退出): in every demo county, exit applications stopped at each step of the exit
procedure, through `jingzhun.appraisal.workflow` (kind `exit`) as the county's officers would take them.

The demo's register runs past 2020, when every household had left the poor list; the exits filed here are
the register's own exits of the last exit year (households imported as exited in it), given their
procedure now — the record a county keeps (appraisal, verification, the household's consent, the notice,
the announcement). Households the exit check finds eligible come first; when a county has too few, the
rest are proposed with an override reason, as an officer would. Dates fall in the autumn of the exit year.

`run(today)` does nothing when exit applications exist already (a second run changes nothing), and is
one transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib.auth.models import User
from django.db import transaction

from jingzhun import choices
from jingzhun.appraisal import workflow
from jingzhun.appraisal.models import Application
from jingzhun.areas.models import LEVEL_DEPTH, Area, AreaRole
from jingzhun.exits.one import check_household
from jingzhun.policy.exit import exit_rules, shipped_exits
from jingzhun.registry.models import Household

# Where each exit stops: one at every step, one voted down, one not verified, one the household declines,
# one objected to during its notice.
STOPS = ("apply", "appraise", "reject", "verify", "unverified", "decline", "consent", "publish_first", "object",
         "close_first", "township_approve", "announce")
OVERRIDE = "演示：收入经入户核实已稳定超过标准 / demo: income verified at home as stably above the line"


def exit_year(today: dt.date) -> int:
    years = sorted(int(n.removesuffix(".toml")[-4:]) for n in shipped_exits())
    return max((y for y in years if y <= today.year), default=years[0])


def officer_of(county: Area, level: str) -> User | None:
    """An officer over the county at `level` or above (the county's own first), else a superuser."""
    roles = AreaRole.objects.filter(role="officer").select_related("area", "user").order_by("area__code")
    for r in roles:
        low, high = r.area.code_range
        if low <= county.code <= high and LEVEL_DEPTH[r.area.level] <= LEVEL_DEPTH[level]:
            return r.user
    return User.objects.filter(is_superuser=True).order_by("pk").first()


def candidates(county: Area, year: int, want: int) -> list[tuple[Household, bool]]:
    """Households of the county that exited in `year`, the eligible ones first, at most `want`."""
    rules = exit_rules(year, county.code)
    low, high = county.code_range
    eligible: list[Household] = []
    others: list[Household] = []
    qs = Household.objects.filter(village_id__gte=low, village_id__lte=high, status=choices.EXITED,
                                  exit_year=year).order_by("number")
    for hh in qs[: want * 20]:
        target = eligible if check_household(rules, hh)["eligible"] else others
        target.append(hh)
        if len(eligible) >= want:
            break
    return [(h, True) for h in eligible[:want]] + [(h, False) for h in others[: want - len(eligible[:want])]]


def run(today: dt.date, say: Callable[[str], None] = print) -> int:
    """File the demo's exits; the number filed (0 when there were some already)."""
    if Application.objects.filter(kind="exit").exists():
        return 0
    year = exit_year(today)
    filed = 0
    with transaction.atomic():
        for county in Area.objects.filter(level="county").order_by("code"):
            officer = officer_of(county, "county")
            if officer is None:
                continue
            for (hh, ok), stop in zip(candidates(county, year, len(STOPS)), STOPS, strict=False):
                _walk(hh, year, stop, officer, "" if ok else OVERRIDE)
                filed += 1
    say(f"  脱贫退出申请 / exit applications: {filed}（{year}）")
    return filed


def _walk(hh: Household, year: int, stop: str, user: User, override: str) -> None:
    day = dt.date(year, 10, 8)
    app = workflow.apply(hh, year, applied_by="村两委", on=day, user=user, kind="exit", override=override)
    if stop == "apply":
        return
    passed = stop != "reject"
    workflow.appraise(app.pk, held_on=day + dt.timedelta(days=3), attendees=33, votes_for=28 if passed else 10,
                      votes_against=3 if passed else 20, votes_abstain=2 if passed else 3,
                      minutes="村民代表大会民主评议该户退出。" if passed else "多数代表认为该户收入尚不稳定，暂缓退出。",
                      user=user)
    if stop in ("appraise", "reject"):
        return
    verified = stop != "unverified"
    workflow.verify(app.pk, on=day + dt.timedelta(days=6), passed=verified, user=user,
                    findings="村两委和驻村工作队入户核实：收入稳定，两不愁三保障和饮水安全均已达到。" if verified
                    else "入户核实：家中有重病患者，医疗支出大，收入不稳定。")
    if stop in ("verify", "unverified"):
        return
    if stop == "decline":
        workflow.decline(app.pk, on=day + dt.timedelta(days=8), reason="户主认为家庭收入尚不稳定，暂不同意退出", user=user)
        return
    workflow.consent(app.pk, signed_by="户主", signed_on=day + dt.timedelta(days=8), document=f"退出认可书 {year}-{app.pk}",
                     user=user)
    if stop == "consent":
        return
    notice = workflow.publish_notice([app.pk], stage="first", starts_on=day + dt.timedelta(days=10),
                                     contact="村委会及乡镇扶贫工作站", user=user)
    if stop == "publish_first":
        return
    if stop == "object":
        workflow.object_(app.pk, on=notice.starts_on + dt.timedelta(days=2), raised_by="本村村民",
                         reason="反映该户主要劳动力近期外出务工不稳定", user=user)
        return
    workflow.close_notice(app.pk, on=notice.ends_on + dt.timedelta(days=1), user=user)
    if stop == "close_first":
        return
    workflow.township_review(app.pk, approve=True, on=notice.ends_on + dt.timedelta(days=4), user=user,
                             opinion="经审核，同意退出")
    if stop == "township_approve":
        return
    workflow.announce(app.pk, on=notice.ends_on + dt.timedelta(days=10), user=user)
