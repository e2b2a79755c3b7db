"""Assessment (考核): indicators per unit and period, the schemes that weigh them, and the one scoring function.

This package module stays pure (no Django models are imported here): Django imports it before the apps are
ready, and :func:`score` is used by pages, exports, batch runs and benchmarks alike. See
docs/assessment-scores.md for the scoring rules and the scheme format.
"""

from jingzhun.assessment.scoring import UnitScore, score

__all__ = ["UnitScore", "score"]
