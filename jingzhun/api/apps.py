from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "jingzhun.api"
    label = "api"
    verbose_name = "接口 / API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhun.api import pages

        pages.register_pages()
