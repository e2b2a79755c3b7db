from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "jingzhun.assessment"
    verbose_name = "考核 / Assessment"

    def ready(self) -> None:
        # The indicators read work teams, visits, plans and village records through identification's engines,
        # which never import an app above them: the tables are handed over here.
        from jingzhun.assessment.catalogue import UNIT_LABELS
        from jingzhun.assessment.compute import register_tables
        from jingzhun.assessment.models import SIGNOFF_ACTION, SNAPSHOT_KIND
        from jingzhun.audit import names

        register_tables()
        # The audit page names what this app writes (snapshots.py: "assessment.<kind>"; signoff.py:
        # "assessment.signoff.<action>"), built from the same code tables the writers use.
        names.register_actions({f"assessment.{code}": f"考核指标{zh} / indicators: {en}"
                                for code, zh, en in SNAPSHOT_KIND.values})
        names.register_actions({f"assessment.signoff.{code}": f"考核指标{zh} / indicator figures: {en}"
                                for code, zh, en in SIGNOFF_ACTION.values})
        names.register_values("level", {code: f"{zh} / {en}" for code, (zh, en) in UNIT_LABELS.items()},
                              prefix="assessment.")
