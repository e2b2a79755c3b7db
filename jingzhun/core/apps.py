from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Project-wide commands that serve every app and depend on none: `jingzhun template` (each app
    registers its own blank files, `jingzhun.core.blanks`) and `jingzhun newkey` (a production key, so not
    in the demo app). No models."""

    name = "jingzhun.core"
    verbose_name = "公共 / Core"
