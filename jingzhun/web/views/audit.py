"""Audit: search the append-only log, limited to the user's areas."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jingzhun import access
from jingzhun.appraisal.workflow import TRANSITIONS
from jingzhun.audit.models import AuditEntry
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
    # User administration (jingzhun.web.admin), as "中文 / English": the page shows the active language's side.
    "user.create": "新建用户 / user created", "user.change": "修改用户 / user changed",
    "user.password": "重设密码 / password set", "user.delete": "删除用户 / user deleted",
    "role.grant": "授予角色 / role granted", "role.revoke": "撤销角色 / role revoked",
    "permission.grant": "授予权限 / permission granted", "permission.revoke": "撤销权限 / permission revoked",
    # The appraisal steps: their names are the workflow's (中文 / English), shown in the page's language.
    **{f"appraisal.{action}": t.label for action, t in TRANSITIONS.items()},
}
OBJECTS = {"member": gettext_lazy("member"), "register": gettext_lazy("register"),
           "import_batch": gettext_lazy("import batch"), "help_plan": gettext_lazy("help plan"),
           "plan_measure": gettext_lazy("measure"), "application": gettext_lazy("application"),
           "notice": gettext_lazy("notice")}


@requires("audit")
def audit_log(request: HttpRequest) -> HttpResponse:
    # Rows carry the area they concern; a row with no area (system work) is for unrestricted users only.
    qs = access.scope(AuditEntry.objects.all(), request.user, "area", ability="audit")
    problem = ""
    actor = request.GET.get("actor", "").strip()
    if actor:
        qs = qs.filter(actor=actor)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action=action)
    for key, op in (("since", "gte"), ("until", "lt")):
        text = request.GET.get(key, "").strip()
        if text:
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                problem = _("%(field)s: a date is written YYYY-MM-DD") % {"field": key}
                qs = qs.none()
                continue
            moment = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1 if op == "lt" else 0), dt.time()))
            qs = qs.filter(**{f"at__{op}": moment})
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(pk__lt=int(before))
    rows = list(qs.order_by("-pk")[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    query = request.GET.copy()
    if more:
        query["before"] = str(rows[-1].pk)
    return render(request, "web/audit.html", {
        "rows": [(e, ACTIONS.get(e.action, e.action), OBJECTS.get(e.object_type, e.object_type)) for e in rows], "more": more, "next_query": query.urlencode() if more else "", "problem": problem,
        "form": {k: request.GET.get(k, "") for k in ("actor", "action", "since", "until")},
        "title": _("Audit log"),
    })
