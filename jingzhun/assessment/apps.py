from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "jingzhun.assessment"
    verbose_name = "考核 / Assessment"

    def ready(self) -> None:
        # The indicators read work teams, visits, plans and village records through identification's engines,
        # which never import an app above them: the tables are handed over here.
        from django.utils.translation import gettext_lazy as _

        from jingzhun.assessment.catalogue import UNIT_LABELS
        from jingzhun.assessment.compute import register_tables
        from jingzhun.assessment.models import SIGNOFF_ACTION, SNAPSHOT_KIND
        from jingzhun.audit import names
        from jingzhun.web import pages

        register_tables()
        # The organisation's leadership shortlists read helpers' grades from here once assessment exists.
        from jingzhun.assessment.shortlist import cadre_grades
        from jingzhun.organisation import shortlists

        shortlists.register_grade_source(cadre_grades)
        pages.register(pages.Page("assessment:index", _("Assessment"), "assess", 29))
        # The audit page names what this app writes (snapshots.py: "assessment.<kind>"; signoff.py:
        # "assessment.signoff.<action>"), built from the same code tables the writers use.
        names.register_actions({f"assessment.{code}": f"考核指标{zh} / indicators: {en}"
                                for code, zh, en in SNAPSHOT_KIND.values})
        names.register_actions({f"assessment.signoff.{code}": f"考核指标{zh} / indicator figures: {en}"
                                for code, zh, en in SIGNOFF_ACTION.values})
        names.register_actions({
            "assessment.scheme.upload": "上传考核方案 / assessment scheme uploaded",
            "assessment.score": "考核评分 / assessment scored",
            "assessment.decide": "考核处理决定 / assessment decision recorded",
        })
        names.register_values("level", {code: f"{zh} / {en}" for code, (zh, en) in UNIT_LABELS.items()},
                              prefix="assessment.")
