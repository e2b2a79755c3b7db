"""Audit: search the append-only log, limited to the rows of the user's areas and the user's own."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Max, Min
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingzhun import access, choices
from jingzhun.appraisal.kinds import ALL_STEPS
from jingzhun.appraisal.kinds import KIND as APPLICATION_KIND
from jingzhun.appraisal.models import STATE
from jingzhun.areas.models import ROLES
from jingzhun.audit import names
from jingzhun.audit.models import AuditArea, AuditEntry
from jingzhun.audit.scope import restrict
from jingzhun.crosscheck.models import HIT_STATUS, RULE
from jingzhun.monitoring.kinds import AUDIT_ACTIONS as MONITORING_ACTIONS
from jingzhun.monitoring.kinds import AUDIT_OBJECTS as MONITORING_OBJECTS
from jingzhun.monitoring.kinds import SOURCE as MONITORING_SOURCE
from jingzhun.monitoring.kinds import STATE as MONITORING_STATE
from jingzhun.plans.models import MEASURE_CATEGORY, MEASURE_STATUS
from jingzhun.plans.services import AUDIT_ACTIONS as PLAN_REVISION_ACTIONS
from jingzhun.web.pages import requires

PAGE_SIZE = 100
# Readable names of the actions and objects the register and the web write; others show their code.
ACTIONS = {
    "login": gettext_lazy("log in"), "logout": gettext_lazy("log out"), "login_failed": gettext_lazy("failed login"),
    "reveal": gettext_lazy("reveal"), "reveal_denied": gettext_lazy("reveal refused"),
    "export": gettext_lazy("export"), "export.finished": gettext_lazy("export finished"),
    "import": gettext_lazy("import"), "import.check": gettext_lazy("import checked"), "audit.prune": gettext_lazy("audit log pruned"),
    "plan.create": gettext_lazy("help plan drafted"), "plan.update": gettext_lazy("help plan changed"),
    "plan.measure.add": gettext_lazy("measure added"), "plan.measure.update": gettext_lazy("measure changed"),
    "plan.approve": gettext_lazy("help plan approved"),
    "plan.approval_cleared": gettext_lazy("help plan approval cleared"),  # written before revisions (plans 0002)
    **PLAN_REVISION_ACTIONS,
    "appraisal.notice.print": gettext_lazy("notice printed"),
    "crosscheck.import": gettext_lazy("department list imported"),
    "crosscheck.rematch": gettext_lazy("department lists matched again"),
    "crosscheck.confirm": gettext_lazy("cross-check hit confirmed"),
    "crosscheck.dismiss": gettext_lazy("cross-check hit dismissed"),
    "identification.run": gettext_lazy("identification run"),
    "pairing.preview": gettext_lazy("pairing previewed"), "pairing.approve": gettext_lazy("pairing approved"),
    "pairing.pair": gettext_lazy("helper paired"),
    "supervision.export": gettext_lazy("supervision alerts exported"),
    "visits.import": gettext_lazy("visits imported"), "attendance.import": gettext_lazy("attendance imported"),
    "teams.roster.import": gettext_lazy("roster imported"),
    # Check runs of the teams' imports (they name households and cadres, so they are audited), as "中文 / English".
    "teams.roster.check": "检查花名册 / roster checked", "visits.check": "检查走访记录 / visits checked",
    "attendance.check": "检查考勤 / attendance checked",
    "household.admin_change": "后台修改农户 / household changed in the admin",
    "member.admin_change": "后台修改成员 / member changed in the admin",
    # Any other area-scoped row written in the admin (jingzhun.admin_base.AreaWrites); the object names its table.
    "admin.add": "后台新增 / added in the admin", "admin.change": "后台修改 / changed in the admin",
    "admin.delete": "后台删除 / deleted in the admin",
    # User administration (jingzhun.web.admin), as "中文 / English": the page shows the active language's side.
    "user.create": "新建用户 / user created", "user.change": "修改用户 / user changed",
    "user.password": "重设密码 / password set", "user.delete": "删除用户 / user deleted",
    "role.grant": "授予角色 / role granted", "role.revoke": "撤销角色 / role revoked",
    "permission.grant": "授予权限 / permission granted", "permission.revoke": "撤销权限 / permission revoked",
    # The appraisal steps: their names are the workflow's (中文 / English), shown in the page's language.
    **{f"appraisal.{action}": t.label for action, t in ALL_STEPS.items()},
    **MONITORING_ACTIONS,
}
# The register's, the web's and the older apps' names go into the one table of jingzhun.audit.names; newer apps
# register their own there. `ACTIONS` is that table (the page and its tests read it).
names.register_actions(ACTIONS)
ACTIONS = names.ACTIONS
names.register_enum("before", STATE, prefix="appraisal.")
names.register_enum("after", STATE, prefix="appraisal.")
names.register_enum("before", HIT_STATUS, prefix="crosscheck.")
names.register_enum("after", HIT_STATUS, prefix="crosscheck.")
names.register_enum("rule", RULE, prefix="crosscheck.")
names.register_enum("household_status", choices.HOUSEHOLD_STATUS)
names.register_enum("category", MEASURE_CATEGORY, prefix="plan.")
names.register_enum("status", MEASURE_STATUS, prefix="plan.")
names.register_enum("kind", APPLICATION_KIND, prefix="appraisal.")
names.register_enum("before", MONITORING_STATE, prefix="monitoring.")
names.register_enum("after", MONITORING_STATE, prefix="monitoring.")
names.register_enum("source", MONITORING_SOURCE, prefix="monitoring.")
ROLE_NAMES = dict(ROLES)

OBJECTS = {"member": gettext_lazy("member"), "register": gettext_lazy("register"),
           "import_batch": gettext_lazy("import batch"), "help_plan": gettext_lazy("help plan"),
           "plan_measure": gettext_lazy("measure"), "application": gettext_lazy("application"),
           "notice": gettext_lazy("notice"), "report": gettext_lazy("report workbook"),
           "visit": gettext_lazy("home visit"), **MONITORING_OBJECTS}


def _areas_shown(user: object, ids: list[int]) -> dict[int, str]:
    """Each row's areas for the page, limited to the ones the user may see: one or two codes in full,
    more as "lowest … highest (count)" (an import may carry thousands of villages)."""
    qs = access.scope(AuditArea.objects.filter(entry_id__in=ids), user, "code", ability="audit")
    shown = {}
    for row in qs.values("entry_id").annotate(n=Count("id"), low=Min("code"), high=Max("code")):
        n, low, high = row["n"], row["low"], row["high"]
        shown[row["entry_id"]] = low if n == 1 else f"{low}, {high}" if n == 2 else f"{low} … {high} ({n})"
    return shown


NARROW = frozenset({"village", "township"})


def _newest(user: object, filters: dict[str, object], n: int) -> list[AuditEntry]:
    """The `n` newest rows matching `filters` that `user` may read (jingzhun.audit.scope's rule), in SQL.
    Two plans for two kinds of user (measured over 200,000 rows, docs/security.md): a county or wider
    finds its rows everywhere, so walking the log backwards with the rule as a filter stops early; a
    township or village is rare in the log, so its two halves are two index walks that each stop at `n` —
    its areas' rows on the (code, entry) index, its own on (actor, id) — merged here."""
    qs = AuditEntry.objects.filter(**filters).order_by("-pk")
    found = access.grants(user)
    grants = [g for g in found or () if "audit" in access.ABILITIES.get(g.role, frozenset())]
    if found is None or not grants or any(g.level not in NARROW for g in grants):
        return list(restrict(qs, user)[:n])
    ids = set(qs.filter(actor=user.get_username()).values_list("pk", flat=True)[:n])  # type: ignore[attr-defined]
    through = {("entry_id__lt" if k == "pk__lt" else f"entry__{k}"): v for k, v in filters.items()}
    ids |= set(AuditArea.objects.filter(access.area_q(user, "code", ability="audit"), **through)
               .order_by("-entry_id").values_list("entry_id", flat=True).distinct()[:n])
    return list(AuditEntry.objects.filter(pk__in=sorted(ids, reverse=True)[:n]).order_by("-pk"))


@requires("audit")
def audit_log(request: HttpRequest) -> HttpResponse:
    filters: dict[str, object] = {}
    problem = ""
    actor = request.GET.get("actor", "").strip()
    if actor:
        filters["actor"] = actor
    action = request.GET.get("action", "").strip()
    if action:
        filters["action"] = action
    for key, op in (("since", "gte"), ("until", "lt")):
        text = request.GET.get(key, "").strip()
        if text:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                problem = _("%(field)s: a date is written YYYY-MM-DD") % {"field": key}
                continue
            moment = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1 if op == "lt" else 0), dt.time()))
            filters[f"at__{op}"] = moment
    before = request.GET.get("before", "")
    if before.isascii() and before.isdigit() and len(before) <= 18:  # "²" is isdigit() but no int; a key fits 18
        filters["pk__lt"] = int(before)
    rows = [] if problem else _newest(request.user, filters, PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    areas = _areas_shown(request.user, [e.pk for e in rows])
    query = request.GET.copy()
    if more:
        query["before"] = str(rows[-1].pk)
    english = (translation.get_language() or "").startswith("en")
    return render(request, "web/audit.html", {
        "rows": [_shown(e, areas.get(e.pk, ""), english) for e in rows],
        "more": more, "next_query": query.urlencode() if more else "", "problem": problem,
        "form": {k: request.GET.get(k, "") for k in ("actor", "action", "since", "until")},
        "actions": names.action_choices(english),
        "title": _("Audit log"),
    })


def _shown(e: AuditEntry, areas: str, english: bool) -> dict[str, object]:
    """One row as the page shows it: names for codes, the details as a sentence in the page's language."""
    role = e.role if english else ROLE_NAMES.get(e.role, e.role)
    return {"entry": e, "action": names.action_name(e.action, english), "object": OBJECTS.get(e.object_type, e.object_type),
            "areas": areas or e.area, "role": role, "detail": names.parts(e.action, e.detail, english)}
