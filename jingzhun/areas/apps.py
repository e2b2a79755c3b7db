from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "jingzhun.areas"
    verbose_name = "行政区划 / Areas"
