from django.apps import AppConfig


class BranchesConfig(AppConfig):
    name = "jingzhun.branches"
    verbose_name = "村党组织 / Village party branches"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from jingzhun.web import pages

        pages.register(pages.Page("branches:list", _("Party branches"), "people", 72))
