from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "jingzhun.talent"
    verbose_name = "人才与专项资金 / Talent and special funds"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from jingzhun.web import pages

        pages.register(pages.Page("talent:pool", _("Talent"), "people", 71))
