from django.apps import AppConfig


class BranchesConfig(AppConfig):
    name = "jingzhun.branches"
    verbose_name = "村党组织 / Village party branches"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from jingzhun.core import blanks
        from jingzhun.web import pages

        blanks.register(blanks.Blank("branch_roster", "村党组织名册导入模板.xlsx",
                                     "jingzhun.branches.roster.write_blank_template", "村党组织名册 / the party-branch roster"))
        pages.register(pages.Page("branches:list", _("Party branches"), "people", 72))
