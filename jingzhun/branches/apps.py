from django.apps import AppConfig


class BranchesConfig(AppConfig):
    name = "jingzhun.branches"
    verbose_name = "村党组织 / Village party branches"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.branches import totals
        from jingzhun.organisation import totals as people_totals

        people_totals.register("branches", totals.recount_all)
        from jingzhun.branches import service
        from jingzhun.organisation import people

        people.register("branches", service.people_figures)

        names.register_actions({"branch.elect": "村党组织换届 / branch election recorded",
                                "branch.rate": "软弱涣散评定 / branch rated",
                                "branch.rerate": "整顿后复评 / branch re-rated",
                                "branch_roster.import": "导入村党组织名册 / branch roster imported",
                                "branch_roster.check": "检查村党组织名册 / branch roster checked",
                                "branch_elections.import": "导入村党组织选举 / branch elections imported",
                                "branch_elections.check": "检查村党组织选举 / branch elections checked"})
        from django.utils.translation import gettext_lazy as _

        from jingzhun.core import blanks
        from jingzhun.web import pages

        blanks.register(blanks.Blank("branch_roster", "村党组织名册导入模板.xlsx",
                                     "jingzhun.branches.roster.write_blank_template", "村党组织名册 / the party-branch roster"))
        blanks.register(blanks.Blank("branch_elections", "村党组织选举导入模板.xlsx",
                                     "jingzhun.branches.elections.write_blank_template",
                                     "村党组织换届选举 / party-branch elections"))
        pages.register(pages.Page("branches:list", _("Party branches"), "people", 72))
