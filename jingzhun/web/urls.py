from urllib.parse import unquote

from django.contrib.auth import views as auth_views
from django.urls import path, register_converter
from django.utils.translation import gettext_lazy as _

from jingzhun.web import pages
from jingzhun.web.views import (
    appraisal,
    audit,
    blank_templates,
    checks,
    dashboard,
    exits,
    export,
    identification,
    imports,
    pairing,
    paper,
    photos,
    plans,
    register,
    teams,
    yearly,
)

app_name = "web"


class HouseholdNumber:
    """A household number as one path segment, whatever it holds: a number is free text from the officers'
    files ("2019/001", "50%", ".."), and `<str:>` cannot reverse a "/" (every list linking to such a household
    failed with a 500). "%" and "/" are escaped here (reverse() then escapes the "%" once more), and a
    number of dots only, which a browser would resolve as "this" or "the parent" folder."""

    regex = "[^/]+"

    def to_python(self, value: str) -> str:
        return unquote(value)

    def to_url(self, value: str) -> str:
        text = str(value).replace("%", "%25").replace("/", "%2F")
        return text.replace(".", "%2E") if not text.strip(".") else text


register_converter(HouseholdNumber, "household")

urlpatterns = [
    path("", dashboard.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="web/login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", dashboard.overview, name="dashboard"),
    path("dashboard/<str:code>/", dashboard.overview, name="dashboard_area"),
    path("households/", register.household_list, name="households"),
    path("households/export.xlsx", export.export_xlsx, name="export"),
    path("households/<household:number>/", register.household_detail, name="household"),
    path("households/<household:number>/plans/<int:year>/", plans.plan_edit, name="plan"),
    path("households/<household:number>/plans/<int:year>/approve/", plans.plan_approve, name="plan_approve"),
    path("households/<household:number>/print/<slug:kind>/", paper.household_paper, name="household_paper"),
    path("print/<str:code>/<slug:kind>/", paper.village_paper, name="village_paper"),
    path("households/<household:number>/print/<slug:kind>/pdf/", paper.household_paper, {"fmt": "pdf"},
         name="household_paper_pdf"),
    path("print/<str:code>/<slug:kind>/pdf/", paper.village_paper, {"fmt": "pdf"}, name="village_paper_pdf"),
    path("households/<household:number>/visits/<int:visit_id>/", photos.visit, name="visit"),
    path("households/<household:number>/visits/<int:visit_id>/photos/<str:sha256>/", photos.visit_photo,
         name="visit_photo"),
    path("members/<int:pk>/reveal/", register.reveal, name="reveal"),
    path("imports/", imports.upload_form, name="imports"),
    path("imports/<str:token>/", imports.upload_detail, name="upload"),
    path("imports/<str:token>/confirm/", imports.upload_confirm, name="upload_confirm"),
    path("imports/<str:token>/progress/", imports.upload_progress, name="upload_progress"),
    path("imports/<str:token>/report.xlsx", imports.upload_report, name="upload_report"),
    path("coverage/", teams.coverage_report, name="coverage"),
    path("alerts/", teams.alerts, name="alerts"),
    path("pairing/", pairing.pairing_home, name="pairing"),
    path("pairing/<int:pk>/", pairing.pairing_run, name="pairing_run"),
    path("pairing/adjust/", pairing.pairing_adjust, name="pairing_adjust"),
    path("pairing/<int:pk>/approve/", pairing.pairing_approve, name="pairing_approve"),
    path("checks/", checks.hits, name="hits"),
    path("checks/<int:pk>/decide/", checks.decide, name="decide"),
    path("applications/", appraisal.applications, name="applications"),
    path("applications/new/", appraisal.apply, name="application_new"),
    path("applications/overdue/", appraisal.overdue, name="overdue"),
    path("applications/<int:pk>/", appraisal.application, name="application"),
    path("applications/<int:pk>/<slug:slug>/", appraisal.step, name="application_step"),
    path("identification/", identification.runs, name="identification"),
    path("identification/<int:pk>/", identification.run_detail, name="identification_run"),
    path("identification/accuracy/", identification.accuracy_report, name="accuracy"),
    path("appraisal/yearly/", yearly.difference, name="yearly"),
    path("appraisal/yearly/export.xlsx", yearly.difference_xlsx, name="yearly_export"),
    path("appraisal/yearly/quotas/", yearly.quotas, name="yearly_quotas"),
    path("exits/", exits.pipeline_page, name="exits"),
    path("audit/", audit.audit_log, name="audit"),
    path("templates/", blank_templates.template_list, name="templates"),
    path("templates/<slug:kind>/", blank_templates.template_download, name="template_download"),
]

for page in (
    pages.Page("web:dashboard", _("Dashboard"), "dashboard", 10),
    pages.Page("web:households", _("Register"), "register", 20),
    pages.Page("web:imports", _("Import"), "plan", 30),  # officers, work teams, helpers (upload_kinds.offered)
    pages.Page("web:coverage", _("Coverage"), "dashboard", 40),
    pages.Page("web:alerts", _("Supervision"), "dashboard", 50),
    pages.Page("web:pairing", _("Pairing"), "pair", 60),
    pages.Page("web:identification", _("Identification"), "dashboard", 22),
    pages.Page("web:applications", _("Appraisal"), "dashboard", 25),
    pages.Page("web:yearly", _("Yearly adjustment"), "dashboard", 26),
    pages.Page("web:hits", _("Cross-checks"), "crosscheck", 27),
    pages.Page("web:exits", _("Exit"), "dashboard", 28),
    pages.Page("web:audit", _("Audit log"), "audit", 80),
    pages.Page("web:templates", _("Templates"), "register", 85),
    pages.Page("admin:index", _("Administration"), "administer", 90),
):
    pages.register(page)
