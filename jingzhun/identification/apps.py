from django.apps import AppConfig


class IdentificationConfig(AppConfig):
    name = "jingzhun.identification"
    verbose_name = "精准识别 / Identification"
