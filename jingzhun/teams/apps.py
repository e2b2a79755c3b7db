from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "jingzhun.teams"
    verbose_name = "因村派人与结对帮扶 / Work teams and helpers"
