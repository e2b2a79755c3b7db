from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "jingzhun.training"
    verbose_name = "干部培训 / Cadre training"

    def ready(self) -> None:
        from jingzhun.audit import names
        from jingzhun.organisation import totals as people_totals
        from jingzhun.training import receivers, totals  # noqa: F401  (receivers: connects them)

        people_totals.register("training", totals.recount_all)
        from jingzhun.organisation import people
        from jingzhun.training import reports

        people.register("training", reports.people_figures)

        names.register_actions({"course.add": "新增培训班 / course added",
                                "course_roster.import": "导入培训名册 / course roster imported",
                                "course_roster.check": "检查培训名册 / course roster checked"})
        from django.utils.translation import gettext_lazy as _

        from jingzhun.core import blanks
        from jingzhun.web import pages

        blanks.register(blanks.Blank("course_roster", "培训班学员名册导入模板.xlsx",
                                     "jingzhun.training.roster.write_blank_template", "培训班学员名册 / a course roster"))
        pages.register(pages.Page("training:courses", _("Training"), "people", 70))
