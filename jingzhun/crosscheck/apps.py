from django.apps import AppConfig


class CrosscheckConfig(AppConfig):
    name = "jingzhun.crosscheck"
    verbose_name = "部门比对 / Cross-department checks"
