"""The evaluation's navigation entry (registered from `EvaluationConfig.ready`)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from jingzhun.web import pages


def register_pages() -> None:
    pages.register(pages.Page("evaluation:list", _("Evaluation"), "evaluate", 28))
