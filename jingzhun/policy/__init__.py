"""Policy as configuration: the rules of identification (poverty line, income definition, basic
guarantees, cross-department exclusions, a multidimensional index, the monitoring line, area quotas)
for one year in the nation or one province, read from a TOML file and validated before anything runs.

Pure library: no database. See docs/policy.md for the file format and the sources of shipped figures.
"""

from jingzhun.policy.loading import DATA_DIR, PolicyError, available, load_policy, loads_policy, national
from jingzhun.policy.model import FIELDS, INCOME_FIELDS, Check, Policy
from jingzhun.policy.problems import Problem

__all__ = [
    "DATA_DIR",
    "FIELDS",
    "INCOME_FIELDS",
    "Check",
    "Policy",
    "PolicyError",
    "Problem",
    "available",
    "load_policy",
    "loads_policy",
    "national",
]
