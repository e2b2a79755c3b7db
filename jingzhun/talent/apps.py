from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "jingzhun.talent"
    verbose_name = "人才与专项资金 / Talent and special funds"

    def ready(self) -> None:
        from jingzhun.audit import names

        names.register_actions({"talent.join": "人才入库 / talent added to the pool",
                                "talent.depart": "人才离岗 / talent departed",
                                "talent.allocate": "专项资金下达 / special fund allocated",
                                "talent.pay": "专项资金发放 / special fund paid",
                                "talent.reverse": "专项资金冲销 / payment reversed",
                                "talent.scheme_add": "新增人才引进计划 / recruitment scheme added",
                                "talent.quota_set": "设定引进名额 / recruitment quota set",
                                "talent_pool.import": "导入人才库名册 / talent-pool roster imported",
                                "talent_pool.check": "检查人才库名册 / talent-pool roster checked"})
        from django.utils.translation import gettext_lazy as _

        from jingzhun.core import blanks
        from jingzhun.web import pages

        blanks.register(blanks.Blank("talent_pool", "人才库名册导入模板.xlsx",
                                     "jingzhun.talent.roster.write_blank_template", "人才库名册 / a talent-pool roster"))

        pages.register(pages.Page("talent:pool", _("Talent"), "people", 71))
        from jingzhun.organisation import people
        from jingzhun.talent import pool

        people.register("talent", pool.people_figures)
