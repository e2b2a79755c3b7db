from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "jingzhun.reports"
    verbose_name = "统计报表 / Statistical reports"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.web import pages

        pages.register(pages.Page("reports:index", _("Reports"), "export", 45))
        names.register_actions({"report.download": "下载统计报表 / statistical reports downloaded"})
        names.register_keys({"tables": "报表 / tables"})
