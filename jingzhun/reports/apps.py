from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "jingzhun.reports"
    verbose_name = "统计报表 / Statistical reports"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.jobs import queue
        from jingzhun.web import pages

        pages.register(pages.Page("reports:index", _("Reports"), "export", 45))
        names.register_actions({"report.download": "下载统计报表 / statistical reports downloaded",
                                "report.built": "生成统计报表 / statistical reports built"})
        names.register_keys({"tables": "报表 / tables"})
        from jingzhun.reports.tables import TABLES

        names.register_values("tables", {code: f"{t.number}{t.title[0]} / {t.title[1]}" for code, t in TABLES.items()},
                              prefix="report.")
        # The workbook is built by a worker in a child process (`jingzhun.reports.build`).
        queue.register("report.build", queue.Kind(run_path="jingzhun.reports.build.build_job",
                                                  failed_path="jingzhun.reports.build.build_failed",
                                                  env_path="jingzhun.reports.build.child_env"))
