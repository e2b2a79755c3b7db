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
                                "talent.reverse": "专项资金冲销 / payment reversed"})
        from django.utils.translation import gettext_lazy as _

        from jingzhun.web import pages

        pages.register(pages.Page("talent:pool", _("Talent"), "people", 71))
