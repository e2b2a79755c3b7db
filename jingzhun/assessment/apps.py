from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "jingzhun.assessment"
    verbose_name = "考核 / Assessment"

    def ready(self) -> None:
        # The indicators read work teams, visits, plans and village records through identification's engines,
        # which never import an app above them: the tables are handed over here.
        from jingzhun.assessment.compute import register_tables

        register_tables()
