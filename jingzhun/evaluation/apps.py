from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "jingzhun.evaluation"
    verbose_name = "第三方评估 / Third-party evaluation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhun.evaluation import pages

        pages.register_pages()
