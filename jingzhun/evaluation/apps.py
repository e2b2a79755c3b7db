from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "jingzhun.evaluation"
    verbose_name = "第三方评估 / Third-party evaluation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.evaluation import pages

        pages.register_pages()
        names.register_actions({"evaluation.draw": "抽取评估样本 / evaluation sample drawn",
                                "evaluation_findings.record": "录入评估结果 / evaluation findings recorded",
                                "evaluation_findings.import": "导入评估结果 / evaluation findings imported",
                                "evaluation_findings.check": "检查评估结果 / evaluation findings checked",
                                "evaluation.field_list": "导出入户调查名单 / field list taken"})
