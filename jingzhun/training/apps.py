from django.apps import AppConfig


class TrainingConfig(AppConfig):
    name = "jingzhun.training"
    verbose_name = "干部培训 / Cadre training"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from jingzhun.core import blanks
        from jingzhun.web import pages

        blanks.register(blanks.Blank("course_roster", "培训班学员名册导入模板.xlsx",
                                     "jingzhun.training.roster.write_blank_template", "培训班学员名册 / a course roster"))
        pages.register(pages.Page("training:courses", _("Training"), "people", 70))
