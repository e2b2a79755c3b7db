from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "jingzhun.organisation"
    verbose_name = "配班子与部门联点 / Units, leadership and secondments"

    def ready(self) -> None:
        from jingzhun.core import blanks

        for kind, name, writer, label in (
            ("units", "单位名录导入模板.xlsx", "units", "单位名录 / units"),
            ("unit_links", "单位联系村导入模板.xlsx", "links", "单位联系村（承诺与完成）/ unit–village links"),
            ("secondments", "挂职导入模板.xlsx", "secondments", "挂职 / secondments"),
        ):
            blanks.register(blanks.Blank(kind, name, f"jingzhun.organisation.imports.{writer}.write_blank_template",
                                         label))
