from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "jingzhun.plans"
    verbose_name = "帮扶计划 / Help plans"
