from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "jingzhun.areas"
    verbose_name = "行政区划 / Areas"

    def ready(self) -> None:
        from jingzhun.core import blanks

        blanks.register(blanks.Blank("village_records", "村情导入模板.xlsx",
                                     "jingzhun.areas.village_records.write_blank_template",
                                     "村情（基础设施、公共服务、集体收入）/ village records"))
