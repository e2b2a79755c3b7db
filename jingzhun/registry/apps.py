from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jingzhun.registry"
    verbose_name = "建档立卡 / Poverty register"

    def ready(self) -> None:
        from jingzhun.core import blanks

        blanks.register(blanks.Blank("register", "建档立卡导入模板.xlsx", "jingzhun.registry.exporter.write_blank_template",
                                     "建档立卡 / the poverty register"))
