from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic province and the demo: the top of the house, built on every other app and imported by
    none."""

    name = "jingzhun.demo"
    verbose_name = "演示与合成数据 / Demo and synthetic data"
