from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class MobileConfig(AppConfig):
    name = "jingzhun.mobile"
    verbose_name = "手机应用 / Phone app"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.web import pages

        pages.register(pages.Page("mobile:home", gettext_lazy("Phone app"), "fieldwork", order=15))
        names.register_actions({"health.shown": "向帮扶人显示其帮扶户健康状况 / health shown to the household's helper"})
