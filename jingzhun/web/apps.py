from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "jingzhun.web"
    verbose_name = "网页 / Web"
