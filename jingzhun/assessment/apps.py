from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "jingzhun.assessment"
    verbose_name = "考核 / Assessment"

    def ready(self) -> None:
        # The indicators read work teams, visits, plans and village records through identification's engines,
        # which never import an app above them: the tables are handed over here.
        from django.utils.translation import gettext_lazy as _

        from jingzhun.assessment.compute import register_tables
        from jingzhun.audit import names
        from jingzhun.web import pages

        register_tables()
        pages.register(pages.Page("assessment:index", _("Assessment"), "assess", 29))
        names.register_actions({
            "assessment.full": "计算考核指标 / assessment indicators computed",
            "assessment.area": "计算区域考核指标 / assessment indicators of an area computed",
            "assessment.refresh": "刷新村级考核指标 / a village's assessment indicators refreshed",
            "assessment.signoff.submit": "报送考核指标 / assessment figures submitted",
            "assessment.signoff.approve": "审核通过考核指标 / assessment figures approved",
            "assessment.signoff.return": "退回考核指标 / assessment figures returned",
            "assessment.scheme.upload": "上传考核方案 / assessment scheme uploaded",
            "assessment.score": "考核评分 / assessment scored",
            "assessment.decide": "考核处理决定 / assessment decision recorded",
        })
