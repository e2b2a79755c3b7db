from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "jingzhun.organisation"
    verbose_name = "配班子与部门联点 / Units, leadership and secondments"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.core import blanks

        names.register_actions({
            "organisation.decide": "人选决定 / shortlist decided", "organisation.shortlist": "生成人选名单 / shortlist built",
            "organisation.unit_review": "单位名称核定 / unit names resolved",
            "units.import": "导入单位名录 / units imported", "units.check": "检查单位名录 / units checked",
            "unit_links.import": "导入单位联系村 / unit links imported",
            "unit_links.check": "检查单位联系村 / unit links checked",
            "secondments.import": "导入挂职 / secondments imported", "secondments.check": "检查挂职 / secondments checked"})

        for kind, name, writer, label in (
            ("units", "单位名录导入模板.xlsx", "units", "单位名录 / units"),
            ("unit_links", "单位联系村导入模板.xlsx", "links", "单位联系村（承诺与完成）/ unit–village links"),
            ("secondments", "挂职导入模板.xlsx", "secondments", "挂职 / secondments"),
        ):
            blanks.register(blanks.Blank(kind, name, f"jingzhun.organisation.imports.{writer}.write_blank_template",
                                         label))
