from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "jingzhun.teams"
    verbose_name = "因村派人与结对帮扶 / Work teams and helpers"

    def ready(self) -> None:
        # The access layer sits below this app and does not import it: it is told here whose households a
        # helper sees (their active pairs).
        from jingzhun import access
        from jingzhun.audit import names
        from jingzhun.core import blanks
        from jingzhun.teams import supervision
        from jingzhun.teams.models import paired_household_ids

        access.register_pair_source(paired_household_ids)
        names.register_actions({"supervision.handle": "处理督查预警 / supervision alert handled",
                                "pairing.adjust": "人工调整结对 / helper changed by hand"})
        names.register_values("kind", supervision.KINDS, prefix="supervision.")
        blanks.register(blanks.Blank("roster", "帮扶干部名册导入模板.xlsx", "jingzhun.teams.roster_import.write_blank_template",
                                     "帮扶干部名册 / the cadre roster"))
