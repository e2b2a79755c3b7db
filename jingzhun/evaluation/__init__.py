"""Third-party evaluation (第三方评估): the sample design, evaluators' findings and the county's three rates
(错退率, 漏评率, 群众认可度) with design-based 95 % intervals (docs/evaluation.md).

This import is pure — `estimate_proportion` and the sampler need no database; the app's models, services and
pages are in its modules (`models`, `draw`, `findings`, `results`, `views`).
"""

from jingzhun.evaluation.estimate import Proportion, estimate_proportion

__all__ = ["Proportion", "estimate_proportion"]
