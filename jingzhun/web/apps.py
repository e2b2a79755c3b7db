from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "jingzhun.web"
    verbose_name = "网页 / Web"

    def ready(self) -> None:
        from jingzhun.web import receivers  # noqa: F401  (connects the signal receivers)
