from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "jingzhun.evaluation"
    verbose_name = "第三方评估 / Third-party evaluation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.core import blanks
        from jingzhun.evaluation import pages

        pages.register_pages()
        names.register_actions({"evaluation.draw": "抽取评估样本 / evaluation sample drawn",
                                "evaluation_findings.record": "录入评估结果 / evaluation findings recorded",
                                "evaluation_findings.import": "导入评估结果 / evaluation findings imported",
                                "evaluation_findings.check": "检查评估结果 / evaluation findings checked",
                                "evaluation_frame.import": "导入非建档立卡户 / evaluation frame imported",
                                "evaluation_frame.check": "检查非建档立卡户 / evaluation frame checked",
                                "evaluation.field_list": "导出入户调查名单 / field list taken"})
        blanks.register(blanks.Blank("evaluation_frame", "非建档立卡户导入模板.xlsx",
                                     "jingzhun.evaluation.frame_import.write_blank_template",
                                     "评估抽样框的非建档立卡户 / never-registered households of the evaluation frame"))
        blanks.register(blanks.Blank("evaluation_findings", "评估结论导入模板.xlsx",
                                     "jingzhun.evaluation.findings.write_blank_template",
                                     "第三方评估结论 / evaluation findings"))
