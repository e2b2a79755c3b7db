"""The demo's assessment year put to use: figures scored, planted fabrications confirmed, a shortlist, flags and
a few decisions — through the same services officers use (`jingzhun.assessment`, `jingzhun.teams.alert_view`).

Call after the demo's work (`jingzhun.demo.work.populate`) and after `jingzhun.demo.assessment` (which computes
the assessment years and a sign-off) when that module exists; without it, the years are computed here: the last
complete year when the register reaches the current year (the demo's: its helpers and teams have that year's whole record, so
the shortlist has cadres with a year's service graded top), else the register's last year (for the counties and
villages) and the year of the work (teams and helpers).
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any

from django.contrib.auth import get_user_model

from jingzhun.assessment import decisions, flags, scoring_runs, shortlist, snapshots
from jingzhun.assessment.models import Snapshot
from jingzhun.teams import alert_view, supervision

ACTOR = "demo"
AREA_SCHEMES = ("file:county-leadership-2016.toml",)
WORK_SCHEMES = ("file:work-team.toml", "file:helper.toml")
NOTE = "经核实，系事后补录、同一时间多户签到，走访不实 / checked: visits recorded after the fact, not made"


def assessed_year(today: dt.date, last_register: int) -> int:
    """The year the demo's counties are graded for: the last complete year when the register reaches the current
    year (the demo's; a year still running is not graded), else the register's last year. The demo's third-party
    evaluation is of this year too (`jingzhun.demo.evaluation`): the county scheme's 错退率, 漏评率 and 群众认可度
    are the evaluation of the year assessed, and one of another year leaves them "no data" in every county."""
    return today.year - 1 if last_register >= today.year else last_register


def _computed_years(today: dt.date) -> list[int]:
    try:
        module = importlib.import_module("jingzhun.demo.assessment")
    except ImportError:
        module = None
    if module is not None and not Snapshot.objects.exists():
        module.run(today)  # type: ignore[attr-defined]
    years = sorted({int(p) for p in Snapshot.objects.values_list("period", flat=True)})
    if years:
        return years
    from jingzhun.registry.models import IncomeRecord

    last = int(IncomeRecord.objects.order_by("-year").values_list("year", flat=True).first() or today.year - 1)
    # An older register: its last year (the counties') and the year of the work (teams and helpers).
    assessed = assessed_year(today, last)
    years = [assessed] if last >= today.year else sorted({assessed, today.year})
    for year in years:
        snapshots.compute(year, actor=ACTOR, today=today)
    return years


def _confirm_fabrications(limit: int = 2) -> int:
    """Handle the planted same-minute and late-entry alerts with a note, as a county officer would."""
    found = supervision.alerts(supervision.window_for(None), kinds=["same_minute", "bulk_late_entry"])
    done = 0
    for alert in found[:limit]:
        try:
            alert_view.handle(found, alert_view.key_of(alert), NOTE, actor=ACTOR)
            done += 1
        except alert_view.NotHandled:
            continue
    return done


def _officer() -> Any:
    """A county officer of the demo to decide as (the decisions are theirs, within their county)."""
    from jingzhun.areas.models import AreaRole

    role = AreaRole.objects.filter(role="officer", area__level="county").select_related("user").order_by("pk").first()
    return role.user if role else get_user_model().objects.filter(is_superuser=True).first()


def _decide(officer: Any, year: int, today: dt.date) -> int:
    made = 0
    user = officer if officer is not None and not officer.is_superuser else None
    actor = officer.get_username() if officer is not None else ACTOR
    for h in shortlist.shortlist(user, today=today)[:2]:
        decisions.decide(user, subject="shortlist", unit_type="cadre", unit=str(h.cadre.pk), year=year,
                         decision="promote" if made == 0 else "commend", on=today, actor=actor,
                         reason="驻村帮扶满一年以上，历年考核均为优秀 / a year and more in the village, graded "
                                "excellent every year scored")
        made += 1
    for f in flags.flags(year, user)[:3]:
        serious = any(k in f.reasons for k in ("fabricated_visits",))
        decisions.decide(user, subject="flag", unit_type=f.run.unit_type, unit=f.result.unit, year=year,
                         decision="accountable" if serious else "talk", on=today, actor=actor,
                         reason=("虚假走访已查实，按规定追责 / fabricated visits confirmed: held to account" if serious
                                 else "考核等次为最低档，约谈督促整改 / graded lowest: a talk and a plan to improve"))
        made += 1
    return made


def run(today: dt.date) -> dict[str, Any]:
    """Score the demo's years, confirm planted fabrications, and record a few decisions; what was done."""
    years = _computed_years(today)
    confirmed = _confirm_fabrications()
    runs = []
    for year in years:
        # Teams and helpers where their work is: the latest year computed (the demo's visits are this year's).
        for ref in AREA_SCHEMES + (WORK_SCHEMES if year == years[-1] else ()):
            runs.append(scoring_runs.run(ref, year, actor=ACTOR).pk)
    made = _decide(_officer(), years[-1], today)
    return {"years": years, "runs": runs, "confirmed": confirmed, "decisions": made}
