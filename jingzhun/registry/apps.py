from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "jingzhun.registry"
    verbose_name = "建档立卡 / Poverty register"
