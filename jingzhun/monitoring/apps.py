from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "jingzhun.monitoring"
    verbose_name = "防返贫动态监测 / Return-to-poverty monitoring"

    def ready(self) -> None:
        from jingzhun.identification import engines
        from jingzhun.monitoring.models import RigidExpense
        from jingzhun.web import pages

        engines.register_table("rigid_expense", RigidExpense)  # the triggers' bulk check reads it on every engine

        pages.register(pages.Page("monitoring:cases", _("Monitoring"), "monitor", 28))
