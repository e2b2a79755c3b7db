from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "jingzhun.monitoring"
    verbose_name = "防返贫动态监测 / Return-to-poverty monitoring"
