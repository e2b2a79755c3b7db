from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "jingzhun.organisation"
    verbose_name = "配班子与部门联点 / Units, leadership and secondments"
