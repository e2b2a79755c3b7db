from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MonitoringConfig(AppConfig):
    name = "jingzhun.monitoring"
    verbose_name = "防返贫动态监测 / Return-to-poverty monitoring"

    def ready(self) -> None:
        from jingzhun.web import pages

        pages.register(pages.Page("monitoring:cases", _("Monitoring"), "monitor", 28))
