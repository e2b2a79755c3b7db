"""The configurable numbers of the work-team rules and supervision alerts, in one place.

Defaults are the national practice of 2015–2020; a province changes them through the environment
(`JINGZHUN_TEAMS_<FIELD>` in upper case, e.g. `JINGZHUN_TEAMS_VISIT_DAYS=90`) or by passing a
`SupervisionConfig(...)` to the functions directly (tests, the web app). See docs/teams.md.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SupervisionConfig:
    # Work-team rules (驻村工作队管理办法)
    min_team_members: int = 3  # every poor village has a team of at least this many serving members
    min_term_years: int = 2  # a member's term lasts at least this long (recalls are judged by their own rule)
    min_residence_days: int = 20  # days a month a member stays in the village, counted from attendance
    # Alerts
    # A helper is expected at the household at least monthly (每月至少入户一次 is the common provincial
    # rule); a province that asks for quarterly visits sets 90.
    visit_days: int = 30
    same_coordinates_households: int = 5  # identical coordinates at this many households or more
    copied_notes_households: int = 5  # the same normalised notes at this many households or more
    late_entry_days: int = 7  # a visit entered more than this many days after it happened is late ...
    late_entry_visits: int = 20  # ... and this many late ones entered by one person in one hour is a bulk entry
    # Records entered one by one (the phone app, the API): a visit entered more than this many hours after it
    # happened is late — the phone queues offline for a day or two in the mountains, not for a week.
    entry_lag_hours: int = 72
    # A phone's reported radius above this many metres does not place the helper at the household (a village
    # house is tens of metres across; a cell-tower fix is hundreds).
    location_accuracy_m: int = 100
    capacity_by_rank: Mapping[str, int] = field(default_factory=dict)  # helper capacity; rank missing → 5

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, int) and value < 1:
                raise ValueError(f"{f.name}: 应为正整数 / must be a positive integer, got {value}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> SupervisionConfig:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"JINGZHUN_TEAMS_{f.name.upper()}")
            if raw is None:
                continue
            if f.name == "capacity_by_rank":
                # "section=3,staff=5"
                pairs = [p.split("=", 1) for p in raw.split(",") if p.strip()]
                values[f.name] = {k.strip(): int(v) for k, v in pairs}
            else:
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValueError(f"JINGZHUN_TEAMS_{f.name.upper()}={raw!r}: 应为整数 / not an integer") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
